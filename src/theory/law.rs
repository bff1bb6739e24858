//! Scaling laws of the test error (theory.md section 4): DE's prediction, the law in
//! closed form where it exists, and least-squares fits of measured points.
//!
//! A fresh text reaches its skills along edges, and a skill's training texts are
//! independent of it, so the probability that a skill occurrence in a fresh text is
//! unlearned is the edge quantity `x∞ = δ λ(y∞)`; a fresh text of degree k is
//! understood when all k of its skills are learned: `text_error = 1 - Γ(1 - x∞)`
//! (node perspective: a fresh text is a random text).

use super::de::{DeParams, Prepared, SkillProfile, TextSide, density_evolution};
use serde::Serialize;

/// Test errors predicted by density evolution.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TestError {
    /// P(a skill occurrence in a fresh text is unlearned) = x∞.
    pub skill_error: f64,
    /// P(a fresh text is not understood: at least one of its skills is unlearned).
    pub text_error: f64,
}

/// The predicted law of the test error as R grows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Law {
    /// `E(R) ~ C exp(-rate R)`. `rate` is infinite (JSON null) where DE gives an error
    /// of exactly 0 above the threshold (fixed-form skill degrees).
    Exponential {
        /// Decay rate per unit of R (positive when the error falls).
        rate: f64,
    },
    /// `E(R) ~ C R^exponent` (Zipf popularity with s > 1: exponent = -(1 - 1/s)).
    PowerLaw {
        /// The exponent (negative when the error falls).
        exponent: f64,
    },
    /// `E(R) → floor > 0`: the error levels off (skill-driven Poisson degrees: a
    /// skill in no text is never learned, so `x∞ → δ λ(0) = δ e^-mean`).
    Floor {
        /// The limit of the skill error as R grows.
        floor: f64,
    },
}

/// The skill error DE gives as R → ∞ (0 unless the skill degrees do not grow with R
/// and some skills have degree 0, or the learner has p_1 < 1).
pub fn error_floor(p: &DeParams) -> f64 {
    if p.ratio_is_implied() {
        return test_error_de(p).skill_error;
    }
    match &p.skills {
        SkillProfile::PoissonMixture(_) => 0.0,
        SkillProfile::Degrees(_) => {
            test_error_de(&p.with_ratio(super::threshold::MAX_RATIO)).skill_error
        }
    }
}

/// A log-log least-squares fit `y = prefactor · x^exponent`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PowerLawFit {
    /// Slope of ln y against ln x.
    pub exponent: f64,
    /// e^intercept.
    pub prefactor: f64,
    /// Coefficient of determination of the log-log regression.
    pub r2: f64,
    /// Points used (those with x > 0 and y > 0).
    pub points: usize,
}

/// A semi-log least-squares fit `y = prefactor · exp(-rate x)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ExponentialFit {
    /// Minus the slope of ln y against x.
    pub rate: f64,
    /// e^intercept.
    pub prefactor: f64,
    /// Coefficient of determination of the semi-log regression.
    pub r2: f64,
    /// Points used (those with y > 0).
    pub points: usize,
}

/// Test errors at `p` from density evolution.
pub fn test_error_de(p: &DeParams) -> TestError {
    let de = density_evolution(p);
    let q = de.edge_unlearned.clamp(0.0, 1.0);
    let prep = Prepared::new(p);
    let e = prep.at(p.effective_ratio());
    let text_error = match &prep.text {
        TextSide::Successive(_) => 1.0 - e.fresh_all_learned(q).unwrap_or(0.0),
        TextSide::Poisson => -(-e.text_mean() * q).exp_m1(),
        TextSide::Table(d) => match d.poisson_mean() {
            Some(mean) => -(-mean * q).exp_m1(),
            // Σ Γ_k (1 - (1-q)^k), written without cancellation for tiny q.
            None => d
                .terms()
                .iter()
                .map(|&(k, g)| match k {
                    // A text with no skill is always understood; ln(0) would give NaN.
                    0 => 0.0,
                    _ if q >= 1.0 => g,
                    _ => g * -(k as f64 * (-q).ln_1p()).exp_m1(),
                })
                .sum(),
        },
    };
    TestError {
        skill_error: q,
        text_error,
    }
}

