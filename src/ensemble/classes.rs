//! The multi-class ensemble (theory.md section 7): K skill classes and M text
//! classes; a class-j text needs a Poisson number, mean `g_ji`, of class-i skills,
//! picked uniformly and distinct within the class.

use super::{DegreeDistribution, seeded_rng};
use crate::graph::{RowsBuilder, SkillTextGraph};
use crate::{Error, Result};
use serde::Serialize;

/// The shape of a multi-class ensemble.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassEnsemble {
    /// n_i: share of the skills in class i (they sum to 1).
    pub skill_shares: Vec<f64>,
    /// r_j: texts of class j per skill.
    pub text_ratios: Vec<f64>,
    /// `needs[j][i]` = g_ji: mean number of class-i skills in a class-j text.
    pub needs: Vec<Vec<f64>>,
}

/// A graph sampled from a [`ClassEnsemble`], with the class of every skill.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassSample {
    /// The sampled graph.
    #[serde(skip)]
    pub graph: SkillTextGraph,
    /// Class of each skill.
    #[serde(skip)]
    pub class_of: Vec<u32>,
    /// Skills per class.
    pub skills: Vec<usize>,
    /// Texts per class.
    pub texts: Vec<usize>,
}

impl ClassEnsemble {
    /// Checks sizes and ranges.
    pub fn validate(&self) -> Result<()> {
        let k = self.skill_shares.len();
        let m = self.text_ratios.len();
        if k == 0 || m == 0 {
            return Err(Error::invalid(
                "a class model needs at least one skill class and one text class",
            ));
        }
        if self.needs.len() != m || self.needs.iter().any(|row| row.len() != k) {
            return Err(Error::invalid(format!(
                "the needs matrix must have {m} rows (text classes) of {k} entries (skill classes)"
            )));
        }
        let bad = |v: &f64| !(v.is_finite() && *v >= 0.0);
        if self.skill_shares.iter().any(|v| bad(v) || *v == 0.0) {
            return Err(Error::invalid("skill class shares must be positive"));
        }
        let total: f64 = self.skill_shares.iter().sum();
        if (total - 1.0).abs() > 1e-9 {
            return Err(Error::invalid(format!(
                "skill class shares sum to {total}, not 1"
            )));
        }
        if self.text_ratios.iter().any(bad) || self.needs.iter().flatten().any(bad) {
            return Err(Error::invalid(
                "text ratios and needs must be finite and non-negative",
            ));
        }
        if self.needs.iter().flatten().any(|g| *g > 1e5) {
            return Err(Error::invalid("a mean need above 100000 skills per text"));
        }
        Ok(())
    }

    /// Samples a graph with `skills` skills: class-i skills are a contiguous block.
    pub fn sample(&self, skills: usize, seed: u64) -> Result<ClassSample> {
        self.validate()?;
        let k = self.skill_shares.len();
        let mut sizes: Vec<usize> = self
            .skill_shares
            .iter()
            .map(|s| (s * skills as f64).round() as usize)
            .collect();
        let assigned: usize = sizes.iter().sum();
        sizes[k - 1] = (sizes[k - 1] + skills).saturating_sub(assigned);
        let mut start = vec![0usize; k + 1];
        for i in 0..k {
            start[i + 1] = start[i] + sizes[i];
        }
        let n = start[k];
        u32::try_from(n).map_err(|_| Error::invalid("too many skills"))?;
        let class_of: Vec<u32> = (0..k)
            .flat_map(|i| std::iter::repeat_n(i as u32, sizes[i]))
            .collect();
        let mut rng = seeded_rng(seed);
        let texts: Vec<usize> = self
            .text_ratios
            .iter()
            .map(|r| (r * n as f64).round() as usize)
            .collect();
        if texts.iter().sum::<usize>() > u32::MAX as usize {
            return Err(Error::invalid("too many texts"));
        }
        let dists: Vec<Vec<DegreeDistribution>> = self
            .needs
            .iter()
            .map(|row| {
                row.iter()
                    .map(|&g| DegreeDistribution::poisson(g))
                    .collect()
            })
            .collect();
        let mut rows = RowsBuilder::new();
        let mut row: Vec<u32> = Vec::new();
        let mut picks: Vec<u32> = Vec::new();
        for (j, &tj) in texts.iter().enumerate() {
            for _ in 0..tj {
                row.clear();
                for i in 0..k {
                    if sizes[i] == 0 {
                        continue;
                    }
                    let want = (dists[j][i].sample(&mut rng) as usize).min(sizes[i]);
                    // The one bounded sampler of distinct picks.
                    super::pick_distinct(want, sizes[i] as u32, &mut rng, &mut picks);
                    row.extend(picks.iter().map(|&v| v + start[i] as u32));
                }
                rows.push_row(&row)?;
            }
        }
        let (offsets, items) = rows.finish();
        let graph = SkillTextGraph::from_text_rows(n, offsets, items)?;
        Ok(ClassSample {
            graph,
            class_of,
            skills: sizes,
            texts,
        })
    }
}

impl ClassSample {
    /// Learned fraction per class of a peeling outcome.
    pub fn learned_by_class(&self, learned: &[bool]) -> Vec<f64> {
        let mut count = vec![0usize; self.skills.len()];
        for (s, &c) in self.class_of.iter().enumerate() {
            if learned.get(s).copied().unwrap_or(false) {
                count[c as usize] += 1;
            }
        }
        count
            .iter()
            .zip(&self.skills)
            .map(|(&c, &n)| if n == 0 { 0.0 } else { c as f64 / n as f64 })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_have_the_asked_sizes_and_means() {
        let e = ClassEnsemble {
            skill_shares: vec![0.25, 0.75],
            text_ratios: vec![1.0, 0.5],
            needs: vec![vec![2.0, 0.0], vec![1.0, 3.0]],
        };
        let s = e.sample(20_000, 3).unwrap();
        assert_eq!(s.skills, vec![5000, 15000]);
        assert_eq!(s.texts, vec![20000, 10000]);
        // Class-0 texts touch only class-0 skills; mean degree about 2.
        let mut edges = 0usize;
        for t in 0..20_000u32 {
            let row = s.graph.skills_of(t);
            assert!(row.iter().all(|&k| s.class_of[k as usize] == 0));
            edges += row.len();
        }
        let mean = edges as f64 / 20_000.0;
        assert!((mean - 2.0).abs() < 0.05, "{mean}");
        assert_eq!(e.sample(20_000, 3).unwrap(), s);
        // A class smaller than its need is picked whole, not forever.
        let dense = ClassEnsemble {
            skill_shares: vec![1.0],
            text_ratios: vec![1.0],
            needs: vec![vec![50.0]],
        };
        let d = dense.sample(40, 1).unwrap();
        assert!((0..40u32).all(|t| d.graph.skills_of(t).len() <= 40));
    }
}
