//! Multi-class models from a file (JSON or TOML), swept over the ratio R: per-class
//! density evolution beside simulation of the same ensemble, and per-class landmarks.
//!
//! The file names K skill classes (share of the skills, unknown fraction δ) and M
//! text classes (share of the texts, and per skill class the mean number of skills
//! needed, Poisson), and the learner:
//!
//! ```json
//! {
//!   "capacity": 1,
//!   "skills": [{"name": "easy", "share": 0.5}, {"name": "hard", "share": 0.5}],
//!   "texts": [{"name": "plain", "share": 0.7, "needs": [1.5, 0.0]},
//!             {"name": "mixed", "share": 0.3, "needs": [1.0, 3.0]}]
//! }
//! ```
//!
//! At a ratio R (texts per skill), class j has `share_j · R · N` texts.

use super::classes::{ClassModel, ClassResult, class_de};
use super::simulate::{known_seed, learner_seed, trial_seed};
use crate::peel::{Learner, peel};
use crate::{Error, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Ratios searched for per-class landmarks run up to this.
const LANDMARK_MAX: f64 = 1e4;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSkill {
    name: Option<String>,
    share: f64,
    #[serde(default = "one")]
    unknown: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileText {
    name: Option<String>,
    share: f64,
    needs: Vec<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClassFile {
    capacity: Option<u32>,
    learner: Option<String>,
    skills: Vec<FileSkill>,
    texts: Vec<FileText>,
}

fn one() -> f64 {
    1.0
}

/// A multi-class model with the ratio left free.
#[derive(Debug, Clone, Serialize)]
pub struct ClassSpec {
    /// Skill class names.
    pub skill_names: Vec<String>,
    /// Text class names.
    pub text_names: Vec<String>,
    /// The model at R = 1 (text ratios are the text shares).
    pub model: ClassModel,
}

impl ClassSpec {
    /// Parses a class file's text; `toml` selects TOML, else JSON.
    pub fn parse(text: &str, toml: bool) -> Result<Self> {
        let f: ClassFile = if toml {
            ::toml::from_str(text).map_err(|e| {
                Error::invalid(format!(
                    "class file: {}",
                    e.message().lines().next().unwrap_or("invalid TOML")
                ))
            })?
        } else {
            serde_json::from_str(text).map_err(|e| Error::invalid(format!("class file: {e}")))?
        };
        let learner = match (f.capacity, &f.learner) {
            (Some(_), Some(_)) => {
                return Err(Error::invalid(
                    "class file: give capacity or learner, not both",
                ));
            }
            (Some(c), None) => Learner::capacity(c)?,
            (None, Some(l)) => l.parse()?,
            (None, None) => Learner::capacity(1)?,
        };
        let share_total: f64 = f.texts.iter().map(|t| t.share).sum();
        if f.texts
            .iter()
            .any(|t| !(t.share.is_finite() && t.share >= 0.0))
            || share_total <= 0.0
        {
            return Err(Error::invalid(
                "class file: text shares must be non-negative with a positive sum",
            ));
        }
        if (share_total - 1.0).abs() > 1e-9 {
            return Err(Error::invalid(format!(
                "class file: text shares sum to {share_total}, not 1"
            )));
        }
        let model = ClassModel {
            skill_shares: f.skills.iter().map(|s| s.share).collect(),
            text_ratios: f.texts.iter().map(|t| t.share).collect(),
            needs: f.texts.iter().map(|t| t.needs.clone()).collect(),
            unknown: f.skills.iter().map(|s| s.unknown).collect(),
            learner,
        };
        model
            .validate()
            .map_err(|e| Error::invalid(format!("class file: {e}")))?;
        let name = |n: &Option<String>, prefix: &str, i: usize| {
            n.clone().unwrap_or_else(|| format!("{prefix}{}", i + 1))
        };
        Ok(ClassSpec {
            skill_names: f
                .skills
                .iter()
                .enumerate()
                .map(|(i, s)| name(&s.name, "skills", i))
                .collect(),
            text_names: f
                .texts
                .iter()
                .enumerate()
                .map(|(i, t)| name(&t.name, "texts", i))
                .collect(),
            model,
        })
    }

    /// Reads and parses a class file (TOML when its name ends in `.toml`, else JSON).
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let toml = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("toml"));
        Self::parse(&text, toml)
    }

    /// The model at ratio R (R · share_j texts of class j per skill).
    pub fn at(&self, ratio: f64) -> ClassModel {
        self.model.scaled(ratio)
    }

    /// Per-class density evolution at ratio R.
    pub fn de(&self, ratio: f64) -> Result<ClassResult> {
        class_de(&self.at(ratio))
    }
}

/// One ratio of a multi-class curve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassPoint {
    /// Texts per skill R.
    pub ratio: f64,
    /// ε per skill class from density evolution.
    pub de_unlearned: Vec<f64>,
    /// Mean simulated ε per skill class.
    pub sim_unlearned: Vec<f64>,
    /// Standard deviation of the simulated ε per class over trials.
    pub sim_std: Vec<f64>,
    /// Overall ε from density evolution.
    pub de_total: f64,
    /// Overall mean simulated ε.
    pub sim_total: f64,
}

