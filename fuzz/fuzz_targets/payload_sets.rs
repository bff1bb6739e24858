//! Fuzz target: the sets payload decoder called directly (no container, so no
//! checksum stands between the fuzzer and the coder). It may fail, never panic,
//! loop without bound or allocate past the payload's expansion bound.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let _ = semzip::codec::coder::decode_sets(common::context(), data);
});
