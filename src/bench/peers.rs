//! Peers users know, measured on the same bytes in the same run: external tools
//! (xz -9, bzip2 -9, PPMd through 7z, single-threaded) and small packets (the input
//! cut into chunks, each coded alone: semzip's exact payload with the shared model
//! beside a zstd frame per chunk, with and without the dictionary).

use super::{BenchRow, bpc, mb_s, median};
use crate::Error;
use crate::codec::coder::{self, CoderContext};
use crate::model::Model;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Instant;

/// A row for a tool that could not be measured: says so instead of vanishing
/// ([`BenchRow::is_missing`]).
fn missing(codec: &str, name: &str, len: usize, why: &str) -> BenchRow {
    BenchRow {
        codec: format!("{codec} ({why})"),
        file: name.to_string(),
        bytes_in: len as u64,
        bytes_out: 0,
        bpc: 0.0,
        encode_mb_s: f64::NAN,
        decode_mb_s: f64::NAN,
        skill_f1: f64::NAN,
        texts_understood: f64::NAN,
        exact: false,
        sequence_similarity: None,
        escapes: 0,
    }
}

/// Runs `f` `runs` times (at least once): its last result and the median seconds, or
/// its first error.
pub(crate) fn timed<T, E>(runs: usize, mut f: impl FnMut() -> Result<T, E>) -> Result<(T, f64), E> {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        last = Some(f()?);
        times.push(t.elapsed().as_secs_f64());
    }
    Ok((last.expect("at least one run"), median(times)))
}

/// Runs `prog args`, feeding `input` on stdin; its stdout, or None when it cannot
/// run or fails.
fn pipe(prog: &str, args: &[&str], input: &[u8]) -> Option<Vec<u8>> {
    let mut child = Command::new(prog)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut stdin = child.stdin.take()?;
    let data = input.to_vec();
    let feeder = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output().ok()?;
    let fed = feeder.join().ok()?;
    (out.status.success() && fed.is_ok()).then_some(out.stdout)
}

fn found(prog: &str) -> bool {
    Command::new(prog)
        .arg("-h")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// One external compressor: `enc` and `dec` turn stdin into stdout.
fn tool_row(
    codec: &str,
    prog: &str,
    enc: &[&str],
    dec: &[&str],
    data: &[u8],
    name: &str,
    runs: usize,
) -> BenchRow {
    if !found(prog) {
        return missing(codec, name, data.len(), &format!("{prog} not installed"));
    }
    let Ok((out, et)) = timed(runs, || pipe(prog, enc, data).ok_or(())) else {
        return missing(codec, name, data.len(), &format!("{prog} failed"));
    };
    let (back, dt) = timed(runs, || {
        Ok::<_, ()>(pipe(prog, dec, &out).unwrap_or_default())
    })
    .unwrap_or_default();
    row(
        codec.into(),
        name,
        data.len(),
        out.len(),
        et,
        dt,
        back == data,
    )
}

/// PPMd as 7-Zip runs it (`7z a -m0=PPMd -mx=9 -mmt=1`), through a temporary archive.
fn ppmd_row(data: &[u8], name: &str, runs: usize) -> BenchRow {
    let codec = "ppmd-7z-mx9";
    if !found("7z") {
        return missing(codec, name, data.len(), "7z not installed");
    }
    let Ok(dir) = tempfile::tempdir() else {
        return missing(codec, name, data.len(), "no temporary folder");
    };
    let arc = dir.path().join("a.7z");
    let arc_s = arc.to_string_lossy().into_owned();
    let args = [
        "a", "-si", "-m0=PPMd", "-mx=9", "-mmt=1", "-bd", "-y", &arc_s,
    ];
    let encoded = timed(runs, || {
        let _ = std::fs::remove_file(&arc);
        pipe("7z", &args, data).ok_or(())?;
        std::fs::metadata(&arc).map(|m| m.len()).map_err(|_| ())
    });
    let Ok((size, et)) = encoded else {
        return missing(codec, name, data.len(), "7z failed");
    };
    let (back, dt) = timed(runs, || {
        Ok::<_, ()>(pipe("7z", &["x", "-so", &arc_s], &[]).unwrap_or_default())
    })
    .unwrap_or_default();
    row(
        codec.into(),
        name,
        data.len(),
        size as usize,
        et,
        dt,
        back == data,
    )
}

/// Rows [`external_rows_each`] gives: xz, bzip2 and PPMd.
pub const EXTERNAL_ROWS: u64 = 3;

/// Rows of the external peers (xz -9, bzip2 -9, PPMd through 7z, one thread), each
/// handed to `each` as soon as it is measured; a peer that cannot run gives a row
/// saying why.
pub fn external_rows_each(data: &[u8], name: &str, runs: usize, each: &mut dyn FnMut(BenchRow)) {
    each(tool_row(
        "xz-9",
        "xz",
        &["-9", "-c", "-T1"],
        &["-d", "-c"],
        data,
        name,
        runs,
    ));
    each(tool_row(
        "bzip2-9",
        "bzip2",
        &["-9", "-c"],
        &["-d", "-c"],
        data,
        name,
        runs,
    ));
    each(ppmd_row(data, name, runs));
}

/// Rows of the external peers, in one list (see [`external_rows_each`]).
pub fn external_rows(data: &[u8], name: &str, runs: usize) -> Vec<BenchRow> {
    let mut rows = Vec::new();
    external_rows_each(data, name, runs, &mut |r| rows.push(r));
    rows
}

/// How the input is cut into small packets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chunking {
    /// Chunks of this many bytes (the last may be shorter).
    Bytes(usize),
    /// Chunks of this many lines.
    Lines(usize),
}

