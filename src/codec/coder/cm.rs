//! Bitwise context mixing for spelling the codebook's words: each byte is an "end?"
//! decision then eight bits, each predicted by several hashed contexts (orders 0 to
//! 6 and the previous word at the same position) whose stretched probabilities a
//! small neural mixer combines. All arithmetic is integer so every platform agrees.

use super::models::mix;
use super::rc::{Dec, Enc};

/// The logistic function at half-unit steps of the logit, in 12 bits (computed for
/// this project as round(4096 / (1 + e^(-(i-16)/2)))).
const SQUASH: [i32; 33] = [
    1, 2, 4, 6, 10, 17, 27, 45, 74, 120, 194, 311, 488, 747, 1102, 1546, 2048, 2550, 2994, 3349,
    3608, 3785, 3902, 3976, 4022, 4051, 4069, 4079, 4086, 4090, 4092, 4094, 4095,
];

/// p = squash(d): d is a logit scaled by 256, p a probability scaled by 4096.
pub(super) fn squash(d: i32) -> i32 {
    if d > 2047 {
        return 4095;
    }
    if d < -2047 {
        return 1;
    }
    let w = d & 127;
    let i = ((d >> 7) + 16) as usize;
    (SQUASH[i] * (128 - w) + SQUASH[i + 1] * w + 64) >> 7
}

/// Inverse of [`squash`] as a table over 12-bit probabilities.
pub(super) fn stretch_table() -> Vec<i16> {
    let mut t = vec![0i16; 4096];
    let mut pi = 0usize;
    for x in -2047..=2047 {
        let v = squash(x) as usize;
        for e in t.iter_mut().take(v + 1).skip(pi) {
            *e = x as i16;
        }
        pi = pi.max(v + 1);
    }
    for e in t.iter_mut().skip(pi) {
        *e = 2047;
    }
    t
}

const INPUTS: usize = 10;
const MAX_TABLE_BITS: u32 = 18;
const LIMIT: u8 = 60;

/// The speller's adaptive state.
pub struct BitCm {
    p: Vec<u16>,
    n: Vec<u8>,
    w: Vec<i32>,
    stretch: Vec<i16>,
    ctx: [u64; INPUTS],
    idx: [usize; INPUTS],
    st: [i32; INPUTS],
    /// log2 of each context's table size.
    bits: u32,
    /// Secondary estimation of the mixed probability by (previous byte, bits so far).
    apm: Vec<u16>,
    apm_ctx: usize,
    apm_i: usize,
    b1: usize,
    /// The mixer's own output (its error drives its weights).
    pm: i32,
}

impl BitCm {
    /// Fresh statistics, with tables sized for about `n` words.
    pub fn new(n: usize) -> Self {
        let bits = ((n.max(1) * 64).ilog2() + 1).clamp(10, MAX_TABLE_BITS);
        let size = INPUTS << bits;
        let row: Vec<u16> = (0..33)
            .map(|k| (squash((k - 16) * 128) * 16) as u16)
            .collect();
        BitCm {
            p: vec![1 << 15; size],
            n: vec![0; size],
            w: vec![(1 << 16) / 8; INPUTS * 30],
            stretch: stretch_table(),
            ctx: [0; INPUTS],
            idx: [0; INPUTS],
            st: [0; INPUTS],
            apm: row.repeat(1 << 17),
            bits,
            apm_ctx: 0,
            apm_i: 0,
            b1: 0,
            pm: 2048,
        }
    }

    /// Sets the byte-level contexts from what precedes the byte.
    fn set_contexts(&mut self, hist: &[u8], guide: &[u8]) {
        let b = |i: usize| {
            if hist.len() >= i {
                hist[hist.len() - i] as u64
            } else {
                0x100
            }
        };
        let g = guide.get(hist.len()).map_or(0x100, |&x| x as u64);
        self.b1 = b(1) as usize;
        let o2 = mix(b(1), b(2));
        let o3 = mix(o2, b(3));
        let o4 = mix(o3, b(4));
        let o6 = mix(mix(o4, b(5)), b(6));
        self.ctx = [
            mix(0, 1),
            mix(b(1), 2),
            mix(o2, 3),
            mix(o3, 4),
            mix(o4, 5),
            mix(o6, 6),
            mix(mix(g, b(1)), 7),
            mix(hist.len().min(24) as u64, 8),
            mix(mix(o4, b(5)), 9),
            mix(mix(b(1), hist.len().min(24) as u64), 10),
        ];
    }

    /// P(bit = 1) in 12 bits for decision `partial` (1..=255 inside a byte, 0 for end).
    fn predict(&mut self, partial: u64, set: usize) -> (i32, usize) {
        for i in 0..INPUTS {
            let h = mix(self.ctx[i], partial);
            let j = (i << self.bits) | (h as usize & ((1 << self.bits) - 1));
            self.idx[i] = j;
            self.st[i] = self.stretch[(self.p[j] >> 4) as usize] as i32;
        }
        // Weights chosen by the decision and by how long a context has been seen.
        let conf = usize::from(self.n[self.idx[4]] > 0) + usize::from(self.n[self.idx[5]] > 0);
        let set = set * 3 + conf;
        let mut dot: i64 = 0;
        for i in 0..INPUTS {
            dot += self.w[set * INPUTS + i] as i64 * self.st[i] as i64;
        }
        let p = squash((dot >> 16) as i32).clamp(1, 4095);
        self.pm = p;
        // Refine through the APM, interpolating between its two nearest cells.
        let s = self.stretch[p as usize] as i32 + 2048;
        let (lo, w) = ((s >> 7) as usize, s & 127);
        self.apm_ctx = ((self.b1 << 8) | partial as usize) * 33;
        let a = self.apm[self.apm_ctx + lo] as i32;
        let b = self.apm[self.apm_ctx + lo + 1] as i32;
        self.apm_i = lo + usize::from(w >= 64);
        let pa = ((a * (128 - w) + b * w) >> 11).clamp(1, 4095);
        (((p + 3 * pa) >> 2).clamp(1, 4095), set)
    }

