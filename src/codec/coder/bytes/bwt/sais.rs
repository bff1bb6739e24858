//! Suffix sorting by induced sorting (SA-IS: Nong, Zhang and Chan, 2009), linear
//! time. The text ends with an implicit sentinel smaller than every symbol, so a
//! suffix that is a prefix of another sorts first. The reduced problem of each
//! level lives inside the caller's suffix array, so memory is the text, the array
//! (4 bytes a symbol) and small per-level tables.

/// An unused slot of the suffix array.
const EMPTY: u32 = u32::MAX;

/// A symbol of a text to sort: bytes at the top level, names below.
pub trait Sym: Copy + Ord {
    /// The symbol as a bucket number.
    fn ix(self) -> usize;
}

impl Sym for u8 {
    #[inline(always)]
    fn ix(self) -> usize {
        self as usize
    }
}

impl Sym for u32 {
    #[inline(always)]
    fn ix(self) -> usize {
        self as usize
    }
}

/// The suffix array of `t` (positions of its suffixes in sorted order).
///
/// `t.len()` must be below `u32::MAX`.
#[inline(never)]
pub fn suffix_array(t: &[u8]) -> Vec<u32> {
    assert!(t.len() < EMPTY as usize, "text too long to suffix-sort");
    let mut sa = vec![0u32; t.len()];
    sais(t, &mut sa, 256);
    sa
}

/// S-type flags, one bit a position: suffix i is smaller than suffix i + 1.
struct Types(Vec<u64>);

impl Types {
    fn of<S: Sym>(t: &[S]) -> Self {
        let n = t.len();
        let mut bits = vec![0u64; n.div_ceil(64)];
        // The last suffix is L: the sentinel after it is smaller.
        let mut next_s = false;
        for i in (0..n.saturating_sub(1)).rev() {
            let s = t[i] < t[i + 1] || (t[i] == t[i + 1] && next_s);
            bits[i >> 6] |= u64::from(s) << (i & 63);
            next_s = s;
        }
        Types(bits)
    }

    #[inline(always)]
    fn s(&self, i: usize) -> bool {
        (self.0[i >> 6] >> (i & 63)) & 1 == 1
    }

    /// Leftmost S: an S-type position after an L-type one.
    #[inline(always)]
    fn lms(&self, i: usize) -> bool {
        i > 0 && self.s(i) && !self.s(i - 1)
    }
}

fn counts<S: Sym>(t: &[S], k: usize) -> Vec<u32> {
    let mut c = vec![0u32; k];
    for &x in t {
        c[x.ix()] += 1;
    }
    c
}

fn heads(counts: &[u32]) -> Vec<u32> {
    let mut sum = 0;
    counts
        .iter()
        .map(|&c| {
            sum += c;
            sum - c
        })
        .collect()
}

fn tails(counts: &[u32]) -> Vec<u32> {
    let mut sum = 0;
    counts
        .iter()
        .map(|&c| {
            sum += c;
            sum
        })
        .collect()
}

/// Induces the order of L-type suffixes from the sorted ones at bucket tails, then
/// the order of S-type suffixes from the L-type ones.
fn induce<S: Sym>(t: &[S], sa: &mut [u32], types: &Types, counts: &[u32]) {
    let n = t.len();
    let mut b = heads(counts);
    // The sentinel's suffix comes first and induces the last suffix (L-type).
    let c = t[n - 1].ix();
    sa[b[c] as usize] = (n - 1) as u32;
    b[c] += 1;
    for i in 0..n {
        let j = sa[i];
        if j != EMPTY && j > 0 {
            let j1 = j as usize - 1;
            if !types.s(j1) {
                let c = t[j1].ix();
                sa[b[c] as usize] = j1 as u32;
                b[c] += 1;
            }
        }
    }
    let mut b = tails(counts);
    for i in (0..n).rev() {
        let j = sa[i];
        if j != EMPTY && j > 0 {
            let j1 = j as usize - 1;
            if types.s(j1) {
                let c = t[j1].ix();
                b[c] -= 1;
                sa[b[c] as usize] = j1 as u32;
            }
        }
    }
}

