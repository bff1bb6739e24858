//! Multiple classes of skills and texts (theory.md section 7).
//!
//! K skill classes (class i holds a share `n_i` of the N skills, δ_i of them unknown
//! at the start) and M text classes (`r_j N` texts of class j). A class-j text needs
//! a Poisson number, mean `g_ji`, of class-i skills picked uniformly, so a class-i
//! skill appears in a Poisson number, mean `m_ji = r_j g_ji / n_i`, of class-j texts.
//! Vector density evolution:
//!
//! ```text
//! y_j = Σ_k P[Poisson(Σ_i g_ji x_i) = k] (1 - p_{k+1})
//! x_i = δ_i exp(-Σ_j m_ji (1 - y_j))          (= the unlearned fraction of class i)
//! ```

use super::de::{CONVERGENCE, MAX_ROUNDS, not_teach_poisson};
use crate::ensemble::{DegreeDistribution, seeded_rng};
use crate::graph::{RowsBuilder, SkillTextGraph};
use crate::peel::{Learner, mix64};
use crate::{Error, Result};
use rand::Rng;
use serde::{Serialize, Serializer};

/// A multi-class model.
#[derive(Debug, Clone, Serialize)]
pub struct ClassModel {
    /// n_i: share of the skills in class i (they sum to 1).
    pub skill_shares: Vec<f64>,
    /// r_j: texts of class j per skill.
    pub text_ratios: Vec<f64>,
    /// `needs[j][i]` = g_ji: mean number of class-i skills in a class-j text.
    pub needs: Vec<Vec<f64>>,
    /// δ_i: probability that a class-i skill is unknown at the start.
    pub unknown: Vec<f64>,
    /// The learner.
    #[serde(serialize_with = "ser_learner")]
    pub learner: Learner,
}

fn ser_learner<S: Serializer>(l: &Learner, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_str(l)
}

/// Vector density evolution's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassResult {
    /// Unlearned fraction per skill class.
    pub unlearned: Vec<f64>,
    /// Learned fraction per skill class.
    pub learned: Vec<f64>,
    /// y_j: per text class, the probability of not teaching along an edge.
    pub not_teaching: Vec<f64>,
    /// Overall unlearned fraction Σ n_i ε_i.
    pub total_unlearned: f64,
    /// Rounds run.
    pub rounds: usize,
    /// True when max |Δx_i| fell below 1e-13 before the round limit.
    pub converged: bool,
}

/// Measured learned fractions per skill class after peeling a sampled graph.
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

