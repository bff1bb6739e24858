//! Seeds: the one home for seed derivation and hash-to-uniform draws.
//!
//! Every seeded choice in the crate goes through here, so that "the same seed gives
//! the same result" has one meaning:
//! - [`mix64`] is SplitMix64's finalizer, the one 64-bit mixing function;
//! - [`derive()`] makes a child seed from a parent seed and a labelled index (a trial, a
//!   sweep point, the role of a stream: graph, known set, learner draws);
//! - [`unit()`] and [`uniform`] turn a hash into a uniform number in [0, 1), so a draw
//!   can be a pure function of its key (a (text, skill) pair, a skill, a text) rather
//!   than of a generator's position;
//! - [`rng`] is the generator for sequential draws (sampling graphs).

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The random number generator used for every sequential seeded choice.
pub type SeededRng = Xoshiro256PlusPlus;

/// A generator seeded from `seed`.
pub fn rng(seed: u64) -> SeededRng {
    Xoshiro256PlusPlus::seed_from_u64(seed)
}

/// SplitMix64's finalizer: a fast, well-mixed 64-bit hash.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Roles of derived seeds: distinct constants keep the streams of one parent apart.
pub mod role {
    /// The random graph of a trial.
    pub const GRAPH: u64 = 0x4752_4150;
    /// The initially known set (δ).
    pub const KNOWN: u64 = 0x4B4E_4F57;
    /// A probabilistic learner's per-(text, skill) draws.
    pub const LEARNER: u64 = 0x4C45_4152;
    /// Fresh (test) texts.
    pub const FRESH: u64 = 0x4652_4553;
    /// A sweep point.
    pub const POINT: u64 = 0x5EED;
    /// A trial within a point.
    pub const TRIAL: u64 = 0x5452_4941;
    /// Held-out texts of a corpus.
    pub const HOLDOUT: u64 = 0x484F_4C44;
}

/// The child seed of `parent` for `role` and `index`.
#[inline]
pub fn derive(parent: u64, role: u64, index: u64) -> u64 {
    mix64(parent ^ mix64(role ^ mix64(index)))
}

/// The uniform number in [0, 1) that a 64-bit hash stands for (its top 53 bits).
#[inline]
pub fn unit(h: u64) -> f64 {
    (h >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A uniform number in [0, 1) that is a pure function of `(seed, key)`.
#[inline]
pub fn uniform(seed: u64, key: u64) -> f64 {
    unit(mix64(seed ^ mix64(key)))
}

/// A uniform number in [0, 1) that is a pure function of `(seed, a, b)` (a pair key,
/// such as a (text, skill) edge).
#[inline]
pub fn uniform2(seed: u64, a: u64, b: u64) -> f64 {
    unit(mix64(
        seed ^ mix64(a ^ mix64(b.wrapping_add(0xA076_1D64_78BD_642F))),
    ))
}

/// True with probability `p`, as a pure function of `(seed, key)`.
#[inline]
pub fn bernoulli(seed: u64, key: u64, p: f64) -> bool {
    uniform(seed, key) < p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniforms_are_in_range_and_look_uniform() {
        let n = 100_000u64;
        let mut sum = 0.0;
        let mut below = 0;
        for k in 0..n {
            let u = uniform(7, k);
            assert!((0.0..1.0).contains(&u));
            sum += u;
            below += (u < 0.25) as u64;
        }
        // Mean 1/2 with sd 1/sqrt(12 n); quarter count binomial: 5 sd bounds.
        let sd_mean = (1.0 / (12.0 * n as f64)).sqrt();
        assert!((sum / n as f64 - 0.5).abs() < 5.0 * sd_mean);
        let sd_q = (n as f64 * 0.25 * 0.75).sqrt();
        assert!((below as f64 - 0.25 * n as f64).abs() < 5.0 * sd_q);
    }

    #[test]
    fn derived_seeds_differ_by_role_and_index() {
        let a = derive(1, role::GRAPH, 0);
        assert_ne!(a, derive(1, role::KNOWN, 0));
        assert_ne!(a, derive(1, role::GRAPH, 1));
        assert_ne!(a, derive(2, role::GRAPH, 0));
        assert_eq!(a, derive(1, role::GRAPH, 0));
        assert_ne!(uniform2(3, 1, 2), uniform2(3, 2, 1));
    }
}
