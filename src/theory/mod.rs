//! The theory engine: density evolution, thresholds, scaling, percolation, hierarchy.
