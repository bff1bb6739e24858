//! Flag groups shared by several commands (the codec's, the theory commands'
//! ensemble and learner, the simulations'), and the gzip-style rules for naming
//! inputs and outputs.

use crate::Error;
use std::path::{Path, PathBuf};

/// Flags that describe an ensemble and a learner (shared by the theory commands).
#[derive(Debug, Clone, clap::Args)]
pub struct ModelArgs {
    /// Skill degree distribution: fixed:K, poisson:MEAN or poly:c1x^k1+... (skill-driven;
    /// with --text-degrees too, a configuration model with the ratio implied).
    #[arg(long, value_name = "SPEC")]
    pub skill_degrees: Option<String>,
    /// Text degree distribution (default: Poisson texts, as in the skill-driven ensemble).
    #[arg(long, value_name = "SPEC")]
    pub text_degrees: Option<String>,
    /// Text-driven ensemble: skills picked by popularity (uniform or zipf:S); needs
    /// --text-degrees and no --skill-degrees.
    #[arg(long, value_name = "SPEC")]
    pub popularity: Option<String>,
    /// Number of skills N (text-driven Zipf popularity; simulations: default 100000).
    #[arg(long, value_name = "SKILLS", allow_negative_numbers = true)]
    pub skills: Option<i64>,
    /// Learner capacity c (default 1).
    #[arg(
        long,
        value_name = "CAPACITY",
        conflicts_with = "learner",
        allow_negative_numbers = true
    )]
    pub capacity: Option<i64>,
    /// Poisson learner table, probs:p1,p2,... (or capacity:C).
    #[arg(long, value_name = "SPEC")]
    pub learner: Option<String>,
    /// Probability δ that a skill is unknown before training (1 = no foundation).
    #[arg(
        long,
        value_name = "FRACTION",
        default_value_t = 1.0,
        allow_negative_numbers = true
    )]
    pub unknown_fraction: f64,
}

/// Flags every codec command (`encode`, `decode`) takes.
#[derive(Debug, clap::Args)]
pub struct CodecArgs {
    /// Overwrite output files that exist.
    #[arg(short, long)]
    pub force: bool,
    /// Keep the input files. Always so (as zstd does): accepted for gzip habits.
    /// (The long `--keep F` is the fidelity dial of the lossy levels.)
    #[arg(short = 'k', long = "keep-input")]
    pub keep_input: bool,
    /// Print no summary.
    #[arg(short, long)]
    pub quiet: bool,
    /// Worker threads (0: one per core).
    #[arg(short = 'T', long, value_name = "THREADS", default_value_t = 0)]
    pub threads: usize,
}

impl CodecArgs {
    /// Sizes the worker pool as `-T` asks.
    pub fn apply_threads(&self) -> crate::Result<()> {
        set_threads(self.threads)
    }
}

