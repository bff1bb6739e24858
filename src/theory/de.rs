//! Density evolution (theory.md section 3): the large-N limit of the peeling learner.
//!
//! `x` is the probability that a skill-to-text edge carries "unlearned", `y` the
//! probability that a text does not teach its skill along an edge:
//!
//! ```text
//! y_l     = Σ_k ρ_k Σ_j P[Bin(k-1, x_l) = j] (1 - p_{j+1})     (Poisson texts: Poisson(g x_l))
//! x_{l+1} = δ λ(y_l)
//! ε_l     = δ Λ(y_l)
//! ```
//!
//! One code path serves every learner: capacity c is the table of c ones, so
//! `capacity:c` and `probs:1,...,1` give bit-identical numbers. The skill side is a
//! list of components (a degree table, or Poisson degrees whose mean scales with R),
//! each with its own δ, so mixed-Poisson (Zipf) skills and the two skill classes of
//! the hierarchy run through the same scalar iteration.
//!
//! Text-driven Zipf popularity (theory: [`crate::ensemble::inclusion`]): the sampler
//! picks distinct skills by weight (successive sampling), so skill i is in a text
//! with probability π_i, not d w_i, and its degree is Poisson(R N π_i): the mixture's
//! means are N π_i (edge shares π_i / Σπ). The other skills of a rare skill's text
//! are not the edge average either: with a the unlearned probability every skill
//! has (that of the most frequent one) and U the weight share of the rare skills'
//! extra unlearned probability, the number K of unlearned mates is K' + Bin(d − 1 −
//! K', a), K' with factorial moments U^r E\[T_{d-r}^{r+1}\] / E\[T_d\], and a rare
//! skill's texts have degree d with probability ∝ Γ_d E\[T_d\]:
//!
//! ```text
//! y = Σ_d Γ_d E[T_d] / E_Γ[T] · Σ_k P[K = k] (1 - p_{k+1})
//! ```
//!
//! This is exact as N → ∞ for the skills that stay unlearned (their weights vanish)
//! and when every skill is equally likely unlearned (the start); in between, a
//! frequent skill that is unlearned for a while is treated like a rare one. Uniform
//! popularity keeps the binomial text side above exactly.
//!
//! The learner's kernel `Σ_j P[·= j] (1 - p_{j+1})` lives in `theory::kernel`; the
//! degree laws' generating functions in [`DegreeDistribution`] (one home each).
//!
//! For every table, `Σ_j P[Bin(k-1,x)=j] p_{j+1}` is exactly what [`crate::peel`]
//! simulates: one draw per (text, skill), judged at the count of the text's other
//! skills that are unlearned without it.

use super::kernel::Kernel;
use crate::ensemble::inclusion::{SuccessiveSampling, successive_sampling};
use crate::ensemble::{DegreeDistribution, DegreeSpec, Ensemble, Popularity, zipf_weights};
use crate::peel::Learner;
use crate::{Error, Result};
use serde::{Serialize, Serializer};
use std::sync::Arc;

/// Rounds after which density evolution stops even if not converged.
pub const MAX_ROUNDS: usize = 100_000;
/// Convergence: |x_{l+1} - x_l| below this ends the iteration.
pub const CONVERGENCE: f64 = 1e-13;
/// The stated floor: an edge-unlearned probability x below this, once the fixed-point
/// check confirms that DE heads to 0 from it, is reported as exactly x = 0 (and ε as
/// its exact limit), never as the residue of a stopped iteration such as 1e-50.
pub const COMPLETE: f64 = 1e-10;
/// Relative width of the bins that compress a Poisson mixture (means within 0.5%
/// share one bin at their average: the error is second order, below 1e-6 relative).
const MIXTURE_BIN: f64 = 5e-3;

