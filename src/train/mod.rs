//! Training: from a corpus to a skill-text graph, a peeled codebook and its report.
//!
//! One streaming pass cuts the corpus into texts, extracts each text's skill set,
//! interns skills (ids in first-seen order) and appends rows to a CSR builder, so
//! memory grows with the edges, not with the corpus bytes. A seeded fraction of
//! texts is held out for testing. The learner is [`crate::peel::peel`], the one
//! peeling engine; the learned skills with their counts form the codebook.

pub mod corpus;
pub mod prime;
mod stats;

pub use stats::{FoundationReport, ScalingPoint, TrainReport};

use crate::graph::{RowsBuilder, SkillTextGraph};
use crate::model::{Codebook, FoundationSummary, Model, TrainingSummary};
use crate::peel::{Learner, peel};
use crate::text::extract::{Extractor, ExtractorSpec};
use crate::text::segment::{SegmentStats, Segmentation};
use crate::{Error, Result};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;
use xxhash_rust::xxh3::Xxh3Builder;

/// Texts extracted together in parallel before being interned in order.
const BATCH_TEXTS: usize = 2048;

/// Everything that decides a training run (the same options, corpus and seed give
/// a byte-identical model).
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// How corpus files are cut into texts.
    pub segmentation: Segmentation,
    /// Which skill extractor to build (or train, for BPE).
    pub extractor: ExtractorSpec,
    /// The peeling learner (capacity or probability table).
    pub learner: Learner,
    /// Fraction of texts held out for testing, in [0, 1).
    pub holdout: f64,
    /// Seed of the held-out split and of a probabilistic learner.
    pub seed: u64,
    /// A model whose learned skills start known (fine-tuning).
    pub foundation: Option<Model>,
    /// Prefix sizes measured for the scaling curve (at least 6, 1% to 100%).
    pub scaling_points: usize,
    /// Return an empty-codebook model instead of an error when nothing is learned.
    pub allow_empty: bool,
}

/// The default learner capacity. On the fortunes corpus (words-nostop, 10% held
/// out) capacities 1, 2, 3, 4 learn 0.7%, 42%, 60%, 69% of the skills, held-out
/// skill error 0.91, 0.19, 0.14, 0.12; beyond 4 the gains flatten (8: 86%, 0.09).
pub const DEFAULT_CAPACITY: u32 = 4;
/// The default held-out fraction.
pub const DEFAULT_HOLDOUT: f64 = 0.1;
/// The default number of scaling points.
pub const DEFAULT_SCALING_POINTS: usize = 8;

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            segmentation: Segmentation::Lines,
            extractor: ExtractorSpec::WordsNoStop,
            learner: Learner::capacity(DEFAULT_CAPACITY)
                .expect("the default capacity is at least 1"),
            holdout: DEFAULT_HOLDOUT,
            seed: 1,
            foundation: None,
            scaling_points: DEFAULT_SCALING_POINTS,
            allow_empty: false,
        }
    }
}

impl TrainOptions {
    fn validate(&self) -> Result<()> {
        if !(0.0..1.0).contains(&self.holdout) {
            return Err(Error::parameter(
                "holdout",
                self.holdout,
                "outside [0, 1): hold out a fraction of the texts, e.g. 0.1",
            ));
        }
        if self.scaling_points < 6 {
            return Err(Error::invalid(format!(
                "scaling points {} is below 6: the scaling fit needs at least 6 prefixes",
                self.scaling_points
            )));
        }
        Ok(())
    }
}

/// Whether text `index` is held out under `seed` at fraction `holdout`.
pub fn is_heldout(index: u64, seed: u64, holdout: f64) -> bool {
    if holdout <= 0.0 {
        return false;
    }
    crate::seed::uniform(seed, index) < holdout
}

/// The extractor a foundation imposes: its own, so that skills match; asking for
/// another one is an error. `None` without a foundation.
fn foundation_extractor(opts: &TrainOptions) -> Result<Option<Extractor>> {
    let Some(f) = &opts.foundation else {
        return Ok(None);
    };
    let theirs = f.extractor.spec();
    let ours = opts.extractor.to_string();
    if theirs != ours {
        return Err(Error::invalid(format!(
            "the foundation model uses extractor '{theirs}' but '{ours}' was asked; \
             fine-tuning keeps the foundation's extractor (ask for {theirs} or for none)"
        )));
    }
    Ok(Some(f.extractor.clone()))
}

