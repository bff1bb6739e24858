//! The word model shared by the exact and sequence levels: PPM over previous words
//! (order 2, order 1), an order-0 unigram primed by the codebook counts, and a
//! byte speller for words outside the codebook, which then join a per-payload
//! vocabulary.

use super::CoderContext;
use super::models::{Fenwick, FxMap, NONE, Ppm, Spell, mix};
use super::rc::{Dec, Enc};

/// Order-0 symbol: a word outside the vocabulary follows, spelled.
pub const ESC: u32 = 0;
/// Order-0 symbol: end of a text (sequence and set levels).
pub const END: u32 = 1;
/// Internal id of codebook code 0.
pub const BASE: u32 = 2;

/// A word to code: a known internal id, or a string to look up or spell.
pub enum WSym<'b> {
    /// An internal id (END or BASE + code).
    Id(u32),
    /// A string outside the codebook.
    New(&'b [u8]),
}

/// Adaptive word statistics of one payload.
pub struct WordModel<'c> {
    ctx: &'c CoderContext,
    fen: Fenwick,
    /// Strings of the ids added during this payload (id = first_dyn + index).
    pub dyn_words: Vec<Vec<u8>>,
    dyn_index: FxMap<Vec<u8>, u32>,
    first_dyn: u32,
    ppm: Ppm,
    spell: Spell<'c>,
    /// Previous word ids (most recent first).
    pub h1: u32,
    h2: u32,
    ex: Vec<(u32, u32, u32)>,
    deplete: bool,
}

impl<'c> WordModel<'c> {
    /// Fresh statistics; with `deplete`, a codebook word's count is spent on each use
    /// (for a codebook counted on this very payload) instead of growing.
    pub fn with_policy(ctx: &'c CoderContext, deplete: bool) -> Self {
        let fen = ctx.fen0.clone();
        let first_dyn = fen.len() as u32;
        WordModel {
            ctx,
            fen,
            dyn_words: Vec::new(),
            dyn_index: FxMap::default(),
            first_dyn,
            ppm: {
                let mut p = Ppm::new();
                // Counts as in PPMC; escapes weighted three times the distinct count
                // then corrected by secondary estimation (both measured on text).
                p.init = 1;
                p.inc = 1;
                p.esc4 = 12;
                p.with_see()
            },
            spell: Spell::new(&ctx.word_spell),
            h1: END,
            h2: END,
            ex: Vec::new(),
            deplete,
        }
    }

    /// Resets the word history (start of a text).
    pub fn restart(&mut self) {
        self.h1 = END;
        self.h2 = END;
    }

    fn keys(&self) -> [u64; 2] {
        [
            mix(mix(self.h2 as u64, self.h1 as u64), 2),
            mix(self.h1 as u64, 1),
        ]
    }

    /// The string of a dynamic id.
    pub fn dyn_word(&self, id: u32) -> Option<&[u8]> {
        id.checked_sub(self.first_dyn)
            .and_then(|i| self.dyn_words.get(i as usize))
            .map(Vec::as_slice)
    }

    /// True when `id` is a dynamic id.
    pub fn is_dyn(&self, id: u32) -> bool {
        id >= self.first_dyn
    }

    /// Codes a word; returns its internal id.
    pub fn encode(&mut self, enc: &mut Enc, sym: WSym) -> u32 {
        let id = match sym {
            WSym::Id(i) => i,
            WSym::New(b) => self.dyn_index.get(b).copied().unwrap_or(NONE),
        };
        let keys = self.keys();
        self.ppm.excl.clear();
        self.ppm.tag = 0;
        let k = self.ppm.encode(enc, &keys, id);
        enc.tag = 2;
        let id = if k < keys.len() {
            id
        } else if id != NONE {
            let e = self
                .fen
                .excluded(&self.ppm.excl.list, 0, &mut self.ex, false);
            self.fen.encode_excl(enc, id as usize, &self.ex, e);
            id
        } else {
            let e = self
                .fen
                .excluded(&self.ppm.excl.list, 0, &mut self.ex, false);
            self.fen.encode_excl(enc, ESC as usize, &self.ex, e);
            let WSym::New(b) = sym else { return ESC };
            enc.tag = 3;
            self.spell.encode(enc, b);
            self.add_dyn(b.to_vec())
        };
        self.update(&keys, k, id);
        id
    }

    /// Decodes a word coded by [`WordModel::encode`]: its internal id (the string of a
    /// new word is then in `dyn_words`). None on corrupt data.
    pub fn decode(&mut self, dec: &mut Dec, max_spell: usize) -> Option<u32> {
        let keys = self.keys();
        self.ppm.excl.clear();
        let (s, k) = self.ppm.decode(dec, &keys);
        let id = if s != NONE {
            s
        } else {
            let e = self
                .fen
                .excluded(&self.ppm.excl.list, 0, &mut self.ex, true);
            let s = self.fen.decode_excl(dec, &self.ex, e)?;
            if s == ESC {
                let b = self.spell.decode(dec, max_spell)?;
                if self.dyn_index.contains_key(&b) {
                    return None;
                }
                self.add_dyn(b)
            } else {
                s
            }
        };
        if dec.bad || id as usize >= self.fen.len() {
            return None;
        }
        self.update(&keys, k, id);
        Some(id)
    }

    /// Spells bytes that are not a word of the vocabulary (a raw-case word).
    pub fn spell_raw(&mut self, enc: &mut Enc, b: &[u8]) {
        self.spell.encode(enc, b);
    }

    /// Decodes bytes of [`WordModel::spell_raw`] (at most `max`).
    pub fn decode_raw(&mut self, dec: &mut Dec, max: usize) -> Option<Vec<u8>> {
        self.spell.decode(dec, max)
    }

    fn add_dyn(&mut self, b: Vec<u8>) -> u32 {
        let id = self.fen.len() as u32;
        self.dyn_index.insert(b.clone(), id);
        self.dyn_words.push(b);
        self.fen.push(self.ctx.new_word_init);
        self.fen.add(ESC as usize, self.ctx.esc_inc);
        id
    }

    fn update(&mut self, keys: &[u64], k: usize, id: u32) {
        self.ppm.update(keys, k, id);
        if self.deplete && id >= BASE && id < self.first_dyn {
            // Spend one count, keeping every word codable.
            let d = super::PRIOR.min(self.fen.freq(id as usize) - 1);
            if d > 0 {
                self.fen.sub(id as usize, d);
            }
        } else {
            self.fen.add(id as usize, self.ctx.inc0);
        }
        if self.fen.total() > 1 << 23 {
            self.fen.halve();
        }
        self.h2 = self.h1;
        self.h1 = id;
    }
}
