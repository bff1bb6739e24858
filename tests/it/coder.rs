//! Round trips and robustness of the entropy coders (exact, sequence, set, codebook).

use proptest::prelude::*;
use semzip::codec::coder::{
    CoderContext, Skill, canonical_set, decode_codebook, decode_exact, decode_sequences,
    decode_sets, encode_codebook, encode_exact, encode_exact_stats, encode_sequences, encode_sets,
};
use semzip::model::Codebook;

fn book_of(words: &[String]) -> Codebook {
    Codebook::new(
        words
            .iter()
            .enumerate()
            .map(|(i, w)| (w.clone(), 1 + (i as u64 * 7) % 13)),
    )
}

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,8}",
        "[a-zéü0-9]{1,6}",
        Just("the".to_string()),
        Just("alice".to_string())
    ]
}

fn text_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300),
        "([A-Za-zÉéß0-9]{1,9}[ ,.!?\n'\"-]{1,3}){0,60}".prop_map(String::into_bytes),
    ]
}

fn skill(n: u32) -> impl Strategy<Value = Skill> {
    prop_oneof![
        3 => (0..n.max(1)).prop_map(Skill::Known),
        1 => "[a-z]{0,6}".prop_map(Skill::Literal),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn exact_round_trips(data in text_bytes(), words in proptest::collection::vec(word(), 0..30)) {
        let ctx = CoderContext::new(&book_of(&words), &[]);
        let (payload, stats) = encode_exact_stats(&ctx, &data);
        prop_assert_eq!(stats.known + stats.escapes, stats.words);
        prop_assert_eq!(decode_exact(&ctx, &payload).unwrap(), data);
    }

    #[test]
    fn sequences_and_sets_round_trip(
        words in proptest::collection::vec(word(), 1..30),
        texts in proptest::collection::vec(proptest::collection::vec(skill(30), 0..12), 0..8),
    ) {
        let book = book_of(&words);
        let n = book.len() as u32;
        let texts: Vec<Vec<Skill>> = texts
            .into_iter()
            .map(|t| t.into_iter().map(|s| match s { Skill::Known(c) => Skill::Known(c % n), l => l }).collect())
            .collect();
        let ctx = CoderContext::new(&book, &[(0, n - 1, 3)]);
        let seq = encode_sequences(&ctx, &texts);
        prop_assert_eq!(&decode_sequences(&ctx, &seq).unwrap(), &texts);
        let sets = encode_sets(&ctx, &texts);
        let want: Vec<Vec<Skill>> = texts.iter().map(|t| canonical_set(t)).collect();
        prop_assert_eq!(decode_sets(&ctx, &sets).unwrap(), want);
    }

    #[test]
    fn codebook_round_trips(entries in proptest::collection::vec(("[a-zé]{0,10}", 1u64..1000), 0..60)) {
        let book = Codebook::new(entries);
        prop_assert_eq!(decode_codebook(&encode_codebook(&book)).unwrap(), book);
    }

    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let words: Vec<String> = ["the", "a", "alice"].iter().map(|s| s.to_string()).collect();
        let ctx = CoderContext::new(&book_of(&words), &[]);
        let _ = decode_exact(&ctx, &bytes);
        let _ = decode_sequences(&ctx, &bytes);
        let _ = decode_sets(&ctx, &bytes);
        let _ = decode_codebook(&bytes);
    }

    #[test]
    fn mutated_payloads_never_panic(data in text_bytes(), pos in any::<usize>(), bit in 0u8..8, cut in any::<usize>()) {
        let words: Vec<String> = ["the", "a", "alice"].iter().map(|s| s.to_string()).collect();
        let book = book_of(&words);
        let ctx = CoderContext::new(&book, &[]);
        let mut p = encode_exact(&ctx, &data);
        if !p.is_empty() {
            let i = pos % p.len();
            p[i] ^= 1 << bit;
        }
        let _ = decode_exact(&ctx, &p);
        p.truncate(cut % (p.len() + 1));
        let _ = decode_exact(&ctx, &p);
        let mut b = encode_codebook(&book);
        if !b.is_empty() {
            let i = pos % b.len();
            b[i] ^= 1 << bit;
        }
        let _ = decode_codebook(&b);
    }
}

#[test]
fn repetitive_input_stays_decodable() {
    let ctx = CoderContext::new(&Codebook::default(), &[]);
    let data = b"ab ".repeat(100_000);
    let p = encode_exact(&ctx, &data);
    assert!(p.len() < data.len() / 10);
    assert_eq!(decode_exact(&ctx, &p).unwrap(), data);
    let zeros = vec![0u8; 300_000];
    assert_eq!(
        decode_exact(&ctx, &encode_exact(&ctx, &zeros)).unwrap(),
        zeros
    );
}