/// Sorts the suffixes of `t` (symbols below `k`) into `sa` (`sa.len() == t.len()`).
#[inline(never)]
pub fn sais<S: Sym>(t: &[S], sa: &mut [u32], k: usize) {
    let n = t.len();
    debug_assert_eq!(sa.len(), n);
    match n {
        0 => return,
        1 => {
            sa[0] = 0;
            return;
        }
        _ => {}
    }
    let types = Types::of(t);
    let cnt = counts(t, k);

    // Sort the LMS substrings: LMS positions at their bucket tails, then induce.
    sa.fill(EMPTY);
    let mut b = tails(&cnt);
    for (i, &x) in t.iter().enumerate().skip(1) {
        if types.lms(i) {
            let c = x.ix();
            b[c] -= 1;
            sa[b[c] as usize] = i as u32;
        }
    }
    induce(t, sa, &types, &cnt);
    drop(cnt);

    // The sorted LMS substrings to the front.
    let mut n1 = 0;
    for i in 0..n {
        let j = sa[i];
        if types.lms(j as usize) {
            sa[n1] = j;
            n1 += 1;
        }
    }

    // Each LMS substring's length (to its next LMS position, inclusive; the last
    // one runs into the sentinel) at slot n1 + p / 2: LMS positions are at least
    // two apart, and n1 <= n / 2.
    sa[n1..].fill(EMPTY);
    let mut next = n;
    for p in (1..n).rev() {
        if types.lms(p) {
            sa[n1 + p / 2] = (next - p + 1) as u32;
            next = p;
        }
    }
    // Name the substrings: equal names for equal substrings, in sorted order.
    let mut names = 0u32;
    let (mut prev, mut prev_len) = (usize::MAX, 0usize);
    for i in 0..n1 {
        let p = sa[i] as usize;
        let len = sa[n1 + p / 2] as usize;
        let same = prev != usize::MAX
            && len == prev_len
            && p + len <= n
            && prev + len <= n
            && t[p..p + len] == t[prev..prev + len];
        if !same {
            names += 1;
            prev = p;
            prev_len = len;
        }
        sa[n1 + p / 2] = names - 1;
    }
    // The reduced text (names in text order) to the back.
    let mut j = n;
    for i in (n1..n).rev() {
        if sa[i] != EMPTY {
            j -= 1;
            sa[j] = sa[i];
        }
    }

    // Sort the reduced text's suffixes: the order of the LMS suffixes.
    {
        let (head, tail) = sa.split_at_mut(n - n1);
        let (t1, sa1) = (&tail[..], &mut head[..n1]);
        if (names as usize) < n1 {
            sais(t1, sa1, names as usize);
        } else {
            for (i, &c) in t1.iter().enumerate() {
                sa1[c as usize] = i as u32;
            }
        }
    }

    // Reduced suffix numbers back to text positions.
    let mut j = n - n1;
    for i in 1..n {
        if types.lms(i) {
            sa[j] = i as u32;
            j += 1;
        }
    }
    for i in 0..n1 {
        sa[i] = sa[n - n1 + sa[i] as usize];
    }
    sa[n1..].fill(EMPTY);

    // The sorted LMS suffixes at their bucket tails, then the final induction.
    let cnt = counts(t, k);
    let mut b = tails(&cnt);
    for i in (0..n1).rev() {
        let p = sa[i];
        sa[i] = EMPTY;
        let c = t[p as usize].ix();
        b[c] -= 1;
        sa[b[c] as usize] = p;
    }
    induce(t, sa, &types, &cnt);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(t: &[u8]) -> Vec<u32> {
        let mut sa: Vec<u32> = (0..t.len() as u32).collect();
        sa.sort_by(|&a, &b| t[a as usize..].cmp(&t[b as usize..]));
        sa
    }

    fn check(t: &[u8]) {
        assert_eq!(
            suffix_array(t),
            naive(t),
            "text {:?}",
            &t[..t.len().min(40)]
        );
    }

    #[test]
    fn small_and_adversarial_texts_sort_like_a_naive_sort() {
        check(b"");
        check(b"a");
        check(b"\0");
        check(b"\xff");
        check(b"banana");
        check(b"mississippi");
        check(b"abracadabra abracadabra");
        for n in 1..70 {
            check(&vec![b'a'; n]);
            check(&vec![0u8; n]);
            check(&(0..n).map(|i| (i % 2) as u8).collect::<Vec<_>>());
            check(&(0..n).map(|i| b"abc"[i % 3]).collect::<Vec<_>>());
            check(&(0..n).map(|i| b"aab"[i % 3]).collect::<Vec<_>>());
            check(&(0..n).map(|i| (255 - i) as u8).collect::<Vec<_>>());
            check(&(0..n).map(|i| i as u8).collect::<Vec<_>>());
        }
        let all: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
        check(&all);
        // Fibonacci words: the deepest recursion for their length.
        let (mut a, mut b) = (b"a".to_vec(), b"ab".to_vec());
        while b.len() < 5000 {
            let c = [b.as_slice(), a.as_slice()].concat();
            a = b;
            b = c;
        }
        check(&b);
        // Periodic with a long period, and runs.
        let p: Vec<u8> = (0..997u32).map(|i| (i * 7919 % 251) as u8).collect();
        check(&p.repeat(5));
        let runs: Vec<u8> = (0..3000u32).map(|i| ((i / 37) % 3) as u8).collect();
        check(&runs);
    }

    #[test]
    fn random_texts_sort_like_a_naive_sort() {
        let mut s: u64 = 0x9e37_79b9_7f4a_7c15;
        for round in 0..400 {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let n = (s >> 33) as usize % 600;
            let alpha = [2u64, 3, 4, 26, 256][round % 5];
            let t: Vec<u8> = (0..n)
                .map(|_| {
                    s = s
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((s >> 33) % alpha) as u8
                })
                .collect();
            check(&t);
        }
    }
}
