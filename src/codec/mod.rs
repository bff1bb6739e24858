//! The `.sz` container and its fidelity levels (set, sequence, exact).
pub mod coder;
