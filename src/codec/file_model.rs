//! Model resolution: the model a `.sz` file is coded with, from a shared model or
//! from the sections embedded in the header, ready for the payload coders.

use super::coder::{self, CoderContext, Skill};
use super::container::{EmbeddedModel, Header, ModelRef, TextsCode};
use crate::model::{Codebook, Model};
use crate::text::extract::Extractor;
use crate::text::segment::Segmentation;
use crate::{Error, Result};

/// The model a file is coded with, ready for the payload coders.
///
/// The codec does not train: a caller resolves the model first, shared
/// ([`FileModel::shared`]) or to embed ([`FileModel::embed`]; `crate::pipeline`
/// trains one on the input).
pub struct FileModel {
    /// The skill extractor (lossy levels, and fidelity measures).
    pub extractor: Extractor,
    /// The codebook.
    pub codebook: Codebook,
    /// Shared fingerprint, or the embedded sections' fingerprint.
    pub fingerprint: u64,
    /// True when the model travels inside the file.
    pub embedded: bool,
    sections: Option<EmbeddedModel>,
    ctx: CoderContext,
    builtin: bool,
}

impl FileModel {
    /// A shared model: files name it by its fingerprint.
    pub fn shared(model: &Model) -> FileModel {
        FileModel {
            extractor: model.extractor.clone(),
            codebook: model.codebook.clone(),
            fingerprint: model.fingerprint(),
            embedded: false,
            sections: None,
            ctx: CoderContext::new(&model.codebook, &model.associations).with_prime(&model.prime),
            builtin: false,
        }
    }

    /// A model to embed in the file: its extractor and codebook travel in the header.
    ///
    /// Associations are left out: they would cost about 15 header bytes a skill.
    pub fn embed(model: &Model) -> Result<FileModel> {
        let sections = EmbeddedModel {
            extractor: bincode::serde::encode_to_vec(&model.extractor, bincode::config::standard())
                .map_err(|e| Error::invalid(format!("cannot serialize the extractor: {e}")))?,
            codebook: coder::encode_codebook(&model.codebook),
            associations: Vec::new(),
        };
        Ok(FileModel {
            extractor: model.extractor.clone(),
            codebook: model.codebook.clone(),
            fingerprint: sections.fingerprint(),
            embedded: true,
            ctx: CoderContext::new(&model.codebook, &sections.associations),
            sections: Some(sections),
            builtin: false,
        })
    }

    /// No model (the exact level's self-contained files, format version 3): no
    /// codebook, the default words extractor, and the built-in priors
    /// ([`crate::model::builtin::BUILTIN_PRIME`]). The header carries nothing.
    pub fn builtin() -> FileModel {
        let codebook = Codebook::default();
        FileModel {
            extractor: Extractor::words(false).expect("the words extractor builds"),
            fingerprint: xxhash_rust::xxh3::xxh3_64(crate::model::builtin::BUILTIN_PRIME),
            embedded: true,
            sections: None,
            ctx: CoderContext::new(&codebook, &[]).with_prime(crate::model::builtin::BUILTIN_PRIME),
            codebook,
            builtin: true,
        }
    }

    /// A model trained on the input for a file that carries no model (layered files,
    /// format version 4): its extractor and codebook code the skills, while the
    /// header and the coders' priors are those of [`FileModel::builtin`].
    pub fn builtin_trained(model: &Model) -> FileModel {
        FileModel {
            extractor: model.extractor.clone(),
            codebook: model.codebook.clone(),
            ..FileModel::builtin()
        }
    }

    /// True when the header carries no model ([`FileModel::builtin`]).
    pub fn is_builtin(&self) -> bool {
        self.builtin
    }

    /// Decodes an embedded model's sections.
    pub fn from_embedded(e: &EmbeddedModel) -> Result<FileModel> {
        let (extractor, used): (Extractor, usize) =
            bincode::serde::decode_from_slice(&e.extractor, crate::model::bincode_decode_config())
                .map_err(|err| {
                    Error::corrupt(format!("the embedded extractor does not decode: {err}"))
                })?;
        if used != e.extractor.len() {
            return Err(Error::corrupt("the embedded extractor has trailing bytes"));
        }
        let codebook = coder::decode_codebook(&e.codebook)?;
        let n = codebook.len() as u64;
        if e.associations
            .iter()
            .any(|&(a, b, _)| a as u64 >= n || b as u64 >= n)
        {
            return Err(Error::corrupt(
                "the embedded associations name skills outside the codebook",
            ));
        }
        Ok(FileModel {
            ctx: CoderContext::new(&codebook, &e.associations),
            extractor,
            codebook,
            fingerprint: e.fingerprint(),
            embedded: true,
            sections: Some(e.clone()),
            builtin: false,
        })
    }

    /// What the header says about this model: its fingerprint, or its sections.
    pub fn model_ref(&self) -> ModelRef {
        if self.builtin {
            return ModelRef::Builtin;
        }
        match &self.sections {
            Some(s) => ModelRef::Embedded(s.clone()),
            None => ModelRef::Shared {
                fingerprint: self.fingerprint,
            },
        }
    }

    /// The coder context built from this model.
    pub fn context(&self) -> &CoderContext {
        &self.ctx
    }

    /// The text of a decoded skill (`None` for a code outside the codebook).
    pub fn render(&self, s: &Skill) -> Option<String> {
        match s {
            Skill::Known(c) => self.codebook.skill(*c).map(str::to_string),
            Skill::Literal(l) => Some(l.clone()),
        }
    }
}

/// Resolves the model of a file from its header and an optional shared model.
///
/// `name` names the file in errors.
pub fn resolve_model(header: &Header, shared: Option<&Model>, name: &str) -> Result<FileModel> {
    match &header.model {
        ModelRef::Builtin => Ok(FileModel::builtin()),
        ModelRef::Embedded(e) => {
            FileModel::from_embedded(e).map_err(|err| super::name_err(name, err))
        }
        ModelRef::Shared { fingerprint } => match shared {
            None => Err(Error::MissingModel {
                input: name.to_string(),
                fingerprint: format!("{fingerprint:016x}"),
            }),
            Some(m) => {
                let have = m.fingerprint();
                if have != *fingerprint {
                    return Err(Error::invalid(format!(
                        "{name} needs the model with fingerprint {fingerprint:016x}, but the model given has fingerprint {have:016x}: use the model it was encoded with"
                    )));
                }
                Ok(FileModel::shared(m))
            }
        },
    }
}

/// The header byte for a segmentation.
pub fn texts_code(s: Segmentation) -> TextsCode {
    TextsCode(match s {
        Segmentation::Lines => 0,
        Segmentation::Paragraphs => 1,
        Segmentation::Fortunes => 2,
    })
}

/// The segmentation of a header byte (checked by [`Header::read_from`]).
pub fn texts_of(c: TextsCode) -> Segmentation {
    match c.0 {
        1 => Segmentation::Paragraphs,
        2 => Segmentation::Fortunes,
        _ => Segmentation::Lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_codes_round_trip() {
        for s in [
            Segmentation::Lines,
            Segmentation::Paragraphs,
            Segmentation::Fortunes,
        ] {
            assert_eq!(texts_of(texts_code(s)), s);
        }
    }
}
