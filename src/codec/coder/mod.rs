//! Entropy coding of the three fidelity levels (exact bytes, skill sequences, skill
//! sets) and of the codebook itself, on constriction's range coder (24-bit
//! precision; models keep plain counts, mapped onto its grid in `rc`) with adaptive
//! context models. Every payload is independent: its adaptive state starts from the
//! priors of a [`CoderContext`] built once per file from the codebook.
//!
//! The payload layouts, the expansion bound and the status of this code as the
//! format's reference behaviour are specified in `docs/FORMAT.md` ("Payloads" and
//! "Payload coding"); this module does not repeat them.

mod bitrc;
mod book;
mod bytes;
mod cm;
mod exact;
mod hashmix;
mod layered;
mod models;
mod rc;
mod seq;
mod set;
mod tokens;
mod words;

use crate::Result;
use crate::model::Codebook;
use bytes::{bwt, cmx, cmx_v2, ppm};
use models::{Fenwick, Freq, FxMap, spell_prior};

/// The most output units (bytes, skills) a payload byte may decode to; encoders pad
/// payloads of extremely repetitive inputs to stay under it, so decoding garbage
/// can never allocate or loop without bound.
pub const MAX_EXPANSION: usize = 64;

/// Primed states of the exact level's models, by the table sizes each was built for
/// (`None`: asked for once, not yet built for the cache).
type PrimedStates<S> = std::sync::Mutex<Vec<((u32, u32, u32), Option<std::sync::Arc<S>>)>>;

/// Longest priming text a context uses (bounds the work done once per file).
pub const MAX_PRIME: usize = 1 << 20;

/// Primed states with context tables of at most 2^this slots (64 MiB: packets up to
/// a few hundred KB) are built once and cloned per packet; larger ones are primed
/// afresh in each packet, so memory stays one state per packet in flight.
const CACHED_SLOT_BITS: u32 = 21;

/// Order-0 units per codebook count.
const PRIOR: u32 = 16;

/// Priors shared by every packet of a file: the codebook, its counts as an order-0
/// word model, letter statistics for spelling new words, and optional association
/// counts between skills.
pub struct CoderContext {
    book: Codebook,
    fen0: Fenwick,
    /// True when one codebook count is exactly `PRIOR` order-0 units (no scaling).
    unscaled: bool,
    word_spell: Vec<Freq>,
    sep_spell: Vec<Freq>,
    assoc: FxMap<u32, Vec<(u32, u32)>>,
    inc0: u32,
    new_word_init: u32,
    esc_inc: u32,
    /// Text the exact level's context-mixing models learn from before each packet.
    prime: Vec<u8>,
    /// Primed states by table sizes, built once and cloned per packet.
    primed: PrimedStates<cmx::Cm>,
    /// The same for mode 2's coder (decoding older files).
    primed_v2: PrimedStates<cmx_v2::Cm>,
    /// The same for modes 5 and 7 (PPM).
    primed_ppm: PrimedStates<ppm::Ppm>,
}

