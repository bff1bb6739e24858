//! The block-sorting exact coder (payload mode 6: long-match pass, then block
//! sorting): byte-identical round trips of arbitrary and of repeat-heavy inputs,
//! corrupt payloads refused as corrupt (never a panic), its size against zstd -19 on
//! changelog-like text, and files of format version 3 still read (version 4, mode 4
//! included: tests/it/layered_v4.rs).

use proptest::prelude::*;
use semzip::Error;
use semzip::codec::coder::{CoderContext, ExactCoder, decode_exact, encode_exact_with};
use semzip::codec::{EncodeOptions, decode};
use semzip::model::Codebook;
use semzip::pipeline::{EmbedOptions, encode};

use crate::common::{lcg, overlong_payload};
use crate::exact_real::{changelog, roff};

fn ctx() -> CoderContext {
    CoderContext::new(&Codebook::default(), &[])
}

/// Codes `data` by mode 6 (or stored, when coding would expand it).
fn bwt(data: &[u8]) -> Vec<u8> {
    encode_exact_with(&ctx(), data, ExactCoder::Bwt).0
}

fn round_trip(data: &[u8]) -> Vec<u8> {
    let p = bwt(data);
    let back = decode_exact(&ctx(), &p).unwrap();
    assert!(back == data, "round trip of {} bytes", data.len());
    p
}

#[test]
fn small_and_repetitive_inputs_round_trip_through_mode_6() {
    round_trip(b"");
    round_trip(b"a");
    round_trip(b"\0");
    for n in [2, 3, 17, 4096, 100_000] {
        let p = round_trip(&vec![b'x'; n]);
        // Tiny inputs are stored (mode 1): coding them would not pay.
        assert_eq!(p[0], if n < 10 { 1 } else { 6 }, "a run of {n}");
    }
    let all: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    assert_eq!(round_trip(&all)[0], 6);
    // Long repeats with an edit in each copy.
    let unit = changelog(3000, 9);
    let mut text = Vec::new();
    for i in 0..40u8 {
        text.extend_from_slice(unit.as_bytes());
        text.push(i);
    }
    let p = round_trip(&text);
    assert_eq!(p[0], 6);
    assert!(p.len() < unit.len(), "{} bytes for 40 copies", p.len());
    // A repeat far apart, overlapping copies (a period shorter than a copy), and a
    // repeat ending the input: copies cost a few bytes each, not the text again.
    let far = lcg_text(200_000, 11);
    let mut text = far.clone();
    text.extend_from_slice(&lcg_text(50_000, 12));
    text.extend_from_slice(&far);
    text.extend(b"xyz".iter().cycle().take(10_000));
    let alone = round_trip(&far).len();
    let p = round_trip(&text);
    assert!(
        p.len() < alone + alone / 4 + 2000,
        "{} bytes, the repeated part alone {alone}",
        p.len()
    );
}

/// Random lowercase text (incompressible beyond its alphabet).
fn lcg_text(n: usize, seed: u64) -> Vec<u8> {
    let mut next = lcg(seed);
    (0..n).map(|_| b'a' + (next() % 26) as u8).collect()
}

#[test]
fn changelog_like_text_by_mode_6_is_smaller_than_zstd_19() {
    for (what, text) in [
        ("changelog", changelog(200_000, 3)),
        ("roff", roff(200_000, 4)),
    ] {
        let p = round_trip(text.as_bytes());
        let z = zstd::bulk::compress(text.as_bytes(), 19).unwrap().len();
        assert_eq!(p[0], 6);
        assert!(
            p.len() < z,
            "{what}: mode 6 {} bytes, zstd -19 {z}",
            p.len()
        );
    }
}

#[test]
fn files_forced_to_block_sorting_decode_whole() {
    let text = changelog(300_000, 5);
    let opts = EncodeOptions {
        exact_coder: ExactCoder::Bwt,
        packet_bytes: 100_000,
        ..EncodeOptions::default()
    };
    let mut sz = Vec::new();
    let embed = EmbedOptions::default();
    encode(text.as_bytes(), "in", &mut sz, "out", None, &opts, &embed).unwrap();
    let mut back = Vec::new();
    decode(&sz[..], "in.sz", &mut back, "out", None).unwrap();
    assert!(back == text.as_bytes());
}

fn is_corrupt(r: semzip::Result<Vec<u8>>) -> bool {
    matches!(r, Err(Error::Corrupt(_)))
}

