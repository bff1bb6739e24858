//! The entropy stage of the block coder: BWT output through move-to-front, each
//! rank coded as binary decisions whose probabilities adaptive counters in small
//! contexts give, mixed. Mode 4: "rank 0?", a unary bucket, mantissa bits. Mode 6:
//! "rank 0?", then "rank j?" for j = 1..=[`LINEAR`] in contexts of the front byte
//! and the candidate byte at rank j (the bytes, not only their ranks, predict), then
//! an escape; secondary estimation refines the decisions. Integer arithmetic only,
//! so every platform decodes alike. The model is shared by encoder and decoder
//! through [`BitIo`].

use super::super::bitrc::{BitDec, BitEnc};
use super::super::cm::{squash, stretch_table};

/// A binary coder seen from the model: codes (or decodes) one decision of
/// P(1) = p / 4096 and returns it.
pub trait BitIo {
    /// Codes `bit` (encoder) or decodes a bit (decoder, `bit` ignored).
    fn bit(&mut self, p: u32, bit: u32) -> u32;
}

impl BitIo for BitEnc {
    #[inline(always)]
    fn bit(&mut self, p: u32, bit: u32) -> u32 {
        self.code(bit, p);
        bit
    }
}

impl BitIo for BitDec<'_> {
    #[inline(always)]
    fn bit(&mut self, p: u32, _bit: u32) -> u32 {
        self.decode(p)
    }
}

/// Adaptation rate by count: 65536 / (n + 1.5), so a fresh counter averages.
const RATE: [i32; 32] = {
    let mut r = [0i32; 32];
    let mut i = 0;
    while i < 32 {
        r[i] = 65536 * 2 / (2 * i as i32 + 3);
        i += 1;
    }
    r
};

/// A probability (16 bits, high half) and how many times it was updated (low half).
#[derive(Clone, Copy)]
pub(super) struct Ctr(u32);

impl Ctr {
    /// P(1) = 1/2, never updated.
    pub(super) const INIT: Ctr = Ctr(1 << 31);

    /// P(1) in 12 bits.
    #[inline(always)]
    pub(super) fn p12(self) -> u32 {
        (self.0 >> 20).clamp(1, 4095)
    }

    /// Moves P(1) toward `bit`, at a rate slowing down to 1 / (limit + 1.5).
    #[inline(always)]
    pub(super) fn update(&mut self, bit: u32, limit: u32) {
        let n = self.0 & 0xffff;
        let p = (self.0 >> 16) as i32;
        let target = if bit == 1 { 65535 } else { 0 };
        let p = p + (((target - p) * RATE[n as usize]) >> 16);
        self.0 = ((p as u32) << 16) | (n + u32::from(n < limit));
    }
}

/// Counter limit of the rank contexts (the slowest rate).
const LIMIT: u32 = 30;

/// Run-length buckets of the zero-rank decision.
const RUNQ: usize = 16;

#[inline(always)]
fn runq(run: u32) -> usize {
    if run < 4 {
        run as usize
    } else {
        (run.ilog2() as usize + 2).min(RUNQ - 1)
    }
}

/// Bucket of a nonzero rank: 1, 2, 3-4, 5-8, ..., 129-255 give 0..=8.
#[inline(always)]
fn bucket(r: u32) -> u32 {
    if r <= 2 { r - 1 } else { (r - 1).ilog2() + 1 }
}

/// Largest mixer weight magnitude (1.0 is 2^16).
const W_MAX: i32 = 1 << 22;

/// A logistic mixer of `N` stretched probabilities, one weight set per selector.
struct Mixer<const N: usize> {
    w: Vec<[i32; N]>,
    shift: i32,
}

impl<const N: usize> Mixer<N> {
    fn new(sets: usize, shift: i32) -> Self {
        Mixer {
            w: vec![[(1 << 16) / N as i32; N]; sets],
            shift,
        }
    }

    /// P(1) in 12 bits from inputs `x` with weight set `s`.
    #[inline(always)]
    fn p(&self, s: usize, x: &[i32; N]) -> u32 {
        let w = &self.w[s];
        let mut dot = 0i64;
        for i in 0..N {
            dot += w[i] as i64 * x[i] as i64;
        }
        squash((dot >> 16) as i32).clamp(1, 4095) as u32
    }

