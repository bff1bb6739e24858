//! Rate against meaning: fidelity measures that do not trust the codec's own skill
//! list, and (above the coders) the dial that trades skills for bits.
//!
//! - [`measures`]: skill precision/recall/F1, information-weighted recall, texts
//!   understood, order-aware scores, and scores from an independent extractor;
//! - [`dial`]: which skills go first when fewer bits are wanted (`--keep`, `--bpc`);
//! - [`curve`]: the dial swept, beside lossy peers at the same rates (`bench --curve`).

pub mod curve;
pub mod dial;
pub mod measures;

pub use dial::{Dial, check_bpc, check_keep, keep_for_rate, kept_count};
pub use measures::{
    IndependentScorer, IndependentScores, Information, SetScores, bleu, edit_distance,
    edit_similarity, set_scores,
};
