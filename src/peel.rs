//! The peeling engine: the abstract learner of theory.md section 2.
//!
//! A text with at least one and at most c unlearned skills teaches them all; repeat
//! until no text can teach. The same engine is the successive interference
//! cancellation of IRSA (skills = users, texts = slots) and the peeling decoder of
//! LDPC codes on the erasure channel (skills = variable nodes, texts = checks).
//!
//! # The Poisson learner, precisely
//! A learner is a table `p_1, p_2, ...` (0 beyond its end). Every (text t, skill s)
//! pair owns one uniform draw `u(t, s)`, fixed by the learner's seed. Write
//! `m(s→t)` for "s is learned without t": s was known before, or some text other
//! than t teaches s. Text t teaches s when
//!
//! ```text
//! u(t, s) < p_{1+j},   j = #{other skills s' of t with m(s'→t) = 0}
//! ```
//!
//! So a text's own teaching never lowers the count under which it judges its other
//! skills (theory.md: "a skill that a text taught does not lower the count"), and the
//! draw is made once per (text, skill). These are DE's messages: on a tree, `m` is
//! DE's `1 - x` and "t teaches s" is DE's `1 - y`, exactly, for every table.
//!
//! - **Non-increasing tables** (capacity c, `probs:1,0.5`, ...): lowering j can only
//!   turn a "no" into a "yes", so the rule is monotone and the learned set is its
//!   least fixed point: unique, reached by peeling in any visit order. A counter per
//!   text and a work queue find it in `O(E · L)` (L the table length); for capacity c
//!   it is the classic peeling closure (a text with at most c unlearned skills teaches
//!   them all) and runs in O(E).
//! - **Other tables** (`probs:0.5,1`): a text may stop teaching once its count
//!   drops, so there is no closure to peel towards and no order-free sequential
//!   schedule. The learner then updates every decision at once, in synchronous
//!   rounds from "nothing learned" (the flooding schedule): round l is DE's iteration
//!   l, exactly on trees, and there is no visit order. It stops when no decision
//!   changes, or when the learned count moves by less than √N in a round (on a loopy
//!   graph a few decisions around cycles may flip for ever), or after
//!   [`MAX_FLOOD_ROUNDS`]. For a non-increasing table flooding reaches the same
//!   closure as the queue (tested), so the two definitions agree where both apply.
//!
//! Work is done in rounds (a text that becomes able to teach during round l teaches in
//! round l + 1), and the learned count after each round is the emergence trajectory.

use crate::graph::SkillTextGraph;
use crate::seed;
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
    /// The table's leading run of ones (a capacity of 4294967295 is one number, not
    /// a table: tables are sized by what the data uses, never by the capacity).
    ones: usize,
    /// The table after those ones (empty for a capacity; never starting with 1).
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
            ones: c as usize,
            probs: Vec::new(),
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
        let ones = probs.iter().take_while(|&&p| p == 1.0).count();
        probs.drain(..ones);
        Ok(Learner { ones, probs, seed })
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
        } else if k <= self.ones {
            1.0
        } else {
            self.probs.get(k - 1 - self.ones).copied().unwrap_or(0.0)
        }
    }

    /// The table as (leading ones, the entries after them): `p_k = 1` for k up to
    /// the first, then the second, then 0.
    pub fn table(&self) -> (usize, &[f64]) {
        (self.ones, &self.probs)
    }

    /// The capacity c when the learner is the deterministic one of capacity c.
    pub fn capacity_of(&self) -> Option<usize> {
        self.probs.is_empty().then_some(self.ones)
    }

    /// The largest k with `p_k > 0` (the capacity, for a deterministic learner).
    pub fn max_novel(&self) -> usize {
        self.ones + self.probs.len()
    }

    /// True when every `p_k` is 0 or 1, so no random draw is needed.
    pub fn is_deterministic(&self) -> bool {
        self.probs.iter().all(|&p| p == 0.0 || p == 1.0)
    }

    /// True when `p_1 >= p_2 >= ...`: the rule is then monotone and peeling in any
    /// order reaches the same learned set.
    pub fn is_non_increasing(&self) -> bool {
        self.probs.windows(2).all(|w| w[0] >= w[1])
    }

    /// The draw `u(t, s)` of the pair (text t, skill s): one uniform per pair.
    #[inline]
    pub fn draw(&self, t: u32, s: u32) -> f64 {
        seed::uniform2(self.seed, t as u64, s as u64)
    }

    /// Whether text `t` teaches skill `s` when `j` of its other skills are unlearned
    /// without it: `u(t, s) < p_{1+j}`.
    #[inline]
    fn teaches(&self, t: u32, j: usize, s: u32) -> bool {
        let p = self.prob(j + 1);
        if p >= 1.0 {
            return true;
        }
        if p <= 0.0 {
            return false;
        }
        self.draw(t, s) < p
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
        if self.probs.is_empty() {
            write!(f, "capacity:{}", self.ones)
        } else {
            let list: Vec<String> = std::iter::repeat_n(&1.0, self.ones)
                .chain(&self.probs)
                .map(|p| p.to_string())
                .collect();
            write!(f, "probs:{}", list.join(","))
        }
    }
}

