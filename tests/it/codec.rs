//! Integration tests for the `.sz` container: round trips at every level, damage
//! detection, salvage, and the encode/decode commands' file handling.

use proptest::prelude::*;
use semzip::codec::container::{PACKET_TAG, TRAILER_BYTES};
use semzip::codec::{Decoded, Decoder, EncodeOptions, decode, salvage};
use semzip::codec::{Level, Unlearned, inspect_sz};
use semzip::model::Model;
use semzip::pipeline::{EmbedOptions, encode};
use semzip::text::segment::Segmentation;
use semzip::train::{TrainOptions, train_texts};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use crate::common::synthetic_text;

fn options(level: Level, unlearned: Unlearned, packet_bytes: usize) -> EncodeOptions {
    EncodeOptions {
        level,
        unlearned,
        packet_bytes,
        ..EncodeOptions::default()
    }
}

fn enc(data: &[u8], model: Option<&Model>, opts: &EncodeOptions) -> Vec<u8> {
    let mut out = Vec::new();
    encode(
        data,
        "input",
        &mut out,
        "output",
        model,
        opts,
        &EmbedOptions::default(),
    )
    .expect("encoding never fails");
    out
}

fn dec(sz: &[u8], model: Option<&Model>) -> semzip::Result<Vec<u8>> {
    let mut out = Vec::new();
    decode(sz, "input.sz", &mut out, "output", model)?;
    Ok(out)
}

/// Each text's decoded skills, in file order.
fn decoded_texts(sz: &[u8], model: Option<&Model>) -> Vec<Vec<String>> {
    let mut d = Decoder::new(sz, "x.sz", model).unwrap();
    let mut texts = Vec::new();
    while let Some(p) = d.next_packet().unwrap() {
        match p {
            Decoded::Texts(t) => texts.extend(t),
            Decoded::Bytes(_) => panic!("a lossy file decoded to bytes"),
        }
    }
    texts
}

/// A model trained on one synthetic corpus, shared by the tests that need one.
fn shared_model() -> &'static Model {
    static M: OnceLock<Model> = OnceLock::new();
    M.get_or_init(|| train_model(&synthetic_text(3000, 400, 7)))
}

fn train_model(corpus: &str) -> Model {
    let opts = TrainOptions {
        segmentation: Segmentation::Lines,
        holdout: 0.0,
        allow_empty: true,
        ..TrainOptions::default()
    };
    let texts = corpus.lines().map(str::to_string);
    train_texts(texts, vec!["synthetic".into()], &opts)
        .unwrap()
        .0
}

#[test]
fn exact_round_trips_edge_cases() {
    let mut long_line = vec![b'a'; 10 << 20];
    long_line[5_000_000] = b' ';
    let cases: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"x".to_vec(),
        b"\n".to_vec(),
        b"no trailing newline".to_vec(),
        b"crlf\r\nlines\r\n\r\n".to_vec(),
        b"nul\0bytes\0\0 and \xff\xfe invalid utf-8 \xc3\n".to_vec(),
        "caf\u{e9} \u{4e16}\u{754c} CAPS Mixed\n"
            .as_bytes()
            .to_vec(),
        long_line,
    ];
    for data in cases {
        for pb in [1, 7, 4096, 256 << 10] {
            if data.len() > 1 << 20 && pb < 256 << 10 {
                continue; // a 10 MB line in tiny packets is slow and proves nothing more
            }
            let sz = enc(&data, None, &options(Level::Exact, Unlearned::Escape, pb));
            assert_eq!(dec(&sz, None).unwrap(), data, "packet bytes {pb}");
        }
    }
}

