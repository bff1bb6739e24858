//! Fuzz target: the container reader on untrusted records behind a valid header
//! (the header checksum would otherwise stop the fuzzer before any record).
#![no_main]

use libfuzzer_sys::fuzz_target;
use semzip::codec::container::{Header, ModelRef, TextsCode};
use semzip::codec::reader::Reader;
use semzip::codec::{Level, Unlearned};

fuzz_target!(|data: &[u8]| {
    let level = match data.first() {
        Some(b) => Level::ALL[*b as usize % 3],
        None => Level::Exact,
    };
    let header = Header::new(
        level,
        Unlearned::Escape,
        TextsCode(0),
        ModelRef::Shared { fingerprint: 1 },
        Vec::new(),
    );
    let mut sz = header.to_bytes().expect("a valid header");
    sz.extend_from_slice(data.get(1..).unwrap_or_default());
    if let Ok(r) = Reader::new(&sz[..]) {
        for rec in r {
            if rec.is_err() {
                break;
            }
        }
    }
});
