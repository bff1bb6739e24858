//! Finite length: the waterfall scaling law fitted on small graphs predicts larger ones.

use semzip::ensemble::{DegreeSpec, Ensemble};
use semzip::peel::Learner;
use semzip::theory::finite::finite_length;
use semzip::theory::simulate::SimSetup;

fn setup(spec: DegreeSpec, trials: usize) -> SimSetup {
    SimSetup {
        ensemble: Ensemble::SkillDriven {
            skills: 1000,
            ratio: 1.0,
            skill_degrees: spec,
        },
        learner: Learner::capacity(1).unwrap(),
        unknown_fraction: 1.0,
        trials,
        seed: 11,
    }
}

#[test]
fn waterfall_fitted_on_small_graphs_predicts_a_larger_one() {
    let ratios: Vec<f64> = (0..8).map(|i| 1.16 + 0.02 * i as f64).collect();
    let f = finite_length(
        &setup(DegreeSpec::Fixed(3), 24),
        &[500, 2000, 8000],
        &ratios,
        &|| {},
    )
    .unwrap();
    assert_eq!(f.fitted_on, vec![500, 2000]);
    assert!((f.threshold - 1.2218).abs() < 1e-3, "{}", f.threshold);
    assert!(f.alpha > 0.0 && f.jump > 0.3, "{f:?}");
    let held: Vec<_> = f.points.iter().filter(|p| p.skills == 8000).collect();
    assert!(held.iter().all(|p| !p.fitted));
    // Mean absolute error of the predicted mean over the held-out size, against a
    // binomial noise of about 0.4 · √(1/4 / 24) = 0.04 at the steepest point.
    let mae = held
        .iter()
        .map(|p| (p.predicted_mean - p.sim_mean).abs())
        .sum::<f64>()
        / held.len() as f64;
    println!(
        "held-out mean absolute error {mae:.4}, α = {}, β = {}",
        f.alpha, f.beta
    );
    assert!(mae < 0.04, "{held:?}");
    // The smaller the graph, the wider the waterfall: at R* + 0.04 the small graphs
    // still stall sometimes, the large ones (nearly) never.
    let at = |n: usize| {
        f.points
            .iter()
            .find(|p| p.skills == n && (p.ratio - 1.26).abs() < 1e-9)
            .unwrap()
            .predicted_stall
    };
    assert!(at(500) > at(8000) * 10.0, "{} {}", at(500), at(8000));
}

#[test]
fn waterfall_needs_a_jump() {
    let r = [1.9, 2.0, 2.1];
    let e = finite_length(&setup(DegreeSpec::Fixed(2), 2), &[500, 1000], &r, &|| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("continuous"), "{e}");
    let e = finite_length(&setup(DegreeSpec::Poisson(3.0), 2), &[500], &r, &|| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("threshold"), "{e}");
}
