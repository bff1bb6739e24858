//! Integration tests of the text layer: segmentation, extractors, synthetic language.

use semzip::text::{Extractor, Segmentation, Segmenter};
use std::io::BufReader;
use std::path::PathBuf;
use std::time::Instant;

/// The plain fortune files (no `.dat`, `.u8` or symlinks), or None when absent.
fn fortune_files() -> Option<Vec<PathBuf>> {
    let dir = std::path::Path::new("/usr/share/games/fortunes");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .map(|e| e.path())
        .filter(|p| !matches!(p.extension().and_then(|x| x.to_str()), Some("dat" | "u8")))
        .collect();
    files.sort();
    (!files.is_empty()).then_some(files)
}

#[test]
fn fortunes_segment_and_extract_fast() {
    let Some(files) = fortune_files() else {
        eprintln!("skipping: /usr/share/games/fortunes absent (run corpora/fetch.sh)");
        return;
    };
    let ex = Extractor::words(true).unwrap();
    let start = Instant::now();
    let (mut bytes, mut texts, mut skills, mut empty_texts) = (0u64, 0u64, 0u64, 0u64);
    for f in &files {
        let file = std::fs::File::open(f).unwrap();
        let mut seg = Segmenter::new(BufReader::new(file), Segmentation::Fortunes, 1 << 20);
        for t in seg.by_ref() {
            let t = t.unwrap();
            let s = ex.skills(&t);
            skills += s.len() as u64;
            empty_texts += s.is_empty() as u64;
            texts += 1;
        }
        bytes += seg.stats().bytes;
        assert_eq!(seg.stats().texts, {
            let st = seg.stats();
            st.texts
        });
    }
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "fortunes: {} files, {bytes} bytes, {texts} texts, {skills} skills in {secs:.3} s = {:.1} MB/s",
        files.len(),
        bytes as f64 / 1e6 / secs
    );
    assert!(texts > 1000, "{texts}");
    // Fortunes are prose: nearly every entry has a content word.
    assert!(
        empty_texts * 100 < texts,
        "{empty_texts} of {texts} without skills"
    );
}
