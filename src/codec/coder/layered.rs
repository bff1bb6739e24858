//! The refinement layers of a layered file (docs/FORMAT.md, "Layered files"): the
//! order of each text's skills given its set, and the exact bytes given the skill
//! sequence.
//!
//! Order: each position of a text is a choice among its set's members. A kind (a
//! member not yet used, a repeat, or the end of the text) is coded first, in a context
//! of how many members are left, then the member, weighted by how often it followed
//! the previous skill earlier in the payload. The end is certain once every member
//! was used and no repeat follows; a member left alone costs nothing.
//!
//! Exact: the bytes are rewritten as a residual in which every word that spells the
//! next expected skill (lower case, Capitalized or UPPER) becomes one marker byte, and
//! coded with the context-mixing coder. After a marker the skill's bytes are fed to
//! the model as known (learned, not coded), so the contexts still see the words.

use super::bitrc::{BitDec, BitEnc};
use super::exact::max_units;
use super::models::FxMap;
use super::rc::{Dec, Enc};
use super::{CoderContext, Skill, read_varint, write_varint};
use crate::{Error, Result};

/// Residual marker: the next skill, in lower case as it is spelled.
const M_LOWER: u8 = 1;
/// Residual marker: the next skill with its first letter upper case.
const M_CAP: u8 = 2;
/// Residual marker: the next skill in upper case.
const M_UPPER: u8 = 3;
/// Residual marker: the next byte is literal (an input byte 1 to 5).
const M_ESC: u8 = 4;
/// Residual marker: skip the next expected skill (it is not spelled in the bytes).
const M_SKIP: u8 = 5;
/// Expected skills looked ahead when a word is not the next one.
const LOOKAHEAD: usize = 3;

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

/// The marker for the bytes at the start of `rest` spelling `skill` (lower case,
/// Capitalized or UPPER) up to a word boundary, if they do.
fn marker(rest: &[u8], skill: &[u8]) -> Option<u8> {
    let n = skill.len();
    if n == 0 || rest.len() < n || rest.get(n).is_some_and(|&b| is_word_byte(b)) {
        return None;
    }
    let word = &rest[..n];
    if word == skill {
        return Some(M_LOWER);
    }
    if word[0].is_ascii_uppercase()
        && word[0].to_ascii_lowercase() == skill[0]
        && word[1..] == skill[1..]
    {
        return Some(M_CAP);
    }
    if word
        .iter()
        .zip(skill)
        .all(|(&w, &s)| w == s.to_ascii_uppercase())
    {
        return Some(M_UPPER);
    }
    None
}

fn spelled(skill: &[u8], m: u8) -> Vec<u8> {
    let mut v = skill.to_vec();
    match m {
        M_CAP => v[0] = v[0].to_ascii_uppercase(),
        M_UPPER => v.make_ascii_uppercase(),
        _ => {}
    }
    v
}

/// One unit of the residual: a byte to code, then bytes the model learns uncoded.
fn residual(skills: &[&[u8]], data: &[u8]) -> Vec<(u8, Option<Vec<u8>>)> {
    let mut out = Vec::with_capacity(data.len());
    let mut p = 0usize;
    let mut i = 0usize;
    while i < data.len() {
        let b = data[i];
        let starts_word = is_word_byte(b) && (i == 0 || !is_word_byte(data[i - 1]));
        if starts_word && p < skills.len() {
            let hit = (0..LOOKAHEAD.min(skills.len() - p))
                .find_map(|d| marker(&data[i..], skills[p + d]).map(|m| (d, m)));
            if let Some((d, m)) = hit {
                for _ in 0..d {
                    out.push((M_SKIP, None));
                }
                let j = i + skills[p + d].len();
                out.push((m, Some(data[i..j].to_vec())));
                p += d + 1;
                i = j;
                continue;
            }
        }
        if (M_LOWER..=M_SKIP).contains(&b) {
            out.push((M_ESC, None));
        }
        out.push((b, None));
        i += 1;
    }
    out
}

fn code_byte(state: &mut super::cmx::Cm, enc: &mut BitEnc, c: u8) {
    state.code_byte(c, |p, bit| {
        enc.code(bit, p);
        bit
    });
}

