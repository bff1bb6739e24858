//! Zipf popularity: density evolution fed the sampler's inclusion probabilities and
//! the successive-sampling law of a rare skill's text-mates, against simulation
//! within 3 standard errors at s = 1.1, 1.5 and 2; the with-replacement mixture it
//! replaces fails the same check; uniform popularity is the old DE exactly.

use semzip::ensemble::{DegreeSpec, Ensemble, Popularity, zipf_weights};
use semzip::peel::Learner;
use semzip::theory::de::{DeParams, SkillProfile, TextProfile, density_evolution};
use semzip::theory::law::test_error_de;
use semzip::theory::simulate::{SimSetup, simulate_test_error};

const SKILLS: usize = 50_000;
const TRIALS: usize = 16;

fn setup(s: f64, degree: u32, capacity: u32) -> SimSetup {
    SimSetup {
        ensemble: Ensemble::TextDriven {
            skills: SKILLS,
            ratio: 2.0,
            text_degrees: DegreeSpec::Fixed(degree),
            popularity: Popularity::Zipf(s),
        },
        learner: Learner::capacity(capacity).unwrap(),
        unknown_fraction: 0.5,
        trials: TRIALS,
        seed: 7,
    }
}

/// The mixture density evolution used before: skill i's mean degree R N d w_i
/// (picks with replacement) and the edge-average binomial text side.
fn with_replacement(s: f64, degree: u32, capacity: u32, ratio: f64) -> DeParams {
    let gamma = DegreeSpec::Fixed(degree).distribution();
    DeParams {
        skills: SkillProfile::PoissonMixture(
            zipf_weights(SKILLS, s)
                .iter()
                .map(|w| degree as f64 * SKILLS as f64 * w)
                .collect(),
        ),
        texts: TextProfile::Degrees(gamma),
        ratio,
        learner: Learner::capacity(capacity).unwrap(),
        unknown_fraction: 0.5,
    }
}

#[test]
fn zipf_de_matches_simulation_within_three_standard_errors() {
    let mut old_misses = 0;
    for (s, degree, capacity) in [(1.1, 3, 2), (1.5, 3, 2), (2.0, 2, 1)] {
        let setup = setup(s, degree, capacity);
        let sim = simulate_test_error(&setup, &[2.0], None, &|| {}).unwrap();
        let point = &sim[0];
        let p = DeParams::from_ensemble(&setup.ensemble, setup.learner.clone())
            .with_unknown_fraction(0.5);
        let de = test_error_de(&p);
        let se = |std: f64| std / (TRIALS as f64).sqrt();
        let (skill_se, text_se) = (se(point.skill_error_std), se(point.text_error_std));
        assert!(skill_se > 0.0 && text_se > 0.0, "{point:?}");
        println!(
            "zipf:{s} fixed:{degree} capacity:{capacity}: skill error DE {:.4e} sim {:.4e} ± {:.1e}, \
             text error DE {:.4e} sim {:.4e} ± {:.1e}",
            de.skill_error, point.skill_error, skill_se, de.text_error, point.text_error, text_se
        );
        assert!(
            (de.skill_error - point.skill_error).abs() < 3.0 * skill_se,
            "zipf:{s}: skill error DE {} vs sim {} ± {skill_se}",
            de.skill_error,
            point.skill_error
        );
        assert!(
            (de.text_error - point.text_error).abs() < 3.0 * text_se,
            "zipf:{s}: text error DE {} vs sim {} ± {text_se}",
            de.text_error,
            point.text_error
        );
        let old = test_error_de(&with_replacement(s, degree, capacity, 2.0));
        if (old.skill_error - point.skill_error).abs() > 3.0 * skill_se {
            old_misses += 1;
        }
    }
    // The check has teeth: the with-replacement mixture misses at s = 1.5 and 2.
    assert!(
        old_misses >= 2,
        "the old mixture missed only {old_misses} times"
    );
}

#[test]
fn uniform_popularity_is_the_binomial_de_exactly() {
    let l = Learner::probabilistic(vec![1.0, 0.6, 0.3], 0).unwrap();
    for (spec, r) in [("fixed:3", 1.5), ("poisson:4", 0.8)] {
        let t: DegreeSpec = spec.parse().unwrap();
        let p = DeParams::text_driven(&t, Popularity::Uniform, SKILLS, r, l.clone())
            .with_unknown_fraction(0.7);
        let plain = DeParams {
            skills: SkillProfile::PoissonMixture(vec![t.mean()]),
            texts: TextProfile::Degrees(t.distribution()),
            ratio: r,
            learner: l.clone(),
            unknown_fraction: 0.7,
        };
        let (a, b) = (density_evolution(&p), density_evolution(&plain));
        assert_eq!(a.unlearned.to_bits(), b.unlearned.to_bits(), "{spec}");
        assert_eq!(a.trajectory, b.trajectory, "{spec}");
    }
}