impl Chunking {
    fn cut<'d>(&self, data: &'d [u8]) -> Vec<&'d [u8]> {
        match *self {
            Chunking::Bytes(b) => data.chunks(b.max(1)).collect(),
            Chunking::Lines(n) => {
                let mut out = Vec::new();
                let mut start = 0;
                let mut lines = 0;
                for (i, &c) in data.iter().enumerate() {
                    if c == b'\n' {
                        lines += 1;
                        if lines == n.max(1) {
                            out.push(&data[start..=i]);
                            start = i + 1;
                            lines = 0;
                        }
                    }
                }
                if start < data.len() {
                    out.push(&data[start..]);
                }
                out
            }
        }
    }

    /// How the cut is named in row names (`4096B`, `1lines`).
    pub fn label(&self) -> String {
        match *self {
            Chunking::Bytes(b) => format!("{b}B"),
            Chunking::Lines(n) => format!("{n}lines"),
        }
    }
}

/// Small-packet rows: every chunk coded on its own. semzip: the exact payload with
/// the shared model's priors (or none without a model), decoded and checked;
/// zstd -19: one frame per chunk, with the dictionary when given.
pub fn packet_rows(
    data: &[u8],
    name: &str,
    model: Option<&Model>,
    dict: Option<&[u8]>,
    how: Chunking,
) -> crate::Result<Vec<BenchRow>> {
    let chunks = how.cut(data);
    let ctx = match model {
        Some(m) => CoderContext::new(&m.codebook, &m.associations).with_prime(&m.prime),
        None => CoderContext::new(&crate::model::Codebook::default(), &[]),
    };
    let label = how.label();
    let mut rows = Vec::new();
    // semzip exact, one payload per chunk.
    let t = Instant::now();
    let payloads: Vec<Vec<u8>> = chunks
        .iter()
        .map(|c| coder::encode_exact(&ctx, c))
        .collect();
    let et = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut ok = true;
    for (p, c) in payloads.iter().zip(&chunks) {
        ok &= coder::decode_exact(&ctx, p)? == *c;
    }
    let dt = t.elapsed().as_secs_f64();
    let out: usize = payloads.iter().map(Vec::len).sum();
    rows.push(row(
        format!("semzip-exact-{label}"),
        name,
        data.len(),
        out,
        et,
        dt,
        ok,
    ));
    // zstd -19 per chunk, with and without the dictionary.
    let zerr = |e: std::io::Error| Error::invalid(format!("zstd failed on {name}: {e}"));
    let mut peers: Vec<(String, Option<&[u8]>)> = vec![(format!("zstd-19-{label}"), None)];
    if let Some(d) = dict {
        peers.push((format!("zstd-19-dict-{label}"), Some(d)));
    }
    for (codec, d) in peers {
        let t = Instant::now();
        let mut c = match d {
            Some(d) => zstd::bulk::Compressor::with_dictionary(19, d).map_err(zerr)?,
            None => zstd::bulk::Compressor::new(19).map_err(zerr)?,
        };
        let frames: Vec<Vec<u8>> = chunks
            .iter()
            .map(|ch| c.compress(ch))
            .collect::<std::io::Result<_>>()
            .map_err(zerr)?;
        let et = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut dc = match d {
            Some(d) => zstd::bulk::Decompressor::with_dictionary(d).map_err(zerr)?,
            None => zstd::bulk::Decompressor::new().map_err(zerr)?,
        };
        let mut ok = true;
        for (f, ch) in frames.iter().zip(&chunks) {
            ok &= dc.decompress(f, ch.len()).map_err(zerr)? == *ch;
        }
        let dt = t.elapsed().as_secs_f64();
        let out: usize = frames.iter().map(Vec::len).sum();
        rows.push(row(codec, name, data.len(), out, et, dt, ok));
    }
    Ok(rows)
}

/// The row of a lossless coder: `out` bytes from `n`, `et` and `dt` seconds to encode
/// and decode, `ok` when the bytes came back.
pub(crate) fn row(
    codec: String,
    name: &str,
    n: usize,
    out: usize,
    et: f64,
    dt: f64,
    ok: bool,
) -> BenchRow {
    BenchRow {
        codec,
        file: name.to_string(),
        bytes_in: n as u64,
        bytes_out: out as u64,
        bpc: bpc(out, n),
        encode_mb_s: mb_s(n, et),
        decode_mb_s: mb_s(n, dt),
        skill_f1: if ok { 1.0 } else { 0.0 },
        texts_understood: if ok { 1.0 } else { 0.0 },
        exact: ok,
        sequence_similarity: ok.then_some(1.0),
        escapes: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_input_in_order() {
        let data = b"a\nbb\nccc\nd";
        for how in [Chunking::Bytes(3), Chunking::Lines(2), Chunking::Lines(1)] {
            let parts = how.cut(data);
            assert_eq!(parts.concat(), data.to_vec(), "{how:?}");
        }
        assert_eq!(Chunking::Lines(2).cut(data)[0], b"a\nbb\n");
    }

    #[test]
    fn a_missing_tool_gives_a_row_that_says_so() {
        let r = tool_row("nope", "semzip-no-such-tool", &[], &[], b"abc", "f", 1);
        assert!(r.codec.contains("not installed") && r.bytes_out == 0 && !r.exact);
        assert!(r.is_missing());
        let found = tool_row("cat", "cat", &[], &[], b"abc", "f", 2);
        assert!(
            !found.is_missing() && found.exact && found.bytes_out == 3,
            "{found:?}"
        );
    }
}
