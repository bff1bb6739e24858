//! Measures the coder against zstd -19 on text files.
//!
//! `cargo run --release --example ratio -- FILE...` prints, per file: exact level
//! (self-contained = payload + embedded codebook of all the file's distinct
//! lower-cased words; shared = payload only), set and sequence levels (paragraphs as
//! texts, skills = lower-cased words minus the crate's stop words), speeds, and zstd -19
//! (plus `bzip2 -9` when the command exists) measured in the same run.

use semzip::codec::coder::{
    CoderContext, Skill, decode_exact, decode_sequences, decode_sets, encode_codebook,
    encode_exact_stats, encode_sequences, encode_sets, exact_cost_breakdown,
};
use semzip::model::Codebook;
use std::collections::HashMap;
use std::time::Instant;

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect()
}

fn counts(ws: impl Iterator<Item = String>) -> Codebook {
    let mut m: HashMap<String, u64> = HashMap::new();
    for w in ws {
        *m.entry(w).or_insert(0) += 1;
    }
    Codebook::new(m)
}

/// CPU time of this thread in seconds (Linux schedstat; wall clock elsewhere).
fn cpu_seconds() -> f64 {
    if let Ok(s) = std::fs::read_to_string("/proc/thread-self/schedstat")
        && let Some(ns) = s
            .split_whitespace()
            .next()
            .and_then(|x| x.parse::<f64>().ok())
    {
        return ns / 1e9;
    }
    use std::sync::OnceLock;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64()
}

fn bpc(bytes: usize, chars: usize) -> f64 {
    bytes as f64 * 8.0 / chars as f64
}