    #[inline(always)]
    fn update(&mut self, s: usize, x: &[i32; N], p: u32, bit: u32) {
        let err = ((bit as i32) << 12) - p as i32;
        let w = &mut self.w[s];
        for i in 0..N {
            w[i] = (w[i] + ((x[i] * err) >> self.shift)).clamp(-W_MAX, W_MAX);
        }
    }
}

/// A secondary estimation table: per context, 33 probabilities over the stretched
/// input (the identity at first), interpolated; the nearer cell learns.
struct Apm {
    t: Vec<u16>,
    i: usize,
}

impl Apm {
    fn new(ctxs: usize) -> Self {
        let row: Vec<u16> = (0..33)
            .map(|k| (squash((k - 16) * 128) * 16) as u16)
            .collect();
        Apm {
            t: row.iter().copied().cycle().take(ctxs * 33).collect(),
            i: 0,
        }
    }

    /// Refined P(1) (12 bits) of stretched `st` in context `c`.
    #[inline(always)]
    fn p(&mut self, st: i32, c: usize) -> u32 {
        let s = st.clamp(-2047, 2047) + 2048;
        let lo = (s >> 7) as usize;
        let w = s & 127;
        let base = c * 33 + lo;
        self.i = base + usize::from(w >= 64);
        let p = (self.t[base] as i32 * (128 - w) + self.t[base + 1] as i32 * w) >> 11;
        p.clamp(1, 4095) as u32
    }

    #[inline(always)]
    fn update(&mut self, bit: u32) {
        let g = if bit == 1 { 65535 } else { 0 };
        let t = &mut self.t[self.i];
        *t = (*t as i32 + ((g - *t as i32) >> 6)) as u16;
    }
}

/// The rank model.
pub struct Model {
    /// Mode 6: nonzero ranks tested one by one, secondary estimation.
    mode6: bool,
    z_apm: Apm,
    u_apm: Apm,
    stretch: Vec<i16>,
    mtf: [u8; 256],
    run: u32,
    /// Buckets of the last two nonzero ranks.
    last: u32,
    /// Per byte, the quantized length of its last run at the front.
    runs: [u8; 256],
    z_char: Vec<Ctr>,
    z_hist: Vec<Ctr>,
    z_pair: Vec<Ctr>,
    z_runs: Vec<Ctr>,
    z_mix: Mixer<5>,
    u_hist: Vec<Ctr>,
    u_char: Vec<Ctr>,
    u_mix: Mixer<3>,
    l_hist: Vec<Ctr>,
    l_char: Vec<Ctr>,
    l_sym: Vec<Ctr>,
    l_cand: Vec<Ctr>,

    l_mix: Mixer<5>,
    e_exp: Vec<Ctr>,
    e_mant: Vec<Ctr>,
    mant: Vec<Ctr>,
}

impl Model {
    /// A fresh model (MTF list in byte order); `mode6` selects mode 6's model.
    pub fn new(mode6: bool) -> Self {
        let mut mtf = [0u8; 256];
        for (i, m) in mtf.iter_mut().enumerate() {
            *m = i as u8;
        }
        let k = if mode6 { 1 } else { 0 };
        Model {
            mode6,
            z_apm: Apm::new(k * 256 * RUNQ),
            u_apm: Apm::new(k * LINEAR.max(9) * 256),
            stretch: stretch_table(),
            mtf,
            run: 0,
            last: 0,
            runs: [0; 256],
            z_char: vec![Ctr::INIT; 256 * RUNQ],
            z_hist: vec![Ctr::INIT; RUNQ * 81],
            z_pair: vec![Ctr::INIT; 65536 * 8],
            z_runs: vec![Ctr::INIT; RUNQ * RUNQ],
            z_mix: Mixer::new(RUNQ, if mode6 { 12 } else { 10 }),
            u_hist: vec![Ctr::INIT; 9 * 81 * 4],
            u_char: vec![Ctr::INIT; 9 * 256],
            u_mix: Mixer::new(9, 10),
            l_hist: vec![Ctr::INIT; k * LINEAR * 81 * 4],
            l_char: vec![Ctr::INIT; k * LINEAR * 256],
            l_sym: vec![Ctr::INIT; k * LINEAR * 65536],
            l_cand: vec![Ctr::INIT; k * LINEAR * 256],

            l_mix: Mixer::new(LINEAR * 4, 12),
            e_exp: vec![Ctr::INIT; k * 9 * 4],
            e_mant: vec![Ctr::INIT; k * 9 * 256],
            mant: vec![Ctr::INIT; 9 * 128],
        }
    }

