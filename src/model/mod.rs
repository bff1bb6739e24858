//! The trained model: the codebook of learned skills and its file format.

pub mod codebook;

pub use codebook::Codebook;