impl CoderContext {
    /// Builds the priors from a codebook and association triples (skill a, skill b,
    /// co-occurrence count), which may be empty.
    pub fn new(book: &Codebook, associations: &[(u32, u32, u32)]) -> Self {
        let sum: u64 = book.counts().iter().sum::<u64>().max(1);
        // Scale counts so the order-0 total (prior mass 2^21 at most, plus one unit per
        // word) stays far inside the coder's 2^24; models halve past 2^23.
        let k = ((1u64 << 21) as f64 / (sum as f64 * PRIOR as f64)).min(1.0);
        // One count of the codebook is worth `PRIOR` units; a word seen in the payload
        // adds `inc0` (measured best a little below one count).
        let inc0 = 8;
        let pscale = PRIOR as f64;
        let unit = |c: u64| ((c as f64 * k * pscale).min((1u32 << 21) as f64) as u32).max(1);
        let mut f = Vec::with_capacity(book.len() + 2);
        f.push(inc0); // ESC
        f.push(inc0); // END
        f.extend(book.counts().iter().map(|&c| unit(c)));
        let fen0 = Fenwick::from_freqs(&f);
        let word_spell = spell_prior(book.skills().iter().map(|s| s.as_bytes()));
        let sep_spell = spell_prior([b" .,;:!?'\"-()\n\n\r\n\t".as_slice()].into_iter());
        let mut assoc: FxMap<u32, Vec<(u32, u32)>> = FxMap::default();
        for &(a, b, c) in associations {
            if (a as usize) < book.len() && (b as usize) < book.len() {
                assoc.entry(a).or_default().push((b, c));
                assoc.entry(b).or_default().push((a, c));
            }
        }
        CoderContext {
            book: book.clone(),
            fen0,
            unscaled: k >= 1.0,
            word_spell,
            sep_spell,
            assoc,
            inc0,
            new_word_init: inc0,
            esc_inc: inc0,
            prime: Vec::new(),
            primed: std::sync::Mutex::new(Vec::new()),
            primed_v2: std::sync::Mutex::new(Vec::new()),
            primed_ppm: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Adds the priming text of the exact level (a sample of the training corpus,
    /// [`crate::model::Model::prime`]): every packet's models start from it.
    pub fn with_prime(mut self, prime: &[u8]) -> Self {
        self.prime = prime[..prime.len().min(MAX_PRIME)].to_vec();
        self
    }

    /// The starting state of the exact level's models for `n` bytes of data.
    fn exact_state(&self, n: usize) -> cmx::Cm {
        let sizes = cmx::Cm::sizes_for(self.prime.len() + n);
        primed_state(
            &self.primed,
            &self.prime,
            sizes,
            cmx::Cm::new,
            cmx::Cm::prime,
        )
    }

    /// The same for exact payload mode 2 (files of earlier builds).
    fn exact_state_v2(&self, n: usize) -> cmx_v2::Cm {
        let sizes = cmx_v2::Cm::sizes_for(self.prime.len() + n);
        primed_state(
            &self.primed_v2,
            &self.prime,
            sizes,
            cmx_v2::Cm::new,
            cmx_v2::Cm::prime,
        )
    }

    /// The same for exact payload mode 7 (PPM of version 6), or mode 5 when not `v6`.
    fn exact_state_ppm(&self, n: usize, v6: bool) -> ppm::Ppm {
        let sizes = if v6 {
            ppm::Ppm::sizes_v6(self.prime.len(), n)
        } else {
            ppm::Ppm::sizes_for(self.prime.len() + n)
        };
        primed_state(
            &self.primed_ppm,
            &self.prime,
            sizes,
            ppm::Ppm::new,
            ppm::Ppm::prime,
        )
    }

    /// The codebook the context was built from.
    pub fn codebook(&self) -> &Codebook {
        &self.book
    }
}

/// A fresh state of `sizes` that has learned `prime`: built afresh the first time a
/// size is asked for (a file of one packet then primes once and copies nothing),
/// built and cached the second time, cloned from the cache after that.
fn primed_state<S: Clone>(
    cache: &PrimedStates<S>,
    prime: &[u8],
    sizes: (u32, u32, u32),
    new: fn((u32, u32, u32)) -> S,
    learn: fn(&mut S, &[u8]),
) -> S {
    let fresh = || {
        let mut s = new(sizes);
        learn(&mut s, prime);
        s
    };
    if prime.is_empty() {
        return new(sizes);
    }
    if sizes.0 > CACHED_SLOT_BITS {
        // A large packet: priming is cheap beside coding it, while a cached copy
        // would double the memory of every packet in flight.
        return fresh();
    }
    let found = {
        let mut c = cache.lock().unwrap_or_else(|e| e.into_inner());
        match c.iter().find(|(k, _)| *k == sizes) {
            Some((_, s)) => Some(s.clone()),
            None => {
                c.push((sizes, None));
                None
            }
        }
    };
    let state = match found {
        None => return fresh(),
        Some(Some(s)) => s,
        Some(None) => {
            let s = std::sync::Arc::new(fresh());
            let mut c = cache.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((_, slot @ None)) = c.iter_mut().find(|(k, _)| *k == sizes) {
                *slot = Some(s.clone());
            }
            s
        }
    };
    (*state).clone()
}

/// A skill of a text: a codebook code, or a literal for a skill outside the codebook.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Skill {
    /// The codebook code of the skill.
    Known(u32),
    /// The skill's text, sent spelled (an escape).
    Literal(String),
}

/// Counts of the exact level's word tokens, to report how much the codebook covered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExactStats {
    /// Word tokens in the input.
    pub words: u64,
    /// Word tokens whose lower-cased form is in the codebook.
    pub known: u64,
    /// Word tokens not in the codebook (escaped and spelled on first use).
    pub escapes: u64,
}

/// Losslessly codes any bytes at the exact level.
pub fn encode_exact(ctx: &CoderContext, data: &[u8]) -> Vec<u8> {
    encode_exact_stats(ctx, data).0
}

/// First byte of an exact payload: the bytes were range coded.
const EXACT_CODED: u8 = 0;
/// First byte of an exact payload: the bytes are stored as they are, because coding
/// them would have made them larger (random or already compressed data).
const EXACT_STORED: u8 = 1;

/// First byte of an exact payload: the bytes were coded by the first context-mixing
/// coder (read, no longer written).
const EXACT_CM_V2: u8 = 2;

/// First byte of an exact payload: the bytes were coded by context mixing.
const EXACT_CM: u8 = 3;

/// First byte of an exact payload: the bytes were coded by the first block-sorting
/// coder (Burrows-Wheeler transform and an adaptive rank coder; read, no longer
/// written).
const EXACT_BWT: u8 = 4;

/// First byte of an exact payload: the bytes were coded by PPM with a long-match
/// model (version 5; read, no longer written).
const EXACT_PPM: u8 = 5;

/// First byte of an exact payload: PPM as in mode 5 with version 6's starting state
/// (the priming text's end only, for packets over 4 KiB; PPMd's binary estimates).
const EXACT_PPM6: u8 = 7;

/// First byte of an exact payload: long repeats cut out as copies, the rest block
/// sorted as in mode 4.
const EXACT_BWT2: u8 = 6;

/// Which coder an exact payload uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ExactCoder {
    /// The encoder's rule: context mixing for packets up to [`AUTO_PPM_ABOVE`] bytes
    /// (where priors and the word model matter most and time is small), PPM above:
    /// smaller than zstd -19 and at least as fast as PPMd (docs/BENCHMARKS.md).
    #[default]
    Auto,
    /// Context mixing (payload mode 3, or the word model for small packets): the
    /// smallest output, several times slower than PPM.
    Cm,
    /// Block sorting after a long-match pass (payload mode 6): faster, larger.
    Bwt,
    /// PPM with a long-match model (payload mode 7; mode 5 is still read): fast,
    /// between the two in size.
    Ppm,
}

