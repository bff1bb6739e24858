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
//! Measurement: union-find over the learned skills of each text, O(E α(N)).

use super::de::{DeParams, Prepared, density_evolution};
use crate::graph::SkillTextGraph;
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
    let (a, b) = if from <= to { (from, to) } else { (to, from) };
    let a = a.max(1e-9);
    let prep = prepared_with_delta(p);
    let cond_at = |r: f64| {
        let y = prep.run(r, p.unknown_fraction, false, false).not_teaching;
        condition(&prep, r, y) - 1.0
    };
    const POINTS: usize = 64;
    let step = (b - a) / (POINTS - 1) as f64;
    let mut prev_r = a;
    let mut prev = cond_at(a);
    for i in 1..POINTS {
        let r = a + step * i as f64;
        let c = cond_at(r);
        if (c > 0.0) != (prev > 0.0) {
            let (mut lo, mut hi) = (prev_r, r);
            let lo_sign = prev > 0.0;
            while hi - lo > 1e-6 {
                let mid = 0.5 * (lo + hi);
                if (cond_at(mid) > 0.0) == lo_sign {
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
