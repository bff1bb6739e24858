//! `semzip train`: learn a model from corpus files and report what was learned.

use crate::model::Model;
use crate::peel::Learner;
use crate::report::{Plot, Series, Table, to_json_pretty};
use crate::text::extract::ExtractorSpec;
use crate::text::segment::Segmentation;
use crate::train::{DEFAULT_CAPACITY, TrainOptions, TrainReport, train_with_progress};
use anyhow::Context;
use std::path::PathBuf;

/// Flags of `semzip train`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Corpus files or directories (a directory means its regular files, sorted,
    /// skipping `.dat` and `.u8`); `-` is stdin.
    #[arg(required = true, value_name = "FILE")]
    corpora: Vec<PathBuf>,
    /// The model file to write (`-`: stdout, the report then goes to stderr).
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// How files are cut into texts: lines, paragraphs or fortunes (`%` lines).
    #[arg(long = "texts", value_name = "HOW", default_value = "lines")]
    texts: Segmentation,
    /// Skill extractor: words, words-nostop, bpe:VOCAB or tokenizer:FILE.json
    /// [default: words-nostop, or the foundation's extractor with --foundation].
    #[arg(long, value_name = "SPEC")]
    extractor: Option<ExtractorSpec>,
    /// Learner capacity C: a text with at most C unlearned skills teaches them.
    #[arg(long, conflicts_with = "learner")]
    capacity: Option<u32>,
    /// Learner as a spec: capacity:C or probs:p1,p2,...
    #[arg(long, value_name = "SPEC", value_parser = |s: &str| super::args::corpus_learner(s))]
    learner: Option<Learner>,
    /// A model whose skills start known (fine-tuning).
    #[arg(long, value_name = "FILE")]
    foundation: Option<PathBuf>,
    /// Fraction of texts held out to measure the test error.
    #[arg(long, value_name = "FRACTION", default_value_t = crate::train::DEFAULT_HOLDOUT)]
    holdout: f64,
    /// Seed of the held-out split (and of a probabilistic learner).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Prefixes measured for the scaling curve (at least 6).
    #[arg(long, value_name = "N", default_value_t = crate::train::DEFAULT_SCALING_POINTS)]
    scaling_points: usize,
    /// Write an empty model instead of failing when nothing can be learned.
    #[arg(long)]
    allow_empty: bool,
    /// Overwrite the output file if it exists.
    #[arg(short, long)]
    force: bool,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Write SVG plots (emergence trajectory, scaling curve) into this folder.
    #[arg(long, value_name = "DIR")]
    plot: Option<PathBuf>,
}

/// Runs `semzip train`.
pub fn run(args: Args) -> anyhow::Result<()> {
    // Fail before the work when the model could not be written anyway; a device
    // or FIFO is written in place, never replaced.
    let to_stdout =
        crate::output::check(Some(&args.output), args.force)? == crate::output::Target::Stdout;
    super::stdio::check_stdout(to_stdout)?;
    if let Some(dir) = &args.plot {
        super::check_plot_dir(dir)?;
    }
    let learner = match (args.learner, args.capacity) {
        (Some(l), _) => l,
        (None, Some(c)) => super::args::corpus_capacity(c)?,
        (None, None) => Learner::capacity(DEFAULT_CAPACITY)?,
    };
    let foundation = match &args.foundation {
        Some(p) => Some(Model::load(p).context("loading the --foundation model")?),
        None => None,
    };
    let extractor = match (args.extractor, &foundation) {
        (Some(e), _) => e,
        (None, Some(f)) => f.extractor.spec().parse()?,
        (None, None) => ExtractorSpec::WordsNoStop,
    };
    let opts = TrainOptions {
        segmentation: args.texts,
        extractor,
        learner,
        holdout: args.holdout,
        seed: args.seed,
        foundation,
        scaling_points: args.scaling_points,
        allow_empty: args.allow_empty,
    };
    let (model, report) = if args.corpora.iter().any(|c| c.as_os_str() == "-") {
        if args.corpora.len() > 1 {
            return Err(crate::Error::invalid(
                "stdin (-) cannot be mixed with corpus files: give one or the other",
            )
            .into());
        }
        super::stdio::check_stdin(true)?;
        let mut failure = None;
        let seg = crate::text::Segmenter::new(
            std::io::BufReader::new(std::io::stdin()),
            opts.segmentation,
            crate::text::DEFAULT_MAX_TEXT_BYTES,
        );
        let texts = seg.map_while(|t| t.map_err(|e| failure = Some(e)).ok());
        let trained = crate::train::train_texts(texts, vec!["<stdin>".to_string()], &opts);
        if let Some(e) = failure {
            return Err(e.into());
        }
        trained?
    } else {
        train_with_progress(&args.corpora, &opts, &super::progress::Bar::new())?
    };
    model.save(&args.output, args.force)?;
    if let Some(dir) = &args.plot {
        plots(&report, dir)?;
    }
    let name = if to_stdout {
        "<stdout>".to_string()
    } else {
        args.output.display().to_string()
    };
    let text = if args.json {
        format!("{}\n", to_json_pretty(&report)?)
    } else {
        table(&report, &name)
    };
    // With the model on stdout, the report goes to stderr.
    if to_stdout {
        eprint!("{text}");
    } else {
        print!("{text}");
    }
    Ok(())
}

