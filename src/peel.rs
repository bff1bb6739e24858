//! The peeling engine: the abstract learner of theory.md section 2.
//!
//! A text with at least one and at most c unlearned skills teaches them all; repeat
//! until no text can teach. The same engine is the successive interference
//! cancellation of IRSA (skills = users, texts = slots) and the peeling decoder of
//! LDPC codes on the erasure channel (skills = variable nodes, texts = checks).
//!
//! It keeps a counter of unlearned skills per text and a work queue, so a run costs
//! O(E) and allocates nothing per step. Work is done in rounds (a text that becomes
//! able to teach during round l teaches in round l + 1), and the learned count after
//! each round is the emergence trajectory.

use crate::graph::SkillTextGraph;
use crate::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// Marks a skill that was known before peeling started in [`PeelOutcome::taught_by`].
pub const KNOWN_BEFORE: u32 = u32::MAX;
/// Marks a skill that was never learned in [`PeelOutcome::taught_by`].
pub const NEVER_LEARNED: u32 = u32::MAX - 1;

/// How a text with k novel (unlearned) skills teaches them.
///
/// A learner is the table `p_k`: the probability that a text with k novel skills
/// teaches a given one of them. Capacity c is `p_k = 1` for k <= c and 0 above.
#[derive(Debug, Clone, PartialEq)]
pub struct Learner {
    probs: Vec<f64>,
    seed: u64,
}

impl Learner {
    /// The deterministic learner of capacity `c` (c = 1 is the paper's learner).
    pub fn capacity(c: u32) -> Result<Self> {
        if c == 0 {
            return Err(Error::invalid(
                "capacity must be at least 1 (a learner of capacity 0 learns nothing)",
            ));
        }
        Ok(Learner {
            probs: vec![1.0; c as usize],
            seed: 0,
        })
    }

    /// A Poisson learner with table `probs[k - 1] = p_k` (0 beyond the table).
    pub fn probabilistic(probs: Vec<f64>, seed: u64) -> Result<Self> {
        if probs.is_empty() {
            return Err(Error::invalid(
                "a learner needs at least one probability p_1",
            ));
        }
        if let Some(p) = probs.iter().find(|p| !(0.0..=1.0).contains(*p)) {
            return Err(Error::invalid(format!(
                "learner probability {p} is outside [0, 1]"
            )));
        }
        let mut probs = probs;
        while probs.len() > 1 && probs.last() == Some(&0.0) {
            probs.pop();
        }
        Ok(Learner { probs, seed })
    }

    /// The same learner drawing its random choices from `seed`.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// `p_k`, the probability that a text with k novel skills teaches a given one.
    #[inline]
    pub fn prob(&self, k: usize) -> f64 {
        if k == 0 {
            0.0
        } else {
            self.probs.get(k - 1).copied().unwrap_or(0.0)
        }
    }

    /// The table `p_1, p_2, ...` (zero beyond its end).
    pub fn probs(&self) -> &[f64] {
        &self.probs
    }

    /// The largest k with `p_k > 0` (the capacity, for a deterministic learner).
    pub fn max_novel(&self) -> usize {
        self.probs.len()
    }

    /// True when every `p_k` is 0 or 1, so no random draw is needed.
    pub fn is_deterministic(&self) -> bool {
        self.probs.iter().all(|&p| p == 0.0 || p == 1.0)
    }

    /// Whether the text `t`, at k novel skills, teaches skill `s`.
    ///
    /// The draw is one seeded uniform per (text, skill), compared with `p_k` at each k
    /// the text reaches: for a non-increasing table this gives the text one chance at
    /// its final count, which is what density evolution assumes, and the result does
    /// not depend on visit order.
    #[inline]
    fn teaches(&self, t: u32, k: usize, s: u32) -> bool {
        let p = self.prob(k);
        if p >= 1.0 {
            return true;
        }
        if p <= 0.0 {
            return false;
        }
        let h = mix64(
            self.seed
                ^ (t as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
                ^ (s as u64).wrapping_mul(0x1656_67B1_9E37_79F9),
        );
        ((h >> 11) as f64 * (1.0 / (1u64 << 53) as f64)) < p
    }
}

impl FromStr for Learner {
    type Err = Error;

