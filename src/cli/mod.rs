//! The command-line front end: each command parses its flags into plain settings,
//! calls the library and prints the result. Nothing in the library depends on it.

mod bench;
mod bench_curve;
mod corpus;
mod decode;
mod demo;
mod emergence;
mod encode;
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
    /// Density-evolution thresholds: the ratio R* or the unknown fraction δ*.
    Threshold(threshold::Args),
    /// The skill association graph: predicted and measured giant component.
    Percolation(percolation::Args),
    /// Foundation and fine-tuning: domain data needed with and without a foundation.
    Hierarchy(hierarchy::Args),
    /// Emergence curve: density evolution beside Monte Carlo peeling over a ratio sweep.
    Emergence(emergence::Args),
    /// Scaling of the test error with the ratio: DE, simulation and fitted laws.
    Scaling(scaling::Args),
    /// Corpus tools: `corpus synth` writes the synthetic language.
    Corpus(corpus::Args),
    /// Learn a model (skills by peeling) from corpus files.
    Train(train::Args),
    /// Describe a model or .sz file: header, fingerprint, stats.
    Inspect(inspect::Args),
    /// Compress a file to .sz at a fidelity level (exact, sequence, set).
    Encode(encode::Args),
    /// Decompress a .sz file (also `semzip -d`).
    Decode(decode::Args),
    /// Rate against fidelity per level, beside zstd 3, 19 (and 19 with a dictionary).
    Bench(bench::Args),
}

/// Runs the command line and returns the process exit code: 0 on success, 1 on
/// failure, 2 on a usage error.
pub fn main() -> i32 {
    install_panic_hook();
    let cli = match Cli::try_parse_from(decode::rewrite_argv(std::env::args_os())) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
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
        // Library errors often quote their source already: say each thing once.
        let cause = cause.to_string();
        if !line.contains(&cause) {
            line.push_str(&format!(": {cause}"));
        }
    }
    eprintln!("{line}");
    match e.downcast_ref::<crate::Error>() {
        Some(err) => err.exit_code(),
        None => 1,
    }
}

/// Replaces Rust's panic message and backtrace by one line. A closed stdout (as in
/// `semzip inspect MODEL | head`) ends the process quietly, as it does for cat.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        if msg.contains("Broken pipe") {
            std::process::exit(141);
        }
        eprintln!("semzip: internal error: {msg} (please report this as a bug)");
        std::process::exit(101);
    }));
}
