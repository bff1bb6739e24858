//! The context-mixing exact coder of exact payload mode 2 (format versions 2 and 3
//! before its amendment), kept to decode those files; new files use [`super::cmx`]
//! (mode 3). Each byte as eight binary decisions, each
//! predicted by hashed character contexts (orders 0-4, 6), word contexts (the
//! current word with the previous one, as the word-level PPM sees them), a column
//! context for line-structured text, and a match model that predicts the byte after
//! the longest earlier repeat. A gated logistic mixer combines their stretched
//! probabilities; two APM stages refine the result. All arithmetic is integer so
//! every platform decodes alike. The state can be primed with a text (the model's
//! priors) and cloned per packet.

use super::bitrc::BitDec;
#[cfg(test)]
use super::bitrc::BitEnc;
use super::cm::{squash, stretch_table};
use super::models::mix;

/// Hashed context inputs.
const ORDERS: usize = 10;
/// Mixer inputs: the contexts, the match model (two), a bias.
const INPUTS: usize = ORDERS + 3;
/// Entries of a slot: a check tag, then the 15 nodes of a nibble's binary tree.
const SLOT: usize = 16;
/// Bytes hashed to find match candidates.
const MIN_MATCH: usize = 5;
/// Match-length buckets (mixer selection and the match model's own statistics).
const LEN_BUCKETS: usize = 32;

/// Adaptation rate per count: 65536 / (n + 1.5).
const RATE: [i32; 16] = {
    let mut r = [0i32; 16];
    let mut i = 0;
    while i < 16 {
        r[i] = 65536 * 2 / (2 * i as i32 + 3);
        i += 1;
    }
    r
};

/// Most counts a node keeps (its slowest rate is 1 / (LIMIT + 1.5)).
const LIMIT: u16 = 12;

/// Fixed tables shared by every model (stretch, squash).
struct Tables {
    stretch: Vec<i16>,
    squash: Vec<i16>,
}

fn tables() -> &'static Tables {
    static T: std::sync::OnceLock<Tables> = std::sync::OnceLock::new();
    T.get_or_init(|| Tables {
        stretch: stretch_table(),
        squash: (-2048..2048).map(|d| squash(d) as i16).collect(),
    })
}

#[inline]
fn sq(t: &Tables, d: i32) -> i32 {
    t.squash[(d.clamp(-2047, 2047) + 2048) as usize] as i32
}

/// An adaptive probability refinement indexed by a context and the input's stretch
/// (33 cells, interpolated).
#[derive(Clone)]
struct Apm {
    t: Vec<u16>,
    idx: usize,
    rate: u32,
}

impl Apm {
    fn new(n: usize, rate: u32) -> Self {
        let row: Vec<u16> = (0..33)
            .map(|k| (squash((k - 16) * 128) * 16) as u16)
            .collect();
        Apm {
            t: row.repeat(n),
            idx: 0,
            rate,
        }
    }

    #[inline]
    fn p(&mut self, tb: &Tables, p: i32, cx: usize) -> i32 {
        let s = tb.stretch[p as usize] as i32 + 2048;
        let (lo, w) = ((s >> 7) as usize, s & 127);
        let base = cx * 33;
        let a = self.t[base + lo] as i32;
        let b = self.t[base + lo + 1] as i32;
        self.idx = base + lo + usize::from(w >= 64);
        ((a * (128 - w) + b * w) >> 11).clamp(1, 4095)
    }

    #[inline]
    fn update(&mut self, bit: u32) {
        let cell = &mut self.t[self.idx];
        let target = if bit == 1 { 65535 } else { 0 };
        *cell = (*cell as i32 + ((target - *cell as i32) >> self.rate)) as u16;
    }
}

/// The coder's whole adaptive state.
#[derive(Clone)]
pub struct Cm {
    /// Slots of 16 nodes; a node is a 12-bit probability and a 4-bit count.
    t: Vec<u16>,
    slot_mask: usize,
    base: [usize; ORDERS],
    hashes: [u64; ORDERS],
    st: [i32; INPUTS],
    w: Vec<i32>,
    wset: usize,
    w2: Vec<i32>,
    wset2: usize,
    pmix: i32,
    pmix1: i32,
    pmix2: i32,
    apm3: Apm,
    apm_mask: usize,
    apm1: Apm,
    apm2: Apm,
    /// Bytes seen (the prime, then the data).
    hist: Vec<u8>,
    mtab: Vec<u32>,
    mptr: usize,
    mlen: usize,
    /// The match's predicted byte still agrees with the bits of this byte so far.
    mok: bool,
    msm: Vec<u16>,
    msm_i: usize,
    c0: u32,
    bitpos: u32,
    c4: u64,
    word: u64,
    word1: u64,
    word2: u64,
    col: u64,
    line_above: usize,
    line_start: usize,
}

