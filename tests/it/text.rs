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
#[cfg_attr(
    not(has_fortunes),
    ignore = "needs /usr/share/games/fortunes: run bash corpora/fetch.sh"
)]
fn fortunes_segment_and_extract_fast() {
    let Some(files) = fortune_files() else {
        eprintln!("skipping: /usr/share/games/fortunes absent (run corpora/fetch.sh)");
        return;
    };
    let ex = Extractor::words(true).unwrap();
    let start = Instant::now();
    let (mut bytes, mut texts, mut skills, mut empty_texts) = (0u64, 0u64, 0u64, 0u64);
    for f in &files {
        let mut seg = Segmenter::open(f, Segmentation::Fortunes, 1 << 20).unwrap();
        let before = texts;
        for t in seg.by_ref() {
            let t = t.unwrap();
            let s = ex.skills(&t);
            skills += s.len() as u64;
            empty_texts += s.is_empty() as u64;
            texts += 1;
        }
        bytes += seg.stats().bytes;
        assert_eq!(seg.stats().texts, texts - before);
        assert_eq!(seg.stats().lossy_bytes, 0, "{}", f.display());
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

use proptest::prelude::*;
use semzip::ensemble::{DegreeSpec, Popularity};
use semzip::text::{ExtractorSpec, SegmentStats, SynthSpec, skill_name, synthesize, write_synth};
use std::collections::HashMap;

/// Segments `input` through a reader with a tiny buffer (to cross read boundaries).
fn segment(input: &[u8], seg: Segmentation, max: usize) -> (Vec<String>, SegmentStats) {
    let reader = BufReader::with_capacity(3, input);
    let mut s = Segmenter::new(reader, seg, max);
    let texts = s.by_ref().collect::<semzip::Result<Vec<_>>>().unwrap();
    (texts, s.stats().clone())
}

#[test]
fn segmentation_edge_cases() {
    // CRLF and no trailing newline.
    let (t, st) = segment(b"alpha\r\nbeta\r\ngamma", Segmentation::Lines, 1 << 20);
    assert_eq!(t, ["alpha", "beta", "gamma"]);
    assert_eq!((st.texts, st.empty_skipped, st.bytes), (3, 0, 18));
    // A lone \r ends a line too (old Mac files, issue 8).
    let (t, _) = segment(b"a\rb\r\n", Segmentation::Lines, 1 << 20);
    assert_eq!(t, ["a", "b"]);
    // Empty and blank lines are skipped and counted.
    let (t, st) = segment(b"\n \t\nx\n\n", Segmentation::Lines, 1 << 20);
    assert_eq!(t, ["x"]);
    assert_eq!(st.empty_skipped, 3);
    // Fortune entries with blank lines inside, CRLF separators and an empty entry.
    let (t, st) = segment(
        b"First line\n\n  second\r\n%\r\n%\nLast, no newline",
        Segmentation::Fortunes,
        1 << 20,
    );
    assert_eq!(t, ["First line\n\n  second", "Last, no newline"]);
    assert_eq!(st.empty_skipped, 1);
    // Paragraphs: runs of blank lines separate once; whitespace-only lines are blank.
    let (t, st) = segment(
        b"\n\np one\np two\n \t \n\n\np three",
        Segmentation::Paragraphs,
        64,
    );
    assert_eq!(t, ["p one\np two", "p three"]);
    assert_eq!(st.empty_skipped, 0);
    // Invalid UTF-8 is replaced, counted, and never stops the stream.
    let (t, st) = segment(
        b"caf\xe9\n\xc3\n\xf0\x9f\x98\x80 ok\n",
        Segmentation::Lines,
        1 << 20,
    );
    assert_eq!(t, ["caf\u{fffd}", "\u{fffd}", "\u{1f600} ok"]);
    assert_eq!(st.lossy_bytes, 2);
}

#[test]
fn long_texts_are_split_and_counted() {
    let words: Vec<String> = (0..400).map(|i| format!("w{i}")).collect();
    let line = words.join(" ");
    for seg in [
        Segmentation::Lines,
        Segmentation::Paragraphs,
        Segmentation::Fortunes,
    ] {
        let (t, st) = segment(line.as_bytes(), seg, 100);
        assert!(t.iter().all(|x| x.len() <= 100), "{seg}");
        assert!(st.long_split >= line.len() as u64 / 100, "{seg}: {st:?}");
        // Cut only at spaces: every word survives whole.
        let back: Vec<&str> = t.iter().flat_map(|x| x.split(' ')).collect();
        assert_eq!(back, words.iter().map(|s| s.as_str()).collect::<Vec<_>>());
    }
    // No whitespace at all: cut between characters, never inside one.
    let snow = "❄".repeat(100);
    let (t, st) = segment(snow.as_bytes(), Segmentation::Lines, 16);
    assert_eq!(t.concat(), snow);
    assert_eq!(st.lossy_bytes, 0);
    assert_eq!(st.long_split as usize, t.len() - 1);
}

#[test]
fn extractors_on_hand_made_strings() {
    let w = Extractor::words(false).unwrap();
    let ns = Extractor::words(true).unwrap();
    let text = "The QUICK brown fox -- isn’t it? -- jumps over 2 lazy dogs; naïve café, ΣΟΦΙΑ!";
    assert_eq!(
        w.skills(text),
        [
            "the",
            "quick",
            "brown",
            "fox",
            "isn't",
            "it",
            "jumps",
            "over",
            "2",
            "lazy",
            "dogs",
            "naïve",
            "café",
            "σοφια"
        ]
    );
    assert_eq!(
        ns.skills(text),
        [
            "quick",
            "brown",
            "fox",
            "isn't",
            "jumps",
            "2",
            "lazy",
            "dogs",
            "naïve",
            "café",
            "σοφια"
        ]
    );
    // NFKC folds compatibility forms; the decomposed and composed é agree.
    assert_eq!(w.skills("ＡＢＣ ﬀ cafe\u{301}"), ["abc", "ff", "café"]);
    assert_eq!(ns.skill_set("fox dog Fox DOG the"), ["dog", "fox"]);
    assert!(ns.skills("the and of, to!").is_empty());
    assert_eq!(w.spec(), "words");
    let many = ns.skills_many(&["The fox".to_string(), String::new(), "a dog".to_string()]);
    assert_eq!(many, [vec!["fox"], vec![], vec!["dog"]]);
    // Opening a missing corpus names it.
    let err = Segmenter::open("/no/such/corpus.txt", Segmentation::Lines, 1 << 20).err();
    assert!(err.unwrap().to_string().contains("/no/such/corpus.txt"));
}

fn bpe_texts() -> Vec<String> {
    let base = [
        "the lower layers learn the lowest level skills",
        "newer and newest models learn newer skills",
        "a widest range of wider texts teaches the widest skills",
    ];
    (0..30).map(|i| format!("{} {i}", base[i % 3])).collect()
}

fn bincode_bytes(e: &Extractor) -> Vec<u8> {
    bincode::serde::encode_to_vec(e, bincode::config::standard()).unwrap()
}

fn from_bincode(b: &[u8]) -> Extractor {
    bincode::serde::decode_from_slice(b, bincode::config::standard())
        .unwrap()
        .0
}

#[test]
fn bpe_is_deterministic_and_learns_subwords() {
    let spec: ExtractorSpec = "bpe:60".parse().unwrap();
    let a = Extractor::train(&spec, bpe_texts().into_iter()).unwrap();
    let b = Extractor::train(&spec, bpe_texts().into_iter()).unwrap();
    assert_eq!(bincode_bytes(&a), bincode_bytes(&b));
    assert_eq!(a.pipeline_json(), b.pipeline_json());
    eprintln!(
        "bpe:60 tokenizer json xxh3 = {:016x}",
        xxhash_rust::xxh3::xxh3_64(a.pipeline_json().as_bytes())
    );
    assert_eq!(a.spec(), "bpe:60");
    assert!(a.vocab_size().unwrap() <= 60);
    // Tokens of a seen word spell it; frequent words become fewer tokens than letters.
    let toks = a.skills("Newest skills");
    assert_eq!(toks.concat(), "newestskills");
    assert!(toks.len() < "newestskills".len(), "{toks:?}");
    // A bigger vocabulary is a different tokenizer.
    let c = Extractor::train(&"bpe:80".parse().unwrap(), bpe_texts().into_iter()).unwrap();
    assert_ne!(a.pipeline_json(), c.pipeline_json());
    // Nothing to learn from is an error, not an empty model.
    assert!(Extractor::train(&spec, ["!!! ...".to_string()].into_iter()).is_err());
}

#[test]
fn serde_round_trip_keeps_skills() {
    let bpe = Extractor::train(&"bpe:70".parse().unwrap(), bpe_texts().into_iter()).unwrap();
    let extractors = [
        Extractor::words(false).unwrap(),
        Extractor::words(true).unwrap(),
        bpe.clone(),
    ];
    let probes = [
        "The widest skills, newer models!",
        "Ünïcode ＴＥＸＴ isn’t hard 42",
    ];
    for e in &extractors {
        let back = from_bincode(&bincode_bytes(e));
        assert_eq!(&back, e);
        assert_eq!(back.spec(), e.spec());
        for p in probes {
            assert_eq!(back.skills(p), e.skills(p), "{}", e.spec());
        }
    }
    // A corrupt embedded pipeline is an error, not a panic.
    let mut bytes = bincode_bytes(&extractors[0]);
    let n = bytes.len();
    bytes[n - 5] = b'!';
    assert!(
        bincode::serde::decode_from_slice::<Extractor, _>(&bytes, bincode::config::standard())
            .is_err()
    );
}

#[test]
fn tokenizer_files_load_or_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let bpe = Extractor::train(&"bpe:70".parse().unwrap(), bpe_texts().into_iter()).unwrap();
    let path = dir.path().join("tok.json");
    std::fs::write(&path, bpe.pipeline_json()).unwrap();
    let spec: ExtractorSpec = format!("tokenizer:{}", path.display()).parse().unwrap();
    let t = Extractor::from_spec_untrained(&spec).unwrap();
    let same = Extractor::train(&spec, std::iter::empty()).unwrap();
    assert_eq!(t, same);
    let probe = "the newest widest skills";
    assert_eq!(t.skills(probe).concat(), "thenewestwidestskills");
    assert_eq!(t.skills(probe), bpe.skills(probe));
    assert_eq!(
        from_bincode(&bincode_bytes(&t)).skills(probe),
        bpe.skills(probe)
    );
    // Missing file: an I/O error naming it.
    let missing: ExtractorSpec = format!("tokenizer:{}", dir.path().join("no.json").display())
        .parse()
        .unwrap();
    let err = Extractor::from_spec_untrained(&missing).unwrap_err();
    assert!(err.to_string().contains("no.json"), "{err}");
    // Not a tokenizer: a usage error naming it.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"hello\": 1}").unwrap();
    let err =
        Extractor::from_spec_untrained(&format!("tokenizer:{}", bad.display()).parse().unwrap())
            .unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(err.to_string().contains("bad.json"), "{err}");
}

fn synth_spec(seed: u64, glue: bool) -> SynthSpec {
    SynthSpec {
        skills: 3000,
        texts: 2000,
        popularity: Popularity::Zipf(1.1),
        text_degrees: DegreeSpec::Poisson(5.0),
        seed,
        glue,
    }
}

#[test]
fn synth_same_seed_same_bytes() {
    let run = |seed| {
        let (mut out, mut truth) = (Vec::new(), Vec::new());
        write_synth(&synth_spec(seed, true), &mut out, &mut truth).unwrap();
        (out, truth)
    };
    let a = run(9);
    assert_eq!(a, run(9));
    assert_ne!(a.0, run(10).0);
    assert_eq!(
        a.0.iter().filter(|&&b| b == b'\n').count(),
        a.1.iter().filter(|&&b| b == b'\n').count()
    );
}

#[test]
fn words_nostop_recovers_the_true_skill_sets() {
    let ns = Extractor::words(true).unwrap();
    let w = Extractor::words(false).unwrap();
    for glue in [true, false] {
        let c = synthesize(&synth_spec(5, glue)).unwrap();
        let id_of: HashMap<&str, u32> = c
            .names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i as u32))
            .collect();
        assert_eq!(c.names[17], skill_name(17));
        let mut glue_words = 0usize;
        for (line, truth) in c.lines.iter().zip(&c.truth) {
            let mut ids: Vec<u32> = ns
                .skill_set(line)
                .iter()
                .map(|s| id_of[s.as_str()])
                .collect();
            ids.sort_unstable();
            assert_eq!(&ids, truth, "{line}");
            glue_words += w.skills(line).len() - ns.skills(line).len();
        }
        // Glue means stop words in the text; no glue means none.
        assert_eq!(glue_words > c.lines.len() / 2, glue, "{glue_words}");
        // Segmenting the written corpus gives the same texts back.
        let joined = c.lines.join("\n");
        let (t, st) = segment(joined.as_bytes(), Segmentation::Lines, 1 << 20);
        assert_eq!(t, c.lines);
        assert_eq!(st.empty_skipped, 0);
    }
}

