//! What every integration test shares: the one way to run the `semzip` binary and
//! the one synthetic corpus generator.

use semzip::ensemble::{DegreeSpec, Popularity};
use semzip::text::synth::{SynthCorpus, SynthSpec, synthesize};
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

/// The one synthetic corpus of the tests, in the crate's own synthetic language
/// (`semzip corpus synth`): `texts` lines over `skills` Zipf-popular skills, about
/// four a line, with glue words between them. The same arguments give the same text.
pub fn synthetic_text(texts: usize, skills: usize, seed: u64) -> String {
    let mut s = synthetic_corpus(texts, skills, seed).lines.join("\n");
    s.push('\n');
    s
}

/// [`synthetic_text`] as a corpus: its lines, each line's true skills and the
/// skills' pseudo-words.
pub fn synthetic_corpus(texts: usize, skills: usize, seed: u64) -> SynthCorpus {
    synthesize(&SynthSpec {
        skills,
        texts,
        popularity: Popularity::Zipf(1.0),
        text_degrees: DegreeSpec::Poisson(4.0),
        seed,
        glue: true,
    })
    .expect("a valid synthetic spec")
}

/// `data` encoded self-contained (no shared model) with `opts`, as a `.sz` file.
pub fn encode_sz(data: &[u8], opts: &semzip::codec::EncodeOptions) -> Vec<u8> {
    let mut out = Vec::new();
    semzip::pipeline::encode(
        data,
        "in",
        &mut out,
        "out",
        None,
        opts,
        &semzip::pipeline::EmbedOptions::default(),
    )
    .expect("encoding never fails");
    out
}

/// An exact payload of `mode` whose length field (about 4 GiB) is beyond what
/// `body` may decode to.
pub fn overlong_payload(mode: u8, body: &[u8]) -> Vec<u8> {
    let mut long = vec![mode];
    long.extend_from_slice(&[0xff, 0xff, 0xff, 0x0f]);
    long.extend_from_slice(body);
    long
}
