//! Fuzz target: the `.sz` decoder and the salvaging reader on untrusted bytes.
//! Neither may panic, loop forever or allocate without bound; both may fail.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut sink = Vec::new();
    let _ = semzip::codec::decode(data, "fuzz.sz", &mut sink, "sink", None);
    sink.clear();
    let _ = semzip::codec::salvage(data, "fuzz.sz", &mut sink, "sink", None);
});
