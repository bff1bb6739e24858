//! The theory engine: density evolution, thresholds, scaling, percolation, hierarchy.

pub mod emergence;
pub mod simulate;
