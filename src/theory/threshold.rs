//! Thresholds from density evolution: the ratio R* where learning completes, the
//! largest unknown fraction δ* a foundation may leave, and, where ε never reaches 0,
//! the emergence point and the ratio needed for a target ε.
//!
//! A probe does not iterate: learning completes at (R, δ) exactly when f(t) < t on
//! the whole of (0, x_0] (f is one round of DE, increasing, and x_0 its largest
//! value), checked by `Engine::heads_to_zero` in the DE engine. Searches are bisections
//! to a relative tolerance on R, ending at f64 resolution at the latest.

use super::de::{DeParams, Prepared};
use serde::Serialize;
use std::fmt;

/// Largest ratio a search will try before giving up.
pub const MAX_RATIO: f64 = 1e9;
/// Smallest ratio a search will try (learners of huge capacity need few texts).
pub const MIN_RATIO: f64 = 1e-12;
/// The finest relative tolerance a search honours: below it, bisection would only
/// split adjacent floats, and f(t) < t itself is decided to about 1e-13.
pub const RESOLUTION: f64 = 1e-13;

/// A threshold in both forms.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Threshold {
    /// G* = 1 / R*: skills per text at the threshold (the IRSA load).
    pub load: f64,
    /// R*: the smallest texts-per-skill ratio at which learning completes.
    pub ratio: f64,
    /// The relative tolerance the search reached (the one asked for, or
    /// [`RESOLUTION`] when a finer one was asked).
    pub tolerance: f64,
    /// True when the tolerance asked for was below [`RESOLUTION`].
    pub clamped: bool,
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

/// The tolerance to use for `tol` (relative, or absolute on δ), and whether it was
/// clamped to [`RESOLUTION`].
pub fn effective_tolerance(tol: f64) -> (f64, bool) {
    if !(tol.is_finite() && tol > 0.0) {
        (1e-6, false)
    } else if tol < RESOLUTION {
        (RESOLUTION, true)
    } else {
        (tol, false)
    }
}

/// The ratio threshold R* (and G* = 1/R*), bisected to the relative tolerance `tol`
/// on R (clamped to [`RESOLUTION`]).
///
/// `p.ratio` is ignored. `None` when learning never completes (see
/// [`no_threshold_reason`]), when R is implied by two degree tables (configuration
/// model), or when no R up to [`MAX_RATIO`] works.
pub fn ratio_threshold(p: &DeParams, tol: f64) -> Option<Threshold> {
    if p.ratio_is_implied() || p.never_complete() || !(0.0..=1.0).contains(&p.unknown_fraction) {
        return None;
    }
    let (tol, clamped) = effective_tolerance(tol);
    let prep = Prepared::new(p);
    let d = p.unknown_fraction;
    smallest_ratio(|r| prep.completes(r, d), tol, true).map(|ratio| Threshold {
        load: 1.0 / ratio,
        ratio,
        tolerance: tol,
        clamped,
    })
}