impl ClassModel {
    /// Checks sizes and ranges.
    pub fn validate(&self) -> Result<()> {
        let k = self.skill_shares.len();
        let m = self.text_ratios.len();
        if k == 0 || m == 0 {
            return Err(Error::invalid(
                "a class model needs at least one skill class and one text class",
            ));
        }
        if self.unknown.len() != k {
            return Err(Error::invalid(format!(
                "{} unknown fractions for {k} skill classes",
                self.unknown.len()
            )));
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
        if self.unknown.iter().any(|d| !(0.0..=1.0).contains(d)) {
            return Err(Error::invalid("unknown fractions must be in [0, 1]"));
        }
        Ok(())
    }

    /// The same model with every text ratio multiplied by `factor`.
    pub fn scaled(&self, factor: f64) -> Self {
        let mut m = self.clone();
        for r in &mut m.text_ratios {
            *r *= factor;
        }
        m
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
        for (j, &tj) in texts.iter().enumerate() {
            for _ in 0..tj {
                row.clear();
                for i in 0..k {
                    if sizes[i] == 0 {
                        continue;
                    }
                    let want = (dists[j][i].sample(&mut rng) as usize).min(sizes[i]);
                    let from = row.len();
                    while row.len() - from < want {
                        let s = (start[i] + rng.random_range(0..sizes[i])) as u32;
                        if !row[from..].contains(&s) {
                            row.push(s);
                        }
                    }
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

    /// A known set for a sample: a class-i skill is unknown with probability δ_i.
    pub fn known_set(&self, sample: &ClassSample, seed: u64) -> Vec<bool> {
        sample
            .class_of
            .iter()
            .enumerate()
            .map(|(s, &c)| {
                let u = (mix64(seed ^ (s as u64).wrapping_mul(0xD6E8_FEB8_6659_FD93)) >> 11) as f64
                    / (1u64 << 53) as f64;
                u >= self.unknown[c as usize]
            })
            .collect()
    }
}

/// Learned fraction per class of a peeling outcome.
pub fn learned_by_class(sample: &ClassSample, learned: &[bool]) -> Vec<f64> {
    let k = sample.skills.len();
    let mut count = vec![0usize; k];
    for (s, &c) in sample.class_of.iter().enumerate() {
        if learned.get(s).copied().unwrap_or(false) {
            count[c as usize] += 1;
        }
    }
    count
        .iter()
        .zip(&sample.skills)
        .map(|(&c, &n)| if n == 0 { 0.0 } else { c as f64 / n as f64 })
        .collect()
}

/// Runs vector density evolution to convergence.
pub fn class_de(m: &ClassModel) -> Result<ClassResult> {
    m.validate()?;
    let k = m.skill_shares.len();
    let probs = m.learner.probs();
    // mean[j][i] = m_ji, class-j texts per class-i skill.
    let mean: Vec<Vec<f64>> = m
        .needs
        .iter()
        .zip(&m.text_ratios)
        .map(|(row, r)| {
            row.iter()
                .zip(&m.skill_shares)
                .map(|(g, n)| r * g / n)
                .collect()
        })
        .collect();
    let mut x = m.unknown.clone();
    let mut y = vec![1.0; m.text_ratios.len()];
    let mut rounds = 0;
    let mut converged = false;
    while rounds < MAX_ROUNDS {
        for (j, yj) in y.iter_mut().enumerate() {
            let load: f64 = m.needs[j].iter().zip(&x).map(|(g, xi)| g * xi).sum();
            *yj = not_teach_poisson(load, probs);
        }
        let mut dx: f64 = 0.0;
        for i in 0..k {
            let expo: f64 = mean
                .iter()
                .zip(&y)
                .map(|(row, yj)| row[i] * (1.0 - yj))
                .sum();
            let new = m.unknown[i] * (-expo).exp();
            dx = dx.max((new - x[i]).abs());
            x[i] = new;
        }
        rounds += 1;
        if dx < CONVERGENCE {
            converged = true;
            break;
        }
    }
    let total = x.iter().zip(&m.skill_shares).map(|(e, n)| e * n).sum();
    Ok(ClassResult {
        learned: x.iter().map(|e| 1.0 - e).collect(),
        unlearned: x,
        not_teaching: y,
        total_unlearned: total,
        rounds,
        converged,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ensemble::{DegreeSpec, Popularity};
    use crate::theory::de::{DeParams, density_evolution};

    #[test]
    fn one_class_matches_scalar_text_driven_de() {
        // Poisson(3) texts picking skills uniformly at ratio 2.
        let m = ClassModel {
            skill_shares: vec![1.0],
            text_ratios: vec![2.0],
            needs: vec![vec![3.0]],
            unknown: vec![1.0],
            learner: Learner::capacity(1).unwrap(),
        };
        let v = class_de(&m).unwrap();
        let p = DeParams::text_driven(
            &DegreeSpec::Poisson(3.0),
            Popularity::Uniform,
            1000,
            2.0,
            Learner::capacity(1).unwrap(),
        );
        let s = density_evolution(&p);
        assert!((v.unlearned[0] - s.unlearned).abs() < 1e-9, "{v:?} {s:?}");
        assert!(
            class_de(&ClassModel {
                unknown: vec![],
                ..m
            })
            .is_err()
        );
    }
}
