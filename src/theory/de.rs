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
//! For every table, `Σ_j P[Bin(k-1,x)=j] p_{j+1}` is exactly what [`crate::peel`]
//! simulates: one draw per (text, skill), judged at the count of the text's other
//! skills that are unlearned without it.

use crate::ensemble::{DegreeDistribution, DegreeSpec, Ensemble, Popularity, zipf_weights};
use crate::peel::Learner;
use crate::{Error, Result};
use serde::{Serialize, Serializer};

/// Rounds after which density evolution stops even if not converged.
pub const MAX_ROUNDS: usize = 100_000;
/// Convergence: |x_{l+1} - x_l| below this ends the iteration.
pub const CONVERGENCE: f64 = 1e-13;
/// An edge-unlearned probability x below this counts as "learning completes" (x = 0).
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

fn ser_dist<S: Serializer>(d: &DegreeDistribution, s: S) -> std::result::Result<S::Ok, S::Error> {
    d.pmf().serialize(s)
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
        let mean = gamma.mean();
        let means = match popularity {
            Popularity::Uniform => vec![mean],
            Popularity::Zipf(s) => {
                let n = skills.max(1);
                zipf_weights(n, s)
                    .into_iter()
                    .map(|w| mean * n as f64 * w)
                    .collect()
            }
        };
        DeParams {
            skills: SkillProfile::PoissonMixture(means),
            texts: TextProfile::Degrees(gamma),
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

    /// True when some skills can never be learned (Λ(0) > 0 or degree-1 skills with
    /// learning never complete), so ε never reaches 0.
    pub fn never_complete(&self) -> bool {
        match &self.skills {
            SkillProfile::PoissonMixture(_) => true,
            SkillProfile::Degrees(d) => d.prob(0) > 0.0 || d.prob(1) > 0.0,
        }
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
        if let SkillProfile::PoissonMixture(m) = &self.skills {
            if m.is_empty() || m.iter().any(|v| !v.is_finite() || *v < 0.0) {
                return Err(Error::invalid(
                    "a Poisson mixture needs at least one finite, non-negative mean",
                ));
            }
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

/// One component of the skill side.
#[derive(Debug, Clone)]
pub(crate) enum CompKind {
    /// A degree table that does not scale with R: node pmf, edge pmf (entry k is λ_k).
    Table { node: Vec<f64>, edge: Vec<f64> },
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

fn horner(coef: &[f64], x: f64) -> f64 {
    coef.iter().rev().fold(0.0, |acc, &c| acc * x + c)
}

impl Comp {
    /// Mean degree at ratio `r`.
    pub(crate) fn mean(&self, r: f64) -> f64 {
        match &self.kind {
            CompKind::Table { node, .. } => {
                node.iter().enumerate().map(|(k, p)| k as f64 * p).sum()
            }
            CompKind::Poisson { mean } => mean * r,
        }
    }

    /// Λ_i(y).
    pub(crate) fn node_gf(&self, y: f64, r: f64) -> f64 {
        match &self.kind {
            CompKind::Table { node, .. } => horner(node, y),
            CompKind::Poisson { mean } => (-mean * r * (1.0 - y)).exp(),
        }
    }

    /// λ_i(y) = Σ λ_k y^(k-1).
    pub(crate) fn edge_gf(&self, y: f64, r: f64) -> f64 {
        match &self.kind {
            CompKind::Table { edge, .. } => {
                if edge.len() <= 1 {
                    0.0
                } else {
                    horner(&edge[1..], y)
                }
            }
            CompKind::Poisson { mean } => (-mean * r * (1.0 - y)).exp(),
        }
    }

    /// λ_i'(y).
    pub(crate) fn edge_gf_deriv(&self, y: f64, r: f64) -> f64 {
        match &self.kind {
            CompKind::Table { edge, .. } => {
                let mut acc = 0.0;
                for k in (2..edge.len()).rev() {
                    acc = acc * y + (k - 1) as f64 * edge[k];
                }
                acc
            }
            CompKind::Poisson { mean } => mean * r * (-mean * r * (1.0 - y)).exp(),
        }
    }
}

/// The text side.
#[derive(Debug, Clone)]
pub(crate) enum TextSide {
    /// Poisson text degrees with mean `Σ_i n_i mean_i(R) / R`.
    Poisson,
    /// Edge pmf ρ (entry k is ρ_k) and node pmf Γ.
    Table { rho: Vec<f64>, gamma: Vec<f64> },
}

/// A skill side, text side and learner ready to iterate at any ratio and δ.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub comps: Vec<Comp>,
    pub text: TextSide,
    pub probs: Vec<f64>,
}

/// The engine at one ratio: edge shares and text mean fixed.
pub(crate) struct Engine<'a> {
    prep: &'a Prepared,
    r: f64,
    edge_share: Vec<f64>,
    g: f64,
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
            probs: p.learner.probs().to_vec(),
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
        }
    }

    /// Runs at ratio `r` with every component's δ replaced by `delta` when given.
    pub fn run(&self, r: f64, delta: f64, record: bool, early_exit: bool) -> DeResult {
        let mut prep;
        let me = if self.comps.iter().all(|c| c.delta == delta) {
            self
        } else {
            prep = self.clone();
            for c in &mut prep.comps {
                c.delta = delta;
            }
            &prep
        };
        me.at(r).iterate(record, early_exit, MAX_ROUNDS)
    }
}

pub(crate) fn table(d: &DegreeDistribution) -> CompKind {
    CompKind::Table {
        node: d.pmf().to_vec(),
        edge: d.edge_pmf(),
    }
}

pub(crate) fn text_side(t: &TextProfile) -> TextSide {
    match t {
        TextProfile::Poisson => TextSide::Poisson,
        TextProfile::Degrees(d) => TextSide::Table {
            rho: d.edge_pmf(),
            gamma: d.pmf().to_vec(),
        },
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

/// p_k from the table (0 beyond it).
#[inline]
fn p_at(probs: &[f64], k: usize) -> f64 {
    if k == 0 {
        0.0
    } else {
        probs.get(k - 1).copied().unwrap_or(0.0)
    }
}

/// `Σ_j P[Bin(n, x) = j] (1 - p_{j+1})`: a text with n other skills, each unlearned
/// with probability x, does not teach along an edge.
pub(crate) fn not_teach_binomial(n: usize, x: f64, probs: &[f64]) -> f64 {
    if x <= 0.0 {
        return 1.0 - p_at(probs, 1);
    }
    if x >= 1.0 {
        return 1.0 - p_at(probs, n + 1);
    }
    let l = probs.len();
    let lx = x.ln();
    let l1x = (-x).ln_1p();
    let mut logp = n as f64 * l1x;
    let mut head = 0.0;
    let mut acc = 0.0;
    let top = n.min(l.saturating_sub(1));
    for (j, &p_next) in probs.iter().enumerate().take(top + 1) {
        let p = logp.exp();
        head += p * (1.0 - p_next);
        acc += p;
        if j < n {
            logp += ((n - j) as f64).ln() - ((j + 1) as f64).ln() + lx - l1x;
        }
    }
    if n < l {
        return head;
    }
    // P[Bin >= l]: by complement when it is large, else summed upward (no cancellation).
    let tail = if acc <= 0.5 {
        (1.0 - acc).max(0.0)
    } else {
        let mode = (n + 1) as f64 * x;
        let mut s = 0.0;
        for j in l..=n {
            let t = logp.exp();
            s += t;
            if j as f64 > mode && t <= s * 1e-17 {
                break;
            }
            if j < n {
                logp += ((n - j) as f64).ln() - ((j + 1) as f64).ln() + lx - l1x;
            }
        }
        s
    };
    head + tail
}

/// `Σ_j P[Poisson(m) = j] (1 - p_{j+1})`.
pub(crate) fn not_teach_poisson(m: f64, probs: &[f64]) -> f64 {
    if m <= 0.0 {
        return 1.0 - p_at(probs, 1);
    }
    if !m.is_finite() {
        return 1.0;
    }
    let l = probs.len();
    let lm = m.ln();
    let mut logp = -m;
    let mut head = 0.0;
    let mut acc = 0.0;
    for (j, &p_next) in probs.iter().enumerate() {
        let p = logp.exp();
        head += p * (1.0 - p_next);
        acc += p;
        logp += lm - ((j + 1) as f64).ln();
    }
    let tail = if acc <= 0.5 {
        (1.0 - acc).max(0.0)
    } else {
        let mut s = 0.0;
        let mut j = l;
        loop {
            let t = logp.exp();
            s += t;
            if j as f64 > m && t <= s * 1e-17 {
                break;
            }
            logp += lm - ((j + 1) as f64).ln();
            j += 1;
        }
        s
    };
    head + tail
}

impl Engine<'_> {
    /// Mean text degree g (Poisson texts).
    pub fn text_mean(&self) -> f64 {
        match &self.prep.text {
            TextSide::Poisson => self.g,
            TextSide::Table { gamma, .. } => {
                gamma.iter().enumerate().map(|(k, p)| k as f64 * p).sum()
            }
        }
    }

    /// y(x): probability that a text does not teach along an edge.
    pub fn not_teach(&self, x: f64) -> f64 {
        let probs = &self.prep.probs;
        match &self.prep.text {
            TextSide::Poisson => not_teach_poisson(self.g * x, probs),
            TextSide::Table { rho, .. } => rho
                .iter()
                .enumerate()
                .skip(1)
                .filter(|(_, r)| **r > 0.0)
                .map(|(k, r)| r * not_teach_binomial(k - 1, x, probs))
                .sum(),
        }
    }

    /// x at round 0: Σ e_i δ_i.
    fn start(&self) -> f64 {
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
    #[allow(dead_code)] // used by the hierarchy
    pub fn unlearned_by_comp(&self, y: f64) -> Vec<f64> {
        self.prep
            .comps
            .iter()
            .map(|c| c.delta * c.node_gf(y, self.r))
            .collect()
    }

    /// Σ e_i λ_i(u) style sums with a per-component function.
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
            TextSide::Table { rho, .. } => {
                if rho.len() <= 1 {
                    0.0
                } else {
                    horner(&rho[1..], v)
                }
            }
        }
    }

    /// ρ'(1): mean number of other skills in a text reached along an edge.
    pub fn rho_deriv_one(&self) -> f64 {
        match &self.prep.text {
            TextSide::Poisson => self.g,
            TextSide::Table { rho, .. } => rho
                .iter()
                .enumerate()
                .skip(1)
                .map(|(k, r)| (k - 1) as f64 * r)
                .sum(),
        }
    }

    /// True when f(t) = Σ e_i δ_i λ_i(y(t)) < t on a 64-point log grid of
    /// [[`COMPLETE`], x].
    fn heads_to_zero(&self, x: f64) -> bool {
        let lo: f64 = COMPLETE;
        if x <= lo {
            return true;
        }
        let step = (x / lo).ln() / 63.0;
        (0..64).all(|i| {
            let t = lo * (step * i as f64).exp();
            self.edge_unlearned(self.not_teach(t)) < t * (1.0 - 1e-12)
        })
    }

    /// Iterates from x_0 = Σ e_i δ_i. With `early_exit` (threshold searches) it stops
    /// as soon as x is below [`COMPLETE`], or below 1e-2 where a grid check of
    /// f(t) < t decides (x set to 0 when learning completes, else left positive).
    pub fn iterate(&self, record: bool, early_exit: bool, max_rounds: usize) -> DeResult {
        let mut x = self.start();
        let eps0: f64 = self.prep.comps.iter().map(|c| c.node_share * c.delta).sum();
        let mut trajectory = Vec::new();
        if record {
            trajectory.push(eps0);
        }
        if x <= 0.0 {
            // No edges or nothing unknown: nothing to iterate.
            let y = self.not_teach(0.0);
            return DeResult {
                unlearned: self.unlearned(y).min(eps0),
                edge_unlearned: 0.0,
                not_teaching: y,
                trajectory,
                rounds: 0,
                converged: true,
            };
        }
        // With early exit, once x < 1e-2 a grid check of f(t) < t on [COMPLETE, x]
        // decides: near a continuous transition (Λ = x^2) the last approach to 0, or
        // to a tiny positive fixed point, is algebraic and would take 10^5+ rounds.
        let next_check = if early_exit { 1e-2 } else { 0.0 };
        let mut y = 1.0;
        let mut eps = eps0;
        let mut rounds = 0;
        let mut converged = false;
        while rounds < max_rounds {
            y = self.not_teach(x);
            let x_new = self.edge_unlearned(y);
            eps = self.unlearned(y);
            rounds += 1;
            if record {
                trajectory.push(eps);
            }
            let dx = (x_new - x).abs();
            x = x_new;
            if dx < CONVERGENCE || (early_exit && x < COMPLETE) {
                converged = true;
                break;
            }
            if x < next_check {
                // Decisive either way: all f(t) < t below x means x reaches 0; some
                // f(t) >= t means x can never pass below t (f is increasing).
                converged = true;
                if self.heads_to_zero(x) {
                    x = 0.0;
                    y = self.not_teach(0.0);
                    eps = self.unlearned(y);
                }
                break;
            }
        }
        DeResult {
            unlearned: eps,
            edge_unlearned: x,
            not_teaching: y,
            trajectory,
            rounds,
            converged,
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
    fn binomial_and_poisson_kernels_match_direct_sums() {
        let probs = [1.0, 0.5, 0.25];
        for &(n, x) in &[(0usize, 0.3f64), (1, 0.3), (5, 0.01), (7, 0.9), (30, 0.5)] {
            let mut direct = 0.0;
            for j in 0..=n {
                let c = (0..j).fold(1.0, |a, i| a * (n - i) as f64 / (i + 1) as f64);
                let pj = c * x.powi(j as i32) * (1.0 - x).powi((n - j) as i32);
                direct += pj * (1.0 - p_at(&probs, j + 1));
            }
            let v = not_teach_binomial(n, x, &probs);
            assert!((v - direct).abs() < 1e-12, "n={n} x={x}: {v} vs {direct}");
        }
        for &m in &[1e-9f64, 0.01, 0.7, 3.0, 40.0] {
            let mut direct = 0.0;
            let mut p = (-m).exp();
            for j in 0..400 {
                direct += p * (1.0 - p_at(&probs, j + 1));
                p *= m / (j + 1) as f64;
            }
            let v = not_teach_poisson(m, &probs);
            assert!((v - direct).abs() < 1e-12, "m={m}: {v} vs {direct}");
        }
        // Relative precision for tiny arguments (no cancellation).
        let v = not_teach_poisson(1e-9, &[1.0]);
        assert!((v / 1e-9 - 1.0).abs() < 1e-6, "{v}");
        let v = not_teach_binomial(3, 1e-9, &[1.0]);
        assert!((v / 3e-9 - 1.0).abs() < 1e-6, "{v}");
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
        assert!(above.unlearned < 1e-9 && above.complete());
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
        assert_eq!(j["texts"]["Degrees"][3], 1.0);
        let r = serde_json::to_value(density_evolution(&p)).unwrap();
        assert!(r["unlearned"].as_f64().unwrap() < 1.0);
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