/// The smallest ratio at which `ok` holds, for `ok` monotone (false, then true as R
/// grows): bracketed by doubling from 1 (up to [`MAX_RATIO`]) and halving (down to
/// [`MIN_RATIO`]), then bisected to `tol` (absolute, or relative when `relative`),
/// stopping early when the bracket is two adjacent floats.
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
        if lo < MIN_RATIO {
            return Some(hi);
        }
    }
    loop {
        let done = if relative {
            hi - lo <= tol * hi
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
        if mid <= lo || mid >= hi {
            return Some(hi);
        }
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
    let (tol, _) = effective_tolerance(tol);
    let prep = Prepared::new(p);
    let r = p.effective_ratio();
    if !(r.is_finite() && r > 0.0) {
        return 0.0;
    }
    if prep.completes(r, 1.0) {
        return 1.0;
    }
    let (mut lo, mut hi) = (0.0, 1.0);
    while hi - lo > tol {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if prep.completes(r, mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// The ratio in `[from, to]` where ε(R) falls fastest: a 25-point grid, then four
/// zooms around the steepest segment. `None` when ε does not fall anywhere in the
/// range (for example a learner that never teaches).
pub fn emergence_point(p: &DeParams, from: f64, to: f64) -> Option<EmergencePoint> {
    let prep = Prepared::new(p);
    let d = p.unknown_fraction;
    let eps = |r: f64| prep.run(r, d, false, false).unlearned;
    let (mut a, mut b) = if from <= to { (from, to) } else { (to, from) };
    a = a.max(1e-9);
    b = b.max(a);
    const POINTS: usize = 25;
    let mut best = None;
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
        // A fall below DE's own precision is no emergence.
        if slope * step > -1e-12 {
            break;
        }
        best = Some(EmergencePoint {
            ratio: 0.5 * (rs[at] + rs[at + 1]),
            slope,
        });
        a = rs[at.saturating_sub(1)];
        b = rs[(at + 2).min(POINTS - 1)];
    }
    best
}

/// Why density evolution has no ratio threshold (learning never completes).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "cause", rename_all = "kebab-case")]
pub enum NoThreshold {
    /// Both degree tables are prescribed, so R is implied (search over δ instead).
    RatioImplied {
        /// R = Λ'(1)/Γ'(1).
        ratio: f64,
    },
    /// Every p_k is 0: no text ever teaches.
    LearnerNeverTeaches,
    /// p_1 < 1: a text with a single novel skill may fail to teach it, so some
    /// skills stay unlearned at any ratio.
    FirstProbBelowOne {
        /// p_1.
        p1: f64,
    },
    /// A share Λ(0) > 0 of the skills is in no training text and never learned.
    SkillsWithoutTexts {
        /// Λ(0).
        share: f64,
    },
    /// Skill degrees are Poisson or mixed Poisson: a share e^(-mean) of the skills
    /// is in no training text, and never learned.
    PoissonSkills {
        /// The mean degree for Poisson degrees that do not scale with R; null for
        /// text-driven (mixed-Poisson) skills, whose means grow with R.
        mean: Option<f64>,
    },
    /// Some skills are in exactly one text: x = δ λ(y) ≥ δ λ_1 stays positive.
    DegreeOneSkills {
        /// Λ_1.
        share: f64,
    },
    /// Nothing is learned at any ratio: no text starts with at most `max_novel`
    /// unknown skills (text degrees all above the capacity, no foundation).
    NothingStarts {
        /// The largest k with p_k > 0.
        max_novel: usize,
    },
    /// Learning did not complete at any ratio searched.
    NotWithinSearch {
        /// The largest ratio tried.
        max_ratio: f64,
    },
}

impl fmt::Display for NoThreshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoThreshold::RatioImplied { ratio } => write!(
                f,
                "both degree distributions are given, so the ratio is implied \
                 (R = Λ'(1)/Γ'(1) = {ratio:.6}); search over the unknown fraction instead"
            ),
            NoThreshold::LearnerNeverTeaches => {
                write!(f, "the learner never teaches (every p_k is 0)")
            }
            NoThreshold::FirstProbBelowOne { p1 } => write!(
                f,
                "p_1 = {p1} < 1: a text with one novel skill fails to teach it with \
                 probability {:.6}, so some skills stay unlearned at any ratio",
                1.0 - p1
            ),
            NoThreshold::SkillsWithoutTexts { share } => write!(
                f,
                "a share Λ(0) = {share} of the skills has degree 0 (in no text): they are \
                 never learned, so the unlearned fraction never reaches 0"
            ),
            NoThreshold::PoissonSkills { mean: Some(m) } => write!(
                f,
                "skill degrees are Poisson({m}): a share e^-{m} of the skills is in no \
                 training text (degree 0) and never learned, so the unlearned fraction \
                 never reaches 0"
            ),
            NoThreshold::PoissonSkills { mean: None } => write!(
                f,
                "skill degrees are (mixed) Poisson: a skill in no training text (degree 0) \
                 is never learned, so the unlearned fraction never reaches 0"
            ),
            NoThreshold::DegreeOneSkills { share } => write!(
                f,
                "a share Λ_1 = {share} of the skills has degree 1: x = δ λ(y) ≥ δ λ_1 stays \
                 positive, so the unlearned fraction never reaches 0"
            ),
            NoThreshold::NothingStarts { max_novel } => write!(
                f,
                "nothing is learned at any ratio: no text starts with at most {max_novel} \
                 unknown skill(s); a larger capacity or text degrees that include small \
                 texts would let learning start"
            ),
            NoThreshold::NotWithinSearch { max_ratio } => write!(
                f,
                "learning does not complete at any ratio searched (up to {max_ratio:e})"
            ),
        }
    }
}