#[test]
fn shared_model_round_trips_and_checks_the_fingerprint() {
    let m = shared_model();
    let data = synthetic_text(500, 400, 11);
    let sz = enc(
        data.as_bytes(),
        Some(m),
        &options(Level::Exact, Unlearned::Escape, 2000),
    );
    assert_eq!(dec(&sz, Some(m)).unwrap(), data.as_bytes());
    let missing = dec(&sz, None).unwrap_err().to_string();
    assert!(missing.contains("shared model"), "{missing}");
    let other = train_model(&synthetic_text(800, 300, 99));
    assert_ne!(other.fingerprint(), m.fingerprint());
    let wrong = dec(&sz, Some(&other)).unwrap_err().to_string();
    assert!(
        wrong.contains(&format!("{:016x}", m.fingerprint()))
            && wrong.contains(&format!("{:016x}", other.fingerprint())),
        "{wrong}"
    );
    // A shared-model file is smaller than a self-contained one: no codebook inside.
    let embedded = enc(
        data.as_bytes(),
        None,
        &options(Level::Exact, Unlearned::Escape, 2000),
    );
    assert!(sz.len() < embedded.len());
}

#[test]
fn lossy_levels_keep_each_texts_skills() {
    let m = shared_model();
    // Unseen words make escapes (or drops) happen.
    let data = format!("{}zzunseen word Again\n", synthetic_text(400, 600, 5));
    let texts: Vec<&str> = data.lines().filter(|l| !l.trim().is_empty()).collect();
    for unlearned in [Unlearned::Escape, Unlearned::Drop] {
        for level in [Level::Sequence, Level::Set] {
            let opts = options(level, unlearned, 1500);
            let mut out = Vec::new();
            let stats = encode(
                data.as_bytes(),
                "in",
                &mut out,
                "out",
                Some(m),
                &opts,
                &EmbedOptions::default(),
            )
            .unwrap();
            let got = decoded_texts(&out, Some(m));
            assert_eq!(got.len(), texts.len());
            for (t, g) in texts.iter().zip(&got) {
                let mut want = match level {
                    Level::Set => m.extractor.skill_set(t),
                    _ => m.extractor.skills(t),
                };
                if unlearned == Unlearned::Drop {
                    want.retain(|s| m.codebook.code_of(s).is_some());
                }
                let mut g = g.clone();
                if level == Level::Set {
                    g.sort();
                    want.sort();
                }
                assert_eq!(g, want, "{level} {unlearned}: {t}");
            }
            match unlearned {
                Unlearned::Escape => assert!(stats.escapes > 0 && stats.dropped == 0),
                Unlearned::Drop => assert!(stats.dropped > 0 && stats.escapes == 0),
            }
            // The rendered form is one line per text.
            let rendered = dec(&out, Some(m)).unwrap();
            assert_eq!(
                rendered.iter().filter(|&&b| b == b'\n').count(),
                texts.len()
            );
        }
    }
}

