//! The PPM exact coder (exact payload mode 7; mode 5, version 5's, still read: the
//! same model with its older starting state): prediction by partial matching over
//! bytes, contexts of up to [`MAX_ORDER`] bytes in a tree with suffix links (PPMII
//! ideas: frequency-sorted symbol lists, binary contexts coded by an adaptive model
//! indexed by small features, secondary escape estimation in masked contexts,
//! exclusion, inherited frequencies for new symbols, rescaling, a bounded arena that
//! restarts when full), beside a long-match model: inside a long repeat a byte is
//! first one binary decision ("the match's byte comes"), and on a miss PPM codes it
//! with that byte excluded. Every decision goes through the crate's range coder;
//! all arithmetic is integer. The state can be primed with a text and cloned per
//! packet. The layout and every rule are specified in docs/FORMAT.md ("Exact
//! payload modes 5 and 7").

use super::prefetch;
use super::rc::{Dec, Enc};

/// Longest context (bytes) the tree predicts from.
pub const MAX_ORDER: u8 = 7;
/// A symbol count past which a context's counts are halved.
const MAX_FREQ: u32 = 124;
/// Scale of the binary contexts' probabilities.
const BIN_SCALE: u32 = 1 << 14;
/// Adaptation period (log2) of the binary and escape statistics.
const PERIOD_BITS: u32 = 7;
/// Step of a binary probability towards a hit.
const INTERVAL: u32 = 1 << PERIOD_BITS;
/// Marks a successor that is a position in the history (the context was seen once
/// and its node is not built yet) rather than a node.
const RAW: u32 = 1 << 31;
/// The order-0 context.
const ROOT: u32 = 0;
/// The root's suffix.
const NO_SUFFIX: u32 = u32::MAX;
/// End of a free list.
const NIL: u32 = u32::MAX;
/// A decoded escape.
const ESC: u32 = u32::MAX;
/// Bytes hashed to find match candidates.
const HASH_LEN: usize = 6;
/// Match length from which the match decision is coded.
const MATCH_MIN: u32 = 32;
/// Longest match length the model counts.
const MATCH_MAX: u32 = 65535;
/// Scale of the match decision's probabilities.
const MATCH_SCALE: u32 = 1 << 16;
/// Bytes of arena per node and per symbol entry as the memory bound counts them
/// (part of the format: the tree restarts at the same byte in encoder and decoder;
/// nodes and entries now take 12 and 6 bytes, so the arena stays below the bound).
const NODE_BYTES: usize = 24;
const STAT_BYTES: usize = 8;
/// Secondary escape estimation cells: 12 buckets of unmasked symbols x 32 feature sets.
const SEE_CELLS: usize = 12 * 32;
/// Binary contexts' cells: 128 counts x 64 feature sets.
const BIN_CELLS: usize = 128 * 64;
/// Marks the sizes of a version-6 state (mode 7): the low bits are how many bytes of
/// the priming text's end it learns.
const V6: u32 = 1 << 31;
/// Version 6: a binary cell starts at `BIN_SCALE - INIT_BIN[k mod 8] / (row + 2)`
/// (PPMd's starting escape estimates by feature set) instead of `BIN_SCALE / (row + 2)`.
const INIT_BIN: [u32; 8] = [
    0x3CDD, 0x1F3F, 0x59BF, 0x48F3, 0x64A1, 0x5ABC, 0x6632, 0x6051,
];
/// Version 6: a packet of more than this many bytes learns only the priming text's
/// last [`PRIME_TAIL_MID`] bytes, and past [`PRIME_LONG`] only its last
/// [`PRIME_TAIL_LONG`]: a long priming text's statistics, unlike the packet's, cost
/// more escapes than they save once the packet is longer than a few KiB.
const PRIME_SHORT: usize = 4 << 10;
const PRIME_LONG: usize = 32 << 10;
const PRIME_TAIL_MID: usize = 8 << 10;
const PRIME_TAIL_LONG: usize = 4 << 10;

/// A symbol of a context: the byte, its count, and its successor (the node of the
/// context extended by the byte, a [`RAW`] history position, or 0 when unknown),
/// in 6 bytes (the successor as two halves) so that more symbols share a cache line.
#[derive(Clone, Copy, Default)]
#[repr(C)]
struct Stat {
    sym: u8,
    freq: u8,
    lo: u16,
    hi: u16,
}

impl Stat {
    #[inline]
    fn new(sym: u8, freq: u8, succ: u32) -> Self {
        Stat {
            sym,
            freq,
            lo: succ as u16,
            hi: (succ >> 16) as u16,
        }
    }

    #[inline]
    fn succ(&self) -> u32 {
        self.lo as u32 | (self.hi as u32) << 16
    }

    #[inline]
    fn set_succ(&mut self, s: u32) {
        self.lo = s as u16;
        self.hi = (s >> 16) as u16;
    }
}

/// A context node in 12 bytes: its symbol count and order, its symbols (inline when
/// it has one; else the same 6 bytes hold their total count plus the escape mass,
/// and where their block of the symbol arena starts), its suffix (one byte shorter).
#[derive(Clone, Copy, Default)]
#[repr(C)]
struct Ctx {
    /// Symbols (low 9 bits) and order (the bits above).
    nord: u16,
    one: Stat,
    suffix: u32,
}

