//! The command-line front end: each command parses its flags into plain settings,
//! calls the library and prints the result. Nothing in the library depends on it.

mod corpus;
mod demo;
mod emergence;
mod hierarchy;
mod inspect;
mod percolation;
mod scaling;
mod threshold;
mod train;

use clap::{Parser, Subcommand};

/// Semantic compression by skills learned through peeling.
#[derive(Debug, Parser)]
#[command(name = "semzip", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the whole pipeline on built-in data, in seconds.
    Demo(demo::Args),
    /// Learn a model (skills by peeling) from corpus files.
    Train(train::Args),
    /// Describe a model or .sz file: header, fingerprint, stats.
    Inspect(inspect::Args),
    /// Corpus tools: `corpus synth` writes the synthetic language.
    Corpus(corpus::Args),
    /// Emergence curve: density evolution beside Monte Carlo peeling over a ratio sweep.
    Emergence(emergence::Args),
    /// Scaling of the test error with the ratio: DE, simulation and fitted laws.
    Scaling(scaling::Args),
    /// Density-evolution thresholds: the ratio R* or the unknown fraction δ*.
    Threshold(threshold::Args),
    /// The skill association graph: predicted and measured giant component.
    Percolation(percolation::Args),
    /// Foundation and fine-tuning: domain data needed with and without a foundation.
    Hierarchy(hierarchy::Args),
}

/// Runs the command line and returns the process exit code: 0 on success, 1 on
/// failure, 2 on a usage error.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let result = match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Train(args) => train::run(args),
        Command::Inspect(args) => inspect::run(args),
        Command::Corpus(args) => corpus::run(args),
        Command::Emergence(args) => emergence::run(args),
        Command::Scaling(args) => scaling::run(args),
        Command::Threshold(args) => threshold::run(args),
        Command::Percolation(args) => percolation::run(args),
        Command::Hierarchy(args) => hierarchy::run(args),
    };
    match result {
        Ok(()) => 0,
        Err(e) => report_error(&e),
    }
}

/// Prints an error as one line (with its causes) and picks the exit code.
fn report_error(e: &anyhow::Error) -> i32 {
    let mut line = format!("semzip: {e}");
    for cause in e.chain().skip(1) {
        line.push_str(&format!(": {cause}"));
    }
    eprintln!("{line}");
    match e.downcast_ref::<crate::Error>() {
        Some(err) => err.exit_code(),
        None => 1,
    }
}
