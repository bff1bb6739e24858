//! The set level: each text's skills in canonical order (codes ascending, then
//! literals sorted). A code is coded as the minimum of those left, from the order-0
//! counts restricted to codes above the previous one (boosted by a shared model's
//! associations), which is where a set saves the log2(k!) bits of order over a
//! sequence. A payload whose sets the sequence coder codes smaller (repeated sets) is
//! written that way instead, so a set never costs more than its sequence.

use super::exact::{max_units, pad};
use super::models::{Fenwick, Freq, FxMap, Spell};
use super::rc::{Dec, Enc};
use super::seq::canonical;
use super::words::BASE;
use super::{CoderContext, Skill, read_varint, write_varint};
use crate::{Error, Result};

const SIZE_ESC: usize = 63;

struct SetModel<'c> {
    fen: Fenwick,
    sizes: [Freq; 2],
    lits: Freq,
    lit_words: Vec<String>,
    lit_index: FxMap<String, usize>,
    spell: Spell<'c>,
    inc: u32,
    /// Codes seen with each code in earlier texts (only larger codes: sets go up).
    co: FxMap<u32, Vec<(u32, u32)>>,
    /// Boosts given to codes in the current text, undone at its end.
    boosts: Vec<(u32, u32)>,
    /// Codes of the current text so far.
    cur: Vec<u32>,
    boost: u32,
    /// Spend counts on use instead of adding (when the counts are this payload's own).
    deplete: bool,
}

/// Most co-occurring codes remembered per code (bounds the work per code sent).
const CO_MAX: usize = 256;

impl<'c> SetModel<'c> {
    fn new(ctx: &'c CoderContext, deplete: bool) -> Self {
        let mut co: FxMap<u32, Vec<(u32, u32)>> = FxMap::default();
        for (&a, list) in &ctx.assoc {
            let l: Vec<(u32, u32)> = list
                .iter()
                .filter(|&&(b, _)| b > a)
                .take(CO_MAX)
                .map(|&(b, c)| (b + BASE, c.clamp(1, 4)))
                .collect();
            if !l.is_empty() {
                co.insert(a + BASE, l);
            }
        }
        SetModel {
            fen: ctx.fen0.clone(),
            sizes: [Freq::new(64, 1, 1 << 14), Freq::new(64, 1, 1 << 14)],
            lits: Freq::new(1, 1, 1 << 14),
            lit_words: Vec::new(),
            lit_index: FxMap::default(),
            spell: Spell::new(&ctx.word_spell),
            inc: super::PRIOR,
            co,
            boosts: Vec::new(),
            cur: Vec::new(),
            boost: super::PRIOR,
            deplete,
        }
    }

    /// Counts a code just sent and boosts the codes that came with it before.
    fn sent(&mut self, id: u32) {
        self.cur.push(id);
        if self.deplete {
            // The counts are this payload's own: each use spends one, down to zero
            // (the order-statistic grid still gives every candidate a little room).
            let d = self.inc.min(self.fen.freq(id as usize));
            if d > 0 {
                self.fen.sub(id as usize, d);
            }
            return;
        }
        self.fen.add(id as usize, self.inc);
        if let Some(list) = self.co.get(&id) {
            for &(b, c) in list {
                let d = c * self.boost;
                self.fen.add(b as usize, d);
                self.boosts.push((b, d));
            }
        }
    }

    /// Undoes the boosts and learns the text's co-occurrences.
    fn end_text(&mut self) {
        for (b, d) in self.boosts.drain(..) {
            self.fen.sub(b as usize, d);
        }
        // Learning co-occurrences inside a payload was measured to cost more than it
        // gains (the order-0 counts already hold most of it); only priors boost.
        self.cur.clear();
        if self.fen.total() > 1 << 23 {
            self.fen.halve();
        }
    }
}