/// Trains a model on corpus files (directories expand to their files).
pub fn train(corpora: &[PathBuf], opts: &TrainOptions) -> Result<(Model, TrainReport)> {
    train_with_progress(corpora, opts, &crate::progress::Silent)
}

/// [`train`], reporting the corpus bytes read to `progress`.
pub fn train_with_progress(
    corpora: &[PathBuf],
    opts: &TrainOptions,
    progress: &dyn crate::progress::Progress,
) -> Result<(Model, TrainReport)> {
    opts.validate()?;
    let start = Instant::now();
    let files = corpus::expand_corpora(corpora)?;
    let names: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    let extractor = match (&opts.extractor, foundation_extractor(opts)?) {
        (_, Some(ex)) => ex,
        (ExtractorSpec::Bpe { .. }, None) => {
            // BPE learns its vocabulary from the training texts first: one more
            // streaming pass over the files.
            let failure = std::cell::RefCell::new(None);
            let texts = corpus::texts(&files, opts.segmentation, &failure)
                .enumerate()
                .filter(|(i, _)| !is_heldout(*i as u64, opts.seed, opts.holdout))
                .map(|(_, t)| t);
            let ex = Extractor::train(&opts.extractor, texts);
            if let Some(e) = failure.into_inner() {
                return Err(e);
            }
            ex?
        }
        (spec, None) => Extractor::from_spec_untrained(spec)?,
    };
    let mut builder = GraphBuilder::new(extractor.clone(), opts);
    let total: u64 = files
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    progress.start(total, "training");
    let stats = corpus::for_each_text(&files, opts.segmentation, |t| {
        progress.advance(t.len() as u64 + 1);
        builder.push(t)
    });
    progress.finish();
    let stats = stats?;
    builder.flush()?;
    finish(builder, extractor, names, stats, opts, start)
}

/// Trains a model on texts already cut (used by `encode` without a model).
pub fn train_texts(
    texts: impl Iterator<Item = String>,
    names: Vec<String>,
    opts: &TrainOptions,
) -> Result<(Model, TrainReport)> {
    opts.validate()?;
    let start = Instant::now();
    let mut stats = SegmentStats::default();
    let count = |t: &String, stats: &mut SegmentStats| {
        stats.texts += 1;
        stats.bytes += t.len() as u64;
    };
    let (extractor, mut builder_input): (Extractor, Box<dyn Iterator<Item = String>>) =
        match (&opts.extractor, foundation_extractor(opts)?) {
            (_, Some(ex)) => (ex, Box::new(texts)),
            (ExtractorSpec::Bpe { .. }, None) => {
                let all: Vec<String> = texts.collect();
                let training = all
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| !is_heldout(*i as u64, opts.seed, opts.holdout))
                    .map(|(_, t)| t.clone());
                let ex = Extractor::train(&opts.extractor, training)?;
                (ex, Box::new(all.into_iter()))
            }
            (spec, None) => (Extractor::from_spec_untrained(spec)?, Box::new(texts)),
        };
    let mut builder = GraphBuilder::new(extractor.clone(), opts);
    for t in builder_input.by_ref() {
        count(&t, &mut stats);
        builder.push(t)?;
    }
    builder.flush()?;
    finish(builder, extractor, names, stats, opts, start)
}

/// Streams texts into training rows and held-out rows over one skill interner.
struct GraphBuilder {
    extractor: Extractor,
    seed: u64,
    holdout: f64,
    next_index: u64,
    pending: Vec<String>,
    pending_heldout: Vec<bool>,
    interner: HashMap<Box<str>, u32, Xxh3Builder>,
    train_rows: RowsBuilder,
    heldout_rows: RowsBuilder,
    prime: prime::PrimeSampler,
}

