//! The dial: keep a fraction of each text's skills, the most informative first.
//!
//! The rule (`encode --keep F`): a text with n distinct skills keeps the
//! k = floor(F·n + u) of them with the most information per bit, and drops the
//! others (at the sequence level, every occurrence of a dropped skill). A skill
//! held by c of N texts carries w = log2((N + 1) / (c + 1)) bits of information
//! ([`Information`]) and costs about w + 3 bits a use to code plus its spelling in
//! the codebook (about [`SPELL_BITS`] a byte), shared by its c uses. Its value is
//!
//! > v(s) = w / (w + 3 + SPELL_BITS · bytes(s) / max(c, 1))
//!
//! and the least valuable go first (ties by bytes): a skill in nearly every text
//! (w near 0, "said") first, and a long word used once, whose spelling costs more
//! than it tells, early too. Ranking by information alone (fewest texts kept
//! first) keeps exactly those costly one-off words, and loses to plain truncation
//! on a Debian changelog (0.05 less weighted recall at 0.6 bpc; see README). The
//! counts are the shared model's training counts (N its training texts), or, for
//! a self-contained file, those of the texts the embedded model is trained on.
//! The offset u in [0, 1) is fixed per text (a hash of its distinct skills,
//! [`text_offset`]): a dithered rounding, so that on average k = F·n even for
//! short texts (rounding half up, every 3-skill text would keep nothing below
//! F = 1/6 and one skill up to F = 1/2: the curve would move in steps). F = 1 keeps
//! everything; k never falls as F grows, and the ranking does not depend on F, so
//! the skills kept at a smaller F are a subset of those kept at a larger one.
//! `--bpc X` searches F ([`keep_for_rate`]).
//!
//! The dial works above the coders: it only decides which skills reach them, so
//! it needs no change to the `.sz` format.

use super::measures::Information;
use crate::model::{Codebook, Model};
use crate::{Error, Result};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// How much of each text's meaning to keep, and the information that ranks skills.
#[derive(Debug, Clone)]
pub struct Dial {
    keep: f64,
    /// None until ranked: the encoder ranks by its model (see the module docs).
    info: Option<Arc<Information>>,
}

/// Checks a `keep` fraction: it must lie in (0, 1].
pub fn check_keep(keep: f64) -> Result<f64> {
    if keep.is_finite() && keep > 0.0 && keep <= 1.0 {
        Ok(keep)
    } else {
        Err(Error::invalid(format!(
            "keep fraction {keep} is out of range: give a fraction in (0, 1], e.g. 0.5"
        )))
    }
}

/// Checks a target rate in bits per character: it must be positive and finite.
pub fn check_bpc(bpc: f64) -> Result<f64> {
    if bpc.is_finite() && bpc > 0.0 {
        Ok(bpc)
    } else {
        Err(Error::invalid(format!(
            "target rate {bpc} bpc is out of range: give a positive number of bits per character"
        )))
    }
}

/// Estimated bits per byte of a skill's spelling in the codebook (the value rule).
pub const SPELL_BITS: f64 = 4.0;

/// Information from a codebook's training counts (texts holding each skill) over
/// `texts` training texts (at least the largest count).
fn codebook_information(book: &Codebook, texts: u64) -> Information {
    let most = book.counts().iter().copied().max().unwrap_or(0);
    Information::from_counts(
        texts.max(most),
        book.skills()
            .iter()
            .cloned()
            .zip(book.counts().iter().copied()),
    )
}

/// How many of `n` distinct skills a text keeps at fraction `keep`, with the
/// text's rounding offset `u` in [0, 1): floor(keep·n + u), at most n.
pub fn kept_count(keep: f64, n: usize, u: f64) -> usize {
    ((keep * n as f64 + u).floor() as usize).min(n)
}

/// The rounding offset of a text, in [0, 1): from a hash of its distinct skills
/// (sorted), so the same text always rounds the same way.
pub fn text_offset<S: AsRef<str>>(distinct_sorted: &[S]) -> f64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for s in distinct_sorted {
        h.update(s.as_ref().as_bytes());
        h.update(&[0]);
    }
    (h.digest() >> 11) as f64 / (1u64 << 53) as f64
}

