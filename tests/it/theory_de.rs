//! Density evolution, thresholds, laws and percolation against published values,
//! closed forms and sampled graphs.

use proptest::prelude::*;
use semzip::ensemble::{DegreeDistribution, DegreeSpec, Ensemble, Popularity};
use semzip::peel::{Learner, peel};
use semzip::theory::classes::{ClassModel, class_de, learned_by_class};
use semzip::theory::*;
use std::time::Instant;

fn spec(s: &str) -> DegreeSpec {
    s.parse().unwrap()
}

fn cap(c: u32) -> Learner {
    Learner::capacity(c).unwrap()
}

fn skill_driven(s: &str) -> DeParams {
    DeParams::skill_driven(&spec(s), 1.0, cap(1))
}

#[test]
fn published_load_thresholds() {
    for (profile, load) in [("fixed:2", 0.5), ("poly:0.5x^2+0.28x^3+0.22x^8", 0.938)] {
        let start = Instant::now();
        let t = ratio_threshold(&skill_driven(profile), 1e-4).expect("a threshold");
        let ms = start.elapsed().as_secs_f64() * 1e3;
        println!(
            "{profile}: G* = {:.5} (R* = {:.5}) in {ms:.2} ms",
            t.load, t.ratio
        );
        assert!((t.load - load).abs() < 0.002, "{profile}: {t:?}");
        // Just below the threshold learning stalls, just above it completes.
        let below = density_evolution(&skill_driven(profile).with_ratio(t.ratio * 0.99));
        let above = density_evolution(&skill_driven(profile).with_ratio(t.ratio * 1.01));
        assert!(!below.complete() && above.complete(), "{below:?} {above:?}");
    }
}

#[test]
fn ldpc_3_6_erasure_threshold() {
    let p = DeParams::configuration(&spec("fixed:3"), &spec("fixed:6"), cap(1));
    assert!(p.ratio_is_implied());
    assert!((p.effective_ratio() - 0.5).abs() < 1e-12);
    let d = unknown_fraction_threshold(&p, 1e-6);
    assert!((d - 0.4294).abs() < 2e-4, "{d}");
    // The ratio search makes no sense when R is implied.
    assert!(ratio_threshold(&p, 1e-4).is_none());
}

#[test]
fn capacity_equals_a_table_of_ones_bit_for_bit() {
    let profiles: Vec<Box<dyn Fn(Learner) -> DeParams>> = vec![
        Box::new(|l| DeParams::skill_driven(&spec("poly:0.5x^2+0.28x^3+0.22x^8"), 0.9, l)),
        Box::new(|l| DeParams::configuration(&spec("fixed:3"), &spec("poisson:4"), l)),
        Box::new(|l| {
            DeParams::text_driven(&spec("poisson:3"), Popularity::Zipf(1.3), 3000, 1.5, l)
        }),
    ];
    for c in 1..=4u32 {
        let ones = Learner::probabilistic(vec![1.0; c as usize], 0).unwrap();
        for make in &profiles {
            let a = density_evolution(&make(cap(c)));
            let b = density_evolution(&make(ones.clone()));
            assert_eq!(a.unlearned.to_bits(), b.unlearned.to_bits(), "c = {c}");
            assert_eq!(a.trajectory, b.trajectory, "c = {c}");
        }
        let s = |l| DeParams::skill_driven(&spec("fixed:3"), 1.0, l);
        assert_eq!(
            ratio_threshold(&s(cap(c)), 1e-5),
            ratio_threshold(&s(ones.clone()), 1e-5)
        );
    }
    // A larger capacity learns more.
    let t1 = ratio_threshold(&skill_driven("fixed:3"), 1e-5).unwrap();
    let t2 = ratio_threshold(&DeParams::skill_driven(&spec("fixed:3"), 1.0, cap(2)), 1e-5);
    assert!(t2.unwrap().ratio < t1.ratio);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn unlearned_fraction_is_monotone_in_ratio(
        a in 0.05f64..0.95,
        k in 3u32..9,
        r1 in 0.3f64..4.0,
        dr in 0.01f64..1.0,
        c in 1u32..3,
        delta in 0.3f64..=1.0,
    ) {
        let s = spec(&format!("poly:{a}x^2+{}x^{k}", 1.0 - a));
        let p = DeParams::skill_driven(&s, r1, cap(c)).with_unknown_fraction(delta);
        let e1 = density_evolution(&p).unlearned;
        let e2 = density_evolution(&p.with_ratio(r1 + dr)).unlearned;
        prop_assert!(e2 <= e1 + 1e-6, "ε({}) = {e1} < ε({}) = {e2}", r1, r1 + dr);
        prop_assert!((0.0..=delta + 1e-12).contains(&e1));
    }
}