/// The Zipf exponent s of a list of means (log-log slope of mean against rank, means
/// sorted descending); `None` when all means are equal.
pub fn zipf_exponent_of(means: &[f64]) -> Option<f64> {
    let mut m: Vec<f64> = means.iter().copied().filter(|v| *v > 0.0).collect();
    m.sort_by(|a, b| b.total_cmp(a));
    if m.len() < 2 || m[0] <= m[m.len() - 1] * (1.0 + 1e-9) {
        return None;
    }
    let pts: Vec<(f64, f64)> = m
        .iter()
        .enumerate()
        .map(|(i, &v)| ((i + 1) as f64, v))
        .collect();
    fit_power_law(&pts).map(|f| -f.exponent)
}

/// The law DE predicts at `p`: a power law `-(1 - 1/s)` for Zipf-like mixtures with
/// s > 1 (s estimated from the means), a floor where the error levels off at a
/// positive value (see [`error_floor`]), else exponential (rate `μ (1 - y∞)` for
/// Poisson mixtures, using the smallest mean for s ≤ 1; numerical local slope of
/// ln(skill error) for degree tables).
pub fn predicted_law(p: &DeParams) -> Law {
    match &p.skills {
        SkillProfile::PoissonMixture(means) => {
            let de = density_evolution(p);
            let open = 1.0 - de.not_teaching;
            match zipf_exponent_of(means) {
                Some(s) if s > 1.0 => Law::PowerLaw {
                    exponent: -(1.0 - 1.0 / s),
                },
                Some(_) => Law::Exponential {
                    rate: means.iter().copied().fold(f64::INFINITY, f64::min) * open,
                },
                None => Law::Exponential {
                    rate: means.first().copied().unwrap_or(0.0) * open,
                },
            }
        }
        SkillProfile::Degrees(_) if error_floor(p) > 0.0 => Law::Floor {
            floor: error_floor(p),
        },
        SkillProfile::Degrees(_) => {
            let r = p.effective_ratio();
            let q1 = test_error_de(p).skill_error;
            let q2 = test_error_de(&p.with_ratio(r * 1.05)).skill_error;
            let rate = if q1 <= 0.0 || q2 <= 0.0 {
                f64::INFINITY
            } else if p.ratio_is_implied() {
                0.0
            } else {
                -(q2.ln() - q1.ln()) / (0.05 * r)
            };
            Law::Exponential { rate }
        }
    }
}

/// Least squares of v on u: (intercept, slope, r2).
fn linear_fit(pts: &[(f64, f64)]) -> Option<(f64, f64, f64)> {
    let n = pts.len() as f64;
    if pts.len() < 2 {
        return None;
    }
    let mu = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let mv = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let suu: f64 = pts.iter().map(|p| (p.0 - mu).powi(2)).sum();
    let suv: f64 = pts.iter().map(|p| (p.0 - mu) * (p.1 - mv)).sum();
    let svv: f64 = pts.iter().map(|p| (p.1 - mv).powi(2)).sum();
    if suu <= 0.0 {
        return None;
    }
    let slope = suv / suu;
    let intercept = mv - slope * mu;
    let res: f64 = pts
        .iter()
        .map(|p| (p.1 - intercept - slope * p.0).powi(2))
        .sum();
    let r2 = if svv > 0.0 { 1.0 - res / svv } else { 1.0 };
    Some((intercept, slope, r2))
}

/// Fits `y = A x^e` by least squares on (ln x, ln y) over the points with x, y > 0;
/// `None` with fewer than two such points or all x equal.
pub fn fit_power_law(points: &[(f64, f64)]) -> Option<PowerLawFit> {
    let pts: Vec<(f64, f64)> = points
        .iter()
        .filter(|(x, y)| *x > 0.0 && *y > 0.0 && x.is_finite() && y.is_finite())
        .map(|(x, y)| (x.ln(), y.ln()))
        .collect();
    let (a, b, r2) = linear_fit(&pts)?;
    Some(PowerLawFit {
        exponent: b,
        prefactor: a.exp(),
        r2,
        points: pts.len(),
    })
}

