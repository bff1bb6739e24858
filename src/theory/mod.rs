//! The theory engine: density evolution, thresholds, scaling, percolation, hierarchy.
//!
//! - [`de`]: density evolution for every ensemble and learner (one code path);
//! - [`threshold`]: R*, δ*, emergence point, ratio for a target ε;
//! - [`law`]: test-error laws from DE and least-squares fits of measured points;
//! - [`percolation`]: the skill association graph, predicted and measured;
//! - [`hierarchy`]: foundation and fine-tuned models (two skill classes);
//! - [`classes`]: K skill classes and M text classes (vector DE);
//! - [`simulate`]: Monte Carlo trials (sample, peel, test on fresh texts);
//! - [`emergence`]: DE beside simulation over ratio sweeps (emergence, scaling);
//! - [`sweep`]: the one parser of ratio sweeps.

// emergence, simulate: theory-sim
pub mod class_file;
pub mod classes;
pub mod de;
pub mod emergence;
pub mod finite;
pub mod hierarchy;
pub(crate) mod kernel;
pub mod law;
pub mod percolation;
pub mod simulate;
pub mod sweep;
pub mod threshold;

pub use de::{DeParams, DeResult, SkillProfile, TextProfile, density_evolution};
pub use law::{
    ExponentialFit, Law, PowerLawFit, TestError, fit_exponential, fit_power_law, predicted_law,
    test_error_de,
};
pub use percolation::{
    AssociationStats, Percolation, measure_association, percolation_point, predicted_giant,
};
pub use threshold::{
    EmergencePoint, NoThreshold, Threshold, describe_reasons, emergence_point, no_threshold_reason,
    ratio_for_target, ratio_threshold, unknown_fraction_threshold,
};