#[test]
fn poisson_texts_are_the_limit_of_binomial_texts() {
    // Binomial(K, g/K) text degrees tend to Poisson(g): compare the fixed points.
    let k = 4000usize;
    for r in [0.9f64, 1.3, 2.5] {
        let g = 3.0 / r;
        let q = g / k as f64;
        let mut pmf = vec![0.0; k + 1];
        let mut logp = k as f64 * (1.0 - q).ln();
        for (j, slot) in pmf.iter_mut().enumerate() {
            *slot = logp.exp();
            logp += ((k - j) as f64).ln() - ((j + 1) as f64).ln() + q.ln() - (1.0 - q).ln();
        }
        let poisson = DeParams::skill_driven(&spec("fixed:3"), r, cap(1));
        let binomial = DeParams {
            texts: TextProfile::Degrees(DegreeDistribution::from_pmf(pmf)),
            ..poisson.clone()
        };
        let a = density_evolution(&poisson);
        let b = density_evolution(&binomial);
        assert!(
            (a.unlearned - b.unlearned).abs() < 2e-3,
            "R = {r}: {} vs {}",
            a.unlearned,
            b.unlearned
        );
    }
}

#[test]
fn zero_degree_skills_have_no_threshold_but_an_emergence_point() {
    let p = DeParams::text_driven(&spec("poisson:3"), Popularity::Uniform, 1, 1.0, cap(1));
    assert!(ratio_threshold(&p, 1e-4).is_none());
    let e = emergence_point(&p, 0.2, 3.0).expect("ε falls in the range");
    // ε falls from ~0.66 at R = 1 to ~0.04 at R = 1.2 (see the percolation test).
    assert!(e.ratio > 1.0 && e.ratio < 1.2, "{e:?}");
    assert!(e.slope < -3.0, "{e:?}");
    let r = ratio_for_target(&p, 1e-3).unwrap();
    let at = density_evolution(&p.with_ratio(r)).unlearned;
    let before = density_evolution(&p.with_ratio(r * 0.999)).unlearned;
    assert!(at <= 1e-3 && before > 1e-3, "{r}: {at} {before}");
}

#[test]
fn percolation_condition_matches_the_measured_giant_component() {
    // Text-driven, Poisson(3) texts, uniform skills: learning is partial, so the
    // site percolation (φ_k = 1 - y^k) matters.
    let p = DeParams::text_driven(&spec("poisson:3"), Popularity::Uniform, 1, 1.0, cap(1));
    let rp = percolation_point(&p, 0.2, 2.0).expect("a percolation point");
    assert!(rp > 0.3 && rp < 0.8, "{rp}");
    let just = predicted_giant(&p.with_ratio(rp));
    assert!((just.condition_value - 1.0).abs() < 1e-3);
    let learner = cap(1);
    for (factor, giant_expected) in [(0.75, false), (1.4, true)] {
        let r = rp * factor;
        let pred = predicted_giant(&p.with_ratio(r));
        assert_eq!(pred.percolates, giant_expected, "{pred:?}");
        let e = Ensemble::TextDriven {
            skills: 100_000,
            ratio: r,
            text_degrees: spec("poisson:3"),
            popularity: Popularity::Uniform,
        };
        let g = e.sample(11).unwrap();
        let out = peel(&g, &learner, None);
        let m = measure_association(&g, &out.learned);
        println!("R = {r:.3}: predicted {pred:?}, measured {m:?}");
        if giant_expected {
            assert!(m.giant_fraction > 0.05, "{m:?}");
            assert!((m.giant_fraction - pred.giant_fraction).abs() < 0.03);
        } else {
            assert!(m.giant_fraction < 0.01, "{m:?}");
        }
    }
}

#[test]
fn fits_recover_known_parameters_from_noisy_points() {
    // Deterministic ±2% multiplicative noise.
    let noise = |i: usize| 1.0 + 0.02 * (((i * 7919) % 13) as f64 / 6.0 - 1.0);
    let pts: Vec<(f64, f64)> = (0..30)
        .map(|i| {
            let x = 1.0 + i as f64 * 0.5;
            (x, 0.8 * x.powf(-0.5) * noise(i))
        })
        .collect();
    let f = fit_power_law(&pts).unwrap();
    assert!((f.exponent + 0.5).abs() < 0.02 && f.r2 > 0.98, "{f:?}");
    let pts: Vec<(f64, f64)> = (0..30)
        .map(|i| {
            let x = i as f64 * 0.2;
            (x, 2.0 * (-0.7 * x).exp() * noise(i))
        })
        .collect();
    let f = fit_exponential(&pts).unwrap();
    assert!((f.rate - 0.7).abs() < 0.02 && f.r2 > 0.98, "{f:?}");
}

#[test]
fn zipf_test_error_follows_the_predicted_power_law() {
    let s = 2.0;
    let p = DeParams::text_driven(
        &spec("poisson:3"),
        Popularity::Zipf(s),
        200_000,
        1.0,
        cap(1),
    );
    let Law::PowerLaw { exponent } = predicted_law(&p.with_ratio(4.0)) else {
        panic!("expected a power law")
    };
    assert!((exponent + 0.5).abs() < 1e-3);
    let pts: Vec<(f64, f64)> = [4.0, 8.0, 16.0, 32.0, 64.0]
        .iter()
        .map(|&r| (r, test_error_de(&p.with_ratio(r)).skill_error))
        .collect();
    let f = fit_power_law(&pts).unwrap();
    println!("zipf:{s} DE skill error fit: {f:?}");
    assert!((f.exponent - exponent).abs() < 0.1, "{f:?}");
}

