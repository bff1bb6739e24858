//! Adaptive frequency models: a growable Fenwick tree for big alphabets, small
//! linear tables, PPM context lists with exclusion, and an order-1 byte speller.

use super::rc::{Dec, Enc};
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

/// A fast multiplicative hasher for the models' integer and byte-string keys
/// (keys are not attacker-chosen in a way that matters: collisions only cost speed).
#[derive(Default, Clone, Copy)]
pub struct FxBuild;

/// The hasher built by [`FxBuild`].
pub struct Fx(u64);

const K: u64 = 0x517c_c1b7_2722_0a95;

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ b as u64).wrapping_mul(K);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(K);
    }
    fn write_u32(&mut self, v: u32) {
        self.write_u64(v as u64);
    }
    fn write_usize(&mut self, v: usize) {
        self.write_u64(v as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

impl BuildHasher for FxBuild {
    type Hasher = Fx;
    fn build_hasher(&self) -> Fx {
        Fx(0)
    }
}

/// A hash map with the fast hasher.
pub type FxMap<K, V> = HashMap<K, V, FxBuild>;

/// Mixes context parts into one 64-bit key.
#[inline]
pub fn mix(a: u64, b: u64) -> u64 {
    let x = (a ^ b.rotate_left(29)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    x ^ (x >> 31)
}

/// Frequencies over a growable alphabet with O(log n) cumulative sums and search.
#[derive(Clone, Debug, Default)]
pub struct Fenwick {
    tree: Vec<u32>,
    freq: Vec<u32>,
    total: u32,
}

impl Fenwick {
    /// A tree over the given frequencies, built in O(n).
    pub fn from_freqs(f: &[u32]) -> Self {
        let n = f.len();
        let mut tree = vec![0u32; n + 1];
        tree[1..].copy_from_slice(f);
        for i in 1..=n {
            let j = i + (i & i.wrapping_neg());
            if j <= n {
                tree[j] = tree[j].wrapping_add(tree[i]);
            }
        }
        Fenwick {
            tree,
            freq: f.to_vec(),
            total: f.iter().sum(),
        }
    }

    /// Number of symbols.
    pub fn len(&self) -> usize {
        self.freq.len()
    }

    /// Sum of all frequencies.
    pub fn total(&self) -> u32 {
        self.total
    }

    /// Frequency of symbol `i`.
    #[inline]
    pub fn freq(&self, i: usize) -> u32 {
        self.freq[i]
    }

    /// Sum of the frequencies of symbols `0..i`.
    #[inline]
    pub fn cum(&self, i: usize) -> u32 {
        let mut i = i;
        let mut s = 0u32;
        while i > 0 {
            s = s.wrapping_add(self.tree[i]);
            i &= i - 1;
        }
        s
    }

    /// Appends a symbol with frequency `f`.
    pub fn push(&mut self, f: u32) {
        let n = self.freq.len() + 1;
        let low = n & n.wrapping_neg();
        let node = f
            .wrapping_add(self.cum(n - 1))
            .wrapping_sub(self.cum(n - low));
        self.tree.push(node);
        self.freq.push(f);
        self.total += f;
    }

    /// Adds `d` to the frequency of symbol `i`.
    #[inline]
    pub fn add(&mut self, i: usize, d: u32) {
        self.freq[i] += d;
        self.total += d;
        let mut j = i + 1;
        while j < self.tree.len() {
            self.tree[j] = self.tree[j].wrapping_add(d);
            j += j & j.wrapping_neg();
        }
    }

    /// Removes `d` from the frequency of symbol `i` (undoing an [`Fenwick::add`]).
    pub fn sub(&mut self, i: usize, d: u32) {
        self.freq[i] -= d;
        self.total -= d;
        let mut j = i + 1;
        while j < self.tree.len() {
            self.tree[j] = self.tree[j].wrapping_sub(d);
            j += j & j.wrapping_neg();
        }
    }

    /// The symbol whose interval holds `t` (t < total), as (symbol, cum, freq).
    #[inline]
    pub fn find(&self, t: u32) -> (u32, u32, u32) {
        let n = self.freq.len();
        let mut pos = 0usize;
        let mut rem = t;
        let mut step = if n == 0 {
            0
        } else {
            1usize << (usize::BITS - 1 - n.leading_zeros())
        };
        while step > 0 {
            let nxt = pos + step;
            if nxt <= n && self.tree[nxt] <= rem {
                pos = nxt;
                rem -= self.tree[nxt];
            }
            step >>= 1;
        }
        let pos = pos.min(n.saturating_sub(1));
        (
            pos as u32,
            t - rem,
            self.freq.get(pos).copied().unwrap_or(1),
        )
    }

    /// Sorted (symbol, compressed start, freq) of the excluded symbols at or above
    /// `start`, and their total frequency: the order-0 distribution restricted to
    /// symbols `start..` with the excluded ones removed. Returns (excluded mass, mass
    /// below start).
    /// Only the first [`EXCL_MAX`] excluded symbols are removed (bounds the work);
    /// the encoder passes `sorted = false`, which skips what only decoding needs.
    pub fn excluded(
        &self,
        list: &[u32],
        start: usize,
        out: &mut Vec<(u32, u32, u32)>,
        sorted: bool,
    ) -> (u32, u32) {
        out.clear();
        let mut e = 0;
        for &s in &list[..list.len().min(EXCL_MAX)] {
            if (s as usize) < self.freq.len() && s as usize >= start {
                let f = self.freq[s as usize];
                out.push((s, 0, f));
                e += f;
            }
        }
        let lo = if start == 0 {
            0
        } else {
            self.cum(start.min(self.freq.len()))
        };
        if sorted {
            out.sort_unstable_by_key(|x| x.0);
            let mut before = 0;
            for x in out.iter_mut() {
                x.1 = self.cum(x.0 as usize) - lo - before;
                before += x.2;
            }
        }
        (e, lo)
    }

    /// Codes symbol `i` (>= start) in the distribution of [`Fenwick::excluded`].
    pub fn encode_excl(
        &self,
        enc: &mut Enc,
        i: usize,
        ex: &[(u32, u32, u32)],
        (e, lo): (u32, u32),
    ) {
        let before: u32 = ex.iter().filter(|x| (x.0 as usize) < i).map(|x| x.2).sum();
        enc.put(self.cum(i) - lo - before, self.freq[i], self.total - lo - e);
    }

    /// Decodes a symbol coded by [`Fenwick::encode_excl`] (None when nothing is left).
    pub fn decode_excl(
        &self,
        dec: &mut Dec,
        ex: &[(u32, u32, u32)],
        (e, lo): (u32, u32),
    ) -> Option<u32> {
        let total = self.total.checked_sub(lo)?.checked_sub(e)?;
        if total == 0 {
            return None;
        }
        Some(dec.get(total, |t| {
            let mut full = t + lo;
            let mut before = 0;
            for x in ex {
                if x.1 <= t {
                    full += x.2;
                    before += x.2;
                } else {
                    break;
                }
            }
            let (s, cum, f) = self.find(full.min(self.total.saturating_sub(1)));
            (s, cum.saturating_sub(before + lo), f)
        }))
    }

    /// Halves every frequency (keeping each at least 1) so recent counts weigh more.
    pub fn halve(&mut self) {
        let f: Vec<u32> = self.freq.iter().map(|&x| x.div_ceil(2)).collect();
        *self = Fenwick::from_freqs(&f);
    }
}

/// Most excluded symbols removed from an order-0 distribution.
pub const EXCL_MAX: usize = 48;

/// A small adaptive frequency table coded by linear scan.
#[derive(Clone, Debug)]
pub struct Freq {
    f: Vec<u32>,
    total: u32,
    limit: u32,
}

impl Freq {
    /// A table over `n` symbols, each starting at `init`, halved when the total passes `limit`.
    pub fn new(n: usize, init: u32, limit: u32) -> Self {
        Freq {
            f: vec![init; n],
            total: init * n as u32,
            limit,
        }
    }

    /// A table with given starting frequencies (each at least 1).
    pub fn with(f: Vec<u32>, limit: u32) -> Self {
        let f: Vec<u32> = f.into_iter().map(|x| x.max(1)).collect();
        let total = f.iter().sum();
        Freq { f, total, limit }
    }

    /// Appends a symbol.
    pub fn push(&mut self, init: u32) {
        self.f.push(init.max(1));
        self.total += init.max(1);
    }

    /// Codes symbol `s`.
    pub fn encode(&self, enc: &mut Enc, s: usize) {
        let cum: u32 = self.f[..s].iter().sum();
        enc.put(cum, self.f[s], self.total);
    }

    /// Decodes a symbol.
    pub fn decode(&self, dec: &mut Dec) -> usize {
        let f = &self.f;
        dec.get(self.total, |t| {
            let mut c = 0u32;
            for (i, &x) in f.iter().enumerate() {
                if t < c + x {
                    return (i as u32, c, x);
                }
                c += x;
            }
            let last = f.len() - 1;
            (last as u32, c - f[last], f[last])
        }) as usize
    }

    /// Adds `d` to symbol `s`, halving everything when the total passes the limit.
    pub fn inc(&mut self, s: usize, d: u32) {
        self.f[s] += d;
        self.total += d;
        if self.total > self.limit {
            self.total = 0;
            for x in &mut self.f {
                *x = x.div_ceil(2);
                self.total += *x;
            }
        }
    }
}

/// Stamps marking the symbols excluded at the current coding step.
#[derive(Default)]
pub struct Excl {
    stamp: Vec<u32>,
    cur: u32,
    /// The excluded symbols, in the order they were excluded.
    pub list: Vec<u32>,
}

impl Excl {
    /// Starts a new coding step with nothing excluded.
    #[inline]
    pub fn clear(&mut self) {
        self.list.clear();
        self.cur = self.cur.wrapping_add(1);
        if self.cur == 0 {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.cur = 1;
        }
    }
    /// True when `s` is excluded.
    #[inline]
    pub fn has(&self, s: u32) -> bool {
        self.stamp.get(s as usize) == Some(&self.cur)
    }
    /// Excludes `s`.
    #[inline]
    pub fn set(&mut self, s: u32) {
        let i = s as usize;
        if i >= self.stamp.len() {
            self.stamp.resize(i + 1024, 0);
        }
        if self.stamp[i] != self.cur {
            self.stamp[i] = self.cur;
            self.list.push(s);
        }
    }
}

/// The symbols seen in one context, with counts.
#[derive(Default, Clone)]
pub struct Node {
    /// Symbols in order of first appearance.
    pub syms: Vec<u32>,
    /// Their counts.
    pub cnts: Vec<u32>,
    /// Sum of counts.
    pub total: u32,
}

/// Escape marker returned by the PPM decoder when every context escaped.
pub const NONE: u32 = u32::MAX;

/// PPM context statistics: nodes keyed by hashed contexts, coded highest order first
/// with exclusion of symbols already ruled out.
pub struct Ppm {
    map: FxMap<u64, u32>,
    nodes: Vec<Node>,
    /// Symbols excluded in the current step.
    pub excl: Excl,
    /// Count a symbol gets when first seen in a context.
    pub init: u32,
    /// Count added on each further occurrence.
    pub inc: u32,
    /// Node totals above this are halved.
    pub limit: u32,
    /// Escape count per distinct symbol, in quarters.
    pub esc4: u32,
    /// Secondary escape estimation: (escapes, observations) per context class.
    see: Vec<(u32, u32)>,
    /// Nodes found by the last coding step, so its update skips the hash lookups.
    cache: Vec<(u64, u32)>,
    /// Symbols at or below this are impossible (set level: codes come ascending).
    pub floor: Option<u32>,
    /// Update every context, not just those down to the one that coded the symbol.
    pub full: bool,
    /// Whether coding charges its own tags (else the caller's tag stays).
    pub tagged: bool,
    /// Trace tag of the first context (the k-th context is charged to tag + k).
    pub tag: usize,
}

impl Ppm {
    /// Empty statistics with PPMD-like counting.
    pub fn new() -> Self {
        Ppm {
            map: FxMap::default(),
            nodes: Vec::new(),
            excl: Excl::default(),
            init: 1,
            inc: 2,
            limit: 1 << 16,
            tag: 0,
            tagged: true,
            full: false,
            floor: None,
            esc4: 4,
            see: Vec::new(),
            cache: Vec::new(),
        }
    }

    /// Sum and distinct count of the node's non-excluded symbols.
    #[inline]
    fn out(&self, s: u32) -> bool {
        self.excl.has(s) || self.floor.is_some_and(|f| s <= f)
    }

    #[inline]
    fn live(&self, n: &Node) -> (u32, u32) {
        if self.excl.list.is_empty() && self.floor.is_none() {
            return (n.total, n.syms.len() as u32);
        }
        let mut sum = 0;
        let mut d = 0;
        for (&s, &c) in n.syms.iter().zip(&n.cnts) {
            if !self.out(s) {
                sum += c;
                d += 1;
            }
        }
        (sum, d)
    }

    #[inline]
    fn esc(&self, d: u32) -> u32 {
        (d * self.esc4 / 4).max(1)
    }

    /// The secondary-estimation class of a context: its order, distinct count and mass.
    #[inline]
    fn see_class(k: usize, d: u32, sum: u32) -> usize {
        k.min(7) * 64 + (d.min(8) as usize - 1) * 8 + (sum.max(1).ilog2() as usize).min(7)
    }

    /// The escape count of a context: from its class's observed escape rate when SEE
    /// is on, else from its distinct count.
    #[inline]
    fn esc_of(&self, k: usize, d: u32, sum: u32) -> u32 {
        if self.see.is_empty() {
            return self.esc(d);
        }
        let (e, n) = self.see[Self::see_class(k, d, sum)];
        let v = sum as u64 * e as u64 / (n - e).max(1) as u64;
        v.clamp(1, 1 << 22) as u32
    }

    /// Records whether a context of the class escaped.
    #[inline]
    fn see_update(&mut self, k: usize, d: u32, sum: u32, escaped: bool) {
        if self.see.is_empty() {
            return;
        }
        let x = &mut self.see[Self::see_class(k, d, sum)];
        x.1 += 32;
        if escaped {
            x.0 += 32;
        }
        if x.1 > 1 << 13 {
            x.0 = x.0.div_ceil(2);
            x.1 /= 2;
        }
        x.0 = x.0.clamp(1, x.1 - 1);
    }

    /// Turns on secondary escape estimation.
    pub fn with_see(mut self) -> Self {
        // Each class starts at an escape rate of 1/3, worth a few observations.
        self.see = vec![(32, 96); 8 * 64];
        self
    }

    /// Codes `sym` in the contexts `keys` (highest order first). Returns the index of
    /// the context that coded it, or keys.len() when all escaped (the caller then
    /// codes it with its order-0 model). Symbols of escaped contexts are excluded.
    pub fn encode(&mut self, enc: &mut Enc, keys: &[u64], sym: u32) -> usize {
        self.cache.clear();
        for (k, key) in keys.iter().enumerate() {
            let Some(&ni) = self.map.get(key) else {
                continue;
            };
            self.cache.push((*key, ni));
            if self.tagged {
                enc.tag = self.tag + k;
            }
            let n = &self.nodes[ni as usize];
            // One pass: the live mass, the distinct count and the symbol's interval.
            let fast = self.excl.list.is_empty() && self.floor.is_none();
            let (mut sum, mut d, mut hit) = (0u32, 0u32, None);
            if fast {
                for (&s, &c) in n.syms.iter().zip(&n.cnts) {
                    if s == sym {
                        hit = Some((sum, c));
                        break;
                    }
                    sum += c;
                }
                sum = n.total;
                d = n.syms.len() as u32;
            } else {
                for (&s, &c) in n.syms.iter().zip(&n.cnts) {
                    if self.out(s) {
                        continue;
                    }
                    if s == sym {
                        hit = Some((sum, c));
                    }
                    sum += c;
                    d += 1;
                }
            }
            if sum == 0 {
                continue;
            }
            let esc = self.esc_of(k, d, sum);
            let total = sum + esc;
            if let Some((cum, c)) = hit {
                enc.put(cum, c, total);
                self.see_update(k, d, sum, false);
                return k;
            }
            enc.put(sum, esc, total);
            self.see_update(k, d, sum, true);
            for i in 0..self.nodes[ni as usize].syms.len() {
                let s = self.nodes[ni as usize].syms[i];
                self.excl.set(s);
            }
        }
        keys.len()
    }

    /// Decodes a symbol coded by [`Ppm::encode`]: (symbol or NONE, context index).
    pub fn decode(&mut self, dec: &mut Dec, keys: &[u64]) -> (u32, usize) {
        self.cache.clear();
        for (k, key) in keys.iter().enumerate() {
            let Some(&ni) = self.map.get(key) else {
                continue;
            };
            self.cache.push((*key, ni));
            let n = &self.nodes[ni as usize];
            let (sum, d) = self.live(n);
            if sum == 0 {
                continue;
            }
            let esc = self.esc_of(k, d, sum);
            let total = sum + esc;
            let this = &*self;
            let s = dec.get(total, |t| {
                if t >= sum {
                    return (NONE, sum, esc);
                }
                let mut cum = 0;
                for (&s, &c) in n.syms.iter().zip(&n.cnts) {
                    if this.out(s) {
                        continue;
                    }
                    if t < cum + c {
                        return (s, cum, c);
                    }
                    cum += c;
                }
                (NONE, sum, esc)
            });
            self.see_update(k, d, sum, s == NONE);
            if s != NONE {
                return (s, k);
            }
            let n = &self.nodes[ni as usize];
            for i in 0..n.syms.len() {
                let s = self.nodes[ni as usize].syms[i];
                self.excl.set(s);
            }
        }
        (NONE, keys.len())
    }

    /// Counts `sym` in the contexts `keys[..upto]`.
    pub fn update(&mut self, keys: &[u64], upto: usize, sym: u32) {
        let upto = if self.full { keys.len() } else { upto + 1 };
        for key in &keys[..upto.min(keys.len())] {
            self.add(*key, sym, self.init, self.inc);
        }
    }

    /// Adds `sym` to a context: `init` when new, else `inc`.
    pub fn add(&mut self, key: u64, sym: u32, init: u32, inc: u32) {
        let cached = self.cache.iter().find(|x| x.0 == key).map(|x| x.1);
        let ni = match cached.or_else(|| self.map.get(&key).copied()) {
            Some(i) => i as usize,
            None => {
                self.nodes.push(Node::default());
                let i = self.nodes.len() - 1;
                self.map.insert(key, i as u32);
                i
            }
        };
        let limit = self.limit;
        let n = &mut self.nodes[ni];
        match n.syms.iter().position(|&s| s == sym) {
            Some(p) => {
                n.cnts[p] += inc;
                n.total += inc;
                // One step toward the front keeps frequent symbols early for the scans.
                if p > 0 && n.cnts[p] > n.cnts[p - 1] {
                    n.cnts.swap(p, p - 1);
                    n.syms.swap(p, p - 1);
                }
            }
            None => {
                n.syms.push(sym);
                n.cnts.push(init);
                n.total += init;
            }
        }
        if n.total > limit {
            n.total = 0;
            for c in &mut n.cnts {
                *c = c.div_ceil(2);
                n.total += *c;
            }
        }
    }
}

/// Number of symbols of the byte speller: 256 bytes and an end mark.
pub const SPELL_N: usize = 257;
/// The end mark of a spelled string.
pub const SPELL_END: usize = 256;

/// Byte model for spelling strings: PPM over the previous three and two bytes of the
/// string, escaping to order-1 rows that start from shared priors (copied only when
/// a packet first adapts them).
pub struct Spell<'a> {
    prior: &'a [Freq],
    rows: Vec<Option<Freq>>,
    ppm: Ppm,
}

impl<'a> Spell<'a> {
    /// A speller starting from `prior` (257 rows: one per previous byte, and the start).
    pub fn new(prior: &'a [Freq]) -> Self {
        let mut ppm = Ppm::new();
        ppm.init = 1;
        ppm.inc = 2;
        ppm.tagged = false;
        Spell {
            prior,
            rows: vec![None; SPELL_N],
            ppm: ppm.with_see(),
        }
    }

    fn row(&self, c: usize) -> &Freq {
        self.rows[c].as_ref().unwrap_or(&self.prior[c])
    }

    fn bump(&mut self, c: usize, s: usize) {
        if self.rows[c].is_none() {
            self.rows[c] = Some(self.prior[c].clone());
        }
        if let Some(r) = self.rows[c].as_mut() {
            r.inc(s, 16);
        }
    }

    fn keys(out: &[u8]) -> [u64; 2] {
        let b = |i: usize| {
            if out.len() >= i {
                out[out.len() - i] as u64
            } else {
                0x100
            }
        };
        [
            mix(mix(mix(b(3), b(2)), b(1)), 41),
            mix(mix(b(2), b(1)), 42),
        ]
    }

    /// Codes a byte string followed by the end mark.
    pub fn encode(&mut self, enc: &mut Enc, bytes: &[u8]) {
        let mut c = SPELL_END;
        for (i, s) in bytes
            .iter()
            .map(|&b| b as usize)
            .chain([SPELL_END])
            .enumerate()
        {
            let keys = Self::keys(&bytes[..i.min(bytes.len())]);
            self.ppm.excl.clear();
            let k = self.ppm.encode(enc, &keys, s as u32);
            if k >= keys.len() {
                self.row(c).encode(enc, s);
            }
            self.ppm.update(&keys, k, s as u32);
            self.bump(c, s);
            c = s;
        }
    }

    /// Decodes a byte string of at most `max` bytes (None when longer: corrupt data).
    pub fn decode(&mut self, dec: &mut Dec, max: usize) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let mut c = SPELL_END;
        loop {
            let keys = Self::keys(&out);
            self.ppm.excl.clear();
            let (s, k) = self.ppm.decode(dec, &keys);
            let s = if s == NONE {
                self.row(c).decode(dec)
            } else {
                s as usize
            };
            if s >= SPELL_N || dec.bad {
                return None;
            }
            self.ppm.update(&keys, k, s as u32);
            self.bump(c, s);
            if s == SPELL_END {
                return Some(out);
            }
            if out.len() >= max {
                return None;
            }
            out.push(s as u8);
            c = s;
        }
    }
}

/// Prior rows for [`Spell`] from sample strings (bigram counts plus a floor).
pub fn spell_prior<'s>(samples: impl Iterator<Item = &'s [u8]>) -> Vec<Freq> {
    let mut counts = vec![vec![0u32; SPELL_N]; SPELL_N];
    for w in samples {
        let mut c = SPELL_END;
        for s in w.iter().map(|&b| b as usize).chain([SPELL_END]) {
            counts[c][s] = counts[c][s].saturating_add(1);
            c = s;
        }
    }
    counts
        .into_iter()
        .map(|row| {
            let sum: u64 = row.iter().map(|&x| x as u64).sum();
            // Scale the sample counts so a row's total stays well inside the coder's range.
            let k = if sum > 1 << 18 {
                (1u64 << 18) as f64 / sum as f64
            } else {
                1.0
            };
            let f = row
                .iter()
                .map(|&x| 1 + ((x as f64 * k * 16.0) as u32))
                .collect();
            Freq::with(f, 1 << 22)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fenwick_matches_naive() {
        let mut f = Fenwick::from_freqs(&[3, 1, 4, 1, 5]);
        for x in [9u32, 2, 6, 5, 3, 5, 8] {
            f.push(x);
        }
        f.add(3, 7);
        let freqs: Vec<u32> = (0..f.len()).map(|i| f.freq(i)).collect();
        let mut c = 0;
        for (i, &x) in freqs.iter().enumerate() {
            assert_eq!(f.cum(i), c);
            for t in c..c + x {
                assert_eq!(f.find(t), (i as u32, c, x));
            }
            c += x;
        }
        assert_eq!(f.total(), c);
    }
}
