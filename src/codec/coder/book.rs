//! Compact embedding of a codebook: entries in code order, counts as the drop from
//! the previous count, words front-coded against the previous word (words of equal
//! count are sorted, so neighbours share prefixes) with an adaptive byte speller.

use super::exact::{max_units, pad};
use super::models::{CharPpm, Freq};
use super::rc::{Dec, Enc};
use super::{read_varint, write_varint};
use crate::model::Codebook;
use crate::{Error, Result};

const MAX_LCP: usize = 31;

struct BookModel {
    same: [Freq; 2],
    lcp: Vec<Freq>,
    spell: CharPpm,
}

impl BookModel {
    fn new() -> Self {
        BookModel {
            same: [Freq::new(2, 1, 1 << 12), Freq::new(2, 1, 1 << 12)],
            lcp: vec![Freq::new(MAX_LCP + 1, 1, 1 << 14); 2 * (MAX_LCP + 1)],
            spell: CharPpm::new(),
        }
    }
}

/// True when the book is in canonical order (count descending, then bytes ascending,
/// no repeats): then a word of the same count as the previous one sorts after it,
/// which rules out some first bytes of its suffix.
fn canonical(book: &Codebook) -> bool {
    let s = book.skills();
    let c = book.counts();
    (1..s.len()).all(|i| c[i] < c[i - 1] || (c[i] == c[i - 1] && s[i] > s[i - 1]))
}

/// The constraint on the first suffix byte: (floor, no end mark).
fn first_rule(sorted: bool, same: bool, prev: &[u8], l: usize) -> (Option<u8>, bool) {
    if !sorted || !same || l >= MAX_LCP {
        return (None, false);
    }
    (prev.get(l).copied(), true)
}

fn lcp(a: &[u8], b: &[u8]) -> usize {
    a.iter()
        .zip(b)
        .take_while(|(x, y)| x == y)
        .count()
        .min(MAX_LCP)
}

/// Encodes a codebook (entries, counts and code order are all kept).
pub fn encode(book: &Codebook) -> Vec<u8> {
    let mut m = BookModel::new();
    let mut enc = Enc::new();
    let sorted = canonical(book);
    enc.bits(u32::from(sorted), 1);
    let mut prev_word: &[u8] = &[];
    let mut prev_count: u64 = 0;
    let mut prev_same = 0usize;
    let mut prev_lcp = 0usize;
    let mut units = book.len();
    for (w, &c) in book.skills().iter().zip(book.counts()) {
        let w = w.as_bytes();
        units += w.len();
        let same = usize::from(c == prev_count);
        m.same[prev_same].encode(&mut enc, same);
        m.same[prev_same].inc(same, 8);
        if same == 0 {
            // Counts go down in code order; a rise (a hand-built book) is sent too.
            if c < prev_count {
                enc.bits(0, 1);
                enc.uint(prev_count - c - 1);
            } else {
                enc.bits(1, 1);
                enc.uint(c - prev_count - 1);
            }
        }
        prev_same = same;
        let l = lcp(prev_word, w);
        let lc = prev_lcp + (MAX_LCP + 1) * same;
        m.lcp[lc].encode_upto(&mut enc, l, prev_word.len().min(MAX_LCP) + 1);
        m.lcp[lc].inc(l, 8);
        prev_lcp = l;
        let (floor, no_end) = first_rule(sorted, same == 1, prev_word, l);
        m.spell.encode(&mut enc, &w[..l], &w[l..], floor, no_end);
        prev_word = w;
        prev_count = c;
    }
    let body = enc.finish();
    let mut out = Vec::with_capacity(body.len() + 10);
    write_varint(&mut out, book.len() as u64);
    out.extend_from_slice(&body);
    pad(&mut out, units);
    out
}

/// Decodes a codebook of [`encode`].
pub fn decode(bytes: &[u8]) -> Result<Codebook> {
    let corrupt = || Error::corrupt("embedded codebook is corrupt (decoding failed)");
    let (n, used) = read_varint(bytes).ok_or_else(corrupt)?;
    let cap = max_units(bytes.len());
    if n > cap as u64 {
        return Err(corrupt());
    }
    let mut m = BookModel::new();
    let mut dec = Dec::new(&bytes[used..]);
    let sorted = dec.bits(1) == 1;
    let mut skills: Vec<String> = Vec::with_capacity(n as usize);
    let mut counts: Vec<u64> = Vec::with_capacity(n as usize);
    let mut prev_word: Vec<u8> = Vec::new();
    let mut prev_count: u64 = 0;
    let mut prev_same = 0usize;
    let mut prev_lcp = 0usize;
    let mut units = n as usize;
    for _ in 0..n {
        let same = m.same[prev_same].decode(&mut dec);
        m.same[prev_same].inc(same, 8);
        let c = if same == 1 {
            prev_count
        } else if dec.bits(1) == 0 {
            prev_count
                .checked_sub(dec.uint())
                .and_then(|x| x.checked_sub(1))
                .ok_or_else(corrupt)?
        } else {
            prev_count
                .checked_add(dec.uint())
                .and_then(|x| x.checked_add(1))
                .ok_or_else(corrupt)?
        };
        prev_same = same;
        let lc = prev_lcp + (MAX_LCP + 1) * same;
        let l = m.lcp[lc].decode_upto(&mut dec, prev_word.len().min(MAX_LCP) + 1);
        m.lcp[lc].inc(l, 8);
        prev_lcp = l;
        if l > prev_word.len() {
            return Err(corrupt());
        }
        let (floor, no_end) = first_rule(sorted, same == 1, &prev_word, l);
        let suffix = m
            .spell
            .decode(&mut dec, &prev_word[..l], cap - units, floor, no_end)
            .ok_or_else(corrupt)?;
        let mut w = prev_word[..l].to_vec();
        w.extend_from_slice(&suffix);
        units += w.len();
        if units > cap || dec.bad {
            return Err(corrupt());
        }
        skills.push(String::from_utf8(w.clone()).map_err(|_| corrupt())?);
        counts.push(c);
        prev_word = w;
        prev_count = c;
    }
    // Rebuild through the serialized form so the decoded code order is kept as sent.
    let value = serde_json::json!({ "skills": skills, "counts": counts });
    serde_json::from_value(value).map_err(|_| corrupt())
}