impl Cm {
    /// A fresh state of the given sizes ([`Cm::sizes_for`]).
    pub fn new((slot_bits, match_bits, apm_bits): (u32, u32, u32)) -> Self {
        let slots = 1usize << slot_bits;
        let mut t = vec![2048u16 << 4; slots * SLOT];
        for s in 0..slots {
            t[s * SLOT] = 0;
        }
        let mut cm = Cm {
            t,
            slot_mask: slots - 1,
            base: [0; ORDERS],
            hashes: [0; ORDERS],
            st: [0; INPUTS],
            w: vec![(1 << 16) / 4; INPUTS * 256 * 4],
            wset: 0,
            w2: vec![(1 << 16) / 4; INPUTS * 8 * 8 * 2],
            wset2: 0,
            pmix: 2048,
            pmix1: 2048,
            pmix2: 2048,
            apm3: Apm::new(1 << apm_bits, 7),
            apm1: Apm::new(256, 7),
            apm2: Apm::new(1 << apm_bits, 7),
            apm_mask: (1 << apm_bits) - 1,
            hist: Vec::new(),
            mtab: vec![0; 1 << match_bits],
            mptr: 0,
            mlen: 0,
            mok: false,
            msm: vec![1 << 15; LEN_BUCKETS * 2],
            msm_i: 0,
            c0: 1,
            bitpos: 0,
            c4: 0,
            word: 0,
            word1: 0,
            word2: 0,
            col: 0,
            line_above: 0,
            line_start: 0,
        };
        cm.byte_contexts();
        cm
    }

    /// Table sizes for coding `n` bytes (prime included): bounded memory per packet.
    pub fn sizes_for(n: usize) -> (u32, u32, u32) {
        let lg = n.max(1).next_power_of_two().ilog2();
        (
            (lg + 2).clamp(10, 22),
            lg.clamp(10, 24),
            (lg + 2).clamp(10, 16),
        )
    }

    /// Learns from `text` as if it had been coded (priming).
    pub fn prime(&mut self, text: &[u8]) {
        self.hist.reserve(text.len());
        for &c in text {
            for k in (0..8).rev() {
                let bit = u32::from((c >> k) & 1);
                self.predict();
                self.update(bit);
            }
        }
    }

    /// Reserves history room for `n` more bytes.
    pub fn reserve(&mut self, n: usize) {
        self.hist.reserve(n);
    }

    /// Finds (or claims) the slot for context hash `h`: two candidate slots, the
    /// less used one is replaced on a miss.
    #[inline]
    fn slot(&mut self, h: u64) -> usize {
        let chk = ((h >> 48) as u16) | 1;
        let i = (h as usize) & self.slot_mask;
        let a = i * SLOT;
        if self.t[a] == chk {
            return a;
        }
        let b = (i ^ 1) * SLOT;
        if self.t[b] == chk {
            return b;
        }
        let na = self.t[a + 1] & 15;
        let nb = self.t[b + 1] & 15;
        let r = if self.t[a] == 0 || na <= nb { a } else { b };
        self.t[r] = chk;
        for e in &mut self.t[r + 1..r + SLOT] {
            *e = 2048 << 4;
        }
        r
    }

    /// Sets the contexts for a new byte from what precedes it.
    fn byte_contexts(&mut self) {
        let c4 = self.c4;
        let c1 = c4 & 0xff;
        let above = if self.line_above + (self.col as usize) < self.line_start {
            self.hist[self.line_above + self.col as usize] as u64
        } else {
            0x100
        };
        self.hashes = [
            mix(0, 1),
            mix(c1, 2),
            mix(c4 & 0xffff, 3),
            mix(c4 & 0xff_ffff, 4),
            mix(c4 & 0xffff_ffff, 5),
            mix(c4 & 0xff_ffff_ffff, 6),
            mix(c4 & 0xffff_ffff_ffff, 7),
            mix(mix(self.word, self.word1), 8 + (c1 << 8)),
            mix(self.word, 9 + (c1 << 8)),
            mix(mix(above, self.col.min(80)), 10 + (c1 << 12)),
        ];
        let _ = self.word2;
        for i in 0..ORDERS {
            self.base[i] = self.slot(self.hashes[i]);
        }
    }

