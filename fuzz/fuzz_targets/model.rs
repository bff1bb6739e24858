//! Fuzz target: `Model::from_bytes` on untrusted bytes, and on untrusted bodies
//! framed with a valid checksum (so the fuzzer reaches the body decoder).
#![no_main]

use libfuzzer_sys::fuzz_target;
use semzip::model::{Model, file};

fuzz_target!(|data: &[u8]| {
    let _ = Model::from_bytes(data);
    if let Ok(framed) = file::frame(data) {
        let _ = Model::from_bytes(&framed);
    }
});
