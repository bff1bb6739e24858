//! `semzip corpus`: corpus tools. `corpus synth` writes the synthetic language;
//! `corpus stats` segments files and counts their texts and skills.

use crate::Error;
use crate::text::synth::{SynthSpec, write_synth};
use crate::text::{DEFAULT_MAX_TEXT_BYTES, Extractor, ExtractorSpec, SegmentStats, Segmenter};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Flags of `semzip corpus`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: CorpusCommand,
}

#[derive(Debug, clap::Subcommand)]
enum CorpusCommand {
    /// Write a synthetic corpus (one text per line) and its true skill ids.
    Synth(SynthArgs),
    /// Segment corpus files and count their texts and skills.
    Stats(StatsArgs),
}

/// Flags of `semzip corpus stats`.
#[derive(Debug, clap::Args)]
struct StatsArgs {
    /// Corpus files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// How files are cut into texts: lines, paragraphs or fortunes.
    #[arg(long, default_value = "lines")]
    texts: String,
    /// Skill extractor: words, words-nostop, bpe:VOCAB or tokenizer:FILE.json.
    #[arg(long, default_value = "words-nostop")]
    extractor: String,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Flags of `semzip corpus synth`.
#[derive(Debug, clap::Args)]
struct SynthArgs {
    /// Number of skills N (distinct pseudo-words).
    #[arg(long)]
    skills: usize,
    /// Number of texts T (lines).
    #[arg(long)]
    texts: usize,
    /// Skill popularity: uniform or zipf:S.
    #[arg(long, default_value = "zipf:1.1")]
    popularity: String,
    /// Skills per text: fixed:K, poisson:MEAN or poly:... (degree 0 counts as 1).
    #[arg(long, default_value = "fixed:4")]
    text_degrees: String,
    /// Seed for every random choice.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// No stop words between the pseudo-words.
    #[arg(long)]
    no_glue: bool,
    /// Output corpus file (`-` for stdout).
    #[arg(short = 'o', long)]
    output: PathBuf,
    /// Also write the true skill ids of each text, one line per text.
    #[arg(long)]
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

/// What `corpus stats` reports (stable JSON keys).
#[derive(Debug, serde::Serialize)]
struct CorpusStats {
    files: usize,
    segmentation: String,
    extractor: String,
    segment: SegmentStats,
    skills: u64,
    distinct_skills: usize,
    mean_skills_per_text: f64,
    texts_without_skills: u64,
    seconds: f64,
    mb_per_s: f64,
}

fn stats(a: StatsArgs) -> anyhow::Result<()> {
    let seg: crate::text::Segmentation = a.texts.parse()?;
    let spec: ExtractorSpec = a.extractor.parse()?;
    let start = std::time::Instant::now();
    let mut total = SegmentStats::default();
    let mut texts = Vec::new();
    for f in &a.files {
        let mut s = Segmenter::open(f, seg, DEFAULT_MAX_TEXT_BYTES)?;
        for t in s.by_ref() {
            texts.push(t?);
        }
        let st = s.stats();
        total.texts += st.texts;
        total.empty_skipped += st.empty_skipped;
        total.lossy_bytes += st.lossy_bytes;
        total.long_split += st.long_split;
        total.bytes += st.bytes;
    }
    let ex = Extractor::train(&spec, texts.iter().cloned())?;
    let (mut skills, mut without) = (0u64, 0u64);
    let mut distinct = std::collections::HashSet::new();
    for t in &texts {
        let s = ex.skills(t);
        skills += s.len() as u64;
        without += s.is_empty() as u64;
        distinct.extend(s);
    }
    let seconds = start.elapsed().as_secs_f64();
    let mb_per_s = total.bytes as f64 / 1e6 / seconds.max(1e-9);
    let r = CorpusStats {
        files: a.files.len(),
        segmentation: seg.to_string(),
        extractor: ex.spec(),
        segment: total,
        skills,
        distinct_skills: distinct.len(),
        mean_skills_per_text: skills as f64 / (texts.len().max(1)) as f64,
        texts_without_skills: without,
        seconds,
        mb_per_s,
    };
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

/// A temporary file beside `path`, so the final rename stays on one file system.
fn temp_beside(path: &Path) -> crate::Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut b = tempfile::Builder::new();
    b.prefix(".semzip-");
    // A temporary file is private (0600); the corpus is an ordinary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        b.permissions(std::fs::Permissions::from_mode(0o644));
    }
    b.tempfile_in(dir).map_err(|e| Error::io(dir, e))
}

/// Moves a finished temporary file to `path`, replacing it only when `force`.
fn persist(tmp: tempfile::NamedTempFile, path: &Path, force: bool) -> crate::Result<()> {
    let done = if force {
        tmp.persist(path)
    } else {
        tmp.persist_noclobber(path)
    };
    done.map(|_| ()).map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            Error::invalid(format!(
                "{}: already exists; use -f to overwrite it",
                path.display()
            ))
        } else {
            Error::io(path, e.error)
        }
    })
}

fn refuse_existing(path: &Path, force: bool) -> crate::Result<()> {
    if !force && path.exists() {
        return Err(Error::invalid(format!(
            "{}: already exists; use -f to overwrite it",
            path.display()
        )));
    }
    Ok(())
}

fn synth(a: SynthArgs) -> anyhow::Result<()> {
    let spec = SynthSpec {
        skills: a.skills,
        texts: a.texts,
        popularity: a.popularity.parse()?,
        text_degrees: a.text_degrees.parse()?,
        seed: a.seed,
        glue: !a.no_glue,
    };
    let to_stdout = a.output.as_os_str() == "-";
    if !to_stdout {
        refuse_existing(&a.output, a.force)?;
    }
    if let Some(t) = &a.truth {
        if !to_stdout && t == &a.output {
            return Err(Error::invalid("--truth must name another file than -o").into());
        }
        refuse_existing(t, a.force)?;
    }
    let truth_tmp = a.truth.as_deref().map(temp_beside).transpose()?;
    let truth_sink: Box<dyn Write> = match &truth_tmp {
        Some(t) => Box::new(t.as_file()),
        None => Box::new(std::io::sink()),
    };
    let bytes = if to_stdout {
        let mut counter = CountingWriter::new(std::io::stdout().lock());
        write_synth(&spec, &mut counter, truth_sink)?;
        counter.count
    } else {
        let out_tmp = temp_beside(&a.output)?;
        write_synth(&spec, out_tmp.as_file(), truth_sink)?;
        out_tmp
            .as_file()
            .sync_all()
            .map_err(|e| Error::io(out_tmp.path(), e))?;
        let bytes = out_tmp
            .as_file()
            .metadata()
            .map_err(|e| Error::io(out_tmp.path(), e))?
            .len();
        persist(out_tmp, &a.output, a.force)?;
        bytes
    };
    if let (Some(tmp), Some(path)) = (truth_tmp, &a.truth) {
        persist(tmp, path, a.force)?;
    }
    let msg = format!(
        "synthetic corpus: {} skills, {} texts, {bytes} bytes written to {}{}",
        spec.skills,
        spec.texts,
        a.output.display(),
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

/// Counts the bytes written through it.
struct CountingWriter<W> {
    inner: W,
    count: u64,
}

impl<W: Write> CountingWriter<W> {
    fn new(inner: W) -> Self {
        CountingWriter { inner, count: 0 }
    }
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