    /// Parses `capacity:C` (or a bare `C`) and `probs:p1,p2,...`.
    fn from_str(spec: &str) -> Result<Self> {
        let spec = spec.trim();
        let bad = |why: &str| Error::invalid(format!("learner spec '{spec}': {why}"));
        if let Some(list) = spec.strip_prefix("probs:") {
            let probs = list
                .split(',')
                .map(|p| {
                    p.trim()
                        .parse::<f64>()
                        .map_err(|_| bad("not a number list"))
                })
                .collect::<Result<Vec<_>>>()?;
            if probs.iter().any(|p| !(0.0..=1.0).contains(p)) {
                return Err(bad("every probability must be in [0, 1]"));
            }
            return Learner::probabilistic(probs, 0);
        }
        let c = spec.strip_prefix("capacity:").unwrap_or(spec);
        let c: u32 = c
            .parse()
            .map_err(|_| bad("expected capacity:C or probs:p1,p2,..."))?;
        Learner::capacity(c).map_err(|e| bad(&e.to_string()))
    }
}

impl fmt::Display for Learner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.probs.iter().all(|&p| p == 1.0) {
            write!(f, "capacity:{}", self.probs.len())
        } else {
            let list: Vec<String> = self.probs.iter().map(|p| p.to_string()).collect();
            write!(f, "probs:{}", list.join(","))
        }
    }
}

/// SplitMix64's finalizer: a fast, well-mixed 64-bit hash.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A known set where each skill is unknown with probability `unknown_fraction`
/// (δ), drawn from `seed`.
pub fn random_known(num_skills: usize, unknown_fraction: f64, seed: u64) -> Vec<bool> {
    (0..num_skills as u64)
        .map(|s| {
            let u = (mix64(seed ^ s.wrapping_mul(0xD6E8_FEB8_6659_FD93)) >> 11) as f64
                / (1u64 << 53) as f64;
            u >= unknown_fraction
        })
        .collect()
}

/// What a peeling run learned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeelOutcome {
    /// Whether each skill is known at the end (learned or known before).
    pub learned: Vec<bool>,
    /// For each skill, the text that taught it, [`KNOWN_BEFORE`] or [`NEVER_LEARNED`].
    pub taught_by: Vec<u32>,
    /// Known skills after round 0 (the initial set), round 1, ... until no change.
    pub trajectory: Vec<u64>,
}

impl PeelOutcome {
    /// Number of skills known at the end.
    pub fn learned_count(&self) -> u64 {
        *self.trajectory.last().unwrap_or(&0)
    }

    /// Fraction of skills not known at the end (ε).
    pub fn unlearned_fraction(&self) -> f64 {
        let n = self.learned.len();
        if n == 0 {
            0.0
        } else {
            1.0 - self.learned_count() as f64 / n as f64
        }
    }
}

/// Runs the learner on `graph`, starting from `known` (all unknown when `None`).
pub fn peel(graph: &SkillTextGraph, learner: &Learner, known: Option<&[bool]>) -> PeelOutcome {
    let n = graph.num_skills();
    let learned = match known {
        Some(k) => {
            assert_eq!(k.len(), n, "known set must have one entry per skill");
            k.to_vec()
        }
        None => vec![false; n],
    };
    let taught_by: Vec<u32> = learned
        .iter()
        .map(|&k| if k { KNOWN_BEFORE } else { NEVER_LEARNED })
        .collect();
    let count = learned.iter().filter(|&&k| k).count() as u64;
    if learner.max_novel() == 1 {
        peel_single(graph, learner, learned, taught_by, count)
    } else {
        peel_general(graph, learner, learned, taught_by, count)
    }
}

