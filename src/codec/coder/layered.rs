//! The layers of a layered file (docs/FORMAT.md, "Layered files"): the base (each
//! text's skills in order) and the exact bytes given the skill sequence.
//!
//! Base: the texts' skills are rendered as text (skills separated by spaces, a line
//! end after each text) and coded with the context-mixing coder, primed with the
//! priming text rendered the same way; the match model and the word contexts then
//! see repeated skills and repeated texts. A file without a codebook adds each
//! distinct skill's rank (0 outside the codebook, else its count plus one), so that
//! its sets decode in the set level's canonical order.
//!
//! Exact: the bytes are rewritten as a residual in which every word that spells the
//! next expected skill (lower case, Capitalized or UPPER) becomes one marker byte, and
//! coded with the context-mixing coder, whose order-0 input is replaced by a context
//! of the next expected skill and the last two bytes. After a marker the skill's bytes
//! are fed to the model as known (learned, not coded), so the contexts still see the
//! words.

use super::bitrc::{BitDec, BitEnc};
use super::cmx::Cm;
use super::exact::max_units;
use super::models::FxMap;
use super::{CoderContext, read_varint, write_varint};
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
/// Residual marker: the next skill in mixed ASCII case (one coded bit per lower-case
/// letter of the skill says whether it is upper case here).
const M_MIXED: u8 = 6;
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
    if word
        .iter()
        .zip(skill)
        .all(|(&w, &s)| w.to_ascii_lowercase() == s)
    {
        return Some(M_MIXED);
    }
    None
}

