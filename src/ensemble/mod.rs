//! Seeded random skill-text graphs: the three ensembles of theory.md section 1.
//!
//! - [`Ensemble::SkillDriven`] (IRSA-like): each skill draws its degree from Λ and
//!   picks that many distinct texts uniformly; text degrees are then Poisson with mean
//!   `Λ'(1) / R`.
//! - [`Ensemble::TextDriven`] (Arora-Goyal-like): each text draws its degree from Γ
//!   and picks distinct skills uniformly or by Zipf popularity ([`SkillPicker`]).
//! - [`Ensemble::Configuration`] (LDPC-like): both Λ and Γ prescribed, sockets matched
//!   by a random permutation; the number of texts follows from edge counting.
//!
//! The same (ensemble, seed) always gives the same graph.

pub mod classes;
pub mod inclusion;
pub mod memory;
pub mod spec;

pub use spec::{DegreeDistribution, DegreeSpec, Popularity};

use crate::graph::{RowsBuilder, SkillTextGraph};
use crate::{Error, Result};
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::seq::SliceRandom;

pub use crate::seed::SeededRng;

/// A generator seeded from `seed` (see [`crate::seed`]).
pub fn seeded_rng(seed: u64) -> SeededRng {
    crate::seed::rng(seed)
}

/// A family of random skill-text graphs.
#[derive(Debug, Clone, PartialEq)]
pub enum Ensemble {
    /// Skills draw degrees from Λ and pick texts uniformly.
    SkillDriven {
        /// Number of skills N.
        skills: usize,
        /// Texts per skill R (T = round(R N)).
        ratio: f64,
        /// Skill degree distribution Λ.
        skill_degrees: DegreeSpec,
    },
    /// Texts draw degrees from Γ and pick skills by popularity.
    TextDriven {
        /// Number of skills N.
        skills: usize,
        /// Texts per skill R (T = round(R N)).
        ratio: f64,
        /// Text degree distribution Γ.
        text_degrees: DegreeSpec,
        /// How skills are picked.
        popularity: Popularity,
    },
    /// Both degree distributions prescribed.
    Configuration {
        /// Number of skills N.
        skills: usize,
        /// Skill degree distribution Λ.
        skill_degrees: DegreeSpec,
        /// Text degree distribution Γ.
        text_degrees: DegreeSpec,
    },
}

/// Largest number of skills or texts an ensemble may have (indices are `u32`).
pub const MAX_NODES: usize = u32::MAX as usize - 2;

impl Ensemble {
    /// Number of skills N.
    pub fn skills(&self) -> usize {
        match self {
            Ensemble::SkillDriven { skills, .. }
            | Ensemble::TextDriven { skills, .. }
            | Ensemble::Configuration { skills, .. } => *skills,
        }
    }

    /// Number of texts T the ensemble produces.
    pub fn texts(&self) -> usize {
        match self {
            Ensemble::SkillDriven { skills, ratio, .. }
            | Ensemble::TextDriven { skills, ratio, .. } => {
                (*skills as f64 * ratio).round() as usize
            }
            Ensemble::Configuration {
                skills,
                skill_degrees,
                text_degrees,
            } => (*skills as f64 * skill_degrees.mean() / text_degrees.mean()).round() as usize,
        }
    }

    /// Texts per skill R.
    pub fn ratio(&self) -> f64 {
        match self {
            Ensemble::SkillDriven { ratio, .. } | Ensemble::TextDriven { ratio, .. } => *ratio,
            Ensemble::Configuration {
                skill_degrees,
                text_degrees,
                ..
            } => skill_degrees.mean() / text_degrees.mean(),
        }
    }

    /// The same ensemble with another ratio (configuration models keep theirs).
    pub fn with_ratio(&self, r: f64) -> Self {
        let mut e = self.clone();
        match &mut e {
            Ensemble::SkillDriven { ratio, .. } | Ensemble::TextDriven { ratio, .. } => *ratio = r,
            Ensemble::Configuration { .. } => {}
        }
        e
    }