    /// P(next bit = 1) in 12 bits.
    #[inline]
    pub fn predict(&mut self) -> u32 {
        let tb = tables();
        let nidx = nibble_node(self.c0, self.bitpos);
        for i in 0..ORDERS {
            let p = self.t[self.base[i] + nidx] >> 4;
            self.st[i] = tb.stretch[p as usize] as i32;
        }
        // Match model: the expected bit, with a confidence learned per length.
        let lb = len_bucket(self.mlen);
        if self.mlen > 0 && self.mok {
            let eb = ((self.hist[self.mptr] as u32) >> (7 - self.bitpos)) & 1;
            self.msm_i = lb * 2 + eb as usize;
            let p = (self.msm[self.msm_i] >> 4) as usize;
            let s = tb.stretch[p.clamp(1, 4095)] as i32;
            self.st[ORDERS] = s;
            self.st[ORDERS + 1] = if eb == 1 { 256 } else { -256 };
        } else {
            self.st[ORDERS] = 0;
            self.st[ORDERS + 1] = 0;
        }
        self.st[ORDERS + 2] = 256;
        let mset = if self.mlen == 0 || !self.mok {
            0
        } else if self.mlen < 16 {
            1
        } else if self.mlen < 32 {
            2
        } else {
            3
        };
        self.wset = (mset * 256 + self.c0 as usize) * INPUTS;
        // Second weight set: by how many of the orders 2-7 have seen this node
        // (how deep a PPM would go) and the bit position.
        let nidx = nibble_node(self.c0, self.bitpos);
        let mut seen = 0;
        for i in 2..8 {
            seen += usize::from(self.t[self.base[i] + nidx] & 15 != 0);
        }
        self.wset2 =
            ((seen.min(7) * 8 + self.bitpos as usize) * 2 + usize::from(mset > 0)) * INPUTS;
        let w = &self.w[self.wset..self.wset + INPUTS];
        let w2 = &self.w2[self.wset2..self.wset2 + INPUTS];
        let mut dot: i64 = 0;
        let mut dot2: i64 = 0;
        for i in 0..INPUTS {
            dot += w[i] as i64 * self.st[i] as i64;
            dot2 += w2[i] as i64 * self.st[i] as i64;
        }
        let d1 = ((dot >> 16) as i32).clamp(-2047, 2047);
        let d2 = ((dot2 >> 16) as i32).clamp(-2047, 2047);
        self.pmix1 = sq(tb, d1).clamp(1, 4095);
        self.pmix2 = sq(tb, d2).clamp(1, 4095);
        let p = sq(tb, (d1 + d2) >> 1).clamp(1, 4095);
        self.pmix = p;
        let c1 = (self.c4 & 0xff) as usize;
        let p1 = self.apm1.p(tb, p, self.c0 as usize);
        let h2 = ((self.c0 as usize) | (c1 << 8)) & self.apm_mask;
        let p2 = self.apm2.p(tb, p, h2);
        let h3 = (mix(self.c4 & 0xffff, self.c0 as u64) as usize) & self.apm_mask;
        let p3 = self.apm3.p(tb, p, h3);
        ((2 * p + p1 + 2 * p2 + 3 * p3 + 4) >> 3).clamp(1, 4095) as u32
    }

    /// Learns the coded bit and moves to the next decision.
    #[inline]
    pub fn update(&mut self, bit: u32) {
        let nidx = nibble_node(self.c0, self.bitpos);
        for i in 0..ORDERS {
            let e = &mut self.t[self.base[i] + nidx];
            let n = *e & 15;
            let p = (*e >> 4) as i32;
            let target = if bit == 1 { 4095 } else { 0 };
            let np = (p + (((target - p) * RATE[n as usize]) >> 16)).clamp(1, 4095);
            *e = ((np as u16) << 4) | (n + u16::from(n < LIMIT));
        }
        let err = ((bit as i32) << 12) - self.pmix1;
        let w = &mut self.w[self.wset..self.wset + INPUTS];
        for (w, &st) in w.iter_mut().zip(&self.st) {
            *w += (st * err) >> 11;
        }
        let err = ((bit as i32) << 12) - self.pmix2;
        let w = &mut self.w2[self.wset2..self.wset2 + INPUTS];
        for (w, &st) in w.iter_mut().zip(&self.st) {
            *w += (st * err) >> 11;
        }
        self.apm1.update(bit);
        self.apm2.update(bit);
        self.apm3.update(bit);
        if self.mlen > 0 && self.mok {
            let e = &mut self.msm[self.msm_i];
            let target = if bit == 1 { 65535 } else { 0 };
            *e = (*e as i32 + ((target - *e as i32) >> 6)) as u16;
            let eb = ((self.hist[self.mptr] as u32) >> (7 - self.bitpos)) & 1;
            if eb != bit {
                self.mok = false;
            }
        }
        self.c0 = (self.c0 << 1) | bit;
        self.bitpos += 1;
        if self.bitpos == 4 {
            let hi = self.c0 as u64;
            for i in 0..ORDERS {
                self.base[i] = self.slot(mix(self.hashes[i], hi));
            }
        } else if self.bitpos == 8 {
            let c = (self.c0 & 0xff) as u8;
            self.end_byte(c);
        }
    }

