//! Monte Carlo trials beside density evolution: sample a graph from an ensemble,
//! peel it with [`crate::peel::peel`] (the one peeling engine) and measure what was
//! learned, and on fresh texts how often a skill is still unknown.
//!
//! # Seeds
//! Trial `j` of point `i` under base seed `b` uses [`trial_seed`]`(b, i, j)` for its
//! graph; the initial known set ([`known_seed`]), a probabilistic learner's draws
//! ([`learner_seed`]) and fresh texts use seeds derived from it by [`crate::seed`]. Every trial is a pure function of its seed, trials run in
//! parallel with rayon and are collected in order, so the numbers do not depend on
//! the number of threads.
//!
//! # Fresh texts (test error, theory.md section 4)
//! A trained graph is tested on `F` fresh texts (by default as many as training
//! texts) over the same skills:
//! - **text-driven**: fresh texts are drawn by the very rule of the training texts
//!   (same text degrees Γ, same popularity over the same skill indices) from an
//!   independent seed; a skill's training texts are independent of the fresh text.
//! - **skill-driven and configuration**: here a skill's popularity *is* its degree
//!   and its texts are part of its definition, so a fresh text is a *held-out* one,
//!   taken leave-one-out: its degree is drawn from the text-degree law (Poisson with
//!   mean E/T for skill-driven, Γ for configuration models) and each of its skill
//!   occurrences is a uniformly random training edge (s, t), scored as if t were the
//!   held-out text. The skill counts as unlearned when it would not be learned from
//!   its other texts: never learned; or taught by t itself and no other text of s
//!   could teach it (a text with u unlearned other skills at the end teaches s with
//!   probability p_{u+1}; the product over those texts is used as a fractional
//!   count, and the text error is then the expected one, 1 − Π(1 − q)). A skill
//!   known before training, or taught by another text, is learned. The training graph
//!   stays exactly the ensemble at ratio R (holding out texts of a larger graph
//!   would thin Λ), and on tree-like graphs this is DE's edge message, so the
//!   expected skill error is `x∞ = δ λ(y∞)`, as in [`super::law::test_error_de`].
//!
//! `skill_error` is the share of skill occurrences in fresh texts whose skill is
//! unlearned; `text_error` the share of fresh texts with at least one unlearned skill
//! (a fresh text without skills is understood).

use crate::ensemble::{DegreeDistribution, Ensemble, seeded_rng};
use crate::graph::SkillTextGraph;
use crate::peel::{KNOWN_BEFORE, Learner, NEVER_LEARNED, PeelOutcome, peel, random_known};
use crate::seed;
use crate::{Error, Result};
use rand::Rng;
use rayon::prelude::*;
use serde::Serialize;

/// Most trials one point may ask for (a guard against typos).
pub const MAX_TRIALS: usize = 100_000;

/// The seed of trial `trial` at sweep point `point` under base seed `base`.
pub fn trial_seed(base: u64, point: u64, trial: u64) -> u64 {
    seed::derive(
        seed::derive(base, seed::role::POINT, point),
        seed::role::TRIAL,
        trial,
    )
}

/// The seed of the initially known set of the trial of seed `trial`.
pub fn known_seed(trial: u64) -> u64 {
    seed::derive(trial, seed::role::KNOWN, 0)
}

/// The seed of a probabilistic learner's draws in the trial of seed `trial`.
pub fn learner_seed(trial: u64) -> u64 {
    seed::derive(trial, seed::role::LEARNER, 0)
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
            return Err(Error::parameter(
                "trials",
                self.trials,
                format!("use 1 to {MAX_TRIALS}"),
            ));
        }
        self.ensemble.validate()
    }
}

