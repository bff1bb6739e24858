//! The trained model: the codebook of learned skills and its file format.