#[test]
fn salvage_recovers_every_undamaged_packet() {
    let m = shared_model();
    let data = synthetic_text(600, 400, 3);
    for level in [Level::Exact, Level::Set] {
        let sz = enc(
            data.as_bytes(),
            Some(m),
            &options(level, Unlearned::Escape, 1000),
        );
        let full = dec(&sz, Some(m)).unwrap();
        // Packet starts: walk the framing through the decoder's own index.
        let starts: Vec<usize> = (0..sz.len() - 1)
            .filter(|&i| {
                sz[i..].starts_with(&PACKET_TAG)
                    && semzip::codec::packet::Packet::parse_at(&sz[i..]).is_some()
            })
            .collect();
        assert!(
            starts.len() >= 5,
            "want several packets, got {}",
            starts.len()
        );
        let k = starts.len() / 2;
        let (lost_packet, _) = semzip::codec::packet::Packet::parse_at(&sz[starts[k]..]).unwrap();
        let mut bad = sz.clone();
        bad[starts[k] + 12] ^= 0x55;
        assert!(dec(&bad, Some(m)).is_err(), "damage must be detected");
        let mut out = Vec::new();
        let rep = salvage(&bad, "bad.sz", &mut out, "out", Some(m)).unwrap();
        assert_eq!(rep.packets as usize, starts.len() - 1);
        assert_eq!(rep.lost.len(), 1);
        assert_eq!(rep.lost[0].first_text, lost_packet.first_text);
        assert_eq!(rep.lost[0].texts, Some(lost_packet.texts));
        match level {
            Level::Exact => {
                // Everything but the lost packet's bytes, in order.
                let mut want = Vec::new();
                let mut d = Decoder::new(&sz[..], "x", Some(m)).unwrap();
                let mut i = 0;
                while let Some(Decoded::Bytes(b)) = d.next_packet().unwrap() {
                    if i != k {
                        want.extend_from_slice(&b);
                    }
                    i += 1;
                }
                assert_eq!(out, want);
            }
            _ => {
                // Line i is still text i: the lost texts are empty lines.
                let full_lines: Vec<&[u8]> = full.split(|&b| b == b'\n').collect();
                let got_lines: Vec<&[u8]> = out.split(|&b| b == b'\n').collect();
                assert_eq!(full_lines.len(), got_lines.len());
                let lost = lost_packet.first_text..lost_packet.first_text + lost_packet.texts;
                for (i, (f, g)) in full_lines.iter().zip(&got_lines).enumerate() {
                    if lost.contains(&(i as u64)) {
                        assert!(g.is_empty());
                    } else {
                        assert_eq!(f, g, "line {i}");
                    }
                }
            }
        }
    }
}

#[test]
fn inspect_reports_the_header_and_totals() {
    let dir = tempfile::tempdir().unwrap();
    let data = synthetic_text(300, 200, 1);
    let sz = enc(
        data.as_bytes(),
        None,
        &options(Level::Set, Unlearned::Drop, 2000),
    );
    let p = dir.path().join("x.sz");
    std::fs::write(&p, &sz).unwrap();
    let info = inspect_sz(&p).unwrap();
    assert!(info.intact);
    assert_eq!(info.level, "set");
    assert_eq!(info.unlearned, "drop");
    assert_eq!(info.model, "embedded");
    assert_eq!(info.texts, data.lines().count() as u64);
    assert_eq!(info.original_bytes, Some(data.len() as u64));
    let mut bad = sz.clone();
    let n = bad.len();
    bad[n - TRAILER_BYTES - 3] ^= 1;
    std::fs::write(&p, &bad).unwrap();
    assert!(!inspect_sz(&p).unwrap().intact);
}