fn main() {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("usage: ratio FILE...");
        std::process::exit(2);
    }
    for f in files {
        let Ok(data) = std::fs::read(&f) else {
            eprintln!("{f}: cannot read, skipped");
            continue;
        };
        let n = data.len();
        let text = String::from_utf8_lossy(&data).into_owned();
        println!("== {f} ({n} bytes)");

        let t = cpu_seconds();
        let z19 = zstd::bulk::compress(&data, 19).unwrap_or_default().len();
        let zt = cpu_seconds() - t;
        println!(
            "zstd-19      {z19:8} B  {:.3} bpc  ({:.1} MB/s CPU)",
            bpc(z19, n),
            n as f64 / zt / 1e6
        );
        if let Ok(out) = std::process::Command::new("bzip2")
            .arg("-9c")
            .arg(&f)
            .output()
        {
            let b = out.stdout.len();
            if b > 0 {
                println!("bzip2-9      {b:8} B  {:.3} bpc", bpc(b, n));
            }
        }

        // Exact level.
        let book = counts(words(&text).into_iter());
        let ctx = CoderContext::new(&book, &[]);
        let cb = encode_codebook(&book).len();
        // Speeds from this thread's CPU time over a few repetitions (the machine is shared).
        let reps = 5;
        let t = cpu_seconds();
        let (payload, st) = encode_exact_stats(&ctx, &data);
        for _ in 1..reps {
            std::hint::black_box(encode_exact_stats(&ctx, &data));
        }
        let et = (cpu_seconds() - t) / reps as f64;
        let t = cpu_seconds();
        let back = decode_exact(&ctx, &payload).expect("decode");
        for _ in 1..reps {
            std::hint::black_box(decode_exact(&ctx, &payload).expect("decode"));
        }
        let dt = (cpu_seconds() - t) / reps as f64;
        assert!(back == data, "exact round trip failed");
        let p = payload.len();
        println!(
            "exact self   {:8} B  {:.3} bpc  ({:.1}% of zstd-19; codebook {cb} B, {} words)",
            p + cb,
            bpc(p + cb, n),
            100.0 * (p + cb) as f64 / z19 as f64,
            book.len()
        );
        println!(
            "exact shared {p:8} B  {:.3} bpc  enc {:.1} MB/s  dec {:.1} MB/s (CPU time)  words {} known {} esc {}",
            bpc(p, n),
            n as f64 / et / 1e6,
            n as f64 / dt / 1e6,
            st.words,
            st.known,
            st.escapes
        );

        // A smaller codebook, as peeling learns: words seen at least 3 times.
        let part = Codebook::new(
            book.skills()
                .iter()
                .zip(book.counts())
                .filter(|(_, c)| **c >= 3)
                .map(|(w, c)| (w.clone(), *c)),
        );
        let pctx = CoderContext::new(&part, &[]);
        let (pp, pst) = encode_exact_stats(&pctx, &data);
        assert!(decode_exact(&pctx, &pp).expect("decode") == data);
        let pcb = encode_codebook(&part).len();
        println!(
            "exact, book of words seen >= 3 times: {} B + codebook {pcb} B = {:.3} bpc  ({} skills, {} escapes)",
            pp.len(),
            bpc(pp.len() + pcb, n),
            part.len(),
            pst.escapes
        );
        if std::env::var_os("BREAKDOWN").is_some() {
            for (tag, b) in exact_cost_breakdown(&pctx, &data) {
                println!("  {tag:14} {b:9.0} B");
            }
        }

        // Small independent packets (each starts from the shared priors only).
        for packet in [4096usize, 32768] {
            let mut total = 0;
            let mut rest: &[u8] = &data;
            while !rest.is_empty() {
                let cut = if rest.len() <= packet {
                    rest.len()
                } else {
                    rest[..packet]
                        .iter()
                        .rposition(|&b| b == b'\n')
                        .map_or(packet, |i| i + 1)
                };
                let p = semzip::codec::coder::encode_exact(&ctx, &rest[..cut]);
                assert!(decode_exact(&ctx, &p).expect("decode") == rest[..cut]);
                total += p.len();
                rest = &rest[cut..];
            }
            println!(
                "exact shared, {packet} B packets: {total} B  {:.3} bpc",
                bpc(total, n)
            );
        }

        if std::env::var_os("BREAKDOWN").is_some() {
            for (tag, b) in exact_cost_breakdown(&ctx, &data) {
                println!("  {tag:14} {b:9.0} B");
            }
        }

        // Set and sequence levels: paragraphs, skills = words minus stop words.
        let text = text.replace("\r\n", "\n");
        let sep = if text.contains("\n%\n") {
            "\n%\n"
        } else {
            "\n\n"
        };
        let paras: Vec<Vec<String>> = text
            .split(sep)
            .map(|p| {
                words(p)
                    .into_iter()
                    .filter(|w| !semzip::text::stopwords::is_stop_word(w))
                    .collect()
            })
            .filter(|p: &Vec<String>| !p.is_empty())
            .collect();
        // Skill counts = number of texts holding the skill (the skill node's degree).
        let sbook = counts(paras.iter().flat_map(|p| {
            let mut d = p.clone();
            d.sort();
            d.dedup();
            d
        }));
        let sctx = CoderContext::new(&sbook, &[]);
        let scb = encode_codebook(&sbook).len();
        let texts: Vec<Vec<Skill>> = paras
            .iter()
            .map(|p| {
                p.iter()
                    .map(|w| Skill::Known(sbook.code_of(w).unwrap_or(0)))
                    .collect()
            })
            .collect();
        let sets = encode_sets(&sctx, &texts);
        let dsets = decode_sets(&sctx, &sets).expect("decode sets");
        assert_eq!(dsets.len(), texts.len());
        for (a, b) in dsets.iter().zip(&texts) {
            assert!(
                *a == semzip::codec::coder::canonical_set(b),
                "set round trip failed"
            );
        }
        let seqs = encode_sequences(&sctx, &texts);
        assert!(decode_sequences(&sctx, &seqs).expect("decode seqs") == texts);
        println!(
            "sets         {:8} B  {:.3} bpc  {:.1}% of zstd-19  (payload {} + codebook {scb}; {} texts, {} skills)",
            sets.len() + scb,
            bpc(sets.len() + scb, n),
            100.0 * (sets.len() + scb) as f64 / z19 as f64,
            sets.len(),
            texts.len(),
            sbook.len()
        );
        println!(
            "sequences    {:8} B  {:.3} bpc  {:.1}% of zstd-19  (payload {})",
            seqs.len() + scb,
            bpc(seqs.len() + scb, n),
            100.0 * (seqs.len() + scb) as f64 / z19 as f64,
            seqs.len()
        );
    }
}