/// (s / s0)^r in 32-bit fixed point, in integers so every platform agrees.
fn pow_q32(s: u64, s0: u64, r: u64) -> u128 {
    if s >= s0 {
        return 1 << 32;
    }
    let mut base = ((s as u128) << 32) / (s0.max(1) as u128);
    let mut acc: u128 = 1 << 32;
    let mut e = r;
    while e > 0 {
        if e & 1 == 1 {
            acc = (acc * base) >> 32;
        }
        base = (base * base) >> 32;
        e >>= 1;
    }
    acc
}

/// The distribution of the smallest of `r` codes still to send, all above `lo - 1`:
/// P(min >= w) = (S(w)/S(lo))^r with S(w) the order-0 mass of codes >= w. Sending
/// the minimum each time is what lets a set save the log2(k!) bits of its order.
/// Mapped onto the coder's 2^24 grid with one unit per candidate so none is impossible.
struct MinDist<'a> {
    fen: &'a Fenwick,
    lo: usize,
    end: usize,
    r: u64,
    s0: u64,
    t_end: u64,
    a: u64,
}

const GRID: u32 = 1 << 24;

impl<'a> MinDist<'a> {
    fn new(fen: &'a Fenwick, lo: usize, end: usize, r: u64) -> Option<Self> {
        if lo >= end || end - lo >= (GRID / 2) as usize || end > fen.len() {
            return None;
        }
        let t_end = fen.cum(end) as u64;
        let s0 = t_end - fen.cum(lo) as u64;
        Some(MinDist {
            fen,
            lo,
            end,
            r,
            s0,
            t_end,
            a: (GRID as usize - (end - lo)) as u64,
        })
    }

    fn q(&self, w: usize) -> u32 {
        if w >= self.end {
            return GRID;
        }
        let s = self.t_end - self.fen.cum(w) as u64;
        let p = pow_q32(s, self.s0, self.r);
        let g = self.a - ((self.a as u128 * p) >> 32) as u64;
        (g + (w - self.lo) as u64) as u32
    }

    fn encode(&self, enc: &mut Enc, w: usize) {
        let l = self.q(w);
        enc.put(l, self.q(w + 1) - l, GRID);
    }

    fn decode(&self, dec: &mut Dec) -> u32 {
        dec.get(GRID, |t| {
            let (mut a, mut b) = (self.lo, self.end);
            while b - a > 1 {
                let mid = (a + b) / 2;
                if self.q(mid) <= t {
                    a = mid;
                } else {
                    b = mid;
                }
            }
            let l = self.q(a);
            (a as u32, l, self.q(a + 1) - l)
        })
    }
}

fn put_size(enc: &mut Enc, f: &mut Freq, n: usize) {
    let s = n.min(SIZE_ESC);
    f.encode(enc, s);
    f.inc(s, 8);
    if s == SIZE_ESC {
        enc.uint((n - SIZE_ESC) as u64);
    }
}

fn get_size(dec: &mut Dec, f: &mut Freq) -> u64 {
    let s = f.decode(dec);
    f.inc(s, 8);
    if s == SIZE_ESC {
        (SIZE_ESC as u64).saturating_add(dec.uint())
    } else {
        s as u64
    }
}

/// Lead of a set payload coded as sequences: a zero text count (which alone is the
/// whole payload of an empty packet), then this byte.
const AS_SEQUENCES: [u8; 2] = [0, 1];

/// Codes texts as sets.
pub fn encode(ctx: &CoderContext, texts: &[Vec<Skill>]) -> Vec<u8> {
    // Try both count policies and keep the smaller payload (one bit says which).
    let a = encode_mode(ctx, texts, false);
    let b = encode_mode(ctx, texts, true);
    let best = if b.len() < a.len() { b } else { a };
    if texts.is_empty() {
        return best;
    }
    // The sets in canonical order through the sequence coder, whose word contexts
    // see repeated sets (changelog trailers, boilerplate) that order statistics do not.
    let canon: Vec<Vec<Skill>> = texts.iter().map(|t| canonical(t)).collect();
    let seq = super::seq::encode(ctx, &canon);
    if seq.len() + AS_SEQUENCES.len() < best.len() {
        let mut out = AS_SEQUENCES.to_vec();
        out.extend_from_slice(&seq);
        return out;
    }
    best
}