pub use crate::seed::mix64;

/// A known set where each skill is unknown with probability `unknown_fraction`
/// (δ), drawn from `seed`.
pub fn random_known(num_skills: usize, unknown_fraction: f64, seed: u64) -> Vec<bool> {
    (0..num_skills as u64)
        .map(|s| seed::uniform(seed, s) >= unknown_fraction)
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

/// The state before peeling: the learned flags, who taught each skill, and how many
/// are learned (the `known` skills, or none).
fn start_state(n: usize, known: Option<&[bool]>) -> (Vec<bool>, Vec<u32>, u64) {
    let learned = match known {
        Some(k) => {
            assert_eq!(k.len(), n, "known set must have one entry per skill");
            k.to_vec()
        }
        None => vec![false; n],
    };
    let taught_by = learned
        .iter()
        .map(|&k| if k { KNOWN_BEFORE } else { NEVER_LEARNED })
        .collect();
    let count = learned.iter().filter(|&&k| k).count() as u64;
    (learned, taught_by, count)
}

/// Runs the learner on `graph`, starting from `known` (all unknown when `None`).
pub fn peel(graph: &SkillTextGraph, learner: &Learner, known: Option<&[bool]>) -> PeelOutcome {
    let n = graph.num_skills();
    let (learned, taught_by, count) = start_state(n, known);
    if learner.max_novel() == 1 {
        peel_single(graph, learner, learned, taught_by, count)
    } else if learner.is_deterministic() && learner.is_non_increasing() {
        peel_general(graph, learner, learned, taught_by, count)
    } else if learner.is_non_increasing() {
        peel_extrinsic(graph, learner, learned, taught_by, count, &mut |m| m - 1)
    } else {
        peel_flooding(graph, learner, learned, taught_by, count, (n as f64).sqrt())
    }
}

/// [`peel`] with the texts of each round visited in a random order drawn from
/// `order_seed`: the same learned set for every table (a check of the module doc's
/// claim, and what tests compare against [`peel`]).
pub fn peel_visiting(
    graph: &SkillTextGraph,
    learner: &Learner,
    known: Option<&[bool]>,
    order_seed: u64,
) -> PeelOutcome {
    let n = graph.num_skills();
    let (learned, taught_by, count) = start_state(n, known);
    let mut rng = seed::rng(order_seed);
    let mut shuffle = |m: usize| rand::Rng::random_range(&mut rng, 0..m);
    if learner.is_non_increasing() {
        peel_extrinsic(graph, learner, learned, taught_by, count, &mut shuffle)
    } else {
        // Synchronous rounds: no visit order to change.
        peel_flooding(graph, learner, learned, taught_by, count, (n as f64).sqrt())
    }
}

/// Capacity c >= 2: a text with k novel skills, 1 <= k <= c, teaches them all (for a
/// deterministic table the per-edge rule of the module doc is exactly this).
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
                if !learned[s as usize] && learner.teaches(t, k as usize - 1, s) {
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
            if k != 1 || !learner.teaches(t, 0, s) {
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

/// A non-increasing probabilistic table: the per-edge rule of the module doc run to
/// its least fixed point with a counter per text and a work queue.
///
/// `many[s]` marks a skill learned without any one text (known before, or taught by
/// two texts); a skill taught by exactly one text t has `taught_by[s] = t`, and is
/// then unlearned without t only. `c[t]` counts the occurrences in t of skills that
/// are unlearned without t, so an edge (t, s) sees `j = c[t] - [m(s→t) = 0]`. Only a
/// drop of `c[t]` can turn an edge of t to "teaches", so a text is read again only
/// then, and only while `c[t] <= L` (beyond the table nothing is taught).
/// `shuffle` reorders each round's work list (for tests of order independence).
fn peel_extrinsic(
    graph: &SkillTextGraph,
    learner: &Learner,
    mut learned: Vec<bool>,
    mut taught_by: Vec<u32>,
    mut count: u64,
    shuffle: &mut dyn FnMut(usize) -> usize,
) -> PeelOutcome {
    let t_count = graph.num_texts();
    let l = learner.max_novel() as u32;
    let mut many = learned.clone();
    let mut c: Vec<u32> = (0..t_count as u32)
        .map(|t| {
            graph
                .skills_of(t)
                .iter()
                .filter(|&&s| !learned[s as usize])
                .count() as u32
        })
        .collect();
    let mut queued = vec![false; t_count];
    let mut current: Vec<u32> = (0..t_count as u32)
        .filter(|&t| c[t as usize] <= l)
        .collect();
    let mut next: Vec<u32> = Vec::new();
    let mut trajectory = vec![count];
    while !current.is_empty() {
        // A random swap sequence when testing visit order; identity otherwise.
        for i in (1..current.len()).rev() {
            let k = shuffle(i + 1);
            current.swap(i, k);
        }
        for &t in &current {
            for &s in graph.skills_of(t) {
                let su = s as usize;
                let tb = taught_by[su];
                if many[su] || tb == t {
                    continue;
                }
                let alone = tb == NEVER_LEARNED;
                let j = c[t as usize] - alone as u32;
                if !learner.teaches(t, j as usize, s) {
                    continue;
                }
                // The texts for which s just became learned without them.
                let skip = if alone {
                    learned[su] = true;
                    taught_by[su] = t;
                    count += 1;
                    t
                } else {
                    many[su] = true;
                    NEVER_LEARNED
                };
                for &u in graph.texts_of(s) {
                    if u == skip || (!alone && u != tb) {
                        continue;
                    }
                    let cu = &mut c[u as usize];
                    *cu -= 1;
                    if *cu <= l && !queued[u as usize] {
                        queued[u as usize] = true;
                        next.push(u);
                    }
                }
            }
        }
        trajectory.push(count);
        std::mem::swap(&mut current, &mut next);
        next.clear();
        for &t in &current {
            queued[t as usize] = false;
        }
    }
    outcome(learned, taught_by, trajectory)
}

/// Rounds after which the flooding schedule (tables that increase somewhere) stops.
pub const MAX_FLOOD_ROUNDS: usize = 1_000;

/// Any table: every message updated in synchronous rounds from "nothing learned"
/// (round l is DE's iteration l on a tree). `teach[e]` is the previous round's
/// decision of occurrence e (text-major order); `teachers[s]` counts the distinct
/// texts that taught s in it (`noise` = √N in use, 0 in tests). Stops when no decision changes, or when the learned
/// count moved by less than √N in a round: on a loopy graph a few decisions around
/// cycles can flip for ever, and those moves are sampling noise, not learning.
fn peel_flooding(
    graph: &SkillTextGraph,
    learner: &Learner,
    mut learned: Vec<bool>,
    mut taught_by: Vec<u32>,
    count: u64,
    noise: f64,
) -> PeelOutcome {
    let n = graph.num_skills();
    let e_count = graph.num_edges();
    let known = learned.clone();
    // first[e]: e is the first occurrence of its skill in its text's row.
    let mut first = Vec::with_capacity(e_count);
    for t in 0..graph.num_texts() as u32 {
        let row = graph.skills_of(t);
        for (i, s) in row.iter().enumerate() {
            first.push(!row[..i].contains(s));
        }
    }
    let mut teach = vec![false; e_count];
    let mut teach_next = vec![false; e_count];
    let mut teachers = vec![0u32; n];
    let mut teachers_next = vec![0u32; n];
    let mut trajectory = vec![count];
    let mut alone: Vec<bool> = Vec::new();
    for round in 0..MAX_FLOOD_ROUNDS {
        let mut changed = false;
        teachers_next.iter_mut().for_each(|x| *x = 0);
        let mut e0 = 0usize;
        for t in 0..graph.num_texts() as u32 {
            let row = graph.skills_of(t);
            // m(s→t) = 0: not known, and no text but t taught s last round.
            alone.clear();
            alone.extend(
                row.iter().enumerate().map(|(i, &s)| {
                    !known[s as usize] && teachers[s as usize] == teach[e0 + i] as u32
                }),
            );
            let c = alone.iter().filter(|&&a| a).count();
            for (i, &s) in row.iter().enumerate() {
                let j = c - alone[i] as usize;
                let now = learner.teaches(t, j, s);
                changed |= now != teach[e0 + i];
                teach_next[e0 + i] = now;
                if now && first[e0 + i] {
                    teachers_next[s as usize] += 1;
                    if !known[s as usize] {
                        taught_by[s as usize] = t;
                    }
                }
            }
            e0 += row.len();
        }
        std::mem::swap(&mut teach, &mut teach_next);
        std::mem::swap(&mut teachers, &mut teachers_next);
        let mut now = 0u64;
        for s in 0..n {
            learned[s] = known[s] || teachers[s] > 0;
            if !learned[s] {
                taught_by[s] = NEVER_LEARNED;
            }
            now += learned[s] as u64;
        }
        let last = *trajectory.last().unwrap_or(&0);
        trajectory.push(now);
        if !changed || (round > 0 && (now as f64 - last as f64).abs() < noise) {
            break;
        }
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

    /// A random graph with rows of 0..5 skills (repeats allowed).
    fn random_graph(rng: &mut crate::seed::SeededRng) -> SkillTextGraph {
        use rand::Rng;
        let n = rng.random_range(1..40usize);
        let t = rng.random_range(1..60usize);
        let mut edges = Vec::new();
        for text in 0..t as u32 {
            for _ in 0..rng.random_range(0..5) {
                edges.push((rng.random_range(0..n as u32), text));
            }
        }
        SkillTextGraph::from_edges(n, t, &edges).unwrap()
    }

    fn start(known: &[bool]) -> (Vec<bool>, Vec<u32>, u64) {
        let tb = known
            .iter()
            .map(|&x| if x { KNOWN_BEFORE } else { NEVER_LEARNED })
            .collect();
        (
            known.to_vec(),
            tb,
            known.iter().filter(|&&x| x).count() as u64,
        )
    }

    #[test]
    fn queue_and_flooding_agree_on_non_increasing_tables() {
        // For a monotone rule both reach the least fixed point; the capacity engine
        // is the same closure.
        let mut rng = crate::seed::rng(11);
        let tables: [&[f64]; 5] = [
            &[1.0, 0.5],
            &[0.9, 0.6, 0.3],
            &[0.5, 0.5],
            &[1.0, 1.0],
            &[1.0, 1.0, 1.0],
        ];
        for case in 0..300u64 {
            let g = random_graph(&mut rng);
            let known = random_known(g.num_skills(), 0.7, case);
            for probs in tables {
                let l = Learner::probabilistic(probs.to_vec(), case).unwrap();
                let (a, b, c) = start(&known);
                let queue = peel_extrinsic(&g, &l, a.clone(), b.clone(), c, &mut |m| m - 1);
                let flood = peel_flooding(&g, &l, a.clone(), b.clone(), c, 0.0);
                assert_eq!(queue.learned, flood.learned, "case {case} {probs:?}");
                if l.is_deterministic() {
                    let cap = peel_general(&g, &l, a, b, c);
                    assert_eq!(queue.learned, cap.learned, "case {case} {probs:?}");
                }
                for seed in 0..3 {
                    let other = peel_visiting(&g, &l, Some(&known), seed);
                    assert_eq!(other.learned, queue.learned, "case {case} order {seed}");
                }
            }
        }
    }

    #[test]
    fn a_text_judges_each_skill_at_its_own_extrinsic_count() {
        // Isolated texts of two skills under probs:1,0.5: each skill sees one other
        // novel skill, so it is taught with p_2 = 0.5 whatever the other draw did.
        let texts = 40_000u32;
        let edges: Vec<(u32, u32)> = (0..texts)
            .flat_map(|t| [(2 * t, t), (2 * t + 1, t)])
            .collect();
        let g = SkillTextGraph::from_edges(2 * texts as usize, texts as usize, &edges).unwrap();
        for seed in 0..3 {
            let l = Learner::probabilistic(vec![1.0, 0.5], seed).unwrap();
            let out = peel(&g, &l, None);
            let f = 1.0 - out.unlearned_fraction();
            // Binomial(2T, 1/2): five standard deviations.
            let sd = (0.25 / (2.0 * texts as f64)).sqrt();
            assert!((f - 0.5).abs() < 5.0 * sd, "seed {seed}: {f}");
            // The two skills of a text are taught independently.
            let both = (0..texts as usize)
                .filter(|&t| out.learned[2 * t] && out.learned[2 * t + 1])
                .count() as f64
                / texts as f64;
            let sd = (0.25 * 0.75 / texts as f64).sqrt();
            assert!((both - 0.25).abs() < 5.0 * sd, "seed {seed}: {both}");
        }
    }

    #[test]
    fn an_increasing_table_is_judged_at_the_fixed_point() {
        // probs:0,1: a text teaches a skill only when one other skill is unlearned
        // without it. Alone, t0 = {0, 1} teaches both. Beside t1 = {1, 2}, skill 1 is
        // learned without t0 (t1 teaches it), so t0 sees no other novel skill for 0
        // and p_1 = 0: only 1 is learned, the one consistent answer.
        let l = Learner::probabilistic(vec![0.0, 1.0], 5).unwrap();
        assert!(!l.is_non_increasing());
        let pair = SkillTextGraph::from_edges(2, 1, &[(0, 0), (1, 0)]).unwrap();
        assert_eq!(peel(&pair, &l, None).learned, vec![true, true]);
        let g = SkillTextGraph::from_edges(3, 2, &[(0, 0), (1, 0), (1, 1), (2, 1)]).unwrap();
        assert_eq!(peel(&g, &l, None).learned, vec![false, true, false]);
        assert_eq!(
            peel(&g, &l, Some(&[false, true, false])).learned,
            vec![false, true, false]
        );
    }

    #[test]
    fn zero_probability_learner_learns_nothing() {
        let l = Learner::probabilistic(vec![0.0], 1).unwrap();
        let out = peel(&chain(), &l, None);
        assert_eq!(out.learned_count(), 0);
    }
}
