//! The `.sz` container and its fidelity levels (set, sequence, exact).
//!
//! Layers, bottom up: [`level`] (what survives), [`container`] (header, index,
//! trailer), [`packet`] (independent packets), [`stream`] (encoding and decoding
//! files in bounded memory), [`io`] (stdin/stdout and all-or-nothing outputs).

pub mod container;
pub mod io;
pub mod level;
pub mod packet;

pub use level::{Level, Unlearned};