/// How skill degrees are distributed.
#[derive(Debug, Clone, Serialize)]
pub enum SkillProfile {
    /// A degree table Λ that does not depend on R (skill-driven, configuration).
    Degrees(#[serde(serialize_with = "ser_dist")] DegreeDistribution),
    /// Mixed Poisson skill degrees: entry i is the mean degree of an equally weighted
    /// share of the skills at ratio 1, scaled by R (text-driven: `mean_i = Γ'(1) N w_i`;
    /// uniform popularity is the single entry `Γ'(1)`).
    PoissonMixture(#[serde(serialize_with = "ser_mixture")] Vec<f64>),
}

/// How text degrees are distributed.
#[derive(Debug, Clone, Serialize)]
pub enum TextProfile {
    /// Skill-driven: text degrees Poisson with mean `Λ'(1) / R`.
    Poisson,
    /// A prescribed text degree table Γ (text-driven, configuration).
    Degrees(#[serde(serialize_with = "ser_dist")] DegreeDistribution),
    /// Text degrees Γ whose skills are picked distinct by weight (text-driven Zipf):
    /// a rare skill's text-mates follow the successive-sampling law of
    /// [`crate::ensemble::inclusion`]. In JSON it is the degree table, as
    /// `Degrees`.
    #[serde(rename = "Degrees")]
    Successive(#[serde(serialize_with = "ser_successive")] Arc<SuccessiveSampling>),
}

/// Everything density evolution needs.
#[derive(Debug, Clone, Serialize)]
pub struct DeParams {
    /// Skill degrees.
    pub skills: SkillProfile,
    /// Text degrees.
    pub texts: TextProfile,
    /// Texts per skill R (ignored when both profiles are degree tables: then R is implied).
    pub ratio: f64,
    /// The learner's table p_k.
    #[serde(serialize_with = "ser_learner")]
    pub learner: Learner,
    /// δ: probability that a skill is not known before training (1.0 = no foundation).
    pub unknown_fraction: f64,
}

/// The outcome of density evolution.
#[derive(Debug, Clone, Serialize)]
pub struct DeResult {
    /// ε = δ Λ(y∞): fraction of skills never learned.
    pub unlearned: f64,
    /// x∞: probability that an edge carries "unlearned".
    pub edge_unlearned: f64,
    /// y∞: probability that a text does not teach its skill along an edge.
    pub not_teaching: f64,
    /// ε before any round (δ), then after each round.
    pub trajectory: Vec<f64>,
    /// Rounds run.
    pub rounds: usize,
    /// True when |Δx| fell below [`CONVERGENCE`] (or x below [`COMPLETE`]) before
    /// [`MAX_ROUNDS`].
    pub converged: bool,
}

impl DeResult {
    /// True when learning completes (x∞ = 0 up to [`COMPLETE`]).
    pub fn complete(&self) -> bool {
        self.edge_unlearned < COMPLETE
    }
}

fn ser_learner<S: Serializer>(l: &Learner, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_str(l)
}

/// A degree law in JSON: `{"poisson": mean}` or `{"terms": [[k, Λ_k], ...]}`.
fn ser_dist<S: Serializer>(d: &DegreeDistribution, s: S) -> std::result::Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(1))?;
    match d.poisson_mean() {
        Some(mean) => m.serialize_entry("poisson", &mean)?,
        None => m.serialize_entry("terms", d.terms())?,
    }
    m.end()
}

fn ser_successive<S: Serializer>(
    d: &Arc<SuccessiveSampling>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    ser_dist(&d.gamma, s)
}

fn ser_mixture<S: Serializer>(m: &[f64], s: S) -> std::result::Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Summary {
        classes: usize,
        mean: f64,
        min: f64,
        max: f64,
    }
    let n = m.len().max(1) as f64;
    Summary {
        classes: m.len(),
        mean: m.iter().sum::<f64>() / n,
        min: m.iter().copied().fold(f64::INFINITY, f64::min),
        max: m.iter().copied().fold(0.0, f64::max),
    }
    .serialize(s)
}

impl DeParams {
    /// Skill-driven ensemble: skill degrees from `skill_degrees`, Poisson texts, δ = 1.
    pub fn skill_driven(skill_degrees: &DegreeSpec, ratio: f64, learner: Learner) -> Self {
        DeParams {
            skills: SkillProfile::Degrees(skill_degrees.distribution()),
            texts: TextProfile::Poisson,
            ratio,
            learner,
            unknown_fraction: 1.0,
        }
    }

    /// Text-driven ensemble: texts with degrees `text_degrees` pick `skills` skills by
    /// `popularity`; skill degrees are then mixed Poisson, δ = 1.
    pub fn text_driven(
        text_degrees: &DegreeSpec,
        popularity: Popularity,
        skills: usize,
        ratio: f64,
        learner: Learner,
    ) -> Self {
        let gamma = text_degrees.distribution();
        let (means, texts) = match popularity {
            Popularity::Uniform => (vec![gamma.mean()], TextProfile::Degrees(gamma)),
            Popularity::Zipf(s) => {
                // Skill i is in a text with probability π_i (distinct picks by
                // weight), so its degree is Poisson(R N π_i).
                let n = skills.max(1);
                let mut succ = successive_sampling(&zipf_weights(n, s), &gamma);
                succ.zipf_exponent = Some(s);
                let means = succ.inclusion.iter().map(|p| n as f64 * p).collect();
                (means, TextProfile::Successive(Arc::new(succ)))
            }
        };
        DeParams {
            skills: SkillProfile::PoissonMixture(means),
            texts,
            ratio,
            learner,
            unknown_fraction: 1.0,
        }
    }

    /// Configuration model: both degree tables prescribed; R = Λ'(1)/Γ'(1), δ = 1.
    pub fn configuration(
        skill_degrees: &DegreeSpec,
        text_degrees: &DegreeSpec,
        learner: Learner,
    ) -> Self {
        DeParams {
            skills: SkillProfile::Degrees(skill_degrees.distribution()),
            texts: TextProfile::Degrees(text_degrees.distribution()),
            ratio: skill_degrees.mean() / text_degrees.mean(),
            learner,
            unknown_fraction: 1.0,
        }
    }

