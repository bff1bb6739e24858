//! The exact level: every byte, as words (coded by the word model, lower-cased,
//! with a case class), and the separators between them (their own PPM model).

use super::models::{Freq, FxMap, NONE, Ppm, Spell, mix};
use super::rc::{Dec, Enc};
use super::tokens::{
    CASES, Case, SEP_CLASSES, apply_mask, capitalize, case_of, lower, sep_class, sep_end, word_end,
};
use super::words::{BASE, END, WSym, WordModel};
use super::{CoderContext, ExactStats, MAX_EXPANSION, read_varint, write_varint};
use crate::{Error, Result};

/// Separator statistics of one payload: PPM over (word, previous separator) and
/// (previous separator), then an order-0 table over the separators seen so far.
struct SepModel<'c> {
    seps: Vec<Vec<u8>>,
    index: FxMap<Vec<u8>, u32>,
    order0: Freq,
    ppm: Ppm,
    spell: Spell<'c>,
    prev: u32,
    /// Bytes since the last newline: line wrapping makes the separator depend on it.
    col: usize,
}

/// Separators every payload starts knowing (generic punctuation, no text).
const COMMON_SEPS: &[&[u8]] = &[
    b" ", b", ", b". ", b"\n", b".\n", b",\n", b"; ", b": ", b"! ", b"? ", b"'", b"-", b"\n\n",
    b".\n\n", b" \"", b"\" ", b", \"", b".\"", b"  ", b"\r\n", b".\r\n", b" (", b") ", b" - ",
    b"--", b".)", b"?\"", b"!\"", b",\"", b" '", b"' ", b"\t", b"/", b"_", b" -- ", b"...", b".  ",
];

const SEP_ESC: u32 = 0;

impl<'c> SepModel<'c> {
    fn new(ctx: &'c CoderContext) -> Self {
        let mut m = SepModel {
            seps: vec![Vec::new()],
            index: FxMap::default(),
            order0: Freq::new(1, 4, 1 << 16),
            // Secondary escape estimation was measured not to help separators.
            ppm: Ppm::new(),
            spell: Spell::new(&ctx.sep_spell),
            prev: SEP_ESC,
            col: 0,
        };
        for s in COMMON_SEPS {
            m.add(s.to_vec());
        }
        m
    }

    fn add(&mut self, s: Vec<u8>) -> u32 {
        let id = self.seps.len() as u32;
        self.index.insert(s.clone(), id);
        self.seps.push(s);
        self.order0.push(1);
        self.order0.inc(SEP_ESC as usize, 1);
        id
    }

    /// Moves the column past emitted bytes.
    fn advance(&mut self, b: &[u8]) {
        match b.iter().rposition(|&x| x == b'\n') {
            Some(p) => self.col = b.len() - p - 1,
            None => self.col += b.len(),
        }
    }

    /// Contexts of a separator between `word` and a next word of `next` bytes (0:
    /// none). Where the next word would end after a single space tells line wrapping
    /// almost exactly.
    fn keys(&self, word: u32, next: usize) -> [u64; 3] {
        let end = if next == 0 { 0 } else { self.col + 1 + next };
        let cb = match end {
            0 => 0u64,
            1..=44 => 1,
            45..=59 => 2,
            60..=63 => 3,
            64..=66 => 4,
            67..=70 => 5,
            71..=75 => 6,
            76..=79 => 7,
            80..=84 => 8,
            _ => 9,
        };
        [
            mix(mix(word as u64, cb), 7),
            mix(mix(self.prev as u64, cb), 8),
            mix(cb, 9),
        ]
    }

    fn encode(&mut self, enc: &mut Enc, word: u32, next: usize, sep: &[u8]) -> u32 {
        let id = self.index.get(sep).copied().unwrap_or(NONE);
        let keys = self.keys(word, next);
        self.ppm.excl.clear();
        self.ppm.tag = 4;
        let k = self.ppm.encode(enc, &keys, id);
        enc.tag = 7;
        let id = if k < keys.len() {
            id
        } else if id != NONE {
            self.order0.encode(enc, id as usize);
            id
        } else {
            self.order0.encode(enc, SEP_ESC as usize);
            self.spell.encode(enc, sep);
            self.add(sep.to_vec())
        };
        self.update(&keys, k, id);
        id
    }