#[test]
#[cfg_attr(
    not(has_canterbury),
    ignore = "needs ../shared/corpora/canterbury (then touch build.rs)"
)]
fn canterbury_paragraphs_extract() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpora/canterbury/alice29.txt");
    let Ok(file) = std::fs::File::open(&path) else {
        eprintln!("skipping: {} absent", path.display());
        return;
    };
    let mut seg = Segmenter::new(BufReader::new(file), Segmentation::Paragraphs, 1 << 20);
    let ex = Extractor::words(true).unwrap();
    let mut vocab = std::collections::HashSet::new();
    for t in seg.by_ref() {
        vocab.extend(ex.skills(&t.unwrap()));
    }
    let st = seg.stats();
    assert!(st.texts > 500, "{st:?}");
    assert!(vocab.contains("alice") && !vocab.contains("the"));
    assert!(vocab.len() > 1000, "{}", vocab.len());
}

fn non_ws_no_replacement(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != char::REPLACEMENT_CHARACTER)
        .collect()
}

proptest! {
    #[test]
    fn segmenting_random_bytes_never_panics(
        bytes in proptest::collection::vec(
            prop_oneof![Just(b'\n'), Just(b'%'), Just(b' '), Just(b'\r'), any::<u8>()], 0..400),
        max in 8usize..64,
    ) {
        for seg in [Segmentation::Paragraphs, Segmentation::Fortunes] {
            let (t, st) = segment(&bytes, seg, max);
            prop_assert_eq!(st.texts as usize, t.len());
            prop_assert_eq!(st.bytes as usize, bytes.len());
        }
        // Lines keep every non-whitespace character (bad bytes aside).
        let (t, st) = segment(&bytes, Segmentation::Lines, max);
        prop_assert_eq!(st.bytes as usize, bytes.len());
        // The limit counts input bytes: a bad byte (1) becomes U+FFFD (3).
        prop_assert!(t.iter().all(|x| x.len() <= 3 * max && !x.trim().is_empty()));
        let expect = non_ws_no_replacement(&String::from_utf8_lossy(&bytes));
        prop_assert_eq!(non_ws_no_replacement(&t.concat()), expect);
    }
}