impl Ctx {
    #[inline]
    fn num(&self) -> u32 {
        (self.nord & 0x1ff) as u32
    }

    #[inline]
    fn order(&self) -> u8 {
        (self.nord >> 9) as u8
    }

    #[inline]
    fn set_num(&mut self, n: u32) {
        self.nord = (self.nord & !0x1ff) | n as u16;
    }

    /// Total count plus escape mass (contexts of two symbols or more).
    #[inline]
    fn summ(&self) -> u32 {
        self.one.sym as u32 | (self.one.freq as u32) << 8
    }

    #[inline]
    fn set_summ(&mut self, v: u32) {
        self.one.sym = v as u8;
        self.one.freq = (v >> 8) as u8;
    }

    /// Start of the symbol block (contexts of two symbols or more).
    #[inline]
    fn stats(&self) -> u32 {
        self.one.succ()
    }

    #[inline]
    fn set_stats(&mut self, at: u32) {
        self.one.set_succ(at);
    }
}

/// An adaptive escape estimate (a scaled running sum and its period).
#[derive(Clone, Copy)]
struct See {
    summ: u32,
    shift: u32,
    count: u32,
}

impl See {
    fn new(bucket: u32) -> Self {
        let shift = PERIOD_BITS - 4;
        See {
            summ: (5 * bucket + 10) << shift,
            shift,
            count: 4,
        }
    }

    #[inline]
    fn mean(&mut self) -> u32 {
        let r = self.summ >> self.shift;
        self.summ -= r;
        r.clamp(1, 1 << 15)
    }

    #[inline]
    fn hit(&mut self) {
        if self.shift < PERIOD_BITS {
            self.count -= 1;
            if self.count == 0 {
                self.summ = (self.summ * 2).min(1 << 30);
                self.count = 3 << self.shift;
                self.shift += 1;
            }
        }
    }
}

/// Where the coded decisions go: an encoder, a decoder, or nowhere (priming).
pub trait Io {
    /// True for the decoder (symbols come from the coded bits).
    const DEC: bool;
    /// Codes the interval [cum, cum + freq) of total.
    fn put(&mut self, cum: u32, freq: u32, total: u32);
    /// Decodes a symbol of a table of `total` (see `rc::Dec::get`).
    fn get<F: Fn(u32) -> (u32, u32, u32)>(&mut self, total: u32, find: F) -> u32;
}

/// Coding into the range coder.
pub struct EncIo(pub Enc);
/// Decoding from the range coder.
pub struct DecIo(pub Dec);
/// Learning without coding.
pub struct Learn;

impl Io for EncIo {
    const DEC: bool = false;
    #[inline]
    fn put(&mut self, cum: u32, freq: u32, total: u32) {
        self.0.put(cum, freq, total);
    }
    fn get<F: Fn(u32) -> (u32, u32, u32)>(&mut self, _: u32, _: F) -> u32 {
        0
    }
}

impl Io for DecIo {
    const DEC: bool = true;
    fn put(&mut self, _: u32, _: u32, _: u32) {}
    #[inline]
    fn get<F: Fn(u32) -> (u32, u32, u32)>(&mut self, total: u32, find: F) -> u32 {
        self.0.get(total, find)
    }
}

impl Io for Learn {
    const DEC: bool = false;
    #[inline]
    fn put(&mut self, _: u32, _: u32, _: u32) {}
    fn get<F: Fn(u32) -> (u32, u32, u32)>(&mut self, _: u32, _: F) -> u32 {
        0
    }
}

/// One binary decision: `hit` with probability p / scale (0 < p < scale).
#[inline]
fn bin<I: Io>(io: &mut I, hit: bool, p: u32, scale: u32) -> bool {
    if I::DEC {
        io.get(scale, |t| if t < p { (1, 0, p) } else { (0, p, scale - p) }) == 1
    } else {
        if hit {
            io.put(0, p, scale);
        } else {
            io.put(p, scale - p, scale);
        }
        hit
    }
}

/// The escape count a binary context starts with when it gains a second symbol,
/// by its hit probability's top 4 bits.
#[inline]
fn first_escape(bs: u32) -> u32 {
    (26 / ((bs >> 10) + 1)).max(2)
}

/// Bucket of a number of unmasked symbols (SEE rows).
#[inline]
fn diff_bucket(d: u32) -> usize {
    match d {
        0..=3 => d.saturating_sub(1) as usize,
        4..=5 => 3,
        6..=7 => 4,
        8..=11 => 5,
        12..=15 => 6,
        16..=23 => 7,
        24..=31 => 8,
        32..=63 => 9,
        64..=127 => 10,
        _ => 11,
    }
}

/// The model: context tree, statistics, history and match model of one packet.
#[derive(Clone)]
pub struct Ppm {
    /// Priming text bytes learned (from its end); `usize::MAX` for all (version 5).
    learn: usize,
    ctx: Vec<Ctx>,
    stats: Vec<Stat>,
    /// Free blocks of the symbol arena by size class (2^k entries).
    free: [u32; 9],
    /// Arena bytes past which the tree restarts.
    budget: usize,
    full: bool,
    hist: Vec<u8>,
    max_ctx: u32,
    mask: [u8; 256],
    esc: u8,
    see: Vec<See>,
    bin: Vec<u16>,
    prev_success: u32,
    run: u32,
    init_esc: u32,
    hb: u32,
    table: Vec<u32>,
    tbits: u32,
    mptr: u32,
    mlen: u32,
    mprob: [u16; 64],
    mcount: [u8; 64],
    miss: u32,
    /// The match table's slot (and check tag) of the previous position.
    pending: u32,
    ptag: u32,
    /// The tree was not updated inside a match: its current context must be found.
    stale: bool,
}