impl std::str::FromStr for ExactCoder {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(ExactCoder::Auto),
            "cm" => Ok(ExactCoder::Cm),
            "bwt" => Ok(ExactCoder::Bwt),
            "ppm" => Ok(ExactCoder::Ppm),
            _ => Err(crate::Error::parameter(
                "coder",
                s,
                "unrecognized exact coder: use auto, cm, bwt or ppm",
            )),
        }
    }
}

/// Packets longer than this are coded by PPM under [`ExactCoder::Auto`].
pub const AUTO_PPM_ABOVE: usize = 64 * 1024;

/// Packets up to this size are also coded by the word model, and the smaller
/// payload kept: a small packet without priors is where its codebook-primed
/// word statistics can beat context mixing (and it costs little time there).
const TRY_WORDS_BELOW: usize = 64 * 1024;

/// Like [`encode_exact`], also returning codebook coverage statistics.
pub fn encode_exact_stats(ctx: &CoderContext, data: &[u8]) -> (Vec<u8>, ExactStats) {
    encode_exact_with(ctx, data, ExactCoder::Auto)
}

/// Like [`encode_exact_stats`] with the coder chosen by the caller.
pub fn encode_exact_with(
    ctx: &CoderContext,
    data: &[u8],
    coder: ExactCoder,
) -> (Vec<u8>, ExactStats) {
    let coder = match coder {
        ExactCoder::Auto if data.len() > AUTO_PPM_ABOVE => ExactCoder::Ppm,
        c => c,
    };
    let forced = matches!(coder, ExactCoder::Bwt | ExactCoder::Ppm);
    let mut coded = Vec::new();
    write_varint(&mut coded, data.len() as u64);
    let mut mode = if coder == ExactCoder::Ppm {
        coded.extend_from_slice(&ppm::encode(ctx.exact_state_ppm(data.len(), true), data));
        EXACT_PPM6
    } else if forced {
        bwt::encode_long(data, &mut coded);
        EXACT_BWT2
    } else {
        coded.extend_from_slice(&cmx::encode(ctx.exact_state(data.len()), data));
        EXACT_CM
    };
    exact::pad(&mut coded, data.len());
    let mut stats = None;
    if !forced && data.len() <= TRY_WORDS_BELOW && !ctx.book.is_empty() {
        let (words, st) = exact::encode(ctx, data);
        stats = Some(st);
        if words.len() < coded.len() {
            coded = words;
            mode = EXACT_CODED;
        }
    }
    let stats = stats.unwrap_or_else(|| exact::word_stats(ctx, data));
    let mut out = Vec::with_capacity(1 + coded.len().min(data.len()));
    if coded.len() >= data.len() {
        out.push(EXACT_STORED);
        out.extend_from_slice(data);
    } else {
        out.push(mode);
        out.extend_from_slice(&coded);
    }
    (out, stats)
}