fn encode_mode(ctx: &CoderContext, texts: &[Vec<Skill>], deplete: bool) -> Vec<u8> {
    let mut m = SetModel::new(ctx, deplete);
    let mut enc = Enc::new();
    let n_codes = ctx.book.len() as u32;
    let mut units = texts.len();
    for text in texts {
        let canon = canonical(text);
        let codes: Vec<u32> = canon
            .iter()
            .filter_map(|s| match s {
                Skill::Known(c) if *c < n_codes => Some(*c),
                _ => None,
            })
            .collect();
        let lits: Vec<String> = canon
            .iter()
            .filter_map(|s| match s {
                Skill::Literal(l) => Some(l.clone()),
                Skill::Known(c) if *c >= n_codes => Some(format!("#{c}")),
                _ => None,
            })
            .collect();
        put_size(&mut enc, &mut m.sizes[0], codes.len());
        let mut prev = BASE - 1;
        let end = (BASE + n_codes) as usize;
        for (j, &c) in codes.iter().enumerate() {
            let id = c + BASE;
            let r = (codes.len() - j) as u64;
            if let Some(d) = MinDist::new(&m.fen, prev as usize + 1, end, r) {
                d.encode(&mut enc, id as usize);
            }
            m.sent(id);
            prev = id;
        }
        m.end_text();
        put_size(&mut enc, &mut m.sizes[1], lits.len());
        for l in lits {
            units += l.len();
            match m.lit_index.get(&l) {
                Some(&i) => {
                    m.lits.encode(&mut enc, i + 1);
                    m.lits.inc(i + 1, 4);
                }
                None => {
                    m.lits.encode(&mut enc, 0);
                    m.lits.inc(0, 1);
                    m.spell.encode(&mut enc, l.as_bytes());
                    m.lit_index.insert(l.clone(), m.lit_words.len());
                    m.lit_words.push(l);
                    m.lits.push(2);
                }
            }
        }
        units += canon.len();
    }
    let body = enc.finish();
    let mut out = Vec::with_capacity(body.len() + 10);
    write_varint(&mut out, texts.len() as u64 * 2 + u64::from(deplete));
    out.extend_from_slice(&body);
    pad(&mut out, units);
    out
}

