//! Texts and skills: segmentation, skill extraction and the synthetic language.
//!
//! - [`segment`]: cuts a byte stream into texts (lines, paragraphs, fortunes),
//!   streaming, lossy on bad UTF-8, with counts of what it skipped or split;
//! - [`extract`]: turns a text into its skills (words, words without stop words,
//!   BPE subwords, or any Hugging Face `tokenizer.json`), built on `tokenizers`;
//! - [`stopwords`]: our list of English function words (glue, not skills);
//! - [`synth`]: a seeded synthetic language whose true skill sets are known.

pub mod extract;
pub mod segment;
pub mod stopwords;
pub mod synth;

pub use extract::{Extractor, ExtractorSpec};
pub use segment::{DEFAULT_MAX_TEXT_BYTES, SegmentStats, Segmentation, Segmenter};
pub use stopwords::{MEANING_WORDS, STOP_WORDS, is_stop_word};
pub use synth::{SynthCorpus, SynthSpec, skill_name, synthesize, write_synth};