#[test]
#[cfg_attr(
    not(has_canterbury),
    ignore = "needs ../shared/corpora/canterbury (then touch build.rs)"
)]
fn canterbury_round_trips() {
    let dir = std::path::Path::new("../shared/corpora/canterbury");
    if !dir.exists() {
        eprintln!("skipped: {} is absent", dir.display());
        return;
    }
    for name in ["alice29.txt", "asyoulik.txt"] {
        let data = std::fs::read(dir.join(name)).unwrap();
        let text = String::from_utf8_lossy(&data).to_lowercase();
        let words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect();
        // Half of the vocabulary known: the rest exercises escapes.
        let book = Codebook::new(
            words
                .iter()
                .filter(|w| w.len() % 2 == 0)
                .map(|w| (w.clone(), 1)),
        );
        let ctx = CoderContext::new(&book, &[]);
        let (p, st) = encode_exact_stats(&ctx, &data);
        assert!(st.escapes > 0 && st.known > 0);
        assert!(p.len() * 2 < data.len(), "{name}: {} bytes", p.len());
        assert_eq!(decode_exact(&ctx, &p).unwrap(), data);
        let cb = encode_codebook(&book);
        assert_eq!(decode_codebook(&cb).unwrap(), book);
    }
}

#[test]
fn huge_codebook_counts_round_trip() {
    // Counts like those of a large training corpus must not overflow the coder's range.
    let words = ["the", "of", "alice", "rabbit", "queen", "hatter"];
    let book = Codebook::new(
        words
            .iter()
            .enumerate()
            .map(|(i, w)| (w.to_string(), 40_000_000u64 >> i)),
    );
    let ctx = CoderContext::new(&book, &[(0, 2, 1_000_000)]);
    let data = b"The Queen said to Alice: the rabbit and the Hatter, of course!".repeat(20);
    assert_eq!(
        decode_exact(&ctx, &encode_exact(&ctx, &data)).unwrap(),
        data
    );
    let texts = vec![
        vec![
            Skill::Known(2),
            Skill::Known(0),
            Skill::Literal("march".into()),
        ],
        vec![Skill::Known(5), Skill::Known(1)],
    ];
    let want: Vec<Vec<Skill>> = texts.iter().map(|t| canonical_set(t)).collect();
    assert_eq!(decode_sets(&ctx, &encode_sets(&ctx, &texts)).unwrap(), want);
    assert_eq!(
        decode_sequences(&ctx, &encode_sequences(&ctx, &texts)).unwrap(),
        texts
    );
    assert_eq!(decode_codebook(&encode_codebook(&book)).unwrap(), book);
}

/// The codebook of a text's own lower-cased words with their counts.
fn own_book(data: &[u8]) -> Codebook {
    let text = String::from_utf8_lossy(data).to_lowercase();
    Codebook::new(
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| (w.to_string(), 1)),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    #[test]
    fn exact_round_trips_with_the_datas_own_counts(data in "([A-Za-z]{1,6}[ ,.\n]{1,2}){1,80}") {
        // Counts equal to the data's own take the count-spending path.
        let book = own_book(data.as_bytes());
        let ctx = CoderContext::new(&book, &[]);
        let p = encode_exact(&ctx, data.as_bytes());
        prop_assert_eq!(decode_exact(&ctx, &p).unwrap(), data.into_bytes());
    }
}

#[test]
fn own_counts_beat_foreign_counts() {
    let data = b"the cat and the dog and the bird saw the cat. ".repeat(30);
    let own = own_book(&data);
    // Same words, counts unrelated to the data: the adaptive path.
    let flat = Codebook::new(own.skills().iter().map(|w| (w.clone(), 1)));
    let p_own = encode_exact(&CoderContext::new(&own, &[]), &data);
    let p_flat = encode_exact(&CoderContext::new(&flat, &[]), &data);
    assert_eq!(
        decode_exact(&CoderContext::new(&own, &[]), &p_own).unwrap(),
        data
    );
    assert!(
        p_own.len() <= p_flat.len(),
        "{} > {}",
        p_own.len(),
        p_flat.len()
    );
}

proptest! {
    /// Random bytes never cost more than one byte over their length: coding that would
    /// expand them falls back to storing them.
    #[test]
    fn incompressible_bytes_are_stored_not_expanded(data in prop::collection::vec(any::<u8>(), 0..4000)) {
        let ctx = CoderContext::new(&Codebook::default(), &[]);
        let payload = encode_exact(&ctx, &data);
        prop_assert!(payload.len() <= data.len() + 1, "{} > {} + 1", payload.len(), data.len());
        prop_assert_eq!(decode_exact(&ctx, &payload).unwrap(), data);
    }
}

#[test]
fn unknown_exact_payload_mode_is_an_error() {
    let ctx = CoderContext::new(&Codebook::default(), &[]);
    assert!(decode_exact(&ctx, &[8, 1, 2, 3]).is_err());
    assert!(decode_exact(&ctx, &[]).is_err());
}
