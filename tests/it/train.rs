//! Integration tests for training, the model file and the train/inspect commands.

use proptest::prelude::*;
use semzip::model::Model;
use semzip::peel::Learner;
use semzip::text::extract::ExtractorSpec;
use semzip::text::segment::Segmentation;
use semzip::train::{TrainOptions, train, train_texts};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::common::synthetic_corpus;

/// A pseudo-word that is never an English stop word.
fn word(i: usize) -> String {
    format!("zq{i}x")
}

fn write_file(dir: &Path, name: &str, lines: &[String]) -> PathBuf {
    let p = dir.join(name);
    let mut f = std::fs::File::create(&p).unwrap();
    for l in lines {
        writeln!(f, "{l}").unwrap();
    }
    p
}

fn opts() -> TrainOptions {
    TrainOptions {
        segmentation: Segmentation::Lines,
        extractor: ExtractorSpec::WordsNoStop,
        learner: Learner::capacity(1).unwrap(),
        holdout: 0.1,
        seed: 7,
        foundation: None,
        scaling_points: 6,
        allow_empty: false,
    }
}

/// The bytes of one model trained on a synthetic corpus, shared by the tests.
fn model_bytes() -> &'static Vec<u8> {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        let (m, _) = train_texts(
            synthetic_corpus(2000, 300, 1).lines.into_iter(),
            vec!["synthetic".into()],
            &opts(),
        )
        .unwrap();
        m.to_bytes()
    })
}

#[test]
fn training_is_deterministic_and_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_file(dir.path(), "c.txt", &synthetic_corpus(4000, 500, 3).lines);
    let (a, ra) = train(std::slice::from_ref(&p), &opts()).unwrap();
    let (b, _) = train(std::slice::from_ref(&p), &opts()).unwrap();
    assert_eq!(a.to_bytes(), b.to_bytes());
    assert_eq!(a.fingerprint(), b.fingerprint());
    assert!(ra.learned > 0 && ra.learned <= ra.skills);
    assert_eq!(a.codebook.len() as u64, ra.learned);
    assert!((0.0..=1.0).contains(&ra.de_learned_fraction));
    assert!(ra.scaling.len() >= 6);
    assert_eq!(ra.scaling.last().unwrap().texts, ra.texts);
    assert!(ra.heldout_texts > 0);
    let e = ra.heldout_skill_error.unwrap();
    assert!((0.0..=1.0).contains(&e));
    // Skills absent from training are a part of the error, never more.
    assert!(ra.heldout_unseen_error.unwrap() <= e);
    // The trajectory is non-decreasing and ends at the learned count.
    assert!(ra.trajectory.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(*ra.trajectory.last().unwrap(), ra.learned);
    // Counts are the training degrees: every learned skill's count is at least 1.
    assert!(a.codebook.counts().iter().all(|&c| c >= 1));
    // Associations are within the codebook, ordered, bounded.
    let n = a.codebook.len() as u32;
    assert!(
        a.associations
            .iter()
            .all(|&(x, y, c)| x < y && y < n && c >= 1)
    );
    assert!(a.associations.len() <= 4 * a.codebook.len());

    // Save, refuse to clobber, load back identical.
    let m = dir.path().join("m.szm");
    a.save(&m, false).unwrap();
    assert!(a.save(&m, false).is_err());
    let back = Model::load(&m).unwrap();
    assert_eq!(back.to_bytes(), a.to_bytes());
    assert_eq!(back.fingerprint(), a.fingerprint());

    // A different seed moves the held-out split, so the model changes.
    let mut o = opts();
    o.seed = 8;
    let (c, _) = train(std::slice::from_ref(&p), &o).unwrap();
    assert_ne!(c.fingerprint(), a.fingerprint());
}