/// Every reason why `p` has no ratio threshold, the structural ones (that hold at
/// any ratio and δ) first; empty when a threshold exists.
pub fn no_threshold_reason(p: &DeParams) -> Vec<NoThreshold> {
    use super::de::SkillProfile;
    let mut why = Vec::new();
    if p.ratio_is_implied() {
        why.push(NoThreshold::RatioImplied {
            ratio: p.effective_ratio(),
        });
        return why;
    }
    let prep = Prepared::new(p);
    if prep.kernel.never_teaches() {
        why.push(NoThreshold::LearnerNeverTeaches);
        return why;
    }
    match &p.skills {
        SkillProfile::PoissonMixture(_) => {
            why.push(NoThreshold::PoissonSkills { mean: None });
        }
        SkillProfile::Degrees(d) => {
            if let Some(m) = d.poisson_mean() {
                why.push(NoThreshold::PoissonSkills { mean: Some(m) });
            } else if d.prob(0) > 0.0 {
                why.push(NoThreshold::SkillsWithoutTexts { share: d.prob(0) });
            }
            if d.poisson_mean().is_none() && d.prob(1) > 0.0 {
                why.push(NoThreshold::DegreeOneSkills { share: d.prob(1) });
            }
        }
    }
    let p1 = prep.kernel.p1();
    if p1 < 1.0 {
        why.push(NoThreshold::FirstProbBelowOne { p1 });
    }
    // With every skill unknown, a text of degree k starts learning with p_k: nothing
    // starts when p_k = 0 for every text degree (Poisson texts have all degrees).
    let starts = match prep.text.table() {
        Some(d) if d.poisson_mean().is_none() => d
            .terms()
            .iter()
            .any(|&(k, _)| prep.kernel.p(k as usize) > 0.0),
        _ => true,
    };
    if p.unknown_fraction >= 1.0 && !starts {
        why.push(NoThreshold::NothingStarts {
            max_novel: p.learner.max_novel(),
        });
    }
    if why.is_empty() && ratio_threshold(p, 1e-3).is_none() {
        why.push(NoThreshold::NotWithinSearch {
            max_ratio: MAX_RATIO,
        });
    }
    why
}

