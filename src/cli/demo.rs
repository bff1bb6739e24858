//! `semzip demo`: the whole pipeline on built-in data, in seconds: the theory's
//! threshold and emergence curve, a synthetic language whose true skills are known,
//! training by peeling, and the codec at three levels beside zstd.

use crate::codec::{self, EncodeOptions, Level};
use crate::ensemble::{DegreeSpec, Ensemble, Popularity};
use crate::peel::Learner;
use crate::report::Table;
use crate::report::table::number;
use crate::text::synth::{SynthSpec, synthesize};
use crate::theory::de::DeParams;
use crate::theory::emergence::emergence_curve;
use crate::theory::simulate::SimSetup;
use crate::theory::threshold::ratio_threshold;
use crate::train::{TrainOptions, train_texts};
use anyhow::Context;
use std::collections::HashSet;
use std::time::Instant;

/// Flags of `semzip demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Seed for every random choice.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// Runs the demo.
pub fn run(args: Args) -> anyhow::Result<()> {
    let start = Instant::now();
    theory_part(args.seed)?;
    codec_part(args.seed)?;
    println!("\nDemo finished in {:.1} s.", start.elapsed().as_secs_f64());
    Ok(())
}

fn theory_part(seed: u64) -> anyhow::Result<()> {
    let spec: DegreeSpec = "poly:0.5x^2+0.28x^3+0.22x^8".parse()?;
    let learner = Learner::capacity(1)?;
    println!("1. Theory: when do skills emerge?");
    println!(
        "   (R = texts per skill; DE = density evolution, peeling's large-graph limit; \
         G* = 1/R*, the most skills per text at which every skill is still learned.)"
    );
    println!("   Skill-driven ensemble, skill degrees {spec}, Poisson texts, capacity 1.");
    let p = DeParams::skill_driven(&spec, 1.0, learner.clone());
    if let Some(t) = ratio_threshold(&p, 1e-5) {
        println!(
            "   Density evolution: threshold R* = {:.4} texts per skill (load G* = {:.4}; published 0.938).",
            t.ratio, t.load
        );
    }
    let setup = SimSetup {
        ensemble: Ensemble::SkillDriven {
            skills: 50_000,
            ratio: 1.0,
            skill_degrees: spec,
        },
        learner,
        unknown_fraction: 1.0,
        trials: 3,
        seed,
    };
    let ratios = [0.95, 1.0, 1.04, 1.08, 1.12, 1.2];
    let curve = emergence_curve(&setup, &ratios, &|| {})?;
    println!("   Unlearned fraction: DE beside peeling 3 random graphs of 50000 skills.");
    let mut table = Table::new(vec!["ratio R", "DE", "simulated", "std"]);
    for pt in &curve.points {
        table.row(vec![
            number(pt.ratio),
            number(pt.de_unlearned),
            number(pt.sim_unlearned),
            number(pt.sim_std),
        ]);
    }
    print!("{}", indent(&table.render()));
    Ok(())
}

fn codec_part(seed: u64) -> anyhow::Result<()> {
    let spec = SynthSpec {
        skills: 3000,
        texts: 30_000,
        popularity: Popularity::Zipf(1.1),
        text_degrees: "poisson:4".parse()?,
        seed,
        glue: true,
    };
    let corpus = synthesize(&spec)?;
    let mut input = Vec::new();
    for line in &corpus.lines {
        input.extend_from_slice(line.as_bytes());
        input.push(b'\n');
    }
    println!(
        "\n2. A synthetic language: {} skills (pseudo-words), {} texts (lines with glue words), Zipf 1.1 popularity, {} bytes.",
        spec.skills,
        spec.texts,
        input.len()
    );
    let opts = TrainOptions {
        seed,
        ..TrainOptions::default()
    };
    let (model, report) = train_texts(
        corpus.lines.iter().cloned(),
        vec!["built-in synthetic language".into()],
        &opts,
    )?;
    let appearing: HashSet<u32> = corpus.truth.iter().flatten().copied().collect();
    let learned_true = (0..spec.skills as u32)
        .filter(|&s| model.codebook.code_of(&corpus.names[s as usize]).is_some())
        .count();
    println!(
        "   Trained by peeling ({}): {} of the {} true skills that appear are in the codebook; DE predicts a learned fraction {:.3}, {:.3} measured.",
        model.learner,
        learned_true,
        appearing.len(),
        report.de_learned_fraction,
        report.learned_fraction
    );
    println!(
        "   Held-out texts: {:.2}% of skill occurrences unlearned, {:.2}% of texts not fully understood.",
        100.0 * report.heldout_skill_error.unwrap_or(0.0),
        100.0 * report.heldout_text_error.unwrap_or(0.0)
    );
    println!(
        "   Skill association graph: the giant component holds {:.1}% of the skills; {} components in all.",
        100.0 * report.giant_fraction,
        report.components
    );

    println!("\n3. The codec on that corpus (shared model), beside zstd:");
    let mut table = Table::new(vec!["codec", "bytes", "bpc", "fidelity"]);
    for level in [Level::Exact, Level::Sequence, Level::Set] {
        let opts = EncodeOptions {
            level,
            ..EncodeOptions::default()
        };
        let mut sz = Vec::new();
        codec::encode(
            &input[..],
            "demo input",
            &mut sz,
            "demo output",
            &codec::FileModel::shared(&model),
            &opts,
        )?;
        let mut back = Vec::new();
        codec::decode(&sz[..], "demo .sz", &mut back, "demo output", Some(&model))?;
        let fidelity = if level == Level::Exact {
            if back == input {
                "exact bytes".to_string()
            } else {
                anyhow::bail!("the exact level did not give the input back");
            }
        } else {
            format!(
                "skill F1 {:.4}",
                skill_f1(&model.extractor, &corpus.lines, &back)?
            )
        };
        table.row(vec![
            format!("semzip {level}"),
            sz.len().to_string(),
            format!("{:.3}", 8.0 * sz.len() as f64 / input.len() as f64),
            fidelity,
        ]);
    }
    for zl in [3, 19] {
        let z = zstd::bulk::compress(&input, zl).context("zstd")?;
        table.row(vec![
            format!("zstd -{zl}"),
            z.len().to_string(),
            format!("{:.3}", 8.0 * z.len() as f64 / input.len() as f64),
            "exact bytes".into(),
        ]);
    }
    print!("{}", indent(&table.render()));
    println!(
        "   Model: {} skills in the codebook, fingerprint {:016x} (shared, like a zstd dictionary).",
        model.codebook.len(),
        model.fingerprint()
    );
    super::channel::demo_part(&model, &input, seed)
}

/// Skill F1 of the decoded lines' skill sets against the originals'.
fn skill_f1(
    extractor: &crate::text::extract::Extractor,
    original: &[String],
    decoded: &[u8],
) -> anyhow::Result<f64> {
    let decoded = String::from_utf8_lossy(decoded);
    let reference: Vec<Vec<String>> = original.iter().map(|t| extractor.skill_set(t)).collect();
    let got: Vec<Vec<String>> = decoded.lines().map(|t| extractor.skill_set(t)).collect();
    let info = crate::fidelity::measures::Information::default();
    Ok(crate::fidelity::measures::set_scores(&reference, &got, &info)?.f1)
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("   {l}\n")).collect()
}