impl Dial {
    /// A dial at fraction `keep` (checked), ranking skills with `info`.
    pub fn new(keep: f64, info: Information) -> Result<Dial> {
        Ok(Dial {
            keep: check_keep(keep)?,
            info: Some(Arc::new(info)),
        })
    }

    /// A dial at fraction `keep` (checked) whose ranking the encoder supplies
    /// from its model ([`Dial::ranked`]).
    pub fn unranked(keep: f64) -> Result<Dial> {
        Ok(Dial {
            keep: check_keep(keep)?,
            info: None,
        })
    }

    /// True once the dial has its information table.
    pub fn is_ranked(&self) -> bool {
        self.info.is_some()
    }

    /// The same fraction, ranking skills with `info`.
    pub fn ranked(&self, info: Information) -> Dial {
        Dial {
            keep: self.keep,
            info: Some(Arc::new(info)),
        }
    }

    /// The same fraction, ranking skills by a model's training counts.
    pub fn ranked_by_model(&self, model: &Model) -> Dial {
        self.ranked(codebook_information(&model.codebook, model.training.texts))
    }

    /// The value of a skill: its information per estimated bit (module docs).
    pub fn value(&self, s: &str) -> f64 {
        let Some(info) = &self.info else {
            return 0.0;
        };
        let c = info.count(s);
        let w = info.weight(s);
        w / (w + 3.0 + SPELL_BITS * s.len() as f64 / c.max(1) as f64)
    }

    /// A dial ranking skills by a model's training counts.
    pub fn from_model(keep: f64, model: &Model) -> Result<Dial> {
        Dial::new(
            keep,
            codebook_information(&model.codebook, model.training.texts),
        )
    }

    /// The fraction kept.
    pub fn keep(&self) -> f64 {
        self.keep
    }

    /// True when the dial keeps every skill.
    pub fn keeps_all(&self) -> bool {
        self.keep >= 1.0
    }

    /// The skills of one text that the dial keeps, in their original order.
    pub fn apply(&self, skills: Vec<String>) -> Vec<String> {
        if self.keeps_all() || skills.is_empty() {
            return skills;
        }
        let mut distinct: Vec<&str> = skills.iter().map(String::as_str).collect();
        distinct.sort_unstable();
        distinct.dedup();
        let k = kept_count(self.keep, distinct.len(), text_offset(&distinct));
        if k == distinct.len() {
            return skills;
        }
        // Most valuable first, then bytes.
        let mut ranked: Vec<(f64, &str)> = distinct.iter().map(|s| (self.value(s), *s)).collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        let distinct: Vec<&str> = ranked.into_iter().map(|(_, s)| s).collect();
        let kept: HashSet<String> = distinct[..k].iter().map(|s| s.to_string()).collect();
        skills.into_iter().filter(|s| kept.contains(s)).collect()
    }

    /// The model a self-contained file embeds under this dial: the codebook
    /// keeps only the skills some training text still keeps, with their counts
    /// over the texts as filtered (`texts`: each training text's skills).
    pub fn restrict_model(&self, model: &Model, texts: &[Vec<String>]) -> Model {
        if self.keeps_all() {
            return model.clone();
        }
        let mut df: HashMap<String, u64> = HashMap::new();
        for t in texts {
            let mut kept = self.apply(t.clone());
            kept.sort_unstable();
            kept.dedup();
            for s in kept {
                if model.codebook.code_of(&s).is_some() {
                    *df.entry(s).or_insert(0) += 1;
                }
            }
        }
        let mut m = model.clone();
        // Skills kept only once stay in the codebook: escaping them instead costs
        // more (alice29, set level: 5258 against 4786 bytes at keep 0.1).
        m.codebook = Codebook::new(df);
        // Associations name codes of the old codebook.
        m.associations.clear();
        m
    }
}

/// The dial and model of a self-contained file: unless already ranked, the dial
/// ranks skills by the texts of `prefix` (cut by `seg`) that `model` was trained
/// on, and the model's codebook is restricted to what the dial keeps there.
pub fn for_embedded(
    dial: &Dial,
    model: &Model,
    prefix: &[u8],
    seg: crate::text::segment::Segmentation,
) -> (Dial, Model) {
    use crate::text::segment::{DEFAULT_MAX_TEXT_BYTES, Segmenter};
    let texts: Vec<Vec<String>> = Segmenter::new(prefix, seg, DEFAULT_MAX_TEXT_BYTES)
        .filter_map(|t| t.ok())
        .map(|t| model.extractor.skills(&t))
        .collect();
    let dial = if dial.is_ranked() {
        dial.clone()
    } else {
        dial.ranked(Information::from_texts(&texts))
    };
    let restricted = dial.restrict_model(model, &texts);
    (dial, restricted)
}