#[test]
fn capacity_two_learns_what_capacity_one_cannot() {
    // Every text has two skills and no skill is alone anywhere: capacity 1 is stuck.
    let lines: Vec<String> = (0..50)
        .map(|i| format!("{} {}", word(2 * i), word(2 * i + 1)))
        .collect();
    let mut o = opts();
    o.holdout = 0.0;
    let err = train_texts(lines.clone().into_iter(), vec!["pairs".into()], &o).unwrap_err();
    assert!(
        err.to_string().contains("nothing could be learned"),
        "{err}"
    );
    o.allow_empty = true;
    let (empty, r) = train_texts(lines.clone().into_iter(), vec!["pairs".into()], &o).unwrap();
    assert!(empty.codebook.is_empty());
    assert_eq!(r.learned, 0);
    assert_eq!(
        Model::from_bytes(&empty.to_bytes()).unwrap().to_bytes(),
        empty.to_bytes()
    );
    o.allow_empty = false;
    o.learner = Learner::capacity(2).unwrap();
    let (m, r) = train_texts(lines.into_iter(), vec!["pairs".into()], &o).unwrap();
    assert_eq!(r.learned, 100);
    assert_eq!(m.capacity, 2);
}

#[test]
fn a_foundation_starts_known_and_unlocks_skills() {
    // The foundation learns the even words alone; the domain pairs each even word
    // with a new odd word, which capacity 1 can learn only from a known partner.
    let general: Vec<String> = (0..40).map(|i| word(2 * i)).collect();
    let domain: Vec<String> = (0..40)
        .map(|i| format!("{} {}", word(2 * i), word(2 * i + 1)))
        .collect();
    let mut o = opts();
    o.holdout = 0.0;
    let (foundation, _) = train_texts(general.into_iter(), vec!["general".into()], &o).unwrap();
    assert_eq!(foundation.codebook.len(), 40);
    o.foundation = Some(foundation.clone());
    let (m, r) = train_texts(domain.into_iter(), vec!["domain".into()], &o).unwrap();
    let f = r.foundation.unwrap();
    assert_eq!(f.known_from_foundation, 40);
    assert_eq!(f.extra_learned, 40);
    assert_eq!(f.learned_without_foundation, 0);
    assert_eq!(m.codebook.len(), 80);
    let s = m.training.foundation.unwrap();
    assert_eq!(s.fingerprint, foundation.fingerprint());
    // Fine-tuning keeps the foundation's extractor; asking another is an error.
    o.extractor = ExtractorSpec::Words;
    let e = train_texts(std::iter::empty(), vec![], &o).unwrap_err();
    assert!(matches!(e, semzip::Error::Invalid(_)), "{e}");
}

#[test]
fn bad_corpora_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.txt");
    assert!(train(&[missing], &opts()).is_err());

    let bin = dir.path().join("bin.txt");
    std::fs::write(&bin, vec![0u8; 4096]).unwrap();
    let e = train(&[bin], &opts()).unwrap_err().to_string();
    assert!(e.contains("binary"), "{e}");

    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "\n\n  \n").unwrap();
    let e = train(std::slice::from_ref(&empty), &opts()).unwrap_err();
    assert!(e.to_string().contains("no texts"), "{e}");
    let mut o = opts();
    o.allow_empty = true;
    let (m, r) = train(&[empty], &o).unwrap();
    assert!(m.codebook.is_empty());
    assert_eq!(r.segment.empty_skipped, 3);

    let mut o = opts();
    o.holdout = 1.0;
    assert!(matches!(
        train(&[dir.path().to_path_buf()], &o),
        Err(semzip::Error::InvalidParameter { ref name, .. }) if name == "holdout"
    ));
}