/// Checks that an unknown fraction δ lies in [0, 1].
pub fn check_unknown_fraction(delta: f64) -> Result<()> {
    if !(0.0..=1.0).contains(&delta) {
        return Err(Error::parameter(
            "unknown_fraction",
            delta,
            "must be in [0, 1] (the share of skills not known before training)",
        ));
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
    let known = (unknown_fraction < 1.0)
        .then(|| random_known(graph.num_skills(), unknown_fraction, known_seed(seed)));
    let learner = learner.clone().with_seed(learner_seed(seed));
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
        let sample = test_on_fresh(
            e,
            &graph,
            &out,
            &setup.learner,
            f,
            seed::derive(seed, seed::role::FRESH, 0),
        )?;
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

/// Measures skill and text error after training on `graph` (a sample of
/// `ensemble`, peeled by `learner` into `outcome`) on `count` fresh texts drawn
/// with `seed` (see the module docs).
pub fn test_on_fresh(
    ensemble: &Ensemble,
    graph: &SkillTextGraph,
    outcome: &PeelOutcome,
    learner: &Learner,
    count: usize,
    seed: u64,
) -> Result<TestErrorSample> {
    let learned = &outcome.learned;
    if learned.len() != graph.num_skills() || outcome.taught_by.len() != graph.num_skills() {
        return Err(Error::invalid(
            "the peeling outcome must have one entry per skill of the graph",
        ));
    }
    let mut occurrences = 0usize;
    let mut unlearned_occ = 0.0f64;
    let mut failed_texts = 0.0f64;
    // `qs`: probability that each occurrence is unlearned.
    let mut tally = |qs: &mut dyn Iterator<Item = f64>| {
        let mut ok = 1.0;
        for q in qs {
            occurrences += 1;
            unlearned_occ += q;
            ok *= 1.0 - q;
        }
        failed_texts += 1.0 - ok;
    };
    match ensemble {
        Ensemble::TextDriven { skills, .. } => {
            let fresh = ensemble.with_ratio(count as f64 / *skills as f64);
            let g = fresh.sample(seed)?;
            for t in 0..g.num_texts() as u32 {
                tally(
                    &mut g
                        .skills_of(t)
                        .iter()
                        .map(|&s| if learned[s as usize] { 0.0 } else { 1.0 }),
                );
            }
        }
        Ensemble::SkillDriven { .. } | Ensemble::Configuration { .. } => {
            let alone = unlearned_without_teacher(graph, outcome, learner);
            let edges: Vec<(u32, u32)> = (0..graph.num_skills() as u32)
                .flat_map(|s| graph.texts_of(s).iter().map(move |&t| (s, t)))
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
            let q_of = |(s, t): (u32, u32)| match outcome.taught_by[s as usize] {
                NEVER_LEARNED => 1.0,
                teacher if teacher == t => alone[s as usize],
                _ => 0.0,
            };
            let mut rng = seeded_rng(seed);
            let mut row: Vec<(u32, u32)> = Vec::new();
            for _ in 0..count {
                let d = (degrees.sample(&mut rng) as usize).min(present);
                row.clear();
                let mut tries = 0usize;
                while row.len() < d && tries < 1000 * (d + 1) {
                    let e = edges[rng.random_range(0..edges.len())];
                    if !row.iter().any(|&(s, _)| s == e.0) {
                        row.push(e);
                    }
                    tries += 1;
                }
                tally(&mut row.iter().map(|&e| q_of(e)));
            }
        }
    }
    Ok(TestErrorSample {
        skill_error: if occurrences == 0 {
            0.0
        } else {
            unlearned_occ / occurrences as f64
        },
        text_error: failed_texts / count.max(1) as f64,
        fresh_texts: count,
        fresh_occurrences: occurrences,
    })
}

/// For each skill taught by a text, the probability that it stays unlearned when
/// that text (its teacher) is held out; 0 for other skills.
///
/// Skill s, taught by text t, is learned without t when another text t' of s can
/// teach it: t' teaches with probability `p_{u+1}`, u counting the other skills of
/// t' that are unlearned without t' (unlearned at the end, or taught by t' itself and
/// not learnable without it: the same question one step downstream, answered first).
/// Exact on tree-like graphs for a deterministic learner; for a probabilistic one the
/// downstream answers are treated as independent (u is Poisson-binomial).
fn unlearned_without_teacher(
    graph: &SkillTextGraph,
    outcome: &PeelOutcome,
    learner: &Learner,
) -> Vec<f64> {
    const TODO: u8 = 0;
    const OPEN: u8 = 1;
    const DONE: u8 = 2;
    let n = graph.num_skills();
    let taught_by = &outcome.taught_by;
    let is_taught = |s: u32| !matches!(taught_by[s as usize], KNOWN_BEFORE | NEVER_LEARNED);
    let unlearned_in: Vec<u32> = (0..graph.num_texts() as u32)
        .map(|t| {
            graph
                .skills_of(t)
                .iter()
                .filter(|&&s| !outcome.learned[s as usize])
                .count() as u32
        })
        .collect();
    // learned_alone[s]: P(s learned without its teacher); read only once DONE.
    let mut learned_alone = vec![0.0f64; n];
    let mut state = vec![TODO; n];
    let mut stack: Vec<u32> = Vec::new();
    let mut dist: Vec<f64> = Vec::new();
    for root in 0..n as u32 {
        if !is_taught(root) || state[root as usize] == DONE {
            continue;
        }
        stack.push(root);
        while let Some(&s) = stack.last() {
            let teacher = taught_by[s as usize];
            match state[s as usize] {
                TODO => {
                    // Expand: the skills that other texts of s taught come first.
                    state[s as usize] = OPEN;
                    for &t in graph.texts_of(s).iter().filter(|&&t| t != teacher) {
                        for &r in graph.skills_of(t) {
                            if r != s && taught_by[r as usize] == t && state[r as usize] == TODO {
                                stack.push(r);
                            }
                        }
                    }
                }
                OPEN => {
                    let mut stays = 1.0;
                    for &t in graph.texts_of(s).iter().filter(|&&t| t != teacher) {
                        // u = unlearned at the end + Σ Bernoulli(not learnable without t).
                        dist.clear();
                        dist.push(1.0);
                        for &r in graph.skills_of(t) {
                            if r == s || taught_by[r as usize] != t {
                                continue;
                            }
                            // A cycle (loopy graph) counts as not learnable.
                            let q = if state[r as usize] == DONE {
                                1.0 - learned_alone[r as usize]
                            } else {
                                1.0
                            };
                            dist.push(0.0);
                            for k in (1..dist.len()).rev() {
                                dist[k] = dist[k] * (1.0 - q) + dist[k - 1] * q;
                            }
                            dist[0] *= 1.0 - q;
                        }
                        let base = unlearned_in[t as usize] as usize;
                        let teach: f64 = dist
                            .iter()
                            .enumerate()
                            .map(|(k, &pk)| pk * learner.prob(base + k + 1))
                            .sum();
                        stays *= 1.0 - teach;
                    }
                    learned_alone[s as usize] = 1.0 - stays;
                    state[s as usize] = DONE;
                    stack.pop();
                }
                _ => {
                    stack.pop();
                }
            }
        }
    }
    (0..n as u32)
        .map(|s| {
            if is_taught(s) {
                1.0 - learned_alone[s as usize]
            } else {
                0.0
            }
        })
        .collect()
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

    fn outcome_of(learned: Vec<bool>) -> PeelOutcome {
        let taught_by = learned
            .iter()
            .map(|&l| if l { KNOWN_BEFORE } else { NEVER_LEARNED })
            .collect();
        let count = learned.iter().filter(|&&l| l).count() as u64;
        PeelOutcome {
            learned,
            taught_by,
            trajectory: vec![count],
        }
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
        let l = Learner::capacity(1).unwrap();
        let ok = test_on_fresh(&e, &g, &outcome_of(vec![true; 1000]), &l, 500, 2).unwrap();
        assert_eq!((ok.skill_error, ok.text_error), (0.0, 0.0));
        assert_eq!(ok.fresh_occurrences, 1500);
        let bad = test_on_fresh(&e, &g, &outcome_of(vec![false; 1000]), &l, 500, 2).unwrap();
        assert_eq!((bad.skill_error, bad.text_error), (1.0, 1.0));
        // Half the skills learned: skill error near 1/2, text error near 1 - 1/8.
        let half = outcome_of((0..1000).map(|s| s % 2 == 0).collect());
        let h = test_on_fresh(&e, &g, &half, &l, 4000, 3).unwrap();
        assert!((h.skill_error - 0.5).abs() < 0.02, "{h:?}");
        assert!((h.text_error - 0.875).abs() < 0.02, "{h:?}");
    }

    #[test]
    fn held_out_teacher_is_replaced_only_by_a_text_that_can_teach() {
        // t0 = {0}, t1 = {0,1}, t2 = {1,2}, t3 = {2,3,4}: capacity 1 learns 0, 1, 2.
        let g =
            SkillTextGraph::from_text_rows(5, vec![0, 1, 3, 5, 8], vec![0, 0, 1, 1, 2, 2, 3, 4])
                .unwrap();
        let l = Learner::capacity(1).unwrap();
        let out = peel(&g, &l, None);
        let alone = unlearned_without_teacher(&g, &out, &l);
        // A chain: each skill's other text needs the next skill, taught by that very
        // text, and skill 2's other text t3 has two unlearned skills. Without its
        // teacher no skill is learned.
        assert_eq!(alone, vec![1.0, 1.0, 1.0, 0.0, 0.0]);
        // With t4 = {2} added, skill 2 is learnable twice over, and so the chain is.
        let g3 = SkillTextGraph::from_text_rows(
            5,
            vec![0, 1, 3, 5, 8, 9],
            vec![0, 0, 1, 1, 2, 2, 3, 4, 2],
        )
        .unwrap();
        let o3 = peel(&g3, &l, None);
        assert_eq!(unlearned_without_teacher(&g3, &o3, &l), vec![0.0; 5]);
        let l2 = Learner::capacity(3).unwrap();
        let out2 = peel(&g, &l2, None);
        assert!(out2.learned.iter().all(|&x| x));
        // Capacity 3 learns the chain in one round; t3 still teaches skill 2 with its
        // two other skills unknown, while skills 3 and 4 have no other text.
        assert_eq!(
            unlearned_without_teacher(&g, &out2, &l2),
            vec![0.0, 0.0, 0.0, 1.0, 1.0]
        );
        // A noisy learner: t3 with 1 unlearned other skill teaches with p_2 = 0.5.
        let noisy = Learner::probabilistic(vec![1.0, 0.5], 0).unwrap();
        // Downstream: t0 = {0}, t1 = {0,1}. Without t0, skill 0 is not learned: t1's
        // other skill 1 was taught by t1 itself, so it does not count as known.
        let g2 = SkillTextGraph::from_text_rows(2, vec![0, 1, 3], vec![0, 0, 1]).unwrap();
        let o2 = peel(&g2, &l, None);
        assert_eq!(unlearned_without_teacher(&g2, &o2, &l), vec![1.0, 1.0]);
        let mut o = outcome_of(vec![true, true, true, false, true]);
        o.taught_by[2] = 2;
        let q = unlearned_without_teacher(&g, &o, &noisy);
        assert_eq!(q[2], 0.5);
    }
}
