//! Rate against fidelity, measured: semzip at each level beside zstd on the same
//! bytes in the same run, every semzip row decoded and checked (`semzip bench`).

pub mod peers;

use crate::Error;
use crate::codec::{Decoded, Decoder, EncodeOptions};
use crate::codec::{Level, Unlearned};
use crate::model::Model;
use crate::pipeline::{EmbedOptions, encode};
use crate::text::extract::Extractor;
use crate::text::segment::{DEFAULT_MAX_TEXT_BYTES, Segmentation, Segmenter};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// One row of the benchmark (the JSON schema of `--json`).
#[derive(Debug, Clone, Serialize)]
pub struct BenchRow {
    /// `semzip-<level>[-<unlearned>]`, `zstd-3`, `zstd-19` or `zstd-19-dict`.
    pub codec: String,
    /// The file measured.
    pub file: String,
    /// Bytes of the file.
    pub bytes_in: u64,
    /// Bytes of compressed output (semzip: the whole `.sz` file).
    pub bytes_out: u64,
    /// Bits of output per input byte.
    pub bpc: f64,
    /// Encoding speed over the input, MB/s (median of the runs).
    pub encode_mb_s: f64,
    /// Decoding speed over the input, MB/s (median of the runs).
    pub decode_mb_s: f64,
    /// Skill F1 of the decoded texts against the extractor's skill sets of the original.
    pub skill_f1: f64,
    /// Share of texts whose decoded skill set equals the original's.
    pub texts_understood: f64,
    /// True when decoding gives back every byte.
    pub exact: bool,
    /// Sequence level: mean over texts of 1 - token edit distance / longer length,
    /// against the extractor's skill sequence of the original (exact: 1; set: none).
    pub sequence_similarity: Option<f64>,
    /// Literal skills (lossy) or words outside the codebook (exact) sent.
    pub escapes: u64,
}

/// The median of some durations, in seconds.
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn mb_s(bytes: usize, secs: f64) -> f64 {
    if secs <= 0.0 {
        f64::NAN
    } else {
        bytes as f64 / 1e6 / secs
    }
}

/// All rows for one file: semzip at each level (lossy levels with each choice for
/// unlearned skills), then zstd.
pub fn bench_file(
    path: &Path,
    model: Option<&Model>,
    dict: Option<&[u8]>,
    texts_cut: Segmentation,
    runs: usize,
) -> crate::Result<Vec<BenchRow>> {
    if path.is_dir() {
        return Err(Error::invalid(format!(
            "{}: is a directory; give files",
            path.display()
        )));
    }
    let data = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let name = path.display().to_string();
    let mut rows = Vec::new();
    let mut reference: Option<Vec<Vec<String>>> = None;
    let mut reference_seq: Option<Vec<Vec<String>>> = None;
    let cases = [
        (Level::Exact, Unlearned::Escape),
        (Level::Sequence, Unlearned::Escape),
        (Level::Sequence, Unlearned::Drop),
        (Level::Set, Unlearned::Escape),
        (Level::Set, Unlearned::Drop),
    ];
    for (level, unlearned) in cases {
        let opts = EncodeOptions {
            level,
            unlearned,
            texts: texts_cut,
            ..EncodeOptions::default()
        };
        let mut enc_times = Vec::new();
        let mut sz = Vec::new();
        let mut stats = None;
        for _ in 0..runs {
            sz.clear();
            let t0 = Instant::now();
            let s = encode(
                &data[..],
                &name,
                &mut sz,
                "<memory>",
                model,
                &opts,
                &EmbedOptions::default(),
            )?;
            enc_times.push(t0.elapsed().as_secs_f64());
            stats = Some(s);
        }
        let mut dec_times = Vec::new();
        let mut decoded = Vec::new();
        let mut extractor: Option<Extractor> = None;
        for _ in 0..runs {
            decoded.clear();
            let t0 = Instant::now();
            let mut d = Decoder::new(&sz[..], "<memory>", model)?;
            while let Some(p) = d.next_packet()? {
                decoded.push(p);
            }
            dec_times.push(t0.elapsed().as_secs_f64());
            extractor.get_or_insert_with(|| d.model().extractor.clone());
        }
        let mut similarity = None;
        let (f1, understood, exact) = match level {
            Level::Exact => {
                let mut back = Vec::with_capacity(data.len());
                for p in &decoded {
                    p.render_into(&mut back);
                }
                let ok = back == data;
                let v = if ok { 1.0 } else { 0.0 };
                similarity = Some(v);
                (v, v, ok)
            }
            _ => {
                let ex = extractor
                    .as_ref()
                    .ok_or_else(|| Error::invalid("internal: no extractor after decoding"))?;
                let reference = match &reference {
                    Some(r) => r,
                    None => reference.insert(reference_sets(&data, texts_cut, ex)?),
                };
                let texts: Vec<&Vec<String>> = decoded
                    .iter()
                    .flat_map(|p| match p {
                        Decoded::Texts(t) => t.iter().collect::<Vec<_>>(),
                        Decoded::Bytes(_) => Vec::new(),
                    })
                    .collect();
                let (f1, understood) = fidelity(reference, &texts)
                    .map_err(|e| Error::corrupt(format!("{name}: level {level}: {e}")))?;
                if level == Level::Sequence {
                    let seqs = match &reference_seq {
                        Some(r) => r,
                        None => reference_seq.insert(reference_sequences(&data, texts_cut, ex)?),
                    };
                    similarity = Some(sequence_similarity(seqs, &texts));
                }
                (f1, understood, false)
            }
        };
        let codec = match level {
            Level::Exact => "semzip-exact".to_string(),
            _ => format!("semzip-{level}-{unlearned}"),
        };
        let escapes = stats.map_or(0, |s| s.escapes);
        rows.push(BenchRow {
            codec,
            file: name.clone(),
            bytes_in: data.len() as u64,
            bytes_out: sz.len() as u64,
            bpc: bpc(sz.len(), data.len()),
            encode_mb_s: mb_s(data.len(), median(enc_times)),
            decode_mb_s: mb_s(data.len(), median(dec_times)),
            skill_f1: f1,
            texts_understood: understood,
            exact,
            sequence_similarity: similarity,
            escapes,
        });
    }
    for level in [3, 19] {
        rows.push(zstd_row(&data, &name, level, None, runs)?);
    }
    if let Some(d) = dict {
        rows.push(zstd_row(&data, &name, 19, Some(d), runs)?);
    }
    rows.extend(peers::external_rows(&data, &name, runs));
    Ok(rows)
}

