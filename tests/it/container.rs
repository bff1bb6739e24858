//! The container reader: extension records, packet subsets, resumption and the
//! checks it owns, on files encoded from the committed synthetic sample.

use crate::common::encode_sz;
use proptest::prelude::*;
use semzip::codec::container::{INDEX_TAG, Trailer, VERSION, is_extension_tag, write_extension};
use semzip::codec::reader::{Reader, Record, find_packet, split};
use semzip::codec::{
    Decoded, EncodeOptions, Level, decode, decode_packets, inspect_sz, resolve_model, salvage,
};

fn sample() -> Vec<u8> {
    let p = concat!(env!("CARGO_MANIFEST_DIR"), "/corpora/synth-sample.txt");
    std::fs::read(p).expect("the committed synthetic sample")
}

fn encode_sample(level: Level, packet_bytes: usize) -> (Vec<u8>, Vec<u8>) {
    let data = sample();
    let opts = EncodeOptions {
        level,
        packet_bytes,
        ..EncodeOptions::default()
    };
    let sz = encode_sz(&data[..], &opts);
    (data, sz)
}

fn dec(sz: &[u8]) -> semzip::Result<Vec<u8>> {
    let mut out = Vec::new();
    decode(sz, "x.sz", &mut out, "out", None)?;
    Ok(out)
}

/// The records of a file: (packet offsets, index offset).
fn layout(sz: &[u8]) -> (Vec<u64>, u64) {
    let mut r = Reader::new(sz).unwrap();
    let mut packets = Vec::new();
    let mut index = None;
    for rec in &mut r {
        match rec.unwrap() {
            Record::Packet { offset, .. } => packets.push(offset),
            Record::Index(entries) => {
                assert_eq!(
                    entries.iter().map(|e| e.offset).collect::<Vec<_>>(),
                    packets
                );
            }
            Record::Trailer(t) => index = Some(t.index_offset),
            Record::Skipped { .. } => panic!("the encoder writes no extension records"),
        }
    }
    (packets, index.expect("a trailer"))
}

/// `sz` with a record inserted just before the index, the trailer rewritten to match.
fn with_record_before_index(sz: &[u8], record: &[u8]) -> Vec<u8> {
    let (_, index_offset) = layout(sz);
    let at = index_offset as usize;
    let mut t = Trailer::at_end(VERSION, sz).unwrap();
    let end = sz.len() - t.to_bytes().len();
    t.index_offset += record.len() as u64;
    let mut out = sz[..at].to_vec();
    out.extend_from_slice(record);
    out.extend_from_slice(&sz[at..end]);
    out.extend_from_slice(&t.to_bytes());
    out
}

#[test]
fn unknown_extension_records_are_skipped_and_unknown_tags_refused() {
    let (data, sz) = encode_sample(Level::Exact, 4096);
    assert!(is_extension_tag(*b"xt") && !is_extension_tag(*b"XT") && !is_extension_tag(*b"PK"));
    let mut ext = Vec::new();
    let n = write_extension(&mut ext, *b"xt", b"a future extension").unwrap();
    assert_eq!(n, ext.len() as u64);
    let extended = with_record_before_index(&sz, &ext);
    assert_eq!(dec(&extended).unwrap(), data);
    let skipped: Vec<_> = Reader::new(&extended[..])
        .unwrap()
        .filter_map(|r| match r.unwrap() {
            Record::Skipped { tag, len, .. } => Some((tag, len)),
            _ => None,
        })
        .collect();
    assert_eq!(skipped, vec![(*b"xt", ext.len() as u64)]);
    // The same record under an upper-case (non-skippable) tag is refused.
    let mut unknown = ext.clone();
    unknown[0] = b'X';
    let e = dec(&with_record_before_index(&sz, &unknown)).unwrap_err();
    assert!(e.to_string().contains("neither a packet"), "{e}");
    // A damaged extension record is refused, not skipped.
    let mut damaged = ext.clone();
    let last = damaged.len() - 1;
    damaged[last] ^= 1;
    let e = dec(&with_record_before_index(&sz, &damaged)).unwrap_err();
    assert!(e.to_string().contains("extension"), "{e}");
    // Writing one with a non-skippable tag is refused.
    assert!(write_extension(&mut Vec::new(), *b"PK", b"").is_err());
}

#[test]
fn the_reader_refuses_trailing_bytes_and_a_moved_index() {
    let (_, sz) = encode_sample(Level::Set, 2048);
    let mut longer = sz.clone();
    longer.push(0);
    let last = Reader::new(&longer[..]).unwrap().last().unwrap();
    assert!(last.unwrap_err().to_string().contains("trailing"));
    // An index that lists the packets but at shifted offsets does not match them.
    let (packets, index_offset) = layout(&sz);
    assert!(packets.len() >= 3);
    let mut entries_wrong = sz.clone();
    let at = index_offset as usize;
    assert_eq!(entries_wrong[at..at + 2], INDEX_TAG);
    entries_wrong[at + 3] ^= 1; // first entry's offset delta (the count is one byte here)
    assert!(dec(&entries_wrong).is_err());
}

