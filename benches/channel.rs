//! Channel benchmarks: SIC decoding of an IRSA frame of 10^6 packets (the peeling
//! engine with slots as texts), LT peeling of 10^4 source packets, and one trial of
//! the text experiment against the encoding it reuses.
//!
//! Run with `cargo bench --bench channel`; the goal (SIC of 10^6 packets under 1 s
//! on one core) is read from the `sic_1e6` line (`RAYON_NUM_THREADS=1` changes
//! nothing: SIC is sequential).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use semzip::channel::irsa;
use semzip::channel::lt::Plan;
use semzip::ensemble::DegreeSpec;
use std::hint::black_box;

const PROFILE: &str = "poly:0.5x^2+0.28x^3+0.22x^8";

fn sic(c: &mut Criterion) {
    let d: DegreeSpec = PROFILE.parse().expect("valid profile");
    let mut group = c.benchmark_group("channel");
    group.sample_size(10);
    for (name, load) in [
        ("sic_1e6_below_threshold", 0.85),
        ("sic_1e6_above_threshold", 1.0),
    ] {
        let g = irsa::frame(1_000_000, load, &d, 1).expect("valid frame");
        group.throughput(Throughput::Elements(1_000_000));
        group.bench_function(name, |b| b.iter(|| black_box(irsa::sic(black_box(&g)))));
    }
    let k = 10_000;
    let plan = Plan::new(k, 6_000, 3).expect("valid plan");
    let src: Vec<bool> = (0..k).map(|i| i % 10 != 0).collect();
    let rep: Vec<bool> = (0..plan.repairs()).map(|i| i % 10 != 3).collect();
    group.throughput(Throughput::Elements(k as u64));
    group.bench_function("lt_peel_1e4", |b| {
        b.iter(|| {
            black_box(
                plan.recover(black_box(&src), black_box(&rep))
                    .expect("masks fit"),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, sic);
criterion_main!(benches);
