//! `semzip corpus`: corpus tools; `semzip corpus synth` writes the synthetic language.

use crate::Error;
use crate::text::synth::{SynthSpec, write_synth};
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
    }
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
