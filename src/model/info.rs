//! What `inspect` shows about a model file: its framing, fingerprint, extractor,
//! learner, codebook and training summary.

use super::Model;
use super::file as model_file;
use crate::{Error, Result};
use serde::Serialize;
use std::path::Path;

/// A description of a model file (the `--json` output of `inspect` on a model).
#[derive(Debug, Clone, Serialize)]
pub struct ModelInfo {
    /// Always `"model"`.
    pub kind: &'static str,
    /// The file inspected.
    pub file: String,
    /// File size in bytes.
    pub file_bytes: u64,
    /// Format version read from the file's header.
    pub format_version: u16,
    /// Fingerprint, 16 hex digits.
    pub fingerprint: String,
    /// Extractor spec.
    pub extractor: String,
    /// Learner spec.
    pub learner: String,
    /// Learner capacity.
    pub capacity: u32,
    /// Skills in the codebook.
    pub codebook_skills: u64,
    /// Associations stored.
    pub associations: u64,
    /// The most frequent learned skills with their training counts.
    pub top_skills: Vec<(String, u64)>,
    /// How the model was trained.
    pub training: super::TrainingSummary,
}

impl ModelInfo {
    /// Describes a model file's bytes; `name` names it; `top` bounds the skills listed.
    pub fn from_bytes(bytes: &[u8], name: &str, top: usize) -> Result<ModelInfo> {
        let header = model_file::read_header(bytes, name)?;
        let model = Model::from_bytes_named(bytes, name)?;
        let top = top.min(model.codebook.len());
        Ok(ModelInfo {
            kind: "model",
            file: name.to_string(),
            file_bytes: bytes.len() as u64,
            format_version: header.version,
            fingerprint: format!("{:016x}", model.fingerprint()),
            extractor: model.extractor.spec(),
            learner: model.learner.clone(),
            capacity: model.capacity,
            codebook_skills: model.codebook.len() as u64,
            associations: model.associations.len() as u64,
            top_skills: (0..top as u32)
                .map(|i| {
                    (
                        model.codebook.skill(i).unwrap_or_default().to_string(),
                        model.codebook.count(i),
                    )
                })
                .collect(),
            training: model.training,
        })
    }

    /// Describes the model file at `path`.
    pub fn from_path(path: &Path, top: usize) -> Result<ModelInfo> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        ModelInfo::from_bytes(&bytes, &path.display().to_string(), top)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Codebook;
    use crate::text::extract::Extractor;

    #[test]
    fn describes_a_model_and_refuses_a_damaged_one() {
        let m = Model {
            extractor: Extractor::words(true).unwrap(),
            codebook: Codebook::new([("ka".to_string(), 9), ("lo".to_string(), 4)]),
            capacity: 2,
            learner: "capacity:2".into(),
            training: Default::default(),
            associations: vec![(0, 1, 3)],
            prime: Vec::new(),
        };
        let bytes = m.to_bytes();
        let info = ModelInfo::from_bytes(&bytes, "m.szm", 1).unwrap();
        assert_eq!(info.file_bytes, bytes.len() as u64);
        assert_eq!(
            info.format_version,
            u16::from_le_bytes([bytes[8], bytes[9]])
        );
        assert_eq!(info.fingerprint, format!("{:016x}", m.fingerprint()));
        assert_eq!(info.top_skills, vec![("ka".to_string(), 9)]);
        assert_eq!((info.codebook_skills, info.associations), (2, 1));
        assert_eq!(info.extractor, m.extractor.spec());
        let mut bad = bytes.clone();
        let mid = bad.len() / 2;
        bad[mid] ^= 1;
        let e = ModelInfo::from_bytes(&bad, "m.szm", 1).unwrap_err();
        assert!(e.to_string().starts_with("m.szm"), "{e}");
    }
}
