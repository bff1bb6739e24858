//! Properties of the peeling engine on random graphs: the learned set does not
//! depend on the visiting order, every learned skill is justified by a text, and
//! nothing that could still be taught is left unlearned.

#![allow(clippy::needless_range_loop)] // skills are indices into several arrays at once

use proptest::prelude::*;
use semzip::graph::SkillTextGraph;
use semzip::peel::{KNOWN_BEFORE, Learner, NEVER_LEARNED, peel, peel_visiting, random_known};

/// A random graph as text rows over `n` skills.
fn graph_strategy() -> impl Strategy<Value = SkillTextGraph> {
    (1usize..40, 1usize..60).prop_flat_map(|(n, t)| {
        prop::collection::vec(prop::collection::btree_set(0..n as u32, 0..5), t).prop_map(
            move |rows| {
                let mut offsets = vec![0u32];
                let mut items = Vec::new();
                for r in rows {
                    items.extend(r);
                    offsets.push(items.len() as u32);
                }
                SkillTextGraph::from_text_rows(n, offsets, items).unwrap()
            },
        )
    })
}

/// The same graph with texts visited in the order given by `perm`.
fn permute_texts(g: &SkillTextGraph, perm: &[usize]) -> SkillTextGraph {
    let mut offsets = vec![0u32];
    let mut items = Vec::new();
    for &t in perm {
        items.extend_from_slice(g.skills_of(t as u32));
        offsets.push(items.len() as u32);
    }
    SkillTextGraph::from_text_rows(g.num_skills(), offsets, items).unwrap()
}

/// The same graph with each text's skills listed in reverse (ids unchanged, so a
/// probabilistic learner's per-(text, skill) draws are the same).
fn reverse_rows(g: &SkillTextGraph) -> SkillTextGraph {
    let mut offsets = vec![0u32];
    let mut items = Vec::new();
    for t in 0..g.num_texts() as u32 {
        items.extend(g.skills_of(t).iter().rev());
        offsets.push(items.len() as u32);
    }
    SkillTextGraph::from_text_rows(g.num_skills(), offsets, items).unwrap()
}

/// A table of one to three entries, increasing, decreasing or neither.
fn table_strategy() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(prop_oneof![Just(0.0), Just(1.0), 0.0f64..=1.0], 1..4)
}

proptest! {
    #[test]
    fn every_table_gives_the_same_learned_set_in_any_visit_order(
        g in graph_strategy(),
        probs in table_strategy(),
        seed in any::<u64>(),
        delta in 0.0f64..=1.0,
    ) {
        let learner = Learner::probabilistic(probs, seed).unwrap();
        let known = random_known(g.num_skills(), delta, seed ^ 1);
        let a = peel(&g, &learner, Some(&known));
        let b = peel(&reverse_rows(&g), &learner, Some(&known));
        prop_assert_eq!(&a.learned, &b.learned);
        for order in 0..3 {
            let c = peel_visiting(&g, &learner, Some(&known), seed ^ order);
            prop_assert_eq!(&a.learned, &c.learned);
        }
    }

    #[test]
    fn learned_set_does_not_depend_on_text_order(
        g in graph_strategy(),
        c in 1u32..4,
        seed in any::<u64>(),
        delta in 0.0f64..=1.0,
    ) {
        let mut perm: Vec<usize> = (0..g.num_texts()).collect();
        perm.reverse();
        let k = (seed as usize) % (perm.len().max(1));
        perm.rotate_left(k);
        let h = permute_texts(&g, &perm);
        let learner = Learner::capacity(c).unwrap();
        let known = random_known(g.num_skills(), delta, seed);
        let a = peel(&g, &learner, Some(&known));
        let b = peel(&h, &learner, Some(&known));
        prop_assert_eq!(a.learned, b.learned);
    }

    #[test]
    fn every_learned_skill_is_justified_and_the_result_is_closed(
        g in graph_strategy(),
        c in 1u32..4,
        seed in any::<u64>(),
        delta in 0.0f64..=1.0,
    ) {
        let learner = Learner::capacity(c).unwrap();
        let known = random_known(g.num_skills(), delta, seed);
        let out = peel(&g, &learner, Some(&known));
        for s in 0..g.num_skills() {
            match out.taught_by[s] {
                KNOWN_BEFORE => prop_assert!(known[s] && out.learned[s]),
                NEVER_LEARNED => prop_assert!(!out.learned[s]),
                t => {
                    prop_assert!(out.learned[s] && !known[s]);
                    prop_assert!(g.skills_of(t).contains(&(s as u32)));
                }
            }
        }
        // Closure: no text is left with between 1 and c unlearned skills.
        for t in 0..g.num_texts() as u32 {
            let unlearned = g.skills_of(t).iter().filter(|&&s| !out.learned[s as usize]).count();
            prop_assert!(unlearned == 0 || unlearned > c as usize, "text {} can still teach", t);
        }
        let count = out.learned.iter().filter(|&&l| l).count() as u64;
        prop_assert_eq!(out.learned_count(), count);
        prop_assert!(out.trajectory.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn capacity_equals_a_table_of_ones(g in graph_strategy(), c in 1u32..4) {
        let a = peel(&g, &Learner::capacity(c).unwrap(), None);
        let ones = Learner::probabilistic(vec![1.0; c as usize], 99).unwrap();
        let b = peel(&g, &ones, None);
        prop_assert_eq!(a, b);
    }

    #[test]
    fn a_noisy_learner_learns_a_subset_of_the_perfect_one(
        g in graph_strategy(),
        p in 0.0f64..1.0,
        seed in any::<u64>(),
    ) {
        let perfect = peel(&g, &Learner::capacity(2).unwrap(), None);
        let noisy = peel(&g, &Learner::probabilistic(vec![p, p], seed).unwrap(), None);
        for s in 0..g.num_skills() {
            prop_assert!(!noisy.learned[s] || perfect.learned[s]);
        }
        let again = peel(&g, &Learner::probabilistic(vec![p, p], seed).unwrap(), None);
        prop_assert_eq!(noisy, again);
    }
}