/// The exact level's word model alone (the previous default coder, kept for
/// comparison).
pub fn encode_exact_words(ctx: &CoderContext, data: &[u8]) -> Vec<u8> {
    let (coded, _) = exact::encode(ctx, data);
    let mut out = Vec::with_capacity(1 + coded.len());
    out.push(EXACT_CODED);
    out.extend_from_slice(&coded);
    out
}

/// Bytes spent per part of the exact model on `data` (measurement aid).
pub fn exact_cost_breakdown(ctx: &CoderContext, data: &[u8]) -> Vec<(&'static str, f64)> {
    let (_, _, bits) = exact::encode_traced(ctx, data, true);
    exact::TAGS
        .iter()
        .zip(bits.iter().chain(std::iter::repeat(&0.0)))
        .map(|(&t, &b)| (t, b / 8.0))
        .collect()
}

/// The original length at the head of a coded exact payload and the bytes it took,
/// refused when it is truncated or more than the payload's size allows.
fn coded_length(coded: &[u8]) -> Result<(usize, usize)> {
    let (len, used) = read_varint(coded)
        .ok_or_else(|| crate::Error::corrupt("exact payload is corrupt (truncated length)"))?;
    if len > exact::max_units(coded.len()) as u64 {
        return Err(crate::Error::corrupt(
            "exact payload is corrupt (length beyond what its size allows)",
        ));
    }
    Ok((len as usize, used))
}

/// Decodes a payload of [`encode_exact`]; corrupt payloads give `Error::Corrupt`.
pub fn decode_exact(ctx: &CoderContext, payload: &[u8]) -> Result<Vec<u8>> {
    match payload.split_first() {
        Some((&EXACT_CODED, coded)) => exact::decode(ctx, coded),
        Some((&EXACT_STORED, stored)) => Ok(stored.to_vec()),
        Some((&mode @ (EXACT_BWT | EXACT_BWT2), coded)) => {
            let (len, used) = coded_length(coded)?;
            let body = &coded[used..];
            let out = if mode == EXACT_BWT2 {
                bwt::decode_long(body, len)
            } else {
                bwt::decode(body, len)
            };
            out.ok_or_else(|| {
                crate::Error::corrupt(
                    "exact payload is corrupt (block-sorted data does not decode)",
                )
            })
        }
        Some((&mode @ (EXACT_PPM | EXACT_PPM6), coded)) => {
            let (len, used) = coded_length(coded)?;
            let state = ctx.exact_state_ppm(len, mode == EXACT_PPM6);
            ppm::decode(state, &coded[used..], len).ok_or_else(|| {
                crate::Error::corrupt("exact payload is corrupt (PPM data does not decode)")
            })
        }
        Some((&mode @ (EXACT_CM | EXACT_CM_V2), coded)) => {
            let (len, used) = coded_length(coded)?;
            Ok(if mode == EXACT_CM {
                cmx::decode(ctx.exact_state(len), &coded[used..], len)
            } else {
                cmx_v2::decode(ctx.exact_state_v2(len), &coded[used..], len)
            })
        }
        _ => Err(crate::Error::corrupt(
            "exact payload is corrupt (unrecognized payload mode)",
        )),
    }
}

/// Codes texts as skill sequences (order kept). A `Known` code outside the codebook
/// is a caller error; it is sent as the literal `#code` rather than lost.
pub fn encode_sequences(ctx: &CoderContext, texts: &[Vec<Skill>]) -> Vec<u8> {
    seq::encode(ctx, texts)
}

/// Decodes a payload of [`encode_sequences`].
pub fn decode_sequences(ctx: &CoderContext, payload: &[u8]) -> Result<Vec<Vec<Skill>>> {
    seq::decode(ctx, payload)
}

/// Codes texts as skill sets: order and repeats inside a text are not kept (a `Known`
/// code outside the codebook is sent as the literal `#code`).
pub fn encode_sets(ctx: &CoderContext, texts: &[Vec<Skill>]) -> Vec<u8> {
    set::encode(ctx, texts)
}

/// Decodes a payload of [`encode_sets`]: each set in canonical order (codes
/// ascending, then literals sorted, no repeats).
pub fn decode_sets(ctx: &CoderContext, payload: &[u8]) -> Result<Vec<Vec<Skill>>> {
    set::decode(ctx, payload)
}

/// The canonical order of a set, as [`decode_sets`] returns it.
pub fn canonical_set(text: &[Skill]) -> Vec<Skill> {
    seq::canonical(text)
}