impl Ppm {
    /// The sizes of a version-6 state (payload mode 7) for `n` bytes of data after
    /// a priming text of `prime` bytes: those of [`Ppm::sizes_for`] and, marked
    /// version 6, how many bytes of the priming text's end the state learns.
    pub fn sizes_v6(prime: usize, n: usize) -> (u32, u32, u32) {
        let (bits, mib, _) = Self::sizes_for(prime + n);
        let learn = if n <= PRIME_SHORT {
            prime
        } else if n <= PRIME_LONG {
            prime.min(PRIME_TAIL_MID)
        } else {
            prime.min(PRIME_TAIL_LONG)
        };
        (bits, mib, V6 | learn.min(V6 as usize - 1) as u32)
    }

    /// The sizes (match-table bits, arena budget in MiB, 0: version 5) for a packet
    /// whose priming text and data total `n` bytes.
    pub fn sizes_for(n: usize) -> (u32, u32, u32) {
        let bits = (usize::BITS - n.max(1).leading_zeros())
            .saturating_sub(4)
            .clamp(16, 18);
        let mib = ((n as u64 * 24) >> 20).clamp(8, 384) as u32;
        (bits, mib.next_power_of_two(), 0)
    }

    /// A fresh model of `sizes` (see [`Ppm::sizes_for`], [`Ppm::sizes_v6`]).
    pub fn new(sizes: (u32, u32, u32)) -> Self {
        let v6 = sizes.2 & V6 != 0;
        let mut see = Vec::with_capacity(SEE_CELLS);
        for i in 0..SEE_CELLS {
            see.push(See::new((i / 32) as u32));
        }
        let bin = (0..BIN_CELLS)
            .map(|i| {
                let init = if v6 { INIT_BIN[i % 8] } else { BIN_SCALE };
                (BIN_SCALE - init / ((i / 64) as u32 + 2)) as u16
            })
            .collect();
        let mut m = Ppm {
            learn: if v6 {
                (sizes.2 & !V6) as usize
            } else {
                usize::MAX
            },
            ctx: Vec::new(),
            stats: Vec::new(),
            free: [NIL; 9],
            budget: (sizes.1 as usize) << 20,
            full: false,
            hist: Vec::new(),
            max_ctx: ROOT,
            mask: [0; 256],
            esc: 0,
            see,
            bin,
            prev_success: 0,
            run: 0,
            init_esc: 2,
            hb: 0,
            table: vec![0; 2 << sizes.0],
            tbits: sizes.0,
            mptr: 0,
            mlen: 0,
            mprob: [(MATCH_SCALE * 3 / 4) as u16; 64],
            mcount: [0; 64],
            miss: 0,
            pending: NIL,
            ptag: 0,
            stale: false,
        };
        m.restart();
        m
    }

    /// Learns `text` as if it had been coded (the packet's priors): all of it, or
    /// in version 6 the end its sizes say.
    pub fn prime(&mut self, text: &[u8]) {
        let text = &text[text.len() - self.learn.min(text.len())..];
        for &b in text {
            self.code(&mut Learn, b);
        }
    }

    /// Empties the tree: the root alone, every byte once.
    fn restart(&mut self) {
        self.ctx.clear();
        self.stats.clear();
        self.free = [NIL; 9];
        self.full = false;
        self.stats.extend((0..=255u8).map(|b| Stat::new(b, 1, 0)));
        let mut root = Ctx {
            nord: 256,
            one: Stat::default(),
            suffix: NO_SUFFIX,
        };
        root.set_summ(257);
        root.set_stats(0);
        self.ctx.push(root);
        self.max_ctx = ROOT;
    }

    fn used(&self) -> usize {
        self.ctx.len() * NODE_BYTES + self.stats.len() * STAT_BYTES
    }

    /// A block of 2^class symbol entries, `None` (and `full`) past the budget.
    fn alloc(&mut self, class: usize) -> Option<u32> {
        let head = self.free[class];
        if head != NIL {
            self.free[class] = self.stats[head as usize].succ();
            return Some(head);
        }
        let cap = 1usize << class;
        if self.used() + cap * STAT_BYTES > self.budget {
            self.full = true;
            return None;
        }
        let at = self.stats.len();
        self.stats.resize(at + cap, Stat::default());
        Some(at as u32)
    }

    fn release(&mut self, at: u32, class: usize) {
        self.stats[at as usize].set_succ(self.free[class]);
        self.free[class] = at;
    }

    fn new_node(&mut self, order: u8, suffix: u32, one: Stat) -> Option<u32> {
        if self.used() + NODE_BYTES > self.budget || self.ctx.len() >= RAW as usize {
            self.full = true;
            return None;
        }
        self.ctx.push(Ctx {
            nord: 1 | (order as u16) << 9,
            one,
            suffix,
        });
        Some(self.ctx.len() as u32 - 1)
    }