fn decode_byte(state: &mut super::cmx::Cm, dec: &mut BitDec) -> u8 {
    state.code_byte(0, |p, _| dec.decode(p))
}

/// Payload mode: the residual was coded.
const MODE_CODED: u8 = 0;
/// Payload mode: the bytes are stored as they are.
const MODE_STORED: u8 = 1;

/// Codes `data` given the skill sequence of its texts, flattened (`skills`).
pub fn encode_exact(ctx: &CoderContext, skills: &[&[u8]], data: &[u8]) -> Vec<u8> {
    let units = residual(skills, data);
    let mut state = ctx.exact_state(data.len());
    state.reserve(data.len());
    let mut enc = BitEnc::new(Vec::with_capacity(data.len() / 4 + 16));
    for (c, known) in &units {
        code_byte(&mut state, &mut enc, *c);
        if let Some(w) = known {
            state.prime(w);
        }
    }
    let body = enc.finish();
    let mut out = Vec::with_capacity(body.len() + 12);
    if body.len() + 10 >= data.len() {
        out.push(MODE_STORED);
        out.extend_from_slice(data);
        return out;
    }
    out.push(MODE_CODED);
    write_varint(&mut out, units.len() as u64);
    out.extend_from_slice(&body);
    out
}

/// Decodes a payload of [`encode_exact`] into `len` bytes (the record's original
/// length), with the same skills.
pub fn decode_exact(
    ctx: &CoderContext,
    skills: &[&[u8]],
    payload: &[u8],
    len: usize,
) -> Result<Vec<u8>> {
    let corrupt = || Error::corrupt("exact layer payload is corrupt (decoding failed)");
    match payload.split_first() {
        Some((&MODE_STORED, b)) if b.len() == len => return Ok(b.to_vec()),
        Some((&MODE_CODED, _)) => {}
        _ => return Err(corrupt()),
    }
    let body = &payload[1..];
    let (n, used) = read_varint(body).ok_or_else(corrupt)?;
    // Each residual unit is at least one output byte, except skips (one per skill).
    if n > (len + skills.len()) as u64 || len > max_units(body.len()) + skills.len() * 64 {
        return Err(corrupt());
    }
    let mut state = ctx.exact_state(len);
    state.reserve(len);
    let mut dec = BitDec::new(&body[used..]);
    let mut out = Vec::with_capacity(len);
    let mut p = 0usize;
    let mut k = 0u64;
    while k < n {
        let c = decode_byte(&mut state, &mut dec);
        k += 1;
        match c {
            M_LOWER | M_CAP | M_UPPER => {
                let s = skills.get(p).ok_or_else(corrupt)?;
                if s.is_empty() {
                    return Err(corrupt());
                }
                let w = spelled(s, c);
                state.prime(&w);
                out.extend_from_slice(&w);
                p += 1;
            }
            M_SKIP => p += 1,
            M_ESC => {
                if k >= n {
                    return Err(corrupt());
                }
                out.push(decode_byte(&mut state, &mut dec));
                k += 1;
            }
            _ => out.push(c),
        }
        if out.len() > len {
            return Err(corrupt());
        }
    }
    if out.len() != len {
        return Err(corrupt());
    }
    Ok(out)
}

/// A skill's identity for the order statistics.
fn key(s: &Skill) -> u64 {
    match s {
        Skill::Known(c) => *c as u64,
        Skill::Literal(l) => {
            use std::hash::{BuildHasher, Hasher};
            let mut h = super::models::FxBuild.build_hasher();
            h.write(l.as_bytes());
            h.finish() | 1 << 63
        }
    }
}

const START: u64 = u64::MAX;
/// Kinds of a position: a member not used yet, a repeat, the end of the text.
const NEW: usize = 0;
const REP: usize = 1;
const END: usize = 2;
/// Weight of one earlier (previous skill, skill) transition against a base of 1.
const PAIR: u32 = 12;
const PAIR_MAX: u32 = 1 << 12;

struct OrderModel {
    kinds: Vec<[u32; 3]>,
    pairs: FxMap<(u64, u64), u32>,
}

