//! The context-mixing exact coder: each byte as eight binary decisions, each
//! predicted by hashed character contexts (orders 0-4, 6), word contexts (the
//! current word with the previous one, as the word-level PPM sees them), a column
//! context for line-structured text, and a match model that predicts the byte after
//! the longest earlier repeat. Two gated logistic mixers combine their stretched
//! probabilities; an APM refines the result. Inside a long match a byte is first
//! one decision ("the match's byte comes"), so repeats skip most of the work. All
//! arithmetic is integer so every platform decodes alike. The state can be primed
//! with a text (the model's priors) and cloned per packet.

use super::bitrc::{BitDec, BitEnc};
use super::cm::{squash, stretch_table};
use super::models::mix;
use super::prefetch;

/// Hashed context inputs.
const ORDERS: usize = 9;
/// Mixer inputs: the contexts, the match model (two), a bias; zeros pad them to
/// a multiple of 8 for vector arithmetic.
const INPUTS: usize = 16;
/// Entries of a slot: a check tag, then the 15 nodes of a nibble's binary tree.
const SLOT: usize = 16;
/// Entries of a table line: the two candidate slots of a hash, one cache line.
const LINE: usize = 2 * SLOT;
/// Bytes hashed to find match candidates.
const MIN_MATCH: usize = 5;
/// Match length from which a byte is first coded as one decision: "the match's
/// byte comes" (the eight bit decisions follow only when it does not).
const LONG: usize = 64;
/// Match-length buckets (mixer selection and the match model's own statistics).
const LEN_BUCKETS: usize = 32;
/// Contexts whose "seen this node" flags select the second mixer's weights
/// (orders 2, 3, 4, 6 and the word pair: how deep a PPM would go).
const SEEN: std::ops::Range<usize> = 2..7;

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

/// Fixed tables shared by every model (stretch, squash); fixed sizes, so masked
/// and clamped indices need no bounds checks.
struct Tables {
    stretch: [i16; 4096],
    squash: [i16; 4096],
}

fn tables() -> &'static Tables {
    static T: std::sync::OnceLock<Tables> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        let st = stretch_table();
        Tables {
            stretch: std::array::from_fn(|i| st[i]),
            squash: std::array::from_fn(|i| squash(i as i32 - 2048) as i16),
        }
    })
}

impl Tables {
    #[inline]
    fn sq(&self, d: i32) -> i32 {
        self.squash[(d.clamp(-2047, 2047) + 2048) as usize & 4095] as i32
    }

    #[inline]
    fn st(&self, p: u16) -> i32 {
        self.stretch[(p & 4095) as usize] as i32
    }
}

/// An adaptive probability refinement indexed by a context and the input's stretch
/// (33 cells, interpolated).
#[derive(Clone)]
struct Apm {
    t: Vec<u16>,
    /// Rows whose cells were set to their starting values (a row is set on its
    /// first use, so a large table costs nothing where it is not used).
    ready: Vec<u64>,
    idx: usize,
    rate: u32,
}

/// The starting cells of an APM row: the identity map.
fn apm_row() -> &'static [u16; 33] {
    static R: std::sync::OnceLock<[u16; 33]> = std::sync::OnceLock::new();
    R.get_or_init(|| std::array::from_fn(|k| (squash((k as i32 - 16) * 128) * 16) as u16))
}

impl Apm {
    fn new(n: usize, rate: u32) -> Self {
        Apm {
            t: vec![0; n * 33],
            ready: vec![0; n.div_ceil(64)],
            idx: 0,
            rate,
        }
    }

    #[inline]
    fn p(&mut self, tb: &Tables, p: i32, cx: usize) -> i32 {
        let (word, bit) = (cx / 64, 1u64 << (cx % 64));
        if self.ready[word] & bit == 0 {
            self.ready[word] |= bit;
            self.t[cx * 33..cx * 33 + 33].copy_from_slice(apm_row());
        }
        let s = tb.st(p as u16) + 2048;
        let (lo, w) = ((s >> 7) as usize, s & 127);
        let base = cx * 33 + lo;
        let (a, b) = (self.t[base] as i32, self.t[base + 1] as i32);
        self.idx = base + usize::from(w >= 64);
        ((a * (128 - w) + b * w) >> 11).clamp(1, 4095)
    }

    #[inline]
    fn update(&mut self, bit: u32) {
        let cell = &mut self.t[self.idx];
        let target = if bit == 1 { 65535 } else { 0 };
        *cell = (*cell as i32 + ((target - *cell as i32) >> self.rate)) as u16;
    }
}

