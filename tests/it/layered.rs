//! Layered files (`--level layered`): round trips, each level against the
//! single-level file, salvage of a file cut after its base layer, and damage.

use proptest::prelude::*;
use semzip::codec::reader::{Reader, Record};
use semzip::codec::{EncodeOptions, Level, Unlearned, decode, decode_at, salvage_at};
use semzip::pipeline::{EmbedOptions, encode};
use semzip::text::segment::Segmentation;

use crate::common::{lcg, run};

/// Made-up prose: words of a small language, some capitalized or upper case, stop
/// words, punctuation, blank lines, and now and then a byte the exact layer escapes.
fn prose(words: usize, seed: u64) -> Vec<u8> {
    let mut next = lcg(seed);
    let stems = [
        "kalo", "mirute", "zan", "pevo", "quishi", "tarn", "oslev", "bry", "alice", "rabbit",
    ];
    let stops = ["the", "and", "of", "not", "a", "to"];
    let mut out = Vec::new();
    for i in 0..words {
        let r = next() % 100;
        let mut w = if r < 35 {
            stops[(next() % 6) as usize].to_string()
        } else {
            let k = (next() % 1000) as f64 / 1000.0;
            let s = stems[(k * k * stems.len() as f64) as usize];
            format!("{s}{}", if next().is_multiple_of(5) { "s" } else { "" })
        };
        match next() % 20 {
            0 => w[..1].make_ascii_uppercase(),
            1 => w.make_ascii_uppercase(),
            2 => w.push_str("'s"),
            _ => {}
        }
        out.extend_from_slice(w.as_bytes());
        out.extend_from_slice(match next() % 30 {
            0 => b".\n\n".as_slice(),
            1..=3 => b"\n",
            4 => b", ",
            5 => b" \x01",
            _ => b" ",
        });
        if i % 97 == 96 {
            out.extend_from_slice(b"\r\n");
        }
    }
    out
}

fn options(level: Level, texts: Segmentation, packet_bytes: usize) -> EncodeOptions {
    EncodeOptions {
        level,
        unlearned: Unlearned::Escape,
        texts,
        packet_bytes,
        ..EncodeOptions::default()
    }
}

fn enc(data: &[u8], opts: &EncodeOptions) -> Vec<u8> {
    let mut out = Vec::new();
    encode(
        data,
        "in",
        &mut out,
        "out",
        None,
        opts,
        &EmbedOptions::default(),
    )
    .expect("encoding never fails");
    out
}

fn dec_at(sz: &[u8], level: Option<Level>) -> semzip::Result<Vec<u8>> {
    let mut out = Vec::new();
    decode_at(sz, "sz", &mut out, "out", None, level)?;
    Ok(out)
}

/// Offsets of a file's records by kind: packets, order records, exact records.
fn record_offsets(sz: &[u8]) -> (Vec<u64>, Vec<u64>, Vec<u64>) {
    let mut r = Reader::new(sz).unwrap();
    let (mut p, mut o, mut x) = (Vec::new(), Vec::new(), Vec::new());
    while let Some(rec) = r.next_record().unwrap() {
        match rec {
            Record::Packet { offset, .. } => p.push(offset),
            Record::Skipped { offset, tag, .. } if &tag == b"lo" => o.push(offset),
            Record::Skipped { offset, .. } => x.push(offset),
            _ => {}
        }
    }
    (p, o, x)
}

#[test]
fn each_level_of_a_layered_file_equals_the_single_level_file() {
    let data = prose(6000, 7);
    for texts in [Segmentation::Lines, Segmentation::Paragraphs] {
        for pb in [1500, 1 << 20] {
            let layered = enc(&data, &options(Level::Layered, texts, pb));
            let (packets, orders, exacts) = record_offsets(&layered);
            assert_eq!(packets.len(), orders.len());
            assert_eq!(packets.len(), exacts.len());
            assert_eq!(
                pb > data.len(),
                packets.len() == 1,
                "runs: {}",
                packets.len()
            );
            // Runs are cut by bytes, single-level files by texts: only the decoded
            // texts are compared, with the packet size far above the texts.
            for level in [Level::Set, Level::Sequence] {
                let single = enc(&data, &options(level, texts, 1 << 20));
                let mut want = Vec::new();
                decode(&single[..], "single", &mut want, "out", None).unwrap();
                let got = dec_at(&layered, Some(level)).unwrap();
                assert!(got == want, "{level} of layered differs ({texts:?}, {pb})");
            }
            assert_eq!(dec_at(&layered, Some(Level::Exact)).unwrap(), data);
            assert_eq!(dec_at(&layered, None).unwrap(), data);
        }
    }
}