/// A decoded base layer of a layered file: each text's skills in order (as spelled)
/// and, when the payload has one, the rank table by skill.
pub type BaseLayer = (
    Vec<Vec<Vec<u8>>>,
    Option<std::collections::HashMap<Vec<u8>, u64>>,
);

/// A skill's rank in a layered file's rank table (0 outside the codebook, else its
/// count plus one), by its spelling.
pub type RankOf<'a> = &'a dyn Fn(&[u8]) -> u64;

/// Layered files' base layer: each text's skills in order (as spelled), coded with
/// the context-mixing coder; `rank` (for a file without a codebook) gives each skill's
/// rank, 0 outside the codebook, else its count plus one, sent in a table.
pub fn encode_base(ctx: &CoderContext, seqs: &[Vec<&[u8]>], rank: Option<RankOf<'_>>) -> Vec<u8> {
    layered::encode_base(ctx, seqs, rank)
}

/// Decodes a payload of [`encode_base`] of `texts` texts: their skills in order and,
/// when `ranks`, the rank table.
pub fn decode_base(
    ctx: &CoderContext,
    payload: &[u8],
    texts: u64,
    ranks: bool,
) -> Result<BaseLayer> {
    layered::decode_base(ctx, payload, texts, ranks)
}

/// Layered files' exact layer: `data` coded given the skills (as rendered strings) of
/// its texts in order, flattened (`counts`: each text's number of skills).
pub fn encode_exact_given(
    ctx: &CoderContext,
    skills: &[&[u8]],
    counts: &[usize],
    data: &[u8],
) -> Vec<u8> {
    layered::encode_exact(ctx, skills, counts, data)
}

/// Decodes a payload of [`encode_exact_given`] into `len` bytes, given the same skills.
pub fn decode_exact_given(
    ctx: &CoderContext,
    skills: &[&[u8]],
    counts: &[usize],
    payload: &[u8],
    len: usize,
) -> Result<Vec<u8>> {
    layered::decode_exact(ctx, skills, counts, payload, len)
}

/// Compact embedding of a codebook for self-contained files.
pub fn encode_codebook(book: &Codebook) -> Vec<u8> {
    book::encode(book)
}

/// Decodes a codebook of [`encode_codebook`].
pub fn decode_codebook(bytes: &[u8]) -> Result<Codebook> {
    book::decode(bytes)
}

/// Appends a varint (the format's one varint: `codec::varint`).
fn write_varint(out: &mut Vec<u8>, v: u64) {
    super::varint::put(out, v);
}

/// Reads a varint: (value, bytes used); `None` when truncated, overlong or too large.
fn read_varint(b: &[u8]) -> Option<(u64, usize)> {
    super::varint::get(b).ok()
}

/// Asks the CPU to fetch `t[i]`'s cache line (a hint; nothing on other targets).
#[inline(always)]
pub(crate) fn prefetch<T>(t: &[T], i: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(p) = t.get(i) {
        // SAFETY: a prefetch is only a hint: it never faults, reads into the
        // program or writes, and the address is inside `t`.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                (p as *const T).cast::<i8>(),
            )
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (t, i);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primed_states_fresh_cached_and_cloned_code_alike() {
        // The first packet of a size primes afresh, the second builds the cached
        // state, the third clones it: all three must be the same state.
        let ctx = CoderContext::new(&Codebook::default(), &[])
            .with_prime(crate::model::builtin::BUILTIN_PRIME);
        let data = b"Alice was beginning to get very tired of sitting by her sister.\n".repeat(3);
        let a = encode_exact(&ctx, &data);
        let sizes = cmx::Cm::sizes_for(ctx.prime.len() + data.len());
        let cached = |c: &CoderContext| {
            let g = c.primed.lock().unwrap();
            g.iter()
                .find(|(k, _)| *k == sizes)
                .map(|(_, s)| s.is_some())
        };
        assert_eq!(cached(&ctx), Some(false));
        let b = encode_exact(&ctx, &data);
        assert_eq!(cached(&ctx), Some(true));
        let c = encode_exact(&ctx, &data);
        assert_eq!(a, b);
        assert_eq!(a, c);
        for p in [&a, &b, &c] {
            assert_eq!(decode_exact(&ctx, p).unwrap(), data);
        }
        let other = CoderContext::new(&Codebook::default(), &[])
            .with_prime(crate::model::builtin::BUILTIN_PRIME);
        assert_eq!(decode_exact(&other, &a).unwrap(), data);
        // A different prime gives a different state, so the check above could fail.
        let unprimed = CoderContext::new(&Codebook::default(), &[]);
        assert_ne!(encode_exact(&unprimed, &data), a);
    }
}