    fn decode(&mut self, dec: &mut Dec, word: u32, next: usize, max: usize) -> Option<u32> {
        let keys = self.keys(word, next);
        self.ppm.excl.clear();
        let (s, k) = self.ppm.decode(dec, &keys);
        let id = if s != NONE {
            s
        } else {
            let s = self.order0.decode(dec) as u32;
            if s == SEP_ESC {
                let b = self.spell.decode(dec, max)?;
                if self.index.contains_key(&b) {
                    return None;
                }
                self.add(b)
            } else {
                s
            }
        };
        if dec.bad || id as usize >= self.seps.len() || id == SEP_ESC {
            return None;
        }
        self.update(&keys, k, id);
        Some(id)
    }

    fn update(&mut self, keys: &[u64], k: usize, id: u32) {
        self.ppm.update(keys, k, id);
        self.order0.inc(id as usize, 2);
        self.prev = id;
        let sep = std::mem::take(&mut self.seps[id as usize]);
        self.advance(&sep);
        self.seps[id as usize] = sep;
    }
}

/// Case statistics: the class given the previous separator's kind and this word's
/// last case; a mask bit model for mixed case.
struct CaseModel {
    classes: Vec<Freq>,
    last: Vec<u8>,
    mask: [Freq; 2],
}

impl CaseModel {
    fn new() -> Self {
        CaseModel {
            classes: vec![Freq::with(vec![8, 2, 1, 1, 1], 1 << 13); SEP_CLASSES * (CASES + 1)],
            last: Vec::new(),
            mask: [Freq::new(2, 1, 1 << 12), Freq::new(2, 1, 1 << 12)],
        }
    }

    fn ctx(&self, sep: &[u8], word: u32) -> usize {
        let last = self.last.get(word as usize).copied().unwrap_or(CASES as u8) as usize;
        sep_class(sep) * (CASES + 1) + last
    }

    fn set_last(&mut self, word: u32, c: Case) {
        let i = word as usize;
        if i >= self.last.len() {
            self.last.resize(i + 256, CASES as u8);
        }
        self.last[i] = c as u8;
    }
}

/// Codes every byte of `data`; the stats count the word tokens.
pub fn encode(ctx: &CoderContext, data: &[u8]) -> (Vec<u8>, ExactStats) {
    let (out, stats, _) = encode_traced(ctx, data, false);
    (out, stats)
}

/// Tags of the traced cost breakdown.
pub const TAGS: [&str; 9] = [
    "word-o2",
    "word-o1",
    "word-o0",
    "word-spell",
    "sep-word",
    "sep-prev",
    "sep-col",
    "sep-o0+spell",
    "case",
];