impl OrderModel {
    fn new() -> Self {
        OrderModel {
            // Contexts: members left (0, 1, 2, 3+) x a repeat is possible.
            kinds: vec![[8, 1, 8]; 8],
            pairs: FxMap::default(),
        }
    }

    fn kind_ctx(left: usize, used: usize) -> usize {
        left.min(3) * 2 + usize::from(used > 0)
    }

    /// The kinds allowed and their counts.
    fn kind_table(&self, left: usize, used: usize) -> [u32; 3] {
        let f = self.kinds[Self::kind_ctx(left, used)];
        [
            if left > 0 { f[NEW] } else { 0 },
            if used > 0 { f[REP] } else { 0 },
            if left == 0 { f[END] } else { 0 },
        ]
    }

    fn learn_kind(&mut self, left: usize, used: usize, k: usize) {
        let f = &mut self.kinds[Self::kind_ctx(left, used)];
        f[k] += 4;
        if f.iter().sum::<u32>() > 1 << 16 {
            for x in f.iter_mut() {
                *x = x.div_ceil(2);
            }
        }
    }

    fn weight(&self, prev: u64, c: u64) -> u32 {
        1 + PAIR * self.pairs.get(&(prev, c)).copied().unwrap_or(0)
    }

    /// The weight of each set member as the next skill: members already used for a
    /// repeat, unused ones for a new member, each by how often it followed `prev`.
    fn member_weights(
        &self,
        out: &mut Vec<u32>,
        keys: &[u64],
        used: &[bool],
        repeat: bool,
        prev: u64,
    ) {
        out.clear();
        out.extend(keys.iter().zip(used).map(
            |(&c, &u)| {
                if u == repeat { self.weight(prev, c) } else { 0 }
            },
        ));
    }

    fn learn_pair(&mut self, prev: u64, c: u64) {
        let e = self.pairs.entry((prev, c)).or_insert(0);
        *e = (*e + 1).min(PAIR_MAX);
    }
}

fn put_choice(enc: &mut Enc, w: &[u32], i: usize) {
    let total: u32 = w.iter().sum();
    let cum: u32 = w[..i].iter().sum();
    enc.put(cum, w[i], total);
}

fn get_choice(dec: &mut Dec, w: &[u32]) -> usize {
    let total: u32 = w.iter().sum();
    if total == 0 {
        return 0;
    }
    dec.get(total, |t| {
        let mut c = 0;
        for (i, &x) in w.iter().enumerate() {
            if x > 0 && t < c + x {
                return (i as u32, c, x);
            }
            c += x;
        }
        let last = w.iter().rposition(|&x| x > 0).unwrap_or(0);
        (last as u32, c - w[last], w[last].max(1))
    }) as usize
}

/// Codes each text's skill sequence given its set (`sets[i]` is the canonical set of
/// `seqs[i]`: every element of a sequence is a member of its set).
pub fn encode_order(sets: &[Vec<Skill>], seqs: &[Vec<Skill>]) -> Vec<u8> {
    let mut m = OrderModel::new();
    let mut enc = Enc::new();
    let mut weights = Vec::new();
    for (set, seq) in sets.iter().zip(seqs) {
        let keys: Vec<u64> = set.iter().map(key).collect();
        let mut used = vec![false; set.len()];
        let (mut left, mut nused) = (set.len(), 0usize);
        let mut prev = START;
        for s in seq.iter().map(Some).chain([None]) {
            let table = m.kind_table(left, nused);
            let (kind, idx) = match s {
                None => (END, 0),
                Some(s) => {
                    let i = set.iter().position(|x| x == s).unwrap_or(0);
                    (if used[i] { REP } else { NEW }, i)
                }
            };
            put_choice(&mut enc, &table, kind);
            m.learn_kind(left, nused, kind);
            if kind == END {
                break;
            }
            m.member_weights(&mut weights, &keys, &used, kind == REP, prev);
            put_choice(&mut enc, &weights, idx);
            m.learn_pair(prev, keys[idx]);
            prev = keys[idx];
            if !used[idx] {
                used[idx] = true;
                left -= 1;
                nused += 1;
            }
        }
    }
    let body = enc.finish();
    let mut out = Vec::with_capacity(body.len() + 10);
    write_varint(&mut out, sets.len() as u64);
    out.extend_from_slice(&body);
    out
}

