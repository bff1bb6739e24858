//! Monte Carlo trials beside density evolution: sample a graph from an ensemble,
//! peel it with [`crate::peel::peel`] (the one peeling engine) and measure what was
//! learned, and on fresh texts how often a skill is still unknown.
//!
//! # Seeds
//! Trial `j` of point `i` under base seed `b` uses [`trial_seed`]`(b, i, j)` for its
//! graph; the initial known set and a probabilistic learner's draws use seeds
//! derived from it. Every trial is a pure function of its seed, trials run in
//! parallel with rayon and are collected in order, so the numbers do not depend on
//! the number of threads.
//!
//! # Fresh texts (test error, theory.md section 4)
//! A trained graph is tested on `F` fresh texts (by default as many as training
//! texts) drawn from the same ensemble over the same skills:
//! - **text-driven**: fresh texts are drawn by the very rule of the training texts
//!   (same text degrees Γ, same popularity over the same skill indices), from an
//!   independent seed;
//! - **skill-driven and configuration**: here a skill's popularity *is* its degree,
//!   so a fresh text is drawn the way the training texts look from a text: its
//!   degree from the text-degree law (Poisson with mean E/T for skill-driven, Γ for
//!   configuration models), its distinct skills each picked with probability
//!   proportional to their training degree (a uniformly random training edge). A
//!   skill that no training text needs never appears in a fresh text. In DE terms
//!   the expected skill error is `Σ_k λ_k · P[skill of degree k unlearned] =
//!   δ Σ_k λ_k y∞^k = y∞ · x∞`. This keeps the training graph exactly the
//!   ensemble at ratio R (holding texts out of a larger graph would thin Λ).
//!
//! `skill_error` is the share of skill occurrences in fresh texts whose skill is
//! unlearned; `text_error` the share of fresh texts with at least one unlearned skill
//! (a fresh text without skills is understood).

use crate::ensemble::{DegreeDistribution, Ensemble, seeded_rng};
use crate::graph::SkillTextGraph;
use crate::peel::{Learner, PeelOutcome, mix64, peel, random_known};
use crate::{Error, Result};
use rand::Rng;
use rayon::prelude::*;
use serde::Serialize;

/// Most trials one point may ask for (a guard against typos).
pub const MAX_TRIALS: usize = 100_000;

/// The seed of trial `trial` at sweep point `point` under base seed `base`.
pub fn trial_seed(base: u64, point: u64, trial: u64) -> u64 {
    mix64(
        mix64(base ^ mix64(point.wrapping_add(0x5EED))) ^ trial.wrapping_mul(0xA076_1D64_78BD_642F),
    )
}

/// What to simulate: an ensemble (its ratio is the one a sweep overrides), a learner,
/// the unknown fraction δ and how many trials per point.
#[derive(Debug, Clone, PartialEq)]
pub struct SimSetup {
    /// The random graph family.
    pub ensemble: Ensemble,
    /// The learner peeling each graph.
    pub learner: Learner,
    /// δ: probability that a skill is not known before training (1 = no foundation).
    pub unknown_fraction: f64,
    /// Trials per point (at least 1).
    pub trials: usize,
    /// Base seed; trial seeds derive from it with [`trial_seed`].
    pub seed: u64,
}

impl SimSetup {
    /// A setup with δ = 1, one trial and seed 1.
    pub fn new(ensemble: Ensemble, learner: Learner) -> Self {
        SimSetup {
            ensemble,
            learner,
            unknown_fraction: 1.0,
            trials: 1,
            seed: 1,
        }
    }

    /// Checks δ, the trial count and the ensemble, saying which value is wrong.
    pub fn validate(&self) -> Result<()> {
        check_unknown_fraction(self.unknown_fraction)?;
        if self.trials == 0 || self.trials > MAX_TRIALS {
            return Err(Error::invalid(format!(
                "--trials must be between 1 and {MAX_TRIALS}, got {}",
                self.trials
            )));
        }
        self.ensemble.validate()
    }
}

