//! A thin layer over constriction's range coder that codes intervals of adaptive
//! frequency tables (any total up to 2^24), so models can keep plain counts.

use constriction::stream::model::{DecoderModel, EncoderModel, EntropyModel};
use constriction::stream::queue::{DefaultRangeDecoder, DefaultRangeEncoder};
use constriction::stream::{Decode, Encode};
use std::borrow::Borrow;
use std::num::NonZeroU32;

/// Fixed-point precision of the coder's probabilities.
const PREC: usize = 24;
/// Largest total a frequency table may have when coded.
pub const MAX_TOTAL: u32 = 1 << PREC;

#[inline]
fn scale(c: u32, total: u32) -> u32 {
    if total.is_power_of_two() {
        // The same value without a division (binary decisions use such totals).
        return c << (PREC as u32 - total.trailing_zeros());
    }
    (((c as u64) << PREC) / total as u64) as u32
}

/// A model that knows one interval: what the encoder needs once the caller has
/// looked the symbol up.
struct Span {
    left: u32,
    prob: NonZeroU32,
}

impl EntropyModel<PREC> for Span {
    type Symbol = ();
    type Probability = u32;
}

impl EncoderModel<PREC> for Span {
    fn left_cumulative_and_probability(
        &self,
        _symbol: impl Borrow<()>,
    ) -> Option<(u32, NonZeroU32)> {
        Some((self.left, self.prob))
    }
}

/// A model that maps the decoder's quantile to a target count and lets the caller's
/// search find the symbol covering it.
struct Finder<F: Fn(u32) -> (u32, u32, u32)> {
    total: u32,
    find: F,
}

impl<F: Fn(u32) -> (u32, u32, u32)> EntropyModel<PREC> for Finder<F> {
    type Symbol = u32;
    type Probability = u32;
}

impl<F: Fn(u32) -> (u32, u32, u32)> DecoderModel<PREC> for Finder<F> {
    fn quantile_function(&self, q: u32) -> (u32, u32, NonZeroU32) {
        let total = self.total as u64;
        let t = (((q as u64 + 1) * total - 1) >> PREC) as u32;
        let (sym, cum, freq) = (self.find)(t.min(self.total - 1));
        let left = scale(cum, self.total);
        let right = scale(cum + freq, self.total);
        // cum <= t < cum + freq makes right > left; the max keeps garbage from panicking.
        let prob = NonZeroU32::new(right.saturating_sub(left)).unwrap_or(NonZeroU32::MIN);
        (sym, left, prob)
    }
}

/// The encoding side: codes (cumulative, frequency, total) intervals.
pub struct Enc {
    inner: DefaultRangeEncoder,
    /// Bits spent per tag, when tracing (measurement only).
    pub trace: Option<Vec<f64>>,
    /// The tag the next symbols are charged to.
    pub tag: usize,
}

impl Enc {
    /// A fresh encoder.
    pub fn new() -> Self {
        Enc {
            inner: DefaultRangeEncoder::new(),
            trace: None,
            tag: 0,
        }
    }

    /// Codes the interval [cum, cum+freq) of `total` (1 <= freq, cum+freq <= total <= 2^24).
    /// A certain event (freq == total) costs nothing and is skipped.
    #[inline]
    pub fn put(&mut self, cum: u32, freq: u32, total: u32) {
        debug_assert!(freq >= 1 && cum + freq <= total && total <= MAX_TOTAL);
        if freq >= total {
            return;
        }
        if let Some(t) = self.trace.as_mut() {
            if t.len() <= self.tag {
                t.resize(self.tag + 1, 0.0);
            }
            t[self.tag] += (total as f64 / freq as f64).log2();
        }
        let left = scale(cum, total);
        let right = scale(cum + freq, total);
        let Some(prob) = NonZeroU32::new(right - left) else {
            return;
        };
        let r = self.inner.encode_symbol((), Span { left, prob });
        debug_assert!(r.is_ok());
    }

    /// Codes `value` uniformly among `1 << bits` values (bits <= 24).
    pub fn bits(&mut self, value: u32, bits: u32) {
        if bits > 0 {
            self.put(value & ((1 << bits) - 1), 1, 1 << bits);
        }
    }