#[test]
fn committed_sample_regenerates_byte_for_byte() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpora");
    let spec = SynthSpec {
        skills: 1000,
        texts: 900,
        popularity: Popularity::Zipf(1.1),
        text_degrees: DegreeSpec::Fixed(4),
        seed: 1,
        glue: true,
    };
    let (mut out, mut truth) = (Vec::new(), Vec::new());
    write_synth(&spec, &mut out, &mut truth).unwrap();
    assert_eq!(out, std::fs::read(dir.join("synth-sample.txt")).unwrap());
    assert_eq!(
        truth,
        std::fs::read(dir.join("synth-sample.truth")).unwrap()
    );
    assert!(out.len() + truth.len() <= 50_000);
}

#[test]
fn corpus_synth_cli_refuses_to_overwrite_and_leaves_no_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("c.txt");
    let truth = dir.path().join("c.truth");
    let run = |extra: &[&str]| {
        crate::common::semzip()
            .args(["corpus", "synth", "--skills", "200", "--count", "50", "-o"])
            .arg(&out)
            .arg("--truth")
            .arg(&truth)
            .args(extra)
            .output()
            .unwrap()
    };
    let first = run(&[]);
    assert!(first.status.success(), "{first:?}");
    let stdout = String::from_utf8_lossy(&first.stdout);
    let bytes = std::fs::metadata(&out).unwrap().len();
    assert!(stdout.contains(&format!("{bytes} bytes")), "{stdout}");
    let (text, ids) = (std::fs::read(&out).unwrap(), std::fs::read(&truth).unwrap());
    // Without -f nothing changes and the exit code says usage error.
    let again = run(&["--seed", "2"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("-f"));
    assert_eq!(std::fs::read(&out).unwrap(), text);
    // With -f the files are replaced.
    assert!(run(&["--seed", "2", "-f"]).status.success());
    assert_ne!(std::fs::read(&out).unwrap(), text);
    assert_ne!(std::fs::read(&truth).unwrap(), ids);
    // A bad spec fails before writing anything; no temporary file stays behind.
    let bad = run(&["-f", "--text-degrees", "fixed:500"]);
    assert_eq!(bad.status.code(), Some(2));
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

proptest! {
    #[test]
    fn word_skills_are_clean_and_stable(t in "\\PC{0,60}") {
        let w = Extractor::words(false).unwrap();
        let skills = w.skills(&t);
        for s in &skills {
            prop_assert!(!s.is_empty() && !s.chars().any(char::is_whitespace), "{s:?}");
        }
        // Extracting from the skills themselves gives them back.
        prop_assert_eq!(w.skills(&skills.join(" ")), skills);
    }
}

#[test]
#[cfg_attr(
    not(has_fortunes),
    ignore = "needs /usr/share/games/fortunes: run bash corpora/fetch.sh"
)]
fn bpe_on_fortunes_is_deterministic() {
    let Some(files) = fortune_files() else {
        eprintln!("skipping: /usr/share/games/fortunes absent (run corpora/fetch.sh)");
        return;
    };
    let mut texts = Vec::new();
    for f in files.iter().take(6) {
        let seg = Segmenter::open(f, Segmentation::Fortunes, 1 << 20).unwrap();
        texts.extend(seg.map(|t| t.unwrap()));
    }
    let spec: ExtractorSpec = "bpe:1500".parse().unwrap();
    let a = Extractor::train(&spec, texts.iter().cloned()).unwrap();
    let b = Extractor::train(&spec, texts.iter().cloned()).unwrap();
    assert_eq!(bincode_bytes(&a), bincode_bytes(&b));
    let vocab = a.vocab_size().unwrap();
    assert!(vocab > 1000 && vocab <= 1500, "{vocab}");
    // Subwords: fewer tokens than letters, more than words.
    let w = Extractor::words(false).unwrap();
    let (mut tokens, mut words, mut letters) = (0, 0, 0);
    for t in texts.iter().take(500) {
        let ws = w.skills(t);
        tokens += a.skills(t).len();
        words += ws.len();
        letters += ws.iter().map(|x| x.chars().count()).sum::<usize>();
    }
    assert!(
        words <= tokens && tokens < letters / 2,
        "{words} {tokens} {letters}"
    );
}

#[test]
fn corpus_stats_cli_counts_the_sample() {
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpora/synth-sample.txt");
    let out = crate::common::semzip()
        .args(["corpus", "stats", "--json", "--extractor", "words-nostop"])
        .arg(&sample)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["segment"]["texts"], 900);
    // fixed:4 texts: words-nostop finds exactly 4 skills in each.
    assert_eq!(v["skills"], 3600);
    assert_eq!(v["texts_without_skills"], 0);
    let bad = crate::common::semzip()
        .args(["corpus", "stats", "--extractor", "bpe:0"])
        .arg(&sample)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}
