//! The scaling law reported honestly: floors, zero-error points and DE's own fit.

use semzip::ensemble::{DegreeSpec, Ensemble, Popularity};
use semzip::peel::Learner;
use semzip::theory::emergence::scaling_curve;
use semzip::theory::simulate::SimSetup;

fn setup(ensemble: Ensemble) -> SimSetup {
    SimSetup {
        ensemble,
        learner: Learner::capacity(1).unwrap(),
        unknown_fraction: 1.0,
        trials: 1,
        seed: 5,
    }
}

#[test]
fn poisson_skill_degrees_level_off_at_a_floor() {
    let s = setup(Ensemble::SkillDriven {
        skills: 20_000,
        ratio: 1.0,
        skill_degrees: DegreeSpec::Poisson(4.0),
    });
    let c = scaling_curve(&s, &[2.0, 4.0, 8.0, 16.0], None, &|| {}).unwrap();
    assert_eq!(c.law, "floor");
    let floor = c.floor.unwrap();
    assert!((floor / (-4f64).exp() - 1.0).abs() < 1e-9, "{floor}");
    // Every DE point sits above the floor and falls toward it.
    for w in c.points.windows(2) {
        assert!(w[1].de_skill_error < w[0].de_skill_error);
        assert!(w[1].de_skill_error > floor);
    }
    assert!(c.predicted_exponent.is_none() && c.predicted_rate.unwrap() > 0.0);
    assert_eq!(c.fit_points + c.zero_points, c.points.len());
}

#[test]
fn zero_error_points_are_counted_not_dropped_silently() {
    let s = setup(Ensemble::SkillDriven {
        skills: 20_000,
        ratio: 1.0,
        skill_degrees: DegreeSpec::Fixed(3),
    });
    let ratios = [1.0, 1.2, 1.5, 2.0];
    let c = scaling_curve(&s, &ratios, None, &|| {}).unwrap();
    let zeros = c.points.iter().filter(|p| p.sim_skill_error == 0.0).count();
    assert!(zeros >= 1, "{:?}", c.points);
    assert_eq!(c.zero_points, zeros);
    assert_eq!(c.fit_points, ratios.len() - zeros);
    // Above the threshold R* = 1.2218 DE's error is exactly 0, not a residue.
    assert_eq!(c.points[3].de_skill_error, 0.0);
}

#[test]
fn zipf_reports_de_fit_beside_the_asymptotic_exponent() {
    let s = SimSetup {
        unknown_fraction: 0.5,
        ..setup(Ensemble::TextDriven {
            skills: 50_000,
            ratio: 1.0,
            text_degrees: DegreeSpec::Fixed(2),
            popularity: Popularity::Zipf(1.5),
        })
    };
    let c = scaling_curve(&s, &[1.0, 2.0, 4.0, 8.0], None, &|| {}).unwrap();
    let asym = c.predicted_exponent.unwrap();
    assert!((asym + 1.0 / 3.0).abs() < 1e-6, "{asym}");
    // At finite N the DE curve bends away from the asymptotic slope (the correction
    // decays like N^(1-s)); the fit over the same ratios is what simulation should
    // match.
    let de = c.de_fitted_exponent.unwrap();
    let sim = c.fitted_exponent.unwrap();
    assert!(
        (de - sim).abs() < (asym - sim).abs() + 0.02,
        "DE {de}, sim {sim}, asym {asym}"
    );
    assert!((de - sim).abs() < 0.05, "DE {de}, sim {sim}");
}
