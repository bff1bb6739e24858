//! Foundation and fine-tuned models (theory.md section 6).
//!
//! A foundation is trained on a general corpus: skill-driven, N_g general skills with
//! degrees `general_degrees`, `foundation_ratio · N_g` Poisson texts. Its unlearned
//! fraction ε_f comes from [`density_evolution`].
//!
//! The domain corpus needs both general skills (`domain_general_degrees`) and N_d
//! domain skills (`domain_degrees`), with `general_per_domain = N_g / N_d`; its texts
//! are Poisson, and the domain ratio is `R_d = T_d / N_d`. Density evolution runs with
//! two skill classes sharing one text class: general skills start unknown with
//! δ = ε_f (fine-tuning from the foundation) or δ = 1 (training from scratch), domain
//! skills with δ = 1. The saving is how much less domain data the foundation needs.

use super::de::{Comp, DeParams, MAX_ROUNDS, Prepared, TextSide, density_evolution, table};
use super::kernel::Kernel;
use super::threshold::smallest_ratio;
use crate::ensemble::DegreeSpec;
use crate::peel::Learner;
use crate::{Error, Result};
use serde::{Serialize, Serializer};

/// Target used when no true threshold exists (degree-0 or degree-1 skills): domain ε
/// within this of its floor Λ_d(0) (the domain skills in no domain text).
pub const DOMAIN_TARGET: f64 = 1e-3;

/// A foundation / fine-tuning setting.
#[derive(Debug, Clone, Serialize)]
pub struct Hierarchy {
    /// Degrees of general skills in the foundation corpus.
    #[serde(serialize_with = "ser_display")]
    pub general_degrees: DegreeSpec,
    /// Degrees of general skills in the domain corpus.
    #[serde(serialize_with = "ser_display")]
    pub domain_general_degrees: DegreeSpec,
    /// Degrees of domain skills in the domain corpus.
    #[serde(serialize_with = "ser_display")]
    pub domain_degrees: DegreeSpec,
    /// N_g / N_d: general skills per domain skill.
    pub general_per_domain: f64,
    /// Foundation texts per general skill.
    pub foundation_ratio: f64,
    /// The learner (the same for both stages).
    #[serde(serialize_with = "ser_display")]
    pub learner: Learner,
}

fn ser_display<T: std::fmt::Display, S: Serializer>(
    v: &T,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// Density evolution on the domain corpus.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DomainDe {
    /// Domain texts per domain skill.
    pub domain_ratio: f64,
    /// δ of the general skills at the start.
    pub general_unknown: f64,
    /// Fraction of general skills unlearned at the end.
    pub general_unlearned: f64,
    /// Fraction of domain skills unlearned at the end.
    pub domain_unlearned: f64,
    /// x∞ (learning completes when it is 0).
    pub edge_unlearned: f64,
    /// Rounds run.
    pub rounds: usize,
}

/// What the foundation saves.
#[derive(Debug, Clone, Serialize)]
pub struct HierarchyReport {
    /// The setting.
    pub setting: Hierarchy,
    /// ε_f: the foundation's unlearned fraction of general skills.
    pub foundation_unlearned: f64,
    /// R*_f of the foundation corpus (`None` without a true threshold).
    pub foundation_threshold: Option<f64>,
    /// `"threshold"` (learning completes) or `"target"` (domain ε ≤ Λ_d(0) +
    /// [`DOMAIN_TARGET`]).
    pub criterion: &'static str,
    /// Domain ratio needed when training from scratch (δ_g = 1).
    pub domain_ratio_without: Option<f64>,
    /// Domain ratio needed when fine-tuning from the foundation (δ_g = ε_f).
    pub domain_ratio_with: Option<f64>,
    /// `1 - with / without`: the share of domain texts the foundation saves.
    pub saving: Option<f64>,
}

impl Hierarchy {
    /// Checks the parameters.
    pub fn validate(&self) -> Result<()> {
        if !(self.general_per_domain.is_finite() && self.general_per_domain >= 0.0) {
            return Err(Error::invalid(format!(
                "general skills per domain skill must be >= 0, got {}",
                self.general_per_domain
            )));
        }
        if !(self.foundation_ratio.is_finite() && self.foundation_ratio > 0.0) {
            return Err(Error::invalid(format!(
                "the foundation ratio must be positive, got {}",
                self.foundation_ratio
            )));
        }
        Ok(())
    }

    /// The foundation's density evolution.
    pub fn foundation(&self) -> super::de::DeResult {
        density_evolution(&self.foundation_params())
    }

    fn foundation_params(&self) -> DeParams {
        DeParams::skill_driven(
            &self.general_degrees,
            self.foundation_ratio,
            self.learner.clone(),
        )
    }

    fn domain_prep(&self, general_unknown: f64) -> Prepared {
        let a = self.general_per_domain;
        Prepared {
            comps: vec![
                Comp {
                    node_share: a / (1.0 + a),
                    delta: general_unknown,
                    kind: table(&self.domain_general_degrees.distribution()),
                },
                Comp {
                    node_share: 1.0 / (1.0 + a),
                    delta: 1.0,
                    kind: table(&self.domain_degrees.distribution()),
                },
            ],
            text: TextSide::Poisson,
            kernel: Kernel::of(&self.learner),
        }
    }