/// Result of a rate search: the largest fraction whose output meets the target.
#[derive(Debug, Clone)]
pub struct RateSearch<T> {
    /// The fraction kept.
    pub keep: f64,
    /// The rate reached, bits per character.
    pub bpc: f64,
    /// What the encoding at that fraction produced.
    pub output: T,
}

/// Finds the largest keep fraction whose encoding costs at most `target` bits per
/// character, by bisection (`steps` halvings below 1). `encode_at(keep)` returns
/// the rate and the output. Fails, naming the smallest rate reached, when even the
/// smallest fraction tried is above the target.
pub fn keep_for_rate<T>(
    target: f64,
    steps: u32,
    mut encode_at: impl FnMut(f64) -> Result<(f64, T)>,
) -> Result<RateSearch<T>> {
    check_bpc(target)?;
    let (bpc, out) = encode_at(1.0)?;
    if bpc <= target {
        return Ok(RateSearch {
            keep: 1.0,
            bpc,
            output: out,
        });
    }
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    let mut best: Option<RateSearch<T>> = None;
    let mut smallest = bpc;
    for _ in 0..steps.max(1) {
        let mid = (lo + hi) / 2.0;
        let (bpc, out) = encode_at(mid)?;
        smallest = smallest.min(bpc);
        if bpc <= target {
            lo = mid;
            best = Some(RateSearch {
                keep: mid,
                bpc,
                output: out,
            });
        } else {
            hi = mid;
        }
    }
    best.ok_or_else(|| {
        Error::invalid(format!(
            "target rate {target} bpc is below what the dial reaches ({smallest:.4} bpc at keep {hi}): give a larger rate"
        ))
    })
}

/// Bisection steps of a `--bpc` search (the fraction is found to 1/1024).
pub const RATE_STEPS: u32 = 10;