    #[inline]
    fn sl(&self, x: u32) -> &[Stat] {
        let c = &self.ctx[x as usize];
        if c.num() == 1 {
            std::slice::from_ref(&c.one)
        } else {
            let at = c.stats() as usize;
            &self.stats[at..at + c.num() as usize]
        }
    }

    #[inline]
    fn sl_mut(&mut self, x: u32) -> &mut [Stat] {
        let (num, at) = {
            let c = &self.ctx[x as usize];
            (c.num() as usize, c.stats() as usize)
        };
        if num == 1 {
            std::slice::from_mut(&mut self.ctx[x as usize].one)
        } else {
            &mut self.stats[at..at + num]
        }
    }

    #[inline]
    fn find(&self, x: u32, c: u8) -> Option<usize> {
        self.sl(x).iter().position(|s| s.sym == c)
    }

    /// Codes (or decodes, or learns) one byte; `None` when the coded bits cannot
    /// have come from the encoder.
    #[inline]
    pub fn code<I: Io>(&mut self, io: &mut I, byte: u8) -> Option<u8> {
        let mut excl = None;
        if self.mlen >= MATCH_MIN {
            let pred = self.hist[self.mptr as usize];
            let k = self.match_cell();
            let p = self.mprob[k] as u32;
            let hit = bin(io, byte == pred, p, MATCH_SCALE);
            // Adapts at 1 / (n + 1.5) after n decisions, then at 1 / 31.5.
            let n = self.mcount[k] as u32;
            self.mcount[k] = (n + 1).min(30) as u8;
            self.mprob[k] = if hit {
                p + (MATCH_SCALE - p) * 2 / (2 * n + 3)
            } else {
                p - p * 2 / (2 * n + 3)
            }
            .clamp(32, MATCH_SCALE - 32) as u16;
            if hit {
                self.miss = 0;
                self.hist.push(pred);
                self.hb = (pred >= 0x40) as u32;
                self.stale = true;
                self.after(pred);
                return Some(pred);
            }
            self.miss = 1;
            excl = Some(pred);
        }
        if self.stale {
            self.refind();
        }
        let c = self.code_ppm(io, byte, excl)?;
        self.after(c);
        Some(c)
    }

    /// The match decision's statistics cell: length bucket, whether the last
    /// decision missed.
    #[inline]
    fn match_cell(&self) -> usize {
        let l = self.mlen.max(MATCH_MIN);
        // Two buckets per doubling of the length, from MATCH_MIN.
        let b =
            ((l.ilog2() - MATCH_MIN.ilog2()) * 2 + ((l >> (l.ilog2() - 1)) & 1)).min(31) as usize;
        b * 2 + self.miss as usize
    }

    /// Follows the current match after byte `c` (already in the history), looks
    /// for a new one when there is none, and indexes the history's end. The hash
    /// slot of a position is read one byte later (prefetched meanwhile): a match is
    /// found from the byte after the hashed ones.
    #[inline]
    fn after(&mut self, c: u8) {
        let n = self.hist.len();
        if self.mlen > 0 {
            if self.hist[self.mptr as usize] == c {
                self.mlen = (self.mlen + 1).min(MATCH_MAX);
                self.mptr += 1;
            } else {
                self.mlen = 0;
            }
        }
        if self.pending != NIL {
            let (h, tag) = (self.pending as usize, self.ptag);
            if self.mlen == 0 && self.table[h] == tag {
                let cand = self.table[h + 1] as usize;
                if cand + 1 < n && self.hist[cand] == c {
                    let mut l = 0;
                    while l < 32 && l < cand && self.hist[cand - 1 - l] == self.hist[n - 2 - l] {
                        l += 1;
                    }
                    if l >= HASH_LEN {
                        self.mlen = l as u32 + 1;
                        self.mptr = cand as u32 + 1;
                    }
                }
            }
            self.table[h] = tag;
            self.table[h + 1] = n as u32 - 1;
        }
        if n >= 8 {
            let w = u64::from_le_bytes(self.hist[n - 8..n].try_into().unwrap_or([0; 8]));
            let hash = (w >> (8 * (8 - HASH_LEN))).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let h = (hash >> (64 - self.tbits)) as usize * 2;
            prefetch(&self.table, h);
            self.pending = h as u32;
            self.ptag = (hash >> 8) as u32;
        }
        let m = &self.ctx[self.max_ctx as usize];
        if m.num() > 1 {
            prefetch(&self.stats, m.stats() as usize);
        }
        // The suffix serves the binary contexts' features, escapes and the update.
        prefetch(&self.ctx, m.suffix as usize);
    }

    /// Finds the longest context node of the history's end (after a match during
    /// which the tree was not updated).
    fn refind(&mut self) {
        self.stale = false;
        let n = self.hist.len();
        for k in (1..=(MAX_ORDER as usize).min(n)).rev() {
            let mut x = ROOT;
            let mut ok = true;
            for &b in &self.hist[n - k..] {
                match self.find(x, b) {
                    Some(i) => {
                        let s = self.sl(x)[i].succ();
                        if s == 0 || s & RAW != 0 {
                            ok = false;
                            break;
                        }
                        x = s;
                    }
                    None => {
                        ok = false;
                        break;
                    }
                }
            }
            if ok {
                self.max_ctx = x;
                return;
            }
        }
        self.max_ctx = ROOT;
    }

