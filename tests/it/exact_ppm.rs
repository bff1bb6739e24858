//! The PPM exact coder (payload mode 7; mode 5 still read): byte-identical round
//! trips of arbitrary inputs and of inputs built to hit its match model, corrupt payloads refused or
//! decoded to bounded output (never a panic or a hang), its size against zstd -19 on
//! changelog-like text and against 7z's PPMd on prose, version-5 files still read
//! (its golden file: tests/it/golden.rs).

use proptest::prelude::*;
use semzip::Error;
use semzip::codec::coder::{CoderContext, ExactCoder, decode_exact, encode_exact_with};
use semzip::codec::reader::{Reader, Record};
use semzip::codec::{EncodeOptions, decode};
use semzip::model::Codebook;
use semzip::pipeline::{EmbedOptions, encode};

use crate::common::{lcg, overlong_payload};
use crate::exact_real::{changelog, roff};

fn ctx() -> CoderContext {
    CoderContext::new(&Codebook::default(), &[])
}

/// The context of self-contained files: the built-in priming text.
fn primed() -> CoderContext {
    CoderContext::new(&Codebook::default(), &[]).with_prime(semzip::model::builtin::BUILTIN_PRIME)
}

/// The payload mode written (version 6).
const MODE: u8 = 7;

/// Codes `data` by mode 7 (or stored, when coding would expand it).
fn ppm(c: &CoderContext, data: &[u8]) -> Vec<u8> {
    encode_exact_with(c, data, ExactCoder::Ppm).0
}

fn round_trip(c: &CoderContext, data: &[u8]) -> Vec<u8> {
    let p = ppm(c, data);
    let back = decode_exact(c, &p).unwrap();
    assert!(back == data, "round trip of {} bytes", data.len());
    p
}

#[test]
fn small_and_repetitive_inputs_round_trip_through_mode_7() {
    for c in [ctx(), primed()] {
        round_trip(&c, b"");
        round_trip(&c, b"a");
        round_trip(&c, b"\0");
        for n in [2, 3, 17, 4096, 100_000] {
            let p = round_trip(&c, &vec![b'x'; n]);
            // Tiny inputs are stored (mode 1): coding them would not pay.
            if n >= 100 {
                assert_eq!(p[0], MODE, "a run of {n}");
            }
        }
        let all: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
        assert_eq!(round_trip(&c, &all)[0], MODE);
        // Long repeats with an edit in each copy: the match model's ground.
        let unit = changelog(3000, 9);
        let mut text = Vec::new();
        for i in 0..40u8 {
            text.extend_from_slice(unit.as_bytes());
            text.push(i);
        }
        let p = round_trip(&c, &text);
        let one = round_trip(&c, unit.as_bytes()).len();
        assert_eq!(p[0], MODE);
        assert!(
            p.len() < 3 * one,
            "{} bytes for 40 copies, {one} for one",
            p.len()
        );
    }
}

#[test]
fn primed_short_messages_are_smaller_than_cold_ones() {
    let msg = b"Alice was beginning to get very tired of sitting by her sister on the bank.";
    let warm = round_trip(&primed(), msg);
    let cold = round_trip(&ctx(), msg);
    assert!(warm.len() < cold.len(), "{} vs {}", warm.len(), cold.len());
}

#[test]
fn changelog_like_text_by_mode_7_is_smaller_than_zstd_19() {
    for (what, text) in [
        ("changelog", changelog(200_000, 3)),
        ("roff", roff(200_000, 4)),
    ] {
        let p = round_trip(&primed(), text.as_bytes());
        let z = zstd::bulk::compress(text.as_bytes(), 19).unwrap().len();
        assert_eq!(p[0], MODE);
        assert!(
            p.len() < z,
            "{what}: mode 7 {} bytes, zstd -19 {z}",
            p.len()
        );
    }
}

