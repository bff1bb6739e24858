//! The block-sorting exact coder (exact payload mode 4): each block of up to
//! [`BLOCK`] bytes through the Burrows-Wheeler transform, the blocks' output through
//! one adaptive entropy stage ([`stage`]). Suffix sorting is linear (SA-IS, [`sais`]).
//! The inverse transform follows several chains of the text at once, so its cache
//! misses overlap. The layout is specified in docs/FORMAT.md ("Exact payload mode 4").

use super::bitrc::{BitDec, BitEnc};

mod long;
mod sais;
mod stage;

/// Largest block the transform takes: a whole packet ([`MAX_PACKET_BYTES`]). Blocks
/// of up to 2^24 bytes (every block before format version 6) invert with a row
/// number and a byte packed in 32 bits, longer ones in 64.
///
/// [`MAX_PACKET_BYTES`]: crate::codec::packet::MAX_PACKET_BYTES
pub const BLOCK: usize = crate::codec::packet::MAX_PACKET_BYTES;

/// Longest block whose inverse packs its entries in 32 bits.
const PACKED32: usize = 1 << 24;

/// Most chains a block's inverse transform follows at once.
const CHAINS: usize = 16;

/// Text positions between chain starts in a block of `n` bytes: a power of two
/// (at least 1) such that at most [`CHAINS`] chains cover the block.
pub fn chain_step(n: usize) -> usize {
    n.div_ceil(CHAINS).max(1).next_power_of_two()
}

/// The transform of one block: the last column without the sentinel's row, and
/// for each chain start `k * chain_step(n)`, its rank among the block's suffixes.
#[inline(never)]
pub fn forward(t: &[u8]) -> (Vec<u8>, Vec<u32>) {
    let n = t.len();
    if n == 0 {
        return (Vec::new(), Vec::new());
    }
    let step = chain_step(n);
    let mask = step - 1;
    let sa = sais::suffix_array(t);
    let mut starts = vec![0u32; n.div_ceil(step)];
    let mut out = Vec::with_capacity(n);
    out.push(t[n - 1]);
    for (i, &p) in sa.iter().enumerate() {
        let p = p as usize;
        if p & mask == 0 {
            starts[p / step] = i as u32;
        }
        if p != 0 {
            out.push(t[p - 1]);
        }
    }
    (out, starts)
}

/// Inverts [`forward`]; `None` when `starts` cannot belong to `l`.
pub fn inverse(l: &[u8], starts: &[u32]) -> Option<Vec<u8>> {
    let n = l.len();
    if n == 0 {
        return starts.is_empty().then(Vec::new);
    }
    let step = chain_step(n);
    if n > BLOCK || starts.len() != n.div_ceil(step) || starts.iter().any(|&s| s as usize >= n) {
        return None;
    }
    Some(if n <= PACKED32 {
        inverse_packed::<u32>(l, starts, step)
    } else {
        inverse_packed::<u64>(l, starts, step)
    })
}

/// An entry of the inverse transform's table: a suffix rank and a byte.
trait Packed: Copy + Default {
    fn pack(rank: usize, c: u8) -> Self;
    fn rank(self) -> usize;
    fn byte(self) -> u8;
}

impl Packed for u32 {
    #[inline(always)]
    fn pack(rank: usize, c: u8) -> Self {
        ((rank as u32) << 8) | c as u32
    }
    #[inline(always)]
    fn rank(self) -> usize {
        (self >> 8) as usize
    }
    #[inline(always)]
    fn byte(self) -> u8 {
        self as u8
    }
}

impl Packed for u64 {
    #[inline(always)]
    fn pack(rank: usize, c: u8) -> Self {
        ((rank as u64) << 8) | c as u64
    }
    #[inline(always)]
    fn rank(self) -> usize {
        (self >> 8) as usize
    }
    #[inline(always)]
    fn byte(self) -> u8 {
        self as u8
    }
}

/// [`inverse`] of a checked block, with table entries of type `P`.
fn inverse_packed<P: Packed>(l: &[u8], starts: &[u32], step: usize) -> Vec<u8> {
    let n = l.len();
    // The sentinel's row in the full last column (rows 0..=n; row 0 is the sentinel's
    // own suffix, so this is at least 1).
    let p = starts[0] as usize + 1;
    let mut cum = [0usize; 256];
    for &c in l {
        cum[c as usize] += 1;
    }
    let mut sum = 0;
    for c in cum.iter_mut() {
        let k = *c;
        *c = sum;
        sum += k;
    }
    // next[j]: for the suffix of sorted rank j, the rank of the suffix one further
    // and its first byte.
    let mut next = vec![P::default(); n];
    for (i, &c) in l.iter().enumerate() {
        let row = if i < p { i } else { i + 1 };
        let k = &mut cum[c as usize];
        next[*k] = P::pack(row.saturating_sub(1), c);
        *k += 1;
    }
    let mut out = vec![0u8; n];
    let chains = starts.len();
    let mut at: Vec<usize> = starts.iter().map(|&s| s as usize).collect();
    let last_len = n - (chains - 1) * step;
    // All chains for the last one's length, then the full ones to the end.
    for k in 0..step {
        let live = if k < last_len { chains } else { chains - 1 };
        for (c, j) in at.iter_mut().enumerate().take(live) {
            let x = next[*j];
            out[c * step + k] = x.byte();
            *j = x.rank();
        }
    }
    out
}

