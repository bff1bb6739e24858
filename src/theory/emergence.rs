//! Emergence and scaling curves: density evolution beside Monte Carlo simulation
//! over a sweep of ratios R.
//!
//! - [`emergence_curve`]: the unlearned fraction ε(R) from DE and from simulation
//!   (mean and standard deviation over trials), with the DE threshold R* or, where
//!   ε never reaches 0, the emergence point (steepest descent of ε).
//! - [`scaling_curve`]: the test error (skill error and text error, theory.md §4)
//!   from DE and from simulation on fresh texts (see [`super::simulate`] for how
//!   fresh texts are drawn), with a log-log fit of the simulated skill error against
//!   R beside DE's predicted law.
//!
//! Sweeps are parsed by [`parse_ratio_sweep`] (`FROM:TO:STEP`) and
//! [`parse_ratio_list`] (`a,b,c`).

use super::de::{DeParams, density_evolution};
use super::law::{Law, fit_exponential, fit_power_law, predicted_law, test_error_de};
use super::simulate::{SimSetup, simulate_points, simulate_test_error};
use super::threshold::{emergence_point, ratio_threshold};
use crate::{Error, Result};
use serde::Serialize;

/// Largest ratio a sweep may contain.
pub const MAX_SWEEP_RATIO: f64 = super::sweep::MAX_RATIO;
/// Most points a sweep may contain.
pub const MAX_SWEEP_POINTS: usize = super::sweep::MAX_POINTS;
/// Tolerance of the threshold search reported beside a curve.
pub const THRESHOLD_TOL: f64 = 1e-4;

/// Parses `FROM:TO:STEP` (or any form [`super::sweep::parse_ratios`] takes) into
/// ratios; errors name the parameter `ratio`.
pub fn parse_ratio_sweep(spec: &str) -> Result<Vec<f64>> {
    super::sweep::parse_ratios(spec, "ratio")
}

/// Parses a comma-separated list of ratios `a,b,c` (any order, each in range).
pub fn parse_ratio_list(spec: &str) -> Result<Vec<f64>> {
    super::sweep::parse_ratios(spec, "ratios")
}

/// One ratio of an emergence curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CurvePoint {
    /// Texts per skill R.
    pub ratio: f64,
    /// ε from density evolution.
    pub de_unlearned: f64,
    /// Mean simulated ε.
    pub sim_unlearned: f64,
    /// Standard deviation of the simulated ε over trials.
    pub sim_std: f64,
}

/// DE's landmark on the ratio axis: the threshold R* when learning can complete,
/// otherwise the emergence point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ThresholdInfo {
    /// R*: the smallest ratio at which learning completes (null when it never does).
    pub ratio_threshold: Option<f64>,
    /// G* = 1/R* (null with `ratio_threshold`).
    pub load_threshold: Option<f64>,
    /// Ratio of steepest descent of ε (only when there is no threshold).
    pub emergence_point: Option<f64>,
    /// dε/dR at the emergence point.
    pub emergence_slope: Option<f64>,
}

/// An emergence curve: DE and simulation side by side, and the DE landmark.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmergenceCurve {
    /// One entry per ratio of the sweep, in sweep order.
    pub points: Vec<CurvePoint>,
    /// The DE threshold or emergence point.
    pub threshold: ThresholdInfo,
}

/// The DE parameters of a simulation setup (its ensemble, learner and δ).
pub fn de_params(setup: &SimSetup) -> DeParams {
    DeParams::from_ensemble(&setup.ensemble, setup.learner.clone())
        .with_unknown_fraction(setup.unknown_fraction)
}

/// DE's threshold, or its emergence point searched over `[from, to]` (widened when
/// the sweep is a single ratio).
pub fn threshold_info(p: &DeParams, from: f64, to: f64) -> ThresholdInfo {
    if let Some(t) = ratio_threshold(p, THRESHOLD_TOL) {
        return ThresholdInfo {
            ratio_threshold: Some(t.ratio),
            load_threshold: Some(t.load),
            emergence_point: None,
            emergence_slope: None,
        };
    }
    let (from, to) = if to - from < 1e-9 {
        (from / 2.0, to * 2.0)
    } else {
        (from, to)
    };
    let e = emergence_point(p, from, to);
    ThresholdInfo {
        ratio_threshold: None,
        load_threshold: None,
        emergence_point: e.map(|e| e.ratio),
        emergence_slope: e.map(|e| e.slope),
    }
}

fn sweep_bounds(ratios: &[f64]) -> (f64, f64) {
    let lo = ratios.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (lo, hi)
}