/// Checks that an unknown fraction δ lies in [0, 1].
pub fn check_unknown_fraction(delta: f64) -> Result<()> {
    if !(0.0..=1.0).contains(&delta) {
        return Err(Error::invalid(format!(
            "--unknown-fraction must be in [0, 1] (the share of skills not known before training), got {delta}"
        )));
    }
    Ok(())
}

/// One peeled graph.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trial {
    /// The graph seed.
    pub seed: u64,
    /// Edges of the sampled graph.
    pub edges: usize,
    /// Fraction of skills unlearned at the end (ε).
    pub unlearned: f64,
    /// Unlearned fraction after round 0 (the initial set), 1, 2, ...
    pub trajectory: Vec<f64>,
}

/// Trials at one ratio and their mean and (sample) standard deviation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimPoint {
    /// Texts per skill R.
    pub ratio: f64,
    /// Mean unlearned fraction over trials.
    pub mean_unlearned: f64,
    /// Sample standard deviation of the unlearned fraction (0 for one trial).
    pub std_unlearned: f64,
    /// Every trial, in trial order.
    pub trials: Vec<Trial>,
}

/// Test error measured on fresh texts after one training run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TestErrorSample {
    /// Share of skill occurrences in fresh texts whose skill is unlearned.
    pub skill_error: f64,
    /// Share of fresh texts with at least one unlearned skill.
    pub text_error: f64,
    /// Number of fresh texts.
    pub fresh_texts: usize,
    /// Number of skill occurrences in them.
    pub fresh_occurrences: usize,
}

/// Test errors at one ratio: means and sample standard deviations over trials.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestErrorPoint {
    /// Texts per skill R.
    pub ratio: f64,
    /// Mean unlearned fraction of skills (ε) over trials.
    pub unlearned: f64,
    /// Mean skill error.
    pub skill_error: f64,
    /// Standard deviation of the skill error.
    pub skill_error_std: f64,
    /// Mean text error.
    pub text_error: f64,
    /// Standard deviation of the text error.
    pub text_error_std: f64,
    /// Per-trial measurements, in trial order.
    pub samples: Vec<TestErrorSample>,
}

/// Samples the graph of seed `seed` and peels it from a random known set.
pub fn train(
    ensemble: &Ensemble,
    learner: &Learner,
    unknown_fraction: f64,
    seed: u64,
) -> Result<(SkillTextGraph, PeelOutcome)> {
    check_unknown_fraction(unknown_fraction)?;
    let graph = ensemble.sample(seed)?;
    let known = (unknown_fraction < 1.0).then(|| {
        random_known(
            graph.num_skills(),
            unknown_fraction,
            mix64(seed ^ 0x4B4E_4F57),
        )
    });
    let learner = learner.clone().with_seed(mix64(seed ^ 0x4C45_4152));
    let outcome = peel(&graph, &learner, known.as_deref());
    Ok((graph, outcome))
}

/// Runs one trial: [`train`] and summarize.
pub fn run_trial(
    ensemble: &Ensemble,
    learner: &Learner,
    unknown_fraction: f64,
    seed: u64,
) -> Result<Trial> {
    let (graph, out) = train(ensemble, learner, unknown_fraction, seed)?;
    Ok(summarize(seed, &graph, &out))
}

fn summarize(seed: u64, graph: &SkillTextGraph, out: &PeelOutcome) -> Trial {
    let n = graph.num_skills().max(1) as f64;
    Trial {
        seed,
        edges: graph.num_edges(),
        unlearned: out.unlearned_fraction(),
        trajectory: out.trajectory.iter().map(|&c| 1.0 - c as f64 / n).collect(),
    }
}

/// Mean and sample standard deviation (0 for fewer than two values).
pub fn mean_std(values: &[f64]) -> (f64, f64) {
    let n = values.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return (mean, 0.0);
    }
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    (mean, var.sqrt())
}