/// Bytes a varint at the head of `b` takes.
fn varint_len(b: &[u8]) -> usize {
    b.iter().position(|&x| x < 0x80).unwrap() + 1
}

#[test]
fn bad_counts_chain_starts_and_truncation_are_corrupt() {
    let text = changelog(50_000, 7);
    let p = bwt(text.as_bytes());
    assert_eq!(p[0], 6);
    // Mode byte, then varints: length, literal count, copy count, chain starts.
    let a = 1 + varint_len(&p[1..]);
    let b = a + varint_len(&p[a..]);
    let c = b + varint_len(&p[b..]);
    let splice = |at: usize, skip: usize, v: &[u8]| {
        let mut q = p[..at].to_vec();
        q.extend_from_slice(v);
        q.extend_from_slice(&p[at + skip..]);
        q
    };
    let huge = [0xff, 0xff, 0xff, 0x7f];
    // More literals than bytes; more copies than fit; a chain start past the end.
    assert!(is_corrupt(decode_exact(&ctx(), &splice(a, b - a, &huge))));
    assert!(is_corrupt(decode_exact(&ctx(), &splice(b, c - b, &huge))));
    assert!(is_corrupt(decode_exact(&ctx(), &splice(c, 0, &huge))));
    for cut in [1, 2, 3, 5, 20] {
        assert!(is_corrupt(decode_exact(&ctx(), &p[..cut])), "cut at {cut}");
    }
    // A length beyond what the payload may decode to.
    let long = overlong_payload(6, &p[4..40]);
    assert!(is_corrupt(decode_exact(&ctx(), &long)));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn arbitrary_bytes_round_trip_through_mode_6(
        data in prop::collection::vec(any::<u8>(), 0..3000),
        reps in 1usize..6,
        run in 0usize..2000,
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 0..4),
    ) {
        let mut text = data.repeat(reps);
        text.extend(std::iter::repeat_n(data.first().copied().unwrap_or(7), run));
        // Edited copies: repeats broken at random places.
        for (at, b) in edits {
            if !text.is_empty() {
                let i = at % text.len();
                text[i] = b;
            }
        }
        let p = bwt(&text);
        prop_assert_eq!(decode_exact(&ctx(), &p).unwrap(), text);
    }

    #[test]
    fn garbage_after_mode_4_or_6_is_corrupt_or_decodes_without_panic(
        body in prop::collection::vec(any::<u8>(), 0..400),
        seed in any::<u64>(),
    ) {
        for mode in [4u8, 6] {
            let mut p = vec![mode];
            p.extend_from_slice(&body);
            match decode_exact(&ctx(), &p) {
                Ok(out) => prop_assert!(out.len() <= 64 * p.len() + 4096),
                Err(e) => prop_assert!(matches!(e, Error::Corrupt(_)), "{e}"),
            }
        }
        // The same after flipping bytes of a real payload.
        let mut next = lcg(seed);
        let mut text = changelog(5000, seed % 7).into_bytes();
        text.extend_from_within(1000..3000);
        let mut q = bwt(&text);
        for _ in 0..3 {
            let i = 1 + (next() as usize) % (q.len() - 1);
            q[i] ^= 1 + (next() % 255) as u8;
        }
        match decode_exact(&ctx(), &q) {
            Ok(out) => prop_assert!(out.len() <= 64 * q.len() + 4096),
            Err(e) => prop_assert!(matches!(e, Error::Corrupt(_)), "{e}"),
        }
    }
}

#[test]
fn format_version_3_files_are_still_read() {
    use semzip::codec::Level;
    use semzip::model::Model;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let read = |p: &str| std::fs::read(dir.join(p)).unwrap();
    let model = Model::from_bytes(&read("v3/synth.szm")).unwrap();
    let input = read("input.txt");
    for level in Level::ALL {
        for kind in ["shared", "embedded"] {
            let name = format!("{level}-{kind}");
            let sz = read(&format!("v3/{name}.sz"));
            assert_eq!(u16::from_le_bytes([sz[4], sz[5]]), 3, "{name}");
            let m = (kind == "shared").then_some(&model);
            let mut out = Vec::new();
            decode(&sz[..], &name, &mut out, "out", m).unwrap();
            let want = if level.is_lossy() {
                read(&format!("v3/{name}.out"))
            } else {
                input.clone()
            };
            assert!(out == want, "{name}: decodes differently");
        }
    }
}