/// The general engine: a text with k novel skills, 1 <= k <= capacity, looks them up.
fn peel_general(
    graph: &SkillTextGraph,
    learner: &Learner,
    mut learned: Vec<bool>,
    mut taught_by: Vec<u32>,
    mut count: u64,
) -> PeelOutcome {
    let t_count = graph.num_texts();
    let kmax = learner.max_novel();

    // remaining[t] = unlearned skills of text t; a queue entry (t, k) is stale once
    // remaining[t] != k, since a newer entry was pushed for the new count.
    let mut remaining: Vec<u32> = Vec::with_capacity(t_count);
    let mut current: Vec<(u32, u32)> = Vec::new();
    for t in 0..t_count as u32 {
        let k = graph
            .skills_of(t)
            .iter()
            .filter(|&&s| !learned[s as usize])
            .count() as u32;
        remaining.push(k);
        if k >= 1 && k as usize <= kmax {
            current.push((t, k));
        }
    }

    let mut trajectory = vec![count];
    let mut next: Vec<(u32, u32)> = Vec::new();
    let mut taught: Vec<u32> = Vec::new();
    while !current.is_empty() {
        for &(t, k) in &current {
            if remaining[t as usize] != k {
                continue;
            }
            taught.clear();
            for &s in graph.skills_of(t) {
                if !learned[s as usize] && learner.teaches(t, k as usize, s) {
                    taught.push(s);
                }
            }
            for &s in &taught {
                // A skill listed twice in one text is taught once.
                if learned[s as usize] {
                    continue;
                }
                learned[s as usize] = true;
                taught_by[s as usize] = t;
                count += 1;
                for &u in graph.texts_of(s) {
                    let r = &mut remaining[u as usize];
                    *r -= 1;
                    if *r >= 1 && *r as usize <= kmax {
                        next.push((u, *r));
                    }
                }
            }
        }
        trajectory.push(count);
        std::mem::swap(&mut current, &mut next);
        next.clear();
    }
    outcome(learned, taught_by, trajectory)
}

/// Capacity 1 (or a table with only p_1): the same rounds and visit order as
/// [`peel_general`], so the same outcome, but each text keeps the XOR of its
/// unlearned skills beside their count. A text at count 1 names its novel skill
/// without reading its row, which saves two cache misses per learned skill. A skill
/// listed twice in a text cancels in the XOR but also counts twice, so a count of 1
/// always means exactly one novel occurrence.
fn peel_single(
    graph: &SkillTextGraph,
    learner: &Learner,
    mut learned: Vec<bool>,
    mut taught_by: Vec<u32>,
    mut count: u64,
) -> PeelOutcome {
    let t_count = graph.num_texts();
    // state[t] = [unlearned occurrences, XOR of the unlearned skills].
    let mut state: Vec<[u32; 2]> = Vec::with_capacity(t_count);
    let mut current: Vec<u32> = Vec::new();
    for t in 0..t_count as u32 {
        let mut st = [0u32, 0u32];
        for &s in graph.skills_of(t) {
            if !learned[s as usize] {
                st[0] += 1;
                st[1] ^= s;
            }
        }
        state.push(st);
        if st[0] == 1 {
            current.push(t);
        }
    }
    let mut trajectory = vec![count];
    let mut next: Vec<u32> = Vec::new();
    while !current.is_empty() {
        for &t in &current {
            let [k, s] = state[t as usize];
            // k == 1: s is the one unlearned skill of t.
            if k != 1 || !learner.teaches(t, 1, s) {
                continue;
            }
            learned[s as usize] = true;
            taught_by[s as usize] = t;
            count += 1;
            for &u in graph.texts_of(s) {
                let st = &mut state[u as usize];
                st[0] -= 1;
                st[1] ^= s;
                if st[0] == 1 {
                    next.push(u);
                }
            }
        }
        trajectory.push(count);
        std::mem::swap(&mut current, &mut next);
        next.clear();
    }
    outcome(learned, taught_by, trajectory)
}

