//! The context-mixing exact level: round trips built to hit its match model, priors
//! from the model file, small messages against zstd with a dictionary, and sizes
//! against zstd -19 on synthetic real-world-like text (all generated here).

use proptest::prelude::*;
use semzip::codec::Level;
use semzip::codec::coder::{
    AUTO_PPM_ABOVE, CoderContext, ExactCoder, decode_exact, encode_exact, encode_exact_with,
};
use semzip::codec::{EncodeOptions, decode};
use semzip::model::{Codebook, Model};
use semzip::pipeline::{EmbedOptions, encode};
use semzip::text::segment::Segmentation;
use semzip::train::{TrainOptions, train_texts};
use std::sync::OnceLock;

use crate::common::{encode_sz, lcg};

/// Debian-changelog-like text: entries with a header, bullet lines drawn from a
/// skewed made-up vocabulary, and a trailer line repeated with small changes.
fn changelog(bytes: usize, seed: u64) -> String {
    let mut next = lcg(seed);
    let words = [
        "fix",
        "update",
        "build",
        "package",
        "new",
        "upstream",
        "release",
        "debian",
        "policy",
        "standards",
        "version",
        "bump",
        "control",
        "rules",
        "patch",
        "remove",
        "add",
        "support",
        "tests",
        "symbols",
        "drop",
        "install",
        "files",
        "watch",
        "copyright",
        "lintian",
        "override",
    ];
    let names = ["Ann Smith", "Bo Lee", "Cy Young", "Di Park", "Ed Moss"];
    let pkgs = ["libfoo", "barutils", "quxd", "zed-tools"];
    let mut out = String::new();
    while out.len() < bytes {
        let pkg = pkgs[(next() % 4) as usize];
        let (a, b, c) = (next() % 5, next() % 20, next() % 9);
        out.push_str(&format!(
            "{pkg} ({a}.{b}.{c}-{}) unstable; urgency=medium\n\n",
            1 + next() % 3
        ));
        for _ in 0..1 + next() % 5 {
            out.push_str("  *");
            for _ in 0..3 + next() % 9 {
                let u = (next() % 1000) as f64 / 1000.0;
                out.push(' ');
                out.push_str(words[(u * u * words.len() as f64) as usize]);
            }
            out.push_str(&format!(" (Closes: #{})\n", 100000 + next() % 900000));
        }
        let who = names[(next() % 5) as usize];
        let email = who.to_lowercase().replace(' ', ".");
        out.push_str(&format!(
            "\n -- {who} <{email}@example.org>  Mon, {:02} Jan 20{:02} 12:{:02}:{:02} +0000\n\n",
            1 + next() % 28,
            10 + next() % 15,
            next() % 60,
            next() % 60
        ));
    }
    out
}

fn ctx() -> CoderContext {
    CoderContext::new(&Codebook::default(), &[])
}

fn train(corpus: &str) -> Model {
    let opts = TrainOptions {
        segmentation: Segmentation::Lines,
        holdout: 0.0,
        allow_empty: true,
        ..TrainOptions::default()
    };
    train_texts(
        corpus.lines().map(str::to_string),
        vec!["synthetic".into()],
        &opts,
    )
    .unwrap()
    .0
}

fn model() -> &'static Model {
    static M: OnceLock<Model> = OnceLock::new();
    M.get_or_init(|| train(&changelog(400_000, 1)))
}