    /// The parameters of an ensemble (its ratio included), δ = 1.
    pub fn from_ensemble(e: &Ensemble, learner: Learner) -> Self {
        match e {
            Ensemble::SkillDriven {
                ratio,
                skill_degrees,
                ..
            } => Self::skill_driven(skill_degrees, *ratio, learner),
            Ensemble::TextDriven {
                skills,
                ratio,
                text_degrees,
                popularity,
            } => Self::text_driven(text_degrees, *popularity, *skills, *ratio, learner),
            Ensemble::Configuration {
                skill_degrees,
                text_degrees,
                ..
            } => Self::configuration(skill_degrees, text_degrees, learner),
        }
    }

    /// The same parameters at another ratio.
    pub fn with_ratio(&self, ratio: f64) -> Self {
        DeParams {
            ratio,
            ..self.clone()
        }
    }

    /// The same parameters with another unknown fraction δ.
    pub fn with_unknown_fraction(&self, delta: f64) -> Self {
        DeParams {
            unknown_fraction: delta,
            ..self.clone()
        }
    }

    /// True when both degree profiles are tables: the edge count fixes R = Λ'(1)/Γ'(1)
    /// and density evolution does not depend on [`DeParams::ratio`].
    pub fn ratio_is_implied(&self) -> bool {
        matches!(
            (&self.skills, &self.texts),
            (SkillProfile::Degrees(_), TextProfile::Degrees(_))
        )
    }

    /// The ratio density evolution actually uses (the implied one for configurations).
    pub fn effective_ratio(&self) -> f64 {
        match (&self.skills, &self.texts) {
            (SkillProfile::Degrees(l), TextProfile::Degrees(g)) if g.mean() > 0.0 => {
                l.mean() / g.mean()
            }
            _ => self.ratio,
        }
    }

    /// True when learning can never complete at any ratio, so x∞ > 0: some skills
    /// have degree 0 or 1 (Λ(0) > 0, mixed-Poisson skills, λ(0) > 0), or p_1 < 1 (a
    /// text with one novel skill may fail to teach it, so y(0) > 0), or δ > 0 with a
    /// learner that never teaches.
    pub fn never_complete(&self) -> bool {
        let degrees = match &self.skills {
            SkillProfile::PoissonMixture(_) => true,
            SkillProfile::Degrees(d) => d.poisson_mean().is_some() || d.min_degree() <= 1,
        };
        degrees || self.learner.prob(1) < 1.0
    }

    /// Checks the parameters, saying what is wrong (an [`Error::Invalid`]).
    pub fn validate(&self) -> Result<()> {
        let ratio_ok = self.ratio.is_finite() && self.ratio > 0.0;
        if !self.ratio_is_implied() && !ratio_ok {
            return Err(Error::invalid(format!(
                "the ratio R (texts per skill) must be positive, got {}",
                self.ratio
            )));
        }
        if !(0.0..=1.0).contains(&self.unknown_fraction) {
            return Err(Error::invalid(format!(
                "the unknown fraction must be in [0, 1], got {}",
                self.unknown_fraction
            )));
        }
        if let SkillProfile::PoissonMixture(m) = &self.skills
            && (m.is_empty() || m.iter().any(|v| !v.is_finite() || *v < 0.0))
        {
            return Err(Error::invalid(
                "a Poisson mixture needs at least one finite, non-negative mean",
            ));
        }
        Ok(())
    }
}

/// Runs density evolution to convergence (|Δx| < 1e-13) or [`MAX_ROUNDS`].
///
/// Parameters that fail [`DeParams::validate`] give "nothing learned" (ε = δ).
pub fn density_evolution(p: &DeParams) -> DeResult {
    if p.validate().is_err() {
        let d = p.unknown_fraction.clamp(0.0, 1.0);
        return DeResult {
            unlearned: d,
            edge_unlearned: d,
            not_teaching: 1.0,
            trajectory: vec![d],
            rounds: 0,
            converged: false,
        };
    }
    Prepared::new(p).run(p.effective_ratio(), p.unknown_fraction, true, false)
}

// ---------------------------------------------------------------------------------
// The engine.

/// The degree law of one skill class.
#[derive(Debug, Clone)]
pub(crate) enum CompKind {
    /// A degree table that does not scale with R.
    Table(DegreeDistribution),
    /// Poisson degrees with this mean at ratio 1 (scaled by R).
    Poisson { mean: f64 },
}

/// A class of skills: share of all skills, δ and degree law.
#[derive(Debug, Clone)]
pub(crate) struct Comp {
    pub node_share: f64,
    pub delta: f64,
    pub kind: CompKind,
}

impl Comp {
    /// Mean degree at ratio `r`.
    pub(crate) fn mean(&self, r: f64) -> f64 {
        match &self.kind {
            CompKind::Table(d) => d.mean(),
            CompKind::Poisson { mean } => mean * r,
        }
    }