/// One valid file per level, small packets, for the damage properties.
fn samples() -> &'static Vec<Vec<u8>> {
    static S: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    S.get_or_init(|| {
        let data = synthetic_text(120, 150, 21);
        [Level::Exact, Level::Sequence, Level::Set]
            .into_iter()
            .map(|l| enc(data.as_bytes(), None, &options(l, Unlearned::Escape, 700)))
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn exact_round_trips_arbitrary_bytes(
        data in prop::collection::vec(any::<u8>(), 0..3000),
        pb in 1usize..2000,
    ) {
        let sz = enc(&data, None, &options(Level::Exact, Unlearned::Escape, pb));
        prop_assert_eq!(dec(&sz, None).unwrap(), data);
    }

    #[test]
    fn any_mutation_or_truncation_is_rejected(
        which in 0usize..3,
        pos in any::<prop::sample::Index>(),
        flip in 1u8..=255,
        cut in any::<prop::sample::Index>(),
    ) {
        let sz = &samples()[which];
        let mut m = sz.clone();
        let i = pos.index(m.len());
        m[i] ^= flip;
        prop_assert!(dec(&m, None).is_err(), "mutation at {} accepted", i);
        let c = cut.index(sz.len());
        prop_assert!(dec(&sz[..c], None).is_err(), "truncation to {} accepted", c);
        let mut sink = Vec::new();
        let _ = salvage(&m, "m", &mut sink, "o", None);
        let _ = salvage(&sz[..c], "m", &mut sink, "o", None);
    }

    #[test]
    fn random_bytes_are_rejected(data in prop::collection::vec(any::<u8>(), 0..400), magic in any::<bool>()) {
        let mut d = if magic { b"SZIP\x01\x00".to_vec() } else { Vec::new() };
        d.extend_from_slice(&data);
        prop_assert!(dec(&d, None).is_err());
        let mut sink = Vec::new();
        let _ = salvage(&d, "r", &mut sink, "o", None);
    }
}

// ---- the command line ----

fn bin() -> Command {
    crate::common::semzip()
}

fn run(args: &[&str], dir: &Path) -> std::process::Output {
    bin()
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Files in `dir`, so tests can check no temporary or partial file was left.
fn listing(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

#[test]
fn cli_round_trip_force_and_d_synonym() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("in.txt"), synthetic_text(200, 100, 2)).unwrap();
    let o = run(&["encode", "in.txt", "-o", "in.sz"], d);
    assert!(o.status.success(), "{}", stderr(&o));
    // No overwrite without -f, and the existing file is untouched.
    let before = std::fs::read(d.join("in.sz")).unwrap();
    let o = run(&["encode", "in.txt", "-o", "in.sz", "--level", "set"], d);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("-f"), "{}", stderr(&o));
    assert_eq!(std::fs::read(d.join("in.sz")).unwrap(), before);
    let o = run(
        &["encode", "in.txt", "-o", "in.sz", "--level", "set", "-f"],
        d,
    );
    assert!(o.status.success());
    assert_ne!(std::fs::read(d.join("in.sz")).unwrap(), before);
    std::fs::write(d.join("in.sz"), &before).unwrap();
    let o = run(&["-d", "in.sz", "-o", "out.txt"], d);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(d.join("out.txt")).unwrap(),
        std::fs::read(d.join("in.txt")).unwrap()
    );
    assert_eq!(listing(d).len(), 3);
}

#[test]
fn cli_stdin_to_stdout() {
    use std::io::Write;
    let data = synthetic_text(100, 80, 4).into_bytes();
    let pipe = |args: &[&str], input: &[u8]| {
        let mut c = bin()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        c.stdin.take().unwrap().write_all(input).unwrap();
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        o.stdout
    };
    let sz = pipe(&["encode", "-q"], &data);
    assert!(sz.starts_with(b"SZIP"));
    assert_eq!(pipe(&["decode", "-"], &sz), data);
    assert_eq!(pipe(&["-d", "-o", "-"], &sz), data);
}

#[test]
fn cli_failures_leave_no_file_and_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("in.txt"), synthetic_text(300, 100, 6)).unwrap();
    assert!(
        run(
            &["encode", "in.txt", "-o", "in.sz", "--packet-bytes", "500"],
            d
        )
        .status
        .success()
    );
    let mut sz = std::fs::read(d.join("in.sz")).unwrap();
    let mid = sz.len() / 2;
    sz[mid] ^= 0x40;
    std::fs::write(d.join("bad.sz"), &sz).unwrap();
    let before = listing(d);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["decode", "bad.sz", "-o", "out.txt"], "salvage"),
        (vec!["encode", ".", "-o", "x.sz"], "directory"),
        (vec!["encode", "missing.txt", "-o", "x.sz"], "missing.txt"),
        (vec!["encode", "in.txt", "-o", "nofolder/x.sz"], "folder"),
        (
            vec!["encode", "in.txt", "-m", "missing.model", "-o", "x.sz"],
            "missing.model",
        ),
        (
            vec!["encode", "in.txt", "-m", "in.txt", "-o", "x.sz"],
            "in.txt",
        ),
        (vec!["decode", "in.txt", "-o", "out.txt"], "not a .sz"),
        (vec!["encode", "in.txt", "-o", "in.txt", "-f"], "input"),
    ];
    for (args, needle) in cases {
        let o = run(&args, d);
        let e = stderr(&o);
        assert!(!o.status.success(), "{args:?} succeeded");
        assert_eq!(
            e.trim_end().lines().count(),
            1,
            "{args:?}: one line, got {e}"
        );
        assert!(e.contains(needle), "{args:?}: {e}");
        assert!(!e.contains("panicked"), "{args:?}: {e}");
        assert_eq!(listing(d), before, "{args:?} left a file");
    }
    // Salvage writes what it could recover, and says what was lost.
    // The exit code says the output is incomplete (issue 8, item 5).
    let o = run(&["decode", "bad.sz", "-o", "out.txt", "--salvage"], d);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("lost"), "{}", stderr(&o));
    assert!(d.join("out.txt").exists());
}