/// Fits `y = A exp(-rate x)` by least squares on (x, ln y) over the points with y > 0;
/// `None` with fewer than two such points or all x equal.
pub fn fit_exponential(points: &[(f64, f64)]) -> Option<ExponentialFit> {
    let pts: Vec<(f64, f64)> = points
        .iter()
        .filter(|(x, y)| *y > 0.0 && x.is_finite() && y.is_finite())
        .map(|(x, y)| (*x, y.ln()))
        .collect();
    let (a, b, r2) = linear_fit(&pts)?;
    Some(ExponentialFit {
        rate: -b,
        prefactor: a.exp(),
        r2,
        points: pts.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ensemble::{DegreeSpec, Popularity};
    use crate::peel::Learner;

    #[test]
    fn fits_recover_known_parameters() {
        let pts: Vec<(f64, f64)> = (1..20)
            .map(|i| {
                let x = i as f64 * 0.7;
                (x, 3.0 * x.powf(-0.45))
            })
            .collect();
        let f = fit_power_law(&pts).unwrap();
        assert!((f.exponent + 0.45).abs() < 1e-9 && (f.prefactor - 3.0).abs() < 1e-9);
        assert!((f.r2 - 1.0).abs() < 1e-9);
        let pts: Vec<(f64, f64)> = (0..10)
            .map(|i| (i as f64, 0.5 * (-1.3 * i as f64).exp()))
            .collect();
        let f = fit_exponential(&pts).unwrap();
        assert!((f.rate - 1.3).abs() < 1e-9 && (f.prefactor - 0.5).abs() < 1e-9);
        assert!(fit_power_law(&[(1.0, 1.0)]).is_none());
        assert!(fit_power_law(&[(1.0, 0.0), (2.0, 0.0)]).is_none());
    }

    #[test]
    fn zipf_gives_a_power_law_and_uniform_an_exponential() {
        let l = Learner::capacity(1).unwrap();
        let t: DegreeSpec = "fixed:3".parse().unwrap();
        let z = DeParams::text_driven(&t, Popularity::Zipf(2.0), 5000, 4.0, l.clone());
        match predicted_law(&z) {
            Law::PowerLaw { exponent } => assert!((exponent + 0.5).abs() < 1e-6),
            other => panic!("{other:?}"),
        }
        // Fixed text degree 3 teaches nothing to a capacity-1 learner from scratch:
        // Poisson text degrees have the degree-1 texts that start learning.
        let t: DegreeSpec = "poisson:3".parse().unwrap();
        let u = DeParams::text_driven(&t, Popularity::Uniform, 5000, 4.0, l);
        assert!(matches!(predicted_law(&u), Law::Exponential { rate } if rate > 2.0));
        let e = test_error_de(&u);
        assert!(e.skill_error > 0.0 && e.text_error > e.skill_error);
        // Skill-driven Poisson(4) degrees level off at λ(0) = e^-4.
        let f = DeParams::skill_driven(
            &"poisson:4".parse().unwrap(),
            3.0,
            Learner::capacity(1).unwrap(),
        );
        match predicted_law(&f) {
            Law::Floor { floor } => assert!((floor / (-4f64).exp() - 1.0).abs() < 1e-9),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn text_error_is_one_not_nan_when_nothing_is_learned() {
        // Fixed text degree 3, capacity 1, no foundation: no text ever teaches.
        let p = DeParams::text_driven(
            &DegreeSpec::Fixed(3),
            Popularity::Uniform,
            1000,
            2.0,
            Learner::capacity(1).unwrap(),
        );
        let e = test_error_de(&p);
        assert_eq!(e.skill_error, 1.0);
        assert_eq!(e.text_error, 1.0);
    }
}
