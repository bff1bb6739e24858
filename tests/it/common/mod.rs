//! What every integration test shares: the one way to run the `semzip` binary.

use std::process::Command;

/// A command for the `semzip` binary built with these tests.
pub fn semzip() -> Command {
    Command::new(env!("CARGO_BIN_EXE_semzip"))
}
