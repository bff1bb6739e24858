//! The skill association graph (theory.md section 5): two learned skills are
//! associated when a training text needs both. It is a site-percolated projection of
//! the bipartite graph, a skill of degree k being occupied (learned) with probability
//! `φ_k = 1 - δ y∞^k`.
//!
//! Prediction, by branching on the bipartite graph: with u the probability that the
//! edge from a skill to a text does not lead to the giant component, and v the same
//! from a text to a skill,
//!
//! ```text
//! v = Σ_k λ_k [(1 - φ_k) + φ_k u^(k-1)] = δ y λ(y) + λ(u) - δ y λ(y u)
//! u = ρ(v)
//! giant = Σ_k Λ_k φ_k (1 - u^k)      = 1 - δ Λ(y) - Λ(u) + δ Λ(y u)
//! condition = ρ'(1) Σ_k λ_k φ_k (k-1) = ρ'(1) [λ'(1) - δ y² λ'(y)]   (> 1: giant)
//! ```
//!
//! That is the **independent-site approximation**: it treats a skill's learned
//! status as independent of its text-mates', which peeling is not (a text that
//! teaches makes its skills learned together). It is kept, labelled as such, beside
//! the exact prediction.
//!
//! **Exact on locally tree-like graphs** (capacity 1, [`correlated_giant`]): follow a
//! skill w down from its parent text. With x = P(w unlearned without the parent)
//! from DE, let P1 = P(w learned without the parent and its branch below reaches an
//! infinite learned cluster) and P0 = P(w unlearned without the parent, but its
//! branch reaches one when the parent teaches it). A child text of w teaches w when
//! all its other skills are learned without it; it teaches them in turn when w is
//! learned without it. Summing over the child texts (ρ, and ρ' for "exactly one
//! child unlearned") gives, with `γ = ρ(1-P1) - ρ(1-x-P1) - P0 ρ'(1-x-P1)`,
//! `S = ρ(1-P1) - P0 ρ'(1-x-P1)` and `Dλ(z) = Σ_i e_i δ_i λ_i(z)`:
//!
//! ```text
//! P0 = Dλ(y) - Dλ(γ)
//! P1 = 1 - λ(S) - P0
//! giant = 1 - Λ(S) - [DΛ(y) - DΛ(γ)]
//! ```
//!
//! (0, 0) is always a fixed point; a giant cluster exists when the Jacobian there,
//! `[[λ'(1)ρ'(1) - Dλ'(y)(ρ'(1) - ρ'(1-x)), (λ'(1) - Dλ'(y)) ρ'(1-x)],
//! [Dλ'(y)(ρ'(1) - ρ'(1-x)), Dλ'(y) ρ'(1-x)]]`, has spectral radius above 1: that
//! crossing is the percolation point. With δ = 0 it is the bipartite branching number
//! `λ'(1)ρ'(1)`.
//!
//! Measurement: union-find over the learned skills of each text, O(E α(N)).

use super::de::{DeParams, Prepared, TextSide, density_evolution};
use crate::Result;
use crate::ensemble::Ensemble;
use crate::graph::SkillTextGraph;
use crate::peel::{Learner, peel, random_known};
use crate::seed;
use serde::Serialize;

/// The predicted association graph.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Percolation {
    /// Fraction of all skills in the giant component.
    pub giant_fraction: f64,
    /// `ρ'(1) Σ_k λ_k φ_k (k-1)`: the mean number of learned skills reached in one
    /// branching step; above 1 a giant component exists.
    pub condition_value: f64,
    /// `condition_value > 1`.
    pub percolates: bool,
    /// DE's unlearned fraction ε at these parameters.
    pub unlearned: f64,
}

/// The measured association graph of a trained graph.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AssociationStats {
    /// Skills in the largest component, divided by all skills (learned or not).
    pub giant_fraction: f64,
    /// Skills in the largest component.
    pub giant_size: usize,
    /// Connected components among learned skills (singletons included).
    pub components: usize,
    /// Learned skills.
    pub learned: usize,
    /// All skills.
    pub skills: usize,
}

fn prepared_with_delta(p: &DeParams) -> Prepared {
    let mut prep = Prepared::new(p);
    for c in &mut prep.comps {
        c.delta = p.unknown_fraction;
    }
    prep
}

fn condition(prep: &Prepared, r: f64, y: f64) -> f64 {
    let e = prep.at(r);
    e.rho_deriv_one()
        * e.edge_sum(|c, r| c.edge_gf_deriv(1.0, r) - c.delta * y * y * c.edge_gf_deriv(y, r))
}

