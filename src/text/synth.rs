//! The synthetic language (placeholder until the generator lands).