    #[inline(always)]
    fn st(&self, c: Ctr) -> i32 {
        self.stretch[c.p12() as usize] as i32
    }

    /// Codes the rank `r` of the next symbol (decoder: `r` ignored) and returns it;
    /// a decoded rank above 255 means corrupt input and is returned as it is.
    #[inline]
    fn code_rank<I: BitIo>(&mut self, io: &mut I, r: u32) -> u32 {
        let rq = runq(self.run);
        let c0 = self.mtf[0] as usize;
        let ia = c0 * RUNQ + rq;
        let ib = rq * 81 + self.last as usize;
        let ic = ((c0 << 8 | self.mtf[1] as usize) << 3) | rq.min(7);
        let id = self.runs[c0] as usize * RUNQ + rq;
        let x = [
            self.st(self.z_char[ia]),
            self.st(self.z_hist[ib]),
            self.st(self.z_pair[ic]),
            self.st(self.z_runs[id]),
            256,
        ];
        let p = self.z_mix.p(rq, &x);
        let pc = if self.mode6 {
            let st = self.stretch[p as usize] as i32;
            let a = self.z_apm.p(st, ia);
            (p + a) >> 1
        } else {
            p
        };
        let z = io.bit(pc.clamp(1, 4095), u32::from(r == 0));
        if self.mode6 {
            self.z_apm.update(z);
        }
        self.z_mix.update(rq, &x, p, z);
        self.z_char[ia].update(z, LIMIT);
        self.z_hist[ib].update(z, LIMIT);
        self.z_pair[ic].update(z, LIMIT);
        self.z_runs[id].update(z, LIMIT);
        if z == 1 {
            self.run += 1;
            return 0;
        }
        self.runs[c0] = rq as u8;
        let rc = (self.run.min(3)) as usize;
        self.run = 0;
        if self.mode6 {
            let r = self.code_nonzero(io, r, c0, rc);
            self.last = (self.last % 9) * 9 + bucket(r.min(255));
            return r;
        }
        // The bucket in unary.
        let u_true = if r == 0 { 0 } else { bucket(r) };
        let base = self.last as usize * 4 + rc;
        let mut u = 0;
        while u < 8 {
            let ih = u as usize * 324 + base;
            let ic = u as usize * 256 + c0;
            let x = [self.st(self.u_hist[ih]), self.st(self.u_char[ic]), 256];
            let p = self.u_mix.p(u as usize, &x);
            let more = io.bit(p, u32::from(u_true > u));
            self.u_mix.update(u as usize, &x, p, more);
            self.u_hist[ih].update(more, LIMIT);
            self.u_char[ic].update(more, LIMIT);
            if more == 0 {
                break;
            }
            u += 1;
        }
        let r = if u < 2 {
            u + 1
        } else {
            // Mantissa bits, high first, in a binary tree per bucket.
            let bits = u - 1;
            let off = if r == 0 { 0 } else { r - ((1 << bits) + 1) };
            let mut node = 1usize;
            for k in (0..bits).rev() {
                let c = &mut self.mant[u as usize * 128 + node];
                let b = io.bit(c.p12(), (off >> k) & 1);
                c.update(b, LIMIT);
                node = node * 2 + b as usize;
            }
            (1 << bits) + 1 + (node as u32 - (1 << bits))
        };
        self.last = (self.last % 9) * 9 + bucket(r.min(255));
        r
    }
}

/// Nonzero ranks mode 6 tests one by one (larger ones escape).
const LINEAR: usize = 12;