/// [`encode`], optionally tracing the bits spent per model part (see [`TAGS`]).
pub fn encode_traced(
    ctx: &CoderContext,
    data: &[u8],
    trace: bool,
) -> (Vec<u8>, ExactStats, Vec<f64>) {
    let mut stats = ExactStats {
        words: 0,
        known: 0,
        escapes: 0,
    };
    let mut enc = Enc::new();
    if trace {
        enc.trace = Some(vec![0.0; TAGS.len()]);
    }
    let deplete = counts_are_this_data(ctx, data);
    let mut words = WordModel::with_policy(ctx, deplete);
    let mut seps = SepModel::new(ctx);
    let mut cases = CaseModel::new();
    // Order: the first separator; then per word its lower-cased form, the separator
    // before it (now knowing the word's length), its case; an END word before a
    // trailing separator.
    let mut pos = sep_end(data, 0);
    let mut sep: &[u8] = &data[..pos];
    seps.encode(&mut enc, 0, 0, sep);
    let mut prev_id = 0u32;
    let mut first = true;
    while pos < data.len() {
        let end = word_end(data, pos);
        if end == pos {
            // Only a trailing separator is left.
            words.encode(&mut enc, WSym::Id(END));
            let e = data.len();
            seps.encode(&mut enc, prev_id, 0, &data[pos..e]);
            break;
        }
        let w = &data[pos..end];
        // Word runs are valid UTF-8 by construction; the fallback keeps this total.
        let text = std::str::from_utf8(w).unwrap_or("");
        let low = lower(text);
        stats.words += 1;
        let id = match ctx.book.code_of(&low) {
            Some(code) => {
                stats.known += 1;
                words.encode(&mut enc, WSym::Id(code + BASE))
            }
            None => {
                stats.escapes += 1;
                words.encode(&mut enc, WSym::New(low.as_bytes()))
            }
        };
        if !first {
            seps.encode(&mut enc, prev_id, low.len(), sep);
        }
        first = false;
        let (case, mask) = if text.len() == w.len() {
            case_of(text, &low)
        } else {
            (Case::Raw, Vec::new())
        };
        let c = cases.ctx(sep, id);
        enc.tag = 8;
        cases.classes[c].encode(&mut enc, case as usize);
        cases.classes[c].inc(case as usize, 24);
        cases.set_last(id, case);
        match case {
            Case::Mask => {
                let mut prev = 0;
                for &m in &mask {
                    cases.mask[prev].encode(&mut enc, usize::from(m));
                    cases.mask[prev].inc(usize::from(m), 8);
                    prev = usize::from(m);
                }
            }
            Case::Raw => words.spell_raw(&mut enc, w),
            _ => {}
        }
        seps.advance(w);
        prev_id = id;
        pos = end;
        let e = sep_end(data, pos);
        sep = &data[pos..e];
        if e == data.len() && e > pos {
            words.encode(&mut enc, WSym::Id(END));
            seps.encode(&mut enc, prev_id, 0, sep);
            break;
        }
        pos = e;
    }
    let traced = enc.trace.take().unwrap_or_default();
    let body = enc.finish();
    let mut out = Vec::with_capacity(body.len() + 10);
    write_varint(&mut out, data.len() as u64 * 2 + u64::from(deplete));
    out.extend_from_slice(&body);
    pad(&mut out, data.len());
    (out, stats, traced)
}

/// Word tokens of `data` and how many the codebook knows.
pub fn word_stats(ctx: &CoderContext, data: &[u8]) -> ExactStats {
    let mut st = ExactStats::default();
    if ctx.book.is_empty() {
        // Every word is an escape: only count them (no lower-casing or lookups).
        let (mut prev, mut i) = (false, 0);
        while i < data.len() {
            // ASCII runs without branches on the bytes: a word starts where an
            // alphanumeric byte follows a byte that is not.
            let run = data[i..]
                .iter()
                .position(|&b| b >= 0x80)
                .unwrap_or(data.len() - i);
            for &b in &data[i..i + run] {
                let w = b.is_ascii_alphanumeric();
                st.words += (w & !prev) as u64;
                prev = w;
            }
            i += run;
            if i < data.len() {
                let end = word_end(data, i);
                if end > i {
                    st.words += !prev as u64;
                    prev = true;
                    i = end;
                } else {
                    prev = false;
                    i += 1;
                }
            }
        }
        st.escapes = st.words;
        return st;
    }
    let mut pos = sep_end(data, 0);
    while pos < data.len() {
        let end = word_end(data, pos);
        if end == pos {
            break;
        }
        let low = lower(std::str::from_utf8(&data[pos..end]).unwrap_or(""));
        st.words += 1;
        if ctx.book.code_of(&low).is_some() {
            st.known += 1;
        } else {
            st.escapes += 1;
        }
        pos = sep_end(data, end);
    }
    st
}

/// True when the codebook's counts are (within 5%) this data's own word counts, so
/// spending them as words are used codes better than adding to them.
fn counts_are_this_data(ctx: &CoderContext, data: &[u8]) -> bool {
    if !ctx.unscaled || ctx.book.is_empty() {
        return false;
    }
    let mut seen = vec![0u64; ctx.book.len()];
    let mut pos = sep_end(data, 0);
    let mut words = 0u64;
    while pos < data.len() {
        let end = word_end(data, pos);
        let low = lower(std::str::from_utf8(&data[pos..end]).unwrap_or(""));
        if let Some(c) = ctx.book.code_of(&low) {
            seen[c as usize] += 1;
        }
        words += 1;
        pos = sep_end(data, end);
    }
    let diff: u64 = seen
        .iter()
        .zip(ctx.book.counts())
        .map(|(&a, &b)| a.abs_diff(b))
        .sum();
    words > 0 && diff * 20 <= words
}