#[test]
fn any_subset_of_packets_decodes_to_the_same_texts() {
    for level in Level::ALL {
        let (_, sz) = encode_sample(level, 2048);
        let parts = split(&sz).unwrap();
        let header = parts.header;
        let packets: Vec<_> = parts.packets.into_iter().map(|(_, p)| p).collect();
        assert!(packets.len() >= 4, "{level}: {} packets", packets.len());
        let fm = resolve_model(&header, None, "x.sz").unwrap();
        let all: Vec<Decoded> = decode_packets(header.level, &fm, &packets)
            .into_iter()
            .map(|d| d.unwrap())
            .collect();
        // Every other packet, in reverse order, plus one damaged packet.
        let mut arrived: Vec<_> = packets.iter().step_by(2).rev().cloned().collect();
        let mut bad = packets[1].clone();
        bad.texts += 1; // framing that disagrees with its payload
        arrived.push(bad);
        let got = decode_packets(header.level, &fm, &arrived);
        let n = arrived.len() - 1;
        for (k, d) in got[..n].iter().enumerate() {
            let i = 2 * (n - 1 - k);
            assert_eq!(d.as_ref().unwrap(), &all[i], "{level}: packet {i}");
        }
        assert!(got[n].is_err(), "{level}: a damaged packet must fail alone");
        // The decoded packets together are the whole file's decoding.
        let mut whole = Vec::new();
        for d in &all {
            d.render_into(&mut whole);
        }
        assert_eq!(whole, dec(&sz).unwrap());
    }
}

#[test]
fn salvage_resumes_after_a_damaged_record_and_find_packet_skips_it() {
    let (data, sz) = encode_sample(Level::Exact, 1024);
    let (packets, _) = layout(&sz);
    let k = packets.len() / 2;
    let (a, b) = (packets[k] as usize, packets[k + 1] as usize);
    let mut bad = sz.clone();
    bad[a] = b'Q'; // the tag itself
    assert_eq!(find_packet(&bad, a, 0), Some(b));
    let mut out = Vec::new();
    let rep = salvage(&bad, "bad.sz", &mut out, "out", None).unwrap();
    assert_eq!(rep.packets as usize, packets.len() - 1);
    assert_eq!(rep.lost.len(), 1);
    assert_eq!(rep.lost[0].offset, a as u64);
    let lost = b - a; // the lost packet's record
    assert!(out.len() < data.len() && data.len() - out.len() < lost + 1024);
}

#[test]
fn inspect_counts_extension_records_as_intact() {
    let (_, sz) = encode_sample(Level::Sequence, 4096);
    let mut ext = Vec::new();
    write_extension(&mut ext, *b"zz", &[7; 100]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.sz");
    std::fs::write(&p, with_record_before_index(&sz, &ext)).unwrap();
    let info = inspect_sz(&p).unwrap();
    assert!(info.intact, "{:?}", info.problem);
    assert_eq!(info.format_version, semzip::codec::container::VERSION);
    assert_eq!(info.packets as usize, layout(&sz).0.len());
}

#[test]
fn payload_decoders_refuse_overlong_varints() {
    use semzip::codec::coder::{CoderContext, decode_exact, decode_sequences, decode_sets};
    let book = semzip::model::Codebook::new([("ka".to_string(), 3), ("lo".to_string(), 2)]);
    let ctx = CoderContext::new(&book, &[]);
    // `80 00` is zero written in two bytes; `00` is its one encoding.
    let body = [0x80, 0x00, 0, 0, 0, 0];
    assert!(decode_sets(&ctx, &body).is_err());
    assert!(decode_sequences(&ctx, &body).is_err());
    let mut exact = vec![0u8]; // mode 0: coded
    exact.extend_from_slice(&body);
    assert!(decode_exact(&ctx, &exact).is_err());
    // The shortest form of the same number decodes.
    assert_eq!(decode_sets(&ctx, &body[1..]).unwrap(), Vec::<Vec<_>>::new());
    let coded = semzip::codec::coder::encode_exact(&ctx, b"ka lo ka\n");
    assert_eq!(decode_exact(&ctx, &coded).unwrap(), b"ka lo ka\n");
    // An unknown exact mode is refused.
    assert!(decode_exact(&ctx, &[0xff, 0]).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// One reader serves decode and inspect: a file that decodes is intact, and a
    /// file inspect finds damaged does not decode.
    #[test]
    fn decode_and_inspect_agree_on_damage(pos in any::<prop::sample::Index>(), flip in 1u8..=255, cut in any::<bool>()) {
        static SZ: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        let sz = SZ.get_or_init(|| encode_sample(Level::Set, 2048).1);
        let mut bad = sz.clone();
        let i = pos.index(bad.len());
        if cut {
            bad.truncate(i);
        } else {
            bad[i] ^= flip;
        }
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.sz");
        std::fs::write(&p, &bad).unwrap();
        let decoded = dec(&bad);
        match inspect_sz(&p) {
            Ok(info) => {
                if decoded.is_ok() {
                    prop_assert!(info.intact, "{:?}", info.problem);
                }
                if !info.intact {
                    prop_assert!(decoded.is_err());
                }
            }
            // Only an unreadable header stops inspect, and then decode too.
            Err(_) => prop_assert!(decoded.is_err()),
        }
        prop_assert!(decoded.is_err() || bad == *sz, "damage at {i} went unnoticed");
    }

    #[test]
    fn records_behind_a_valid_header_never_panic(data in prop::collection::vec(any::<u8>(), 0..300)) {
        use semzip::codec::container::{Header, ModelRef, TextsCode};
        let h = Header::new(
            Level::Exact,
            semzip::codec::Unlearned::Escape,
            TextsCode(0),
            ModelRef::Shared { fingerprint: 1 },
            Vec::new(),
        );
        let mut sz = h.to_bytes().unwrap();
        sz.extend_from_slice(&data);
        let records: Vec<_> = Reader::new(&sz[..]).unwrap().collect();
        // Nothing follows an error, and random bytes never make a whole file.
        let errs = records.iter().filter(|r| r.is_err()).count();
        prop_assert!(errs <= 1);
        prop_assert!(records.last().is_none_or(|r| r.is_err()) || split(&sz).is_ok());
    }
}
