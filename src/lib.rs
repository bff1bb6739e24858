//! semzip: a semantic compression codec and research tool.
//!
//! A learner reads a corpus and learns *skills* the way a peeling decoder recovers
//! erased bits: a text whose skills are all known but one teaches that one. The
//! crate is layered so that each layer can be read without the ones above it:
//!
//! - [`graph`]: the skill-text bipartite graph (CSR, both directions);
//! - [`peel`]: the one peeling engine (the learner, the ensembles' simulations and
//!   the IRSA channel decoder all use it);
//! - [`ensemble`]: degree specs and seeded random skill-text graphs;
//! - [`theory`]: density evolution, thresholds, scaling laws, percolation, hierarchy;
//! - [`text`]: segmentation, skill extraction and the synthetic language;
//! - [`train`]: from a corpus to a trained [`model`];
//! - [`model`]: the codebook and its file format;
//! - [`codec`]: the `.sz` container and its three fidelity levels;
//! - [`fidelity`]: fidelity measures and the rate-fidelity dial;
//! - [`pipeline`]: what spans layers (encoding with a model trained on the input);
//! - [`report`]: tables, JSON and SVG plots; [`progress`]: an observer for long calls;
//! - [`output`]: outputs that appear whole or not at all (the one atomic writer);
//! - [`bench`](mod@bench): rate against fidelity beside zstd, measured in one run;
//!
//! The command-line front end (`src/cli/`, parsing and printing only) belongs to the
//! `semzip` binary, not to this library.
#![deny(missing_docs)]

pub mod bench;
pub mod channel;
pub mod codec;
pub mod ensemble;
pub mod error;
pub mod fidelity;
pub mod graph;
pub mod model;
pub mod output;
pub mod peel;
pub mod pipeline;
pub mod progress;
pub mod report;
pub mod seed;
pub mod text;
pub mod theory;
pub mod train;

pub use error::{Error, Result};