    /// Λ_i(y).
    pub(crate) fn node_gf(&self, y: f64, r: f64) -> f64 {
        match &self.kind {
            CompKind::Table(d) => d.node_gf(y),
            CompKind::Poisson { mean } => (-mean * r * (1.0 - y)).exp(),
        }
    }

    /// λ_i(y) = Σ λ_k y^(k-1).
    pub(crate) fn edge_gf(&self, y: f64, r: f64) -> f64 {
        match &self.kind {
            CompKind::Table(d) => d.edge_gf(y),
            CompKind::Poisson { mean } => (-mean * r * (1.0 - y)).exp(),
        }
    }

    /// λ_i'(y).
    pub(crate) fn edge_gf_deriv(&self, y: f64, r: f64) -> f64 {
        match &self.kind {
            CompKind::Table(d) => d.edge_gf_deriv(y),
            CompKind::Poisson { mean } => mean * r * (-mean * r * (1.0 - y)).exp(),
        }
    }
}

/// The text side.
#[derive(Debug, Clone)]
pub(crate) enum TextSide {
    /// Poisson text degrees with mean `Σ_i n_i mean_i(R) / R`.
    Poisson,
    /// A text degree table Γ.
    Table(DegreeDistribution),
    /// Text degrees Γ with skills picked distinct by weight.
    Successive(Arc<SuccessiveSampling>),
}

impl TextSide {
    /// The text degree table, when there is one.
    pub fn table(&self) -> Option<&DegreeDistribution> {
        match self {
            TextSide::Poisson => None,
            TextSide::Table(d) => Some(d),
            TextSide::Successive(s) => Some(&s.gamma),
        }
    }
}

/// A skill side, text side and learner ready to iterate at any ratio and δ.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub comps: Vec<Comp>,
    pub text: TextSide,
    pub kernel: Kernel,
}

/// The engine at one ratio: edge shares and text mean fixed.
pub(crate) struct Engine<'a> {
    prep: &'a Prepared,
    r: f64,
    edge_share: Vec<f64>,
    g: f64,
    /// The last y found by inverting x (a warm start).
    last_y: std::cell::Cell<f64>,
}

impl Prepared {
    /// From parameters with a single δ (set per run).
    pub fn new(p: &DeParams) -> Self {
        let comps = match &p.skills {
            SkillProfile::Degrees(d) => vec![Comp {
                node_share: 1.0,
                delta: 1.0,
                kind: table(d),
            }],
            SkillProfile::PoissonMixture(means) => compress_mixture(means),
        };
        Prepared {
            comps,
            text: text_side(&p.texts),
            kernel: Kernel::of(&p.learner),
        }
    }

    /// The engine at ratio `r`.
    pub fn at(&self, r: f64) -> Engine<'_> {
        let masses: Vec<f64> = self
            .comps
            .iter()
            .map(|c| c.node_share * c.mean(r))
            .collect();
        let total: f64 = masses.iter().sum();
        let edge_share = masses
            .iter()
            .map(|m| if total > 0.0 { m / total } else { 0.0 })
            .collect();
        Engine {
            prep: self,
            r,
            edge_share,
            g: if r > 0.0 { total / r } else { f64::INFINITY },
            last_y: std::cell::Cell::new(0.5),
        }
    }

    /// The same preparation with every component's δ set to `delta`.
    pub fn with_delta(&self, delta: f64) -> std::borrow::Cow<'_, Prepared> {
        if self.comps.iter().all(|c| c.delta == delta) {
            std::borrow::Cow::Borrowed(self)
        } else {
            let mut prep = self.clone();
            for c in &mut prep.comps {
                c.delta = delta;
            }
            std::borrow::Cow::Owned(prep)
        }
    }

    /// Runs at ratio `r` with every component's δ replaced by `delta`.
    pub fn run(&self, r: f64, delta: f64, record: bool, early_exit: bool) -> DeResult {
        self.with_delta(delta)
            .at(r)
            .iterate(record, early_exit, MAX_ROUNDS)
    }

    /// True when learning completes at ratio `r` and unknown fraction `delta`: the
    /// fixed-point check of [`Engine::heads_to_zero`] over the whole of (0, x_0], with
    /// no iteration (so no slow passage near the threshold can mislead it).
    pub fn completes(&self, r: f64, delta: f64) -> bool {
        self.with_delta(delta).completes_as_is(r)
    }

    /// [`Self::completes`] with each component's own δ.
    pub fn completes_as_is(&self, r: f64) -> bool {
        let e = self.at(r);
        let x0 = e.start();
        x0 <= 0.0 || e.heads_to_zero(x0)
    }
}