impl GraphBuilder {
    fn new(extractor: Extractor, opts: &TrainOptions) -> Self {
        GraphBuilder {
            extractor,
            seed: opts.seed,
            holdout: opts.holdout,
            next_index: 0,
            pending: Vec::with_capacity(BATCH_TEXTS),
            pending_heldout: Vec::with_capacity(BATCH_TEXTS),
            interner: HashMap::with_hasher(Xxh3Builder::new()),
            train_rows: RowsBuilder::new(),
            heldout_rows: RowsBuilder::new(),
            prime: prime::PrimeSampler::new(
                prime::PRIME_BYTES,
                prime::separator(opts.segmentation),
            ),
        }
    }

    fn push(&mut self, text: String) -> Result<()> {
        let held = is_heldout(self.next_index, self.seed, self.holdout);
        if !held {
            self.prime.push(&text);
        }
        self.pending_heldout.push(held);
        self.next_index += 1;
        self.pending.push(text);
        if self.pending.len() >= BATCH_TEXTS {
            self.flush()?;
        }
        Ok(())
    }

    /// Extracts the pending texts in parallel, then interns them in order.
    fn flush(&mut self) -> Result<()> {
        let ex = &self.extractor;
        let sets: Vec<Vec<String>> = self.pending.par_iter().map(|t| ex.skill_set(t)).collect();
        for (set, &held) in sets.into_iter().zip(&self.pending_heldout) {
            let rows = if held {
                &mut self.heldout_rows
            } else {
                &mut self.train_rows
            };
            for s in set {
                if s.is_empty() {
                    continue; // an empty token names no skill
                }
                let next = self.interner.len() as u32;
                let id = *self.interner.entry(s.into_boxed_str()).or_insert(next);
                rows.push_item(id);
            }
            rows.close_row()?;
        }
        if self.interner.len() as u64 >= u32::MAX as u64 {
            return Err(Error::invalid(
                "corpus too large: 2^32 or more distinct skills",
            ));
        }
        self.pending.clear();
        self.pending_heldout.clear();
        Ok(())
    }
}

/// The training graph with its skills compacted to those seen in training.
struct Trained {
    graph: SkillTextGraph,
    /// Skill names by compact id.
    names: Vec<String>,
    /// Held-out rows over compact ids, `u32::MAX` for skills unseen in training.
    heldout: (Vec<u32>, Vec<u32>),
}

/// Drops skills only seen in held-out texts and renumbers the rest in first-seen
/// order, so the graph has no skill of degree 0.
fn compact(builder: GraphBuilder) -> Result<Trained> {
    let n_all = builder.interner.len();
    let mut names_all: Vec<Box<str>> = vec![Box::from(""); n_all];
    for (name, id) in builder.interner {
        names_all[id as usize] = name;
    }
    let (offsets, mut items) = builder.train_rows.finish();
    let mut seen = vec![false; n_all];
    for &s in &items {
        seen[s as usize] = true;
    }
    let mut remap = vec![u32::MAX; n_all];
    let mut names = Vec::new();
    for (id, name) in names_all.into_iter().enumerate() {
        if seen[id] {
            remap[id] = names.len() as u32;
            names.push(String::from(name));
        }
    }
    for s in &mut items {
        *s = remap[*s as usize];
    }
    let (h_offsets, mut h_items) = builder.heldout_rows.finish();
    for s in &mut h_items {
        *s = remap[*s as usize];
    }
    let graph = SkillTextGraph::from_text_rows(names.len(), offsets, items)?;
    Ok(Trained {
        graph,
        names,
        heldout: (h_offsets, h_items),
    })
}

/// Held-out test error: (skill occurrences, unlearned occurrences, texts with an
/// unlearned skill, texts).
fn heldout_error(learned: &[bool], heldout: &(Vec<u32>, Vec<u32>)) -> (u64, u64, u64, u64) {
    let (offsets, items) = heldout;
    let mut occ = 0u64;
    let mut miss = 0u64;
    let mut bad_texts = 0u64;
    for w in offsets.windows(2) {
        let row = &items[w[0] as usize..w[1] as usize];
        let m = row
            .iter()
            .filter(|&&s| s == u32::MAX || !learned[s as usize])
            .count() as u64;
        occ += row.len() as u64;
        miss += m;
        bad_texts += u64::from(m > 0);
    }
    (occ, miss, bad_texts, offsets.len().saturating_sub(1) as u64)
}

/// Names the corpus in messages: one name, or a count with the first and last.
fn corpus_label(names: &[String]) -> String {
    match names {
        [] => "corpus".into(),
        [one] => one.clone(),
        [first, .., last] => format!("{} corpus files ({first} ... {last})", names.len()),
    }
}

