//! A small context-mixing model for one binary decision: hashed contexts, each an
//! adaptive probability, mixed with optional direct inputs by a weight set chosen per
//! decision. The layered coder's start decisions and its second stages use it.

use super::models::mix;

/// Rate of a table entry seen `n` times: 1 / (n + 1.5), in 16 bits.
const FRATE: [i32; 32] = {
    let mut r = [0i32; 32];
    let mut i = 0;
    while i < 32 {
        r[i] = 65536 * 2 / (2 * i as i32 + 3);
        i += 1;
    }
    r
};

/// Most hashed contexts plus direct inputs a mixer takes.
const MAX_INPUTS: usize = 16;

/// How a [`HashMixer`] is shaped: its hashed contexts, its direct inputs (each a
/// probability, then a bias of 1) and how fast its weights learn.
#[derive(Clone, Copy)]
pub(super) struct Shape {
    /// Hashed contexts, one table each.
    pub contexts: usize,
    /// Direct probability inputs after the contexts (the bias input comes last).
    pub direct: usize,
    /// Weight sets the caller chooses among.
    pub sets: usize,
    /// Table size: log2 of the input length plus this, within 12 to 20 bits.
    pub extra_bits: u32,
    /// Weight learning rate as a right shift (larger learns slower).
    pub rate_shift: u32,
}

/// Hashed contexts mixed into one probability (12 bits); see the module doc.
#[derive(Clone)]
pub(super) struct HashMixer {
    shape: Shape,
    t: Vec<u16>,
    n: Vec<u8>,
    mask: usize,
    idx: [usize; MAX_INPUTS],
    st: [i32; MAX_INPUTS],
    w: Vec<i32>,
    set: usize,
    pr: i32,
}

fn stretch_tab() -> &'static [i16] {
    static T: std::sync::OnceLock<Vec<i16>> = std::sync::OnceLock::new();
    T.get_or_init(super::cm::stretch_table)
}

impl HashMixer {
    /// A fresh model for about `n` decisions, every weight starting at `w0` (input
    /// index to weight).
    pub fn new(shape: Shape, n: usize, w0: impl Fn(usize) -> i32) -> Self {
        let inputs = shape.contexts + shape.direct + 1;
        assert!(inputs <= MAX_INPUTS, "too many mixer inputs");
        let bits = (n.max(1).next_power_of_two().ilog2() + shape.extra_bits).clamp(12, 20);
        let size = 1usize << bits;
        let w = (0..shape.sets * inputs).map(|i| w0(i % inputs)).collect();
        HashMixer {
            shape,
            t: vec![1 << 15; shape.contexts * size],
            n: vec![0; shape.contexts * size],
            mask: size - 1,
            idx: [0; MAX_INPUTS],
            st: [0; MAX_INPUTS],
            w,
            set: 0,
            pr: 2048,
        }
    }

    /// Entries per context table (a power of two).
    pub fn table_size(&self) -> usize {
        self.mask + 1
    }

    /// P(bit = 1) from context hashes `hs` (`salt(i)` mixed into the i-th), direct
    /// probabilities `direct` (12 bits) and weight set `set`.
    pub fn p(
        &mut self,
        hs: &[u64],
        salt: impl Fn(usize) -> u64,
        direct: &[u32],
        set: usize,
    ) -> u32 {
        let tb = stretch_tab();
        let (nc, nd) = (self.shape.contexts, self.shape.direct);
        debug_assert!(hs.len() == nc && direct.len() == nd);
        let size = self.mask + 1;
        for (i, &h) in hs.iter().enumerate() {
            let j = i * size + (mix(h, salt(i)) as usize & self.mask);
            self.idx[i] = j;
            self.st[i] = tb[(self.t[j] >> 4) as usize] as i32;
        }
        for (k, &p) in direct.iter().enumerate() {
            self.st[nc + k] = tb[p.clamp(1, 4095) as usize] as i32;
        }
        let inputs = nc + nd + 1;
        self.st[inputs - 1] = 256;
        self.set = set * inputs;
        let w = &self.w[self.set..self.set + inputs];
        let d: i64 = w
            .iter()
            .zip(&self.st)
            .map(|(&w, &s)| w as i64 * s as i64)
            .sum();
        self.pr = super::cm::squash((d >> 16).clamp(-2047, 2047) as i32).clamp(1, 4095);
        self.pr as u32
    }

    /// Learns the bit that came after the last [`HashMixer::p`].
    pub fn update(&mut self, bit: u32) {
        let err = ((bit as i32) << 12) - self.pr;
        let inputs = self.shape.contexts + self.shape.direct + 1;
        for i in 0..inputs {
            let w = &mut self.w[self.set + i];
            *w = (*w + ((self.st[i] * err) >> self.shape.rate_shift)).clamp(-(1 << 24), 1 << 24);
        }
        let target = if bit == 1 { 65535 } else { 0 };
        for &j in &self.idx[..self.shape.contexts] {
            let n = self.n[j];
            let p = self.t[j] as i32;
            self.t[j] =
                (p + (((target - p) as i64 * FRATE[n as usize] as i64) >> 16) as i32) as u16;
            self.n[j] = (n + 1).min(30);
        }
    }
}
