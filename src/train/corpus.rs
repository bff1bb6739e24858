//! Corpus files: expanding directories, refusing binary files, streaming texts.

use crate::text::segment::{DEFAULT_MAX_TEXT_BYTES, SegmentStats, Segmentation, Segmenter};
use crate::{Error, Result};
use std::cell::RefCell;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

/// Bytes inspected at the start of a file to decide whether it is text.
const SNIFF_BYTES: usize = 64 * 1024;

/// Expands the corpus arguments: a file stays itself, a directory becomes its
/// regular files (sorted, `.dat` and `.u8` skipped: fortune indexes and links).
pub fn expand_corpora(args: &[PathBuf]) -> Result<Vec<PathBuf>> {
    if args.is_empty() {
        return Err(Error::invalid(
            "no corpus given: name at least one file or directory",
        ));
    }
    let mut out = Vec::new();
    for arg in args {
        let meta = std::fs::metadata(arg).map_err(|e| Error::io(arg, e))?;
        if meta.is_dir() {
            let mut files = Vec::new();
            for entry in std::fs::read_dir(arg).map_err(|e| Error::io(arg, e))? {
                let path = entry.map_err(|e| Error::io(arg, e))?.path();
                let skip = matches!(
                    path.extension().and_then(|e| e.to_str()),
                    Some("dat") | Some("u8")
                );
                if !skip && std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
                    files.push(path);
                }
            }
            if files.is_empty() {
                return Err(Error::corrupt(format!(
                    "{}: directory holds no corpus files",
                    arg.display()
                )));
            }
            files.sort();
            out.extend(files);
        } else if meta.is_file() {
            out.push(arg.clone());
        } else {
            return Err(Error::invalid(format!(
                "{}: not a regular file or directory",
                arg.display()
            )));
        }
    }
    Ok(out)
}

/// Refuses a file whose first bytes look binary (NUL or many control bytes).
pub fn check_text(path: &Path) -> Result<()> {
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    std::fs::File::open(path)
        .and_then(|f| f.take(SNIFF_BYTES as u64).read_to_end(&mut head))
        .map_err(|e| Error::io(path, e))?;
    if let Some(why) = binary_reason(&head) {
        return Err(Error::corrupt(format!(
            "{}: looks like a binary file ({why}), not text; give text corpora \
             (fortune .dat indexes are skipped when a directory is given)",
            path.display()
        )));
    }
    Ok(())
}

/// Why `head` looks binary, if it does.
fn binary_reason(head: &[u8]) -> Option<String> {
    if head.is_empty() {
        return None;
    }
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return Some("UTF-16 text: convert it to UTF-8, e.g. with iconv".into());
    }
    let nul = head.iter().filter(|&&b| b == 0).count();
    let control = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b | 0x08))
        .count();
    let n = head.len() as f64;
    if nul as f64 > 0.001 * n || nul > 16 {
        Some(format!("{nul} NUL bytes in its first {} bytes", head.len()))
    } else if control as f64 > 0.05 * n {
        Some(format!(
            "{:.0}% control bytes in its first {} bytes",
            100.0 * control as f64 / n,
            head.len()
        ))
    } else {
        None
    }
}

/// Adds one file's segmentation counts to a running total.
pub fn add_stats(total: &mut SegmentStats, s: &SegmentStats) {
    total.texts += s.texts;
    total.empty_skipped += s.empty_skipped;
    total.lossy_bytes += s.lossy_bytes;
    total.long_split += s.long_split;
    total.bytes += s.bytes;
}

/// Streams every text of every file, in order, into `f`; returns the summed
/// segmentation counts.
pub fn for_each_text(
    files: &[PathBuf],
    seg: Segmentation,
    mut f: impl FnMut(String) -> Result<()>,
) -> Result<SegmentStats> {
    let mut total = SegmentStats::default();
    for path in files {
        check_text(path)?;
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let mut seg_iter =
            Segmenter::new(BufReader::new(file), seg, DEFAULT_MAX_TEXT_BYTES).with_source(path);
        for text in seg_iter.by_ref() {
            let text = text.map_err(|e| match e {
                Error::Io { source, .. } => Error::io(path, source),
                other => other,
            })?;
            f(text)?;
        }
        add_stats(&mut total, seg_iter.stats());
    }
    Ok(total)
}

/// The texts of every file, in order, as a plain iterator; the first error is
/// stored in `failure` and ends the iteration.
pub fn texts<'a>(
    files: &'a [PathBuf],
    seg: Segmentation,
    failure: &'a RefCell<Option<Error>>,
) -> impl Iterator<Item = String> + 'a {
    files.iter().flat_map(move |path| {
        let open = || -> Result<Segmenter<BufReader<std::fs::File>>> {
            check_text(path)?;
            let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
            Ok(Segmenter::new(BufReader::new(file), seg, DEFAULT_MAX_TEXT_BYTES).with_source(path))
        };
        let segmenter = if failure.borrow().is_some() {
            None
        } else {
            match open() {
                Ok(s) => Some(s),
                Err(e) => {
                    *failure.borrow_mut() = Some(e);
                    None
                }
            }
        };
        segmenter.into_iter().flatten().map_while(move |r| match r {
            Ok(t) => Some(t),
            Err(e) => {
                *failure.borrow_mut() = Some(e);
                None
            }
        })
    })
}