/// Sizes the global worker pool (`0`: one thread per core).
pub fn set_threads(threads: usize) -> crate::Result<()> {
    if threads == 0 {
        return Ok(());
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .map_err(|e| Error::internal(format!("cannot start {threads} worker threads: {e}")))
}

/// No text of a corpus holds more skills than bytes, and the segmenter cuts texts at
/// this many bytes: a learner of larger capacity learns exactly what this one does.
pub const CORPUS_CAPACITY_LIMIT: u32 = crate::text::DEFAULT_MAX_TEXT_BYTES as u32;

/// The learner of capacity `c` for training on a corpus, sized by what a text can
/// hold (so `--capacity 4294967295` neither aborts nor changes the result).
pub fn corpus_capacity(c: u32) -> crate::Result<crate::peel::Learner> {
    crate::peel::Learner::capacity(c.min(CORPUS_CAPACITY_LIMIT))
}

/// A learner spec (`capacity:C` or `probs:...`) for training on a corpus, with the
/// capacity sized as [`corpus_capacity`] does.
pub fn corpus_learner(spec: &str) -> crate::Result<crate::peel::Learner> {
    let s = spec.trim();
    let bare = s.strip_prefix("capacity:").unwrap_or(s);
    match bare.parse::<u64>() {
        Ok(c) if c > u64::from(CORPUS_CAPACITY_LIMIT) => corpus_capacity(CORPUS_CAPACITY_LIMIT),
        _ => s.parse(),
    }
}

/// The learner of capacity `c` for the theory commands (a count: any size is cheap).
pub fn theory_capacity(c: u32) -> crate::Result<crate::peel::Learner> {
    crate::peel::Learner::capacity(c)
}

/// The one rule of `--plot DIR`, applied before any work: the folder is created
/// (with its parents) when missing; a file in its place is refused.
pub fn check_plot_dir(dir: &Path) -> crate::Result<()> {
    if dir.exists() && !dir.is_dir() {
        return Err(Error::invalid(format!(
            "--plot {}: is a file, not a folder",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io_during("create the folder", dir, e))
}

/// The files a codec command (`encode`, `decode`) reads and writes, gzip style.
#[derive(Debug, clap::Args)]
pub struct FilesArgs {
    /// Input files (none, or `-`: stdin). They are only read, and kept (as zstd does).
    #[arg(value_name = "FILE")]
    pub inputs: Vec<PathBuf>,
    /// Output file (`-`: stdout). Default: beside each input, FILE.sz when encoding and
    /// FILE without `.sz` when decoding; stdout for stdin.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Write to stdout (as gzip -c).
    #[arg(short = 'c', long = "stdout", conflicts_with = "output")]
    pub to_stdout: bool,
}

impl FilesArgs {
    /// Each input (`None`: stdin) with its output (`None`: stdout), the default
    /// output name derived from the input by `default_name`.
    pub fn pairs(
        &self,
        default_name: impl Fn(&Path) -> crate::Result<PathBuf>,
    ) -> crate::Result<Vec<(Option<PathBuf>, Option<PathBuf>)>> {
        let inputs = inputs_or_stdin(&self.inputs);
        let outputs = outputs(
            &inputs,
            self.output.as_deref(),
            self.to_stdout,
            default_name,
        )?;
        Ok(inputs.into_iter().zip(outputs).collect())
    }
}

/// The inputs to process: each named one, or stdin (`None`) when none is named.
pub fn inputs_or_stdin(inputs: &[PathBuf]) -> Vec<Option<PathBuf>> {
    if inputs.is_empty() {
        return vec![None];
    }
    inputs
        .iter()
        .map(|p| (p.as_os_str() != "-").then(|| p.clone()))
        .collect()
}

/// The output of each input (`None`: stdout): `-o` for a single input, stdout with
/// `-c` or for stdin, else the default name `default_name` derives from the input.
pub fn outputs(
    inputs: &[Option<PathBuf>],
    output: Option<&Path>,
    to_stdout: bool,
    default_name: impl Fn(&Path) -> crate::Result<PathBuf>,
) -> crate::Result<Vec<Option<PathBuf>>> {
    if inputs.len() > 1 && (output.is_some() || to_stdout) {
        return Err(Error::invalid(
            "-o and -c name one output: give a single input, or let each input name its output",
        ));
    }
    if inputs.iter().filter(|i| i.is_none()).count() > 1 {
        return Err(Error::invalid("stdin (-) can be read only once"));
    }
    inputs
        .iter()
        .map(|input| match (output, input) {
            (Some(o), _) => Ok((o.as_os_str() != "-").then(|| o.to_path_buf())),
            (None, _) if to_stdout => Ok(None),
            (None, None) => Ok(None),
            (None, Some(p)) => default_name(p).map(Some),
        })
        .collect()
}

/// `path` with `suffix` appended (`notes.txt` → `notes.txt.sz`).
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

/// `path` without `suffix` (`notes.txt.sz` → `notes.txt`); an error naming the
/// way out when it does not end so.
pub fn without_suffix(path: &Path, suffix: &str) -> crate::Result<PathBuf> {
    let name = path.to_string_lossy();
    match name.strip_suffix(suffix) {
        Some(stem)
            if !stem.is_empty()
                && !stem.ends_with('/')
                && path.file_name().is_some_and(|f| f != suffix) =>
        {
            Ok(PathBuf::from(
                &path.as_os_str().to_string_lossy()[..stem.len()],
            ))
        }
        _ => Err(Error::invalid(format!(
            "{name} does not end in {suffix}: give -o FILE or -c for its output"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_follow_gzip_rules() {
        let ins = inputs_or_stdin(&["a.txt".into(), "b.txt".into()]);
        let outs = outputs(&ins, None, false, |p| Ok(with_suffix(p, ".sz"))).unwrap();
        assert_eq!(outs, [Some("a.txt.sz".into()), Some("b.txt.sz".into())]);
        assert!(outputs(&ins, Some(Path::new("x")), false, |p| Ok(p.into())).is_err());
        assert!(outputs(&ins, None, true, |p| Ok(p.into())).is_err());
        let stdin = inputs_or_stdin(&[]);
        assert_eq!(
            outputs(&stdin, None, false, |p| Ok(p.into())).unwrap(),
            [None]
        );
        let one = inputs_or_stdin(&["a.txt".into()]);
        assert_eq!(outputs(&one, None, true, |p| Ok(p.into())).unwrap(), [None]);
        assert_eq!(
            without_suffix(Path::new("d/notes.txt.sz"), ".sz").unwrap(),
            PathBuf::from("d/notes.txt")
        );
        assert!(without_suffix(Path::new("notes.txt"), ".sz").is_err());
        assert!(without_suffix(Path::new("d/.sz"), ".sz").is_err());
    }
}