/// DE beside `setup.trials` simulations at each ratio. `progress` is called once per
/// finished trial.
pub fn emergence_curve(
    setup: &SimSetup,
    ratios: &[f64],
    progress: &(dyn Fn() + Sync),
) -> Result<EmergenceCurve> {
    if ratios.is_empty() {
        return Err(Error::invalid("the ratio sweep is empty"));
    }
    let sims = simulate_points(setup, ratios, progress)?;
    let p = de_params(setup);
    let points = sims
        .iter()
        .map(|s| CurvePoint {
            ratio: s.ratio,
            de_unlearned: density_evolution(&p.with_ratio(s.ratio)).unlearned,
            sim_unlearned: s.mean_unlearned,
            sim_std: s.std_unlearned,
        })
        .collect();
    let (lo, hi) = sweep_bounds(ratios);
    Ok(EmergenceCurve {
        points,
        threshold: threshold_info(&p, lo, hi),
    })
}

/// `count` ratios from `from` to `to` (inclusive), evenly spaced on a linear or a
/// log scale: the fine grid on which DE is drawn as a line beside sparse points.
pub fn fine_ratios(from: f64, to: f64, count: usize, log: bool) -> Vec<f64> {
    let count = count.max(2);
    (0..count)
        .map(|i| {
            let f = i as f64 / (count - 1) as f64;
            if log && from > 0.0 {
                from * (to / from).powf(f)
            } else {
                from + (to - from) * f
            }
        })
        .collect()
}

/// DE's ε on a fine grid over `[from, to]` with the jump at the threshold R* drawn
/// vertically (points just below and at R*), for plots.
pub fn de_unlearned_line(setup: &SimSetup, from: f64, to: f64) -> Vec<(f64, f64)> {
    let p = de_params(setup);
    let mut ratios = fine_ratios(from, to, 200, false);
    if let Some(t) = ratio_threshold(&p, THRESHOLD_TOL)
        && t.ratio > from
        && t.ratio < to
    {
        ratios.extend([t.ratio - THRESHOLD_TOL, t.ratio + THRESHOLD_TOL]);
        ratios.sort_by(f64::total_cmp);
    }
    ratios
        .into_iter()
        .map(|r| (r, density_evolution(&p.with_ratio(r)).unlearned))
        .collect()
}

/// DE's test errors on a log-spaced grid over `[from, to]`, for plots: entries are
/// (R, skill error, text error).
pub fn de_test_error_line(setup: &SimSetup, from: f64, to: f64) -> Vec<(f64, f64, f64)> {
    let p = de_params(setup);
    fine_ratios(from, to, 60, true)
        .into_iter()
        .map(|r| {
            let e = test_error_de(&p.with_ratio(r));
            (r, e.skill_error, e.text_error)
        })
        .collect()
}

/// One ratio of a scaling curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ScalingPoint {
    /// Texts per skill R.
    pub ratio: f64,
    /// Skill error from DE.
    pub de_skill_error: f64,
    /// Mean simulated skill error.
    pub sim_skill_error: f64,
    /// Its standard deviation over trials.
    pub sim_skill_error_std: f64,
    /// Text error from DE.
    pub de_text_error: f64,
    /// Mean simulated text error.
    pub sim_text_error: f64,
    /// Its standard deviation over trials.
    pub sim_text_error_std: f64,
}

/// A scaling curve: test errors from DE and simulation, fitted and predicted laws.
///
/// Three exponents (or rates) sit side by side: the asymptotic law (N → ∞, R → ∞),
/// DE's own fit over the same ratios, and the simulation's fit. Simulated points with
/// zero error cannot enter a log fit: they are counted in `zero_points`, never
/// dropped silently.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScalingCurve {
    /// One entry per ratio, in the order given.
    pub points: Vec<ScalingPoint>,
    /// Slope of log(sim skill error) against log R over points with error > 0
    /// (null with fewer than two such points).
    pub fitted_exponent: Option<f64>,
    /// R² of that fit.
    pub fitted_r2: Option<f64>,
    /// Slope of log(DE skill error) against log R over the same ratios.
    pub de_fitted_exponent: Option<f64>,
    /// The asymptotic power-law exponent −(1 − 1/s) (null where the law is not a
    /// power law).
    pub predicted_exponent: Option<f64>,
    /// Rate a of a fit of the simulated error ~ C·exp(−a R) (of the excess over the
    /// floor for a floor law).
    pub fitted_rate: Option<f64>,
    /// The same fit of DE's skill error over the same ratios: DE's predicted rate
    /// (exponential and floor laws).
    pub predicted_rate: Option<f64>,
    /// The closed-form rate μ (1 − y∞) where one exists (uniform text-driven skills).
    pub asymptotic_rate: Option<f64>,
    /// The level a floor law tends to (null otherwise).
    pub floor: Option<f64>,
    /// Simulated points used by the fits.
    pub fit_points: usize,
    /// Simulated points with no skill error above the floor (zero error when there
    /// is no floor), left out of the log fits: below the simulation's resolution.
    pub zero_points: usize,
    /// `"power"`, `"exponential"` or `"floor"`: the law DE predicts.
    pub law: &'static str,
}