    fn code_ppm<I: Io>(&mut self, io: &mut I, byte: u8, excl: Option<u8>) -> Option<u8> {
        self.esc = self.esc.wrapping_add(1);
        if self.esc == 0 {
            self.mask = [0; 256];
            self.esc = 1;
        }
        let ec = self.esc;
        let mut nm = 0u32;
        if let Some(p) = excl {
            self.mask[p as usize] = ec;
            nm = 1;
        }
        let mut x = self.max_ctx;
        // The suffix's symbols serve an escape and the update of a rare symbol.
        let suf = self.ctx[x as usize].suffix;
        if let Some(sc) = self.ctx.get(suf as usize)
            && sc.num() > 1
        {
            prefetch(&self.stats, sc.stats() as usize);
        }
        let (fx, fi) = loop {
            let num = self.ctx[x as usize].num();
            if num == 1 {
                let s = self.ctx[x as usize].one;
                if self.mask[s.sym as usize] != ec {
                    let cell = self.bin_cell(x, s);
                    let bs = self.bin[cell] as u32;
                    let hit = bin(io, s.sym == byte, bs, BIN_SCALE);
                    if hit {
                        self.bin[cell] =
                            (bs + INTERVAL - ((bs + 32) >> PERIOD_BITS)).min(BIN_SCALE - 16) as u16;
                        let o = &mut self.ctx[x as usize].one;
                        o.freq += (o.freq < 128) as u8;
                        self.prev_success = 1;
                        self.run += 1;
                        break (x, 0);
                    }
                    let nbs = (bs - ((bs + 32) >> PERIOD_BITS)).max(16);
                    self.bin[cell] = nbs as u16;
                    self.init_esc = first_escape(nbs);
                    self.mask[s.sym as usize] = ec;
                    nm += 1;
                    self.prev_success = 0;
                    self.run = 0;
                }
            } else if nm == 0 {
                if let Some(i) = self.code_plain(io, x, byte) {
                    break (x, i);
                }
                let at = self.ctx[x as usize].stats() as usize;
                for s in &self.stats[at..at + num as usize] {
                    self.mask[s.sym as usize] = ec;
                }
                nm = num;
            } else {
                if let Some(i) = self.code_masked(io, x, byte, nm) {
                    break (x, i);
                }
                nm = nm.max(num);
            }
            let suf = self.ctx[x as usize].suffix;
            if suf == NO_SUFFIX {
                return None;
            }
            x = suf;
        };
        let c = self.sl(fx)[fi].sym;
        self.update(fx, fi, c);
        Some(c)
    }

    #[inline]
    fn bin_cell(&self, x: u32, s: Stat) -> usize {
        let suf = self.ctx[x as usize].suffix;
        let sn = if suf == NO_SUFFIX {
            1
        } else {
            self.ctx[suf as usize].num()
        };
        let nsb = match sn {
            0..=1 => 0,
            2 => 1,
            3..=10 => 2,
            _ => 3,
        };
        let k = self.prev_success
            + 2 * nsb
            + 8 * self.hb
            + 16 * (s.sym >= 0x40) as u32
            + 32 * (self.run < MAX_ORDER as u32) as u32;
        (s.freq.clamp(1, 128) as usize - 1) * 64 + k as usize
    }

    /// Codes in a context none of whose symbols is masked; the symbol's index, or
    /// `None` for an escape.
    #[inline]
    fn code_plain<I: Io>(&mut self, io: &mut I, x: u32, byte: u8) -> Option<usize> {
        let c = self.ctx[x as usize];
        let at = c.stats() as usize;
        let st = &self.stats[at..at + c.num() as usize];
        let total = c.summ();
        let i = if I::DEC {
            io.get(total, |t| {
                let mut cum = 0;
                for (i, s) in st.iter().enumerate() {
                    let f = s.freq as u32;
                    if t < cum + f {
                        return (i as u32, cum, f);
                    }
                    cum += f;
                }
                (ESC, cum, total - cum)
            })
        } else {
            let mut cum = 0;
            let mut found = ESC;
            for (i, s) in st.iter().enumerate() {
                if s.sym == byte {
                    found = i as u32;
                    break;
                }
                cum += s.freq as u32;
            }
            if found == ESC {
                io.put(cum, total - cum, total);
            } else {
                io.put(cum, st[found as usize].freq as u32, total);
            }
            found
        };
        if i == ESC || i as usize >= st.len() {
            self.prev_success = 0;
            self.run = 0;
            return None;
        }
        let mut i = i as usize;
        let f = st[i].freq as u32 + 4;
        if i == 0 {
            self.prev_success = (2 * f > total) as u32;
            self.run += self.prev_success;
        } else {
            self.prev_success = 0;
        }
        self.ctx[x as usize].set_summ(total + 4);
        self.stats[at + i].freq = f as u8;
        if i > 0 && self.stats[at + i].freq > self.stats[at + i - 1].freq {
            self.stats.swap(at + i, at + i - 1);
            i -= 1;
        }
        if f > MAX_FREQ {
            i = self.rescale(x, i);
        }
        Some(i)
    }