fn bpc(out: usize, input: usize) -> f64 {
    if input == 0 {
        0.0
    } else {
        out as f64 * 8.0 / input as f64
    }
}

/// The extractor's skill set of each text of the original, in text order.
fn reference_sets(
    data: &[u8],
    seg: Segmentation,
    ex: &Extractor,
) -> crate::Result<Vec<Vec<String>>> {
    Segmenter::new(data, seg, DEFAULT_MAX_TEXT_BYTES)
        .map(|t| t.map(|t| ex.skill_set(&t)))
        .collect()
}

/// The extractor's skill sequence of each text of the original, in text order.
fn reference_sequences(
    data: &[u8],
    seg: Segmentation,
    ex: &Extractor,
) -> crate::Result<Vec<Vec<String>>> {
    Segmenter::new(data, seg, DEFAULT_MAX_TEXT_BYTES)
        .map(|t| t.map(|t| ex.skills(&t)))
        .collect()
}

/// Mean over texts of 1 - (token edit distance / longer length); 1 for two empty texts
/// (`fidelity::measures::edit_similarity`; 0 when the text counts differ).
pub fn sequence_similarity(reference: &[Vec<String>], decoded: &[&Vec<String>]) -> f64 {
    crate::fidelity::measures::edit_similarity(reference, decoded).unwrap_or(0.0)
}

/// Micro-averaged skill F1 and share of texts whose decoded set equals the reference.
pub fn fidelity(reference: &[Vec<String>], decoded: &[&Vec<String>]) -> Result<(f64, f64), String> {
    if reference.len() != decoded.len() {
        return Err(format!(
            "decoded {} texts, the original has {}",
            decoded.len(),
            reference.len()
        ));
    }
    let (mut tp, mut nd, mut nr, mut same) = (0usize, 0usize, 0usize, 0usize);
    for (r, d) in reference.iter().zip(decoded) {
        let mut d: Vec<&str> = d.iter().map(String::as_str).collect();
        d.sort_unstable();
        d.dedup();
        let hits = d
            .iter()
            .filter(|s| r.binary_search_by(|x| x.as_str().cmp(s)).is_ok())
            .count();
        tp += hits;
        nd += d.len();
        nr += r.len();
        if hits == r.len() && d.len() == r.len() {
            same += 1;
        }
    }
    let f1 = if nd + nr == 0 {
        1.0
    } else {
        2.0 * tp as f64 / (nd + nr) as f64
    };
    let understood = if reference.is_empty() {
        1.0
    } else {
        same as f64 / reference.len() as f64
    };
    Ok((f1, understood))
}