/// What `corpus stats` reports about some corpus files (stable JSON keys).
#[derive(Debug, Clone, serde::Serialize)]
pub struct CorpusStats {
    /// Inputs read.
    pub files: usize,
    /// How the inputs were cut into texts.
    pub segmentation: String,
    /// The skill extractor, as a spec.
    pub extractor: String,
    /// Segmentation counts summed over the inputs.
    pub segment: SegmentStats,
    /// Skill occurrences over all texts.
    pub skills: u64,
    /// Distinct skills.
    pub distinct_skills: usize,
    /// Mean skills per text (0 without texts).
    pub mean_skills_per_text: f64,
    /// Texts in which the extractor found no skill.
    pub texts_without_skills: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Input megabytes per second.
    pub mb_per_s: f64,
}

/// Segments `inputs` (`-` is stdin; directories expand as for training) and
/// counts their texts and skills with the extractor `spec` (trained on these texts
/// when it learns a vocabulary).
pub fn corpus_stats(
    inputs: &[PathBuf],
    seg: Segmentation,
    spec: &crate::text::ExtractorSpec,
) -> Result<CorpusStats> {
    let start = std::time::Instant::now();
    let mut total = SegmentStats::default();
    let mut texts = Vec::new();
    let stdin_only = inputs.iter().all(|p| p.as_os_str() == "-");
    let files = if stdin_only {
        inputs.to_vec()
    } else {
        if inputs.iter().any(|p| p.as_os_str() == "-") {
            return Err(Error::invalid(
                "stdin (-) cannot be mixed with corpus files: give one or the other",
            ));
        }
        expand_corpora(inputs)?
    };
    for f in &files {
        let reader: Box<dyn std::io::BufRead> = if f.as_os_str() == "-" {
            Box::new(BufReader::new(std::io::stdin()))
        } else {
            check_text(f)?;
            let file = std::fs::File::open(f).map_err(|e| Error::reading(f, e))?;
            Box::new(BufReader::new(file))
        };
        let mut s = Segmenter::new(reader, seg, DEFAULT_MAX_TEXT_BYTES);
        for t in s.by_ref() {
            texts.push(t?);
        }
        add_stats(&mut total, s.stats());
    }
    let ex = crate::text::Extractor::train(spec, texts.iter().cloned())?;
    let (mut skills, mut without) = (0u64, 0u64);
    let mut distinct = std::collections::HashSet::new();
    for t in &texts {
        let s = ex.skills(t);
        skills += s.len() as u64;
        without += s.is_empty() as u64;
        distinct.extend(s);
    }
    let seconds = start.elapsed().as_secs_f64();
    let bytes = total.bytes;
    Ok(CorpusStats {
        files: files.len(),
        segmentation: seg.to_string(),
        extractor: ex.spec(),
        segment: total,
        skills,
        distinct_skills: distinct.len(),
        mean_skills_per_text: if texts.is_empty() {
            0.0
        } else {
            skills as f64 / texts.len() as f64
        },
        texts_without_skills: without,
        seconds,
        mb_per_s: bytes as f64 / 1e6 / seconds.max(1e-9),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_heads_are_recognized() {
        assert!(binary_reason(b"plain text\nwith lines\n").is_none());
        assert!(binary_reason(&[0u8; 100]).is_some());
        assert!(binary_reason(&[1u8, 2, 3, 4, 5, 6, 7, b'a']).is_some());
        assert!(binary_reason(b"").is_none());
        assert!(
            binary_reason(&[0xFF, 0xFE, b'a', 0])
                .unwrap()
                .contains("UTF-16")
        );
    }

    #[test]
    fn corpus_stats_count_texts_and_skills() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.txt");
        std::fs::write(&a, "red fox jumps\n\nblue fox\n").unwrap();
        let b = dir.path().join("b.txt");
        std::fs::write(&b, "green owl\n").unwrap();
        let spec = crate::text::ExtractorSpec::Words;
        let st = corpus_stats(&[a.clone(), b], Segmentation::Lines, &spec).unwrap();
        assert_eq!(st.files, 2);
        assert_eq!(st.segment.texts, 3);
        assert_eq!(st.segment.empty_skipped, 1);
        assert_eq!(st.skills, 7);
        assert_eq!(st.distinct_skills, 6);
        assert!((st.mean_skills_per_text - 7.0 / 3.0).abs() < 1e-12);
        let dir_stats = corpus_stats(&[dir.path().to_path_buf()], Segmentation::Lines, &spec);
        assert_eq!(dir_stats.unwrap().segment.texts, 3);
        let mixed = corpus_stats(&[a, "-".into()], Segmentation::Lines, &spec);
        assert!(mixed.unwrap_err().is_usage());
    }
}
