//! Multi-class models from a file: per-class DE against simulation of the same
//! ensemble, and the `--classes` commands.

use semzip::peel::peel;
use semzip::theory::class_file::{ClassSpec, class_curve};
use std::path::PathBuf;

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

#[test]
fn two_classes_match_simulation_away_from_the_jump() {
    let spec = ClassSpec::read(&example("classes.toml")).unwrap();
    // The hard class jumps near R = 1.77: compare below and above it.
    let ratios = [1.0, 2.5, 4.0];
    let points = class_curve(&spec, &ratios, 100_000, 1, 7, &|| {}).unwrap();
    for p in &points {
        for i in 0..2 {
            let (de, sim) = (p.de_unlearned[i], p.sim_unlearned[i]);
            assert!(
                (de - sim).abs() < 0.01,
                "R = {} class {i}: DE {de} vs sim {sim}",
                p.ratio
            );
        }
    }
    // One easy, one hard: at R = 1 most easy skills are learned, few hard ones.
    assert!(points[0].de_unlearned[0] < 0.3 && points[0].de_unlearned[1] > 0.8);
    // The same sample peeled directly gives the curve's simulated value.
    let m = spec.at(1.0);
    let seed = semzip::theory::simulate::trial_seed(7, 0, 0);
    let sample = m.sample(100_000, seed).unwrap();
    let known = m.known_set(&sample, semzip::theory::simulate::known_seed(seed));
    let out = peel(
        &sample.graph,
        &m.learner
            .clone()
            .with_seed(semzip::theory::simulate::learner_seed(seed)),
        Some(&known),
    );
    let direct = sample.learned_by_class(&out.learned);
    assert!((1.0 - direct[1] - points[0].sim_unlearned[1]).abs() < 1e-12);
}

#[test]
fn json_and_toml_examples_agree() {
    let a = ClassSpec::read(&example("classes.toml")).unwrap();
    let b = ClassSpec::read(&example("classes.json")).unwrap();
    for r in [0.5, 1.7, 3.0] {
        assert_eq!(a.de(r).unwrap(), b.de(r).unwrap());
    }
}

use crate::common::run as semzip;

#[test]
fn classes_commands_print_per_class_results() {
    let file = example("classes.json");
    let f = file.to_str().unwrap();
    let (code, out, err) = semzip(&["threshold", "--classes", f, "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let l = v["landmarks"].as_array().unwrap();
    assert_eq!(l.len(), 2);
    let easy = l[0]["ratio_for_target"].as_f64().unwrap();
    let hard = l[1]["ratio_for_target"].as_f64().unwrap();
    assert!(easy < hard, "{easy} {hard}");
    let spec = ClassSpec::read(&file).unwrap();
    assert!(spec.de(hard).unwrap().unlearned[1] <= 1e-3 + 1e-12);

    let (code, out, err) = semzip(&[
        "emergence",
        "--classes",
        f,
        "--ratio",
        "1:3:1",
        "--skills",
        "20000",
        "--trials",
        "2",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let pts = v["points"].as_array().unwrap();
    assert_eq!(pts.len(), 3);
    let de = pts[1]["de_unlearned"][1].as_f64().unwrap();
    assert_eq!(de, spec.de(2.0).unwrap().unlearned[1]);

    // A conflicting flag is a usage error.
    let (code, _, _) = semzip(&["threshold", "--classes", f, "--skill-degrees", "fixed:3"]);
    assert_eq!(code, 2);
    for bad in [
        vec!["threshold", "--classes", "/nonexistent/classes.json"],
        vec![
            "emergence",
            "--classes",
            f,
            "--ratio",
            "1:2:1",
            "--trials",
            "0",
        ],
    ] {
        let (code, _, err) = semzip(&bad);
        assert_ne!(code, 0, "{bad:?}");
        assert_eq!(err.trim().lines().count(), 1, "{bad:?}: {err}");
    }
}