    /// Codes in a context after an escape (the symbols of the contexts escaped from
    /// are masked), the escape estimated by SEE; `None` for an escape or when every
    /// symbol is masked (nothing coded).
    #[inline]
    fn code_masked<I: Io>(&mut self, io: &mut I, x: u32, byte: u8, nm: u32) -> Option<usize> {
        let c = self.ctx[x as usize];
        let at = c.stats() as usize;
        let n = c.num() as usize;
        let ec = self.esc;
        // One pass: the unmasked symbols (their indices), their total, the coded
        // byte's place among them; they are masked at once (an escape leaves them
        // masked, a hit ends the byte).
        let mut live = [0u8; 256];
        let mut diff = 0usize;
        let mut sum = 0u32;
        let (mut found, mut cum) = (ESC, 0);
        for (i, s) in self.stats[at..at + n].iter().enumerate() {
            let m = &mut self.mask[s.sym as usize];
            if *m != ec {
                *m = ec;
                if !I::DEC && s.sym == byte {
                    found = i as u32;
                    cum = sum;
                }
                live[diff] = i as u8;
                diff += 1;
                sum += s.freq as u32;
            }
        }
        if diff == 0 {
            return None;
        }
        let diff = diff as u32;
        let suf_num = if c.suffix == NO_SUFFIX {
            n as u32
        } else {
            self.ctx[c.suffix as usize].num()
        };
        let cell = diff_bucket(diff) * 32
            + (diff < suf_num.saturating_sub(n as u32)) as usize
            + 2 * (c.summ() < 11 * n as u32) as usize
            + 4 * (nm > diff) as usize
            + 8 * self.hb as usize
            + 16 * (c.order() >= 3) as usize;
        let esc = self.see[cell].mean();
        let total = sum + esc;
        let st = &self.stats[at..at + n];
        let i = if I::DEC {
            let live = &live[..diff as usize];
            io.get(total, |t| {
                let mut cum = 0;
                for &i in live {
                    let f = st[i as usize].freq as u32;
                    if t < cum + f {
                        return (i as u32, cum, f);
                    }
                    cum += f;
                }
                (ESC, cum, total - cum)
            })
        } else {
            if found == ESC {
                io.put(sum, esc, total);
            } else {
                io.put(cum, st[found as usize].freq as u32, total);
            }
            found
        };
        if i == ESC {
            self.see[cell].summ = (self.see[cell].summ + total).min(1 << 30);
            self.prev_success = 0;
            self.run = 0;
            return None;
        }
        self.see[cell].hit();
        let i = i as usize;
        let f = self.stats[at + i].freq as u32 + 4;
        self.stats[at + i].freq = f as u8;
        self.ctx[x as usize].set_summ(c.summ() + 4);
        self.prev_success = 0;
        Some(if f > MAX_FREQ { self.rescale(x, i) } else { i })
    }

    /// Halves a context's counts (keeping half its escape mass) and re-sorts them;
    /// the new index of the symbol at `i`.
    fn rescale(&mut self, x: u32, i: usize) -> usize {
        let c = self.ctx[x as usize];
        let at = c.stats() as usize;
        let n = c.num() as usize;
        let sym = self.stats[at + i].sym;
        let st = &mut self.stats[at..at + n];
        let old: u32 = st.iter().map(|s| s.freq as u32).sum();
        let esc = c.summ().saturating_sub(old).max(1);
        let mut sum = 0;
        for s in st.iter_mut() {
            s.freq -= s.freq / 2;
            sum += s.freq as u32;
        }
        // Insertion sort, stable: counts descending.
        for j in 1..n {
            let s = st[j];
            let mut k = j;
            while k > 0 && st[k - 1].freq < s.freq {
                st[k] = st[k - 1];
                k -= 1;
            }
            st[k] = s;
        }
        self.ctx[x as usize].set_summ(sum + esc.div_ceil(2));
        st.iter().position(|s| s.sym == sym).unwrap_or(0)
    }

    /// Updates the tree after byte `c` was found at symbol `fi` of context `fx`:
    /// `c` joins the contexts escaped from, and the next context is found or built.
    fn update(&mut self, fx: u32, fi: usize, c: u8) {
        self.hist.push(c);
        self.hb = (c >= 0x40) as u32;
        let up = self.hist.len() as u32;
        let fs = self.sl(fx)[fi];
        // Usually the next context (or the history byte that builds it): fetched
        // while the rest of the update runs.
        if fs.succ() & RAW == 0 {
            prefetch(&self.ctx, fs.succ() as usize);
        } else {
            prefetch(&self.hist, (fs.succ() & !RAW) as usize);
        }
        let ffreq = fs.freq as u32;
        let fc = self.ctx[fx as usize];
        // A symbol still rare here also gains a little one order down.
        if ffreq < MAX_FREQ / 4 && fc.suffix != NO_SUFFIX {
            let s = fc.suffix;
            if let Some(j) = self.find(s, c) {
                if self.ctx[s as usize].num() == 1 {
                    let o = &mut self.ctx[s as usize].one;
                    o.freq += (o.freq < 32) as u8;
                } else {
                    let cs = &mut self.ctx[s as usize];
                    let at = cs.stats() as usize + j;
                    cs.set_summ(cs.summ() + 2);
                    let f = self.stats[at].freq as u32 + 2;
                    self.stats[at].freq = f as u8;
                    if f > MAX_FREQ {
                        self.rescale(s, j);
                    }
                }
            }
        }
        let ns = fc.num();
        let s0 = if ns == 1 {
            1
        } else {
            fc.summ().saturating_sub(ns + ffreq - 1).max(1)
        };
        let mut x = self.max_ctx;
        while x != fx && x != NO_SUFFIX {
            if !self.add_sym(x, c, ffreq, s0, ns, RAW | up) {
                self.restart();
                return;
            }
            x = self.ctx[x as usize].suffix;
        }
        let mut y = fx;
        let mut at = Some(fi);
        self.max_ctx = loop {
            if let Some(n) = self.successor(y, c, at.take()) {
                break n;
            }
            if self.full {
                self.restart();
                return;
            }
            let s = self.ctx[y as usize].suffix;
            if s == NO_SUFFIX {
                break ROOT;
            }
            y = s;
        };
        prefetch(&self.ctx, self.max_ctx as usize);
    }

