//! Skill extractors: from a text to its skills, built on the `tokenizers` crate.
//!
//! Every kind normalizes the same way: NFKC, then lower case, then the typographic
//! apostrophe `’` becomes `'`. The word kinds then keep what a `Split`
//! pre-tokenizer finds with the pattern [`WORD_PATTERN`]: runs of Unicode letters,
//! marks and digits, joined by inner apostrophes (`don't` is one word, a quote
//! `'tis` or `dogs'` loses its outer apostrophe). Everything else (punctuation,
//! symbols, `_`, `-`, whitespace) separates words and is dropped; digits count as
//! words (`3.14` gives `3` and `14`). The word kinds use no model: their skills are
//! the pre-tokenizer's output (`words-nostop` then drops [`is_stop_word`]s).
//! `bpe:VOCAB` learns a BPE model (tokenizers' `BpeTrainer`, no unknown token:
//! characters never seen in training give no skill) over those same words, and its
//! skills are the BPE tokens. `tokenizer:FILE.json` runs any Hugging Face tokenizer
//! and takes its tokens (special tokens not added).
//!
//! An [`Extractor`] carries its pipeline as JSON, so a model file that holds it
//! extracts the same skills anywhere, without the original files.

use crate::text::stopwords::is_stop_word;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use tokenizers::models::TrainerWrapper;
use tokenizers::models::bpe::{BPE, BpeTrainer};
use tokenizers::normalizers::{Lowercase, NFKC, Replace, Sequence};
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::{
    NormalizedString, Normalizer, NormalizerWrapper, OffsetReferential, OffsetType,
    PreTokenizedString, PreTokenizer, PreTokenizerWrapper, SplitDelimiterBehavior, Tokenizer,
};

/// The regular expression (Oniguruma syntax) a word matches.
pub const WORD_PATTERN: &str = r"[\p{L}\p{M}\p{N}]+(?:'[\p{L}\p{M}\p{N}]+)*";

/// Largest BPE vocabulary accepted (catches typos such as `bpe:80000000`).
pub const MAX_BPE_VOCAB: usize = 1 << 22;

/// Version of the serialized [`Extractor`] layout.
const FORMAT_VERSION: u32 = 1;

/// Which extractor a user asked for (`--extractor SPEC`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtractorSpec {
    /// `words`: every word, lower-cased.
    Words,
    /// `words-nostop`: the words minus stop words.
    WordsNoStop,
    /// `bpe:VOCAB`: BPE tokens, the model trained on the corpus.
    Bpe {
        /// Target vocabulary size (alphabet included).
        vocab: usize,
    },
    /// `tokenizer:FILE.json`: tokens of a Hugging Face tokenizer file.
    TokenizerFile(PathBuf),
}

impl FromStr for ExtractorSpec {
    type Err = Error;

    fn from_str(spec: &str) -> Result<Self> {
        let s = spec.trim();
        let usage = "expected words, words-nostop, bpe:VOCAB or tokenizer:FILE.json";
        match s {
            "words" => return Ok(ExtractorSpec::Words),
            "words-nostop" => return Ok(ExtractorSpec::WordsNoStop),
            _ => {}
        }
        if let Some(v) = s.strip_prefix("bpe:") {
            let vocab: usize = v.trim().parse().map_err(|_| {
                Error::invalid(format!(
                    "extractor '{spec}': vocabulary size '{v}' is not a whole number"
                ))
            })?;
            if vocab == 0 || vocab > MAX_BPE_VOCAB {
                return Err(Error::invalid(format!(
                    "extractor '{spec}': the vocabulary size must be in 1..={MAX_BPE_VOCAB}"
                )));
            }
            return Ok(ExtractorSpec::Bpe { vocab });
        }
        if let Some(path) = s.strip_prefix("tokenizer:") {
            if path.is_empty() {
                return Err(Error::invalid(format!(
                    "extractor '{spec}': give the tokenizer file, as tokenizer:FILE.json"
                )));
            }
            return Ok(ExtractorSpec::TokenizerFile(PathBuf::from(path)));
        }
        Err(Error::invalid(format!(
            "unknown extractor '{spec}': {usage}"
        )))
    }
}

impl fmt::Display for ExtractorSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExtractorSpec::Words => f.write_str("words"),
            ExtractorSpec::WordsNoStop => f.write_str("words-nostop"),
            ExtractorSpec::Bpe { vocab } => write!(f, "bpe:{vocab}"),
            ExtractorSpec::TokenizerFile(p) => write!(f, "tokenizer:{}", p.display()),
        }
    }
}

