//! Fuzz target: the embedded codebook decoder called directly.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = semzip::codec::coder::decode_codebook(data);
});