/// The reasons as one sentence.
pub fn describe_reasons(why: &[NoThreshold]) -> String {
    let parts: Vec<String> = why.iter().map(|w| w.to_string()).collect();
    parts.join("; besides, ")
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
    fn relative_tolerance_at_huge_capacity() {
        // Independent value: R(m) = 3 P[Poisson(m) >= c]^2 / m maximized with mpmath's
        // regularized incomplete gamma (25 digits): G* = 3337759.32414.
        let p = DeParams::skill_driven(
            &"fixed:3".parse::<DegreeSpec>().unwrap(),
            1.0,
            Learner::capacity(10_000_000).unwrap(),
        );
        let t = ratio_threshold(&p, 1e-9).unwrap();
        assert!((t.load / 3_337_759.324_14 - 1.0).abs() < 1e-8, "{t:?}");
        assert!(!t.clamped);
        let fine = ratio_threshold(&sd("fixed:2"), 1e-16).unwrap();
        assert!(fine.clamped && fine.tolerance == RESOLUTION);
    }

    #[test]
    fn large_degrees_cost_one_term() {
        // Independent values: sup over y of k y^(k-1) / -ln(1-y), mpmath at 30 digits.
        for (spec, truth) in [
            ("fixed:100000", 6_579.060_812_254_235),
            ("fixed:1048576", 59_216.285_140_168_02),
            ("poly:1x^100000", 6_579.060_812_254_235),
        ] {
            let t = ratio_threshold(&sd(spec), 1e-12).unwrap();
            assert!((t.ratio / truth - 1.0).abs() < 1e-8, "{spec}: {t:?}");
        }
    }

    #[test]
    fn stall_check_finds_a_near_tangent_fixed_point() {
        // R(y) = (1.498 y + 0.753 y^2) / -ln(1-y) peaks at y = 0.00398 above its
        // limit 1.498 at y = 0 (the stability bound): mpmath gives R* =
        // 1.49800797077634 (x = λ(y) ≈ 0.0027 at the stall).
        let t = ratio_threshold(&sd("poly:0.749x^2+0.251x^3"), 1e-13).unwrap();
        assert!(
            (t.ratio / 1.498_007_970_776_338 - 1.0).abs() < 1e-11,
            "{t:?}"
        );
        let below = sd("poly:0.749x^2+0.251x^3").with_ratio(1.498_007_9);
        let de = super::super::de::density_evolution(&below);
        assert!(!de.complete() && de.edge_unlearned > 1e-3, "{de:?}");
    }

    #[test]
    fn reasons_name_the_true_cause() {
        let l = |s: &str| s.parse::<Learner>().unwrap();
        let f3 = "fixed:3".parse::<DegreeSpec>().unwrap();
        let never = DeParams::skill_driven(&f3, 1.0, l("probs:0"));
        assert_eq!(
            no_threshold_reason(&never),
            vec![NoThreshold::LearnerNeverTeaches]
        );
        assert!(emergence_point(&never, 0.05, 20.0).is_none());
        let noisy = DeParams::skill_driven(&f3, 1.0, l("probs:0.7"));
        assert!(ratio_threshold(&noisy, 1e-6).is_none());
        assert_eq!(
            no_threshold_reason(&noisy),
            vec![NoThreshold::FirstProbBelowOne { p1: 0.7 }]
        );
        let text3 = DeParams::text_driven(
            &f3,
            crate::ensemble::Popularity::Uniform,
            1,
            1.0,
            Learner::capacity(1).unwrap(),
        );
        let why = no_threshold_reason(&text3);
        assert_eq!(why[0], NoThreshold::PoissonSkills { mean: None });
        assert!(matches!(
            why[1],
            NoThreshold::NothingStarts { max_novel: 1 }
        ));
        // With capacity 3 learning starts, and only the degree-0 skills remain.
        let text3c = DeParams::text_driven(
            &f3,
            crate::ensemble::Popularity::Uniform,
            1,
            1.0,
            Learner::capacity(3).unwrap(),
        );
        assert_eq!(
            no_threshold_reason(&text3c),
            vec![NoThreshold::PoissonSkills { mean: None }]
        );
        assert!(no_threshold_reason(&sd("fixed:3")).is_empty());
        let one = no_threshold_reason(&sd("poly:0.2x+0.8x^3"));
        assert_eq!(one, vec![NoThreshold::DegreeOneSkills { share: 0.2 }]);
        for w in [&why[..], &one[..]] {
            let text = describe_reasons(w);
            assert!(!text.contains("--") && !text.contains('\n'), "{text}");
        }
    }

    #[test]
    fn no_threshold_with_zero_degree_skills() {
        let p = sd("poisson:3");
        assert!(ratio_threshold(&p, 1e-4).is_none());
        let r = ratio_for_target(&p, 0.06).unwrap();
        let at = super::super::de::density_evolution(&p.with_ratio(r));
        assert!(at.unlearned <= 0.06 + 1e-9);
        let e = emergence_point(&p, 0.1, 10.0).unwrap();
        assert!(e.slope < 0.0);
    }
}