/// Context slots in lines of one cache line each (aligned by an offset into the
/// vector, so no unsafe code is needed).
struct Slots {
    t: Vec<u16>,
    /// Index of the first line (64-byte aligned).
    off: usize,
    line_mask: usize,
}

impl Slots {
    fn new(lines: usize) -> Self {
        // All zero: a zero tag marks a free slot, whose nodes `lookup` sets when it
        // claims the slot, so the table needs no filling (the allocator's zero pages
        // are mapped only where a slot is used).
        let (t, off) = table(lines * LINE);
        Slots {
            t,
            off,
            line_mask: lines - 1,
        }
    }

    /// The slots of hashes `hs`: two candidates in one line, the less used one
    /// replaced on a miss.
    #[inline]
    fn claim(&mut self, hs: &[u64; ORDERS]) -> [usize; ORDERS] {
        let s = self;
        // All lines' tags are read before any is acted on, so the cache misses
        // overlap instead of queueing behind each branch.
        let mut base = [0usize; ORDERS];
        let mut at = [0usize; ORDERS];
        let mut tags = [(0u16, 0u16); ORDERS];
        for i in 0..ORDERS {
            at[i] = s.off + ((hs[i] as usize) & s.line_mask) * LINE;
            tags[i] = (s.t[at[i]], s.t[at[i] + SLOT]);
        }
        for i in 0..ORDERS {
            let chk = ((hs[i] >> 48) as u16) | 1;
            let a = at[i];
            base[i] = if tags[i].0 == chk {
                a
            } else if tags[i].1 == chk {
                a + SLOT
            } else {
                let na = s.t[a + 1] & 15;
                let nb = s.t[a + SLOT + 1] & 15;
                let r = if tags[i].0 == 0 || na <= nb {
                    a
                } else {
                    a + SLOT
                };
                s.t[r] = chk;
                s.t[r + 1..r + SLOT].fill(2048 << 4);
                r
            };
        }
        base
    }
}

/// Bytes of a huge page.
const HUGE: usize = 2 << 20;