#[test]
fn a_directory_means_its_files_without_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let lines = synthetic_corpus(600, 100, 5).lines;
    write_file(dir.path(), "b.txt", &lines[300..]);
    write_file(dir.path(), "a.txt", &lines[..300]);
    std::fs::write(dir.path().join("a.dat"), vec![0u8; 64]).unwrap();
    let (m, r) = train(&[dir.path().to_path_buf()], &opts()).unwrap();
    assert_eq!(r.corpora.len(), 2);
    assert!(r.corpora[0].ends_with("a.txt"));
    // Same texts in the same order as one file: same codebook.
    let one = write_file(dir.path(), "all.one", &lines);
    let (m1, _) = train(&[one], &opts()).unwrap();
    assert_eq!(m.codebook, m1.codebook);
}

#[test]
#[cfg_attr(
    not(has_fortunes),
    ignore = "needs /usr/share/games/fortunes: run bash corpora/fetch.sh"
)]
fn fortunes_train_if_present() {
    let dir = Path::new("/usr/share/games/fortunes");
    let files: Vec<PathBuf> = ["computers", "science", "wisdom"]
        .iter()
        .map(|f| dir.join(f))
        .filter(|p| p.is_file())
        .collect();
    if files.is_empty() {
        eprintln!("skipping: /usr/share/games/fortunes is absent (apt-get install fortunes)");
        return;
    }
    let mut o = opts();
    o.segmentation = Segmentation::Fortunes;
    let (m, r) = train(&files, &o).unwrap();
    assert!(r.texts > 100);
    assert!(r.learned_fraction > 0.0 && r.learned_fraction <= 1.0);
    assert!(!m.codebook.is_empty());
    assert!(r.heldout_text_error.unwrap() > 0.0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn damaged_models_are_rejected_never_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let original = model_bytes();
        let mut bytes = original.clone();
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        } else {
            for (i, v) in &edits {
                let i = i.index(bytes.len());
                bytes[i] = *v;
            }
        }
        let result = Model::from_bytes(&bytes);
        if &bytes == original {
            prop_assert!(result.is_ok());
        } else {
            prop_assert!(result.is_err());
        }
    }

    /// A damaged body behind a valid checksum reaches the decoder itself: it may
    /// decode (a count changed) or not, but it never panics, and what decodes
    /// is a valid model that survives its own round trip.
    #[test]
    fn damaged_bodies_never_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let model = Model::from_bytes(model_bytes()).unwrap();
        let mut body = model.encode_body();
        if truncate {
            body.truncate(cut.index(body.len()));
        } else {
            for (i, v) in &edits {
                let i = i.index(body.len());
                body[i] = *v;
            }
        }
        let framed = semzip::model::file::frame(&body).unwrap();
        if let Ok(m) = Model::from_bytes(&framed) {
            let again = Model::from_bytes(&m.to_bytes()).unwrap();
            prop_assert_eq!(again.encode_body(), m.encode_body());
        }
    }
}

