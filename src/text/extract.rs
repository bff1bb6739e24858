//! Skill extractors: from a text to its skills, built on the `tokenizers` crate.
//!
//! Every kind normalizes the same way: NFKC, then lower case, then the typographic
//! apostrophe `’` becomes `'`. The word kinds then keep what a `Split`
//! pre-tokenizer finds with the pattern [`WORD_PATTERN`]: runs of Unicode letters,
//! marks and digits, joined by inner apostrophes (`don't` is one word, a quote
//! `'tis` or `dogs'` loses its outer apostrophe). Everything else (punctuation,
//! symbols, `_`, `-`, whitespace) separates words and is dropped; digits count as
//! words (`3.14` gives `3` and `14`). The word kinds use no model: their skills are
//! the pre-tokenizer's output (`words-nostop` then drops the stop words of
//! [`STOP_WORDS`], a copy of which is saved with the extractor; negations and
//! the other [`MEANING_WORDS`](crate::text::MEANING_WORDS) are kept as skills).
//! `bpe:VOCAB` learns a BPE model (tokenizers' `BpeTrainer`, no unknown token:
//! characters never seen in training give no skill) over those same words, and its
//! skills are the BPE tokens. `tokenizer:FILE.json` runs any Hugging Face tokenizer
//! and takes its tokens (special tokens not added).
//!
//! An [`Extractor`] carries its pipeline as JSON, so a model file that holds it
//! extracts the same skills anywhere, without the original files.

use crate::text::stopwords::STOP_WORDS;
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
    Model, NormalizedString, Normalizer, NormalizerWrapper, OffsetReferential, OffsetType,
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
            "unrecognized extractor '{spec}': {usage}"
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
    /// Words dropped from the output, sorted (empty for `words`); saved so that a
    /// model keeps its extractor even if the built-in list changes.
    #[serde(default)]
    stop_words: Vec<String>,
    /// True when the normalizer is ours, whose effect on ASCII text is exactly
    /// ASCII lower-casing (NFKC leaves ASCII alone): a 40% faster path.
    #[serde(skip)]
    ascii_shortcut: bool,
}

impl WordPipeline {
    fn ours(drop_stop_words: bool) -> Result<Self> {
        let stop_words = if drop_stop_words {
            STOP_WORDS.iter().map(|w| w.to_string()).collect()
        } else {
            Vec::new()
        };
        Ok(WordPipeline {
            normalizer: normalizer()?,
            pre_tokenizer: pre_tokenizer()?,
            stop_words,
            ascii_shortcut: true,
        })
    }

    fn is_stop_word(&self, w: &str) -> bool {
        self.stop_words
            .binary_search_by(|s| s.as_str().cmp(w))
            .is_ok()
    }

    /// Restores what deserialization cannot: sorted stop words, the shortcut flag.
    fn check_shortcut(&mut self) -> Result<()> {
        self.stop_words.sort_unstable();
        self.stop_words.dedup();
        let json = |n: &NormalizerWrapper| serde_json::to_string(n).ok();
        let ours = json(&normalizer()?);
        self.ascii_shortcut = ours.is_some() && json(&self.normalizer) == ours;
        Ok(())
    }