/// Codes the case of a mixed-case skill: one bit per ASCII lower-case letter of
/// `skill` (1: upper case in `word`; ignored when decoding). Returns the word.
fn code_case(io: &mut impl BitIo, m: &mut [Bit; 4], skill: &[u8], word: &[u8]) -> Vec<u8> {
    let mut out = skill.to_vec();
    let mut prev = 0usize;
    for (i, b) in out.iter_mut().enumerate() {
        if b.is_ascii_lowercase() {
            let up = word.get(i).is_some_and(|w| w.is_ascii_uppercase());
            let bit = io.bit(&mut m[prev + 2 * usize::from(i == 0)], u32::from(up));
            if bit == 1 {
                b.make_ascii_uppercase();
            }
            prev = bit as usize;
        }
    }
    out
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
        if (M_LOWER..=M_MIXED).contains(&b) {
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

/// The side context of the exact layer's coder: the next expected skill (1: none).
fn next_ctx(skills: &[&[u8]], p: usize) -> u64 {
    match skills.get(p) {
        Some(s) => xxhash_rust::xxh3::xxh3_64(s) | 2,
        None => 1,
    }
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
    let (mut p, mut literal) = (0usize, false);
    let mut case = [Bit::HALF; 4];
    state.set_ext(next_ctx(skills, p));
    for (c, known) in &units {
        code_byte(&mut state, &mut enc, *c);
        if let Some(w) = known {
            if *c == M_MIXED {
                code_case(&mut enc, &mut case, skills[p], w);
            }
            state.prime(w);
        }
        if known.is_some() || (*c == M_SKIP && !literal) {
            p += 1;
            state.set_ext(next_ctx(skills, p));
        }
        literal = *c == M_ESC && !literal;
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
    let mut case = [Bit::HALF; 4];
    state.set_ext(next_ctx(skills, p));
    while k < n {
        let c = decode_byte(&mut state, &mut dec);
        k += 1;
        match c {
            M_LOWER | M_CAP | M_UPPER | M_MIXED => {
                let s = skills.get(p).ok_or_else(corrupt)?;
                if s.is_empty() {
                    return Err(corrupt());
                }
                let w = if c == M_MIXED {
                    code_case(&mut dec, &mut case, s, &[])
                } else {
                    spelled(s, c)
                };
                state.prime(&w);
                out.extend_from_slice(&w);
                p += 1;
                state.set_ext(next_ctx(skills, p));
            }
            M_SKIP => {
                p += 1;
                state.set_ext(next_ctx(skills, p));
            }
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

/// An adaptive binary decision (16-bit probability of a 1).
#[derive(Clone, Copy)]
struct Bit(u16);

impl Bit {
    const HALF: Bit = Bit(1 << 15);

    fn p(self) -> u32 {
        ((self.0 >> 4) as u32).clamp(1, 4095)
    }

    fn learn(&mut self, bit: u32) {
        if bit == 1 {
            self.0 += (65535 - self.0) >> 4;
        } else {
            self.0 -= self.0 >> 4;
        }
    }
}

/// Codes one bit of a base payload's rank table with an adaptive model.
trait BitIo {
    fn bit(&mut self, m: &mut Bit, bit: u32) -> u32;
}

impl BitIo for BitEnc {
    fn bit(&mut self, m: &mut Bit, bit: u32) -> u32 {
        self.code(bit, m.p());
        m.learn(bit);
        bit
    }
}

impl BitIo for BitDec<'_> {
    fn bit(&mut self, m: &mut Bit, _: u32) -> u32 {
        let b = self.decode(m.p());
        m.learn(b);
        b
    }
}

/// The models of the rank table: "the rank is the text count plus one", then an
/// Elias-gamma code (length in unary, then the bits below the top one).
struct RankModel {
    same: [Bit; 2],
    len: [[Bit; 64]; 8],
    low: [[Bit; 64]; 2],
}

impl RankModel {
    fn new() -> Self {
        RankModel {
            same: [Bit::HALF; 2],
            len: [[Bit::HALF; 64]; 8],
            low: [[Bit::HALF; 64]; 2],
        }
    }

    /// Codes `v` (ignored when decoding) for a skill that `df` texts hold.
    fn code(&mut self, io: &mut impl BitIo, v: u64, df: u64) -> u64 {
        let fits = df.checked_add(1);
        let sc = usize::from(df > 1);
        if let Some(f) = fits
            && io.bit(&mut self.same[sc], u32::from(v == f)) == 1
        {
            return f;
        }
        // v + 1 >= 1: its bit length n (1..=64) in unary, then its n - 1 low bits.
        let x = v.saturating_add(1);
        let n = 64 - x.leading_zeros() as usize;
        let dc = (64 - df.leading_zeros() as usize).min(7);
        let mut got = 1usize;
        while got < 64 && io.bit(&mut self.len[dc][got], u32::from(got < n)) == 1 {
            got += 1;
        }
        let mut y = 1u64;
        for i in (0..got - 1).rev() {
            let b = io.bit(
                &mut self.low[usize::from(i + 1 == got - 1)][i],
                ((x >> i) & 1) as u32,
            );
            y = (y << 1) | b as u64;
        }
        y - 1
    }
}

/// Base payload: the rendering of the texts was coded (with a rank table or not).
const BASE_CODED: u8 = 0;

/// Escapes a skill for the base rendering: separators and the escape byte are
/// written as `\s`, `\n`, `\\`; an empty skill is `\e`.
fn render_skill(out: &mut Vec<u8>, s: &[u8]) {
    if s.is_empty() {
        out.extend_from_slice(b"\\e");
    }
    for &b in s {
        match b {
            b' ' => out.extend_from_slice(b"\\s"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\\' => out.extend_from_slice(b"\\\\"),
            _ => out.push(b),
        }
    }
}

fn unrender_skill(w: &[u8]) -> Option<Vec<u8>> {
    if w == b"\\e" {
        return Some(Vec::new());
    }
    let mut out = Vec::with_capacity(w.len());
    let mut i = 0;
    while i < w.len() {
        if w[i] == b'\\' {
            out.push(match w.get(i + 1)? {
                b's' => b' ',
                b'n' => b'\n',
                b'\\' => b'\\',
                _ => return None,
            });
            i += 2;
        } else {
            out.push(w[i]);
            i += 1;
        }
    }
    Some(out)
}

/// The base rendering: each text's skills in order, separated by spaces, each text
/// ended by a line end.
fn render_base(seqs: &[Vec<&[u8]>]) -> Vec<u8> {
    let mut out = Vec::new();
    for seq in seqs {
        for (i, s) in seq.iter().enumerate() {
            if i > 0 {
                out.push(b' ');
            }
            render_skill(&mut out, s);
        }
        out.push(b'\n');
    }
    out
}

/// Distinct skills in order of first use, with the number of texts holding each.
fn first_uses<'a>(seqs: &[Vec<&'a [u8]>]) -> Vec<(&'a [u8], u64)> {
    let mut at: FxMap<&[u8], usize> = FxMap::default();
    let mut out: Vec<(&[u8], u64)> = Vec::new();
    for seq in seqs {
        let mut seen: FxMap<&[u8], ()> = FxMap::default();
        for &s in seq {
            if seen.insert(s, ()).is_some() {
                continue;
            }
            let n = out.len();
            let i = *at.entry(s).or_insert(n);
            if i == n {
                out.push((s, 0));
            }
            out[i].1 += 1;
        }
    }
    out
}

/// The base layer's priming text, by the hash of the context's priming text.
type BasePrimes = Vec<(u64, std::sync::Arc<(Vec<u8>, super::PrimedStates<Cm>)>)>;

/// The starting state of the base layer's coder for `n` bytes: primed with the
/// context's priming text rendered as the base renders texts (each line's skills by
/// the default extractor, which drops stop words), so its contexts see text of the
/// same kind.
fn base_state(ctx: &CoderContext, n: usize) -> Cm {
    static PRIMES: std::sync::Mutex<BasePrimes> = std::sync::Mutex::new(Vec::new());
    let key = xxhash_rust::xxh3::xxh3_64(&ctx.prime);
    let entry = {
        let mut c = PRIMES.lock().unwrap_or_else(|e| e.into_inner());
        match c.iter().find(|(k, _)| *k == key) {
            Some((_, e)) => e.clone(),
            None => {
                let e = std::sync::Arc::new((base_prime(&ctx.prime), Default::default()));
                c.push((key, e.clone()));
                e
            }
        }
    };
    let sizes = Cm::sizes_for(entry.0.len() + n);
    super::primed_state(&entry.1, &entry.0, sizes, Cm::new, Cm::prime)
}

/// A priming text rendered as the base layer renders texts.
fn base_prime(prime: &[u8]) -> Vec<u8> {
    let Ok(ex) = crate::text::extract::Extractor::words(true) else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(prime);
    let skills: Vec<Vec<String>> = text.lines().map(|l| ex.skills(l)).collect();
    let refs: Vec<Vec<&[u8]>> = skills
        .iter()
        .map(|t| t.iter().map(|w| w.as_bytes()).collect())
        .collect();
    render_base(&refs)
}

/// Codes the base layer: each text's skills in order (`seqs`, as spelled) with the
/// context-mixing coder, then, when `rank` is given, each distinct skill's rank (0
/// outside the codebook, else its count plus one), in order of first use.
pub fn encode_base(
    ctx: &CoderContext,
    seqs: &[Vec<&[u8]>],
    rank: Option<super::RankOf<'_>>,
) -> Vec<u8> {
    let text = render_base(seqs);
    let mut state = base_state(ctx, text.len());
    state.reserve(text.len());
    let mut enc = BitEnc::new(Vec::with_capacity(text.len() / 4 + 16));
    for &c in &text {
        code_byte(&mut state, &mut enc, c);
    }
    let mut units = text.len();
    if let Some(rank) = rank {
        let mut m = RankModel::new();
        let uses = first_uses(seqs);
        units += uses.len();
        for (s, df) in uses {
            m.code(&mut enc, rank(s), df);
        }
    }
    let mut out = vec![BASE_CODED];
    write_varint(&mut out, text.len() as u64);
    out.extend_from_slice(&enc.finish());
    super::exact::pad(&mut out, units);
    out
}

/// Decodes a payload of [`encode_base`] holding `texts` texts (`ranks`: whether it
/// has a rank table).
pub fn decode_base(
    ctx: &CoderContext,
    payload: &[u8],
    texts: u64,
    ranks: bool,
) -> Result<super::BaseLayer> {
    let corrupt = || Error::corrupt("base layer payload is corrupt (decoding failed)");
    let body = match payload.split_first() {
        Some((&BASE_CODED, b)) => b,
        _ => return Err(corrupt()),
    };
    let (len, used) = read_varint(body).ok_or_else(corrupt)?;
    if len > max_units(body.len()) as u64 || texts > len {
        return Err(corrupt());
    }
    let len = len as usize;
    let mut state = base_state(ctx, len);
    state.reserve(len);
    let mut dec = BitDec::new(&body[used..]);
    let text: Vec<u8> = (0..len)
        .map(|_| decode_byte(&mut state, &mut dec))
        .collect();
    if text.last().is_some_and(|&b| b != b'\n') {
        return Err(corrupt());
    }
    let mut seqs = Vec::with_capacity(texts as usize);
    for line in text.split(|&b| b == b'\n') {
        if seqs.len() as u64 == texts {
            break;
        }
        let seq = if line.is_empty() {
            Vec::new()
        } else {
            line.split(|&b| b == b' ')
                .map(unrender_skill)
                .collect::<Option<Vec<_>>>()
                .ok_or_else(corrupt)?
        };
        seqs.push(seq);
    }
    let lines = text.iter().filter(|&&b| b == b'\n').count() as u64;
    if seqs.len() as u64 != texts || lines != texts {
        return Err(corrupt());
    }
    if !ranks {
        return Ok((seqs, None));
    }
    let mut table = std::collections::HashMap::new();
    {
        let refs: Vec<Vec<&[u8]>> = seqs
            .iter()
            .map(|s| s.iter().map(Vec::as_slice).collect())
            .collect();
        let uses = first_uses(&refs);
        if uses.len() > max_units(body.len()) {
            return Err(corrupt());
        }
        let mut m = RankModel::new();
        for (s, df) in uses {
            let v = m.code(&mut dec, 0, df);
            table.insert(s.to_vec(), v);
        }
    }
    Ok((seqs, Some(table)))
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
        let r = residual(&[b"fbls".as_slice()], b"\\fBls\x06");
        let coded: Vec<u8> = r.iter().map(|x| x.0).collect();
        assert_eq!(coded, b"\\\x06\x04\x06".to_vec());
    }

    #[test]
    fn exact_layer_round_trips() {
        let ctx = CoderContext::new(&Codebook::default(), &[]);
        let data = b"Alice was beginning to get very tired of sitting by her sister\n\x01\x05\x06 odd ALICE SiStEr\n".repeat(20);
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
    fn base_layer_round_trips_skills_and_ranks() {
        let ctx =
            CoderContext::new(&Codebook::default(), &[]).with_prime(b"the white rabbit ran\n");
        let texts: Vec<Vec<&[u8]>> = vec![
            vec![b"rabbit", b"white", b"rabbit"],
            vec![],
            vec![b"a b", b"", b"x\\n\n", b"\\e"],
            vec![b"white"],
        ];
        let rank = |w: &[u8]| w.len() as u64 % 3;
        let p = encode_base(&ctx, &texts, Some(&rank));
        let (got, ranks) = decode_base(&ctx, &p, 4, true).unwrap();
        let want: Vec<Vec<Vec<u8>>> = texts
            .iter()
            .map(|t| t.iter().map(|w| w.to_vec()).collect())
            .collect();
        assert_eq!(got, want);
        let ranks = ranks.unwrap();
        assert_eq!(ranks.len(), 6);
        assert!(ranks.iter().all(|(w, &r)| r == rank(w)));
        // Without a rank table, and with the wrong text count.
        let q = encode_base(&ctx, &texts, None);
        assert_eq!(decode_base(&ctx, &q, 4, false).unwrap(), (want, None));
        assert!(decode_base(&ctx, &q, 3, false).is_err());
        assert!(decode_base(&ctx, &q, 5, false).is_err());
        // Garbage decodes or fails, never panics.
        for i in 0..p.len() {
            let mut g = p.clone();
            g[i] ^= 0x5a;
            let _ = decode_base(&ctx, &g, 4, true);
        }
    }
}
