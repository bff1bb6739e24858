//! The long-match pass of exact payload mode 6: repeats of at least [`MIN_MATCH`]
//! bytes (duplicated files, repeated trailers) are cut out of the text before block
//! sorting and listed as copies, because a repeat the transform keeps costs bits on
//! every byte, while a copy costs a few bytes in all. The finder hashes the
//! [`HASH_LEN`] bytes at every position and remembers anchor positions every
//! [`STEP`] bytes, so it finds every repeat of at least `MIN_MATCH` bytes whose
//! earlier copy holds an anchor `HASH_LEN` bytes before its end.

use super::stage::{BitIo, Ctr};

/// Shortest copy kept.
pub const MIN_MATCH: usize = 128;

/// Bytes hashed to find a match.
const HASH_LEN: usize = 32;

/// Anchor spacing.
const STEP: usize = 16;

/// One copy: `lit` literal bytes, then `len` bytes copied from `dist` bytes back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Copy {
    /// Literal bytes before the copy.
    pub lit: usize,
    /// Distance back to the source (at least 1).
    pub dist: usize,
    /// Length of the copy (at least [`MIN_MATCH`]).
    pub len: usize,
}

/// Multiplier of the rolling hash.
const MUL: u32 = 0x2F0B_4A13;

/// `MUL ^ HASH_LEN`, to remove the byte leaving the window.
const MUL_OUT: u32 = {
    let mut m = 1u32;
    let mut i = 0;
    while i < HASH_LEN {
        m = m.wrapping_mul(MUL);
        i += 1;
    }
    m
};

fn hash_at(t: &[u8], i: usize) -> u32 {
    t[i..i + HASH_LEN]
        .iter()
        .fold(0u32, |h, &b| h.wrapping_mul(MUL).wrapping_add(b as u32 + 1))
}

/// Splits `t` into copies and the literal bytes between them (in order; the
/// literals after the last copy end the list).
pub fn split(t: &[u8]) -> (Vec<Copy>, Vec<u8>) {
    split_min(t, MIN_MATCH)
}

/// [`split`] keeping copies of at least `min` bytes.
pub fn split_min(t: &[u8], min: usize) -> (Vec<Copy>, Vec<u8>) {
    let n = t.len();
    let mut copies = Vec::new();
    let mut lits = Vec::with_capacity(n);
    if n < MIN_MATCH {
        lits.extend_from_slice(t);
        return (copies, lits);
    }
    let bits = (n / STEP).max(1 << 12).next_power_of_two().ilog2().min(22);
    let shift = 32 - bits;
    let mut table = vec![u32::MAX; 1 << bits];
    let mut lit_start = 0;
    let mut i = 0;
    // The last too-short match (distance, end): the same match seen again from a
    // later position is not extended again (that would be quadratic).
    let mut short = (0usize, 0usize);
    let mut h = hash_at(t, 0);
    loop {
        let slot = (h >> shift) as usize;
        let cand = table[slot];
        if i % STEP == 0 {
            table[slot] = i as u32;
        }
        let mut jumped = false;
        if cand != u32::MAX && !(i - cand as usize == short.0 && i < short.1) {
            let j = cand as usize;
            // Extend forward, then backward over pending literals.
            let mut f = 0;
            while i + f < n && t[j + f] == t[i + f] {
                f += 1;
            }
            if f >= HASH_LEN {
                let mut b = 0;
                while b < i - lit_start && b < j && t[j - b - 1] == t[i - b - 1] {
                    b += 1;
                }
                if f + b >= min {
                    let start = i - b;
                    lits.extend_from_slice(&t[lit_start..start]);
                    copies.push(Copy {
                        lit: start - lit_start,
                        dist: i - j,
                        len: f + b,
                    });
                    i += f;
                    lit_start = i;
                    jumped = true;
                } else {
                    short = (i - j, i + f);
                }
            }
        }
        if i + HASH_LEN >= n {
            break;
        }
        if jumped {
            h = hash_at(t, i);
        } else {
            h = h
                .wrapping_mul(MUL)
                .wrapping_add(t[i + HASH_LEN] as u32 + 1)
                .wrapping_sub(MUL_OUT.wrapping_mul(t[i] as u32 + 1));
            i += 1;
        }
    }
    lits.extend_from_slice(&t[lit_start..]);
    (copies, lits)
}

