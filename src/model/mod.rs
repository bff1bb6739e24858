//! The trained model: the extractor, the codebook of learned skills, how it was
//! trained, and its file format (`docs/FORMAT.md`).

pub mod builtin;
pub mod codebook;
pub mod file;
pub mod info;

pub use codebook::Codebook;

use crate::text::extract::Extractor;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;
use xxhash_rust::xxh3::xxh3_64;

/// A trained model: everything encoder and decoder must share.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Model {
    /// The skill extractor the model was trained with (texts → skills).
    pub extractor: Extractor,
    /// The learned skills with their training counts (texts containing each).
    pub codebook: Codebook,
    /// The learner's capacity (largest number of novel skills a text can teach).
    pub capacity: u32,
    /// The learner as a spec (`capacity:C` or `probs:...`).
    pub learner: String,
    /// What the model was trained on and what came out.
    pub training: TrainingSummary,
    /// Strongest co-occurrences among learned skills, as (code a, code b, texts
    /// holding both) with a < b; at most [`MAX_ASSOCIATIONS_PER_SKILL`] per skill.
    pub associations: Vec<(u32, u32, u32)>,
    /// The exact level's priors: a sample of the training texts (at most
    /// `train::prime::PRIME_BYTES`, runs of consecutive texts spread over the
    /// corpus) that its context-mixing models learn from before every packet.
    pub prime: Vec<u8>,
}

/// Bound on the associations kept per skill, so the model stays small.
pub const MAX_ASSOCIATIONS_PER_SKILL: usize = 4;

/// What a model was trained on, kept in the model for `inspect` and reports.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingSummary {
    /// The corpus files, as given.
    pub corpora: Vec<String>,
    /// How the corpus was cut into texts (`lines`, `paragraphs`, `fortunes`).
    pub segmentation: String,
    /// The extractor spec (e.g. `words-nostop`).
    pub extractor: String,
    /// Bytes of corpus read.
    pub bytes: u64,
    /// Texts trained on (held-out texts excluded).
    pub texts: u64,
    /// Texts held out for testing.
    pub heldout_texts: u64,
    /// Distinct skills in the training texts (N).
    pub skills: u64,
    /// Skill-text edges of the training graph (E).
    pub edges: u64,
    /// Texts per skill, R = T / N.
    pub ratio: f64,
    /// Skills learned (the codebook size).
    pub learned: u64,
    /// Learned skills over distinct skills.
    pub learned_fraction: f64,
    /// Peeling rounds until nothing more could be learned.
    pub rounds: u64,
    /// Seed of the held-out split (and of a probabilistic learner).
    pub seed: u64,
    /// Fraction of texts held out.
    pub holdout: f64,
    /// The foundation model training started from, if any.
    pub foundation: Option<FoundationSummary>,
    /// The program that wrote the model (`semzip X.Y.Z`).
    pub created_by: String,
}

/// What a foundation model contributed to a training run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoundationSummary {
    /// Fingerprint of the foundation model.
    pub fingerprint: u64,
    /// Skills in the foundation's codebook.
    pub skills: u64,
    /// Foundation skills present in this corpus, known from the start (K0).
    pub known_from_foundation: u64,
    /// Skills learned here that would not have been learned without the foundation.
    pub extra_learned: u64,
}

fn bincode_config() -> bincode::config::Configuration {
    bincode::config::standard()
}

/// Most memory a model body may claim while decoding: a corrupt length prefix must
/// give an error, not an allocation of exabytes.
pub const MAX_DECODE_BYTES: usize = 1 << 30;

/// The decoding configuration: the canonical one with [`MAX_DECODE_BYTES`] as limit.
pub fn bincode_decode_config() -> bincode::config::Configuration<
    bincode::config::LittleEndian,
    bincode::config::Varint,
    bincode::config::Limit<MAX_DECODE_BYTES>,
> {
    bincode::config::standard().with_limit::<MAX_DECODE_BYTES>()
}

impl Model {
    /// The canonical uncompressed body: bincode 2 (standard config) of the model.
    pub fn encode_body(&self) -> Vec<u8> {
        // Serializing plain owned data into a Vec cannot fail.
        bincode::serde::encode_to_vec(self, bincode_config())
            .expect("a model always serializes to memory")
    }

    /// xxh3-64 of the uncompressed body: identifies the model whatever the zstd level.
    pub fn fingerprint(&self) -> u64 {
        xxh3_64(&self.encode_body())
    }

    /// The whole model file as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        file::frame(&self.encode_body()).expect("zstd compresses any buffer in memory")
    }

    /// Parses a model file held in memory (named "model" in errors).
    pub fn from_bytes(bytes: &[u8]) -> Result<Model> {
        Self::from_bytes_named(bytes, "model")
    }

    /// Parses a model file held in memory; `name` is how errors name it.
    pub fn from_bytes_named(bytes: &[u8], name: &str) -> Result<Model> {
        let body = file::unframe(bytes, name)?;
        let (model, used): (Model, usize) =
            bincode::serde::decode_from_slice(&body, bincode_decode_config())
                .map_err(|e| Error::corrupt(format!("{name}: model body does not decode: {e}")))?;
        if used != body.len() {
            return Err(Error::corrupt(format!(
                "{name}: {} stray bytes after the model body",
                body.len() - used
            )));
        }
        model.validate(name)?;
        Ok(model)
    }

    /// Writes the model to `path` (temporary file + rename); an existing file is
    /// replaced only when `force`.
    pub fn save(&self, path: impl AsRef<Path>, force: bool) -> Result<()> {
        file::write_atomic(path.as_ref(), &self.to_bytes(), force)
    }

    /// Reads and checks a model file.
    pub fn load(path: impl AsRef<Path>) -> Result<Model> {
        let path = path.as_ref();
        if path.is_dir() {
            return Err(Error::invalid(format!(
                "{}: is a directory, not a model file",
                path.display()
            )));
        }
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::from_bytes_named(&bytes, &path.display().to_string())
    }

    /// Checks the invariants a decoded model must hold.
    fn validate(&self, name: &str) -> Result<()> {
        let bad = |why: String| Err(Error::corrupt(format!("{name}: invalid model: {why}")));
        if self.capacity == 0 {
            return bad("learner capacity 0".into());
        }
        if self.codebook.counts().len() != self.codebook.len() {
            return bad("codebook counts do not match its skills".into());
        }
        let n = self.codebook.len() as u32;
        if let Some(i) = (0..n).find(|&i| {
            self.codebook
                .skill(i)
                .and_then(|s| self.codebook.code_of(s))
                != Some(i)
        }) {
            return bad(format!("codebook skill {i} is listed twice"));
        }
        if let Some(a) = self.associations.iter().find(|a| a.0 >= n || a.1 >= n) {
            return bad(format!(
                "association ({}, {}) refers to a skill outside the codebook of {n}",
                a.0, a.1
            ));
        }
        Ok(())
    }
}
