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

use super::de::{MAX_ROUNDS, iterate_fixed_point};
use super::kernel::Kernel;
pub use crate::ensemble::classes::{ClassEnsemble, ClassSample};
use crate::peel::Learner;
use crate::{Error, Result};
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

impl ClassModel {
    /// The ensemble (shares, ratios, needs) without δ and learner.
    pub fn ensemble(&self) -> ClassEnsemble {
        ClassEnsemble {
            skill_shares: self.skill_shares.clone(),
            text_ratios: self.text_ratios.clone(),
            needs: self.needs.clone(),
        }
    }

    /// Checks sizes and ranges.
    pub fn validate(&self) -> Result<()> {
        self.ensemble().validate()?;
        let k = self.skill_shares.len();
        if self.unknown.len() != k {
            return Err(Error::invalid(format!(
                "{} unknown fractions for {k} skill classes",
                self.unknown.len()
            )));
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

    /// Samples a graph with `skills` skills (see [`ClassEnsemble::sample`]).
    pub fn sample(&self, skills: usize, seed: u64) -> Result<ClassSample> {
        self.validate()?;
        self.ensemble().sample(skills, seed)
    }

    /// A known set for a sample: a class-i skill is unknown with probability δ_i.
    pub fn known_set(&self, sample: &ClassSample, seed: u64) -> Vec<bool> {
        sample
            .class_of
            .iter()
            .enumerate()
            .map(|(s, &c)| crate::seed::uniform(seed, s as u64) >= self.unknown[c as usize])
            .collect()
    }
}

/// Learned fraction per class of a peeling outcome.
pub fn learned_by_class(sample: &ClassSample, learned: &[bool]) -> Vec<f64> {
    sample.learned_by_class(learned)
}

/// Runs vector density evolution to convergence (the one loop of the
/// DE engine, `iterate_fixed_point`).
pub fn class_de(m: &ClassModel) -> Result<ClassResult> {
    m.validate()?;
    let kernel = Kernel::of(&m.learner);
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
    let mut y = vec![1.0; m.text_ratios.len()];
    let mut x = m.unknown.clone();
    let mut step = |x: &[f64], out: &mut [f64]| {
        for (j, yj) in y.iter_mut().enumerate() {
            let load: f64 = m.needs[j].iter().zip(x).map(|(g, xi)| g * xi).sum();
            *yj = kernel.not_teach_poisson(load);
        }
        for (i, o) in out.iter_mut().enumerate() {
            let expo: f64 = mean
                .iter()
                .zip(&y)
                .map(|(row, yj)| row[i] * (1.0 - yj))
                .sum();
            *o = m.unknown[i] * (-expo).exp();
        }
        out.iter().zip(&m.skill_shares).map(|(e, n)| e * n).sum()
    };
    let it = iterate_fixed_point(&mut x, &mut step, &|_| false, None, MAX_ROUNDS);
    // ε at the limit is one more round from the last x, as the scalar engine does.
    let mut last = vec![0.0; x.len()];
    step(&x, &mut last);
    let x = last;
    let total = x.iter().zip(&m.skill_shares).map(|(e, n)| e * n).sum();
    Ok(ClassResult {
        learned: x.iter().map(|e| 1.0 - e).collect(),
        unlearned: x,
        not_teaching: y,
        total_unlearned: total,
        rounds: it.rounds,
        converged: it.converged,
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
        // The same loop and the same kernels: the same bits.
        assert_eq!(
            v.unlearned[0].to_bits(),
            s.unlearned.to_bits(),
            "{v:?} {s:?}"
        );
        assert_eq!(v.rounds, s.rounds);
        assert!(
            class_de(&ClassModel {
                unknown: vec![],
                ..m
            })
            .is_err()
        );
    }
}
