//! IRSA random access: packets are users sent in several slots of a frame, decoded by
//! successive interference cancellation, which is [`crate::peel`] at capacity 1 with
//! slots as texts and packets as skills. Density evolution predicts the loss.

use crate::Result;
use crate::ensemble::{DegreeSpec, Ensemble};
use crate::graph::SkillTextGraph;
use crate::peel::{Learner, peel};
use crate::theory::{DeParams, density_evolution, ratio_threshold};

/// One frame: packets (skills) and the slots (texts) each was sent in.
pub fn frame(packets: usize, load: f64, degrees: &DegreeSpec, seed: u64) -> Result<SkillTextGraph> {
    Ensemble::SkillDriven {
        skills: packets,
        ratio: 1.0 / load,
        skill_degrees: degrees.clone(),
    }
    .sample(seed)
}

/// Successive interference cancellation: which packets the receiver recovers.
pub fn sic(frame: &SkillTextGraph) -> Vec<bool> {
    let sic = Learner::capacity(1).expect("capacity 1 is valid");
    peel(frame, &sic, None).learned
}

/// Fraction of packets lost in one seeded frame.
pub fn simulate_loss(packets: usize, load: f64, degrees: &DegreeSpec, seed: u64) -> Result<f64> {
    let g = frame(packets, load, degrees, seed)?;
    let rec = sic(&g);
    Ok(rec.iter().filter(|&&r| !r).count() as f64 / packets.max(1) as f64)
}

/// The packet loss rate density evolution predicts at `load` (infinite frames).
pub fn predicted_loss(load: f64, degrees: &DegreeSpec) -> f64 {
    let p = DeParams::skill_driven(degrees, 1.0 / load, Learner::capacity(1).expect("valid"));
    density_evolution(&p).unlearned
}

/// The load G* below which density evolution predicts no loss (`semzip threshold`).
pub fn threshold_load(degrees: &DegreeSpec) -> Option<f64> {
    let p = DeParams::skill_driven(degrees, 1.0, Learner::capacity(1).expect("valid"));
    ratio_threshold(&p, 1e-5).map(|t| t.load)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_three_loss_tracks_de_away_from_the_knee() {
        let d: DegreeSpec = "fixed:3".parse().unwrap();
        let g_star = threshold_load(&d).unwrap();
        assert!((g_star - 0.818).abs() < 0.01, "{g_star}");
        for load in [0.6, 0.95] {
            let sim = simulate_loss(10_000, load, &d, 5).unwrap();
            let de = predicted_loss(load, &d);
            assert!((sim - de).abs() < 0.02, "load {load}: sim {sim} de {de}");
        }
    }
}
