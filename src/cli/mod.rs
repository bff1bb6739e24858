//! The command-line front end: each command parses its flags into plain settings,
//! calls the library and prints the result. Nothing in the library depends on it.

mod args;
mod bench;
mod bench_curve;
mod channel;
mod corpus;
mod decode;
mod demo;
mod emergence;
mod encode;
mod hierarchy;
mod inspect;
mod meta;
mod percolation;
mod progress;
mod scaling;
mod stdio;
mod threshold;
mod train;

use clap::{Parser, Subcommand};

/// Semantic compression by skills learned through peeling.
#[derive(Debug, Parser)]
#[command(name = "semzip", version, about, long_about = None, after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the whole pipeline on built-in data, in seconds.
    #[command(after_help = "Example:\n  semzip demo --seed 2")]
    Demo(demo::Args),
    /// Density-evolution thresholds: the ratio R* or the unknown fraction δ*.
    #[command(after_help = "Examples:
  semzip threshold --skill-degrees 'poly:0.5x^2+0.28x^3+0.22x^8'
  semzip threshold --skill-degrees fixed:3 --text-degrees fixed:6 --over unknown-fraction")]
    Threshold(threshold::Args),
    /// The skill association graph: predicted and measured giant component.
    #[command(after_help = "Example:
  semzip percolation --skill-degrees fixed:3 --ratios 0.2:1:0.1 --skills 10000 --simulate

Columns: ratio = texts per skill R; unlearned = fraction of skills left unlearned
(density evolution); condition = the independent-site percolation condition (the graph
percolates above 1); indep. giant = giant fraction by that approximation; radius =
spectral radius of the exact recursion's Jacobian (percolates above 1, capacity 1);
giant = fraction of skills in the association graph's giant component (exact tree
recursion). With --simulate: sim unlearned, measured giant and components from
sampled graphs.")]
    Percolation(percolation::Args),
    /// Foundation and fine-tuning: domain data needed with and without a foundation.
    #[command(after_help = "Example:
  semzip hierarchy --foundation-ratios 1,2,4 --general-per-domain 3

Columns: foundation R = foundation texts per general skill; foundation ε = fraction of
general skills the foundation leaves unlearned (they stay unknown to the domain); R
from scratch / R fine-tuned = domain texts per domain skill that learning needs
without / with the foundation; saving = the share of domain texts the foundation
saves.")]
    Hierarchy(hierarchy::Args),
    /// Emergence curve: density evolution beside Monte Carlo peeling over a ratio sweep.
    #[command(after_help = "Example:
  semzip emergence --skills 100000 --ratios 0.9:1.3:0.02 --skill-degrees fixed:3 --trials 5 --plot plots

Columns: ratio = texts per skill R; DE unlearned = fraction of skills left unlearned by
density evolution (the large-graph limit); sim unlearned = the same measured by
peeling sampled graphs (mean over --trials); sim std = its standard deviation.")]
    Emergence(emergence::Args),
    /// Scaling of the test error with the ratio: DE, simulation and fitted laws.
    #[command(after_help = "Example:
  semzip scaling --skills 100000 --text-degrees fixed:2 --popularity zipf:2 --ratios 1,2,4,8 --trials 2

Columns: skill err = share of a fresh text's skill occurrences that are unlearned; text
err = share of fresh texts holding at least one unlearned skill; DE = density
evolution, sim = sampled graphs (mean, ± std over --trials).")]
    Scaling(scaling::Args),
    /// Corpus tools: `corpus synth` writes the synthetic language, `corpus stats` counts.
    Corpus(corpus::Args),
    /// Learn a model (skills by peeling) from corpus files.
    #[command(after_help = "Examples:
  semzip train $(bash corpora/fetch.sh) --texts fortunes -o fortunes.szm
  semzip corpus synth --skills 200 --count 2000 | semzip train - -o synth.szm")]
    Train(train::Args),
    /// Describe a model or .sz file: header, fingerprint, stats.
    #[command(
        after_help = "Examples:\n  semzip inspect fortunes.szm --top 20\n  semzip inspect notes.txt.sz --json"
    )]
    Inspect(inspect::Args),
    /// Compress a file to .sz at a fidelity level (exact, sequence, set).
    Encode(encode::Args),
    /// Decompress a .sz file (also `semzip -d`).
    Decode(decode::Args),
    /// Rate against fidelity per level, beside zstd 3, 19 (and 19 with a dictionary).
    #[command(after_help = concat!(
        "Example:\n  semzip bench book.txt --texts paragraphs --plot plots\n\n",
        bench::legend!()
    ))]
    Bench(bench::Args),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(meta::CompletionsArgs),
    /// Print the man page (roff).
    Man(meta::ManArgs),
    /// Send texts over a modeled channel: meaning recovered per bit, beside zstd.
    Channel(channel::Args),
}

/// Examples and the exit-code table, under the top-level help.
const AFTER_HELP: &str = "\
Examples:
  semzip notes.txt              compress to notes.txt.sz (as `semzip encode`)
  semzip -d notes.txt.sz        decompress to notes.txt (as `semzip decode`)
  semzip -c notes.txt > n.sz    compress to stdout
  semzip demo                   the whole pipeline on built-in data
  semzip corpus --help          corpus synth and corpus stats