/// A zstd row: compress and decompress the whole file, check the bytes.
fn zstd_row(
    data: &[u8],
    name: &str,
    level: i32,
    dict: Option<&[u8]>,
    runs: usize,
) -> crate::Result<BenchRow> {
    let zerr = |e: std::io::Error| Error::invalid(format!("zstd failed on {name}: {e}"));
    let mut enc_times = Vec::new();
    let mut out = Vec::new();
    for _ in 0..runs {
        let t0 = Instant::now();
        out = match dict {
            Some(d) => zstd::bulk::Compressor::with_dictionary(level, d)
                .and_then(|mut c| c.compress(data))
                .map_err(zerr)?,
            None => zstd::bulk::compress(data, level).map_err(zerr)?,
        };
        enc_times.push(t0.elapsed().as_secs_f64());
    }
    let mut dec_times = Vec::new();
    let mut back = Vec::new();
    for _ in 0..runs {
        let t0 = Instant::now();
        back = match dict {
            Some(d) => zstd::bulk::Decompressor::with_dictionary(d)
                .and_then(|mut c| c.decompress(&out, data.len()))
                .map_err(zerr)?,
            None => zstd::bulk::decompress(&out, data.len()).map_err(zerr)?,
        };
        dec_times.push(t0.elapsed().as_secs_f64());
    }
    let ok = back == data;
    Ok(BenchRow {
        codec: match dict {
            Some(_) => format!("zstd-{level}-dict"),
            None => format!("zstd-{level}"),
        },
        file: name.to_string(),
        bytes_in: data.len() as u64,
        bytes_out: out.len() as u64,
        bpc: bpc(out.len(), data.len()),
        encode_mb_s: mb_s(data.len(), median(enc_times)),
        decode_mb_s: mb_s(data.len(), median(dec_times)),
        skill_f1: if ok { 1.0 } else { 0.0 },
        texts_understood: if ok { 1.0 } else { 0.0 },
        exact: ok,
        sequence_similarity: Some(if ok { 1.0 } else { 0.0 }),
        escapes: 0,
    })
}

/// Largest zstd dictionary (zstd's own default size).
const DICT_BYTES: usize = 112_640;
/// Bytes of corpus the dictionary is trained on, at most.
const DICT_CORPUS_BYTES: usize = 64 << 20;

/// Trains a zstd dictionary on the texts of the model's training corpus.
pub fn train_dictionary(files: &[PathBuf], seg: Segmentation) -> crate::Result<Vec<u8>> {
    let mut sample = Vec::new();
    let mut sizes = Vec::new();
    'files: for f in files {
        if f.is_dir() {
            return Err(Error::parameter(
                "dict_corpus",
                f.display(),
                "is a directory: give the corpus files",
            ));
        }
        let data = std::fs::read(f).map_err(|e| Error::io(f, e))?;
        for t in Segmenter::new(&data[..], seg, DEFAULT_MAX_TEXT_BYTES) {
            let t = t?;
            if sample.len() + t.len() + 1 > DICT_CORPUS_BYTES {
                break 'files;
            }
            sample.extend_from_slice(t.as_bytes());
            sample.push(b'\n');
            sizes.push(t.len() + 1);
        }
    }
    zstd::dict::from_continuous(&sample, &sizes, DICT_BYTES).map_err(|e| {
        Error::Zstd(format!(
            "cannot train a dictionary on the dictionary corpus ({} texts): {e}",
            sizes.len()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn sequence_similarity_is_the_edit_similarity() {
        let r = vec![v("a b c d"), v("")];
        let d1 = v("a b c");
        let d2 = v("");
        let s = sequence_similarity(&r, &[&d1, &d2]);
        assert!((s - (0.75 + 1.0) / 2.0).abs() < 1e-12);
    }

    #[test]
    fn fidelity_counts_hits_and_whole_texts() {
        let r = vec![v("a b"), v("c")];
        let d1 = v("b a");
        let d2 = v("x");
        let (f1, understood) = fidelity(&r, &[&d1, &d2]).unwrap();
        // tp = 2, decoded 3, reference 3.
        assert!((f1 - 4.0 / 6.0).abs() < 1e-12);
        assert!((understood - 0.5).abs() < 1e-12);
        assert!(fidelity(&r, &[&d1]).is_err());
    }
}