fn ratio_or_none(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

/// Peels, builds the codebook and the model, measures the report.
fn finish(
    mut builder: GraphBuilder,
    extractor: Extractor,
    names_in: Vec<String>,
    segment: SegmentStats,
    opts: &TrainOptions,
    start: Instant,
) -> Result<(Model, TrainReport)> {
    let heldout_texts = builder.heldout_rows.rows() as u64;
    let prime = std::mem::replace(&mut builder.prime, prime::PrimeSampler::new(0, b"")).finish();
    let trained = compact(builder)?;
    let graph = &trained.graph;
    let n = graph.num_skills();
    let learner = opts.learner.clone().with_seed(opts.seed);
    if graph.num_texts() == 0 && !opts.allow_empty {
        return Err(Error::NothingLearned {
            corpus: corpus_label(&names_in),
            reason: if heldout_texts > 0 {
                format!(
                    "all {heldout_texts} of its texts are held out for testing, none is left to train on"
                )
            } else {
                "the corpus holds no texts: it is empty or blank".into()
            },
        });
    }

    // Foundation skills present here start known (K0).
    let known: Option<Vec<bool>> = opts.foundation.as_ref().map(|f| {
        trained
            .names
            .iter()
            .map(|s| f.codebook.code_of(s).is_some())
            .collect()
    });
    let outcome = peel(graph, &learner, known.as_deref());
    let learned_count = outcome.learned.iter().filter(|&&l| l).count() as u64;
    if learned_count == 0 && !opts.allow_empty {
        let why = if n == 0 {
            format!(
                "the extractor '{}' found no skills in its {} texts",
                extractor.spec(),
                graph.num_texts()
            )
        } else {
            format!(
                "{} texts, {} skills: no text has at most {} unlearned skills",
                graph.num_texts(),
                n,
                learner.max_novel()
            )
        };
        return Err(Error::NothingLearned {
            corpus: corpus_label(&names_in),
            reason: why,
        });
    }

    let foundation = match (&opts.foundation, &known) {
        (Some(f), Some(k)) => {
            let alone = peel(graph, &learner, None);
            let known_here = k.iter().filter(|&&x| x).count() as u64;
            let extra = (0..n)
                .filter(|&s| outcome.learned[s] && !k[s] && !alone.learned[s])
                .count() as u64;
            Some(FoundationReport {
                fingerprint: format!("{:016x}", f.fingerprint()),
                foundation_skills: f.codebook.len() as u64,
                known_from_foundation: known_here,
                extra_learned: extra,
                learned_without_foundation: alone.learned_count(),
            })
        }
        _ => None,
    };

    let codebook = Codebook::new((0..n).filter(|&s| outcome.learned[s]).map(|s| {
        (
            trained.names[s].clone(),
            graph.skill_degree(s as u32) as u64,
        )
    }));
    let associations = stats::associations(graph, &outcome.learned, &trained.names, &codebook);

    let (occ, miss, bad, held) = heldout_error(&outcome.learned, &trained.heldout);
    let unseen = trained.heldout.1.iter().filter(|&&s| s == u32::MAX).count() as u64;
    let scaling = stats::scaling(
        graph,
        &learner,
        known.as_deref(),
        &trained.heldout,
        opts.scaling_points,
        &outcome,
    )?;
    let (scaling_exponent, scaling_fit_r2) = stats::fit_scaling(&scaling);
    let de_learned_fraction = stats::de_learned_fraction(graph, &learner, known.as_deref());
    let assoc = crate::theory::percolation::measure_association(graph, &outcome.learned);

    let learned_fraction = if n == 0 {
        0.0
    } else {
        learned_count as f64 / n as f64
    };
    let training = TrainingSummary {
        corpora: names_in.clone(),
        segmentation: opts.segmentation.to_string(),
        extractor: extractor.spec(),
        bytes: segment.bytes,
        texts: graph.num_texts() as u64,
        heldout_texts,
        skills: n as u64,
        edges: graph.num_edges() as u64,
        ratio: graph.ratio(),
        learned: learned_count,
        learned_fraction,
        rounds: outcome.trajectory.len().saturating_sub(1) as u64,
        seed: opts.seed,
        holdout: opts.holdout,
        foundation: foundation
            .as_ref()
            .zip(opts.foundation.as_ref())
            .map(|(r, f)| FoundationSummary {
                fingerprint: f.fingerprint(),
                skills: r.foundation_skills,
                known_from_foundation: r.known_from_foundation,
                extra_learned: r.extra_learned,
            }),
        created_by: format!("semzip {}", env!("CARGO_PKG_VERSION")),
    };
    let model = Model {
        extractor,
        codebook,
        capacity: learner.max_novel() as u32,
        learner: learner.to_string(),
        training,
        associations,
        prime,
    };
    let seconds = start.elapsed().as_secs_f64();
    let report = TrainReport {
        corpora: names_in,
        segmentation: opts.segmentation.to_string(),
        extractor: model.extractor.spec(),
        learner: model.learner.clone(),
        bytes: segment.bytes,
        seconds,
        mb_per_s: if seconds > 0.0 {
            segment.bytes as f64 / 1e6 / seconds
        } else {
            0.0
        },
        texts: graph.num_texts() as u64,
        heldout_texts: held,
        skills: n as u64,
        edges: graph.num_edges() as u64,
        ratio: graph.ratio(),
        learned: learned_count,
        learned_fraction,
        de_learned_fraction,
        rounds: model.training.rounds,
        trajectory: outcome.trajectory.clone(),
        skill_degree_histogram: graph.skill_degree_histogram(),
        text_degree_histogram: graph.text_degree_histogram(),
        heldout_skill_occurrences: occ,
        heldout_skill_error: ratio_or_none(miss, occ),
        heldout_unseen_error: ratio_or_none(unseen, occ),
        heldout_text_error: ratio_or_none(bad, held),
        scaling,
        scaling_exponent,
        scaling_fit_r2,
        giant_fraction: assoc.giant_fraction,
        giant_size: assoc.giant_size as u64,
        components: assoc.components as u64,
        segment,
        foundation,
        model_fingerprint: format!("{:016x}", model.fingerprint()),
        codebook_skills: model.codebook.len() as u64,
        associations: model.associations.len() as u64,
    };
    Ok((model, report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heldout_split_has_the_asked_fraction_and_depends_on_the_seed() {
        let held = (0..100_000u64).filter(|&i| is_heldout(i, 3, 0.2)).count();
        assert!((19_000..21_000).contains(&held), "{held}");
        assert!((0..1000u64).all(|i| !is_heldout(i, 3, 0.0)));
        let a: Vec<bool> = (0..64u64).map(|i| is_heldout(i, 1, 0.5)).collect();
        let b: Vec<bool> = (0..64u64).map(|i| is_heldout(i, 2, 0.5)).collect();
        assert_ne!(a, b);
    }

    #[test]
    fn skills_seen_only_in_heldout_texts_leave_the_graph() {
        let ex = Extractor::words(false).unwrap();
        let opts = TrainOptions {
            holdout: 0.0,
            ..TrainOptions::default()
        };
        let mut b = GraphBuilder::new(ex, &opts);
        for t in ["alpha beta", "beta gamma", "delta"] {
            b.push(t.to_string()).unwrap();
        }
        b.flush().unwrap();
        // Pretend the last text was held out: move its row by hand.
        let mut train = RowsBuilder::new();
        let mut held = RowsBuilder::new();
        let (off, items) = std::mem::take(&mut b.train_rows).finish();
        for (t, w) in off.windows(2).enumerate() {
            let row = &items[w[0] as usize..w[1] as usize];
            if t == 2 {
                held.push_row(row)
            } else {
                train.push_row(row)
            }
            .unwrap();
        }
        b.train_rows = train;
        b.heldout_rows = held;
        let trained = compact(b).unwrap();
        assert_eq!(trained.names, vec!["alpha", "beta", "gamma"]);
        assert_eq!(trained.graph.num_texts(), 2);
        assert_eq!(trained.heldout.1, vec![u32::MAX]);
        let (occ, miss, bad, texts) = heldout_error(&[true, true, true], &trained.heldout);
        assert_eq!((occ, miss, bad, texts), (1, 1, 1, 1));
    }
}
