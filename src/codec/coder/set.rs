//! The set level: each text's skills in canonical order (codes ascending, then
//! literals sorted). A code is predicted from the codes already sent: PPM over the
//! previous one or two codes of the text (co-occurrence in sorted order), then the
//! order-0 counts restricted to codes above the previous one, which is where a set
//! saves the log2(k!) bits of order over a sequence.

use super::exact::{max_units, pad};
use super::models::{Fenwick, Freq, FxMap, NONE, Ppm, Spell, mix};
use super::rc::{Dec, Enc};
use super::seq::canonical;
use super::words::BASE;
use super::{CoderContext, Skill, read_varint, write_varint};
use crate::{Error, Result};

const SIZE_ESC: usize = 63;

struct SetModel<'c> {
    fen: Fenwick,
    ppm: Ppm,
    sizes: [Freq; 2],
    lits: Freq,
    lit_words: Vec<String>,
    lit_index: FxMap<String, usize>,
    spell: Spell<'c>,
    ex: Vec<(u32, u32, u32)>,
    inc: u32,
}

impl<'c> SetModel<'c> {
    fn new(ctx: &'c CoderContext) -> Self {
        let mut ppm = Ppm::new();
        ppm.init = 1;
        ppm.inc = 1;
        // Association counts prime the "previous code" contexts.
        for (&a, list) in &ctx.assoc {
            for &(b, c) in list {
                if b > a {
                    let w = c.clamp(1, 8);
                    ppm.add(key1(a + BASE), b + BASE, w, w);
                }
            }
        }
        SetModel {
            fen: ctx.fen0.clone(),
            ppm,
            sizes: [Freq::new(64, 1, 1 << 14), Freq::new(64, 1, 1 << 14)],
            lits: Freq::new(1, 1, 1 << 14),
            lit_words: Vec::new(),
            lit_index: FxMap::default(),
            spell: Spell::new(&ctx.word_spell),
            ex: Vec::new(),
            inc: ctx.inc0,
        }
    }
}

fn key1(prev: u32) -> u64 {
    mix(prev as u64, 21)
}

fn keys(prev2: u32, prev: u32) -> Vec<u64> {
    match super::tune("SETK", 2) {
        0 => vec![],
        1 => vec![key1(prev)],
        _ => vec![mix(mix(prev2 as u64, prev as u64), 22), key1(prev)],
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

/// Codes texts as sets.
pub fn encode(ctx: &CoderContext, texts: &[Vec<Skill>]) -> Vec<u8> {
    let mut m = SetModel::new(ctx);
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
        let (mut prev2, mut prev) = (BASE - 1, BASE - 1);
        for &c in &codes {
            let id = c + BASE;
            let ks = keys(prev2, prev);
            m.ppm.excl.clear();
            m.ppm.floor = Some(prev);
            let k = m.ppm.encode(&mut enc, &ks, id);
            if k >= ks.len() {
                let e = m
                    .fen
                    .excluded(&m.ppm.excl.list, prev as usize + 1, &mut m.ex);
                m.fen.encode_excl(&mut enc, id as usize, &m.ex, e);
            }
            m.ppm.update(&ks, k, id);
            m.fen.add(id as usize, super::tune("SETINC", m.inc));
            prev2 = prev;
            prev = id;
        }
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
        if m.fen.total() > 1 << 23 {
            m.fen.halve();
        }
    }
    let body = enc.finish();
    let mut out = Vec::with_capacity(body.len() + 10);
    write_varint(&mut out, texts.len() as u64);
    out.extend_from_slice(&body);
    pad(&mut out, units);
    out
}

/// Decodes a payload of [`encode`] (sets in canonical order).
pub fn decode(ctx: &CoderContext, payload: &[u8]) -> Result<Vec<Vec<Skill>>> {
    let corrupt = || Error::corrupt("set payload is corrupt (decoding failed)");
    let (n, used) = read_varint(payload).ok_or_else(corrupt)?;
    let cap = max_units(payload.len()) as u64;
    if n > cap {
        return Err(corrupt());
    }
    let mut units = n;
    let mut m = SetModel::new(ctx);
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
        let (mut prev2, mut prev) = (BASE - 1, BASE - 1);
        for _ in 0..k {
            let ks = keys(prev2, prev);
            m.ppm.excl.clear();
            m.ppm.floor = Some(prev);
            let (s, kk) = m.ppm.decode(&mut dec, &ks);
            let id = if s != NONE {
                s
            } else {
                let e = m
                    .fen
                    .excluded(&m.ppm.excl.list, prev as usize + 1, &mut m.ex);
                m.fen.decode_excl(&mut dec, &m.ex, e).ok_or_else(corrupt)?
            };
            if id <= prev || id >= end || dec.bad {
                return Err(corrupt());
            }
            m.ppm.update(&ks, kk, id);
            m.fen.add(id as usize, super::tune("SETINC", m.inc));
            text.push(Skill::Known(id - BASE));
            prev2 = prev;
            prev = id;
        }
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
        if m.fen.total() > 1 << 23 {
            m.fen.halve();
        }
        texts.push(text);
    }
    Ok(texts)
}