/// The outcome of a run; the last round is dropped when it changed nothing (the queue
/// only ran dry after it).
fn outcome(learned: Vec<bool>, taught_by: Vec<u32>, mut trajectory: Vec<u64>) -> PeelOutcome {
    if trajectory.len() >= 2 && trajectory[trajectory.len() - 1] == trajectory[trajectory.len() - 2]
    {
        trajectory.pop();
    }
    PeelOutcome {
        learned,
        taught_by,
        trajectory,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain() -> SkillTextGraph {
        // t0 = {0}, t1 = {0,1}, t2 = {1,2}, t3 = {2,3,4}
        SkillTextGraph::from_text_rows(5, vec![0, 1, 3, 5, 8], vec![0, 0, 1, 1, 2, 2, 3, 4])
            .unwrap()
    }

    #[test]
    fn capacity_one_peels_a_chain_round_by_round() {
        let out = peel(&chain(), &Learner::capacity(1).unwrap(), None);
        assert_eq!(out.learned, vec![true, true, true, false, false]);
        assert_eq!(out.trajectory, vec![0, 1, 2, 3]);
        assert_eq!(out.taught_by[0], 0);
        assert_eq!(out.taught_by[2], 2);
        assert_eq!(out.taught_by[3], NEVER_LEARNED);
    }

    #[test]
    fn capacity_two_finishes_the_chain() {
        let out = peel(&chain(), &Learner::capacity(2).unwrap(), None);
        assert!(out.learned.iter().all(|&l| l));
        assert_eq!(out.learned_count(), 5);
    }

    #[test]
    fn known_set_is_kept_and_used() {
        let known = [false, false, false, true, false];
        let out = peel(&chain(), &Learner::capacity(1).unwrap(), Some(&known));
        assert!(out.learned.iter().all(|&l| l));
        assert_eq!(out.taught_by[3], KNOWN_BEFORE);
        assert_eq!(out.trajectory[0], 1);
    }

    #[test]
    fn learner_specs_parse_and_reject() {
        assert_eq!(
            "capacity:2".parse::<Learner>().unwrap(),
            Learner::capacity(2).unwrap()
        );
        assert_eq!(
            "probs:1,1".parse::<Learner>().unwrap().to_string(),
            "capacity:2"
        );
        assert!("capacity:0".parse::<Learner>().is_err());
        assert!("probs:1.5".parse::<Learner>().is_err());
        assert!("probs:".parse::<Learner>().is_err());
        assert!("fast".parse::<Learner>().is_err());
    }

    #[test]
    fn single_novel_engine_matches_the_general_one() {
        use rand::Rng;
        let mut rng = crate::ensemble::seeded_rng(7);
        for case in 0..200u64 {
            let n = rng.random_range(1..40usize);
            let t = rng.random_range(1..60usize);
            // Rows with repeats allowed: a skill listed twice must behave the same.
            let mut edges = Vec::new();
            for text in 0..t as u32 {
                for _ in 0..rng.random_range(0..5) {
                    edges.push((rng.random_range(0..n as u32), text));
                }
            }
            let g = SkillTextGraph::from_edges(n, t, &edges).unwrap();
            let known = random_known(n, 0.8, case);
            for learner in [
                Learner::capacity(1).unwrap(),
                Learner::probabilistic(vec![0.6], case).unwrap(),
            ] {
                for k in [None, Some(known.as_slice())] {
                    let learned = k.map_or(vec![false; n], <[bool]>::to_vec);
                    let tb = learned
                        .iter()
                        .map(|&x| if x { KNOWN_BEFORE } else { NEVER_LEARNED })
                        .collect::<Vec<_>>();
                    let c = learned.iter().filter(|&&x| x).count() as u64;
                    let general = peel_general(&g, &learner, learned.clone(), tb.clone(), c);
                    let single = peel_single(&g, &learner, learned, tb, c);
                    assert_eq!(general, single, "case {case}");
                    assert_eq!(peel(&g, &learner, k), single);
                }
            }
        }
    }

    #[test]
    fn zero_probability_learner_learns_nothing() {
        let l = Learner::probabilistic(vec![0.0], 1).unwrap();
        let out = peel(&chain(), &l, None);
        assert_eq!(out.learned_count(), 0);
    }
}
