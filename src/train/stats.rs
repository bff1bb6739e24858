//! What a training run measures: the report, the scaling curve, density
//! evolution on the empirical degrees, and the associations kept in the model.

use crate::Result;
use crate::ensemble::DegreeDistribution;
use crate::graph::{RowsBuilder, SkillTextGraph};
use crate::model::{Codebook, MAX_ASSOCIATIONS_PER_SKILL};
use crate::peel::{Learner, PeelOutcome, peel};
use crate::text::segment::SegmentStats;
use crate::theory::de::{DeParams, SkillProfile, TextProfile, density_evolution};
use rayon::prelude::*;
use serde::Serialize;

/// Texts with more skills than this are left out of the association counts,
/// whose cost grows with the square of a text's degree.
const MAX_ASSOCIATION_TEXT_DEGREE: usize = 256;

/// Everything `semzip train` reports (its `--json` output).
#[derive(Debug, Clone, Serialize)]
pub struct TrainReport {
    /// The corpus files read.
    pub corpora: Vec<String>,
    /// How files were cut into texts.
    pub segmentation: String,
    /// The extractor spec.
    pub extractor: String,
    /// The learner spec.
    pub learner: String,
    /// Corpus bytes read.
    pub bytes: u64,
    /// Wall-clock seconds of the whole run.
    pub seconds: f64,
    /// Corpus megabytes (10^6 bytes) per second.
    pub mb_per_s: f64,
    /// Training texts T.
    pub texts: u64,
    /// Held-out texts.
    pub heldout_texts: u64,
    /// Distinct skills in the training texts N.
    pub skills: u64,
    /// Skill-text edges E.
    pub edges: u64,
    /// Texts per skill R = T / N.
    pub ratio: f64,
    /// Skills learned.
    pub learned: u64,
    /// Learned skills over N.
    pub learned_fraction: f64,
    /// Learned fraction density evolution predicts from the empirical degree profiles.
    pub de_learned_fraction: f64,
    /// Peeling rounds.
    pub rounds: u64,
    /// Known skills after each round (round 0 = the foundation's K0).
    pub trajectory: Vec<u64>,
    /// Entry k: skills found in k training texts.
    pub skill_degree_histogram: Vec<u64>,
    /// Entry k: training texts with k distinct skills.
    pub text_degree_histogram: Vec<u64>,
    /// Skill occurrences in held-out texts (each text's distinct skills).
    pub heldout_skill_occurrences: u64,
    /// Held-out skill occurrences whose skill was not learned (none without held-out texts).
    pub heldout_skill_error: Option<f64>,
    /// Held-out skill occurrences whose skill is in no training text: the part of
    /// the skill error no learner could avoid.
    pub heldout_unseen_error: Option<f64>,
    /// Held-out texts with at least one unlearned skill.
    pub heldout_text_error: Option<f64>,
    /// Test error when training on growing prefixes of the training texts (empty
    /// without held-out texts).
    pub scaling: Vec<ScalingPoint>,
    /// Exponent of the log-log fit of held-out skill error against training texts.
    pub scaling_exponent: Option<f64>,
    /// R^2 of that fit.
    pub scaling_fit_r2: Option<f64>,
    /// Largest component of the association graph of learned skills, over all skills.
    pub giant_fraction: f64,
    /// Skills in that component.
    pub giant_size: u64,
    /// Connected components among learned skills.
    pub components: u64,
    /// Segmentation counts (empty texts skipped, lossy bytes, long texts split).
    pub segment: SegmentStats,
    /// What the foundation model contributed, if one was given.
    pub foundation: Option<FoundationReport>,
    /// The model's fingerprint, 16 hex digits.
    pub model_fingerprint: String,
    /// Skills in the codebook.
    pub codebook_skills: u64,
    /// Associations stored in the model.
    pub associations: u64,
}

/// What a foundation contributed to training.
#[derive(Debug, Clone, Serialize)]
pub struct FoundationReport {
    /// The foundation's fingerprint, 16 hex digits.
    pub fingerprint: String,
    /// Skills in the foundation's codebook.
    pub foundation_skills: u64,
    /// Foundation skills found in this corpus, known from the start.
    pub known_from_foundation: u64,
    /// Skills learned only because the foundation's skills were known.
    pub extra_learned: u64,
    /// Skills the same corpus teaches with no foundation.
    pub learned_without_foundation: u64,
}

/// One point of the scaling curve: train on a prefix, test on the held-out texts.
#[derive(Debug, Clone, Serialize)]
pub struct ScalingPoint {
    /// Fraction of the training texts used.
    pub fraction: f64,
    /// Training texts used.
    pub texts: u64,
    /// Distinct skills in those texts.
    pub skills: u64,
    /// Texts per skill in the prefix.
    pub ratio: f64,
    /// Skills learned from the prefix.
    pub learned: u64,
    /// Held-out skill occurrences not learned.
    pub heldout_skill_error: Option<f64>,
    /// Held-out texts with an unlearned skill.
    pub heldout_text_error: Option<f64>,
}