/// Decodes a payload of [`encode`] (sets in canonical order).
pub fn decode(ctx: &CoderContext, payload: &[u8]) -> Result<Vec<Vec<Skill>>> {
    let corrupt = || Error::corrupt("set payload is corrupt (decoding failed)");
    if let Some(rest) = payload.strip_prefix(&AS_SEQUENCES) {
        let texts = super::seq::decode(ctx, rest)?;
        // One encoding per set: anything but the canonical order is refused.
        if texts.iter().any(|t| canonical(t) != *t) {
            return Err(corrupt());
        }
        return Ok(texts);
    }
    let (n, used) = read_varint(payload).ok_or_else(corrupt)?;
    let (n, deplete) = (n / 2, n % 2 == 1);
    let cap = max_units(payload.len()) as u64;
    if n > cap {
        return Err(corrupt());
    }
    let mut units = n;
    let mut m = SetModel::new(ctx, deplete);
    let mut dec = Dec::new(&payload[used..]);
    let end = ctx.book.len() as u32 + BASE;
    let mut texts = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let k = get_size(&mut dec, &mut m.sizes[0]);
        units = units.saturating_add(k);
        if units > cap || dec.bad {
            return Err(corrupt());
        }
        let mut text = Vec::with_capacity(k as usize);
        let mut prev = BASE - 1;
        for j in 0..k {
            let d =
                MinDist::new(&m.fen, prev as usize + 1, end as usize, k - j).ok_or_else(corrupt)?;
            let id = d.decode(&mut dec);
            if id <= prev || id >= end || dec.bad {
                return Err(corrupt());
            }
            m.sent(id);
            text.push(Skill::Known(id - BASE));
            prev = id;
        }
        m.end_text();
        let l = get_size(&mut dec, &mut m.sizes[1]);
        units = units.saturating_add(l);
        if units > cap || dec.bad {
            return Err(corrupt());
        }
        for _ in 0..l {
            let i = m.lits.decode(&mut dec);
            let word = if i == 0 {
                m.lits.inc(0, 1);
                let max = (cap - units) as usize;
                let b = m.spell.decode(&mut dec, max).ok_or_else(corrupt)?;
                let w = String::from_utf8(b).map_err(|_| corrupt())?;
                if m.lit_index.contains_key(&w) {
                    return Err(corrupt());
                }
                m.lit_index.insert(w.clone(), m.lit_words.len());
                m.lit_words.push(w.clone());
                m.lits.push(2);
                w
            } else {
                m.lits.inc(i, 4);
                m.lit_words.get(i - 1).ok_or_else(corrupt)?.clone()
            };
            units = units.saturating_add(word.len() as u64);
            if units > cap {
                return Err(corrupt());
            }
            text.push(Skill::Literal(word));
        }
        texts.push(text);
    }
    Ok(texts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Codebook;

    fn sample() -> (Codebook, Vec<Vec<Skill>>) {
        let words: Vec<String> = (0..40).map(|i| format!("w{i}")).collect();
        let book = Codebook::new(
            words
                .iter()
                .enumerate()
                .map(|(i, w)| (w.clone(), 1 + (40 - i as u64))),
        );
        let texts = (0..30u32)
            .map(|t| {
                let mut v: Vec<Skill> = (0..(t % 7 + 1))
                    .map(|j| Skill::Known((t * 7 + j * 5) % 40))
                    .collect();
                if t % 4 == 0 {
                    v.push(Skill::Literal(format!("lit{}", t % 3)));
                }
                v
            })
            .collect();
        (book, texts)
    }

    #[test]
    fn both_count_policies_round_trip() {
        let (book, texts) = sample();
        let ctx = CoderContext::new(&book, &[(0, 5, 3), (2, 9, 1)]);
        let want: Vec<Vec<Skill>> = texts.iter().map(|t| canonical(t)).collect();
        for deplete in [false, true] {
            let p = encode_mode(&ctx, &texts, deplete);
            assert_eq!(decode(&ctx, &p).unwrap(), want, "deplete={deplete}");
        }
        assert!(encode(&ctx, &texts).len() <= encode_mode(&ctx, &texts, false).len());
    }

    #[test]
    fn repeated_sets_go_through_the_sequence_coder() {
        let (book, _) = sample();
        let ctx = CoderContext::new(&book, &[]);
        let texts: Vec<Vec<Skill>> = (0..400u32)
            .map(|t| {
                let k = t % 3;
                (0..6)
                    .map(|j| Skill::Known((k * 11 + j * 3) % 40))
                    .collect()
            })
            .collect();
        let p = encode(&ctx, &texts);
        assert!(p.starts_with(&AS_SEQUENCES));
        let want: Vec<Vec<Skill>> = texts.iter().map(|t| canonical(t)).collect();
        assert_eq!(decode(&ctx, &p).unwrap(), want);
        assert!(p.len() < encode_mode(&ctx, &texts, false).len());
        // A sequence payload out of canonical order is refused.
        let mut bad = AS_SEQUENCES.to_vec();
        bad.extend_from_slice(&super::super::seq::encode(
            &ctx,
            &[vec![Skill::Known(5), Skill::Known(2)]],
        ));
        assert!(decode(&ctx, &bad).is_err());
    }

    #[test]
    fn min_distribution_covers_the_grid() {
        let f = Fenwick::from_freqs(&[5, 1, 9, 2, 7, 1, 1]);
        for r in 1..5u64 {
            let d = MinDist::new(&f, 2, 7, r).unwrap();
            assert_eq!(d.q(2), 0);
            assert_eq!(d.q(7), GRID);
            assert!((2..7).all(|w| d.q(w) < d.q(w + 1)));
        }
        assert!(MinDist::new(&f, 7, 7, 1).is_none());
    }
}