/// A zeroed table of `n` u16 and the index where it starts: on 64 bytes, and on a
/// huge page when it spans one or more (the kernel is asked to back it with huge
/// pages: one page fault and one TLB entry per 2 MiB instead of per 4 KiB). The
/// padding is never touched, so it costs address space, not memory.
fn table(n: usize) -> (Vec<u16>, usize) {
    let huge = cfg!(target_os = "linux") && 2 * n >= HUGE;
    let pad = if huge { HUGE / 2 } else { LINE };
    let t = vec![0u16; n + pad];
    let addr = t.as_ptr() as usize;
    let align = if huge { HUGE } else { 64 };
    let off = (addr.next_multiple_of(align) - addr) / 2;
    #[cfg(target_os = "linux")]
    if huge {
        let start = addr + 2 * off;
        let len = (2 * n) / HUGE * HUGE;
        // SAFETY: madvise(MADV_HUGEPAGE) only changes how the kernel backs the
        // range (whole pages inside `t`'s allocation); contents stay the same.
        unsafe {
            libc::madvise(start as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
        }
    }
    (t, off)
}

impl Clone for Slots {
    fn clone(&self) -> Self {
        let n = (self.line_mask + 1) * LINE;
        let (mut t, off) = table(n);
        t[off..off + n].copy_from_slice(&self.t[self.off..self.off + n]);
        Slots {
            t,
            off,
            line_mask: self.line_mask,
        }
    }
}

/// The coder's whole adaptive state.
#[derive(Clone)]
pub struct Cm {
    /// Slots of 16 nodes; a node is a 12-bit probability and a 4-bit count.
    slots: Slots,
    /// Where each context's slot for the current nibble starts.
    base: [usize; ORDERS],
    /// The node each context predicts the current bit with.
    node: [usize; ORDERS],
    hashes: [u64; ORDERS],
    st: [i16; INPUTS],
    w: Vec<i16>,
    wset: usize,
    w2: Vec<i16>,
    wset2: usize,
    pmix1: i32,
    pmix2: i32,
    apm: Apm,
    apm_mask: usize,
    /// Bytes seen (the prime, then the data).
    hist: Vec<u8>,
    mtab: Vec<u32>,
    mptr: usize,
    mlen: usize,
    /// The match's predicted byte still agrees with the bits of this byte so far.
    mok: bool,
    /// The byte the match predicts (valid while `mok`).
    mbyte: u32,
    msm: Vec<u16>,
    msm_i: usize,
    /// P(the match's byte comes) by match length, for long matches.
    hit: Vec<u16>,
    /// The context slots of this byte are still to be found (skipped when a long
    /// match's byte comes).
    pending: bool,
    c0: u32,
    bitpos: u32,
    c4: u64,
    word: u64,
    word1: u64,
    col: u64,
    line_above: usize,
    line_start: usize,
    /// A caller's side context (layered files: the next expected skill); 0: none.
    ext: u64,
    /// A second side context, joined to order 1 (layered files: where the texts
    /// end); 0: none.
    ext2: u64,
}

impl Cm {
    /// A fresh state of the given sizes ([`Cm::sizes_for`]).
    pub fn new((slot_bits, match_bits, apm_bits): (u32, u32, u32)) -> Self {
        let mut cm = Cm {
            slots: Slots::new(1usize << (slot_bits - 1)),
            base: [0; ORDERS],
            node: [0; ORDERS],
            hashes: [0; ORDERS],
            st: [0; INPUTS],
            w: vec![(W1 / 4) as i16; INPUTS * 256 * 4],
            wset: 0,
            w2: vec![(W1 / 4) as i16; INPUTS * 8 * 8 * 2],
            wset2: 0,
            pmix1: 2048,
            pmix2: 2048,
            apm: Apm::new(1 << apm_bits, 7),
            apm_mask: (1 << apm_bits) - 1,
            hist: Vec::new(),
            mtab: vec![0; 1 << match_bits],
            mptr: 0,
            mlen: 0,
            mok: false,
            mbyte: 0,
            msm: vec![1 << 15; LEN_BUCKETS * 2],
            msm_i: 0,
            hit: vec![1 << 15; LEN_BUCKETS],
            pending: false,
            c0: 1,
            bitpos: 0,
            c4: 0,
            word: 0,
            word1: 0,
            col: 0,
            line_above: 0,
            line_start: 0,
            ext: 0,
            ext2: 0,
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
            self.code_byte(c, |_, b| b);
        }
    }

    /// Codes one byte: `code(p, b)` codes a decision of P(1) = p / 4096 and
    /// returns it (`b` is the encoder's decision; a decoder ignores it and returns
    /// what it decodes). Returns the byte.
    #[inline]
    pub(in crate::codec::coder) fn code_byte(
        &mut self,
        c: u8,
        mut code: impl FnMut(u32, u32) -> u32,
    ) -> u8 {
        if self.mok && self.mlen >= LONG {
            let e = &mut self.hit[len_bucket(self.mlen)];
            let p = (*e >> 4).clamp(1, 4095) as u32;
            let hit = code(p, u32::from(c as u32 == self.mbyte));
            let target = if hit == 1 { 65535 } else { 0 };
            *e = (*e as i32 + ((target - *e as i32) >> 5)) as u16;
            if hit == 1 {
                let b = self.mbyte as u8;
                self.end_byte(b);
                return b;
            }
            self.mok = false;
        }
        if self.pending {
            let hs = self.hashes;
            self.lookup(&hs);
            self.pending = false;
        }
        let mut v = 0u32;
        for k in (0..8).rev() {
            let p = self.predict();
            let bit = code(p, u32::from((c >> k) & 1));
            self.update(bit);
            v = (v << 1) | bit;
        }
        v as u8
    }

    /// Sets a side context the order-0 input is replaced by (0: plain order 0) from
    /// the next byte on: what a caller knows of what follows.
    pub(in crate::codec::coder) fn set_ext(&mut self, ext: u64) {
        self.ext = ext;
        self.byte_contexts();
    }

    /// Sets a second side context, joined to the order-1 input (0: plain order 1),
    /// from the next byte on.
    pub(in crate::codec::coder) fn set_ext2(&mut self, ext: u64) {
        self.ext2 = ext;
        self.byte_contexts();
    }

    /// Appends `text` to the history without learning from it: the contexts of the
    /// bytes after it see it, but no prediction learns that it came (layered files:
    /// a skill the caller knows, so the model predicts only what it codes).
    pub(in crate::codec::coder) fn pass(&mut self, text: &[u8]) {
        for &c in text {
            if self.mbyte != c as u32 {
                self.mok = false;
            }
            self.end_byte(c);
        }
    }

    /// The byte the match model predicts next and the match's length, if any.
    pub(in crate::codec::coder) fn predicted(&self) -> Option<(u8, usize)> {
        (self.mok && self.mlen > 0).then_some((self.mbyte as u8, self.mlen))
    }

    /// Whether the next byte is first coded as the one decision "the long match's
    /// byte comes" (the first call of [`Cm::code_byte`]'s `code`).
    pub(in crate::codec::coder) fn long_match(&self) -> bool {
        self.mok && self.mlen >= LONG
    }

    /// Reserves history room for `n` more bytes.
    pub fn reserve(&mut self, n: usize) {
        self.hist.reserve(n);
    }

    /// Points every context at its slot for hash `hs[i]`: two candidates in one
    /// line, the less used one replaced on a miss.
    #[inline]
    fn lookup(&mut self, hs: &[u64; ORDERS]) {
        self.base = self.slots.claim(hs);
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
            if self.ext == 0 {
                mix(0, 1)
            } else {
                mix(mix(self.ext, c4 & 0xffff), 11)
            },
            if self.ext2 == 0 {
                mix(c1, 2)
            } else {
                mix(mix(self.ext2, c1), 12)
            },
            mix(c4 & 0xffff, 3),
            mix(c4 & 0xff_ffff, 4),
            mix(c4 & 0xffff_ffff, 5),
            mix(c4 & 0xffff_ffff_ffff, 7),
            mix(mix(self.word, self.word1), 8 + (c1 << 8)),
            mix(self.word, 9 + (c1 << 8)),
            mix(mix(above, self.col.min(80)), 10 + (c1 << 12)),
        ];
        self.pending = true;
        if self.mok {
            self.prefetch_predicted();
        }
    }

    /// Prefetches the lines this byte's second nibble and the next byte's
    /// character contexts will use if the match model's byte comes: their misses
    /// then overlap the coding of this byte.
    fn prefetch_predicted(&self) {
        self.prefetch_nibble(16 | (self.mbyte >> 4));
        self.prefetch_next(self.mbyte as u8);
    }

    /// Prefetches the second-nibble lines for a first nibble (`16 | nibble`).
    fn prefetch_nibble(&self, hi: u32) {
        let s = &self.slots;
        for &h in &self.hashes {
            prefetch(
                &s.t,
                s.off + ((mix(h, hi as u64) as usize) & s.line_mask) * LINE,
            );
        }
    }

    /// Prefetches the next byte's order-1 to order-6 lines if this byte is `c`.
    fn prefetch_next(&self, c: u8) {
        let s = &self.slots;
        let at = |h: u64| s.off + ((h as usize) & s.line_mask) * LINE;
        let c4 = (self.c4 << 8) | c as u64;
        prefetch(&s.t, at(mix(c4 & 0xff, 2)));
        prefetch(&s.t, at(mix(c4 & 0xffff, 3)));
        prefetch(&s.t, at(mix(c4 & 0xff_ffff, 4)));
        prefetch(&s.t, at(mix(c4 & 0xffff_ffff, 5)));
        prefetch(&s.t, at(mix(c4 & 0xffff_ffff_ffff, 7)));
        // The word and column contexts as `end_byte` will set them (a hint: a
        // mistake here costs time, never a wrong byte).
        let lc = c.to_ascii_lowercase();
        let (w, w1) = if lc.is_ascii_alphanumeric() || c >= 128 {
            let w = (self.word ^ lc as u64).wrapping_mul(0x2000_0000_0000_0035);
            (w.wrapping_add(1), self.word1)
        } else if self.word != 0 {
            (0, self.word)
        } else {
            (0, self.word1)
        };
        // The match model's table entry for the hash ending in `c`.
        let n = self.hist.len();
        if n + 1 >= MIN_MATCH {
            let mut h: u64 = 0;
            for &b in &self.hist[n + 1 - MIN_MATCH..] {
                h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
            }
            h = (h ^ c as u64).wrapping_mul(0x100_0000_01b3);
            prefetch(&self.mtab, (mix(h, 77) as usize) & (self.mtab.len() - 1));
        }
        let c1 = c as u64;
        prefetch(&s.t, at(mix(mix(w, w1), 8 + (c1 << 8))));
        prefetch(&s.t, at(mix(w, 9 + (c1 << 8))));
        if c != b'\n' {
            let col = self.col + 1;
            let i = self.line_above + col as usize;
            let above = if i < self.line_start {
                self.hist[i] as u64
            } else {
                0x100
            };
            prefetch(&s.t, at(mix(mix(above, col.min(80)), 10 + (c1 << 12))));
        }
    }

    /// P(next bit = 1) in 12 bits.
    #[inline]
    fn predict(&mut self) -> u32 {
        let tb = tables();
        let nidx = nibble_node(self.c0, self.bitpos);
        let t = &self.slots.t;
        // Built in a local and stored once: the mixers read it as vectors, which
        // separate 16-bit stores to `self.st` would stall.
        let mut st = [0i16; INPUTS];
        let mut e = [0u16; ORDERS];
        for (i, e) in e.iter_mut().enumerate() {
            let j = self.base[i] + nidx;
            self.node[i] = j;
            *e = t[j];
            st[i] = tb.st(*e >> 4) as i16;
        }
        let seen: usize = e[SEEN].iter().map(|&e| usize::from(e & 15 != 0)).sum();
        // Match model: the expected bit, with a confidence learned per length.
        let live = self.mlen > 0 && self.mok;
        if live {
            let eb = (self.mbyte >> (7 - self.bitpos)) & 1;
            self.msm_i = len_bucket(self.mlen) * 2 + eb as usize;
            let p = self.msm[self.msm_i] >> 4;
            st[ORDERS] = tb.st(p.clamp(1, 4095)) as i16;
            st[ORDERS + 1] = if eb == 1 { 256 } else { -256 };
        } else {
            st[ORDERS] = 0;
            st[ORDERS + 1] = 0;
        }
        st[ORDERS + 2] = 256;
        let mset = if !live {
            0
        } else if self.mlen < 16 {
            1
        } else if self.mlen < 32 {
            2
        } else {
            3
        };
        self.wset = (mset * 256 + self.c0 as usize) * INPUTS;
        // Second weight set: by how many of the orders have seen this node and the
        // bit position.
        self.wset2 = ((seen * 8 + self.bitpos as usize) * 2 + usize::from(live)) * INPUTS;
        let w: &[i16; INPUTS] = self.w[self.wset..self.wset + INPUTS]
            .try_into()
            .expect("weights");
        let w2: &[i16; INPUTS] = self.w2[self.wset2..self.wset2 + INPUTS]
            .try_into()
            .expect("weights");
        self.st = st;
        let d1 = dot(w, &st);
        let d2 = dot(w2, &st);
        self.pmix1 = tb.sq(d1).clamp(1, 4095);
        self.pmix2 = tb.sq(d2).clamp(1, 4095);
        let p = tb.sq((d1 + d2) >> 1).clamp(1, 4095);
        let c1 = (self.c4 & 0xff) as usize;
        let h = ((self.c0 as usize) | (c1 << 8)) & self.apm_mask;
        let pa = self.apm.p(tb, p, h);
        ((p + 3 * pa + 2) >> 2).clamp(1, 4095) as u32
    }

    /// Learns the coded bit and moves to the next decision.
    #[inline]
    fn update(&mut self, bit: u32) {
        let t = &mut self.slots.t;
        let target = if bit == 1 { 4095 } else { 0 };
        for &j in &self.node {
            let e = &mut t[j];
            let n = *e & 15;
            let p = (*e >> 4) as i32;
            // Moves at most 2/3 of the way to 0 or 4095: stays in range.
            let np = p + (((target - p) * RATE[n as usize]) >> 16);
            *e = ((np as u16) << 4) | (n + u16::from(n < LIMIT));
        }
        let w: &mut [i16; INPUTS] = (&mut self.w[self.wset..self.wset + INPUTS])
            .try_into()
            .expect("weights");
        train(w, &self.st, ((bit as i32) << 12) - self.pmix1);
        let w2: &mut [i16; INPUTS] = (&mut self.w2[self.wset2..self.wset2 + INPUTS])
            .try_into()
            .expect("weights");
        train(w2, &self.st, ((bit as i32) << 12) - self.pmix2);
        self.apm.update(bit);
        if self.mlen > 0 && self.mok {
            let e = &mut self.msm[self.msm_i];
            let target = if bit == 1 { 65535 } else { 0 };
            *e = (*e as i32 + ((target - *e as i32) >> 6)) as u16;
            let eb = (self.mbyte >> (7 - self.bitpos)) & 1;
            if eb != bit {
                self.mok = false;
            }
        }
        self.c0 = (self.c0 << 1) | bit;
        self.bitpos += 1;
        if self.bitpos < 8 {
            // The APM row of the next bit: its miss overlaps the mixing.
            let h = ((self.c0 as usize) | (((self.c4 & 0xff) as usize) << 8)) & self.apm_mask;
            let t = &self.apm.t;
            prefetch(t, h * 33);
            prefetch(t, h * 33 + 32);
        }
        if self.bitpos == 3 {
            // The second nibble's lines for both values of the last bit left: the
            // misses overlap this bit's coding.
            self.prefetch_nibble(self.c0 << 1);
            self.prefetch_nibble((self.c0 << 1) | 1);
        } else if self.bitpos == 7 {
            self.prefetch_next((self.c0 << 1) as u8);
            self.prefetch_next(((self.c0 << 1) | 1) as u8);
        }
        if self.bitpos == 4 {
            let hi = self.c0 as u64;
            let hs = self.hashes.map(|h| mix(h, hi));
            self.lookup(&hs);
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
        if self.mok {
            self.mbyte = self.hist[self.mptr] as u32;
        }
        // Word and line contexts.
        let lc = c.to_ascii_lowercase();
        if lc.is_ascii_alphanumeric() || c >= 128 {
            self.word = (self.word ^ lc as u64).wrapping_mul(0x2000_0000_0000_0035) + 1;
        } else if self.word != 0 {
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

/// A mixer weight of 1.0 (weights are i16: at most 2.0 in size).
const W1: i32 = 1 << 14;

/// The mixer's output logit: weights dotted with inputs.
#[inline(always)]
fn dot(w: &[i16; INPUTS], st: &[i16; INPUTS]) -> i32 {
    let mut d: i32 = 0;
    for i in 0..INPUTS {
        d += w[i] as i32 * st[i] as i32;
    }
    (d >> 14).clamp(-2047, 2047)
}

/// One online gradient step of a mixer towards the coded bit.
#[inline(never)]
fn train(w: &mut [i16; INPUTS], st: &[i16; INPUTS], err: i32) {
    // (st * err) >> 13, rounded, in 16-bit lanes: (2 st * 8 err) >> 16 is
    // (st * err) >> 12, at most 2047 in size.
    let e = (err * 8) as i16;
    for i in 0..INPUTS {
        // Both factors fit 16 bits (|st| < 2048), so this is one high-half multiply.
        let x = (((st[i] * 2) as i32 * e as i32) >> 16) as i16;
        w[i] = w[i].saturating_add((x + 1) >> 1);
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

/// Codes `data` starting from `state`; returns the coded bytes.
pub fn encode(mut state: Cm, data: &[u8]) -> Vec<u8> {
    state.reserve(data.len());
    let mut enc = BitEnc::new(Vec::with_capacity(data.len() / 3 + 16));
    for &c in data {
        state.code_byte(c, |p, bit| {
            enc.code(bit, p);
            bit
        });
    }
    enc.finish()
}

/// Decodes `len` bytes coded by [`encode`] from the same starting state.
pub fn decode(mut state: Cm, coded: &[u8], len: usize) -> Vec<u8> {
    state.reserve(len);
    let mut dec = BitDec::new(coded);
    let mut out = Vec::with_capacity(len);
    for _ in 0..len {
        out.push(state.code_byte(0, |p, _| dec.decode(p)));
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
    fn tables_start_aligned_and_zeroed() {
        for n in [LINE, 1000 * LINE, HUGE / 2, 3 * HUGE / 2 + 5] {
            let (t, off) = table(n);
            let start = t.as_ptr() as usize + 2 * off;
            assert_eq!(start % 64, 0, "{n}");
            if cfg!(target_os = "linux") && 2 * n >= HUGE {
                assert_eq!(start % HUGE, 0, "{n}");
            }
            assert!(off + n <= t.len() && t[off..off + n].iter().all(|&v| v == 0));
        }
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

    #[test]
    fn long_matches_that_break_round_trip() {
        // A block repeated with one byte changed per copy: long matches whose
        // byte comes, and misses inside them.
        let mut s = 1u32;
        let block: Vec<u8> = (0..300)
            .map(|_| {
                s = s.wrapping_mul(1_103_515_245).wrapping_add(12345);
                b'a' + ((s >> 16) % 26) as u8
            })
            .collect();
        let mut data = Vec::new();
        for k in 0..40 {
            let mut b = block.clone();
            b[(k * 37) % 300] = b'#';
            data.extend_from_slice(&b);
        }
        let alone = round_trip(b"", &data);
        assert!(alone < data.len() / 8, "{alone}");
        let primed = round_trip(&block, &data);
        assert!(primed < alone, "{primed} {alone}");
    }
}
