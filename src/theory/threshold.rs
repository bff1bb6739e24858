//! Thresholds from density evolution: the ratio R* where learning completes, the
//! largest unknown fraction δ* a foundation may leave, and, where ε never reaches 0,
//! the emergence point and the ratio needed for a target ε.
//!
//! Every probe runs density evolution with early exit (x below [`super::de::COMPLETE`] ends the
//! run as a success; a stall at a positive fixed point ends it as a failure), so a
//! bisection to 1e-4 costs a few milliseconds for the published profiles.

use super::de::{DeParams, Prepared};
use serde::Serialize;

/// Largest ratio a search will try before giving up.
pub const MAX_RATIO: f64 = 1e6;

/// A threshold in both forms.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Threshold {
    /// G* = 1 / R*: skills per text at the threshold (the IRSA load).
    pub load: f64,
    /// R*: the smallest texts-per-skill ratio at which learning completes.
    pub ratio: f64,
}

/// Where ε(R) falls fastest.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EmergencePoint {
    /// The ratio of steepest descent of ε.
    pub ratio: f64,
    /// dε/dR there (negative: ε falls as R grows); a finite difference on the finest
    /// grid, so it grows without bound at a true jump.
    pub slope: f64,
}

fn completes(prep: &Prepared, r: f64, delta: f64) -> bool {
    prep.run(r, delta, false, true).complete()
}

/// The ratio threshold R* (and G* = 1/R*), bisected to `tol` in R.
///
/// `p.ratio` is ignored. `None` when ε never reaches 0 (Λ(0) > 0, degree-1 skills,
/// Poisson-mixture skills), when R is implied by two degree tables (configuration
/// model: see [`DeParams::ratio_is_implied`]), or when no R up to [`MAX_RATIO`] works.
pub fn ratio_threshold(p: &DeParams, tol: f64) -> Option<Threshold> {
    if p.ratio_is_implied() || p.never_complete() || !(0.0..=1.0).contains(&p.unknown_fraction) {
        return None;
    }
    let tol = if tol.is_finite() && tol > 0.0 {
        tol
    } else {
        1e-6
    };
    let prep = Prepared::new(p);
    let d = p.unknown_fraction;
    smallest_ratio(|r| completes(&prep, r, d), tol, false).map(|ratio| Threshold {
        load: 1.0 / ratio,
        ratio,
    })
}

/// The smallest ratio at which `ok` holds, for `ok` monotone (false, then true as R
/// grows): bracketed by doubling from 1 (up to [`MAX_RATIO`]) and halving (down to
/// 1e-9), then bisected to `tol` (absolute, or relative when `relative`).
pub(crate) fn smallest_ratio(ok: impl Fn(f64) -> bool, tol: f64, relative: bool) -> Option<f64> {
    let mut hi = 1.0;
    while !ok(hi) {
        hi *= 2.0;
        if hi > MAX_RATIO {
            return None;
        }
    }
    let mut lo = hi / 2.0;
    while ok(lo) {
        hi = lo;
        lo /= 2.0;
        if lo < 1e-9 {
            return Some(hi);
        }
    }
    loop {
        let done = if relative {
            hi / lo <= 1.0 + tol
        } else {
            hi - lo <= tol
        };
        if done {
            return Some(hi);
        }
        let mid = if relative {
            (lo * hi).sqrt()
        } else {
            0.5 * (lo + hi)
        };
        if ok(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
}

/// The largest unknown fraction δ* at `p`'s ratio for which learning completes,
/// bisected to `tol` (1.0 when even δ = 1 completes; the erasure threshold for LDPC
/// configurations, 0.4294 for (3,6)).
pub fn unknown_fraction_threshold(p: &DeParams, tol: f64) -> f64 {
    let tol = if tol.is_finite() && tol > 0.0 {
        tol
    } else {
        1e-6
    };
    let prep = Prepared::new(p);
    let r = p.effective_ratio();
    if !(r.is_finite() && r > 0.0) {
        return 0.0;
    }
    if completes(&prep, r, 1.0) {
        return 1.0;
    }
    let (mut lo, mut hi) = (0.0, 1.0);
    while hi - lo > tol {
        let mid = 0.5 * (lo + hi);
        if completes(&prep, r, mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// The ratio in `[from, to]` where ε(R) falls fastest: a 25-point grid, then four
/// zooms around the steepest segment.
pub fn emergence_point(p: &DeParams, from: f64, to: f64) -> EmergencePoint {
    let prep = Prepared::new(p);
    let d = p.unknown_fraction;
    let eps = |r: f64| prep.run(r, d, false, false).unlearned;
    let (mut a, mut b) = if from <= to { (from, to) } else { (to, from) };
    a = a.max(1e-9);
    b = b.max(a);
    const POINTS: usize = 25;
    let mut best = EmergencePoint {
        ratio: a,
        slope: 0.0,
    };
    if b <= a {
        return best;
    }
    for _ in 0..5 {
        let step = (b - a) / (POINTS - 1) as f64;
        let rs: Vec<f64> = (0..POINTS).map(|i| a + step * i as f64).collect();
        let es: Vec<f64> = rs.iter().map(|&r| eps(r)).collect();
        let mut at = 0;
        let mut slope = 0.0;
        for i in 0..POINTS - 1 {
            let s = (es[i + 1] - es[i]) / step;
            if s < slope {
                slope = s;
                at = i;
            }
        }
        if slope == 0.0 {
            break;
        }
        best = EmergencePoint {
            ratio: 0.5 * (rs[at] + rs[at + 1]),
            slope,
        };
        a = rs[at.saturating_sub(1)];
        b = rs[(at + 2).min(POINTS - 1)];
    }
    best
}

/// The smallest ratio at which ε ≤ `target` (relative precision 1e-6), or `None` when
/// no ratio up to [`MAX_RATIO`] gets there. For configurations (R implied) it is the
/// implied ratio when ε ≤ target there, else `None`.
pub fn ratio_for_target(p: &DeParams, target: f64) -> Option<f64> {
    let prep = Prepared::new(p);
    let d = p.unknown_fraction;
    let eps = |r: f64| prep.run(r, d, false, false).unlearned;
    if p.ratio_is_implied() {
        let r = p.effective_ratio();
        return (eps(r) <= target).then_some(r);
    }
    smallest_ratio(|r| eps(r) <= target, 1e-6, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ensemble::DegreeSpec;
    use crate::peel::Learner;

    fn sd(spec: &str) -> DeParams {
        DeParams::skill_driven(
            &spec.parse::<DegreeSpec>().unwrap(),
            1.0,
            Learner::capacity(1).unwrap(),
        )
    }

    #[test]
    fn published_loads() {
        let t = ratio_threshold(&sd("fixed:2"), 1e-5).unwrap();
        assert!((t.load - 0.5).abs() < 0.002, "{t:?}");
        let t = ratio_threshold(&sd("poly:0.5x^2+0.28x^3+0.22x^8"), 1e-5).unwrap();
        assert!((t.load - 0.938).abs() < 0.002, "{t:?}");
    }

    #[test]
    fn no_threshold_with_zero_degree_skills() {
        let p = sd("poisson:3");
        assert!(ratio_threshold(&p, 1e-4).is_none());
        let r = ratio_for_target(&p, 0.06).unwrap();
        let at = super::super::de::density_evolution(&p.with_ratio(r));
        assert!(at.unlearned <= 0.06 + 1e-9);
        let e = emergence_point(&p, 0.1, 10.0);
        assert!(e.slope < 0.0);
    }
}