/// The normalizer every kind uses: NFKC, lower case, `’` to `'`.
fn normalizer() -> Result<NormalizerWrapper> {
    let apostrophe = Replace::new("\u{2019}", "'")
        .map_err(|e| Error::invalid(format!("building the normalizer: {e}")))?;
    Ok(NormalizerWrapper::Sequence(Sequence::new(vec![
        NormalizerWrapper::NFKC(NFKC),
        NormalizerWrapper::Lowercase(Lowercase),
        NormalizerWrapper::Replace(apostrophe),
    ])))
}

/// The pre-tokenizer every kind of ours uses: keep [`WORD_PATTERN`] matches only.
fn pre_tokenizer() -> Result<PreTokenizerWrapper> {
    let split = Split::new(
        SplitPattern::Regex(WORD_PATTERN.to_string()),
        SplitDelimiterBehavior::Removed,
        true,
    )
    .map_err(|e| Error::invalid(format!("building the word pattern: {e}")))?;
    Ok(PreTokenizerWrapper::Split(split))
}

/// The word kinds' pipeline, as serialized.
#[derive(Clone, Serialize, Deserialize)]
struct WordPipeline {
    normalizer: NormalizerWrapper,
    pre_tokenizer: PreTokenizerWrapper,
}

impl WordPipeline {
    fn ours() -> Result<Self> {
        Ok(WordPipeline {
            normalizer: normalizer()?,
            pre_tokenizer: pre_tokenizer()?,
        })
    }

    /// Calls `f` on each word of `text`, in order.
    fn for_each_word(&self, text: &str, mut f: impl FnMut(&str)) -> Result<()> {
        let mut n = NormalizedString::from(text);
        self.normalizer
            .normalize(&mut n)
            .map_err(|e| Error::invalid(format!("normalizing a text: {e}")))?;
        let mut p = PreTokenizedString::from(n);
        self.pre_tokenizer
            .pre_tokenize(&mut p)
            .map_err(|e| Error::invalid(format!("splitting a text into words: {e}")))?;
        for (w, _, _) in p.get_splits(OffsetReferential::Normalized, OffsetType::None) {
            f(w);
        }
        Ok(())
    }
}

/// What runs when skills are extracted (rebuilt from the JSON on load).
#[derive(Clone)]
enum Engine {
    Words {
        pipeline: Arc<WordPipeline>,
        drop_stop_words: bool,
    },
    Tokens(Arc<Tokenizer>),
}

/// The serialized kind of an extractor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Kind {
    Words { drop_stop_words: bool },
    Tokens,
}

/// The serialized form: spec, kind, pipeline JSON.
#[derive(Serialize, Deserialize)]
struct ExtractorRepr {
    version: u32,
    spec: String,
    kind: Kind,
    json: String,
}

/// A ready skill extractor: text in, skills out. Cheap to clone, shareable
/// between threads, and serializable (it is saved inside the model file).
#[derive(Clone, Serialize, Deserialize)]
#[serde(into = "ExtractorRepr", try_from = "ExtractorRepr")]
pub struct Extractor {
    spec: String,
    kind: Kind,
    json: String,
    engine: Engine,
}

impl From<Extractor> for ExtractorRepr {
    fn from(e: Extractor) -> Self {
        ExtractorRepr {
            version: FORMAT_VERSION,
            spec: e.spec,
            kind: e.kind,
            json: e.json,
        }
    }
}

impl TryFrom<ExtractorRepr> for Extractor {
    type Error = Error;

    fn try_from(r: ExtractorRepr) -> Result<Self> {
        if r.version != FORMAT_VERSION {
            return Err(Error::corrupt(format!(
                "skill extractor format {} is not supported (this build reads {FORMAT_VERSION})",
                r.version
            )));
        }
        Extractor::from_parts(r.spec, r.kind, r.json)
    }
}

impl fmt::Debug for Extractor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Extractor")
            .field("spec", &self.spec)
            .field("kind", &self.kind)
            .field("json_bytes", &self.json.len())
            .finish()
    }
}

impl PartialEq for Extractor {
    fn eq(&self, other: &Self) -> bool {
        self.spec == other.spec && self.kind == other.kind && self.json == other.json
    }
}

