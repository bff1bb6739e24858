//! docs/FORMAT.md's "Range coder arithmetic", written out from the text alone, must
//! agree word for word with the range coder the payloads use (constriction 0.4,
//! 24-bit precision), so the spec can be implemented without the crate.

use constriction::stream::model::{DecoderModel, EncoderModel, EntropyModel};
use constriction::stream::queue::{DefaultRangeDecoder, DefaultRangeEncoder};
use constriction::stream::{Decode, Encode};
use proptest::prelude::*;
use std::borrow::Borrow;
use std::num::NonZeroU32;

/// One coded event: the interval [c, c + f) of a table of total t.
#[derive(Debug, Clone, Copy)]
struct Event {
    c: u32,
    f: u32,
    t: u32,
}

/// The grid mapping of the spec: (left, p).
fn grid(e: Event) -> (u64, u64) {
    let left = (u64::from(e.c) << 24) / u64::from(e.t);
    let right = (u64::from(e.c + e.f) << 24) / u64::from(e.t);
    (left, right - left)
}

/// The spec's reference encoder.
fn spec_encode(events: &[Event]) -> Vec<u32> {
    let (mut lower, mut range) = (0u64, u64::MAX);
    let mut inverted: Option<(usize, u32)> = None;
    let mut out = Vec::new();
    let flush = |out: &mut Vec<u32>, k: usize, w: u32, carry: bool| {
        let (first, rest) = if carry {
            (w.wrapping_add(1), 0)
        } else {
            (w, u32::MAX)
        };
        out.push(first);
        out.extend(std::iter::repeat_n(rest, k - 1));
    };
    for &e in events {
        if e.f == e.t {
            continue;
        }
        let (left, p) = grid(e);
        let scale = range >> 24;
        range = scale * p;
        let new = lower.wrapping_add(scale * left);
        if let Some((k, w)) = inverted
            && new.wrapping_add(range) > new
        {
            flush(&mut out, k, w, new < lower);
            inverted = None;
        }
        lower = new;
        if range < 1 << 32 {
            range <<= 32;
            let word = (lower >> 32) as u32;
            lower <<= 32;
            match &mut inverted {
                Some((k, _)) => *k += 1,
                None if lower.wrapping_add(range) > lower => out.push(word),
                None => inverted = Some((1, word)),
            }
        }
    }
    if range != u64::MAX {
        let point = lower.wrapping_add((1 << 32) - 1);
        if let Some((k, w)) = inverted {
            flush(&mut out, k, w, point < lower);
        }
        out.push((point >> 32) as u32);
        if (lower.wrapping_add(range) >> 32) as u32 == (point >> 32) as u32 {
            out.push(0);
        }
    }
    out
}

/// The spec's decoder: the symbol index (into `tables`' intervals) of each event.
fn spec_decode(words: &[u32], tables: &[Vec<u32>]) -> Option<Vec<usize>> {
    let mut next = words.iter().copied().chain(std::iter::repeat(0));
    let (mut lower, mut range) = (0u64, u64::MAX);
    let mut point = (u64::from(next.next()?) << 32) | u64::from(next.next()?);
    let mut got = Vec::new();
    for freqs in tables {
        let t: u32 = freqs.iter().sum();
        if freqs.contains(&t) {
            got.push(freqs.iter().position(|&f| f == t)?);
            continue;
        }
        let scale = range >> 24;
        let q = point.wrapping_sub(lower) / scale;
        if q >= 1 << 24 {
            return None;
        }
        let target = ((((q + 1) * u64::from(t)) - 1) >> 24).min(u64::from(t) - 1) as u32;
        let (mut c, mut i) = (0u32, 0usize);
        while c + freqs[i] <= target {
            c += freqs[i];
            i += 1;
        }
        let (left, p) = grid(Event { c, f: freqs[i], t });
        lower = lower.wrapping_add(scale * left);
        range = scale * p;
        if range < 1 << 32 {
            lower <<= 32;
            range <<= 32;
            point = (point << 32) | u64::from(next.next()?);
        }
        got.push(i);
    }
    Some(got)
}