/// Test errors from DE and simulation at each ratio, and the fitted laws.
/// `fresh_texts`: fresh texts per trial (`None`: as many as training texts).
pub fn scaling_curve(
    setup: &SimSetup,
    ratios: &[f64],
    fresh_texts: Option<usize>,
    progress: &(dyn Fn() + Sync),
) -> Result<ScalingCurve> {
    if ratios.is_empty() {
        return Err(Error::invalid("the ratio list is empty"));
    }
    let sims = simulate_test_error(setup, ratios, fresh_texts, progress)?;
    let p = de_params(setup);
    let points: Vec<ScalingPoint> = sims
        .iter()
        .map(|s| {
            let de = test_error_de(&p.with_ratio(s.ratio));
            ScalingPoint {
                ratio: s.ratio,
                de_skill_error: de.skill_error,
                sim_skill_error: s.skill_error,
                sim_skill_error_std: s.skill_error_std,
                de_text_error: de.text_error,
                sim_text_error: s.text_error,
                sim_text_error_std: s.text_error_std,
            }
        })
        .collect();
    let law = predicted_law(&p.with_ratio(sweep_bounds(ratios).1));
    let floor = match law {
        Law::Floor { floor } => floor,
        _ => 0.0,
    };
    // Errors above the floor (all of them when there is none).
    let excess = |v: f64| v - floor;
    let sim: Vec<(f64, f64)> = points
        .iter()
        .filter(|q| excess(q.sim_skill_error) > 0.0)
        .map(|q| (q.ratio, excess(q.sim_skill_error)))
        .collect();
    let de: Vec<(f64, f64)> = points
        .iter()
        .filter(|q| excess(q.de_skill_error) > 0.0)
        .map(|q| (q.ratio, excess(q.de_skill_error)))
        .collect();
    // Points at or below the floor (at 0 when there is none) cannot enter the fits.
    let zero_points = points
        .iter()
        .filter(|q| excess(q.sim_skill_error) <= 0.0)
        .count();
    let power = fit_power_law(&sim);
    let mut curve = ScalingCurve {
        fitted_exponent: power.as_ref().map(|f| f.exponent),
        fitted_r2: power.as_ref().map(|f| f.r2),
        de_fitted_exponent: fit_power_law(&de).map(|f| f.exponent),
        predicted_exponent: None,
        fitted_rate: None,
        predicted_rate: None,
        asymptotic_rate: None,
        floor: None,
        fit_points: sim.len(),
        zero_points,
        law: "power",
        points,
    };
    match law {
        Law::PowerLaw { exponent } => curve.predicted_exponent = Some(exponent),
        Law::Exponential { rate } => {
            curve.law = "exponential";
            curve.fitted_rate = fit_exponential(&sim).map(|f| f.rate);
            curve.predicted_rate = fit_exponential(&de).map(|f| f.rate);
            if matches!(p.skills, super::de::SkillProfile::PoissonMixture(_)) {
                curve.asymptotic_rate = Some(rate);
            }
        }
        Law::Floor { floor } => {
            curve.law = "floor";
            curve.floor = Some(floor);
            curve.fitted_rate = fit_exponential(&sim).map(|f| f.rate);
            curve.predicted_rate = fit_exponential(&de).map(|f| f.rate);
        }
    }
    Ok(curve)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweeps_parse_inclusively() {
        assert_eq!(parse_ratio_sweep("1:2:0.5").unwrap(), vec![1.0, 1.5, 2.0]);
        let r = parse_ratio_sweep("0.8:1.2:0.1").unwrap();
        assert_eq!(r, vec![0.8, 0.9, 1.0, 1.1, 1.2]);
        assert_eq!(parse_ratio_sweep("1.2:1.2:0.1").unwrap(), vec![1.2]);
        assert_eq!(parse_ratio_sweep("1:1.25:0.1").unwrap().len(), 3);
        assert_eq!(parse_ratio_list("4, 1,2").unwrap(), vec![4.0, 1.0, 2.0]);
        assert_eq!(fine_ratios(1.0, 3.0, 3, false), vec![1.0, 2.0, 3.0]);
        let l = fine_ratios(1.0, 100.0, 3, true);
        assert!((l[1] - 10.0).abs() < 1e-12 && (l[2] - 100.0).abs() < 1e-12);
    }

    #[test]
    fn bad_sweeps_say_why() {
        for (spec, why) in [
            ("2:1:0.1", "above TO"),
            ("1:2:0", "STEP must be positive"),
            ("1:2:-0.1", "STEP must be positive"),
            ("0:2:0.1", "out of range"),
            ("-1:2:0.1", "out of range"),
            ("1:2", "FROM:TO:STEP"),
            ("a:2:0.1", "not a number"),
            ("1:2:1e-9", "more than"),
            ("1:1e9:1", "out of range"),
        ] {
            let e = parse_ratio_sweep(spec).unwrap_err().to_string();
            assert!(e.contains(why), "{spec}: {e}");
            assert!(!e.contains('\n'));
        }
        assert!(parse_ratio_list("1,x").is_err());
        assert!(parse_ratio_list("1,-2").is_err());
        assert!(parse_ratio_list("").is_err());
    }
}