/// The scaling curve: `points` prefixes from 1% to 100%, log-spaced, learned
/// from the same known set and tested on the held-out rows.
pub(super) fn scaling(
    graph: &SkillTextGraph,
    learner: &Learner,
    known: Option<&[bool]>,
    heldout: &(Vec<u32>, Vec<u32>),
    points: usize,
    full: &PeelOutcome,
) -> Result<Vec<ScalingPoint>> {
    let t = graph.num_texts();
    let n = graph.num_skills();
    let mut out: Vec<ScalingPoint> = Vec::new();
    // Without texts, or without held-out texts to test on, there is no curve.
    if t == 0 || heldout.0.len() <= 1 {
        return Ok(out);
    }
    for i in 0..points {
        let fraction = 0.01 * 100f64.powf(i as f64 / (points - 1) as f64);
        let k = ((fraction * t as f64).round() as usize).clamp(1, t);
        if out.last().is_some_and(|p| p.texts == k as u64) {
            continue;
        }
        let mut seen = vec![false; n];
        for text in 0..k as u32 {
            for &s in graph.skills_of(text) {
                seen[s as usize] = true;
            }
        }
        // The whole training set is the graph already peeled: reuse its outcome.
        let prefix_outcome;
        let outcome = if k == t {
            full
        } else {
            let edges: usize = (0..k as u32).map(|text| graph.text_degree(text)).sum();
            let mut rows = RowsBuilder::with_capacity(k, edges);
            for text in 0..k as u32 {
                rows.push_row(graph.skills_of(text))?;
            }
            let (offsets, items) = rows.finish();
            let sub = SkillTextGraph::from_text_rows(n, offsets, items)?;
            prefix_outcome = peel(&sub, learner, known);
            &prefix_outcome
        };
        let skills = seen.iter().filter(|&&x| x).count() as u64;
        let (occ, miss, bad, held) = super::heldout_error(&outcome.learned, heldout);
        out.push(ScalingPoint {
            fraction: k as f64 / t as f64,
            texts: k as u64,
            skills,
            ratio: if skills == 0 {
                0.0
            } else {
                k as f64 / skills as f64
            },
            learned: outcome.learned_count(),
            heldout_skill_error: super::ratio_or_none(miss, occ),
            heldout_text_error: super::ratio_or_none(bad, held),
        });
    }
    Ok(out)
}

/// Log-log fit of held-out skill error against training texts: (exponent, r^2),
/// when at least 3 points have a positive error.
pub(super) fn fit_scaling(points: &[ScalingPoint]) -> (Option<f64>, Option<f64>) {
    let xy: Vec<(f64, f64)> = points
        .iter()
        .filter_map(|p| match p.heldout_skill_error {
            Some(e) if e > 0.0 => Some((p.texts as f64, e)),
            _ => None,
        })
        .collect();
    if xy.len() < 3 {
        return (None, None);
    }
    match crate::theory::law::fit_power_law(&xy) {
        Some(fit) if fit.exponent.is_finite() => (Some(fit.exponent), Some(fit.r2)),
        _ => (None, None),
    }
}

/// Learned fraction predicted by density evolution on the graph's own degree
/// histograms (δ = the fraction of skills not known from the start).
pub(super) fn de_learned_fraction(
    graph: &SkillTextGraph,
    learner: &Learner,
    known: Option<&[bool]>,
) -> f64 {
    let n = graph.num_skills();
    if n == 0 || graph.num_edges() == 0 {
        return 0.0;
    }
    let unknown = match known {
        Some(k) => k.iter().filter(|&&x| !x).count() as f64 / n as f64,
        None => 1.0,
    };
    let params = DeParams {
        skills: SkillProfile::Degrees(DegreeDistribution::from_histogram(
            &graph.skill_degree_histogram(),
        )),
        texts: TextProfile::Degrees(DegreeDistribution::from_histogram(
            &graph.text_degree_histogram(),
        )),
        ratio: graph.ratio(),
        learner: learner.clone(),
        unknown_fraction: unknown,
    };
    1.0 - density_evolution(&params).unlearned
}

/// The strongest co-occurrences of each learned skill with other learned skills,
/// as (code a, code b, texts with both), a < b, sorted, at most
/// [`MAX_ASSOCIATIONS_PER_SKILL`] chosen per skill.
pub(super) fn associations(
    graph: &SkillTextGraph,
    learned: &[bool],
    names: &[String],
    codebook: &Codebook,
) -> Vec<(u32, u32, u32)> {
    let n = graph.num_skills();
    let code: Vec<u32> = (0..n)
        .map(|s| {
            if learned[s] {
                codebook.code_of(&names[s]).unwrap_or(u32::MAX)
            } else {
                u32::MAX
            }
        })
        .collect();
    let skills: Vec<u32> = (0..n as u32).filter(|&s| learned[s as usize]).collect();
    let chunk = skills
        .len()
        .div_ceil(rayon::current_num_threads().max(1) * 4)
        .max(1);
    let mut pairs: Vec<(u32, u32, u32)> = skills
        .par_chunks(chunk)
        .flat_map_iter(|part| {
            let mut counts = vec![0u32; n];
            let mut touched: Vec<u32> = Vec::new();
            let mut found = Vec::new();
            for &s in part {
                for &t in graph.texts_of(s) {
                    let row = graph.skills_of(t);
                    if row.len() > MAX_ASSOCIATION_TEXT_DEGREE {
                        continue;
                    }
                    for &u in row {
                        if u != s && code[u as usize] != u32::MAX {
                            if counts[u as usize] == 0 {
                                touched.push(u);
                            }
                            counts[u as usize] += 1;
                        }
                    }
                }
                let mut best: Vec<(u32, u32)> = touched
                    .iter()
                    .map(|&u| (counts[u as usize], code[u as usize]))
                    .collect();
                best.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
                let a = code[s as usize];
                for &(c, b) in best.iter().take(MAX_ASSOCIATIONS_PER_SKILL) {
                    found.push((a.min(b), a.max(b), c));
                }
                for &u in &touched {
                    counts[u as usize] = 0;
                }
                touched.clear();
            }
            found
        })
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}
