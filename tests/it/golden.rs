//! Golden files: committed `.sz` and model files must decode byte for byte and
//! re-encode to the same bytes, so that no format change passes unnoticed.
//!
//! After a deliberate format change, regenerate them with
//! `cargo run --release --example golden` and record the change in docs/FORMAT.md.

use semzip::codec::container::{ModelRef, Trailer};
use semzip::codec::file_model::texts_of;
use semzip::codec::reader::{Reader, Record};
use semzip::codec::{EncodeOptions, FileModel, Level, decode};
use semzip::model::{Model, file as model_file};
use std::path::PathBuf;

fn golden(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn model() -> Model {
    Model::from_bytes(&golden("synth.szm")).expect("the golden model loads")
}

#[test]
fn the_golden_model_reads_and_writes_the_same_body() {
    let bytes = golden("synth.szm");
    let body = model_file::unframe(&bytes, "synth.szm").unwrap();
    let m = model();
    assert_eq!(
        m.encode_body(),
        body,
        "the model body re-encodes differently"
    );
    assert_eq!(m.fingerprint(), xxhash_rust::xxh3::xxh3_64(&body));
    assert!(!m.codebook.is_empty());
}

/// Everything a file says, with its records (offsets and metadata aside).
#[derive(Debug, PartialEq)]
struct Parsed {
    level: Level,
    texts: u8,
    model: ModelRef,
    packets: Vec<semzip::codec::packet::Packet>,
    trailer: Trailer,
}

fn parse(sz: &[u8]) -> (Parsed, Vec<u8>) {
    let mut r = Reader::new(sz).unwrap();
    let h = r.header().clone();
    assert_eq!(h.version, semzip::codec::container::VERSION);
    let mut packets = Vec::new();
    let mut trailer = None;
    for rec in &mut r {
        match rec.unwrap() {
            Record::Packet { packet, .. } => packets.push(packet),
            Record::Trailer(mut t) => {
                t.index_offset = 0;
                trailer = Some(t);
            }
            _ => {}
        }
    }
    let parsed = Parsed {
        level: h.level,
        texts: h.texts.0,
        model: h.model,
        packets,
        trailer: trailer.unwrap(),
    };
    (parsed, h.metadata)
}

#[test]
fn golden_sz_files_decode_and_re_encode_byte_for_byte() {
    let input = golden("input.txt");
    let shared = model();
    for level in Level::ALL.into_iter().chain([Level::Layered]) {
        for kind in ["shared", "embedded"] {
            let name = format!("{level}-{kind}");
            let sz = golden(&format!("{name}.sz"));
            let m = (kind == "shared").then_some(&shared);
            let mut out = Vec::new();
            decode(&sz[..], &name, &mut out, "out", m).unwrap();
            let want = if level.is_lossy() {
                golden(&format!("{name}.out"))
            } else {
                input.clone()
            };
            assert!(out == want, "{name}: decodes differently");
            // Re-encode the input with the file's own model and options.
            let (parsed, metadata) = parse(&sz);
            assert_eq!(parsed.level, level);
            let meta: serde_json::Value = serde_json::from_slice(&metadata).unwrap();
            let fm = match &parsed.model {
                ModelRef::Shared { fingerprint } => {
                    assert_eq!(*fingerprint, shared.fingerprint(), "{name}");
                    FileModel::shared(&shared)
                }
                ModelRef::Embedded(e) => FileModel::from_embedded(e).unwrap(),
                ModelRef::Builtin => FileModel::builtin(),
            };
            let opts = EncodeOptions {
                level,
                texts: texts_of(semzip::codec::container::TextsCode(parsed.texts)),
                packet_bytes: meta["packet_bytes"]
                    .as_u64()
                    .map_or(semzip::codec::packet::DEFAULT_PACKET_BYTES, |n| n as usize),
                ..EncodeOptions::default()
            };
            let mut again = Vec::new();
            if level == Level::Layered && parsed.model == ModelRef::Builtin {
                // A self-contained layered file carries no model: train it again.
                let embed = semzip::pipeline::EmbedOptions::default();
                semzip::pipeline::encode(
                    &input[..],
                    "input",
                    &mut again,
                    "again",
                    None,
                    &opts,
                    &embed,
                )
                .unwrap();
            } else {
                semzip::codec::encode(&input[..], "input", &mut again, "again", &fm, &opts)
                    .unwrap();
            }
            let (reparsed, remeta) = parse(&again);
            assert!(reparsed == parsed, "{name}: re-encodes differently");
            if remeta == metadata {
                assert!(again == sz, "{name}: re-encodes to other bytes");
            }
        }
    }
}

#[test]
fn the_block_sorted_golden_decodes_and_re_encodes_byte_for_byte() {
    coder_golden_round_trips("exact-bwt", semzip::codec::coder::ExactCoder::Bwt, 6);
}

#[test]
fn the_ppm_golden_decodes_and_re_encodes_byte_for_byte() {
    coder_golden_round_trips("exact-ppm", semzip::codec::coder::ExactCoder::Ppm, 7);
}

/// A golden written with `--coder`: it decodes to the input, every payload is in
/// `mode`, and encoding the input again gives the same bytes.
fn coder_golden_round_trips(name: &str, coder: semzip::codec::coder::ExactCoder, mode: u8) {
    let input = golden("input.txt");
    let sz = golden(&format!("{name}.sz"));
    let mut out = Vec::new();
    decode(&sz[..], name, &mut out, "out", None).unwrap();
    assert!(out == input, "{name}: decodes differently");
    let (parsed, metadata) = parse(&sz);
    assert_eq!(parsed.model, ModelRef::Builtin);
    let meta: serde_json::Value = serde_json::from_slice(&metadata).unwrap();
    let opts = EncodeOptions {
        level: Level::Exact,
        packet_bytes: meta["packet_bytes"].as_u64().unwrap() as usize,
        exact_coder: coder,
        ..EncodeOptions::default()
    };
    let mut again = Vec::new();
    semzip::codec::encode(
        &input[..],
        "input",
        &mut again,
        "again",
        &FileModel::builtin(),
        &opts,
    )
    .unwrap();
    assert!(again == sz, "{name}: re-encodes to other bytes");
    let mut n = 0;
    for rec in Reader::new(&sz[..]).unwrap() {
        if let Record::Packet { packet, .. } = rec.unwrap() {
            assert_eq!(
                packet.payload.first(),
                Some(&mode),
                "{name}: a payload not in mode {mode}"
            );
            n += 1;
        }
    }
    assert!(n > 1, "{name}: {n} packets");
}