impl Extractor {
    /// Rebuilds the engine from its JSON.
    fn from_parts(spec: String, kind: Kind, json: String) -> Result<Self> {
        let engine = match kind {
            Kind::Words { drop_stop_words } => {
                let pipeline: WordPipeline = serde_json::from_str(&json).map_err(|e| {
                    Error::corrupt(format!("skill extractor '{spec}': bad word pipeline: {e}"))
                })?;
                Engine::Words {
                    pipeline: Arc::new(pipeline),
                    drop_stop_words,
                }
            }
            Kind::Tokens => {
                let tok = Tokenizer::from_str(&json).map_err(|e| {
                    Error::corrupt(format!("skill extractor '{spec}': bad tokenizer: {e}"))
                })?;
                Engine::Tokens(Arc::new(tok))
            }
        };
        Ok(Extractor {
            spec,
            kind,
            json,
            engine,
        })
    }

    /// The word extractor: `words`, or `words-nostop` when `drop_stop_words`.
    pub fn words(drop_stop_words: bool) -> Result<Extractor> {
        let json = serde_json::to_string(&WordPipeline::ours()?)
            .map_err(|e| Error::invalid(format!("serializing the word pipeline: {e}")))?;
        let spec = if drop_stop_words {
            ExtractorSpec::WordsNoStop
        } else {
            ExtractorSpec::Words
        };
        Extractor::from_parts(spec.to_string(), Kind::Words { drop_stop_words }, json)
    }

    /// An extractor that needs no training: the word kinds, or a tokenizer file
    /// (read now and embedded). `bpe:` specs are refused: use [`Extractor::train`].
    pub fn from_spec_untrained(spec: &ExtractorSpec) -> Result<Extractor> {
        match spec {
            ExtractorSpec::Words => Extractor::words(false),
            ExtractorSpec::WordsNoStop => Extractor::words(true),
            ExtractorSpec::Bpe { .. } => Err(Error::invalid(format!(
                "extractor '{spec}' must be trained on texts first"
            ))),
            ExtractorSpec::TokenizerFile(path) => Extractor::tokenizer_file(spec, path),
        }
    }

