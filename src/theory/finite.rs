//! Finite length: the unlearned fraction at finite N near the threshold R*.
//!
//! Near R* a finite graph either completes (ε ≈ 0) or stalls at about DE's stall
//! value ε_s(R) (the fixed point just below R*, or at R* above it). The waterfall
//! scaling law of peeling decoders (Amraoui, Montanari, Richardson and Urbanke,
//! "Finite-length scaling for iteratively decoded LDPC ensembles", 2009) gives the
//! chance of stalling as a Q-function with a shift:
//!
//! ```text
//! P_stall(N, R) = Q( √N (R − R* − β N^(−2/3)) / α )
//! mean ε ≈ P_stall ε_s(R),   std ε ≈ √(P_stall (1 − P_stall)) ε_s(R)
//! ```
//!
//! α and β are fitted here (probit maximum likelihood over simulated trials, each a
//! Bernoulli "stalled or not") on all sizes but the largest, which is then predicted
//! out of sample. The spread within each mode (O(1/√N)) is left out.

use super::de::{DeParams, density_evolution};
use super::emergence::de_params;
use super::simulate::{SimSetup, simulate_points};
use super::threshold::ratio_threshold;
use crate::ensemble::Ensemble;
use crate::{Error, Result};
use serde::Serialize;

/// A jump smaller than this is a continuous transition: the waterfall law does not
/// apply.
pub const MIN_JUMP: f64 = 1e-3;

/// One (N, R) of a finite-length comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FinitePoint {
    /// Skills N.
    pub skills: usize,
    /// Texts per skill R.
    pub ratio: f64,
    /// DE's ε (N → ∞).
    pub de_unlearned: f64,
    /// Predicted chance that a graph stalls.
    pub predicted_stall: f64,
    /// Share of simulated graphs that stalled (ε above half the jump).
    pub sim_stall: f64,
    /// Predicted mean ε.
    pub predicted_mean: f64,
    /// Simulated mean ε.
    pub sim_mean: f64,
    /// Predicted standard deviation of ε.
    pub predicted_std: f64,
    /// Simulated standard deviation of ε.
    pub sim_std: f64,
    /// Trials simulated.
    pub trials: usize,
    /// True when this size was used to fit α and β.
    pub fitted: bool,
}

/// The finite-length law and its comparison with simulation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FiniteLength {
    /// DE's threshold R*.
    pub threshold: f64,
    /// DE's ε just below R* (the size of the jump).
    pub jump: f64,
    /// Width α of the waterfall (in √N (R − R*)).
    pub alpha: f64,
    /// Shift β: the threshold at size N is about R* + β N^(−2/3).
    pub beta: f64,
    /// Sizes used for the fit.
    pub fitted_on: Vec<usize>,
    /// The ratio at which a graph of N skills completes with probability 1/2.
    pub half_ratio: Vec<(usize, f64)>,
    /// One entry per size and ratio.
    pub points: Vec<FinitePoint>,
}

/// Standard normal cdf Φ (erfc to 1.2e-7 relative: Numerical Recipes' Chebyshev fit).
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

fn normal_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// The stall value ε_s(R): DE's ε below R*, the jump at and above it.
fn stall_value(p: &DeParams, r: f64, threshold: f64, jump: f64) -> f64 {
    if r < threshold {
        density_evolution(&p.with_ratio(r)).unlearned
    } else {
        jump
    }
}

/// Probit regression without intercept: P(y = 1) = Φ(θ · x), by Newton's method
/// with step halving. Returns θ, or `None` when the data do not pin it down.
fn probit(data: &[([f64; 2], bool)]) -> Option<[f64; 2]> {
    let ll = |th: &[f64; 2]| -> f64 {
        data.iter()
            .map(|(x, y)| {
                let s = th[0] * x[0] + th[1] * x[1];
                let p = normal_cdf(s).clamp(1e-300, 1.0 - 1e-16);
                if *y { p.ln() } else { (1.0 - p).ln() }
            })
            .sum()
    };
    let mut th = [1.0, 0.0];
    let mut cur = ll(&th);
    for _ in 0..200 {
        let (mut g, mut h) = ([0.0; 2], [[0.0; 2]; 2]);
        for (x, y) in data {
            let s = th[0] * x[0] + th[1] * x[1];
            let (phi, cdf) = (normal_pdf(s), normal_cdf(s).clamp(1e-300, 1.0 - 1e-16));
            let lam = if *y { phi / cdf } else { -phi / (1.0 - cdf) };
            let w = lam * (lam + s);
            for i in 0..2 {
                g[i] += lam * x[i];
                for j in 0..2 {
                    h[i][j] += w * x[i] * x[j];
                }
            }
        }
        // Solve H d = g (H is minus the Hessian: positive definite).
        let det = h[0][0] * h[1][1] - h[0][1] * h[1][0];
        if det.is_nan() || det.abs() <= 1e-300 {
            return None;
        }
        let d = [
            (h[1][1] * g[0] - h[0][1] * g[1]) / det,
            (h[0][0] * g[1] - h[1][0] * g[0]) / det,
        ];
        let mut step = 1.0;
        loop {
            let next = [th[0] + step * d[0], th[1] + step * d[1]];
            let v = ll(&next);
            if v >= cur || step < 1e-6 {
                let done = (v - cur).abs() < 1e-10;
                th = next;
                cur = v;
                if done {
                    return (th[0] > 0.0 && th.iter().all(|t| t.is_finite())).then_some(th);
                }
                break;
            }
            step *= 0.5;
        }
    }
    (th[0] > 0.0 && th.iter().all(|t| t.is_finite())).then_some(th)
}

