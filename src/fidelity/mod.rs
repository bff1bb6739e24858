//! Rate against meaning: fidelity measures that do not trust the codec's own skill
//! list, and (above the coders) the dial that trades skills for bits.
//!
//! - [`measures`]: skill precision/recall/F1, information-weighted recall, texts
//!   understood, order-aware scores, and scores from an independent extractor.

pub mod measures;

pub use measures::{
    IndependentScorer, IndependentScores, Information, SetScores, bleu, edit_distance,
    edit_similarity, set_scores,
};