/// Encodes `data` at the largest keep fraction whose whole `.sz` output costs at
/// most `target` bits per input character (`encode --bpc`). `opts.dial` is
/// replaced at each step. Returns the search result with the file's bytes.
pub fn encode_at_rate(
    data: &[u8],
    name: &str,
    model: Option<&Model>,
    opts: &crate::codec::EncodeOptions,
    embed: &crate::pipeline::EmbedOptions,
    target: f64,
) -> Result<RateSearch<(Vec<u8>, crate::codec::EncodeStats)>> {
    check_bpc(target)?;
    if !opts.level.is_lossy() {
        return Err(Error::invalid(format!(
            "a target rate needs a lossy level (set or sequence), not {}",
            opts.level
        )));
    }
    keep_for_rate(target, RATE_STEPS, |keep| {
        let o = crate::codec::EncodeOptions {
            dial: Some(Dial::unranked(keep)?),
            ..opts.clone()
        };
        let mut out = Vec::new();
        let stats = crate::pipeline::encode(data, name, &mut out, "<memory>", model, &o, embed)?;
        Ok((stats.bpc, (out, stats)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn keep_and_rate_are_checked() {
        for bad in [0.0, -0.1, 1.01, f64::NAN, f64::INFINITY] {
            assert!(check_keep(bad).is_err(), "{bad}");
        }
        assert_eq!(check_keep(1.0).unwrap(), 1.0);
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(check_bpc(bad).is_err(), "{bad}");
        }
        let e = check_keep(2.0).unwrap_err();
        assert!(e.to_string().contains("(0, 1]") && !e.to_string().contains("--"));
    }

    #[test]
    fn kept_count_dithers_and_never_falls() {
        assert_eq!(kept_count(0.5, 1, 0.5), 1);
        assert_eq!(kept_count(0.4, 1, 0.5), 0);
        assert_eq!(kept_count(0.4, 1, 0.7), 1);
        assert_eq!(kept_count(0.5, 4, 0.0), 2);
        assert_eq!(kept_count(1.0, 7, 0.99), 7);
        for n in 0..30 {
            for u in [0.0, 0.3, 0.999] {
                let mut last = 0;
                for i in 1..=100 {
                    let k = kept_count(i as f64 / 100.0, n, u);
                    assert!(k >= last && k <= n);
                    last = k;
                }
                assert_eq!(last, n);
            }
        }
        // Offsets spread over [0, 1): 1000 one-skill texts at keep 0.3 keep about 300.
        let kept: usize = (0..1000)
            .map(|i| kept_count(0.3, 1, text_offset(&[format!("w{i}")])))
            .sum();
        assert!((250..350).contains(&kept), "{kept}");
        let u = text_offset(&["a", "b"]);
        assert!((0.0..1.0).contains(&u) && u == text_offset(&["a", "b"]));
    }

    #[test]
    fn drops_the_least_valuable_first_and_keeps_order() {
        // Texts: "said" in 3 of N = 3, "alice" in 2, "marmalade" and "not" in 1.
        // Values w / (w + 3 + 4 bytes / c), w = log2(4 / (c + 1)):
        //   said      w = 0                        -> 0
        //   alice     w = log2(4/3) = 0.415, cost 0.415 + 3 + 20/2 -> 0.0309
        //   not       w = 1, cost 1 + 3 + 12       -> 0.0625
        //   marmalade w = 1, cost 1 + 3 + 36       -> 0.025
        //   zebra (unseen) w = 2, cost 2 + 3 + 20  -> 0.08
        let corpus = [v("said alice"), v("said alice not"), v("said marmalade")];
        let info = Information::from_texts(&corpus);
        let half = Dial::new(0.5, info.clone()).unwrap();
        assert!((half.value("not") - 1.0 / 16.0).abs() < 1e-12);
        assert!((half.value("marmalade") - 1.0 / 40.0).abs() < 1e-12);
        assert_eq!(half.value("said"), 0.0);
        // 4 distinct skills, keep 2: not and alice, in text order.
        assert_eq!(
            half.apply(v("said not alice said marmalade")),
            v("not alice")
        );
        // 2 distinct, keep floor(1 + u) = 1.
        assert_eq!(half.apply(v("alice said")), v("alice"));
        assert_eq!(half.apply(v("alice not alice")), v("not"));
        assert_eq!(half.apply(v("said zebra")), v("zebra"));
        let all = Dial::new(1.0, info).unwrap();
        assert_eq!(all.apply(v("b a b")), v("b a b"));
    }

    #[test]
    fn restricted_codebook_holds_only_kept_skills() {
        let corpus = vec![v("said alice"), v("said alice not"), v("said marmalade")];
        let m = Model {
            extractor: crate::text::Extractor::words(false).unwrap(),
            codebook: Codebook::new(
                [("said", 3), ("alice", 2), ("not", 1), ("marmalade", 1)]
                    .map(|(s, c)| (s.to_string(), c)),
            ),
            capacity: 1,
            learner: String::new(),
            training: Default::default(),
            associations: vec![(0, 1, 2)],
            prime: Vec::new(),
        };
        let dial = Dial::from_model(0.5, &m).unwrap();
        // Kept per text: {alice} (1 of 2), {not, alice} (floor(1.5 + u) = 2 of 3
        // with this text's offset u), {marmalade} (1 of 2).
        assert!(text_offset(&["alice", "not", "said"]) >= 0.5);
        let r = dial.restrict_model(&m, &corpus);
        assert_eq!(r.codebook.skills(), &["alice", "marmalade", "not"]);
        assert_eq!(r.codebook.counts(), &[2, 1, 1]);
        assert!(r.associations.is_empty());
    }

    #[test]
    fn rate_search_finds_the_largest_fraction_under_the_target() {
        // A rate proportional to keep: 2 bpc at keep 1.
        let s = keep_for_rate(0.5, 10, |k| Ok((2.0 * k, k))).unwrap();
        assert!(s.bpc <= 0.5 && s.keep > 0.249 && s.keep <= 0.25);
        assert_eq!(s.output, s.keep);
        let s = keep_for_rate(3.0, 10, |k| Ok((2.0 * k, ()))).unwrap();
        assert_eq!(s.keep, 1.0);
        // A floor of 1 bpc cannot reach 0.5.
        assert!(keep_for_rate(0.5, 8, |k| Ok((1.0 + k, ()))).is_err());
        assert!(keep_for_rate(-1.0, 8, |k| Ok((k, ()))).is_err());
    }
}