/// The same ensemble with `n` skills.
fn with_skills(e: &Ensemble, n: usize) -> Ensemble {
    let mut e = e.clone();
    match &mut e {
        Ensemble::SkillDriven { skills, .. }
        | Ensemble::TextDriven { skills, .. }
        | Ensemble::Configuration { skills, .. } => *skills = n,
    }
    e
}

/// Simulates `setup.trials` graphs at every size in `sizes` and ratio in `ratios`,
/// fits the waterfall law on all sizes but the largest (all when fewer than
/// three), and predicts every point.
pub fn finite_length(
    setup: &SimSetup,
    sizes: &[usize],
    ratios: &[f64],
    progress: &(dyn Fn() + Sync),
) -> Result<FiniteLength> {
    if sizes.is_empty() || ratios.is_empty() {
        return Err(Error::invalid("finite length needs sizes and ratios"));
    }
    let p = de_params(setup);
    let t = ratio_threshold(&p, 1e-9).ok_or_else(|| {
        Error::invalid(
            "finite-length scaling needs a threshold R* (learning that completes); this \
             ensemble has none",
        )
    })?;
    let threshold = t.ratio;
    let jump = density_evolution(&p.with_ratio(threshold * (1.0 - 1e-9))).unlearned;
    if jump < MIN_JUMP {
        return Err(Error::invalid(format!(
            "the transition at R* = {threshold:.6} is continuous (ε just below it is \
             {jump:.2e}): the waterfall law applies to a jump"
        )));
    }
    let mut sorted: Vec<usize> = sizes.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let fit_sizes: Vec<usize> = if sorted.len() >= 3 {
        sorted[..sorted.len() - 1].to_vec()
    } else {
        sorted.clone()
    };
    let mut sims = Vec::new();
    for &n in &sorted {
        let s = SimSetup {
            ensemble: with_skills(&setup.ensemble, n),
            ..setup.clone()
        };
        sims.push((n, simulate_points(&s, ratios, progress)?));
    }
    let mut data = Vec::new();
    for (n, pts) in &sims {
        if !fit_sizes.contains(n) {
            continue;
        }
        let nf = *n as f64;
        for sp in pts {
            for tr in &sp.trials {
                let x = [nf.sqrt() * (threshold - sp.ratio), nf.powf(-1.0 / 6.0)];
                data.push((x, tr.unlearned > 0.5 * jump));
            }
        }
    }
    let th = probit(&data).ok_or_else(|| {
        Error::invalid(
            "the simulated trials do not pin down the waterfall (all stalled or all \
             completed): widen the ratio sweep around R* or add trials",
        )
    })?;
    let (alpha, beta) = (1.0 / th[0], th[1] / th[0]);
    let mut points = Vec::new();
    for (n, pts) in &sims {
        let nf = *n as f64;
        for sp in pts {
            let s = (threshold + beta * nf.powf(-2.0 / 3.0) - sp.ratio) * nf.sqrt() / alpha;
            let stall = normal_cdf(s);
            let es = stall_value(&p, sp.ratio, threshold, jump);
            let stalled = sp
                .trials
                .iter()
                .filter(|t| t.unlearned > 0.5 * jump)
                .count();
            points.push(FinitePoint {
                skills: *n,
                ratio: sp.ratio,
                de_unlearned: density_evolution(&p.with_ratio(sp.ratio)).unlearned,
                predicted_stall: stall,
                sim_stall: stalled as f64 / sp.trials.len().max(1) as f64,
                predicted_mean: stall * es,
                sim_mean: sp.mean_unlearned,
                predicted_std: (stall * (1.0 - stall)).sqrt() * es,
                sim_std: sp.std_unlearned,
                trials: sp.trials.len(),
                fitted: fit_sizes.contains(n),
            });
        }
    }
    Ok(FiniteLength {
        threshold,
        jump,
        alpha,
        beta,
        half_ratio: sorted
            .iter()
            .map(|&n| (n, threshold + beta * (n as f64).powf(-2.0 / 3.0)))
            .collect(),
        fitted_on: fit_sizes,
        points,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_cdf_is_accurate() {
        for (x, v) in [
            (0.0, 0.5),
            (1.0, 0.841_344_746_068_543),
            (-2.0, 0.022_750_131_948_179),
            (3.0, 0.998_650_101_968_370),
        ] {
            assert!((normal_cdf(x) - v).abs() < 1e-7 * v.max(1e-3), "{x}");
        }
    }

    #[test]
    fn probit_recovers_its_parameters() {
        // Deterministic design: P(y) = Φ(2 u - 0.5 v) at evenly spread quantiles.
        let mut data = Vec::new();
        for i in 0..40 {
            let u = -1.5 + i as f64 * 0.075;
            for v in [0.5, 1.0] {
                let p = normal_cdf(2.0 * u - 0.5 * v);
                for k in 0..50 {
                    let q = (k as f64 + 0.5) / 50.0;
                    data.push(([u, v], q < p));
                }
            }
        }
        let th = probit(&data).unwrap();
        assert!(
            (th[0] - 2.0).abs() < 0.1 && (th[1] + 0.5).abs() < 0.1,
            "{th:?}"
        );
    }
}