impl Model {
    /// Mode 6's nonzero rank: "is it rank j?" for j = 1..=LINEAR, each decision in
    /// contexts of the front byte and the candidate byte, then an escape coding the
    /// rest as a bit length in unary and bits below it.
    #[inline(always)]
    fn code_nonzero<I: BitIo>(&mut self, io: &mut I, r: u32, c0: usize, rc: usize) -> u32 {
        let last = self.last as usize;
        for j in 1..=LINEAR {
            let jj = j - 1;
            let ih = (jj * 81 + last) * 4 + rc;
            let ic = jj * 256 + c0;
            let cand = self.mtf[j] as usize;
            let is = jj << 16 | c0 << 8 | cand;
            let io2 = jj * 256 + cand;
            let x = [
                self.st(self.l_hist[ih]),
                self.st(self.l_char[ic]),
                self.st(self.l_sym[is]),
                self.st(self.l_cand[io2]),
                256,
            ];
            let ms = jj * 4 + rc;
            let p = self.l_mix.p(ms, &x);
            let st = self.stretch[p as usize] as i32;
            let pc = (p + self.u_apm.p(st, ic)) >> 1;
            let more = io.bit(pc.clamp(1, 4095), u32::from(r as usize > j || r == 0));
            self.u_apm.update(more);
            self.l_mix.update(ms, &x, p, more);
            self.l_hist[ih].update(more, LIMIT);
            self.l_char[ic].update(more, LIMIT);
            self.l_sym[is].update(more, LIMIT);
            self.l_cand[io2].update(more, LIMIT);
            if more == 0 {
                return j as u32;
            }
        }
        // Escape: v = r - LINEAR - 1 as an exp-Golomb number.
        let v = (r as usize).saturating_sub(LINEAR + 1) + 1;
        let e_true = v.ilog2() as usize;
        let mut e = 0;
        while e < 8 {
            let c = &mut self.e_exp[e * 4 + rc];
            let more = io.bit(c.p12(), u32::from(e_true > e));
            c.update(more, LIMIT);
            if more == 0 {
                break;
            }
            e += 1;
        }
        let mut node = 1usize;
        for k in (0..e).rev() {
            let c = &mut self.e_mant[e * 256 + node.min(255)];
            let b = io.bit(c.p12(), ((v >> k) & 1) as u32);
            c.update(b, LIMIT);
            node = node * 2 + b as usize;
        }
        (node + LINEAR) as u32
    }

    /// The position of byte `c` in the list, eight bytes at a time.
    #[inline(always)]
    fn rank(&self, c: u8) -> usize {
        const ONES: u64 = 0x0101_0101_0101_0101;
        for (k, word) in self.mtf.chunks_exact(8).enumerate() {
            let w = u64::from_le_bytes(word.try_into().unwrap_or([0; 8])) ^ (ONES * c as u64);
            // The lowest byte of w that is zero: the borrow trick flags it exactly
            // (false flags only sit above a true zero byte).
            let z = w.wrapping_sub(ONES) & !w & (ONES << 7);
            if z != 0 {
                return k * 8 + (z.trailing_zeros() / 8) as usize;
            }
        }
        0
    }

    /// Moves the byte of rank `r` to the front and returns it.
    #[inline(always)]
    fn pop(&mut self, r: usize) -> u8 {
        let c = self.mtf[r];
        if r > 0 {
            // Short moves are the common case: no call for them.
            if r < 16 {
                for i in (0..r).rev() {
                    self.mtf[i + 1] = self.mtf[i];
                }
            } else {
                self.mtf.copy_within(0..r, 1);
            }
            self.mtf[0] = c;
        }
        c
    }
}

/// Codes `bytes` (BWT output) into `out` (appended to).
#[cfg(test)]
pub fn encode(bytes: &[u8], out: Vec<u8>) -> Vec<u8> {
    let mut enc = BitEnc::new(out);
    encode_into(&mut enc, bytes, false);
    enc.finish()
}

/// Codes `bytes` (BWT output) with an encoder already in use.
#[inline(never)]
pub fn encode_into(enc: &mut BitEnc, bytes: &[u8], mode6: bool) {
    let mut m = Model::new(mode6);
    for &c in bytes {
        let r = m.rank(c);
        m.code_rank(enc, r as u32);
        m.pop(r);
    }
}

/// Decodes `n` bytes of [`encode_into`] alone; `None` when the stream is not one it wrote.
pub fn decode(coded: &[u8], n: usize) -> Option<Vec<u8>> {
    decode_from(&mut BitDec::new(coded), n, false)
}

/// Decodes `n` bytes of [`encode_into`] from a decoder already in use.
pub fn decode_from(dec: &mut BitDec, n: usize, mode6: bool) -> Option<Vec<u8>> {
    let mut m = Model::new(mode6);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let r = m.code_rank(dec, 0);
        if r > 255 {
            return None;
        }
        out.push(m.pop(r as usize));
    }
    Some(out)
}