    /// Checks that the parameters can produce a graph, saying what is wrong if not.
    pub fn validate(&self) -> Result<()> {
        let n = self.skills();
        if n == 0 {
            return Err(Error::invalid("the number of skills must be at least 1"));
        }
        if n > MAX_NODES {
            return Err(Error::invalid(format!("at most {MAX_NODES} skills")));
        }
        if let Ensemble::SkillDriven { ratio, .. } | Ensemble::TextDriven { ratio, .. } = self
            && (!ratio.is_finite() || *ratio <= 0.0)
        {
            return Err(Error::invalid(format!(
                "the ratio R (texts per skill) must be positive, got {ratio}"
            )));
        }
        let t = self.texts();
        if t == 0 {
            return Err(Error::invalid(format!(
                "{n} skills at ratio {} give no text: raise the ratio or the skills",
                self.ratio()
            )));
        }
        if t > MAX_NODES {
            return Err(Error::invalid(format!("at most {MAX_NODES} texts")));
        }
        match self {
            Ensemble::SkillDriven { skill_degrees, .. } => {
                let max = skill_degrees.distribution().max_degree();
                if skill_degrees.is_fixed_form() && max > t {
                    return Err(Error::invalid(format!(
                        "skill degree {max} needs at least {max} texts, but there are {t}"
                    )));
                }
            }
            Ensemble::TextDriven {
                text_degrees,
                skills,
                ..
            } => {
                let max = text_degrees.distribution().max_degree();
                if text_degrees.is_fixed_form() && max > *skills {
                    return Err(Error::invalid(format!(
                        "text degree {max} needs at least {max} skills, but there are {skills}"
                    )));
                }
            }
            Ensemble::Configuration {
                skill_degrees,
                text_degrees,
                ..
            } => {
                if let (DegreeSpec::Fixed(a), DegreeSpec::Fixed(b)) = (skill_degrees, text_degrees)
                {
                    let edges = n as u64 * *a as u64;
                    if !edges.is_multiple_of(*b as u64) {
                        return Err(Error::invalid(format!(
                            "configuration model: {n} skills of degree {a} make {edges} edges, \
                             which texts of degree {b} cannot match exactly"
                        )));
                    }
                }
            }
        }
        memory::check("skills", n, self.memory_bytes())
    }

    /// About how many bytes sampling, peeling and testing one graph of this ensemble
    /// holds at once (both adjacency lists, the builder's copy, the peeling state,
    /// Zipf tables).
    pub fn memory_bytes(&self) -> f64 {
        let n = self.skills() as f64;
        let t = self.texts() as f64;
        let edges = match self {
            Ensemble::SkillDriven { skill_degrees, .. }
            | Ensemble::Configuration { skill_degrees, .. } => n * skill_degrees.mean(),
            Ensemble::TextDriven { text_degrees, .. } => t * text_degrees.mean().min(n),
        };
        let zipf = match self {
            Ensemble::TextDriven {
                popularity: Popularity::Zipf(_),
                ..
            } => memory::zipf_de_bytes(self.skills()) + 16.0 * n,
            _ => 0.0,
        };
        48.0 * (n + t) + 24.0 * edges + zipf
    }

    /// Draws one graph from the ensemble.
    pub fn sample(&self, seed: u64) -> Result<SkillTextGraph> {
        self.validate()?;
        let mut rng = seeded_rng(seed);
        match self {
            Ensemble::SkillDriven { skill_degrees, .. } => {
                skill_driven(self.skills(), self.texts(), skill_degrees, &mut rng)
            }
            Ensemble::TextDriven {
                text_degrees,
                popularity,
                ..
            } => text_driven(
                self.skills(),
                self.texts(),
                text_degrees,
                *popularity,
                &mut rng,
            ),
            Ensemble::Configuration {
                skill_degrees,
                text_degrees,
                ..
            } => configuration(
                self.skills(),
                self.texts(),
                skill_degrees,
                text_degrees,
                &mut rng,
            ),
        }
    }
}

/// Picks `k` distinct values below `range` into `row`, uniformly (Floyd's
/// algorithm: exactly k draws, however close k is to `range`).
pub fn pick_distinct(k: usize, range: u32, rng: &mut SeededRng, row: &mut Vec<u32>) {
    use rand::Rng;
    row.clear();
    let k = k.min(range as usize) as u32;
    let mut seen = std::collections::HashSet::new();
    let large = k > 64;
    for j in range - k..range {
        let v = rng.random_range(0..=j);
        let taken = if large {
            !seen.insert(v)
        } else {
            row.contains(&v)
        };
        if taken {
            if large {
                seen.insert(j);
            }
            row.push(j);
        } else {
            row.push(v);
        }
    }
}

/// How a text picks its skills: the one sampler behind the text-driven ensemble and
/// the synthetic corpus.
///
/// Uniform popularity picks k distinct skills ([`pick_distinct`]). Zipf popularity
/// picks k distinct skills by weight, by rejection of repeats; after `64 k + 64`
/// draws the rest are the most popular skills not yet chosen, so the cost is bounded
/// however heavy the head is. Density evolution uses this sampler's inclusion
/// probabilities and text-mate law ([`inclusion`]), not inclusion proportional to
/// weight.
#[derive(Debug, Clone)]
pub enum SkillPicker {
    /// Distinct skills, uniformly.
    Uniform(u32),
    /// Distinct skills by Zipf weight.
    Weighted(WeightedIndex<f64>, usize),
}