/// The crate's coder, fed the same intervals as `src/codec/coder/rc.rs` feeds it.
struct Span(u32, NonZeroU32);
impl EntropyModel<24> for Span {
    type Symbol = ();
    type Probability = u32;
}
impl EncoderModel<24> for Span {
    fn left_cumulative_and_probability(&self, _: impl Borrow<()>) -> Option<(u32, NonZeroU32)> {
        Some((self.0, self.1))
    }
}
struct Find<'a>(&'a [u32]);
impl EntropyModel<24> for Find<'_> {
    type Symbol = usize;
    type Probability = u32;
}
impl DecoderModel<24> for Find<'_> {
    fn quantile_function(&self, q: u32) -> (usize, u32, NonZeroU32) {
        let t: u32 = self.0.iter().sum();
        let target = ((((u64::from(q) + 1) * u64::from(t)) - 1) >> 24).min(u64::from(t) - 1) as u32;
        let (mut c, mut i) = (0u32, 0usize);
        while c + self.0[i] <= target {
            c += self.0[i];
            i += 1;
        }
        let (left, p) = grid(Event { c, f: self.0[i], t });
        (i, left as u32, NonZeroU32::new(p as u32).unwrap())
    }
}

fn crate_encode(events: &[Event]) -> Vec<u32> {
    let mut enc = DefaultRangeEncoder::new();
    for &e in events {
        if e.f == e.t {
            continue;
        }
        let (left, p) = grid(e);
        enc.encode_symbol((), Span(left as u32, NonZeroU32::new(p as u32).unwrap()))
            .unwrap();
    }
    enc.into_compressed().unwrap()
}

/// Tables (frequency lists, some skewed, some certain) and a symbol of each.
fn tables_and_symbols() -> impl Strategy<Value = Vec<(Vec<u32>, usize)>> {
    let table = prop_oneof![
        prop::collection::vec(1u32..5, 1..6),
        prop::collection::vec(1u32..(1 << 20), 2..4),
        (1u32..24).prop_map(|b| vec![1; 1 << b.min(8)]),
        Just(vec![1, (1 << 24) - 1]),
        Just(vec![(1 << 24) - 1, 1]),
        Just(vec![7]),
    ];
    prop::collection::vec(
        table.prop_flat_map(|t| {
            let n = t.len();
            (Just(t), 0..n)
        }),
        0..400,
    )
}

proptest! {
    #[test]
    fn the_spec_matches_the_coder_word_for_word(seq in tables_and_symbols()) {
        let events: Vec<Event> = seq
            .iter()
            .map(|(f, s)| Event {
                c: f[..*s].iter().sum(),
                f: f[*s],
                t: f.iter().sum(),
            })
            .collect();
        let spec = spec_encode(&events);
        prop_assert_eq!(&spec, &crate_encode(&events));
        let tables: Vec<Vec<u32>> = seq.iter().map(|(f, _)| f.clone()).collect();
        let want: Vec<usize> = seq.iter().map(|(_, s)| *s).collect();
        prop_assert_eq!(spec_decode(&spec, &tables), Some(want.clone()));
        // The crate's decoder agrees on the symbols (certain events are not coded).
        let mut dec = DefaultRangeDecoder::from_compressed(spec.clone()).unwrap();
        for (f, s) in &seq {
            if f.contains(&f.iter().sum::<u32>()) {
                continue;
            }
            prop_assert_eq!(dec.decode_symbol(Find(f)).unwrap(), *s);
        }
        // Trailing zero words may be dropped: a reader supplies them.
        let mut cut = spec.clone();
        while cut.last() == Some(&0) {
            cut.pop();
        }
        if !tables.is_empty() && !cut.is_empty() {
            prop_assert_eq!(spec_decode(&cut, &tables), Some(want));
        }
    }
}