/// Decodes a payload of [`encode_order`] given the sets.
pub fn decode_order(sets: &[Vec<Skill>], payload: &[u8]) -> Result<Vec<Vec<Skill>>> {
    let corrupt = || Error::corrupt("order layer payload is corrupt (decoding failed)");
    let (n, used_bytes) = read_varint(payload).ok_or_else(corrupt)?;
    if n != sets.len() as u64 {
        return Err(corrupt());
    }
    let cap = max_units(payload.len());
    let mut units = 0usize;
    let mut m = OrderModel::new();
    let mut dec = Dec::new(&payload[used_bytes..]);
    let mut weights = Vec::new();
    let mut out = Vec::with_capacity(sets.len());
    for set in sets {
        let keys: Vec<u64> = set.iter().map(key).collect();
        let mut used = vec![false; set.len()];
        let (mut left, mut nused) = (set.len(), 0usize);
        let mut prev = START;
        let mut seq = Vec::with_capacity(set.len());
        loop {
            let table = m.kind_table(left, nused);
            let kind = get_choice(&mut dec, &table);
            if table.get(kind).is_none_or(|&f| f == 0) || dec.bad {
                return Err(corrupt());
            }
            m.learn_kind(left, nused, kind);
            if kind == END {
                break;
            }
            m.member_weights(&mut weights, &keys, &used, kind == REP, prev);
            let idx = get_choice(&mut dec, &weights);
            if weights.get(idx).is_none_or(|&f| f == 0) || dec.bad {
                return Err(corrupt());
            }
            units += 1;
            if units > cap + sets.len() {
                return Err(corrupt());
            }
            seq.push(set[idx].clone());
            m.learn_pair(prev, keys[idx]);
            prev = keys[idx];
            if !used[idx] {
                used[idx] = true;
                left -= 1;
                nused += 1;
            }
        }
        out.push(seq);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Codebook;

    #[test]
    fn residual_marks_expected_words_and_escapes_markers() {
        let skills: Vec<&[u8]> = vec![b"alice", b"rabbit", b"ghost", b"hole"];
        let r = residual(&skills, b"Alice saw the RABBIT\x02 in a hole.");
        let coded: Vec<u8> = r.iter().map(|x| x.0).collect();
        // "ghost" is not spelled: one skip before "hole".
        assert_eq!(coded, b"\x02 saw the \x03\x04\x02 in a \x05\x01.".to_vec());
    }

    #[test]
    fn exact_layer_round_trips() {
        let ctx = CoderContext::new(&Codebook::default(), &[]);
        let data = b"Alice was beginning to get very tired of sitting by her sister\n\x01\x05 odd ALICE Sister\n".repeat(20);
        let skills: Vec<&[u8]> = [
            b"alice".as_slice(),
            b"beginning",
            b"tired",
            b"sitting",
            b"sister",
            b"odd",
            b"alice",
            b"sister",
        ]
        .repeat(20);
        let p = encode_exact(&ctx, &skills, &data);
        assert!(p.len() < data.len() / 4, "{}", p.len());
        assert_eq!(decode_exact(&ctx, &skills, &p, data.len()).unwrap(), data);
        assert!(decode_exact(&ctx, &skills, &p, data.len() + 1).is_err());
        // Knowing the skills makes the bytes cheaper than coding them alone.
        let alone = encode_exact(&ctx, &[], &data);
        assert!(p.len() < alone.len(), "{} vs {}", p.len(), alone.len());
    }

    #[test]
    fn order_layer_round_trips_with_repeats() {
        let k = Skill::Known;
        let seqs = vec![
            vec![k(3), k(1), k(3), Skill::Literal("zz".into())],
            vec![],
            vec![k(2)],
            vec![k(1), k(3), k(1), k(1)],
        ];
        let sets: Vec<Vec<Skill>> = seqs
            .iter()
            .map(|s| super::super::canonical_set(s))
            .collect();
        let p = encode_order(&sets, &seqs);
        assert_eq!(decode_order(&sets, &p).unwrap(), seqs);
        assert!(decode_order(&sets[..2], &p).is_err());
    }
}
