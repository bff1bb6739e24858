//! Times the PPM exact coder (payload mode 5) on files, payload only, with the
//! built-in priors, the best of three runs in CPU time (measurement aid):
//! `cargo run --release --example ppm_speed -- FILE...`.

use semzip::codec::coder::{CoderContext, ExactCoder, decode_exact, encode_exact_with};
use semzip::model::{Codebook, builtin::BUILTIN_PRIME};

/// This thread's CPU seconds (other processes' load does not count).
fn cpu() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

fn main() {
    for path in std::env::args().skip(1) {
        let data = std::fs::read(&path).expect("read input");
        let (mut enc, mut dec, mut size) = (f64::MAX, f64::MAX, 0);
        for _ in 0..3 {
            // A fresh context each run: priming is part of the cost.
            let ctx = CoderContext::new(&Codebook::default(), &[]).with_prime(BUILTIN_PRIME);
            let t = cpu();
            let p = encode_exact_with(&ctx, &data, ExactCoder::Ppm).0;
            enc = enc.min(cpu() - t);
            let ctx = CoderContext::new(&Codebook::default(), &[]).with_prime(BUILTIN_PRIME);
            let t = cpu();
            let back = decode_exact(&ctx, &p).expect("decodes");
            dec = dec.min(cpu() - t);
            assert!(back == data, "round trip failed");
            size = p.len();
        }
        println!(
            "{path}: {} -> {size} bytes, encode {:.1} ms, decode {:.1} ms",
            data.len(),
            enc * 1e3,
            dec * 1e3
        );
    }
}