    fn update(&mut self, bit: u32, p: i32, set: usize) {
        let cell = &mut self.apm[self.apm_ctx + self.apm_i];
        let target = if bit == 1 { 65535 } else { 0 };
        *cell = (*cell as i32 + ((target - *cell as i32) >> 6)) as u16;
        let _ = p;
        let err = ((bit as i32) << 12) - self.pm;
        for i in 0..INPUTS {
            let w = &mut self.w[set * INPUTS + i];
            *w += (self.st[i] * err * 2) >> 12;
            let j = self.idx[i];
            let target = if bit == 1 { 65535 } else { 0 };
            let n = self.n[j];
            let pj = self.p[j] as i32;
            self.p[j] = (pj + (target - pj) / (n as i32 + 2)) as u16;
            if n < LIMIT {
                self.n[j] = n + 1;
            }
        }
    }

    fn code_bit(&mut self, enc: &mut Enc, bit: u32, partial: u64, set: usize) {
        let (p, set) = self.predict(partial, set);
        let p = p as u32;
        if bit == 1 {
            enc.put(0, p, 4096);
        } else {
            enc.put(p, 4096 - p, 4096);
        }
        self.update(bit, p as i32, set);
    }

    fn read_bit(&mut self, dec: &mut Dec, partial: u64, set: usize) -> u32 {
        let (p, set) = self.predict(partial, set);
        let p = p as u32;
        let bit = dec.get(4096, |t| if t < p { (1, 0, p) } else { (0, p, 4096 - p) });
        self.update(bit, p as i32, set);
        bit
    }

    /// Codes whether a word shares the previous word's byte `i` (given the first `i`
    /// are shared): front coding by the same mixer, so a likely branch point is cheap.
    pub fn encode_share(&mut self, enc: &mut Enc, prev: &[u8], i: usize, same: bool, bit: u32) {
        self.set_contexts(&prev[..i], prev);
        self.code_bit(enc, bit, 512 + (u64::from(same) << 8) + prev[i] as u64, 9);
    }

    /// Decodes a decision of [`BitCm::encode_share`].
    pub fn decode_share(&mut self, dec: &mut Dec, prev: &[u8], i: usize, same: bool) -> u32 {
        self.set_contexts(&prev[..i], prev);
        self.read_bit(dec, 512 + (u64::from(same) << 8) + prev[i] as u64, 9)
    }

    /// Codes `suffix` then the end after `prefix`; the first byte must exceed `floor`
    /// and may not be the end when `no_end` (the decoder is told the same).
    pub fn encode(
        &mut self,
        enc: &mut Enc,
        guide: &[u8],
        prefix: &[u8],
        suffix: &[u8],
        floor: Option<u8>,
        no_end: bool,
    ) {
        let mut hist = prefix.to_vec();
        for i in 0..=suffix.len() {
            self.set_contexts(&hist, guide);
            let end = u32::from(i == suffix.len());
            if !(i == 0 && no_end) {
                self.code_bit(enc, end, 0, 0);
            }
            if end == 1 {
                return;
            }
            let byte = suffix[i];
            let fl = if i == 0 { floor } else { None };
            let mut v: u32 = 0;
            for nb in 0..8 {
                let bit = ((byte >> (7 - nb)) & 1) as u32;
                if !zero_possible(v, nb, fl) {
                    v = (v << 1) | 1;
                    continue;
                }
                self.code_bit(enc, bit, (1u64 << nb) | v as u64, 1 + nb as usize);
                v = (v << 1) | bit;
            }
            hist.push(byte);
        }
    }

    /// Decodes a suffix of at most `max` bytes coded by [`BitCm::encode`].
    pub fn decode(
        &mut self,
        dec: &mut Dec,
        guide: &[u8],
        prefix: &[u8],
        max: usize,
        floor: Option<u8>,
        no_end: bool,
    ) -> Option<Vec<u8>> {
        let mut hist = prefix.to_vec();
        let mut out = Vec::new();
        loop {
            self.set_contexts(&hist, guide);
            let first = out.is_empty();
            if !(first && no_end) && self.read_bit(dec, 0, 0) == 1 {
                return Some(out);
            }
            if out.len() >= max || dec.bad {
                return None;
            }
            let fl = if first { floor } else { None };
            if fl == Some(255) {
                return None;
            }
            let mut v: u32 = 0;
            for nb in 0..8 {
                if !zero_possible(v, nb, fl) {
                    v = (v << 1) | 1;
                    continue;
                }
                let bit = self.read_bit(dec, (1u64 << nb) | v as u64, 1 + nb as usize);
                v = (v << 1) | bit;
            }
            out.push(v as u8);
            hist.push(v as u8);
        }
    }
}

/// Whether a 0 as bit `nb` after the bits `v` can still give a byte above `floor`.
fn zero_possible(v: u32, nb: u32, floor: Option<u8>) -> bool {
    match floor {
        None => true,
        Some(f) => {
            let max_with_zero = ((v << 1) << (7 - nb)) | ((1 << (7 - nb)) - 1);
            max_with_zero > f as u32
        }
    }
}
