//! The sequence and set levels: each text's skills, coded with the word model
//! and an end mark per text. Sets are sent in canonical order.

use super::exact::{max_units, pad};
use super::words::{BASE, END, WSym, WordModel};
use super::{CoderContext, Skill, read_varint, write_varint};
use crate::{Error, Result};

/// Codes texts of skills in the given order.
pub fn encode(ctx: &CoderContext, texts: &[Vec<Skill>]) -> Vec<u8> {
    // Try both count policies and keep the smaller payload (one bit says which).
    let a = encode_mode(ctx, texts, false);
    if !ctx.unscaled {
        return a;
    }
    let b = encode_mode(ctx, texts, true);
    if b.len() < a.len() { b } else { a }
}

fn encode_mode(ctx: &CoderContext, texts: &[Vec<Skill>], deplete: bool) -> Vec<u8> {
    let mut enc = super::rc::Enc::new();
    let mut words = WordModel::with_policy(ctx, deplete);
    let mut units = texts.len();
    for text in texts {
        words.restart();
        for s in text {
            match s {
                Skill::Known(c) if (*c as usize) < ctx.book.len() => {
                    words.encode(&mut enc, WSym::Id(c + BASE));
                    units += 1;
                }
                Skill::Known(c) => {
                    // Codes outside the codebook cannot be sent as codes: spell them.
                    let lit = format!("#{c}");
                    words.encode(&mut enc, WSym::New(lit.as_bytes()));
                    units += 1 + lit.len();
                }
                Skill::Literal(l) => {
                    words.encode(&mut enc, WSym::New(l.as_bytes()));
                    units += 1 + l.len();
                }
            }
        }
        words.encode(&mut enc, WSym::Id(END));
    }
    let body = enc.finish();
    let mut out = Vec::with_capacity(body.len() + 10);
    write_varint(&mut out, texts.len() as u64 * 2 + u64::from(deplete));
    out.extend_from_slice(&body);
    pad(&mut out, units);
    out
}

/// Decodes a payload of [`encode`].
pub fn decode(ctx: &CoderContext, payload: &[u8]) -> Result<Vec<Vec<Skill>>> {
    let corrupt = || Error::corrupt("sequence payload is corrupt (decoding failed)");
    let (n, used) = read_varint(payload).ok_or_else(corrupt)?;
    let (n, deplete) = (n / 2, n % 2 == 1);
    let cap = max_units(payload.len());
    if n > cap as u64 {
        return Err(corrupt());
    }
    let mut units = n as usize;
    let mut dec = super::rc::Dec::new(&payload[used..]);
    let mut words = WordModel::with_policy(ctx, deplete);
    let mut texts = Vec::with_capacity((n as usize).min(payload.len() + 1));
    for _ in 0..n {
        words.restart();
        let mut text = Vec::new();
        loop {
            let id = words.decode(&mut dec, cap - units).ok_or_else(corrupt)?;
            if id == END {
                break;
            }
            units += 1;
            if words.is_dyn(id) {
                let b = words.dyn_word(id).ok_or_else(corrupt)?;
                units += b.len();
                text.push(Skill::Literal(
                    String::from_utf8(b.to_vec()).map_err(|_| corrupt())?,
                ));
            } else if id >= BASE {
                text.push(Skill::Known(id - BASE));
            } else {
                return Err(corrupt());
            }
            if units > cap {
                return Err(corrupt());
            }
        }
        texts.push(text);
    }
    Ok(texts)
}

/// Puts a text's skills in the canonical set order: codes ascending, then literals
/// sorted, duplicates removed.
pub fn canonical(text: &[Skill]) -> Vec<Skill> {
    let mut codes: Vec<u32> = Vec::new();
    let mut lits: Vec<&str> = Vec::new();
    for s in text {
        match s {
            Skill::Known(c) => codes.push(*c),
            Skill::Literal(l) => lits.push(l),
        }
    }
    codes.sort_unstable();
    codes.dedup();
    lits.sort_unstable();
    lits.dedup();
    codes
        .into_iter()
        .map(Skill::Known)
        .chain(lits.into_iter().map(|l| Skill::Literal(l.to_string())))
        .collect()
}