fn opt(v: Option<f64>) -> String {
    v.map_or("-".to_string(), |x| format!("{x:.4}"))
}

/// The readable summary of a training run.
fn table(r: &TrainReport, output: &str) -> String {
    let mut t = Table::new(["quantity", "value"]);
    let mut add = |k: &str, v: String| {
        t.row([k.to_string(), v]);
    };
    add("model", output.to_string());
    add("fingerprint", r.model_fingerprint.clone());
    add("extractor", r.extractor.clone());
    add("learner", r.learner.clone());
    add("corpus files", r.corpora.len().to_string());
    add("bytes", r.bytes.to_string());
    add("texts (train)", r.texts.to_string());
    add("texts (held out)", r.heldout_texts.to_string());
    add("skills N", r.skills.to_string());
    add("edges E", r.edges.to_string());
    add("ratio R = T/N", format!("{:.4}", r.ratio));
    add("learned", r.learned.to_string());
    add("learned fraction", format!("{:.4}", r.learned_fraction));
    add(
        "DE learned fraction",
        format!("{:.4}", r.de_learned_fraction),
    );
    add("rounds", r.rounds.to_string());
    add("held-out skill error", opt(r.heldout_skill_error));
    add("  of which unseen in training", opt(r.heldout_unseen_error));
    add("held-out text error", opt(r.heldout_text_error));
    add("scaling exponent", opt(r.scaling_exponent));
    add("giant fraction", format!("{:.4}", r.giant_fraction));
    add("components", r.components.to_string());
    add("empty texts skipped", r.segment.empty_skipped.to_string());
    add("lossy bytes", r.segment.lossy_bytes.to_string());
    add("associations", r.associations.to_string());
    if let Some(f) = &r.foundation {
        add("foundation", f.fingerprint.clone());
        add("known from foundation", f.known_from_foundation.to_string());
        add("extra learned thanks to it", f.extra_learned.to_string());
    }
    add("seconds", format!("{:.3}", r.seconds));
    add("MB/s", format!("{:.2}", r.mb_per_s));
    let mut out = t.render();
    let mut s = Table::new([
        "fraction",
        "texts",
        "skills",
        "learned",
        "skill_err",
        "text_err",
    ]);
    for p in &r.scaling {
        s.row([
            format!("{:.4}", p.fraction),
            p.texts.to_string(),
            p.skills.to_string(),
            p.learned.to_string(),
            opt(p.heldout_skill_error),
            opt(p.heldout_text_error),
        ]);
    }
    out.push_str("\nscaling (train on a prefix, test on the held-out texts)\n");
    out.push_str(&s.render());
    out
}

/// Writes `emergence.svg` (known skills per round) and `scaling.svg` (held-out
/// skill error against training texts, log-log).
fn plots(r: &TrainReport, dir: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| crate::Error::io(dir, e))?;
    let traj: Vec<(f64, f64)> = r
        .trajectory
        .iter()
        .enumerate()
        .map(|(i, &k)| (i as f64, k as f64 / r.skills.max(1) as f64))
        .collect();
    Plot::new("Emergence while training")
        .x_label("round")
        .y_label("learned fraction")
        .series(Series::line("peeling", traj))
        .save(dir.join("emergence.svg"))?;
    let pts: Vec<(f64, f64)> = r
        .scaling
        .iter()
        .filter_map(|p| match p.heldout_skill_error {
            Some(e) if e > 0.0 => Some((p.texts as f64, e)),
            _ => None,
        })
        .collect();
    if !pts.is_empty() {
        Plot::new("Held-out skill error against training texts")
            .x_label("training texts")
            .y_label("held-out skill error")
            .log_x(true)
            .log_y(true)
            .series(Series::points("measured", pts))
            .save(dir.join("scaling.svg"))?;
    }
    Ok(())
}
