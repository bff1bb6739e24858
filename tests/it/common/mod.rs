//! What every integration test shares: the one way to run the `semzip` binary.

use std::process::Command;

/// A command for the `semzip` binary built with these tests, or for the one that
/// `SEMZIP_BIN` names (to show a regression test failing against an older build).
pub fn semzip() -> Command {
    Command::new(
        std::env::var_os("SEMZIP_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_semzip").into()),
    )
}

/// The binary built with these tests, whatever `SEMZIP_BIN` says: for making
/// fixtures (a synthetic corpus), which are not what a test checks.
pub fn current_semzip() -> Command {
    Command::new(env!("CARGO_BIN_EXE_semzip"))
}

/// Runs `semzip` with `args`: its exit code (-1 when killed), stdout and stderr.
pub fn run(args: &[&str]) -> (i32, String, String) {
    let out = semzip().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// A reproducible stream of numbers for made-up test data (an LCG: no third-party
/// data).
pub fn lcg(seed: u64) -> impl FnMut() -> u64 {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        s >> 33
    }
}
