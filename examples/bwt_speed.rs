//! Times the exact level's coders on one file, payload only (measurement aid):
//! `cargo run --release --example bwt_speed -- FILE [bwt|cm|auto]`.

use semzip::codec::coder::{CoderContext, ExactCoder, decode_exact, encode_exact_with};
use semzip::model::Codebook;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let data = std::fs::read(&args[1]).expect("read input");
    let coder = match args.get(2).map(String::as_str) {
        Some("cm") => ExactCoder::Cm,
        Some("auto") => ExactCoder::Auto,
        _ => ExactCoder::Bwt,
    };
    let ctx = CoderContext::new(&Codebook::default(), &[]);
    let mut payloads = Vec::new();
    let t = Instant::now();
    for chunk in data.chunks(16 << 20) {
        payloads.push(encode_exact_with(&ctx, chunk, coder).0);
    }
    let enc = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut back = Vec::with_capacity(data.len());
    for p in &payloads {
        back.extend_from_slice(&decode_exact(&ctx, p).expect("decodes"));
    }
    let dec = t.elapsed().as_secs_f64();
    assert!(back == data, "round trip failed");
    let size: usize = payloads.iter().map(Vec::len).sum();
    println!(
        "{} bytes -> {size} ({:.3} bpc), encode {enc:.2} s, decode {dec:.2} s",
        data.len(),
        size as f64 * 8.0 / data.len() as f64
    );
}