/// Appends zero bytes (read as the coder's implicit tail) until the payload is
/// large enough for the decoder's expansion cap to admit `units`.
pub fn pad(out: &mut Vec<u8>, units: usize) {
    while units > max_units(out.len()) {
        out.push(0);
    }
}

/// The most output units a payload of `n` bytes may decode to.
pub fn max_units(n: usize) -> usize {
    n.saturating_mul(MAX_EXPANSION).saturating_add(4096)
}

/// Decodes a payload of [`encode`].
pub fn decode(ctx: &CoderContext, payload: &[u8]) -> Result<Vec<u8>> {
    let corrupt = || Error::corrupt("exact payload is corrupt (decoding failed)");
    let (len, used) = read_varint(payload).ok_or_else(corrupt)?;
    let (len, deplete) = (len / 2, len % 2 == 1);
    if len > max_units(payload.len()) as u64 {
        return Err(corrupt());
    }
    let len = len as usize;
    let mut dec = Dec::new(&payload[used..]);
    let mut out: Vec<u8> = Vec::with_capacity(len.min(payload.len() * 8 + 64));
    let mut words = WordModel::with_policy(ctx, deplete);
    let mut seps = SepModel::new(ctx);
    let mut cases = CaseModel::new();
    let sep_id = seps.decode(&mut dec, 0, 0, len).ok_or_else(corrupt)?;
    out.extend_from_slice(&seps.seps[sep_id as usize]);
    let mut sep_start = 0;
    let mut prev_id = 0u32;
    let mut first = true;
    while out.len() < len {
        let left = len - out.len();
        let id = words.decode(&mut dec, left).ok_or_else(corrupt)?;
        if id == END {
            let s = seps
                .decode(&mut dec, prev_id, 0, left)
                .ok_or_else(corrupt)?;
            let s = &seps.seps[s as usize];
            if s.len() != left || first {
                return Err(corrupt());
            }
            out.extend_from_slice(s);
            break;
        }
        let low: Vec<u8> = if id >= BASE && !words.is_dyn(id) {
            ctx.book
                .skill(id - BASE)
                .ok_or_else(corrupt)?
                .as_bytes()
                .to_vec()
        } else {
            words.dyn_word(id).ok_or_else(corrupt)?.to_vec()
        };
        let low = String::from_utf8(low).map_err(|_| corrupt())?;
        if !first {
            let s = seps
                .decode(&mut dec, prev_id, low.len(), left)
                .ok_or_else(corrupt)?;
            let s = &seps.seps[s as usize];
            if s.is_empty() || s.len() >= left {
                return Err(corrupt());
            }
            sep_start = out.len();
            out.extend_from_slice(s);
        }
        first = false;
        let left = len - out.len();
        let c = cases.ctx(&out[sep_start..], id);
        let case = Case::from_index(cases.classes[c].decode(&mut dec));
        cases.classes[c].inc(case as usize, 24);
        cases.set_last(id, case);
        let word: Vec<u8> = match case {
            Case::Lower => low.into_bytes(),
            Case::Capital => capitalize(&low).into_bytes(),
            Case::Upper => low.to_uppercase().into_bytes(),
            Case::Mask => {
                let mut prev = 0;
                let mut mask = Vec::new();
                for _ in low.chars() {
                    let m = cases.mask[prev].decode(&mut dec);
                    cases.mask[prev].inc(m, 8);
                    mask.push(m == 1);
                    prev = m;
                }
                apply_mask(&low, &mask).into_bytes()
            }
            Case::Raw => words.decode_raw(&mut dec, left).ok_or_else(corrupt)?,
        };
        if word.is_empty() || word.len() > left || dec.bad {
            return Err(corrupt());
        }
        seps.advance(&word);
        out.extend_from_slice(&word);
        prev_id = id;
    }
    if out.len() != len || dec.bad {
        return Err(corrupt());
    }
    Ok(out)
}