pub(crate) fn table(d: &DegreeDistribution) -> CompKind {
    CompKind::Table(d.clone())
}

pub(crate) fn text_side(t: &TextProfile) -> TextSide {
    match t {
        TextProfile::Poisson => TextSide::Poisson,
        TextProfile::Degrees(d) => TextSide::Table(d.clone()),
        TextProfile::Successive(s) => TextSide::Successive(s.clone()),
    }
}

/// Groups equally weighted Poisson means into bins of relative width [`MIXTURE_BIN`].
fn compress_mixture(means: &[f64]) -> Vec<Comp> {
    let mut sorted: Vec<f64> = means.to_vec();
    if !sorted.windows(2).all(|w| w[0] >= w[1]) {
        sorted.sort_by(|a, b| b.total_cmp(a));
    }
    let n = sorted.len().max(1) as f64;
    let mut comps = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut j = i;
        let mut sum = 0.0;
        while j < sorted.len() && sorted[j] >= start * (1.0 - MIXTURE_BIN) {
            sum += sorted[j];
            j += 1;
        }
        let count = (j - i) as f64;
        comps.push(Comp {
            node_share: count / n,
            delta: 1.0,
            kind: CompKind::Poisson { mean: sum / count },
        });
        i = j;
    }
    comps
}

/// Outcome of [`iterate_fixed_point`].
pub(crate) struct Iteration {
    /// Rounds run.
    pub rounds: usize,
    /// True when max |Δx| fell below [`CONVERGENCE`] or `stop` held.
    pub converged: bool,
}

/// The one density-evolution loop, for a state vector of any size: `step` maps x_l
/// to x_{l+1} and returns ε_{l+1} (pushed onto `trajectory` when given); the loop
/// ends when max |Δx| < [`CONVERGENCE`], when `stop(x)` holds, or after
/// `max_rounds`.
pub(crate) fn iterate_fixed_point(
    x: &mut Vec<f64>,
    step: &mut dyn FnMut(&[f64], &mut [f64]) -> f64,
    stop: &dyn Fn(&[f64]) -> bool,
    mut trajectory: Option<&mut Vec<f64>>,
    max_rounds: usize,
) -> Iteration {
    let mut next = vec![0.0; x.len()];
    let mut rounds = 0;
    while rounds < max_rounds {
        let eps = step(x, &mut next);
        rounds += 1;
        if let Some(t) = trajectory.as_deref_mut() {
            t.push(eps);
        }
        let dx = x
            .iter()
            .zip(&next)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        std::mem::swap(x, &mut next);
        if dx < CONVERGENCE || stop(x) {
            return Iteration {
                rounds,
                converged: true,
            };
        }
    }
    Iteration {
        rounds,
        converged: false,
    }
}

/// Points of the log grid on which [`Engine::heads_to_zero`] looks for fixed points.
const STALL_GRID: usize = 600;
/// Grid maxima of f(t)/t - 1 above this are refined by golden-section search.
const STALL_REFINE: f64 = -0.05;