    fn end_byte(&mut self, c: u8) {
        self.c0 = 1;
        self.bitpos = 0;
        self.c4 = (self.c4 << 8) | c as u64;
        // Match model: extend, or look for a new candidate.
        if self.mlen > 0 && self.mok {
            self.mlen += 1;
            self.mptr += 1;
        } else {
            self.mlen = 0;
        }
        self.hist.push(c);
        let n = self.hist.len();
        if self.mptr >= n {
            self.mlen = 0;
        }
        if n >= MIN_MATCH {
            let mut h: u64 = 0;
            for &b in &self.hist[n - MIN_MATCH..] {
                h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
            }
            let hi = (mix(h, 77) as usize) & (self.mtab.len() - 1);
            if self.mlen == 0 {
                let cand = self.mtab[hi] as usize;
                if cand > 0 && cand < n {
                    let mut l = 0;
                    while l < 64 && l < cand && self.hist[cand - 1 - l] == self.hist[n - 1 - l] {
                        l += 1;
                    }
                    if l >= MIN_MATCH {
                        self.mlen = l;
                        self.mptr = cand;
                    }
                }
            }
            self.mtab[hi] = n as u32;
        }
        self.mok = self.mlen > 0;
        // Word and line contexts.
        let lc = c.to_ascii_lowercase();
        if lc.is_ascii_alphanumeric() || c >= 128 {
            self.word = (self.word ^ lc as u64).wrapping_mul(0x2000_0000_0000_0035) + 1;
        } else if self.word != 0 {
            self.word2 = self.word1;
            self.word1 = self.word;
            self.word = 0;
        }
        if c == b'\n' {
            self.line_above = self.line_start;
            self.line_start = n;
            self.col = 0;
        } else {
            self.col += 1;
        }
        self.byte_contexts();
    }
}

/// Index of the node for the next bit inside the current nibble's slot (1..=15).
#[inline]
fn nibble_node(c0: u32, bitpos: u32) -> usize {
    if bitpos < 4 {
        c0 as usize
    } else {
        ((c0 as usize) & ((1 << (bitpos - 4)) - 1)) | (1 << (bitpos - 4))
    }
}

#[inline]
fn len_bucket(l: usize) -> usize {
    if l < 16 {
        l
    } else {
        (16 + ((l - 16) >> 3)).min(LEN_BUCKETS - 1)
    }
}

/// Codes `data` starting from `state`; returns the coded bytes (only tests write
/// mode 2 now).
#[cfg(test)]
pub fn encode(mut state: Cm, data: &[u8]) -> Vec<u8> {
    state.reserve(data.len());
    let mut enc = BitEnc::new(Vec::with_capacity(data.len() / 3 + 16));
    for &c in data {
        for k in (0..8).rev() {
            let bit = u32::from((c >> k) & 1);
            let p = state.predict();
            enc.code(bit, p);
            state.update(bit);
        }
    }
    enc.finish()
}

/// Decodes `len` bytes coded by [`encode`] from the same starting state.
pub fn decode(mut state: Cm, coded: &[u8], len: usize) -> Vec<u8> {
    state.reserve(len);
    let mut dec = BitDec::new(coded);
    let mut out = Vec::with_capacity(len);
    for _ in 0..len {
        let mut c = 0u32;
        for _ in 0..8 {
            let p = state.predict();
            let bit = dec.decode(p);
            state.update(bit);
            c = (c << 1) | bit;
        }
        out.push(c as u8);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(prime: &[u8], data: &[u8]) -> usize {
        let mut st = Cm::new(Cm::sizes_for(prime.len() + data.len()));
        st.prime(prime);
        let coded = encode(st.clone(), data);
        assert_eq!(decode(st, &coded, data.len()), data);
        coded.len()
    }

    #[test]
    fn round_trips_text_runs_and_repeats() {
        let text = b"The quick brown fox jumps over the lazy dog.\n".repeat(50);
        let n = round_trip(b"", &text);
        assert!(n < text.len() / 10, "{n}");
        round_trip(b"", &[]);
        round_trip(b"", &[7]);
        round_trip(b"", &[0u8; 5000]);
        round_trip(b"prime text", b"prime text again");
    }
}