impl SkillPicker {
    /// The picker of `popularity` over `n` skills.
    pub fn new(n: usize, popularity: Popularity) -> Result<Self> {
        match popularity {
            Popularity::Uniform => Ok(SkillPicker::Uniform(n as u32)),
            Popularity::Zipf(s) => WeightedIndex::new(zipf_weights(n, s))
                .map(|w| SkillPicker::Weighted(w, n))
                .map_err(|e| Error::invalid(format!("zipf:{s} over {n} skills: {e}"))),
        }
    }

    /// Fills `row` with the skills of a text of degree `k`.
    pub fn pick(&self, k: usize, rng: &mut SeededRng, row: &mut Vec<u32>) {
        match self {
            SkillPicker::Uniform(n) => pick_distinct(k, *n, rng, row),
            SkillPicker::Weighted(w, n) => {
                row.clear();
                let k = k.min(*n);
                let large = k > 64;
                let mut seen = std::collections::HashSet::new();
                let mut tries = 0usize;
                let mut next = 0u32;
                while row.len() < k {
                    let v = if tries < 64 * k + 64 {
                        tries += 1;
                        w.sample(rng) as u32
                    } else {
                        next += 1;
                        next - 1
                    };
                    let fresh = if large {
                        seen.insert(v)
                    } else {
                        !row.contains(&v)
                    };
                    if fresh {
                        row.push(v);
                    }
                }
            }
        }
    }
}

fn skill_driven(
    n: usize,
    t: usize,
    degrees: &DegreeSpec,
    rng: &mut SeededRng,
) -> Result<SkillTextGraph> {
    let dist = degrees.distribution();
    let mut rows = RowsBuilder::with_capacity(n, (n as f64 * dist.mean() * 1.01) as usize);
    let mut row = Vec::new();
    for _ in 0..n {
        let k = (dist.sample(rng) as usize).min(t);
        pick_distinct(k, t as u32, rng, &mut row);
        rows.push_row(&row)?;
    }
    let (offsets, items) = rows.finish();
    SkillTextGraph::from_skill_rows(t, offsets, items)
}

fn text_driven(
    n: usize,
    t: usize,
    degrees: &DegreeSpec,
    popularity: Popularity,
    rng: &mut SeededRng,
) -> Result<SkillTextGraph> {
    let dist = degrees.distribution();
    let mut rows = RowsBuilder::with_capacity(t, (t as f64 * dist.mean() * 1.01) as usize);
    let mut row = Vec::new();
    let picker = SkillPicker::new(n, popularity)?;
    for _ in 0..t {
        let k = (dist.sample(rng) as usize).min(n);
        picker.pick(k, rng, &mut row);
        rows.push_row(&row)?;
    }
    let (offsets, items) = rows.finish();
    SkillTextGraph::from_text_rows(n, offsets, items)
}

/// Popularity weights `i^-s` for skills i = 1..=n (normalized to sum 1).
pub fn zipf_weights(n: usize, s: f64) -> Vec<f64> {
    let w: Vec<f64> = (1..=n).map(|i| (i as f64).powf(-s)).collect();
    let total: f64 = w.iter().sum();
    w.into_iter().map(|x| x / total).collect()
}