impl Engine<'_> {
    /// Mean text degree (node perspective).
    pub fn text_mean(&self) -> f64 {
        match &self.prep.text {
            TextSide::Poisson => self.g,
            TextSide::Table(d) => d.mean(),
            TextSide::Successive(s) => s.gamma.mean(),
        }
    }

    /// y(x): probability that a text does not teach along an edge.
    pub fn not_teach(&self, x: f64) -> f64 {
        let k = &self.prep.kernel;
        match &self.prep.text {
            TextSide::Poisson => k.not_teach_poisson(self.g * x),
            TextSide::Table(d) => match d.poisson_mean() {
                // Poisson(γ) node degrees: the other skills of an edge's text are
                // Poisson(γ) too, so the unlearned ones are Poisson(γ x).
                Some(gamma) => k.not_teach_poisson(gamma * x),
                None => d
                    .edge_terms()
                    .iter()
                    .map(|&(deg, r)| r * k.not_teach_binomial(deg as usize - 1, x))
                    .sum(),
            },
            TextSide::Successive(s) => {
                let (u, a) = self.successive_marks(x, s);
                s.laws
                    .iter()
                    .filter(|l| l.degree > 0)
                    .map(|l| {
                        let pk = l.others(u, a);
                        l.rare_share
                            * pk.iter()
                                .enumerate()
                                .map(|(j, p)| p * (1.0 - k.p(j + 1)))
                                .sum::<f64>()
                    })
                    .sum()
            }
        }
    }

    /// For text-driven Zipf: P(a fresh text has every skill learned) when an edge
    /// is unlearned with probability `x` (`None` for other text sides).
    pub fn fresh_all_learned(&self, x: f64) -> Option<f64> {
        match &self.prep.text {
            TextSide::Successive(s) => {
                let (u, a) = self.successive_marks(x, s);
                Some(
                    s.laws
                        .iter()
                        .map(|l| l.share * l.fresh_all_learned(u, a))
                        .sum(),
                )
            }
            _ => None,
        }
    }

    /// The marks behind an edge-unlearned probability `x` under successive
    /// sampling: `a`, the unlearned probability every skill has (that of the most
    /// frequent skill), and U, the weight share of the rare skills' extra unlearned
    /// probability. x = Σ e_i δ_i λ_i(y) is inverted for y; the rare skills' weights
    /// are π_i / E_Γ[T], so U = (x − a) / (1 − a) · Σπ / E_Γ[T].
    fn successive_marks(&self, x: f64, s: &SuccessiveSampling) -> (f64, f64) {
        let y = self.invert_edge_unlearned(x);
        let a = self
            .prep
            .comps
            .iter()
            .zip(&self.edge_share)
            .filter(|(_, e)| **e > 0.0)
            .map(|(c, _)| c.delta * c.edge_gf(y, self.r))
            .fold(1.0, f64::min)
            .min(x.max(0.0));
        let u = if a >= 1.0 {
            0.0
        } else {
            (x - a) / (1.0 - a) * s.mean_degree / s.mean_time
        };
        (u.clamp(0.0, 1.0), a)
    }

    /// The y in [0, 1] with Σ e_i δ_i λ_i(y) = x (monotone: safeguarded Newton from
    /// the last answer).
    fn invert_edge_unlearned(&self, x: f64) -> f64 {
        if x >= self.edge_unlearned(1.0) {
            return 1.0;
        }
        if x <= self.edge_unlearned(0.0) {
            return 0.0;
        }
        let (mut lo, mut hi) = (0.0, 1.0);
        let mut y = self.last_y.get().clamp(0.0, 1.0);
        for _ in 0..200 {
            let f = self.edge_unlearned(y) - x;
            if f > 0.0 {
                hi = y;
            } else {
                lo = y;
            }
            if f.abs() <= 1e-15 * x.max(1e-300) || hi - lo < 1e-15 {
                break;
            }
            let df = self.edge_sum(|c, r| c.delta * c.edge_gf_deriv(y, r));
            let next = y - f / df;
            y = if df > 0.0 && next > lo && next < hi {
                next
            } else {
                0.5 * (lo + hi)
            };
        }
        self.last_y.set(y);
        y
    }

    /// x at round 0: Σ e_i δ_i.
    pub fn start(&self) -> f64 {
        self.prep
            .comps
            .iter()
            .zip(&self.edge_share)
            .map(|(c, e)| e * c.delta)
            .sum()
    }

    /// Σ e_i δ_i λ_i(y).
    pub fn edge_unlearned(&self, y: f64) -> f64 {
        self.prep
            .comps
            .iter()
            .zip(&self.edge_share)
            .filter(|(_, e)| **e > 0.0)
            .map(|(c, e)| e * c.delta * c.edge_gf(y, self.r))
            .sum()
    }

    /// Σ n_i δ_i Λ_i(y).
    pub fn unlearned(&self, y: f64) -> f64 {
        self.prep
            .comps
            .iter()
            .map(|c| c.node_share * c.delta * c.node_gf(y, self.r))
            .sum()
    }

    /// Per component: δ_i Λ_i(y), the unlearned fraction within that class.
    pub fn unlearned_by_comp(&self, y: f64) -> Vec<f64> {
        self.prep
            .comps
            .iter()
            .map(|c| c.delta * c.node_gf(y, self.r))
            .collect()
    }

    /// Σ e_i f(comp) over components with edges.
    pub fn edge_sum(&self, f: impl Fn(&Comp, f64) -> f64) -> f64 {
        self.prep
            .comps
            .iter()
            .zip(&self.edge_share)
            .filter(|(_, e)| **e > 0.0)
            .map(|(c, e)| e * f(c, self.r))
            .sum()
    }

    /// Σ n_i f(comp) over components.
    pub fn node_sum(&self, f: impl Fn(&Comp, f64) -> f64) -> f64 {
        self.prep
            .comps
            .iter()
            .map(|c| c.node_share * f(c, self.r))
            .sum()
    }

    /// ρ(v) = Σ ρ_k v^(k-1).
    pub fn rho(&self, v: f64) -> f64 {
        match &self.prep.text {
            TextSide::Poisson => (-self.g * (1.0 - v)).exp(),
            TextSide::Table(d) => d.edge_gf(v),
            TextSide::Successive(s) => s.gamma.edge_gf(v),
        }
    }

    /// ρ'(1): mean number of other skills in a text reached along an edge.
    pub fn rho_deriv_one(&self) -> f64 {
        match &self.prep.text {
            TextSide::Poisson => self.g,
            TextSide::Table(d) => d.edge_gf_deriv(1.0),
            TextSide::Successive(s) => s.gamma.edge_gf_deriv(1.0),
        }
    }

    /// f(t) = Σ e_i δ_i λ_i(y(t)): one round of density evolution on x.
    pub fn round(&self, t: f64) -> f64 {
        self.edge_unlearned(self.not_teach(t))
    }

    /// True when f(t) < t for every t in [[`COMPLETE`], x], so that density
    /// evolution from x reaches 0. f(t)/t - 1 is scanned on a log grid and every
    /// grid maximum within [`STALL_REFINE`] of 0 is refined by golden-section search,
    /// so a near-tangent fixed point between grid points is not missed.
    pub fn heads_to_zero(&self, x: f64) -> bool {
        let lo: f64 = COMPLETE;
        if x <= lo {
            return self.round(x) < x || x <= 0.0;
        }
        let h = |t: f64| self.round(t) / t - 1.0;
        let n = STALL_GRID;
        let step = (x / lo).ln() / (n - 1) as f64;
        let ts: Vec<f64> = (0..n).map(|i| (lo.ln() + step * i as f64).exp()).collect();
        let hs: Vec<f64> = ts.iter().map(|&t| h(t)).collect();
        if hs.iter().any(|v| v.is_nan() || *v >= 0.0) {
            return false;
        }
        for i in 0..n {
            let left = if i > 0 { hs[i - 1] } else { f64::NEG_INFINITY };
            let right = if i + 1 < n {
                hs[i + 1]
            } else {
                f64::NEG_INFINITY
            };
            if hs[i] < STALL_REFINE || hs[i] < left || hs[i] < right {
                continue;
            }
            // Golden-section search for the maximum of h on the neighbouring cells,
            // in ln t.
            let (mut a, mut b) = (ts[i.saturating_sub(1)].ln(), ts[(i + 1).min(n - 1)].ln());
            let g = 0.5 * (5f64.sqrt() - 1.0);
            let mut c = b - g * (b - a);
            let mut d = a + g * (b - a);
            let (mut hc, mut hd) = (h(c.exp()), h(d.exp()));
            for _ in 0..80 {
                if hc.max(hd) >= 0.0 {
                    return false;
                }
                if hc > hd {
                    b = d;
                    d = c;
                    hd = hc;
                    c = b - g * (b - a);
                    hc = h(c.exp());
                } else {
                    a = c;
                    c = d;
                    hc = hd;
                    d = a + g * (b - a);
                    hd = h(d.exp());
                }
                if b - a < 1e-13 {
                    break;
                }
            }
            if hc.max(hd) >= 0.0 {
                return false;
            }
        }
        true
    }

    /// Iterates from x_0 = Σ e_i δ_i. With `early_exit` (threshold searches) it stops
    /// as soon as x is below [`COMPLETE`], or below 1e-2 where [`Self::heads_to_zero`]
    /// decides. Whenever x ends below [`COMPLETE`] and the check confirms that it
    /// heads to 0, the result is the exact limit x = 0 (so no residue such as
    /// ε = 1e-50 of a stopped iteration is reported).
    pub fn iterate(&self, record: bool, early_exit: bool, max_rounds: usize) -> DeResult {
        let x0 = self.start();
        let eps0: f64 = self.prep.comps.iter().map(|c| c.node_share * c.delta).sum();
        let mut trajectory = Vec::new();
        if record {
            trajectory.push(eps0);
        }
        let limit = |x: f64| {
            let y = self.not_teach(x);
            (y, self.unlearned(y))
        };
        if x0 <= 0.0 {
            // No edges or nothing unknown: nothing to iterate.
            let (y, eps) = limit(0.0);
            return DeResult {
                unlearned: eps.min(eps0),
                edge_unlearned: 0.0,
                not_teaching: y,
                trajectory,
                rounds: 0,
                converged: true,
            };
        }
        // Near a continuous transition (Λ = x^2) the last approach to 0, or to a tiny
        // positive fixed point, is algebraic and would take 10^5+ rounds: with early
        // exit, the fixed-point check decides once x < 1e-2.
        let check_below = if early_exit { 1e-2 } else { COMPLETE };
        let mut x = vec![x0];
        let mut step = |x: &[f64], out: &mut [f64]| {
            let y = self.not_teach(x[0]);
            out[0] = self.edge_unlearned(y);
            self.unlearned(y)
        };
        let stop = |x: &[f64]| x[0] < check_below;
        let it = iterate_fixed_point(
            &mut x,
            &mut step,
            &stop,
            record.then_some(&mut trajectory),
            max_rounds,
        );
        let mut x = x[0];
        if x < check_below && self.heads_to_zero(x) {
            x = 0.0;
        }
        let (y, eps) = limit(x);
        if record
            && x == 0.0
            && let Some(last) = trajectory.last_mut()
        {
            *last = eps;
        }
        DeResult {
            unlearned: eps,
            edge_unlearned: x,
            not_teaching: y,
            trajectory,
            rounds: it.rounds,
            converged: it.converged,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(s: &str) -> DegreeSpec {
        s.parse().unwrap()
    }

    #[test]
    fn x_squared_completes_above_two_only() {
        let l = Learner::capacity(1).unwrap();
        let below = density_evolution(&DeParams::skill_driven(&spec("fixed:2"), 1.9, l.clone()));
        let above = density_evolution(&DeParams::skill_driven(&spec("fixed:2"), 2.1, l));
        // Fixed point x = 1 - exp(-2x/1.9) ≈ 0.098, ε = y² ≈ 0.0097.
        assert!(
            (below.unlearned - 0.00966).abs() < 1e-4,
            "{}",
            below.unlearned
        );
        assert!(!below.complete());
        // Above the threshold the limit is exactly 0, not the residue of a stopped
        // iteration.
        assert_eq!(above.unlearned, 0.0);
        assert!(above.complete());
        assert_eq!(above.trajectory[0], 1.0);
        assert_eq!(above.trajectory.len(), above.rounds + 1);
    }

    #[test]
    fn params_and_results_serialize() {
        let p = DeParams::text_driven(
            &spec("fixed:3"),
            Popularity::Zipf(1.2),
            100,
            2.0,
            Learner::capacity(2).unwrap(),
        );
        let j = serde_json::to_value(&p).unwrap();
        assert_eq!(j["learner"], "capacity:2");
        assert_eq!(j["skills"]["PoissonMixture"]["classes"], 100);
        assert_eq!(j["texts"]["Degrees"]["terms"][0][0], 3);
        assert_eq!(j["texts"]["Degrees"]["terms"][0][1], 1.0);
        let r = serde_json::to_value(density_evolution(&p)).unwrap();
        assert!(r["unlearned"].as_f64().unwrap() < 1.0);
        let q = serde_json::to_value(DeParams::skill_driven(
            &spec("poisson:2"),
            1.0,
            Learner::capacity(1).unwrap(),
        ))
        .unwrap();
        assert_eq!(q["skills"]["Degrees"]["poisson"], 2.0);
    }

    #[test]
    fn fixed_text_degree_above_capacity_learns_nothing_from_scratch() {
        // Every text starts with 3 unknown skills: a capacity-1 learner never starts,
        // exactly as the peeling engine on a sampled graph.
        let l = Learner::capacity(1).unwrap();
        let p = DeParams::text_driven(&spec("fixed:3"), Popularity::Uniform, 1, 50.0, l);
        assert_eq!(density_evolution(&p).unlearned, 1.0);
        let started = density_evolution(&p.with_unknown_fraction(0.5));
        assert!(started.unlearned < 1e-6, "{started:?}");
    }

    #[test]
    fn poisson_text_table_uses_the_closed_form() {
        // A Poisson(4) text table and its truncated tables agree to 1e-12.
        let l = Learner::probabilistic(vec![1.0, 0.6, 0.3], 0).unwrap();
        let d = DegreeDistribution::poisson(4.0);
        let table = DegreeDistribution::from_terms(d.terms().to_vec());
        assert!(d.poisson_mean().is_some() && table.poisson_mean().is_none());
        let mk = |t: DegreeDistribution| DeParams {
            skills: SkillProfile::Degrees(spec("fixed:3").distribution()),
            texts: TextProfile::Degrees(t),
            ratio: 1.0,
            learner: l.clone(),
            unknown_fraction: 1.0,
        };
        let (a, b) = (mk(d), mk(table));
        for x in [1e-6, 0.01, 0.3, 0.9] {
            let (pa, pb) = (Prepared::new(&a), Prepared::new(&b));
            let (ya, yb) = (pa.at(1.0).not_teach(x), pb.at(1.0).not_teach(x));
            assert!((ya - yb).abs() < 1e-12 * ya.max(1e-3), "{x}: {ya} {yb}");
        }
    }

    #[test]
    fn mixture_compression_is_faithful() {
        let l = Learner::capacity(1).unwrap();
        let p = DeParams::text_driven(&spec("fixed:3"), Popularity::Zipf(1.5), 20_000, 3.0, l);
        let prep = Prepared::new(&p);
        assert!(prep.comps.len() < 5000, "{}", prep.comps.len());
        let e = prep.at(3.0);
        let SkillProfile::PoissonMixture(means) = &p.skills else {
            unreachable!()
        };
        let y = 0.2;
        let exact: f64 = means
            .iter()
            .map(|m| (-m * 3.0 * (1.0 - y)).exp())
            .sum::<f64>()
            / means.len() as f64;
        assert!((e.unlearned(y) / exact - 1.0).abs() < 1e-5);
    }
}