    /// Density evolution on the domain corpus at `domain_ratio`, general skills
    /// starting unknown with probability `general_unknown`.
    pub fn domain_de(&self, domain_ratio: f64, general_unknown: f64) -> DomainDe {
        let prep = self.domain_prep(general_unknown);
        run_domain(&prep, self.general_per_domain, domain_ratio, false)
    }

    /// True when learning can complete (no degree-0 or degree-1 skills anywhere).
    pub fn has_threshold(&self) -> bool {
        [&self.domain_general_degrees, &self.domain_degrees]
            .iter()
            .all(|s| {
                let d = s.distribution();
                d.prob(0) == 0.0 && d.prob(1) == 0.0
            })
    }

    /// The domain ratio needed (threshold, or target ε when none), from scratch or
    /// from the foundation.
    pub fn domain_ratio_needed(&self, general_unknown: f64) -> Option<f64> {
        let prep = self.domain_prep(general_unknown);
        let a = self.general_per_domain;
        if self.has_threshold() {
            // The engine's ratio is texts per skill of either class.
            smallest_ratio(|r| prep.completes_as_is(r / (1.0 + a)), 1e-7, true)
        } else {
            let floor = self.domain_degrees.distribution().prob(0);
            smallest_ratio(
                |r| run_domain(&prep, a, r, false).domain_unlearned <= floor + DOMAIN_TARGET,
                1e-6,
                true,
            )
        }
    }

    /// The whole comparison.
    pub fn report(&self) -> Result<HierarchyReport> {
        self.validate()?;
        let f = self.foundation();
        let fp = self.foundation_params();
        let foundation_threshold = super::threshold::ratio_threshold(&fp, 1e-5).map(|t| t.ratio);
        let without = self.domain_ratio_needed(1.0);
        let with = self.domain_ratio_needed(f.unlearned.clamp(0.0, 1.0));
        let saving = match (with, without) {
            (Some(w), Some(wo)) if wo > 0.0 => Some(1.0 - w / wo),
            _ => None,
        };
        Ok(HierarchyReport {
            setting: self.clone(),
            foundation_unlearned: f.unlearned,
            foundation_threshold,
            criterion: if self.has_threshold() {
                "threshold"
            } else {
                "target"
            },
            domain_ratio_without: without,
            domain_ratio_with: with,
            saving,
        })
    }
}

fn run_domain(prep: &Prepared, a: f64, domain_ratio: f64, early_exit: bool) -> DomainDe {
    // The engine's ratio is texts per skill of either class: T_d / (N_g + N_d).
    let e = prep.at(domain_ratio / (1.0 + a));
    let res = e.iterate(false, early_exit, MAX_ROUNDS);
    let per = e.unlearned_by_comp(res.not_teaching);
    DomainDe {
        domain_ratio,
        general_unknown: prep.comps[0].delta,
        general_unlearned: per[0],
        domain_unlearned: per[1],
        edge_unlearned: res.edge_unlearned,
        rounds: res.rounds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theory::threshold::ratio_threshold;

    fn h(gpd: f64, rf: f64) -> Hierarchy {
        Hierarchy {
            general_degrees: "fixed:3".parse().unwrap(),
            domain_general_degrees: "fixed:3".parse().unwrap(),
            domain_degrees: "fixed:3".parse().unwrap(),
            general_per_domain: gpd,
            foundation_ratio: rf,
            learner: Learner::capacity(1).unwrap(),
        }
    }

    #[test]
    fn no_general_skills_is_plain_skill_driven() {
        let r = h(0.0, 2.0).domain_ratio_needed(1.0).unwrap();
        let p = DeParams::skill_driven(&DegreeSpec::Fixed(3), 1.0, Learner::capacity(1).unwrap());
        let t = ratio_threshold(&p, 1e-6).unwrap();
        assert!((r - t.ratio).abs() < 1e-4, "{r} vs {t:?}");
    }

    #[test]
    fn a_complete_foundation_saves_domain_data() {
        let rep = h(2.0, 3.0).report().unwrap();
        assert!(rep.foundation_unlearned < 1e-9);
        let (w, wo) = (
            rep.domain_ratio_with.unwrap(),
            rep.domain_ratio_without.unwrap(),
        );
        // With every general skill known, the domain corpus is a plain x^3 corpus.
        let alone = h(0.0, 3.0).domain_ratio_needed(1.0).unwrap();
        assert!((w - alone).abs() < 1e-3, "{w} vs {alone}");
        assert!(wo > 2.0 * w, "{wo} vs {w}");
        // A failed foundation (below its threshold) saves less.
        let weak = h(2.0, 0.5).report().unwrap();
        assert!(weak.foundation_unlearned > 0.5);
        assert!(weak.saving.unwrap() < rep.saving.unwrap());
    }
}
