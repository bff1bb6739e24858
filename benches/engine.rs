//! Engine benchmarks: sample + peel a skill-driven graph at N = 10^6, and the DE
//! threshold search to 1e-4.
//!
//! Run with `cargo bench --bench engine`. Edges per second are reported by
//! criterion's throughput line (`elem/s`).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use semzip::ensemble::Ensemble;
use semzip::peel::{Learner, peel};
use semzip::theory::de::DeParams;
use semzip::theory::threshold::ratio_threshold;
use std::hint::black_box;

const PROFILE: &str = "poly:0.5x^2+0.28x^3+0.22x^8";

fn generate_and_peel(c: &mut Criterion) {
    let e = Ensemble::SkillDriven {
        skills: 1_000_000,
        ratio: 1.2,
        skill_degrees: PROFILE.parse().expect("valid profile"),
    };
    let learner = Learner::capacity(1).expect("capacity 1");
    let edges = e.sample(1).expect("valid ensemble").num_edges() as u64;
    let mut group = c.benchmark_group("engine");
    group.sample_size(10);
    group.throughput(Throughput::Elements(edges));
    group.bench_function("sample_1e6", |b| {
        b.iter(|| black_box(e.sample(black_box(1)).expect("valid ensemble")))
    });
    let g = e.sample(1).expect("valid ensemble");
    group.bench_function("peel_1e6", |b| {
        b.iter(|| black_box(peel(black_box(&g), &learner, None)))
    });
    group.bench_function("sample_and_peel_1e6", |b| {
        b.iter(|| {
            let g = e.sample(black_box(1)).expect("valid ensemble");
            black_box(peel(&g, &learner, None).learned_count())
        })
    });
    group.finish();
}

fn threshold_search(c: &mut Criterion) {
    let learner = Learner::capacity(1).expect("capacity 1");
    for (name, spec) in [("threshold_x2", "poly:x^2"), ("threshold_poly", PROFILE)] {
        let p = DeParams::skill_driven(&spec.parse().expect("valid profile"), 1.0, learner.clone());
        c.bench_function(name, |b| {
            b.iter(|| black_box(ratio_threshold(black_box(&p), 1e-4)))
        });
    }
}

criterion_group!(benches, generate_and_peel, threshold_search);
criterion_main!(benches);