    /// Adds `c` to context `x` (escaped from), its count inherited from how the
    /// context that coded it (count `ffreq`, `ns` symbols, other mass `s0`) saw it.
    fn add_sym(&mut self, x: u32, c: u8, ffreq: u32, s0: u32, ns: u32, succ: u32) -> bool {
        let n1 = self.ctx[x as usize].num() as usize;
        if n1 >= 256 {
            return true;
        }
        if n1 == 1 {
            let Some(at) = self.alloc(1) else {
                return false;
            };
            let mut one = self.ctx[x as usize].one;
            one.freq = if (one.freq as u32) < MAX_FREQ / 4 - 1 {
                one.freq * 2
            } else {
                (MAX_FREQ - 4) as u8
            };
            self.stats[at as usize] = one;
            let cx = &mut self.ctx[x as usize];
            cx.set_stats(at);
            cx.set_summ(one.freq as u32 + self.init_esc + (ns > 3) as u32);
        } else {
            if n1.is_power_of_two() {
                let class = n1.trailing_zeros() as usize;
                let Some(at) = self.alloc(class + 1) else {
                    return false;
                };
                let old = self.ctx[x as usize].stats();
                self.stats
                    .copy_within(old as usize..old as usize + n1, at as usize);
                self.release(old, class);
                self.ctx[x as usize].set_stats(at);
            }
            let cx = &mut self.ctx[x as usize];
            let (n, s) = (n1 as u32, cx.summ());
            cx.set_summ(s + (2 * n < ns) as u32 + 2 * ((4 * n <= ns) & (s <= 8 * n)) as u32);
        }
        let cx = &mut self.ctx[x as usize];
        let summ = cx.summ();
        let cf0 = 2 * ffreq * (summ + 6);
        let sf = s0 + summ;
        let (cf, add) = if cf0 < 6 * sf {
            let cf = 1 + (cf0 > sf) as u32 + (cf0 >= 4 * sf) as u32;
            (cf, 3)
        } else {
            let cf = 4 + (cf0 >= 9 * sf) as u32 + (cf0 >= 12 * sf) as u32 + (cf0 >= 15 * sf) as u32;
            (cf, cf)
        };
        cx.set_summ(summ + add);
        cx.set_num(n1 as u32 + 1);
        let at = cx.stats() as usize + n1;
        self.stats[at] = Stat::new(c, cf as u8, succ);
        true
    }

    /// The node of context `x` extended by `c` (at the longest order, of its suffix
    /// extended by `c`), built from the history when only a position is known;
    /// `None` when it cannot be (no position yet, or the arena is full).
    fn successor(&mut self, x: u32, c: u8, at: Option<usize>) -> Option<u32> {
        let i = match at {
            Some(i) => i,
            None => self.find(x, c)?,
        };
        let s = self.sl(x)[i].succ();
        if s != 0 && s & RAW == 0 {
            return Some(s);
        }
        if s == 0 {
            let up = RAW | self.hist.len() as u32;
            self.sl_mut(x)[i].set_succ(up);
            return None;
        }
        let xc = self.ctx[x as usize];
        if xc.order() >= MAX_ORDER {
            let n = self.successor(xc.suffix, c, None)?;
            self.sl_mut(x)[i].set_succ(n);
            return Some(n);
        }
        let r = (s & !RAW) as usize;
        let &sym = self.hist.get(r)?;
        let base = if x == ROOT {
            ROOT
        } else {
            self.successor(xc.suffix, c, None)?
        };
        let freq = self.inherit(base, sym);
        let n = self.new_node(
            xc.order() + 1,
            base,
            Stat::new(sym, freq, RAW | (r as u32 + 1)),
        )?;
        self.sl_mut(x)[i].set_succ(n);
        Some(n)
    }

    /// The starting count of `sym` in a new node whose suffix is `base`.
    fn inherit(&self, base: u32, sym: u8) -> u8 {
        let b = &self.ctx[base as usize];
        if b.num() == 1 {
            return b.one.freq.max(1);
        }
        let Some(j) = self.find(base, sym) else {
            return 1;
        };
        let cf = self.stats[b.stats() as usize + j].freq as u32 - 1;
        let s0 = b.summ().saturating_sub(b.num() + cf).max(1);
        let f = if 2 * cf <= s0 {
            (5 * cf > s0) as u32
        } else {
            (2 * cf + 3 * s0 - 1) / (2 * s0)
        };
        (1 + f).min(MAX_FREQ / 4) as u8
    }
}