/// Transforms `data` block by block: the chain starts go to `out` (varints), the
/// last columns are returned, concatenated.
fn transform(data: &[u8], out: &mut Vec<u8>) -> Vec<u8> {
    let mut cols = Vec::with_capacity(data.len());
    for block in data.chunks(BLOCK) {
        let (l, starts) = forward(block);
        for s in starts {
            super::write_varint(out, s as u64);
        }
        cols.extend_from_slice(&l);
    }
    cols
}

/// Reads the chain starts of [`transform`] for `n` bytes: per block its starts,
/// and the bytes read; `None` when they are corrupt.
fn read_starts(body: &[u8], n: usize) -> Option<(Vec<Vec<u32>>, usize)> {
    let mut pos = 0;
    let mut all_starts = Vec::new();
    let mut left = n;
    while left > 0 {
        let len = left.min(BLOCK);
        let mut starts = Vec::with_capacity(len.div_ceil(chain_step(len)));
        for _ in 0..len.div_ceil(chain_step(len)) {
            let (s, used) = super::read_varint(body.get(pos..)?)?;
            if s >= len as u64 {
                return None;
            }
            starts.push(s as u32);
            pos += used;
        }
        all_starts.push(starts);
        left -= len;
    }
    Some((all_starts, pos))
}

/// Inverts the blocks of [`transform`].
fn untransform(cols: &[u8], all_starts: &[Vec<u32>]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(cols.len());
    for (l, starts) in cols.chunks(BLOCK).zip(all_starts) {
        out.extend_from_slice(&inverse(l, starts)?);
    }
    Some(out)
}

/// Codes `data` as a mode-4 body: per block its chain starts (varints), then the
/// entropy-coded last columns (no longer written; kept to test mode 4's decoder).
#[cfg(test)]
pub fn encode(data: &[u8], out: &mut Vec<u8>) {
    let cols = transform(data, out);
    let coded = stage::encode(&cols, std::mem::take(out));
    *out = coded;
}

/// Decodes a body of [`encode`] into `n` bytes; `None` when it is corrupt.
pub fn decode(body: &[u8], n: usize) -> Option<Vec<u8>> {
    let (all_starts, pos) = read_starts(body, n)?;
    let cols = stage::decode(&body[pos..], n)?;
    untransform(&cols, &all_starts)
}

/// Codes `data` as a mode-6 body: long repeats cut out as copies ([`long`]), the
/// rest as in mode 4, the copies coded ahead of the columns in one arithmetic
/// stream: the literal count and copy count (varints), the literals' chain
/// starts, then the coded copies and columns.
pub fn encode_long(data: &[u8], out: &mut Vec<u8>) {
    let (copies, lits) = long::split(data);
    super::write_varint(out, lits.len() as u64);
    super::write_varint(out, copies.len() as u64);
    let cols = transform(&lits, out);
    drop(lits);
    let mut enc = BitEnc::new(std::mem::take(out));
    let mut m = long::CopyModel::new();
    for &c in &copies {
        m.code(&mut enc, c);
    }
    stage::encode_into(&mut enc, &cols, true);
    *out = enc.finish();
}

/// Decodes a body of [`encode_long`] into `n` bytes; `None` when it is corrupt.
pub fn decode_long(body: &[u8], n: usize) -> Option<Vec<u8>> {
    let (n_lit, a) = super::read_varint(body)?;
    let (n_copies, b) = super::read_varint(body.get(a..)?)?;
    let n_lit = usize::try_from(n_lit).ok().filter(|&l| l <= n)?;
    let n_copies = usize::try_from(n_copies)
        .ok()
        .filter(|&c| c <= (n - n_lit) / long::MIN_MATCH)?;
    let (all_starts, pos) = read_starts(body.get(a + b..)?, n_lit)?;
    let mut dec = BitDec::new(&body[a + b + pos..]);
    let mut m = long::CopyModel::new();
    let mut copies = Vec::with_capacity(n_copies);
    let (mut lit_sum, mut len_sum) = (0usize, 0usize);
    let dummy = long::Copy {
        lit: 0,
        dist: 0,
        len: 0,
    };
    for _ in 0..n_copies {
        let c = m.code(&mut dec, dummy)?;
        lit_sum = lit_sum.checked_add(c.lit).filter(|&s| s <= n_lit)?;
        len_sum = len_sum.checked_add(c.len).filter(|&s| s <= n - n_lit)?;
        copies.push(c);
    }
    if len_sum != n - n_lit {
        return None;
    }
    let cols = stage::decode_from(&mut dec, n_lit, true)?;
    let lits = untransform(&cols, &all_starts)?;
    long::join(&copies, &lits, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transform_inverts_on_small_and_periodic_blocks() {
        let mut texts: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"a".to_vec(),
            b"banana".to_vec(),
            b"mississippi".to_vec(),
            vec![7u8; 1000],
            (0..=255u8).collect(),
            b"abcab".repeat(999),
        ];
        let mut s: u32 = 1;
        texts.push(
            (0..5000)
                .map(|_| {
                    s = s.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    (s >> 24) as u8 % 5
                })
                .collect(),
        );
        for t in texts {
            let (l, starts) = forward(&t);
            assert_eq!(l.len(), t.len());
            assert_eq!(inverse(&l, &starts).as_deref(), Some(t.as_slice()));
            let mut body = Vec::new();
            encode(&t, &mut body);
            assert_eq!(decode(&body, t.len()).as_deref(), Some(t.as_slice()));
            // Blocks above 2^24 bytes invert with 64-bit entries: the same text.
            if !t.is_empty() {
                let step = chain_step(t.len());
                assert_eq!(inverse_packed::<u64>(&l, &starts, step), t);
            }
        }
    }
}