/// The giant component and branching condition predicted at `p`.
pub fn predicted_giant(p: &DeParams) -> Percolation {
    let de = density_evolution(p);
    let y = de.not_teaching;
    let prep = prepared_with_delta(p);
    let r = p.effective_ratio();
    let e = prep.at(r);
    let cond = condition(&prep, r, y);
    let base = e.edge_sum(|c, r| c.delta * y * c.edge_gf(y, r));
    let mut u = 0.0f64;
    for _ in 0..super::de::MAX_ROUNDS {
        let v = base + e.edge_sum(|c, r| c.edge_gf(u, r) - c.delta * y * c.edge_gf(y * u, r));
        let u_new = e.rho(v.clamp(0.0, 1.0));
        let du = (u_new - u).abs();
        u = u_new;
        if du < 1e-14 {
            break;
        }
    }
    let giant = e.node_sum(|c, r| {
        1.0 - c.delta * c.node_gf(y, r) - c.node_gf(u, r) + c.delta * c.node_gf(y * u, r)
    });
    Percolation {
        giant_fraction: giant.clamp(0.0, 1.0),
        condition_value: cond,
        percolates: cond > 1.0,
        unlearned: de.unlearned,
    }
}

/// The first ratio in `[from, to]` where the branching condition crosses 1 (either
/// way), to 1e-6; `None` when it does not cross in the range (a 64-point scan, so
/// crossings closer together than the grid step may be missed).
pub fn percolation_point(p: &DeParams, from: f64, to: f64) -> Option<f64> {
    let prep = prepared_with_delta(p);
    let cond_at = |r: f64| {
        let y = prep.run(r, p.unknown_fraction, false, false).not_teaching;
        condition(&prep, r, y) - 1.0
    };
    first_crossing(cond_at, from, to)
}

/// The exact (tree) prediction of the association graph, capacity 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CorrelatedPercolation {
    /// Fraction of all skills in the giant component.
    pub giant_fraction: f64,
    /// Spectral radius of the recursion's Jacobian at "no giant"; above 1 a giant
    /// component exists.
    pub spectral_radius: f64,
    /// `spectral_radius > 1`.
    pub percolates: bool,
    /// DE's unlearned fraction ε at these parameters.
    pub unlearned: f64,
}

/// ρ'(z) of the text side.
fn rho_deriv(prep: &Prepared, r: f64, z: f64) -> f64 {
    let e = prep.at(r);
    match &prep.text {
        TextSide::Poisson => e.rho_deriv_one() * e.rho(z),
        TextSide::Table(d) => d.edge_gf_deriv(z),
        TextSide::Successive(s) => s.gamma.edge_gf_deriv(z),
    }
}

/// True when the learner is the paper's (capacity 1), the case the exact recursion
/// covers.
pub fn correlated_applies(p: &DeParams) -> bool {
    p.learner.capacity_of() == Some(1)
}

/// Jacobian spectral radius at "no giant" for DE's fixed point at ratio `r`.
fn radius_at(prep: &Prepared, r: f64, y: f64) -> f64 {
    let e = prep.at(r);
    let x = e.edge_sum(|c, r| c.delta * c.edge_gf(y, r));
    let l1 = e.edge_sum(|c, r| c.edge_gf_deriv(1.0, r));
    let dly = e.edge_sum(|c, r| c.delta * c.edge_gf_deriv(y, r));
    let r1 = e.rho_deriv_one();
    let rx = rho_deriv(prep, r, 1.0 - x);
    let a11 = l1 * r1 - dly * (r1 - rx);
    let a12 = (l1 - dly) * rx;
    let a21 = dly * (r1 - rx);
    let a22 = dly * rx;
    let tr = a11 + a22;
    let det = a11 * a22 - a12 * a21;
    0.5 * (tr + (tr * tr - 4.0 * det).max(0.0).sqrt())
}