#[test]
fn single_level_files_refuse_another_level() {
    let data = prose(300, 3);
    let set = enc(&data, &options(Level::Set, Segmentation::Lines, 1 << 16));
    let e = dec_at(&set, Some(Level::Exact)).unwrap_err().to_string();
    assert!(e.contains("set level only"), "{e}");
    assert!(dec_at(&set, Some(Level::Set)).is_ok());
}

#[test]
fn a_file_cut_after_its_base_layer_salvages_the_sets() {
    let data = prose(2000, 11);
    let layered = enc(
        &data,
        &options(Level::Layered, Segmentation::Lines, 1 << 20),
    );
    let set_out = dec_at(&layered, Some(Level::Set)).unwrap();
    let (_, orders, _) = record_offsets(&layered);
    let cut = &layered[..orders[0] as usize];
    // Without a level: the highest level every run holds, the lost layers listed.
    let mut out = Vec::new();
    let rep = salvage_at(cut, "cut", &mut out, "out", None, None).unwrap();
    assert_eq!(out, set_out);
    assert_eq!(rep.level, "set of layered");
    assert_eq!(rep.lost_layers, ["order", "exact"]);
    // Asking for the set level: no layer counts as lost (the cut still lost the
    // index and trailer, so whether texts followed is unknown).
    let mut out = Vec::new();
    let rep = salvage_at(cut, "cut", &mut out, "out", None, Some(Level::Set)).unwrap();
    assert_eq!(out, set_out);
    assert!(rep.lost_layers.is_empty());
    // Cut after the order layer: sequences.
    let (_, _, exacts) = record_offsets(&layered);
    let mut out = Vec::new();
    let rep = salvage_at(
        &layered[..exacts[0] as usize],
        "cut",
        &mut out,
        "out",
        None,
        None,
    )
    .unwrap();
    assert_eq!(out, dec_at(&layered, Some(Level::Sequence)).unwrap());
    assert_eq!(rep.lost_layers, ["exact"]);

    // The command line: exit code 3 (data lost), the sets written.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("cut.sz");
    std::fs::write(&p, cut).unwrap();
    let o = dir.path().join("out.txt");
    let (code, _, err) = run(&[
        "decode",
        "--salvage",
        p.to_str().unwrap(),
        "-o",
        o.to_str().unwrap(),
    ]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("layers lost: order, exact"), "{err}");
    assert_eq!(std::fs::read(&o).unwrap(), set_out);
}

