//! `semzip corpus`: corpus tools. `corpus synth` writes the synthetic language;
//! `corpus stats` segments files and counts their texts and skills.

use crate::Error;
use crate::output::Output;
use crate::text::synth::{SynthSpec, write_synth};
use crate::text::{ExtractorSpec, Segmentation};
use crate::train::corpus::{CorpusStats, corpus_stats};
use std::path::PathBuf;

/// Flags of `semzip corpus`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  semzip corpus synth --skills 200 --count 1000 -o synth.txt --truth synth.ids
  semzip corpus stats alice29.txt --texts paragraphs")]
pub struct Args {
    #[command(subcommand)]
    command: CorpusCommand,
}

#[derive(Debug, clap::Subcommand)]
enum CorpusCommand {
    /// Write a synthetic corpus (one text per line) and its true skill ids.
    #[command(after_help = "Example:
  semzip corpus synth --skills 200 --count 1000 --text-degrees poisson:6 -o synth.txt")]
    Synth(SynthArgs),
    /// Segment corpus files and count their texts and skills.
    #[command(after_help = "Example:
  semzip corpus stats alice29.txt --texts paragraphs --json")]
    Stats(StatsArgs),
}

/// Flags of `semzip corpus stats`.
#[derive(Debug, clap::Args)]
struct StatsArgs {
    /// Corpus files or directories (`-`: stdin).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// How files are cut into texts: lines, paragraphs or fortunes.
    #[arg(long, default_value = "lines", value_name = "HOW")]
    texts: Segmentation,
    /// Skill extractor: words, words-nostop, bpe:VOCAB or tokenizer:FILE.json.
    #[arg(long, default_value = "words-nostop", value_name = "SPEC")]
    extractor: ExtractorSpec,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Flags of `semzip corpus synth`.
#[derive(Debug, clap::Args)]
struct SynthArgs {
    /// Number of skills N (distinct pseudo-words).
    #[arg(long, value_name = "SKILLS")]
    skills: usize,
    /// Number of texts T (lines) to write.
    #[arg(short = 'n', long, value_name = "TEXTS")]
    count: usize,
    /// Skill popularity: uniform or zipf:S.
    #[arg(long, default_value = "zipf:1.1", value_name = "SPEC")]
    popularity: String,
    /// Skills per text: fixed:K, poisson:MEAN or poly:... (degree 0 counts as 1).
    #[arg(long, default_value = "fixed:4", value_name = "SPEC")]
    text_degrees: String,
    /// Seed for every random choice.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// No stop words between the pseudo-words.
    #[arg(long)]
    no_glue: bool,
    /// Output corpus file (default, or `-`: stdout).
    #[arg(short = 'o', long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Also write the true skill ids of each text, one line per text.
    #[arg(long, value_name = "FILE")]
    truth: Option<PathBuf>,
    /// Overwrite existing files.
    #[arg(short = 'f', long)]
    force: bool,
}

/// Runs `semzip corpus`.
pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        CorpusCommand::Synth(a) => synth(a),
        CorpusCommand::Stats(a) => stats(a),
    }
}

fn stats(a: StatsArgs) -> anyhow::Result<()> {
    let r: CorpusStats = corpus_stats(&a.files, a.texts, &a.extractor)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(());
    }
    let st = &r.segment;
    println!("files                {}", r.files);
    println!("segmentation         {}", r.segmentation);
    println!("extractor            {}", r.extractor);
    println!("bytes                {}", st.bytes);
    println!("texts                {}", st.texts);
    println!("empty skipped        {}", st.empty_skipped);
    println!("invalid UTF-8 bytes  {}", st.lossy_bytes);
    println!("long texts split     {}", st.long_split);
    println!("skills               {}", r.skills);
    println!("distinct skills      {}", r.distinct_skills);
    println!("skills per text      {:.2}", r.mean_skills_per_text);
    println!("texts without skills {}", r.texts_without_skills);
    println!(
        "time                 {:.3} s ({:.1} MB/s)",
        r.seconds, r.mb_per_s
    );
    Ok(())
}

fn synth(a: SynthArgs) -> anyhow::Result<()> {
    let spec = SynthSpec {
        skills: a.skills,
        texts: a.count,
        popularity: a.popularity.parse()?,
        text_degrees: a.text_degrees.parse()?,
        seed: a.seed,
        glue: !a.no_glue,
    };
    let to_stdout = crate::output::is_std(a.output.as_deref());
    if let Some(t) = &a.truth {
        if crate::output::is_std(Some(t)) {
            return Err(Error::invalid("--truth must name a file, not stdout").into());
        }
        if a.output.as_ref() == Some(t) {
            return Err(Error::invalid("--truth must name another file than -o").into());
        }
    }
    // Both outputs are checked before the corpus is generated.
    let mut out = Output::create(a.output.as_deref(), a.force)?;
    let mut truth = a
        .truth
        .as_deref()
        .map(|t| Output::create(Some(t), a.force))
        .transpose()?;
    match &mut truth {
        Some(t) => write_synth(&spec, &mut out, t)?,
        None => write_synth(&spec, &mut out, std::io::sink())?,
    }
    let bytes = out.written();
    let name = out.name().to_string();
    out.commit()?;
    if let Some(t) = truth {
        t.commit()?;
    }
    let msg = format!(
        "synthetic corpus: {} skills, {} texts, {bytes} bytes written to {name}{}",
        spec.skills,
        spec.texts,
        a.truth
            .as_ref()
            .map(|t| format!(" (truth: {})", t.display()))
            .unwrap_or_default()
    );
    if to_stdout {
        eprintln!("{msg}");
    } else {
        println!("{msg}");
    }
    Ok(())
}
