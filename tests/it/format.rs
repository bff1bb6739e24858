//! docs/FORMAT.md read as an outsider would, each claim checked against the code:
//! the exact level's mode byte before its varint, the expansion bound (64 n + 4096
//! units for an n-byte body) on every payload decoder and the embedded codebook,
//! encoders padding to stay inside it, the one-byte bound on growth, overlong
//! varints refused in the codebook, and a model's codebook lists that must pair up.

use semzip::codec::coder::{
    CoderContext, Skill, decode_codebook, decode_exact, decode_sequences, decode_sets,
    encode_codebook, encode_exact, encode_sets,
};
use semzip::codec::varint;
use semzip::model::{Codebook, Model};

/// FORMAT.md, "Expansion bound": the most units an n-byte payload body decodes to.
fn bound(n: usize) -> u64 {
    64 * n as u64 + 4096
}

fn context() -> CoderContext {
    let book = Codebook::new(
        ["ka", "lo", "mi", "ru"]
            .iter()
            .enumerate()
            .map(|(i, w)| (w.to_string(), 10 - i as u64)),
    );
    CoderContext::new(&book, &[(0, 1, 3)])
}

/// A body of `zeros` zero bytes behind a varint of `value(n)`, where n is the
/// body's whole length, varint included (the varint's own length depends on it).
fn body(zeros: usize, value: impl Fn(usize) -> u64) -> Vec<u8> {
    for vlen in 1..=varint::MAX_VARINT_BYTES {
        let v = value(vlen + zeros);
        let mut out = Vec::new();
        varint::put(&mut out, v);
        if out.len() == vlen {
            out.resize(vlen + zeros, 0);
            return out;
        }
    }
    unreachable!("some varint length is consistent")
}

fn with_mode(mode: u8, body: &[u8]) -> Vec<u8> {
    let mut p = vec![mode];
    p.extend_from_slice(body);
    p
}

#[test]
fn exact_payloads_start_with_a_mode_byte_and_mode_2_is_held_to_the_bound() {
    let ctx = context();
    // Mode 2 decodes any body to the length its varint names: exactly at the bound
    // it is accepted, one unit above it refused.
    // So does mode 3 (the current coder; mode 2 is the first one's, still read).
    let at = body(200, bound);
    let above = body(200, |n| bound(n) + 1);
    for mode in [2, 3] {
        let out = decode_exact(&ctx, &with_mode(mode, &at)).expect("a length at the bound");
        assert_eq!(out.len() as u64, bound(at.len()));
        assert!(decode_exact(&ctx, &with_mode(mode, &above)).is_err());
    }
    // Mode 0's varint is 2 × length + policy.
    let above = body(200, |n| 2 * (bound(n) + 1));
    assert!(decode_exact(&ctx, &with_mode(0, &above)).is_err());
    // Mode 1 is the bytes as they are, no varint.
    assert_eq!(decode_exact(&ctx, &[1, 0x80, 0x00]).unwrap(), [0x80, 0x00]);
    // Mode 4 (block sorting) is held to the bound too; a body at the bound may still
    // fail its own checks, as corrupt.
    assert!(decode_exact(&ctx, &with_mode(4, &above)).is_err());
    if let Err(e) = decode_exact(&ctx, &with_mode(4, &at)) {
        assert!(matches!(e, semzip::Error::Corrupt(_)), "{e}");
    }
    // So are modes 5 and 7 (PPM) and 6 (long copies, then block sorting); a body at the
    // bound decodes or is corrupt.
    for mode in [5, 6, 7] {
        assert!(decode_exact(&ctx, &with_mode(mode, &above)).is_err());
        if let Err(e) = decode_exact(&ctx, &with_mode(mode, &at)) {
            assert!(matches!(e, semzip::Error::Corrupt(_)), "{e}");
        }
    }
    // Modes 8 and up are refused, and so is an empty payload.
    for mode in 8..=255 {
        assert!(
            decode_exact(&ctx, &with_mode(mode, &at)).is_err(),
            "mode {mode}"
        );
    }
    assert!(decode_exact(&ctx, &[]).is_err());
}

#[test]
fn lossy_payloads_and_the_codebook_refuse_counts_past_the_bound() {
    let ctx = context();
    for policy in 0..2 {
        let above = body(100, |n| 2 * (bound(n) + 1) + policy);
        assert!(decode_sets(&ctx, &above).is_err(), "sets, policy {policy}");
        assert!(
            decode_sequences(&ctx, &above).is_err(),
            "sequences, policy {policy}"
        );
    }
    // The codebook's varint is its number of skills, each a unit.
    let above = body(100, |n| bound(n) + 1);
    assert!(decode_codebook(&above).is_err());
}

#[test]
fn encoders_pad_repetitive_inputs_into_the_bound() {
    let ctx = context();
    let data = vec![b'\n'; 1 << 20];
    let p = encode_exact(&ctx, &data);
    assert!(bound(p.len() - 1) >= data.len() as u64, "{} bytes", p.len());
    assert_eq!(decode_exact(&ctx, &p).unwrap(), data);
    let texts = vec![Vec::<Skill>::new(); 300_000];
    let p = encode_sets(&ctx, &texts);
    assert!(bound(p.len()) >= texts.len() as u64, "{} bytes", p.len());
    assert_eq!(decode_sets(&ctx, &p).unwrap(), texts);
}

#[test]
fn an_exact_payload_is_at_most_one_byte_longer_than_its_input() {
    let ctx = context();
    let mut next = crate::common::lcg(17);
    for len in [0, 1, 7, 100, 5000] {
        let data: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        let p = encode_exact(&ctx, &data);
        assert!(p.len() <= data.len() + 1, "{len}: {} bytes", p.len());
        assert_eq!(decode_exact(&ctx, &p).unwrap(), data);
    }
}

#[test]
fn the_embedded_codebook_refuses_an_overlong_count() {
    let book = context().codebook().clone();
    let good = encode_codebook(&book);
    assert_eq!(decode_codebook(&good).unwrap(), book);
    // The same number of skills written in one more byte than needed.
    let (n, used) = varint::get(&good).unwrap();
    assert!(n < 0x80);
    let mut overlong = vec![n as u8 | 0x80, 0x00];
    overlong.extend_from_slice(&good[used..]);
    assert!(decode_codebook(&overlong).is_err());
}

#[test]
fn a_model_whose_codebook_lists_differ_in_length_is_refused() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/synth.szm");
    let m = Model::load(path).expect("the golden model");
    let skills = m.codebook.skills().to_vec();
    let counts = m.codebook.counts().to_vec();
    assert!(skills.len() > 1);
    // bincode writes a struct as its fields in order, so a tuple of the model's
    // fields with the codebook's two lists is the same body.
    let forge = |counts: &[u64]| {
        let body = bincode::serde::encode_to_vec(
            (
                &m.extractor,
                (&skills, counts),
                m.capacity,
                &m.learner,
                &m.training,
                &m.associations,
                &m.prime,
            ),
            bincode::config::standard(),
        )
        .unwrap();
        semzip::model::file::frame(&body).unwrap()
    };
    let same = Model::from_bytes(&forge(&counts)).expect("the model rebuilt");
    assert_eq!(same.encode_body(), m.encode_body());
    for short in [&counts[1..], &[][..]] {
        let e = Model::from_bytes(&forge(short)).unwrap_err();
        assert!(matches!(e, semzip::Error::Corrupt { .. }), "{e:?}");
    }
    let mut long = counts.clone();
    long.push(1);
    assert!(Model::from_bytes(&forge(&long)).is_err());
}