/// Runs every (ratio, trial) job in parallel and returns results grouped by ratio in
/// order. `progress` is called once per finished trial (from any thread).
fn run_grid<T: Send>(
    setup: &SimSetup,
    ratios: &[f64],
    progress: &(dyn Fn() + Sync),
    job: impl Fn(&Ensemble, u64) -> Result<T> + Sync,
) -> Result<Vec<Vec<T>>> {
    setup.validate()?;
    let ensembles: Vec<Ensemble> = ratios
        .iter()
        .map(|&r| {
            let e = setup.ensemble.with_ratio(r);
            e.validate().map(|_| e)
        })
        .collect::<Result<_>>()?;
    let k = setup.trials;
    let flat: Vec<T> = (0..ratios.len() * k)
        .into_par_iter()
        .map(|idx| {
            let (i, j) = (idx / k, idx % k);
            let r = job(&ensembles[i], trial_seed(setup.seed, i as u64, j as u64));
            progress();
            r
        })
        .collect::<Result<_>>()?;
    let mut grouped = Vec::with_capacity(ratios.len());
    let mut it = flat.into_iter();
    for _ in ratios {
        grouped.push(it.by_ref().take(k).collect());
    }
    Ok(grouped)
}

/// Simulates the unlearned fraction at each ratio (`setup.trials` trials each).
pub fn simulate_points(
    setup: &SimSetup,
    ratios: &[f64],
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<SimPoint>> {
    let delta = setup.unknown_fraction;
    let grouped = run_grid(setup, ratios, progress, |e, seed| {
        run_trial(e, &setup.learner, delta, seed)
    })?;
    Ok(ratios
        .iter()
        .zip(grouped)
        .map(|(&ratio, trials)| {
            let v: Vec<f64> = trials.iter().map(|t| t.unlearned).collect();
            let (mean_unlearned, std_unlearned) = mean_std(&v);
            SimPoint {
                ratio,
                mean_unlearned,
                std_unlearned,
                trials,
            }
        })
        .collect())
}

/// Simulates the test error at each ratio: train, then test on `fresh_texts` fresh
/// texts per trial (`None`: as many as training texts). See the module docs.
pub fn simulate_test_error(
    setup: &SimSetup,
    ratios: &[f64],
    fresh_texts: Option<usize>,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<TestErrorPoint>> {
    let delta = setup.unknown_fraction;
    let grouped = run_grid(setup, ratios, progress, |e, seed| {
        let (graph, out) = train(e, &setup.learner, delta, seed)?;
        let f = fresh_texts.unwrap_or(graph.num_texts()).max(1);
        let sample = test_on_fresh(e, &graph, &out.learned, f, mix64(seed ^ 0x4652_4553))?;
        Ok((out.unlearned_fraction(), sample))
    })?;
    Ok(ratios
        .iter()
        .zip(grouped)
        .map(|(&ratio, runs)| {
            let unl: Vec<f64> = runs.iter().map(|r| r.0).collect();
            let se: Vec<f64> = runs.iter().map(|r| r.1.skill_error).collect();
            let te: Vec<f64> = runs.iter().map(|r| r.1.text_error).collect();
            let (skill_error, skill_error_std) = mean_std(&se);
            let (text_error, text_error_std) = mean_std(&te);
            TestErrorPoint {
                ratio,
                unlearned: mean_std(&unl).0,
                skill_error,
                skill_error_std,
                text_error,
                text_error_std,
                samples: runs.into_iter().map(|r| r.1).collect(),
            }
        })
        .collect())
}

/// Measures skill and text error of `learned` (from training on `graph`, a sample of
/// `ensemble`) on `count` fresh texts drawn with `seed` (see the module docs).
pub fn test_on_fresh(
    ensemble: &Ensemble,
    graph: &SkillTextGraph,
    learned: &[bool],
    count: usize,
    seed: u64,
) -> Result<TestErrorSample> {
    if learned.len() != graph.num_skills() {
        return Err(Error::invalid(
            "the learned set must have one entry per skill of the graph",
        ));
    }
    let mut occurrences = 0usize;
    let mut unlearned_occ = 0usize;
    let mut failed_texts = 0usize;
    let mut tally = |skills: &[u32]| {
        let bad = skills.iter().filter(|&&s| !learned[s as usize]).count();
        occurrences += skills.len();
        unlearned_occ += bad;
        failed_texts += usize::from(bad > 0);
    };
    match ensemble {
        Ensemble::TextDriven { skills, .. } => {
            let fresh = ensemble.with_ratio(count as f64 / *skills as f64);
            let g = fresh.sample(seed)?;
            for t in 0..g.num_texts() as u32 {
                tally(g.skills_of(t));
            }
        }
        Ensemble::SkillDriven { .. } | Ensemble::Configuration { .. } => {
            // One entry per training edge: a uniform pick is a degree-weighted skill.
            let owners: Vec<u32> = (0..graph.num_skills() as u32)
                .flat_map(|s| std::iter::repeat_n(s, graph.skill_degree(s)))
                .collect();
            let present = (0..graph.num_skills() as u32)
                .filter(|&s| graph.skill_degree(s) > 0)
                .count();
            let degrees = match ensemble {
                Ensemble::Configuration { text_degrees, .. } => text_degrees.distribution(),
                _ => {
                    let mean = graph.num_edges() as f64 / graph.num_texts().max(1) as f64;
                    DegreeDistribution::poisson(mean)
                }
            };
            let mut rng = seeded_rng(seed);
            let mut row: Vec<u32> = Vec::new();
            for _ in 0..count {
                let d = (degrees.sample(&mut rng) as usize).min(present);
                row.clear();
                let mut tries = 0usize;
                while row.len() < d && tries < 1000 * (d + 1) {
                    let s = owners[rng.random_range(0..owners.len())];
                    if !row.contains(&s) {
                        row.push(s);
                    }
                    tries += 1;
                }
                tally(&row);
            }
        }
    }
    let fresh_texts = count;
    Ok(TestErrorSample {
        skill_error: if occurrences == 0 {
            0.0
        } else {
            unlearned_occ as f64 / occurrences as f64
        },
        text_error: failed_texts as f64 / fresh_texts.max(1) as f64,
        fresh_texts,
        fresh_occurrences: occurrences,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(n: usize, trials: usize, seed: u64) -> SimSetup {
        SimSetup {
            ensemble: Ensemble::SkillDriven {
                skills: n,
                ratio: 1.0,
                skill_degrees: "poly:0.5x^2+0.28x^3+0.22x^8".parse().unwrap(),
            },
            learner: Learner::capacity(1).unwrap(),
            unknown_fraction: 1.0,
            trials,
            seed,
        }
    }

    #[test]
    fn seeds_differ_across_points_and_trials() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..20 {
            for j in 0..20 {
                assert!(seen.insert(trial_seed(7, i, j)));
            }
        }
        assert_ne!(trial_seed(7, 0, 0), trial_seed(8, 0, 0));
    }

    #[test]
    fn trials_match_a_direct_peel() {
        let s = setup(3000, 3, 5);
        let pts = simulate_points(&s, &[0.9, 1.3], &|| {}).unwrap();
        assert_eq!(pts.len(), 2);
        for (i, p) in pts.iter().enumerate() {
            assert_eq!(p.trials.len(), 3);
            for (j, t) in p.trials.iter().enumerate() {
                let seed = trial_seed(5, i as u64, j as u64);
                assert_eq!(t.seed, seed);
                let g = s.ensemble.with_ratio(p.ratio).sample(seed).unwrap();
                let out = peel(&g, &s.learner, None);
                assert_eq!(t.unlearned, out.unlearned_fraction());
                assert_eq!(*t.trajectory.last().unwrap(), t.unlearned);
                assert_eq!(t.trajectory[0], 1.0);
            }
        }
        // Below the threshold much stays unlearned; above, almost nothing.
        assert!(pts[0].mean_unlearned > 0.2, "{:?}", pts[0].mean_unlearned);
        assert!(pts[1].mean_unlearned < 0.05, "{:?}", pts[1].mean_unlearned);
    }

    #[test]
    fn progress_counts_every_trial() {
        let n = std::sync::atomic::AtomicUsize::new(0);
        let s = setup(500, 4, 1);
        simulate_points(&s, &[1.0, 1.1, 1.2], &|| {
            n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        })
        .unwrap();
        assert_eq!(n.into_inner(), 12);
    }

    #[test]
    fn foundation_shrinks_the_unlearned_fraction() {
        let mut s = setup(4000, 2, 3);
        let none = simulate_points(&s, &[0.8], &|| {}).unwrap()[0].mean_unlearned;
        s.unknown_fraction = 0.5;
        let half = simulate_points(&s, &[0.8], &|| {}).unwrap()[0].mean_unlearned;
        assert!(half < none && half <= 0.5, "{half} vs {none}");
        s.unknown_fraction = 0.0;
        let all = simulate_points(&s, &[0.8], &|| {}).unwrap()[0].mean_unlearned;
        assert_eq!(all, 0.0);
    }

    #[test]
    fn bad_setups_are_rejected() {
        let mut s = setup(100, 0, 1);
        assert!(simulate_points(&s, &[1.0], &|| {}).is_err());
        s.trials = 1;
        s.unknown_fraction = 1.5;
        assert!(simulate_points(&s, &[1.0], &|| {}).is_err());
        s.unknown_fraction = 1.0;
        assert!(simulate_points(&s, &[-1.0], &|| {}).is_err());
    }

    #[test]
    fn mean_and_std() {
        assert_eq!(mean_std(&[2.0]), (2.0, 0.0));
        let (m, s) = mean_std(&[1.0, 3.0]);
        assert_eq!(m, 2.0);
        assert!((s - 2f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn fresh_text_errors_count_unlearned_occurrences() {
        let e = Ensemble::TextDriven {
            skills: 1000,
            ratio: 2.0,
            text_degrees: "fixed:3".parse().unwrap(),
            popularity: crate::ensemble::Popularity::Uniform,
        };
        let g = e.sample(1).unwrap();
        let all = vec![true; 1000];
        let none = vec![false; 1000];
        let ok = test_on_fresh(&e, &g, &all, 500, 2).unwrap();
        assert_eq!((ok.skill_error, ok.text_error), (0.0, 0.0));
        assert_eq!(ok.fresh_occurrences, 1500);
        let bad = test_on_fresh(&e, &g, &none, 500, 2).unwrap();
        assert_eq!((bad.skill_error, bad.text_error), (1.0, 1.0));
        // Half the skills learned: skill error near 1/2, text error near 1 - 1/8.
        let half: Vec<bool> = (0..1000).map(|s| s % 2 == 0).collect();
        let h = test_on_fresh(&e, &g, &half, 4000, 3).unwrap();
        assert!((h.skill_error - 0.5).abs() < 0.02, "{h:?}");
        assert!((h.text_error - 0.875).abs() < 0.02, "{h:?}");
    }

    #[test]
    fn skill_driven_fresh_texts_weight_skills_by_degree() {
        let e = Ensemble::SkillDriven {
            skills: 2000,
            ratio: 1.0,
            skill_degrees: "poly:0.5x^1+0.5x^3".parse().unwrap(),
        };
        let g = e.sample(4).unwrap();
        // Learn exactly the degree-3 skills: they carry 3/4 of the edges.
        let learned: Vec<bool> = (0..2000u32).map(|s| g.skill_degree(s) >= 3).collect();
        let share: f64 = (0..2000u32)
            .filter(|&s| !learned[s as usize])
            .map(|s| g.skill_degree(s) as f64)
            .sum::<f64>()
            / g.num_edges() as f64;
        let r = test_on_fresh(&e, &g, &learned, 20_000, 9).unwrap();
        assert!((r.skill_error - share).abs() < 0.02, "{r:?} vs {share}");
        let mean_deg = r.fresh_occurrences as f64 / 20_000.0;
        assert!((mean_deg - 2.0).abs() < 0.1, "{mean_deg}");
    }
}
