//! Packet sizes above format version 5's 16 MiB limit (format version 6): the limit
//! logic and one packet just above the old limit coded whole. Version 5 files are
//! still read as they were (tests/it/layered_v5.rs, tests/golden/v5).

use semzip::codec::coder::ExactCoder;
use semzip::codec::container::VERSION;
use semzip::codec::packet::{DEFAULT_PACKET_BYTES, MAX_PACKET_BYTES};
use semzip::codec::varint;
use semzip::codec::{EncodeOptions, Reader, Record, decode};
use semzip::pipeline::{EmbedOptions, encode};

use crate::common::run;
use crate::exact_real::changelog;

/// Format version 5's largest packet.
const OLD_MAX: usize = 16 << 20;

fn with_packet_bytes(packet_bytes: usize) -> EncodeOptions {
    EncodeOptions {
        packet_bytes,
        ..EncodeOptions::default()
    }
}

#[test]
fn packet_sizes_up_to_the_new_limit_are_accepted_and_beyond_it_refused() {
    const { assert!(MAX_PACKET_BYTES > OLD_MAX && DEFAULT_PACKET_BYTES <= MAX_PACKET_BYTES) };
    for ok in [1, OLD_MAX, OLD_MAX + 1, MAX_PACKET_BYTES] {
        with_packet_bytes(ok).validate().unwrap();
    }
    for bad in [0, MAX_PACKET_BYTES + 1, usize::MAX] {
        let e = with_packet_bytes(bad).validate().unwrap_err().to_string();
        assert!(e.contains("packet_bytes"), "{e}");
        assert!(e.contains(&format!("1 to {MAX_PACKET_BYTES}")), "{e}");
    }
}

/// The command line names its flag and the range, writes nothing, and exits 2.
#[test]
fn the_command_line_refuses_a_packet_size_above_the_limit_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("a.txt");
    std::fs::write(&input, "one line\n").unwrap();
    let big = (MAX_PACKET_BYTES + 1).to_string();
    let (code, _, err) = run(&["encode", "--packet-bytes", &big, input.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("--packet-bytes"), "{err}");
    assert!(err.contains(&MAX_PACKET_BYTES.to_string()), "{err}");
    assert!(!dir.path().join("a.txt.sz").exists());
}

/// A text just above 16 MiB is one packet (one block-sorting block, past the
/// 32-bit packing of the inverse transform) and decodes byte for byte.
#[test]
fn one_packet_just_above_the_old_limit_round_trips() {
    let text = changelog(OLD_MAX + 200_000, 11);
    let opts = EncodeOptions {
        exact_coder: ExactCoder::Bwt,
        packet_bytes: MAX_PACKET_BYTES,
        ..EncodeOptions::default()
    };
    let mut sz = Vec::new();
    encode(
        text.as_bytes(),
        "in",
        &mut sz,
        "out",
        None,
        &opts,
        &EmbedOptions::default(),
    )
    .unwrap();
    let mut r = Reader::new(&sz[..]).unwrap();
    assert_eq!(r.header().version, VERSION);
    let mut packets = Vec::new();
    for rec in &mut r {
        if let Record::Packet { packet, .. } = rec.unwrap() {
            packets.push(packet);
        }
    }
    assert_eq!(packets.len(), 1);
    assert_eq!(packets[0].original_bytes, text.len() as u64);
    // Mode 6 (block sorting), then the length and the literal count: the block sorted
    // is longer than 2^24 bytes.
    let p = &packets[0].payload;
    assert_eq!(p[0], 6);
    let (len, a) = varint::get(&p[1..]).unwrap();
    let (lits, _) = varint::get(&p[1 + a..]).unwrap();
    assert_eq!(len, text.len() as u64);
    assert!(lits > 1 << 24, "{lits} literal bytes");
    let mut back = Vec::new();
    decode(&sz[..], "in.sz", &mut back, "out", None).unwrap();
    assert!(back == text.as_bytes(), "decodes differently");
}