/// Where one skill class emerges.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassLandmark {
    /// The skill class.
    pub class: String,
    /// The ratio where this class's ε falls fastest (null when it does not fall).
    pub emergence_point: Option<f64>,
    /// dε/dR there.
    pub emergence_slope: Option<f64>,
    /// R* where this class's ε reaches 0: only when every class-i skill is known
    /// from the start (δ_i = 0); Poisson degrees leave skills in no text otherwise.
    pub threshold: Option<f64>,
    /// The smallest ratio with ε ≤ `target` for this class (null when none up to 10^4).
    pub ratio_for_target: Option<f64>,
    /// The target ε.
    pub target: f64,
}

/// Per-class DE beside simulation over `ratios`: `trials` graphs of `skills` skills
/// per ratio, peeled from a known set drawn with each class's δ.
pub fn class_curve(
    spec: &ClassSpec,
    ratios: &[f64],
    skills: usize,
    trials: usize,
    seed: u64,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<ClassPoint>> {
    if ratios.is_empty() {
        return Err(Error::invalid("the ratio sweep is empty"));
    }
    if trials == 0 || skills == 0 {
        return Err(Error::invalid(
            "a simulation needs at least one trial and one skill",
        ));
    }
    let k = spec.skill_names.len();
    let jobs: Vec<(usize, usize)> = (0..ratios.len())
        .flat_map(|p| (0..trials).map(move |t| (p, t)))
        .collect();
    let sims: Vec<Vec<f64>> = jobs
        .par_iter()
        .map(|&(p, t)| {
            let s = trial_seed(seed, p as u64, t as u64);
            let m = spec.at(ratios[p]);
            let sample = m.sample(skills, s)?;
            let known = m.known_set(&sample, known_seed(s));
            let learner = m.learner.clone().with_seed(learner_seed(s));
            let out = peel(&sample.graph, &learner, Some(&known));
            progress();
            Ok(sample
                .learned_by_class(&out.learned)
                .into_iter()
                .map(|l| 1.0 - l)
                .collect())
        })
        .collect::<Result<_>>()?;
    let shares = &spec.model.skill_shares;
    ratios
        .iter()
        .enumerate()
        .map(|(p, &ratio)| {
            let de = spec.de(ratio)?;
            let runs = &sims[p * trials..(p + 1) * trials];
            let mean: Vec<f64> = (0..k)
                .map(|i| runs.iter().map(|r| r[i]).sum::<f64>() / trials as f64)
                .collect();
            let std: Vec<f64> = (0..k)
                .map(|i| {
                    if trials < 2 {
                        return 0.0;
                    }
                    let v = runs.iter().map(|r| (r[i] - mean[i]).powi(2)).sum::<f64>()
                        / (trials - 1) as f64;
                    v.sqrt()
                })
                .collect();
            Ok(ClassPoint {
                ratio,
                sim_total: mean.iter().zip(shares).map(|(e, n)| e * n).sum(),
                de_total: de.total_unlearned,
                de_unlearned: de.unlearned,
                sim_unlearned: mean,
                sim_std: std,
            })
        })
        .collect()
}

/// Per-class emergence points over `[from, to]` and the ratio for ε_i ≤ `target`.
pub fn class_landmarks(
    spec: &ClassSpec,
    from: f64,
    to: f64,
    target: f64,
) -> Result<Vec<ClassLandmark>> {
    let k = spec.skill_names.len();
    let eps = |r: f64| spec.de(r).map(|d| d.unlearned);
    let (a, b) = if from < to {
        (from, to)
    } else {
        (from / 2.0, to * 2.0)
    };
    let mut out = Vec::with_capacity(k);
    for i in 0..k {
        // Steepest descent of ε_i: a 25-point grid and four zooms.
        let (mut lo, mut hi) = (a.max(1e-9), b);
        let mut best: Option<(f64, f64)> = None;
        for _ in 0..5 {
            let n = 25;
            let step = (hi - lo) / (n - 1) as f64;
            let rs: Vec<f64> = (0..n).map(|j| lo + step * j as f64).collect();
            let es: Vec<f64> = rs
                .iter()
                .map(|&r| eps(r).map(|e| e[i]))
                .collect::<Result<_>>()?;
            let (mut at, mut slope) = (0, 0.0);
            for j in 0..n - 1 {
                let s = (es[j + 1] - es[j]) / step;
                if s < slope {
                    slope = s;
                    at = j;
                }
            }
            if slope * step > -1e-12 {
                break;
            }
            best = Some((0.5 * (rs[at] + rs[at + 1]), slope));
            lo = rs[at.saturating_sub(1)];
            hi = rs[(at + 2).min(n - 1)];
        }
        let delta = spec.model.unknown[i];
        let reach = super::threshold::smallest_ratio(
            |r| r <= LANDMARK_MAX && eps(r).map(|e| e[i] <= target).unwrap_or(false),
            1e-6,
            true,
        );
        out.push(ClassLandmark {
            class: spec.skill_names[i].clone(),
            emergence_point: best.map(|b| b.0),
            emergence_slope: best.map(|b| b.1),
            threshold: (delta == 0.0).then_some(0.0),
            ratio_for_target: reach,
            target,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"{
        "capacity": 1,
        "skills": [{"name": "easy", "share": 0.5}, {"name": "hard", "share": 0.5}],
        "texts": [{"name": "plain", "share": 0.7, "needs": [1.5, 0.0]},
                  {"name": "mixed", "share": 0.3, "needs": [1.0, 3.0]}]
    }"#;

    #[test]
    fn json_and_toml_give_the_same_model() {
        let a = ClassSpec::parse(FILE, false).unwrap();
        let toml = r#"
            capacity = 1
            [[skills]]
            name = "easy"
            share = 0.5
            [[skills]]
            name = "hard"
            share = 0.5
            [[texts]]
            name = "plain"
            share = 0.7
            needs = [1.5, 0.0]
            [[texts]]
            name = "mixed"
            share = 0.3
            needs = [1.0, 3.0]
        "#;
        let b = ClassSpec::parse(toml, true).unwrap();
        assert_eq!(a.skill_names, b.skill_names);
        assert_eq!(a.model.needs, b.model.needs);
        assert_eq!(a.de(2.0).unwrap(), b.de(2.0).unwrap());
        assert_eq!(a.model.unknown, vec![1.0, 1.0]);
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        for (text, why) in [
            ("{", "class file"),
            (r#"{"skills": [], "texts": []}"#, "positive sum"),
            (
                r#"{"skills": [{"share": 1}], "texts": [{"share": 1, "needs": [1, 2]}]}"#,
                "needs matrix",
            ),
            (
                r#"{"skills": [{"share": 1}], "texts": [{"share": 0.5, "needs": [1]}]}"#,
                "sum to 0.5",
            ),
            (
                r#"{"capacity": 0, "skills": [{"share": 1}], "texts": [{"share": 1, "needs": [1]}]}"#,
                "capacity",
            ),
            (
                r#"{"skills": [{"share": 1, "unknown": 2}], "texts": [{"share": 1, "needs": [1]}]}"#,
                "unknown",
            ),
            (
                r#"{"skils": [{"share": 1}], "texts": [{"share": 1, "needs": [1]}]}"#,
                "unknown field",
            ),
        ] {
            let e = ClassSpec::parse(text, false).unwrap_err().to_string();
            assert!(e.contains(why), "{text}: {e}");
            assert!(!e.contains('\n'), "{e}");
        }
    }

    #[test]
    fn landmarks_order_the_easy_class_first() {
        let s = ClassSpec::parse(FILE, false).unwrap();
        let l = class_landmarks(&s, 0.1, 6.0, 1e-2).unwrap();
        let (easy, hard) = (&l[0], &l[1]);
        assert!(easy.ratio_for_target.unwrap() < hard.ratio_for_target.unwrap());
        // The target ratio really reaches the target, and just below it does not.
        let r = hard.ratio_for_target.unwrap();
        assert!(s.de(r).unwrap().unlearned[1] <= 1e-2);
        assert!(s.de(r * 0.999).unwrap().unlearned[1] > 1e-2);
        assert!(easy.threshold.is_none());
    }
}