#[test]
fn a_megabyte_packet_round_trips_with_its_arenas_reserved_up_front() {
    // Past about 700 KB a packet's arenas are reserved whole (in huge pages);
    // the tree must still fill, restart and decode exactly as it grows.
    let mut text = changelog(700_000, 8).into_bytes();
    text.extend_from_slice(roff(500_000, 9).as_bytes());
    let p = round_trip(&primed(), &text);
    assert_eq!(p[0], MODE);
    let z = zstd::bulk::compress(&text, 19).unwrap().len();
    assert!(p.len() < z, "mode 7 {} bytes, zstd -19 {z}", p.len());
}

#[test]
fn files_forced_to_ppm_decode_whole_across_packets() {
    // Repeats that cross packet boundaries: each packet predicts only from itself
    // and the priors.
    let unit = changelog(40_000, 5);
    let text = unit.repeat(8);
    let opts = EncodeOptions {
        exact_coder: ExactCoder::Ppm,
        packet_bytes: 100_000,
        ..EncodeOptions::default()
    };
    let mut sz = Vec::new();
    let embed = EmbedOptions::default();
    encode(text.as_bytes(), "in", &mut sz, "out", None, &opts, &embed).unwrap();
    let mut back = Vec::new();
    decode(&sz[..], "in.sz", &mut back, "out", None).unwrap();
    assert!(back == text.as_bytes());
    let mut modes = Vec::new();
    for rec in Reader::new(&sz[..]).unwrap() {
        if let Record::Packet { packet, .. } = rec.unwrap() {
            modes.push(packet.payload.first().copied());
        }
    }
    assert!(
        modes.len() > 3 && modes.iter().all(|&m| m == Some(MODE)),
        "{modes:?}"
    );
}

#[test]
fn word_counts_without_a_codebook_match_those_with_one() {
    // No codebook: words are only counted. A codebook that knows none of the words
    // takes the lookup path; both must count the same words and escapes.
    let other = CoderContext::new(&Codebook::new([("qqqqzz".to_string(), 3)]), &[]);
    let mut texts = vec![
        changelog(20_000, 2),
        "  ²x ÿ naïve café, résumé: 3.14 Ωmega--end".to_string(),
    ];
    texts.push(String::from_utf8_lossy(&lcg_bytes(5000)).into_owned());
    for t in &texts {
        for bytes in [t.as_bytes(), &t.as_bytes()[1..], &[][..]] {
            let (_, a) = encode_exact_with(&ctx(), bytes, ExactCoder::Ppm);
            let (_, b) = encode_exact_with(&other, bytes, ExactCoder::Ppm);
            assert_eq!(
                a,
                b,
                "{:?}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(40)])
            );
            assert!(bytes.len() < 100 || a.words > 0);
        }
    }
}

fn lcg_bytes(n: usize) -> Vec<u8> {
    let mut next = lcg(11);
    (0..n).map(|_| next() as u8).collect()
}

fn is_corrupt(r: semzip::Result<Vec<u8>>) -> bool {
    matches!(r, Err(Error::Corrupt(_)))
}