/// The giant component predicted exactly on tree-like graphs (capacity 1 only:
/// `None` for other learners, where [`predicted_giant`] is the approximation).
pub fn correlated_giant(p: &DeParams) -> Option<CorrelatedPercolation> {
    if !correlated_applies(p) {
        return None;
    }
    let de = density_evolution(p);
    let y = de.not_teaching;
    let prep = prepared_with_delta(p);
    let r = p.effective_ratio();
    let e = prep.at(r);
    let x = e.edge_sum(|c, r| c.delta * c.edge_gf(y, r)).clamp(0.0, 1.0);
    let dl_y = x;
    let (mut p1, mut p0) = (1.0 - x, x);
    let mut gamma = y;
    let mut s = 1.0;
    for _ in 0..super::de::MAX_ROUNDS {
        let a = 1.0 - x - p1;
        s = (e.rho(1.0 - p1) - p0 * rho_deriv(&prep, r, a.max(0.0))).clamp(0.0, 1.0);
        gamma = (s - e.rho(a.max(0.0))).clamp(0.0, 1.0);
        let p0_new = (dl_y - e.edge_sum(|c, r| c.delta * c.edge_gf(gamma, r))).clamp(0.0, 1.0);
        let p1_new = (1.0 - e.edge_sum(|c, r| c.edge_gf(s, r)) - p0_new).clamp(0.0, 1.0);
        let d = (p1_new - p1).abs() + (p0_new - p0).abs();
        p1 = p1_new;
        p0 = p0_new;
        if d < 1e-14 {
            break;
        }
    }
    let giant = 1.0
        - e.node_sum(|c, r| c.node_gf(s, r))
        - e.node_sum(|c, r| c.delta * (c.node_gf(y, r) - c.node_gf(gamma, r)));
    let radius = radius_at(&prep, r, y);
    Some(CorrelatedPercolation {
        giant_fraction: if radius > 1.0 {
            giant.clamp(0.0, 1.0)
        } else {
            0.0
        },
        spectral_radius: radius,
        percolates: radius > 1.0,
        unlearned: de.unlearned,
    })
}

/// The first ratio in `[from, to]` where the exact recursion's spectral radius
/// crosses 1, to 1e-6 (capacity 1; a 64-point scan, then bisection).
pub fn correlated_percolation_point(p: &DeParams, from: f64, to: f64) -> Option<f64> {
    if !correlated_applies(p) {
        return None;
    }
    let prep = prepared_with_delta(p);
    let f = |r: f64| {
        let y = prep.run(r, p.unknown_fraction, false, false).not_teaching;
        radius_at(&prep, r, y) - 1.0
    };
    first_crossing(f, from, to)
}

/// The first sign change of `f` on a 64-point grid of `[from, to]`, bisected to 1e-6.
fn first_crossing(f: impl Fn(f64) -> f64, from: f64, to: f64) -> Option<f64> {
    let (a, b) = if from <= to { (from, to) } else { (to, from) };
    let a = a.max(1e-9);
    const POINTS: usize = 64;
    let step = (b - a) / (POINTS - 1) as f64;
    let mut prev_r = a;
    let mut prev = f(a);
    for i in 1..POINTS {
        let r = a + step * i as f64;
        let c = f(r);
        if (c > 0.0) != (prev > 0.0) {
            let (mut lo, mut hi) = (prev_r, r);
            let lo_sign = prev > 0.0;
            while hi - lo > 1e-6 {
                let mid = 0.5 * (lo + hi);
                if (f(mid) > 0.0) == lo_sign {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            return Some(0.5 * (lo + hi));
        }
        prev = c;
        prev_r = r;
    }
    None
}

/// One simulated association graph: the sampled graph's unlearned fraction and its
/// measured components.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AssociationSample {
    /// Unlearned fraction after peeling.
    pub unlearned: f64,
    /// The measured association graph.
    pub stats: AssociationStats,
}

/// Samples `ensemble` with `seed`, peels it with `learner` from a known set of
/// unknown fraction δ, and measures the association graph. The graph, the known set
/// and the learner's draws use seeds derived from `seed` ([`crate::seed`]).
pub fn simulate_association(
    ensemble: &Ensemble,
    learner: &Learner,
    unknown_fraction: f64,
    seed: u64,
) -> Result<AssociationSample> {
    let g = ensemble.sample(seed::derive(seed, seed::role::GRAPH, 0))?;
    let known = (unknown_fraction < 1.0).then(|| {
        random_known(
            g.num_skills(),
            unknown_fraction,
            seed::derive(seed, seed::role::KNOWN, 0),
        )
    });
    let learner = learner
        .clone()
        .with_seed(seed::derive(seed, seed::role::LEARNER, 0));
    let out = peel(&g, &learner, known.as_deref());
    Ok(AssociationSample {
        unlearned: out.unlearned_fraction(),
        stats: measure_association(&g, &out.learned),
    })
}

/// A percolation point measured in simulation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MeasuredPoint {
    /// Mean over trials of the ratio where the giant fraction crosses `level`.
    pub ratio: f64,
    /// Its error: the trials' standard error and the bisection's resolution.
    pub error: f64,
    /// The giant fraction level that defines the crossing.
    pub level: f64,
}