#[test]
fn cli_full_disk_is_one_error_line() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("skipping: no /dev/full");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.txt"), synthetic_text(200, 80, 8)).unwrap();
    let o = bin()
        .args(["encode", "-c", "in.txt"])
        .current_dir(dir.path())
        .stdout(Stdio::from(full))
        .output()
        .unwrap();
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(e.contains("space"), "{e}");
    assert_eq!(e.trim_end().lines().count(), 1);
}

#[test]
fn cli_wrong_model_names_both_fingerprints() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = shared_model();
    let b = train_model(&synthetic_text(500, 250, 77));
    a.save(d.join("a.model"), false).unwrap();
    b.save(d.join("b.model"), false).unwrap();
    std::fs::write(d.join("in.txt"), synthetic_text(100, 200, 9)).unwrap();
    let o = run(&["encode", "-m", "a.model", "in.txt", "-o", "in.sz"], d);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&["decode", "-m", "b.model", "in.sz", "-o", "out.txt"], d);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(e.contains(&format!("{:016x}", a.fingerprint())), "{e}");
    assert!(e.contains(&format!("{:016x}", b.fingerprint())), "{e}");
    assert!(!d.join("out.txt").exists());
    let o = run(&["decode", "-m", "a.model", "in.sz", "-o", "out.txt"], d);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(d.join("out.txt")).unwrap(),
        std::fs::read(d.join("in.txt")).unwrap()
    );
}

#[test]
fn cli_bench_json_rows_are_checked_in_the_same_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("in.txt"), synthetic_text(300, 150, 12)).unwrap();
    let o = run(&["bench", "in.txt", "--json", "--runs", "1"], d);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    let codecs: Vec<&str> = rows.iter().map(|r| r["codec"].as_str().unwrap()).collect();
    for c in [
        "semzip-exact",
        "semzip-set-escape",
        "semzip-sequence-drop",
        "zstd-3",
        "zstd-19",
    ] {
        assert!(codecs.contains(&c), "{c} missing from {codecs:?}");
    }
    for r in rows {
        for k in [
            "codec",
            "file",
            "bytes_in",
            "bytes_out",
            "bpc",
            "encode_mb_s",
            "decode_mb_s",
            "skill_f1",
            "texts_understood",
            "exact",
        ] {
            assert!(r.get(k).is_some(), "key {k} missing");
        }
        let codec = r["codec"].as_str().unwrap();
        let exact = r["exact"].as_bool().unwrap();
        assert_eq!(
            exact,
            codec == "semzip-exact"
                || ["zstd", "xz", "bzip2", "ppmd"]
                    .iter()
                    .any(|p| codec.starts_with(p) && !codec.contains('(')),
            "{codec}"
        );
        if codec.ends_with("escape") || exact {
            assert_eq!(r["skill_f1"].as_f64(), Some(1.0), "{codec}");
            assert_eq!(r["texts_understood"].as_f64(), Some(1.0), "{codec}");
        }
        let bpc = r["bpc"].as_f64().unwrap();
        let want = r["bytes_out"].as_f64().unwrap() * 8.0 / r["bytes_in"].as_f64().unwrap();
        assert!((bpc - want).abs() < 1e-9);
    }
}