    /// Calls `f` on each word of `text`, in order.
    fn for_each_word(&self, text: &str, mut f: impl FnMut(&str)) -> Result<()> {
        let n = if self.ascii_shortcut && text.is_ascii() {
            NormalizedString::from(text.to_ascii_lowercase())
        } else {
            let mut n = NormalizedString::from(text);
            self.normalizer
                .normalize(&mut n)
                .map_err(|e| Error::invalid(format!("normalizing a text: {e}")))?;
            n
        };
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
    Tokens {
        tok: Arc<Tokenizer>,
        /// Set when the tokenizer's normalizer and pre-tokenizer are ours (our BPE):
        /// its model then runs on our words directly, 3x faster than `encode`.
        words: Option<Arc<WordPipeline>>,
    },
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
                let mut pipeline: WordPipeline = serde_json::from_str(&json).map_err(|e| {
                    Error::corrupt(format!("skill extractor '{spec}': bad word pipeline: {e}"))
                })?;
                pipeline.check_shortcut()?;
                Engine::Words {
                    pipeline: Arc::new(pipeline),
                    drop_stop_words,
                }
            }
            Kind::Tokens => {
                let tok = Tokenizer::from_str(&json).map_err(|e| {
                    Error::corrupt(format!("skill extractor '{spec}': bad tokenizer: {e}"))
                })?;
                let words = Extractor::our_words_in(&tok)?.map(Arc::new);
                Engine::Tokens {
                    tok: Arc::new(tok),
                    words,
                }
            }
        };
        Ok(Extractor {
            spec,
            kind,
            json,
            engine,
        })
    }

    /// Our word pipeline when `tok` normalizes and pre-tokenizes exactly as ours
    /// and adds nothing after its model (no added tokens, truncation or padding).
    fn our_words_in(tok: &Tokenizer) -> Result<Option<WordPipeline>> {
        let ours = WordPipeline::ours(false)?;
        let same_norm = match tok.get_normalizer() {
            Some(n) => {
                serde_json::to_string(n).ok() == serde_json::to_string(&ours.normalizer).ok()
            }
            None => false,
        };
        let same_pre = match tok.get_pre_tokenizer() {
            Some(p) => {
                serde_json::to_string(p).ok() == serde_json::to_string(&ours.pre_tokenizer).ok()
            }
            None => false,
        };
        let plain = tok.get_added_tokens_decoder().is_empty()
            && tok.get_truncation().is_none()
            && tok.get_padding().is_none();
        Ok((same_norm && same_pre && plain).then_some(ours))
    }

    /// The word extractor: `words`, or `words-nostop` when `drop_stop_words`.
    pub fn words(drop_stop_words: bool) -> Result<Extractor> {
        let json = serde_json::to_string(&WordPipeline::ours(drop_stop_words)?)
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
        let pipeline = WordPipeline::ours(false)?;
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
                    if !(*drop_stop_words && pipeline.is_stop_word(w)) {
                        out.push(w.to_owned());
                    }
                })?;
                Ok(out)
            }
            Engine::Tokens {
                tok,
                words: Some(pipeline),
            } => {
                let model = tok.get_model();
                let mut out = Vec::new();
                let mut failed = None;
                pipeline.for_each_word(text, |w| match model.tokenize(w) {
                    Ok(tokens) => out.extend(tokens.into_iter().map(|t| t.value)),
                    Err(e) => failed = Some(e),
                })?;
                match failed {
                    None => Ok(out),
                    Some(e) => Err(Error::invalid(format!(
                        "extractor '{}': encoding failed: {e}",
                        self.spec
                    ))),
                }
            }
            Engine::Tokens { tok, words: None } => {
                let enc = tok.encode_fast(text, false).map_err(|e| {
                    Error::invalid(format!("extractor '{}': encoding failed: {e}", self.spec))
                })?;
                // `encode_fast` leaves token strings empty: map the ids back.
                Ok(enc
                    .get_ids()
                    .iter()
                    .filter_map(|&id| tok.id_to_token(id))
                    .collect())
            }
        }
    }

    /// The skills of many texts at once, in parallel (rayon), in input order.
    pub fn skills_many(&self, texts: &[String]) -> Vec<Vec<String>> {
        use rayon::prelude::*;
        texts.par_iter().map(|t| self.skills(t)).collect()
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
            Engine::Tokens { tok, .. } => Some(tok.get_vocab_size(true)),
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
        // The list travels with the extractor; `words` carries none.
        assert!(e.pipeline_json().contains("\"because\""));
        assert!(
            !Extractor::words(false)
                .unwrap()
                .pipeline_json()
                .contains("because")
        );
    }

    #[test]
    fn nostop_keeps_words_that_change_meaning() {
        let e = Extractor::words(true).unwrap();
        assert_eq!(
            e.skills("States should NOT allow patents, nor can't they, without a vote"),
            [
                "states", "not", "allow", "patents", "nor", "can't", "without", "vote"
            ]
        );
        for w in crate::text::MEANING_WORDS {
            assert_eq!(e.skills(w), [*w]);
        }
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
    fn ascii_shortcut_matches_the_full_normalizer() {
        let fast = WordPipeline::ours(false).unwrap();
        assert!(fast.ascii_shortcut);
        let mut slow = fast.clone();
        slow.ascii_shortcut = false;
        let words = |p: &WordPipeline, t: &str| {
            let mut v = Vec::new();
            p.for_each_word(t, |w| v.push(w.to_owned())).unwrap();
            v
        };
        let all_ascii: String = (0u8..128).map(char::from).collect();
        for t in [all_ascii.as_str(), "It's 42 O'Clock_NOW-ish", "A\tB\r\nC"] {
            assert_eq!(words(&fast, t), words(&slow, t), "{t:?}");
        }
        let e = Extractor::words(false).unwrap();
        let back: Extractor = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        let Engine::Words { pipeline, .. } = &back.engine else {
            panic!("kind changed")
        };
        assert!(pipeline.ascii_shortcut);
    }

    /// A small BPE extractor and the same tokenizer forced onto `encode`.
    fn bpe_pair() -> &'static (Extractor, Extractor) {
        static PAIR: std::sync::OnceLock<(Extractor, Extractor)> = std::sync::OnceLock::new();
        PAIR.get_or_init(|| {
            let texts = [
                "lower lowest newer newest wider widest ab ba",
                "ünï çé 42 17 isn’t",
            ];
            let e = Extractor::train(
                &ExtractorSpec::Bpe { vocab: 50 },
                texts.iter().map(|t| t.repeat(3)),
            )
            .unwrap();
            let Engine::Tokens { tok, .. } = &e.engine else {
                panic!("not a tokenizer")
            };
            let slow = Extractor {
                engine: Engine::Tokens {
                    tok: tok.clone(),
                    words: None,
                },
                ..e.clone()
            };
            (e, slow)
        })
    }

    proptest::proptest! {
        #[test]
        fn bpe_fast_path_agrees_on_random_text(t in "[a-zA-Z0-9 ,.'’üÜïçé-]{0,40}|\\PC{0,30}") {
            let (fast, slow) = bpe_pair();
            proptest::prop_assert_eq!(fast.try_skills(&t).unwrap(), slow.try_skills(&t).unwrap());
        }

        #[test]
        fn ascii_shortcut_agrees_on_random_ascii(t in "[ -~\t\n]{0,80}") {
            let fast = WordPipeline::ours(false).unwrap();
            let mut slow = fast.clone();
            slow.ascii_shortcut = false;
            let (mut a, mut b) = (Vec::new(), Vec::new());
            fast.for_each_word(&t, |w| a.push(w.to_owned())).unwrap();
            slow.for_each_word(&t, |w| b.push(w.to_owned())).unwrap();
            proptest::prop_assert_eq!(a, b);
        }
    }

    #[test]
    fn our_bpe_fast_path_matches_full_encoding() {
        let texts = [
            "lower lowest newer newest wider widest",
            "Ünïcode isn’t ＦＵＬＬ 42",
        ];
        let e = Extractor::train(
            &ExtractorSpec::Bpe { vocab: 40 },
            texts.iter().map(|t| t.repeat(3)),
        )
        .unwrap();
        let Engine::Tokens { tok, words } = &e.engine else {
            panic!("not a tokenizer")
        };
        assert!(words.is_some(), "our BPE should take the fast path");
        let slow = Extractor {
            engine: Engine::Tokens {
                tok: tok.clone(),
                words: None,
            },
            ..e.clone()
        };
        for t in texts
            .iter()
            .chain(&["x y z unseen ŵ", "", "the lowest, the newest!"])
        {
            assert_eq!(e.try_skills(t).unwrap(), slow.try_skills(t).unwrap(), "{t}");
        }
    }

    #[test]
    fn extractor_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Extractor>();
    }
}
