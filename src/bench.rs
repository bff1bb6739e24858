//! Rate against fidelity, measured: semzip at each level beside zstd on the same
//! bytes in the same run, every semzip row decoded and checked (`semzip bench`).

pub mod peers;

use crate::Error;
use crate::codec::{Decoded, Decoder, EncodeOptions};
use crate::codec::{Level, Unlearned};
use crate::fidelity::measures::{Information, edit_similarity, set_scores};
use crate::model::Model;
use crate::pipeline::{EmbedOptions, encode};
use crate::progress::{Progress, Silent};
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

impl BenchRow {
    /// True for the row of a peer that could not be measured (a tool not installed
    /// or failing): its codec name says why, and it holds no measurement.
    pub fn is_missing(&self) -> bool {
        self.bytes_out == 0 && self.encode_mb_s.is_nan() && !self.exact
    }
}

/// Rows [`bench_file`] measures for each file: five semzip rows, zstd 3 and 19, zstd
/// 19 with the dictionary when there is one, and the three external peers.
pub fn rows_per_file(with_dict: bool) -> u64 {
    5 + 2 + u64::from(with_dict) + peers::EXTERNAL_ROWS
}

/// All rows for one file: semzip at each level (lossy levels with each choice for
/// unlearned skills), then zstd, then the external peers.
pub fn bench_file(
    path: &Path,
    model: Option<&Model>,
    dict: Option<&[u8]>,
    texts_cut: Segmentation,
    runs: usize,
) -> crate::Result<Vec<BenchRow>> {
    bench_file_with(path, model, dict, texts_cut, runs, &Silent, &mut |_| {})
}

/// [`bench_file`], handing each row to `on_row` as soon as it is measured and
/// advancing `progress` by one per row ([`rows_per_file`] in all; the caller starts
/// and finishes it, so that one bar can span several files).
pub fn bench_file_with(
    path: &Path,
    model: Option<&Model>,
    dict: Option<&[u8]>,
    texts_cut: Segmentation,
    runs: usize,
    progress: &dyn Progress,
    on_row: &mut dyn FnMut(&BenchRow),
) -> crate::Result<Vec<BenchRow>> {
    let mut rows = Vec::new();
    let mut push = |row: BenchRow| {
        on_row(&row);
        progress.advance(1);
        rows.push(row);
    };
    if path.is_dir() {
        return Err(Error::invalid(format!(
            "{}: is a directory; give files",
            path.display()
        )));
    }
    let data = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let name = path.display().to_string();
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
                let scores = set_scores(reference, &texts, &Information::default())
                    .map_err(|e| Error::corrupt(format!("{name}: level {level}: {e}")))?;
                if level == Level::Sequence {
                    let seqs = match &reference_seq {
                        Some(r) => r,
                        None => reference_seq.insert(reference_sequences(&data, texts_cut, ex)?),
                    };
                    similarity = Some(
                        edit_similarity(seqs, &texts)
                            .map_err(|e| Error::corrupt(format!("{name}: level {level}: {e}")))?,
                    );
                }
                (scores.f1, scores.texts_understood, false)
            }
        };
        let codec = match level {
            Level::Exact => "semzip-exact".to_string(),
            _ => format!("semzip-{level}-{unlearned}"),
        };
        let escapes = stats.map_or(0, |s| s.escapes);
        push(BenchRow {
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
        push(zstd_row(&data, &name, level, None, runs)?);
    }
    if let Some(d) = dict {
        push(zstd_row(&data, &name, 19, Some(d), runs)?);
    }
    peers::external_rows_each(&data, &name, runs, &mut push);
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

/// A zstd row: compress and decompress the whole file, check the bytes.
fn zstd_row(
    data: &[u8],
    name: &str,
    level: i32,
    dict: Option<&[u8]>,
    runs: usize,
) -> crate::Result<BenchRow> {
    let zerr = |e: std::io::Error| Error::Zstd(format!("zstd failed on {name}: {e}"));
    let (out, et) = peers::timed(runs, || match dict {
        Some(d) => {
            zstd::bulk::Compressor::with_dictionary(level, d).and_then(|mut c| c.compress(data))
        }
        None => zstd::bulk::compress(data, level),
    })
    .map_err(zerr)?;
    let (back, dt) = peers::timed(runs, || match dict {
        Some(d) => zstd::bulk::Decompressor::with_dictionary(d)
            .and_then(|mut c| c.decompress(&out, data.len())),
        None => zstd::bulk::decompress(&out, data.len()),
    })
    .map_err(zerr)?;
    let codec = match dict {
        Some(_) => format!("zstd-{level}-dict"),
        None => format!("zstd-{level}"),
    };
    Ok(peers::row(
        codec,
        name,
        data.len(),
        out.len(),
        et,
        dt,
        back == data,
    ))
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

    #[test]
    fn rows_stream_in_order_and_advance_the_progress_once_each() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("t.txt");
        let mut text = String::new();
        for i in 0..200 {
            text.push_str(&format!("alpha beta{} gamma{} delta\n", i % 7, i % 5));
        }
        std::fs::write(&f, &text).unwrap();
        let counter = crate::progress::Counter::default();
        let mut seen = Vec::new();
        let rows = bench_file_with(&f, None, None, Segmentation::Lines, 1, &counter, &mut |r| {
            seen.push(r.codec.clone())
        })
        .unwrap();
        let codecs: Vec<String> = rows.iter().map(|r| r.codec.clone()).collect();
        assert_eq!(seen, codecs);
        assert_eq!(rows.len() as u64, rows_per_file(false));
        assert_eq!(counter.get().1, rows_per_file(false));
        let set = &rows[3];
        assert_eq!(set.codec, "semzip-set-escape");
        // Escaped skills come back: the set level keeps every skill set.
        assert_eq!((set.skill_f1, set.texts_understood), (1.0, 1.0));
    }
}