#[test]
fn cli_train_then_inspect() {
    let exe = env!("CARGO_BIN_EXE_semzip");
    let dir = tempfile::tempdir().unwrap();
    let corpus = write_file(dir.path(), "c.txt", &synthetic_corpus(1500, 200, 9).lines);
    let model = dir.path().join("m.szm");
    let out = Command::new(exe)
        .args([
            "train",
            corpus.to_str().unwrap(),
            "-o",
            model.to_str().unwrap(),
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "skills",
        "texts",
        "ratio",
        "edges",
        "learned_fraction",
        "de_learned_fraction",
        "trajectory",
        "skill_degree_histogram",
        "text_degree_histogram",
        "heldout_skill_error",
        "heldout_text_error",
        "scaling",
        "scaling_exponent",
        "giant_fraction",
        "components",
        "segment",
    ] {
        assert!(report.get(key).is_some(), "missing key {key}");
    }
    // The thread count does not change the model.
    let mut fingerprints = Vec::new();
    for threads in ["1", "2"] {
        let m = dir.path().join(format!("t{threads}.szm"));
        let out = Command::new(exe)
            .env("RAYON_NUM_THREADS", threads)
            .args(["train", corpus.to_str().unwrap(), "-o", m.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(out.status.success());
        fingerprints.push(std::fs::read(&m).unwrap());
    }
    assert_eq!(fingerprints[0], fingerprints[1]);
    assert_eq!(fingerprints[0], std::fs::read(&model).unwrap());
    // Refuses to overwrite without -f (usage error, exit 2).
    let again = Command::new(exe)
        .args([
            "train",
            corpus.to_str().unwrap(),
            "-o",
            model.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));

    let info = Command::new(exe)
        .args(["inspect", model.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    assert!(info.status.success());
    let info: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
    let fp = info["fingerprint"].as_str().unwrap();
    assert_eq!(fp.len(), 16);
    assert_eq!(fp, report["model_fingerprint"].as_str().unwrap());

    // A missing corpus fails with exit 1 and one line naming it.
    let missing = Command::new(exe)
        .args([
            "train",
            "/nonexistent/corpus",
            "-o",
            dir.path().join("x").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(
        err.contains("/nonexistent/corpus") && err.lines().count() == 1,
        "{err}"
    );
    // Inspecting a non-model fails cleanly.
    let bad = Command::new(exe)
        .args(["inspect", corpus.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
}

#[test]
#[cfg_attr(
    not(has_canterbury),
    ignore = "needs ../shared/corpora/canterbury (then touch build.rs)"
)]
fn canterbury_paragraphs_train_if_present() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora/canterbury");
    let alice = dir.join("alice29.txt");
    if !alice.is_file() {
        eprintln!("skipping: ../shared/corpora/canterbury is absent");
        return;
    }
    let mut o = opts();
    o.segmentation = Segmentation::Paragraphs;
    o.learner = Learner::capacity(4).unwrap();
    let (m, r) = train(std::slice::from_ref(&alice), &o).unwrap();
    assert!(r.texts > 100, "{} paragraphs", r.texts);
    // Alice is a learned skill of a story about Alice.
    assert!(m.codebook.code_of("alice").is_some());
    // A larger capacity never learns less (the learned set only grows with c).
    o.learner = Learner::capacity(6).unwrap();
    let (_, r6) = train(&[alice], &o).unwrap();
    assert!(r6.learned >= r.learned);
}

#[test]
fn fingerprint_ignores_the_zstd_level() {
    use semzip::model::file::{FORMAT_VERSION, MAGIC};
    let model = Model::from_bytes(model_bytes()).unwrap();
    let body = model.encode_body();
    let compressed = zstd::bulk::compress(&body, 1).unwrap();
    let mut f = Vec::new();
    f.extend_from_slice(&MAGIC);
    f.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    f.extend_from_slice(&0u16.to_le_bytes());
    f.extend_from_slice(&(compressed.len() as u64).to_le_bytes());
    f.extend_from_slice(&compressed);
    let sum = xxhash_rust::xxh3::xxh3_64(&f);
    f.extend_from_slice(&sum.to_le_bytes());
    assert_ne!(&f, model_bytes());
    let back = Model::from_bytes(&f).unwrap();
    assert_eq!(back.fingerprint(), model.fingerprint());
    assert_eq!(back.fingerprint(), xxhash_rust::xxh3::xxh3_64(&body));
}

/// Regression: a body whose first string length reads as 2^64 - 1 aborted the process
/// with an allocation failure; it must be an error.
#[test]
fn huge_length_prefix_in_a_model_body_is_an_error_not_an_abort() {
    let model = Model::from_bytes(model_bytes()).unwrap();
    let body = model.encode_body();
    // Byte 0 is the extractor's repr version (one byte); byte 1 starts its spec's length.
    assert!(body[0] < 251 && body[1] < 251);
    let mut bad = vec![body[0], 253];
    bad.extend_from_slice(&u64::MAX.to_le_bytes());
    bad.extend_from_slice(&body[2..]);
    let framed = semzip::model::file::frame(&bad).unwrap();
    let err = Model::from_bytes(&framed).unwrap_err().to_string();
    assert!(err.contains("does not decode"), "{err}");
}