#[test]
fn damaged_layered_files_give_one_error_line() {
    let data = prose(1500, 5);
    let layered = enc(
        &data,
        &options(Level::Layered, Segmentation::Lines, 1 << 20),
    );
    let dir = tempfile::tempdir().unwrap();
    let (_, orders, exacts) = record_offsets(&layered);
    for (what, bytes) in [
        ("truncated", layered[..layered.len() - 30].to_vec()),
        ("order flipped", {
            let mut v = layered.clone();
            v[orders[0] as usize + 20] ^= 0x40;
            v
        }),
        ("exact flipped", {
            let mut v = layered.clone();
            v[exacts[0] as usize + 20] ^= 0x40;
            v
        }),
    ] {
        let p = dir.path().join("bad.sz");
        std::fs::write(&p, &bytes).unwrap();
        let o = dir.path().join("bad.txt");
        let (code, _, err) = run(&[
            "decode",
            "-f",
            p.to_str().unwrap(),
            "-o",
            o.to_str().unwrap(),
        ]);
        assert_eq!(code, 1, "{what}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{what}: {err}");
        assert!(!o.exists(), "{what}: partial output left");
    }
    // The set level leaves the exact record undecoded but still checks its checksum.
    let mut v = layered.clone();
    v[exacts[0] as usize + 20] ^= 0x40;
    assert!(dec_at(&v, Some(Level::Set)).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn layered_round_trips_byte_identical(
        words in 0usize..400,
        seed in any::<u64>(),
        noise in prop::collection::vec(any::<u8>(), 0..200),
        pb in 1usize..3000,
        para in any::<bool>(),
    ) {
        let mut data = prose(words, seed);
        data.extend_from_slice(&noise);
        let texts = if para { Segmentation::Paragraphs } else { Segmentation::Lines };
        let sz = enc(&data, &options(Level::Layered, texts, pb));
        prop_assert_eq!(dec_at(&sz, None).unwrap(), data);
    }

    #[test]
    fn layered_garbage_never_panics(
        pos in any::<prop::sample::Index>(),
        flip in 1u8..=255,
        cut in any::<prop::sample::Index>(),
    ) {
        let data = prose(300, 1);
        let sz = enc(&data, &options(Level::Layered, Segmentation::Lines, 700));
        let mut m = sz.clone();
        let i = pos.index(m.len());
        m[i] ^= flip;
        for level in [None, Some(Level::Set), Some(Level::Sequence)] {
            // Decoding may fail or, for a record a level skips, succeed: never panic.
            let _ = dec_at(&m, level);
            let _ = dec_at(&sz[..cut.index(sz.len())], level);
            let mut out = Vec::new();
            let _ = salvage_at(&m, "m", &mut out, "out", None, level);
        }
        prop_assert!(dec_at(&m, None).is_err(), "mutation at {} accepted", i);
    }
}

/// Changelog-like text: entries of a few packages, bullet lines drawn from a small
/// pool, and a trailer line per entry that repeats one of a few maintainers.
fn changelog(entries: usize, seed: u64) -> Vec<u8> {
    let mut next = lcg(seed);
    let pkgs = ["libfoo", "barutils", "quxd"];
    let people = [
        ("Ana Ruiz", "ana@example.org"),
        ("Bo Chen", "bo@example.net"),
        ("Cy Oduya", "cy@example.com"),
    ];
    let bullets = [
        "New upstream release.",
        "Fix build with the new compiler.",
        "Update the watch file.",
        "Bump the standards version, no changes needed.",
        "Drop a patch applied upstream.",
        "Add a test for the parser regression.",
    ];
    let days = ["Mon", "Tue", "Wed", "Thu", "Fri"];
    let mut out = String::new();
    for _ in 0..entries {
        let p = pkgs[(next() % 3) as usize];
        out.push_str(&format!(
            "{p} ({}.{}-{}) unstable; urgency=medium\n\n",
            next() % 9,
            next() % 30,
            1 + next() % 4
        ));
        for _ in 0..1 + next() % 3 {
            out.push_str(&format!("  * {}\n", bullets[(next() % 6) as usize]));
        }
        let (name, mail) = people[(next() % 3) as usize];
        out.push_str(&format!(
            "\n -- {name} <{mail}>  {}, {:02} Mar 20{:02} {:02}:{:02}:00 +0000\n\n",
            days[(next() % 5) as usize],
            1 + next() % 28,
            10 + next() % 15,
            next() % 24,
            next() % 60
        ));
    }
    out.into_bytes()
}

/// Issue 10: a set carries less than its sequence, so it never costs more, even
/// where repeated lines make sequences cheap.
#[test]
fn sets_never_cost_more_than_sequences_on_changelog_text() {
    let data = changelog(600, 4);
    for texts in [Segmentation::Lines, Segmentation::Paragraphs] {
        let set = enc(&data, &options(Level::Set, texts, 1 << 20)).len();
        let seq = enc(&data, &options(Level::Sequence, texts, 1 << 20)).len();
        assert!(set <= seq, "{texts:?}: set {set} bytes, sequence {seq}");
    }
}

/// Issue 12: a layered file costs little more than the exact-only file, because its
/// base layer is coded as text by the exact level's coder and the exact layer given
/// it. Measured with format version 6: prose 1.011, changelog 1.027, synthetic 0.970
/// (alice29.txt 1.021; version 5 gave 1.038, 1.059, 1.006 and 1.056 there). The
/// issue's 1.05 holds here for all three (and for 1 MB of man pages, narrowly: see
/// README, "Layered files"). The bounds leave about 1.2 points.
#[test]
fn a_layered_file_costs_little_more_than_the_exact_only_file() {
    let cases = [
        // Measured (format 6): 1.011, 1.027, 0.970.
        ("prose", prose(30_000, 21), 1.023),
        ("changelog", changelog(1500, 9), 1.04),
        (
            "synthetic",
            crate::common::synthetic_text(3000, 400, 5).into_bytes(),
            0.982,
        ),
    ];
    for (name, data, bound) in cases {
        let texts = Segmentation::Lines;
        let exact = enc(&data, &options(Level::Exact, texts, 1 << 24)).len();
        let layered = enc(&data, &options(Level::Layered, texts, 1 << 24)).len();
        let ratio = layered as f64 / exact as f64;
        assert!(
            ratio <= bound,
            "{name}: layered {layered} bytes, exact {exact}: ratio {ratio:.4} above {bound}"
        );
    }
}

/// Layered files of format version 3 coded their base as sets: they are refused by
/// name, with one line and exit code 1.
#[test]
fn version_3_layered_files_are_refused_naming_the_version() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/v3");
    for name in ["layered-embedded.sz", "layered-shared.sz"] {
        let p = dir.join(name);
        let sz = std::fs::read(&p).unwrap();
        assert_eq!(u16::from_le_bytes([sz[4], sz[5]]), 3, "{name}");
        let e = dec_at(&sz, None).unwrap_err().to_string();
        assert!(
            e.contains("version 3") && e.contains("no longer read"),
            "{e}"
        );
        let out = tempfile::tempdir().unwrap();
        let o = out.path().join("out.txt");
        let (code, _, err) = run(&["decode", p.to_str().unwrap(), "-o", o.to_str().unwrap()]);
        assert_eq!(code, 1, "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(!o.exists());
    }
}

/// Very repetitive input codes far below one payload byte per 64 output units: the
/// layers pad their payloads so the decoder's bound still holds. A shared model
/// (the golden one) codes the base without a rank table; its set and sequence levels
/// equal the single-level files'.
#[test]
fn repetitive_input_and_a_shared_model_round_trip() {
    for data in [vec![b' '; 300_000], b"the cat\n".repeat(40_000)] {
        let sz = enc(
            &data,
            &options(Level::Layered, Segmentation::Lines, 1 << 24),
        );
        assert_eq!(dec_at(&sz, None).unwrap(), data);
        assert!(dec_at(&sz, Some(Level::Set)).is_ok());
    }
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let model =
        semzip::model::Model::from_bytes(&std::fs::read(dir.join("synth.szm")).unwrap()).unwrap();
    let input = std::fs::read(dir.join("input.txt")).unwrap();
    let shared = |level| {
        let mut out = Vec::new();
        encode(
            &input[..],
            "in",
            &mut out,
            "out",
            Some(&model),
            &options(level, Segmentation::Lines, 1 << 20),
            &EmbedOptions::default(),
        )
        .unwrap();
        out
    };
    let layered = shared(Level::Layered);
    let dec = |sz: &[u8], level| {
        let mut out = Vec::new();
        decode_at(sz, "sz", &mut out, "out", Some(&model), level).unwrap();
        out
    };
    assert_eq!(dec(&layered, None), input);
    for level in [Level::Set, Level::Sequence] {
        assert_eq!(
            dec(&layered, Some(level)),
            dec(&shared(level), None),
            "{level}"
        );
    }
}