    /// Codes an unsigned integer of any size: 5 bits of length, then the bits.
    pub fn uint(&mut self, value: u64) {
        let n = 64 - value.leading_zeros();
        self.bits(n, 7);
        let mut left = n;
        while left > 0 {
            let take = left.min(16);
            left -= take;
            self.bits(((value >> left) & ((1 << take) - 1)) as u32, take);
        }
    }

    /// The compressed bytes (big-endian words, trailing zero bytes dropped: the
    /// decoder reads missing bytes as zeros).
    pub fn finish(self) -> Vec<u8> {
        let words = self.inner.into_compressed().unwrap_or_default();
        let mut out = Vec::with_capacity(words.len() * 4);
        for w in words {
            out.extend_from_slice(&w.to_be_bytes());
        }
        while out.last() == Some(&0) {
            out.pop();
        }
        out
    }
}

/// The decoding side, mirroring [`Enc`].
pub struct Dec {
    inner: DefaultRangeDecoder,
    /// Set when the data could not have come from the encoder.
    pub bad: bool,
}

impl Dec {
    /// A decoder over compressed bytes (missing trailing bytes read as zeros).
    pub fn new(bytes: &[u8]) -> Self {
        let mut words = Vec::with_capacity(bytes.len().div_ceil(4));
        for chunk in bytes.chunks(4) {
            let mut b = [0u8; 4];
            b[..chunk.len()].copy_from_slice(chunk);
            words.push(u32::from_be_bytes(b));
        }
        let inner = match DefaultRangeDecoder::from_compressed(words) {
            Ok(inner) => inner,
            Err(never) => match never {},
        };
        Dec { inner, bad: false }
    }

    /// Decodes one symbol of a table with `total`; `find(t)` returns the symbol whose
    /// interval [cum, cum+freq) holds t, as (symbol, cum, freq).
    #[inline]
    pub fn get<F: Fn(u32) -> (u32, u32, u32)>(&mut self, total: u32, find: F) -> u32 {
        if total <= 1 {
            return find(0).0;
        }
        // A table whose one symbol holds the whole total was skipped by the encoder.
        let (s, _, f) = find(0);
        if f >= total {
            return s;
        }
        match self.inner.decode_symbol(Finder { total, find }) {
            Ok(s) => s,
            Err(_) => {
                self.bad = true;
                0
            }
        }
    }

    /// Decodes a value coded by [`Enc::bits`].
    pub fn bits(&mut self, bits: u32) -> u32 {
        if bits == 0 {
            return 0;
        }
        self.get(1 << bits, |t| (t, t, 1))
    }

    /// Decodes a value coded by [`Enc::uint`].
    pub fn uint(&mut self) -> u64 {
        let n = self.bits(7).min(64);
        let mut v: u64 = 0;
        let mut left = n;
        while left > 0 {
            let take = left.min(16);
            left -= take;
            v = (v << take) | self.bits(take) as u64;
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_round_trip() {
        let tables: Vec<Vec<u32>> =
            vec![vec![1, 2, 3], vec![5], vec![1, 1 << 20, 7, 1], vec![3; 300]];
        let mut seq = Vec::new();
        let mut e = Enc::new();
        for i in 0..2000u32 {
            let t = &tables[(i as usize * 7) % tables.len()];
            let s = (i as usize * 13 + 5) % t.len();
            let cum: u32 = t[..s].iter().sum();
            e.put(cum, t[s], t.iter().sum());
            e.uint(i as u64 * 977);
            seq.push(s);
        }
        let bytes = e.finish();
        let mut d = Dec::new(&bytes);
        for i in 0..2000u32 {
            let t = &tables[(i as usize * 7) % tables.len()];
            let total: u32 = t.iter().sum();
            let s = d.get(total, |x| {
                let mut c = 0;
                for (j, &f) in t.iter().enumerate() {
                    if x < c + f {
                        return (j as u32, c, f);
                    }
                    c += f;
                }
                (0, 0, t[0])
            });
            assert_eq!(s as usize, seq[i as usize]);
            assert_eq!(d.uint(), i as u64 * 977);
        }
        assert!(!d.bad);
    }
}