#[test]
fn vector_de_matches_simulation_per_class() {
    let m = ClassModel {
        skill_shares: vec![0.4, 0.6],
        text_ratios: vec![0.8, 0.5],
        needs: vec![vec![2.0, 0.5], vec![0.5, 3.0]],
        unknown: vec![0.7, 1.0],
        learner: cap(1),
    };
    let de = class_de(&m).unwrap();
    assert!(de.converged);
    let sample = m.sample(100_000, 5).unwrap();
    let known = m.known_set(&sample, 9);
    let out = peel(&sample.graph, &m.learner, Some(&known));
    let sim = learned_by_class(&sample, &out.learned);
    println!("DE {:?} sim {sim:?}", de.learned);
    for (a, b) in de.learned.iter().zip(&sim) {
        assert!((a - b).abs() < 0.01, "DE {:?} vs sim {sim:?}", de.learned);
    }
    // The classes differ by more than the tolerance, so the check is per class.
    assert!(
        (de.learned[0] - de.learned[1]).abs() > 0.05,
        "{:?}",
        de.learned
    );
}

use crate::common::run as semzip;

#[test]
fn threshold_command_json_and_errors() {
    let (code, out, _) = semzip(&[
        "threshold",
        "--skill-degrees",
        "poly:0.5x^2+0.28x^3+0.22x^8",
        "--json",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let g = v["load_threshold"].as_f64().unwrap();
    assert!((g - 0.938).abs() < 0.002);
    assert_eq!(v["skill_degrees"], "poly:0.5x^2+0.28x^3+0.22x^8");
    assert_eq!(v["learner"], "capacity:1");

    let (code, out, _) = semzip(&[
        "threshold",
        "--skill-degrees",
        "fixed:3",
        "--text-degrees",
        "fixed:6",
        "--over",
        "unknown-fraction",
        "--json",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!((v["unknown_fraction_threshold"].as_f64().unwrap() - 0.4294).abs() < 2e-4);

    let (code, out, _) = semzip(&["threshold", "--skill-degrees", "poisson:3", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["ratio_threshold"].is_null());
    assert!(v["emergence_point"]["ratio"].as_f64().unwrap() > 0.0);
    assert!(v["reason"].as_str().unwrap().contains("degree 0"));

    for bad in [
        vec![
            "--skill-degrees",
            "fixed:3",
            "--text-degrees",
            "fixed:6",
            "--over",
            "ratio",
        ],
        vec!["--skill-degrees", "fixed:3", "--capacity", "0"],
        vec![
            "--skill-degrees",
            "fixed:3",
            "--over",
            "unknown-fraction",
            "--ratio",
            "-1",
        ],
        vec!["--skill-degrees", "fixed:3", "--unknown-fraction", "1.5"],
        vec!["--skill-degrees", "fixed:0"],
        vec![
            "--text-degrees",
            "fixed:3",
            "--popularity",
            "zipf:1.1",
            "--skills",
            "0",
        ],
    ] {
        let mut args = vec!["threshold"];
        args.extend(bad.iter());
        let (code, _, err) = semzip(&args);
        assert_eq!(code, 2, "{bad:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{bad:?}: {err}");
    }
}

#[test]
fn percolation_and_hierarchy_commands() {
    let (code, out, err) = semzip(&[
        "percolation",
        "--text-degrees",
        "poisson:3",
        "--popularity",
        "uniform",
        "--ratio",
        "0.3:0.9:0.3",
        "--skills",
        "20000",
        "--simulate",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["points"].as_array().unwrap().len(), 3);
    assert!(v["points"][2]["measured_giant"].as_f64().unwrap() > 0.05);
    assert!(v["percolation_point"].as_f64().is_some());

    let (code, out, err) = semzip(&[
        "hierarchy",
        "--general-per-domain",
        "2",
        "--foundation-ratio",
        "0.5,2",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let weak = v[0]["saving"].as_f64().unwrap();
    let strong = v[1]["saving"].as_f64().unwrap();
    assert!(strong > weak && strong > 0.5, "{weak} {strong}");
    let (code, _, _) = semzip(&["hierarchy", "--foundation-ratio", "0"]);
    assert_eq!(code, 2);
}

#[test]
fn poisson_learner_de_matches_simulation() {
    // A noisy learner p_1 = 0.7 (longer tables: tests/it/theory_sim.rs).
    let l = Learner::probabilistic(vec![0.7], 3).unwrap();
    for r in [1.0, 2.0] {
        let p = DeParams::skill_driven(&spec("fixed:3"), r, l.clone());
        let de = density_evolution(&p).unlearned;
        let e = Ensemble::SkillDriven {
            skills: 100_000,
            ratio: r,
            skill_degrees: spec("fixed:3"),
        };
        let sim = peel(&e.sample(2).unwrap(), &l, None).unlearned_fraction();
        println!("R = {r}: DE {de:.4}, simulation {sim:.4}");
        assert!(
            (de - sim).abs() < 0.01,
            "R = {r}: DE {de} vs simulation {sim}"
        );
    }
}
