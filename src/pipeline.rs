//! Pipelines that span layers: encoding a file with a model trained on it.
//!
//! This module sits above both [`crate::codec`] and [`crate::train`], so that the
//! codec knows the model it codes with but not how that model was trained.

use crate::codec::{EncodeOptions, EncodeStats, FileModel, Level};
use crate::model::Model;
use crate::peel::Learner;
use crate::text::extract::ExtractorSpec;
use crate::text::segment::{DEFAULT_MAX_TEXT_BYTES, Segmentation, Segmenter};
use crate::train::{TrainOptions, train_texts};
use crate::{Error, Result};
use std::io::{Read, Write};

/// Default bytes of input a model is trained on when encoding without a shared model.
pub const DEFAULT_TRAIN_BYTES: usize = 32 << 20;

/// Capacity of the learner that trains an embedded model. Higher than `semzip
/// train`'s default: the embedded codebook only has to code this one input, and a
/// skill escaped literally costs more than its codebook entry (asyoulik.txt at the set
/// level: capacity 4 gives 18200 bytes, 8 gives 17672, 16 gives 17148).
pub const SELF_TRAIN_CAPACITY: u32 = 16;

/// How a self-contained file's embedded model is trained.
#[derive(Debug, Clone)]
pub struct EmbedOptions {
    /// Train on (at most) this prefix of the input.
    pub train_bytes: usize,
    /// The learner that trains the embedded model.
    pub learner: Learner,
}

impl Default for EmbedOptions {
    fn default() -> Self {
        EmbedOptions {
            train_bytes: DEFAULT_TRAIN_BYTES,
            learner: Learner::capacity(SELF_TRAIN_CAPACITY)
                .expect("the self-training capacity is at least 1"),
        }
    }
}

/// Encodes `input` into a `.sz` stream: with a shared `model`, the file names its
/// fingerprint; without, the exact level uses the built-in model
/// ([`FileModel::builtin`], nothing in the header) and the lossy levels train a model
/// on the first `embed.train_bytes` of the input and embed it (memory is then
/// bounded by that prefix).
pub fn encode<W: Write + ?Sized>(
    input: impl Read,
    in_name: &str,
    output: &mut W,
    out_name: &str,
    model: Option<&Model>,
    opts: &EncodeOptions,
    embed: &EmbedOptions,
) -> Result<EncodeStats> {
    opts.validate()?;
    // The dial (lossy levels only), ranked by the shared model's counts or, below,
    // by the texts the embedded model is trained on.
    let mut opts = opts.clone();
    if !opts.level.is_lossy() || opts.dial.as_ref().is_some_and(|d| d.keeps_all()) {
        opts.dial = None;
    }
    let opts = &mut opts;
    match model {
        Some(m) => {
            if let Some(d) = &opts.dial
                && !d.is_ranked()
            {
                opts.dial = Some(d.ranked_by_model(m));
            }
            crate::codec::encode(
                input,
                in_name,
                output,
                out_name,
                &FileModel::shared(m),
                opts,
            )
        }
        // The exact level's context-mixing coder learns from the data itself, from
        // built-in priors: a trained model would only cost header bytes.
        None if opts.level == Level::Exact => crate::codec::encode(
            input,
            in_name,
            output,
            out_name,
            &FileModel::builtin(),
            opts,
        ),
        None => {
            let mut input = input;
            let mut prefix = Vec::new();
            (&mut input)
                .take(embed.train_bytes as u64)
                .read_to_end(&mut prefix)
                .map_err(|e| Error::io(in_name, e))?;
            let mut m = self_train(&prefix, opts, embed, in_name)?;
            if let Some(d) = &opts.dial {
                let (d, restricted) =
                    crate::fidelity::dial::for_embedded(d, &m, &prefix, opts.segmentation());
                m = restricted;
                opts.dial = Some(d);
            }
            // A layered file spells its skills in its base layer: it needs no
            // codebook, only the trained model to find and rank them.
            let fm = if opts.level == Level::Layered {
                FileModel::builtin_trained(&m)
            } else {
                FileModel::embed(&m)?
            };
            // The prefix read for training is replayed before the rest.
            let whole = std::io::Cursor::new(prefix).chain(input);
            crate::codec::encode(whole, in_name, output, out_name, &fm, opts)
        }
    }
}

/// Trains the model a self-contained file embeds, on a prefix of its input cut as
/// it will be coded.
///
/// The exact level keeps stop words as skills: its codebook only primes the word
/// model, and the most frequent words are the best primed (3-8% smaller files on
/// alice29, asyoulik and 8 MB of both). The lossy levels use the default extractor.
pub fn self_train(
    prefix: &[u8],
    opts: &EncodeOptions,
    embed: &EmbedOptions,
    name: &str,
) -> Result<Model> {
    let seg: Segmentation = opts.segmentation();
    let defaults = TrainOptions::default();
    let topts = TrainOptions {
        segmentation: seg,
        learner: embed.learner.clone(),
        holdout: 0.0,
        allow_empty: true,
        extractor: match opts.level {
            Level::Exact => ExtractorSpec::Words,
            _ => defaults.extractor.clone(),
        },
        ..defaults
    };
    // The exact level's context-mixing coder learns from the data itself: an
    // embedded codebook would only cost bytes (6 KB on alice29), so it gets none.
    let prefix = if opts.level == Level::Exact {
        &[][..]
    } else {
        prefix
    };
    let texts = Segmenter::new(prefix, seg, DEFAULT_MAX_TEXT_BYTES).filter_map(|t| t.ok());
    let (model, _) = train_texts(texts, vec![name.to_string()], &topts)?;
    Ok(model)
}