/// Texts that hit the match model: a random phrase repeated with mutations, runs.
fn repetitive() -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::collection::vec(any::<u8>(), 1..200),
        1usize..30,
        proptest::collection::vec((any::<usize>(), any::<u8>()), 0..10),
        0usize..300,
        any::<u8>(),
    )
        .prop_map(|(phrase, reps, edits, run, b)| {
            let mut v = phrase.repeat(reps);
            for (i, x) in edits {
                let n = v.len();
                v[i % n] = x;
            }
            v.extend(std::iter::repeat_n(b, run));
            v.extend_from_slice(&phrase);
            v
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn arbitrary_bytes_round_trip(data in proptest::collection::vec(any::<u8>(), 0..3000)) {
        let c = ctx();
        prop_assert_eq!(decode_exact(&c, &encode_exact(&c, &data)).unwrap(), data);
    }

    #[test]
    fn repeats_and_runs_round_trip(data in repetitive()) {
        let c = ctx();
        let p = encode_exact(&c, &data);
        prop_assert_eq!(decode_exact(&c, &p).unwrap(), data);
    }

    #[test]
    fn primed_round_trip(data in repetitive()) {
        let c = CoderContext::new(&Codebook::default(), &[]).with_prime(b"a prime text, with a phrase repeated: a prime text");
        prop_assert_eq!(decode_exact(&c, &encode_exact(&c, &data)).unwrap(), data);
    }
}

#[test]
fn repeats_across_packet_boundaries_and_one_byte_packets_round_trip() {
    let text = changelog(30_000, 9);
    let data = text.as_bytes().repeat(3);
    for (packet_bytes, m) in [(1, None), (7, None), (4096, None), (4096, Some(model()))] {
        let input = if packet_bytes < 10 {
            &data[..600]
        } else {
            &data[..]
        };
        let opts = EncodeOptions {
            level: Level::Exact,
            packet_bytes,
            ..EncodeOptions::default()
        };
        let mut sz = Vec::new();
        encode(
            input,
            "in",
            &mut sz,
            "out",
            m,
            &opts,
            &EmbedOptions::default(),
        )
        .unwrap();
        let mut back = Vec::new();
        decode(&sz[..], "in.sz", &mut back, "out", m).unwrap();
        assert!(back == input, "packet bytes {packet_bytes}");
    }
}

#[test]
fn random_bytes_do_not_expand() {
    let mut next = lcg(5);
    let data: Vec<u8> = (0..200_000).map(|_| next() as u8).collect();
    let opts = EncodeOptions {
        level: Level::Exact,
        ..EncodeOptions::default()
    };
    let sz = encode_sz(&data[..], &opts);
    // 0.1% plus the container's header, index and trailer (a few hundred bytes).
    assert!(
        sz.len() <= data.len() + data.len() / 1000 + 512,
        "{} bytes for {}",
        sz.len(),
        data.len()
    );
}

/// The payload's mode byte and length when `data` is coded by `coder`.
fn coded_by(data: &[u8], coder: ExactCoder) -> (u8, usize) {
    let (p, _) = encode_exact_with(&ctx(), data, coder);
    assert_eq!(decode_exact(&ctx(), &p).unwrap(), data, "{coder:?}");
    (p[0], p.len())
}

/// Context mixing (mode 3) and the default, which codes packets above 64 KiB with PPM
/// (mode 7) and smaller ones with context mixing.
#[test]
fn changelog_text_is_smaller_than_zstd_19() {
    let data = changelog(200_000, 3).into_bytes();
    let zstd = zstd::bulk::compress(&data, 19).unwrap().len();
    for (coder, mode) in [(ExactCoder::Cm, 3), (ExactCoder::Auto, 7)] {
        let (m, ours) = coded_by(&data, coder);
        assert_eq!(m, mode, "{coder:?}");
        assert!(
            (ours as f64) <= 0.9 * zstd as f64,
            "{coder:?}: exact {ours} bytes, zstd -19 {zstd}"
        );
    }
    let small = &data[..AUTO_PPM_ABOVE];
    assert_eq!(
        coded_by(small, ExactCoder::Auto).0,
        3,
        "64 KiB: context mixing"
    );
}

#[test]
#[cfg_attr(
    not(has_canterbury),
    ignore = "needs ../shared/corpora/canterbury (then touch build.rs)"
)]
fn prose_is_smaller_than_zstd_19() {
    let path = std::path::Path::new("../shared/corpora/canterbury/alice29.txt");
    let Ok(data) = std::fs::read(path) else {
        eprintln!("skipped: {} is absent", path.display());
        return;
    };
    let zstd = zstd::bulk::compress(&data, 19).unwrap().len();
    for coder in [ExactCoder::Cm, ExactCoder::Auto] {
        let (_, ours) = coded_by(&data, coder);
        assert!(
            (ours as f64) <= 0.85 * zstd as f64,
            "{coder:?}: exact {ours}, zstd -19 {zstd}"
        );
    }
}

#[test]
fn small_messages_with_a_shared_model_beat_zstd_with_a_dictionary() {
    let m = model();
    assert!(
        !m.prime.is_empty(),
        "the model carries the exact level's priors"
    );
    let c = CoderContext::new(&m.codebook, &m.associations).with_prime(&m.prime);
    // The dictionary is trained on the same corpus as the model.
    let corpus = changelog(400_000, 1);
    let lines: Vec<&str> = corpus.split_inclusive('\n').collect();
    let sizes: Vec<usize> = lines.iter().map(|l| l.len()).collect();
    let dict = zstd::dict::from_continuous(corpus.as_bytes(), &sizes, 110 * 1024).unwrap();
    let fresh = changelog(40_000, 77).into_bytes();
    for (chunk, bound) in [(1024usize, 0.8), (256, 0.9)] {
        let mut ours = 0;
        let mut theirs = 0;
        let mut zc = zstd::bulk::Compressor::with_dictionary(19, &dict).unwrap();
        for piece in fresh.chunks(chunk).take(12) {
            let p = encode_exact(&c, piece);
            assert_eq!(decode_exact(&c, &p).unwrap(), piece);
            ours += p.len();
            theirs += zc.compress(piece).unwrap().len();
        }
        assert!(
            ours as f64 <= bound * theirs as f64,
            "{chunk}-byte messages: exact {ours}, zstd -19 with dictionary {theirs}"
        );
    }
}

#[test]
fn model_files_are_deterministic_and_old_versions_are_refused() {
    let corpus = changelog(60_000, 4);
    let a = train(&corpus).to_bytes();
    let b = train(&corpus).to_bytes();
    assert_eq!(a, b);
    let m = Model::from_bytes(&a).unwrap();
    assert!(!m.prime.is_empty() && m.prime.len() <= semzip::train::prime::PRIME_BYTES);
    // A version-1 header (before the priors existed) is refused, naming the version.
    let mut old = a.clone();
    old[8..10].copy_from_slice(&1u16.to_le_bytes());
    let n = old.len();
    let sum = xxhash_rust::xxh3::xxh3_64(&old[..n - 8]);
    old[n - 8..].copy_from_slice(&sum.to_le_bytes());
    let err = Model::from_bytes(&old).unwrap_err().to_string();
    assert!(err.contains("version 1"), "{err}");
}