fn configuration(
    n: usize,
    t: usize,
    skill_degrees: &DegreeSpec,
    text_degrees: &DegreeSpec,
    rng: &mut SeededRng,
) -> Result<SkillTextGraph> {
    use rand::Rng;
    let sd = skill_degrees.distribution();
    let td = text_degrees.distribution();
    let mut sockets: Vec<u32> = Vec::new();
    for s in 0..n as u32 {
        let k = sd.sample(rng);
        sockets.extend(std::iter::repeat_n(s, k as usize));
    }
    let mut tdeg: Vec<u32> = (0..t).map(|_| td.sample(rng)).collect();
    let total = sockets.len() as i64;
    let mut diff = total - tdeg.iter().map(|&d| d as i64).sum::<i64>();
    // Random degrees rarely sum to the skills' edge count: nudge random texts by one.
    let mut guard = 0u64;
    while diff != 0 {
        let i = rng.random_range(0..t);
        if diff > 0 {
            tdeg[i] += 1;
            diff -= 1;
        } else if tdeg[i] > 1 {
            tdeg[i] -= 1;
            diff += 1;
        }
        guard += 1;
        if guard > 100 * (total as u64 + t as u64) {
            return Err(Error::invalid(
                "configuration model: skill and text edge counts cannot be matched",
            ));
        }
    }
    sockets.shuffle(rng);
    let mut rows = RowsBuilder::with_capacity(t, sockets.len());
    let mut at = 0usize;
    let mut row: Vec<u32> = Vec::new();
    for &d in &tdeg {
        row.clear();
        for &s in &sockets[at..at + d as usize] {
            // A repeated socket pair would be a double edge: keep graphs simple.
            if !row.contains(&s) {
                row.push(s);
            }
        }
        at += d as usize;
        rows.push_row(&row)?;
    }
    let (offsets, items) = rows.finish();
    SkillTextGraph::from_text_rows(n, offsets, items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_graph_other_seed_other_graph() {
        let e = Ensemble::SkillDriven {
            skills: 2000,
            ratio: 1.2,
            skill_degrees: "poly:0.5x^2+0.28x^3+0.22x^8".parse().unwrap(),
        };
        let a = e.sample(7).unwrap();
        assert_eq!(a, e.sample(7).unwrap());
        assert_ne!(a, e.sample(8).unwrap());
        assert_eq!(a.num_skills(), 2000);
        assert_eq!(a.num_texts(), 2400);
        let mean_text = a.num_edges() as f64 / a.num_texts() as f64;
        assert!((mean_text - 3.0).abs() < 0.1, "{mean_text}");
    }

    #[test]
    fn text_driven_zipf_favours_popular_skills() {
        let e = Ensemble::TextDriven {
            skills: 1000,
            ratio: 5.0,
            text_degrees: DegreeSpec::Fixed(3),
            popularity: Popularity::Zipf(1.1),
        };
        let g = e.sample(1).unwrap();
        assert!(g.skill_degree(0) > 10 * g.skill_degree(999).max(1));
        assert!((0..g.num_texts() as u32).all(|t| g.text_degree(t) == 3));
    }

    #[test]
    fn configuration_model_matches_both_degrees() {
        let e = Ensemble::Configuration {
            skills: 3000,
            skill_degrees: DegreeSpec::Fixed(3),
            text_degrees: DegreeSpec::Fixed(6),
        };
        let g = e.sample(3).unwrap();
        assert_eq!(g.num_texts(), 1500);
        // Double edges are dropped, so a few degrees fall short.
        let full = (0..1500u32).filter(|&t| g.text_degree(t) == 6).count();
        assert!(full > 1450, "{full}");
        let bad = Ensemble::Configuration {
            skills: 5,
            skill_degrees: DegreeSpec::Fixed(3),
            text_degrees: DegreeSpec::Fixed(6),
        };
        assert!(bad.validate().is_err());
    }

    #[test]
    fn rejects_impossible_parameters() {
        let zero = Ensemble::SkillDriven {
            skills: 0,
            ratio: 1.0,
            skill_degrees: DegreeSpec::Fixed(2),
        };
        assert!(zero.sample(0).is_err());
        let neg = Ensemble::SkillDriven {
            skills: 10,
            ratio: -1.0,
            skill_degrees: DegreeSpec::Fixed(2),
        };
        assert!(neg.sample(0).is_err());
        let few = Ensemble::SkillDriven {
            skills: 10,
            ratio: 0.2,
            skill_degrees: DegreeSpec::Fixed(3),
        };
        assert!(few.sample(0).is_err());
    }
}

#[cfg(test)]
mod picker_tests {
    use super::*;

    #[test]
    fn zipf_3_with_full_degree_over_300_skills_does_not_hang() {
        // `emergence --skills 300 --text-degrees fixed:300 --popularity zipf:3` ran
        // for minutes: rejection waited for the tail's 300^-3 weights.
        let e = Ensemble::TextDriven {
            skills: 300,
            ratio: 1.0,
            text_degrees: DegreeSpec::Fixed(300),
            popularity: Popularity::Zipf(3.0),
        };
        let g = e.sample(1).unwrap();
        assert_eq!(g.num_texts(), 300);
        assert!((0..300u32).all(|t| g.text_degree(t) == 300));
        let full = Ensemble::TextDriven {
            skills: 300,
            ratio: 1.0,
            text_degrees: DegreeSpec::Fixed(300),
            popularity: Popularity::Uniform,
        };
        let g = full.sample(1).unwrap();
        assert!((0..300u32).all(|t| g.text_degree(t) == 300));
    }

    #[test]
    fn distinct_picks_are_distinct_and_uniform() {
        let mut rng = seeded_rng(3);
        let mut row = Vec::new();
        let mut hits = vec![0u32; 10];
        let trials = 20_000;
        for _ in 0..trials {
            pick_distinct(3, 10, &mut rng, &mut row);
            let mut sorted = row.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), 3);
            for &v in &row {
                hits[v as usize] += 1;
            }
        }
        // Each value is picked with probability 3/10: five standard deviations.
        let sd = (trials as f64 * 0.3 * 0.7).sqrt();
        for h in hits {
            assert!((h as f64 - 0.3 * trials as f64).abs() < 5.0 * sd, "{h}");
        }
        pick_distinct(200, 200, &mut rng, &mut row);
        row.sort_unstable();
        assert_eq!(row, (0..200).collect::<Vec<u32>>());
    }
}