/// The ratio in `[from, to]` where the measured giant fraction first exceeds `level`,
/// by bisection to `resolution` in each of `trials` independent runs (each step a
/// fresh graph). `None` when the range does not bracket the crossing in a trial.
#[allow(clippy::too_many_arguments)]
pub fn measured_percolation_point(
    ensemble: &Ensemble,
    learner: &Learner,
    unknown_fraction: f64,
    level: f64,
    from: f64,
    to: f64,
    resolution: f64,
    trials: usize,
    seed: u64,
) -> Result<Option<MeasuredPoint>> {
    let mut found = Vec::new();
    for trial in 0..trials.max(1) as u64 {
        let tseed = seed::derive(seed, seed::role::TRIAL, trial);
        let mut step = 0u64;
        let mut giant = |r: f64| -> Result<f64> {
            step += 1;
            let sample = simulate_association(
                &ensemble.with_ratio(r),
                learner,
                unknown_fraction,
                seed::derive(tseed, seed::role::POINT, step),
            )?;
            Ok(sample.stats.giant_fraction)
        };
        if giant(from)? > level || giant(to)? <= level {
            return Ok(None);
        }
        let (mut lo, mut hi) = (from, to);
        while hi - lo > resolution {
            let mid = 0.5 * (lo + hi);
            if giant(mid)? > level {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        found.push(0.5 * (lo + hi));
    }
    let (mean, sd) = super::simulate::mean_std(&found);
    let error = (sd * sd / found.len() as f64 + resolution * resolution / 4.0).sqrt();
    Ok(Some(MeasuredPoint {
        ratio: mean,
        error,
        level,
    }))
}

/// Components of the association graph of `graph` restricted to `learned` skills.
///
/// `learned` has one entry per skill (for instance [`crate::peel::PeelOutcome::learned`]);
/// a shorter slice counts the missing skills as unlearned.
pub fn measure_association(graph: &SkillTextGraph, learned: &[bool]) -> AssociationStats {
    let n = graph.num_skills();
    let is = |s: u32| learned.get(s as usize).copied().unwrap_or(false);
    let mut parent: Vec<u32> = (0..n as u32).collect();
    let mut size: Vec<u32> = vec![1; n];
    fn find(parent: &mut [u32], mut a: u32) -> u32 {
        while parent[a as usize] != a {
            let g = parent[parent[a as usize] as usize];
            parent[a as usize] = g;
            a = g;
        }
        a
    }
    for t in 0..graph.num_texts() as u32 {
        let mut first: Option<u32> = None;
        for &s in graph.skills_of(t) {
            if !is(s) {
                continue;
            }
            match first {
                None => first = Some(s),
                Some(f) => {
                    let (a, b) = (find(&mut parent, f), find(&mut parent, s));
                    if a != b {
                        let (big, small) = if size[a as usize] >= size[b as usize] {
                            (a, b)
                        } else {
                            (b, a)
                        };
                        parent[small as usize] = big;
                        size[big as usize] += size[small as usize];
                    }
                }
            }
        }
    }
    let mut components = 0;
    let mut giant = 0usize;
    let mut count = 0;
    for s in 0..n as u32 {
        if !is(s) {
            continue;
        }
        count += 1;
        if parent[s as usize] == s {
            components += 1;
            giant = giant.max(size[s as usize] as usize);
        }
    }
    AssociationStats {
        giant_fraction: if n == 0 { 0.0 } else { giant as f64 / n as f64 },
        giant_size: giant,
        components,
        learned: count,
        skills: n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_find_counts_components() {
        // t0 = {0,1}, t1 = {1,2}, t2 = {3,4}, t3 = {5}
        let g = SkillTextGraph::from_edges(
            6,
            4,
            &[(0, 0), (1, 0), (1, 1), (2, 1), (3, 2), (4, 2), (5, 3)],
        )
        .unwrap();
        let all = measure_association(&g, &[true; 6]);
        assert_eq!((all.giant_size, all.components, all.learned), (3, 3, 6));
        // Skill 1 unlearned splits {0,1,2}.
        let some = measure_association(&g, &[true, false, true, true, true, true]);
        assert_eq!((some.giant_size, some.components, some.learned), (2, 4, 5));
        assert!((some.giant_fraction - 2.0 / 6.0).abs() < 1e-12);
    }
}