/// Rebuilds `n` bytes from copies and literals; `None` when they do not fit.
pub fn join(copies: &[Copy], lits: &[u8], n: usize) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(n);
    let mut lp = 0usize;
    for c in copies {
        let l = lits.get(lp..lp.checked_add(c.lit)?)?;
        out.extend_from_slice(l);
        lp += c.lit;
        if c.dist == 0 || c.dist > out.len() || out.len() + c.len > n {
            return None;
        }
        let from = out.len() - c.dist;
        if c.dist >= c.len {
            out.extend_from_within(from..from + c.len);
        } else {
            for k in 0..c.len {
                out.push(out[from + k]);
            }
        }
    }
    out.extend_from_slice(lits.get(lp..)?);
    (out.len() == n).then_some(out)
}

/// Largest unary prefix of a coded number (values stay below 2^40).
const MAX_EXP: usize = 40;

/// Adaptive contexts for one kind of number: its bit length in unary, then its
/// bits below the top one (the first two in a tree, the rest by position).
struct NumModel {
    exp: [Ctr; MAX_EXP + 1],
    top: [[Ctr; 4]; MAX_EXP + 1],
    low: [[Ctr; MAX_EXP]; MAX_EXP + 1],
}

impl NumModel {
    fn new() -> Self {
        NumModel {
            exp: [Ctr::INIT; MAX_EXP + 1],
            top: [[Ctr::INIT; 4]; MAX_EXP + 1],
            low: [[Ctr::INIT; MAX_EXP]; MAX_EXP + 1],
        }
    }

    /// Codes `v` (decoder: ignored) and returns it; `None` past [`MAX_EXP`] bits.
    fn code<I: BitIo>(&mut self, io: &mut I, v: u64) -> Option<u64> {
        let x = v.wrapping_add(1);
        let e_true = x.max(1).ilog2() as usize;
        let mut e = 0;
        loop {
            let c = &mut self.exp[e];
            let more = io.bit(c.p12(), u32::from(e_true > e));
            c.update(more, 30);
            if more == 0 {
                break;
            }
            e += 1;
            if e >= MAX_EXP {
                return None;
            }
        }
        let mut y = 1u64;
        let mut node = 1usize;
        for k in (0..e).rev() {
            let bit_true = ((x >> k) & 1) as u32;
            let c = if node < 4 {
                &mut self.top[e][node]
            } else {
                &mut self.low[e][k]
            };
            let b = io.bit(c.p12(), bit_true);
            c.update(b, 30);
            y = (y << 1) | b as u64;
            node = node * 2 + b as usize;
        }
        Some(y - 1)
    }
}

/// The copy list's model.
pub struct CopyModel {
    lit: NumModel,
    dist: NumModel,
    len: NumModel,
    rep: [Ctr; 4],
    last: usize,
    was_rep: usize,
}

impl CopyModel {
    /// A fresh model (the last distance is 0: no repeat yet).
    pub fn new() -> Self {
        CopyModel {
            lit: NumModel::new(),
            dist: NumModel::new(),
            len: NumModel::new(),
            rep: [Ctr::INIT; 4],
            last: 0,
            was_rep: 0,
        }
    }

    /// Codes copy `c` (decoder: ignored) and returns it; `None` when a decoded
    /// number is out of range.
    pub fn code<I: BitIo>(&mut self, io: &mut I, c: Copy) -> Option<Copy> {
        let lit = self.lit.code(io, c.lit as u64)?;
        let r = &mut self.rep[self.was_rep * 2 + usize::from(lit == 0)];
        let rep = io.bit(r.p12(), u32::from(c.dist == self.last));
        r.update(rep, 30);
        let dist = if rep == 1 {
            self.last as u64
        } else {
            self.dist.code(io, c.dist.wrapping_sub(1) as u64)? + 1
        };
        let len = self.len.code(io, c.len.wrapping_sub(MIN_MATCH) as u64)? + MIN_MATCH as u64;
        self.was_rep = rep as usize;
        self.last = usize::try_from(dist).ok()?;
        Some(Copy {
            lit: usize::try_from(lit).ok()?,
            dist: self.last,
            len: usize::try_from(len).ok()?,
        })
    }
}