/// Asks the kernel to back the whole 2 MiB pages of `v`'s allocation with huge
/// pages: the tree is read at random, and one TLB entry then covers 2 MiB instead
/// of 4 KiB. A hint (contents unchanged); nothing for small vectors or elsewhere.
fn huge_pages<T>(v: &[T], capacity: usize) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let start = v.as_ptr() as usize;
        let end = start + capacity * std::mem::size_of::<T>();
        let (a, b) = (start.next_multiple_of(HUGE), end / HUGE * HUGE);
        if b > a {
            // SAFETY: madvise(MADV_HUGEPAGE) only changes how the kernel backs the
            // range (whole pages inside the vector's allocation).
            unsafe {
                libc::madvise(a as *mut libc::c_void, b - a, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (v, capacity);
}

/// Reserves what `v` may grow to (at most `most` items), in huge pages when
/// large; left as it is when the memory is not there (it then grows as needed).
fn reserve_huge<T>(v: &mut Vec<T>, most: usize) {
    const LARGE: usize = 8 << 20;
    let extra = most.saturating_sub(v.len());
    if most * std::mem::size_of::<T>() >= LARGE && v.try_reserve_exact(extra).is_ok() {
        huge_pages(v, v.capacity());
    }
}

impl Ppm {
    /// Prepares the arenas and the history for `n` more bytes: reserved once, up
    /// to what the budget allows, in huge pages (no copies as they grow).
    fn prepare(&mut self, n: usize) {
        // At most MAX_ORDER + 1 nodes and symbol entries a byte, and the budget.
        let bytes = self.hist.len() + n;
        let per = MAX_ORDER as usize + 1;
        reserve_huge(&mut self.ctx, (self.budget / NODE_BYTES).min(bytes * per));
        reserve_huge(
            &mut self.stats,
            (self.budget / STAT_BYTES).min(bytes * 2 * per),
        );
        reserve_huge(&mut self.hist, bytes);
        self.hist.reserve(n);
    }
}

/// Codes `data` with a model that has learned its priors.
pub fn encode(mut m: Ppm, data: &[u8]) -> Vec<u8> {
    m.prepare(data.len());
    let mut io = EncIo(Enc::new());
    for &b in data {
        m.code(&mut io, b);
    }
    io.0.finish()
}

/// Decodes `n` bytes of a body of [`encode`]; `None` when it is corrupt.
pub fn decode(mut m: Ppm, body: &[u8], n: usize) -> Option<Vec<u8>> {
    m.prepare(n);
    let mut io = DecIo(Dec::new(body));
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(m.code(&mut io, 0)?);
        if io.0.bad {
            return None;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(prime: &[u8], data: &[u8]) -> usize {
        let sizes = Ppm::sizes_for(prime.len() + data.len());
        let mut m = Ppm::new(sizes);
        m.prime(prime);
        let body = encode(m.clone(), data);
        assert_eq!(decode(m, &body, data.len()).as_deref(), Some(data));
        body.len()
    }

    #[test]
    fn round_trips_and_predicts_repeats() {
        let text = b"the quick brown fox jumps over the lazy dog. ".repeat(40);
        let n = round_trip(b"", &text);
        assert!(n < text.len() / 10, "{n}");
        round_trip(b"", b"");
        round_trip(b"", b"a");
        round_trip(b"", &[0u8; 5000]);
        let mut s = 7u32;
        let noise: Vec<u8> = (0..20000)
            .map(|_| {
                s = s.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (s >> 23) as u8
            })
            .collect();
        round_trip(&noise[..3000], &noise);
        let primed = round_trip(&text, b"the quick brown fox");
        let cold = round_trip(b"", b"the quick brown fox");
        assert!(primed < cold, "{primed} {cold}");
    }

    #[test]
    fn version_6_learns_the_whole_prime_only_for_short_packets() {
        let prime: Vec<u8> = b"a prime of words, separators and digits 0123. "
            .iter()
            .cycle()
            .take(20_000)
            .enumerate()
            .map(|(i, &b)| {
                if i % 97 == 0 {
                    b'A' + (i % 26) as u8
                } else {
                    b
                }
            })
            .collect();
        let data = b"words and other words, separators; digits 4567 and a prime.";
        let coded = |sizes, prime: &[u8]| {
            let mut m = Ppm::new(sizes);
            m.prime(prime);
            let body = encode(m.clone(), data);
            assert_eq!(decode(m, &body, data.len()).as_deref(), Some(&data[..]));
            body
        };
        let tail = &prime[prime.len() - PRIME_TAIL_LONG..];
        let long = Ppm::sizes_v6(prime.len(), 1 << 20);
        assert_eq!(coded(long, &prime), coded(long, tail));
        let short = Ppm::sizes_v6(prime.len(), data.len());
        assert_ne!(coded(short, &prime), coded(short, tail));
        // Version 5 learns it all at every length.
        let v5 = Ppm::sizes_for(prime.len() + (1 << 20));
        assert_ne!(coded(v5, &prime), coded(v5, tail));
    }

    #[test]
    fn a_tiny_budget_restarts_and_still_round_trips() {
        let mut m = Ppm::new((16, 0, 0));
        m.budget = 64 << 10;
        let text: Vec<u8> = (0..200_000u32)
            .map(|i| b"abcdefghijklmnopqrstuvwxyz ,."[(i * i % 29) as usize])
            .collect();
        let body = encode(m.clone(), &text);
        assert_eq!(decode(m, &body, text.len()).as_deref(), Some(&text[..]));
    }
}
