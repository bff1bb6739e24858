//! The `semzip` command: parses arguments, runs the library, prints one error line.
//!
//! The command-line front end lives in this binary only (`mod cli`); the library
//! knows nothing of it.

// The CLI files name library items as `crate::codec::...`: the glob makes the
// library's modules reachable under the binary's root.
#[allow(unused_imports)]
use semzip::*;

mod cli;

fn main() {
    std::process::exit(cli::main());
}
