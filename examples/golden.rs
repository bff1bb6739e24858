//! Regenerates the golden files of `tests/golden/` (checked by `tests/golden.rs`).
//!
//! `cargo run --release --example golden` writes, from the committed synthetic
//! sample (`corpora/synth-sample.txt`, our own text): `input.txt` (its first lines),
//! `synth.szm` (a model trained on the whole sample), one `.sz` per level made with
//! that shared model and one self-contained, and the decoded output of each lossy
//! file (`.out`), `exact-bwt.sz` (self-contained, block-sorting coder, exact
//! payload mode 6) and `exact-ppm.sz` (the same with the PPM coder, mode 7). Run it
//! after a deliberate format change, and say so in
//! docs/FORMAT.md's change log.

use semzip::codec::{EncodeOptions, Level, decode};
use semzip::model::Model;
use semzip::pipeline::{EmbedOptions, encode};
use semzip::text::segment::Segmentation;
use semzip::train::{TrainOptions, train_texts};
use std::path::Path;

/// Lines of the sample the `.sz` files hold (small files, several packets).
const INPUT_LINES: usize = 300;
/// Input bytes per packet.
const PACKET_BYTES: usize = 4096;

fn main() -> semzip::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("tests/golden");
    std::fs::create_dir_all(&dir).map_err(|e| semzip::Error::io(&dir, e))?;
    let sample = std::fs::read_to_string(root.join("corpora/synth-sample.txt"))
        .map_err(|e| semzip::Error::io("corpora/synth-sample.txt", e))?;
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.join(name);
        std::fs::write(&p, bytes).map_err(|e| semzip::Error::io(&p, e))?;
        println!("{:>7} bytes  {}", bytes.len(), p.display());
        Ok::<(), semzip::Error>(())
    };
    let input: String = sample
        .lines()
        .take(INPUT_LINES)
        .map(|l| format!("{l}\n"))
        .collect();
    write("input.txt", input.as_bytes())?;
    let opts = TrainOptions {
        segmentation: Segmentation::Lines,
        holdout: 0.0,
        ..TrainOptions::default()
    };
    let (model, _) = train_texts(
        sample.lines().map(str::to_string),
        vec!["synth-sample.txt".into()],
        &opts,
    )?;
    write("synth.szm", &model.to_bytes())?;
    let model = Model::from_bytes(&model.to_bytes())?;
    for level in Level::ALL.into_iter().chain([Level::Layered]) {
        for shared in [true, false] {
            let name = format!("{level}-{}", if shared { "shared" } else { "embedded" });
            let opts = EncodeOptions {
                level,
                packet_bytes: PACKET_BYTES,
                ..EncodeOptions::default()
            };
            let m = shared.then_some(&model);
            let sz = encode_input(&input, m, &opts)?;
            write(&format!("{name}.sz"), &sz)?;
            if level.is_lossy() {
                let mut out = Vec::new();
                decode(&sz[..], "golden", &mut out, "golden", m)?;
                write(&format!("{name}.out"), &out)?;
            }
        }
    }
    // Exact payload modes 6 (block sorting) and 7 (PPM) are written only on
    // request: pin their bits too.
    for (coder, name) in [
        (semzip::codec::coder::ExactCoder::Bwt, "exact-bwt.sz"),
        (semzip::codec::coder::ExactCoder::Ppm, "exact-ppm.sz"),
    ] {
        let opts = EncodeOptions {
            level: Level::Exact,
            packet_bytes: PACKET_BYTES,
            exact_coder: coder,
            ..EncodeOptions::default()
        };
        let sz = encode_input(&input, None, &opts)?;
        write(name, &sz)?;
    }
    Ok(())
}

/// The golden input coded with `opts` (and the shared `model`, if any).
fn encode_input(
    input: &str,
    model: Option<&Model>,
    opts: &EncodeOptions,
) -> semzip::Result<Vec<u8>> {
    let mut sz = Vec::new();
    encode(
        input.as_bytes(),
        "input.txt",
        &mut sz,
        "golden",
        model,
        opts,
        &EmbedOptions::default(),
    )?;
    Ok(sz)
}