    fn tokenizer_file(spec: &ExtractorSpec, path: &std::path::Path) -> Result<Extractor> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let tok = Tokenizer::from_str(&text).map_err(|e| {
            Error::invalid(format!(
                "{}: not a Hugging Face tokenizer.json ({e}); give a file saved by the tokenizers library",
                path.display()
            ))
        })?;
        tok.encode_fast("Probe text, 123.", false).map_err(|e| {
            Error::invalid(format!(
                "{}: the tokenizer cannot encode a plain sentence ({e})",
                path.display()
            ))
        })?;
        let json = tok
            .to_string(false)
            .map_err(|e| Error::invalid(format!("{}: cannot re-serialize: {e}", path.display())))?;
        Extractor::from_parts(spec.to_string(), Kind::Tokens, json)
    }

    /// Builds the extractor a spec names. `bpe:VOCAB` learns from `texts`
    /// (deterministic: the same texts give the same tokenizer); the other kinds
    /// ignore them.
    pub fn train(spec: &ExtractorSpec, texts: impl Iterator<Item = String>) -> Result<Extractor> {
        let ExtractorSpec::Bpe { vocab } = spec else {
            return Extractor::from_spec_untrained(spec);
        };
        let pipeline = WordPipeline::ours()?;
        let mut counts: HashMap<String, u64> = HashMap::new();
        for t in texts {
            pipeline.for_each_word(&t, |w| match counts.get_mut(w) {
                Some(c) => *c += 1,
                None => {
                    counts.insert(w.to_owned(), 1);
                }
            })?;
        }
        if counts.is_empty() {
            return Err(Error::invalid(format!(
                "extractor '{spec}': the training texts hold no word to learn from"
            )));
        }
        let mut counts: Vec<(String, u64)> = counts.into_iter().collect();
        counts.sort_unstable();
        // The trainer counts words in the sequences it is fed: feed each distinct
        // word repeated by its count, in chunks, instead of the texts again.
        const CHUNK: u64 = 4096;
        let sequences = counts.into_iter().flat_map(|(w, c)| {
            (0..c.div_ceil(CHUNK)).map(move |i| {
                let reps = CHUNK.min(c - i * CHUNK) as usize;
                let mut s = String::with_capacity(reps * (w.len() + 1));
                for _ in 0..reps {
                    s.push_str(&w);
                    s.push(' ');
                }
                s
            })
        });
        let mut tok = Tokenizer::new(BPE::default());
        tok.with_normalizer(Some(pipeline.normalizer.clone()));
        tok.with_pre_tokenizer(Some(pipeline.pre_tokenizer.clone()));
        let mut trainer = TrainerWrapper::BpeTrainer(
            BpeTrainer::builder()
                .vocab_size(*vocab)
                .min_frequency(0)
                .show_progress(false)
                .build(),
        );
        tok.train(&mut trainer, sequences)
            .map_err(|e| Error::invalid(format!("extractor '{spec}': BPE training failed: {e}")))?;
        let json = tok
            .to_string(false)
            .map_err(|e| Error::invalid(format!("extractor '{spec}': serializing: {e}")))?;
        Extractor::from_parts(spec.to_string(), Kind::Tokens, json)
    }

    /// The skills of `text` in order, repeats kept.
    pub fn skills(&self, text: &str) -> Vec<String> {
        // Our pipelines cannot fail on a valid &str; a foreign tokenizer that
        // cannot encode a text gives it no skills (see `try_skills`).
        self.try_skills(text).unwrap_or_default()
    }

    /// The skills of `text` in order, or why the tokenizer could not encode it.
    pub fn try_skills(&self, text: &str) -> Result<Vec<String>> {
        match &self.engine {
            Engine::Words {
                pipeline,
                drop_stop_words,
            } => {
                let mut out = Vec::new();
                pipeline.for_each_word(text, |w| {
                    if !(*drop_stop_words && is_stop_word(w)) {
                        out.push(w.to_owned());
                    }
                })?;
                Ok(out)
            }
            Engine::Tokens(tok) => {
                let enc = tok.encode_fast(text, false).map_err(|e| {
                    Error::invalid(format!("extractor '{}': encoding failed: {e}", self.spec))
                })?;
                Ok(enc.get_tokens().to_vec())
            }
        }
    }

    /// The skills of `text`, sorted and deduplicated.
    pub fn skill_set(&self, text: &str) -> Vec<String> {
        let mut s = self.skills(text);
        s.sort_unstable();
        s.dedup();
        s
    }

    /// The spec this extractor was built from, e.g. `words-nostop` or `bpe:4000`.
    pub fn spec(&self) -> String {
        self.spec.clone()
    }

    /// The embedded pipeline as JSON: `{normalizer, pre_tokenizer}` for the word
    /// kinds, a full Hugging Face `tokenizer.json` for the others.
    pub fn pipeline_json(&self) -> &str {
        &self.json
    }

    /// Number of distinct skills the extractor can produce, when bounded (the
    /// vocabulary of a tokenizer); `None` for the open-ended word kinds.
    pub fn vocab_size(&self) -> Option<usize> {
        match &self.engine {
            Engine::Words { .. } => None,
            Engine::Tokens(tok) => Some(tok.get_vocab_size(true)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_lowercase_drop_punctuation_keep_apostrophes_and_digits() {
        let e = Extractor::words(false).unwrap();
        assert_eq!(
            e.skills("Hello, WORLD! Don’t stop: 3.14 well-known_thing 'tis"),
            [
                "hello", "world", "don't", "stop", "3", "14", "well", "known", "thing", "tis"
            ]
        );
        assert_eq!(
            e.skills("Ÿ Straße ﬁne Ｆｕｌｌ"),
            ["ÿ", "straße", "fine", "full"]
        );
        assert_eq!(e.skills("  ...!?  "), Vec::<String>::new());
        assert_eq!(e.skills("日本語 καλημέρα"), ["日本語", "καλημέρα"]);
    }

    #[test]
    fn nostop_drops_stop_words_and_set_dedups() {
        let e = Extractor::words(true).unwrap();
        assert_eq!(e.skills("The cat and THE dog"), ["cat", "dog"]);
        assert_eq!(e.skill_set("dog cat the dog"), ["cat", "dog"]);
        assert_eq!(e.spec(), "words-nostop");
    }

    #[test]
    fn every_stop_word_is_one_word() {
        let e = Extractor::words(false).unwrap();
        for w in crate::text::STOP_WORDS {
            assert_eq!(e.skills(w), [*w]);
        }
    }

    #[test]
    fn spec_parsing_round_trips() {
        for s in ["words", "words-nostop", "bpe:300", "tokenizer:a/b.json"] {
            assert_eq!(s.parse::<ExtractorSpec>().unwrap().to_string(), s);
        }
        for bad in ["word", "bpe:", "bpe:0", "bpe:x", "tokenizer:", ""] {
            assert!(bad.parse::<ExtractorSpec>().is_err(), "{bad}");
        }
        let bpe: ExtractorSpec = "bpe:10".parse().unwrap();
        assert!(Extractor::from_spec_untrained(&bpe).is_err());
    }

    #[test]
    fn extractor_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Extractor>();
    }
}