Exit codes:
  0  success
  1  failure: unreadable or damaged input, an I/O error, nothing learned
  2  usage error: a bad flag or value, an output that exists (use -f)
  3  decode --salvage: the output is incomplete (texts were lost)";

pub use args::check_plot_dir;

/// Exit code of a successful run.
pub const EXIT_OK: i32 = 0;
/// Exit code of a failure: bad data, an I/O error, nothing learned.
pub const EXIT_FAILURE: i32 = 1;
/// Exit code of a usage error: a bad flag or value, an output that exists.
pub const EXIT_USAGE: i32 = 2;
/// Exit code of `decode --salvage` when the output is incomplete (texts were lost).
pub const EXIT_INCOMPLETE: i32 = 3;

/// Runs the command line and returns the process exit code (see [`EXIT_OK`] and
/// the constants beside it).
pub fn main() -> i32 {
    install_panic_hook();
    if let Err(e) = semzip::output::install_signal_cleanup() {
        eprintln!("semzip: {e}");
        return EXIT_FAILURE;
    }
    let commands: Vec<String> = <Cli as clap::CommandFactory>::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .chain(["help".to_string()])
        .collect();
    let cli = match Cli::try_parse_from(decode::rewrite_argv(std::env::args_os(), &commands)) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let _ = e.print();
            return code;
        }
    };
    let result = match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Threshold(args) => threshold::run(args),
        Command::Percolation(args) => percolation::run(args),
        Command::Hierarchy(args) => hierarchy::run(args),
        Command::Emergence(args) => emergence::run(args),
        Command::Scaling(args) => scaling::run(args),
        Command::Corpus(args) => corpus::run(args),
        Command::Train(args) => train::run(args),
        Command::Inspect(args) => inspect::run(args),
        Command::Encode(args) => encode::run(args),
        Command::Decode(args) => decode::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Completions(args) => {
            meta::completions(args, <Cli as clap::CommandFactory>::command())
        }
        Command::Man(args) => meta::man(args, <Cli as clap::CommandFactory>::command()),
        Command::Channel(args) => channel::run(args),
    };
    // Whatever the command printed must reach stdout: a full disk is a failure.
    let flushed = std::io::Write::flush(&mut std::io::stdout())
        .map_err(|e| anyhow::Error::from(semzip::Error::writing("<stdout>", e)));
    match result.and(flushed) {
        Ok(()) => EXIT_OK,
        Err(e) if e.downcast_ref::<Incomplete>().is_some() => {
            eprintln!("semzip: {e}");
            EXIT_INCOMPLETE
        }
        Err(e) if is_broken_pipe(&e) => EXIT_OK,
        Err(e) => report_error(&e),
    }
}

/// A run that finished but whose output misses data (`decode --salvage`).
#[derive(Debug)]
pub struct Incomplete(pub String);

impl std::fmt::Display for Incomplete {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Incomplete {}

/// True when a reader closed our stdout (`semzip ... | head`): it chose to stop.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<semzip::Error>()
            .is_some_and(|e| e.is_broken_pipe())
            || c.downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The command-line flag of a library parameter name (`packet_bytes` is
/// `--packet-bytes`).
pub fn flag_for(name: &str) -> String {
    match name {
        "model" => "-m/--model".to_string(),
        "output" => "-o/--output".to_string(),
        _ => format!("--{}", name.replace('_', "-")),
    }
}

/// A library error in the command line's words: flags instead of parameter
/// names, and the flag that would help.
pub fn render(e: &semzip::Error) -> String {
    use semzip::Error as E;
    match e {
        E::InvalidParameter {
            name,
            value,
            reason,
        } => format!("invalid {} '{value}': {reason}", flag_for(name)),
        E::Exists { path } => {
            format!("{} already exists: use -f to overwrite it", path.display())
        }
        E::MissingModel { .. } => format!("{e} with -m MODEL"),
        E::NothingLearned { .. } => format!(
            "{e}; use more texts, a larger --capacity, or --allow-empty to write an empty model"
        ),
        _ => e.to_string(),
    }
}

/// Prints an error as one line (with its causes) and picks the exit code.
fn report_error(e: &anyhow::Error) -> i32 {
    let mut line = "semzip".to_string();
    for cause in e.chain() {
        let text = match cause.downcast_ref::<semzip::Error>() {
            Some(err) => render(err),
            None => cause.to_string(),
        };
        // Library errors often quote their source already: say each thing once.
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
    }
    eprintln!("{line}");
    e.chain()
        .find_map(|c| c.downcast_ref::<semzip::Error>())
        .map_or(EXIT_FAILURE, |err| err.exit_code())
}

/// Replaces Rust's panic message and backtrace by one line. A closed stdout (as in
/// `semzip inspect MODEL | head`) ends the process quietly, as it does for cat; a
/// stdout that cannot be written (a full disk) is a write error, not a bug.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_string());
        if msg.contains("Broken pipe") {
            std::process::exit(141);
        }
        if let Some(why) = msg.strip_prefix("failed printing to stdout: ") {
            let why = why.split(" (os error").next().unwrap_or(why);
            eprintln!("semzip: cannot write <stdout>: {why}");
            semzip::output::remove_registered_temps();
            std::process::exit(EXIT_FAILURE);
        }
        eprintln!("semzip: internal error: {msg} (please report this as a bug)");
        semzip::output::remove_registered_temps();
        std::process::exit(101);
    }));
}