#[test]
fn truncation_and_impossible_lengths_are_refused_or_bounded() {
    let text = changelog(50_000, 7);
    let p = ppm(&ctx(), text.as_bytes());
    assert_eq!(p[0], MODE);
    for cut in [1, 2, 3] {
        assert!(is_corrupt(decode_exact(&ctx(), &p[..cut])), "cut at {cut}");
    }
    // A cut body decodes to other bytes or is refused, never more than its length.
    for cut in [5, 20, p.len() / 2] {
        match decode_exact(&ctx(), &p[..cut]) {
            Ok(out) => assert!(out.len() == text.len() && out != text.as_bytes()),
            Err(e) => assert!(matches!(e, Error::Corrupt(_)), "{e}"),
        }
    }
    // A length beyond what the payload may decode to.
    for mode in [5, 7] {
        let long = overlong_payload(mode, &p[4..40]);
        assert!(is_corrupt(decode_exact(&ctx(), &long)), "mode {mode}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn arbitrary_bytes_round_trip_through_mode_7(
        data in prop::collection::vec(any::<u8>(), 0..3000),
        reps in 1usize..6,
        run in 0usize..2000,
    ) {
        let mut text = data.repeat(reps);
        text.extend(std::iter::repeat_n(data.first().copied().unwrap_or(7), run));
        for c in [ctx(), primed()] {
            let p = ppm(&c, &text);
            prop_assert_eq!(decode_exact(&c, &p).unwrap(), text.clone());
        }
    }

    #[test]
    fn garbage_after_modes_5_and_7_is_corrupt_or_decodes_without_panic(
        body in prop::collection::vec(any::<u8>(), 0..400),
        seed in any::<u64>(),
    ) {
        let mut p = vec![if seed & 1 == 0 { 5u8 } else { MODE }];
        p.extend_from_slice(&body);
        match decode_exact(&ctx(), &p) {
            Ok(out) => prop_assert!(out.len() <= 64 * p.len() + 4096),
            Err(e) => prop_assert!(matches!(e, Error::Corrupt(_)), "{e}"),
        }
        // The same after flipping bytes of a real payload.
        let mut next = lcg(seed);
        let text = changelog(5000, seed % 7);
        let mut q = ppm(&primed(), text.as_bytes());
        for _ in 0..3 {
            let i = 1 + (next() as usize) % (q.len() - 1);
            q[i] ^= 1 + (next() % 255) as u8;
        }
        match decode_exact(&primed(), &q) {
            Ok(out) => prop_assert!(out.len() <= 64 * q.len() + 4096),
            Err(e) => prop_assert!(matches!(e, Error::Corrupt(_)), "{e}"),
        }
    }
}

#[test]
fn the_version_5_ppm_golden_still_decodes_in_mode_5() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let input = std::fs::read(dir.join("input.txt")).unwrap();
    let sz = std::fs::read(dir.join("v5/exact-ppm.sz")).unwrap();
    let mut r = Reader::new(&sz[..]).unwrap();
    assert_eq!(r.header().version, 5);
    let mut n = 0;
    for rec in &mut r {
        if let Record::Packet { packet, .. } = rec.unwrap() {
            assert_eq!(packet.payload.first(), Some(&5));
            n += 1;
        }
    }
    assert!(n > 1, "{n} packets");
    let mut out = Vec::new();
    decode(&sz[..], "v5/exact-ppm.sz", &mut out, "out", None).unwrap();
    assert!(out == input, "the version 5 file decodes differently");
}

#[test]
#[cfg_attr(
    not(has_canterbury),
    ignore = "needs ../shared/corpora/canterbury (then touch build.rs)"
)]
fn prose_files_are_at_most_7z_ppmd() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora/canterbury");
    if !dir.join("alice29.txt").exists() {
        eprintln!("skipped: {} is absent", dir.display());
        return;
    }
    let tmp = std::env::temp_dir().join(format!("semzip-ppmd-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    for name in ["alice29.txt", "asyoulik.txt"] {
        let data = std::fs::read(dir.join(name)).unwrap();
        let opts = EncodeOptions {
            exact_coder: ExactCoder::Ppm,
            ..EncodeOptions::default()
        };
        let mut sz = Vec::new();
        encode(
            &data[..],
            name,
            &mut sz,
            "out",
            None,
            &opts,
            &EmbedOptions::default(),
        )
        .unwrap();
        let mut back = Vec::new();
        decode(&sz[..], name, &mut back, "out", None).unwrap();
        assert!(back == data, "{name}: round trip");
        // 7z's PPMd (var. H, order 32) on one thread, the peer.
        let archive = tmp.join(format!("{name}.7z"));
        let _ = std::fs::remove_file(&archive);
        let made = std::process::Command::new("7z")
            .args(["a", "-m0=PPMd", "-mx=9", "-mmt=1"])
            .arg(&archive)
            .arg(dir.join(name))
            .output();
        if !made.is_ok_and(|o| o.status.success()) {
            eprintln!("skipped: 7z is not installed or failed");
            break;
        }
        let peer = std::fs::metadata(&archive).unwrap().len() as usize;
        eprintln!("{name}: {} bytes, 7z PPMd {peer}", sz.len());
        assert!(
            sz.len() <= peer,
            "{name}: {} bytes, 7z PPMd {peer}",
            sz.len()
        );
    }
    let _ = std::fs::remove_dir_all(&tmp);
}
