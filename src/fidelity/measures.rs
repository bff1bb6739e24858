//! Fidelity measures: how much of a text's meaning a decoded text keeps.
//!
//! Every measure compares a *reference* (the skills an extractor finds in each
//! original text) with what was *decoded* (the skills found in, or decoded for, each
//! text), text by text, in text order. They take plain skill lists, so any
//! extractor can grade any output: the codec's own, or an independent one
//! ([`IndependentScorer`]) that the codec never saw. A text lost in transit is
//! scored as decoding to nothing (pass an empty list).
//!
//! Definitions (sums run over texts t; R_t and D_t are the reference and decoded
//! skill *sets* of text t, duplicates removed):
//!
//! - precision = Σ|R_t ∩ D_t| / Σ|D_t|, recall = Σ|R_t ∩ D_t| / Σ|R_t|, F1 their
//!   harmonic mean = 2 Σ|R_t ∩ D_t| / (Σ|R_t| + Σ|D_t|) (micro-averaged; 1 when
//!   both sides are empty);
//! - weighted recall = Σ_t Σ_{s ∈ R_t ∩ D_t} w(s) / Σ_t Σ_{s ∈ R_t} w(s), with the
//!   information of a skill w(s) = log2((N + 1) / (n(s) + 1)), where n(s) counts
//!   the texts of a reference corpus of N texts that hold s ([`Information`]): a
//!   skill in every text weighs 0, a rare one up to log2(N + 1). Losing
//!   "marmalade" costs more than losing "said";
//! - texts understood = share of texts with D_t = R_t;
//! - order (sequences): [`edit_similarity`], the mean over texts of
//!   1 - Levenshtein(r_t, d_t) / max(|r_t|, |d_t|) on skill sequences, and [`bleu`],
//!   corpus BLEU-4 (clipped n-gram precisions, geometric mean, brevity penalty).

use crate::text::extract::Extractor;
use crate::{Error, Result};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// One text as the measures read it: its skills in order (`Vec<String>`,
/// `&[&str]`, ...).
pub trait SkillText {
    /// The text's skills, in order, repeats kept.
    fn skills(&self) -> Vec<&str>;
}

impl<S: AsRef<str>> SkillText for [S] {
    fn skills(&self) -> Vec<&str> {
        self.iter().map(AsRef::as_ref).collect()
    }
}

impl<S: AsRef<str>> SkillText for Vec<S> {
    fn skills(&self) -> Vec<&str> {
        self.as_slice().skills()
    }
}

impl<S: AsRef<str>, const N: usize> SkillText for [S; N] {
    fn skills(&self) -> Vec<&str> {
        self.as_slice().skills()
    }
}

impl<T: SkillText + ?Sized> SkillText for &T {
    fn skills(&self) -> Vec<&str> {
        (**self).skills()
    }
}

/// Set-level scores of a decoded corpus against its reference.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SetScores {
    /// Share of decoded skills that are in the reference.
    pub precision: f64,
    /// Share of reference skills that were decoded.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Recall with each skill weighted by its information.
    pub weighted_recall: f64,
    /// Share of texts whose decoded skill set equals the reference set.
    pub texts_understood: f64,
}

/// The information of skills: log2((N + 1) / (n(s) + 1)) bits for a skill held by
/// n(s) of N texts (document frequency, add-one smoothed).
#[derive(Debug, Clone, Default)]
pub struct Information {
    texts: u64,
    df: HashMap<String, u64>,
}

impl Information {
    /// Counts, for each skill, how many of `texts` hold it (each text counted once).
    pub fn from_texts<T: SkillText>(texts: &[T]) -> Information {
        let mut df: HashMap<String, u64> = HashMap::new();
        for t in texts {
            let set: HashSet<&str> = t.skills().into_iter().collect();
            for s in set {
                *df.entry(s.to_owned()).or_insert(0) += 1;
            }
        }
        Information {
            texts: texts.len() as u64,
            df,
        }
    }

    /// From known document frequencies over `texts` texts (e.g. a model's training
    /// counts); a count above `texts` is taken as `texts`.
    pub fn from_counts(texts: u64, counts: impl IntoIterator<Item = (String, u64)>) -> Information {
        let df = counts.into_iter().map(|(s, c)| (s, c.min(texts))).collect();
        Information { texts, df }
    }

    /// Number of texts counted.
    pub fn texts(&self) -> u64 {
        self.texts
    }

    /// Texts holding `skill` (0 when never seen).
    pub fn count(&self, skill: &str) -> u64 {
        self.df.get(skill).copied().unwrap_or(0)
    }

    /// The information of `skill`, in bits (largest for a skill never seen).
    pub fn weight(&self, skill: &str) -> f64 {
        ((self.texts as f64 + 1.0) / (self.count(skill) as f64 + 1.0)).log2()
    }
}

fn check_len(reference: usize, decoded: usize) -> Result<()> {
    if reference != decoded {
        return Err(Error::corrupt(format!(
            "decoded {decoded} texts, the original has {reference}"
        )));
    }
    Ok(())
}

/// Precision, recall, F1, weighted recall and texts understood (see the module
/// docs), with skill weights from `info`. Fails if the text counts differ.
pub fn set_scores<R: SkillText, D: SkillText>(
    reference: &[R],
    decoded: &[D],
    info: &Information,
) -> Result<SetScores> {
    check_len(reference.len(), decoded.len())?;
    let (mut hits, mut nr, mut nd, mut same) = (0usize, 0usize, 0usize, 0usize);
    let (mut w_hit, mut w_all) = (0.0f64, 0.0f64);
    for (r, d) in reference.iter().zip(decoded) {
        let r: HashSet<&str> = r.skills().into_iter().collect();
        let d: HashSet<&str> = d.skills().into_iter().collect();
        let mut h = 0;
        for s in &r {
            let w = info.weight(s);
            w_all += w;
            if d.contains(s) {
                h += 1;
                w_hit += w;
            }
        }
        hits += h;
        nr += r.len();
        nd += d.len();
        if h == r.len() && d.len() == r.len() {
            same += 1;
        }
    }
    let ratio = |a: f64, b: f64| if b == 0.0 { 1.0 } else { a / b };
    Ok(SetScores {
        precision: ratio(hits as f64, nd as f64),
        recall: ratio(hits as f64, nr as f64),
        f1: ratio(2.0 * hits as f64, (nr + nd) as f64),
        weighted_recall: ratio(w_hit, w_all),
        texts_understood: ratio(same as f64, reference.len() as f64),
    })
}

/// Mean over texts of 1 - Levenshtein distance / longer length, on skill sequences
/// (1 for two empty texts, and for an empty corpus). Fails if the text counts differ.
pub fn edit_similarity<R: SkillText, D: SkillText>(reference: &[R], decoded: &[D]) -> Result<f64> {
    check_len(reference.len(), decoded.len())?;
    if reference.is_empty() {
        return Ok(1.0);
    }
    let total: f64 = reference
        .iter()
        .zip(decoded)
        .map(|(r, d)| {
            let (r, d) = (r.skills(), d.skills());
            let longer = r.len().max(d.len());
            if longer == 0 {
                1.0
            } else {
                1.0 - edit_distance(&r, &d) as f64 / longer as f64
            }
        })
        .sum();
    Ok(total / reference.len() as f64)
}

/// Levenshtein distance between two skill sequences.
pub fn edit_distance<A: SkillText + ?Sized, B: SkillText + ?Sized>(a: &A, b: &B) -> usize {
    let (a, b) = (a.skills(), b.skills());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, x) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, y) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(x != y);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Corpus BLEU-4 of the decoded sequences against the reference: the geometric mean
/// of the clipped n-gram precisions p_1..p_4 (summed over texts), times the
/// brevity penalty min(1, exp(1 - ref_len / dec_len)). 0 when some p_n is 0 or
/// nothing was decoded; 1 when both sides are empty.
pub fn bleu<R: SkillText, D: SkillText>(reference: &[R], decoded: &[D]) -> Result<f64> {
    check_len(reference.len(), decoded.len())?;
    const N: usize = 4;
    let (mut matched, mut total) = ([0u64; N], [0u64; N]);
    let (mut ref_len, mut dec_len) = (0u64, 0u64);
    for (r, d) in reference.iter().zip(decoded) {
        let (r, d) = (r.skills(), d.skills());
        ref_len += r.len() as u64;
        dec_len += d.len() as u64;
        for n in 1..=N {
            if d.len() < n {
                continue;
            }
            let mut ref_counts: HashMap<&[&str], u64> = HashMap::new();
            for g in r.windows(n) {
                *ref_counts.entry(g).or_insert(0) += 1;
            }
            for g in d.windows(n) {
                total[n - 1] += 1;
                if let Some(c) = ref_counts.get_mut(g)
                    && *c > 0
                {
                    *c -= 1;
                    matched[n - 1] += 1;
                }
            }
        }
    }
    if ref_len == 0 && dec_len == 0 {
        return Ok(1.0);
    }
    if dec_len == 0 {
        return Ok(0.0);
    }
    let mut log_sum = 0.0;
    for n in 0..N {
        // Orders longer than every decoded text have no n-grams: skip them
        // rather than call the text wrong (short texts would otherwise score 0).
        if total[n] == 0 {
            continue;
        }
        if matched[n] == 0 {
            return Ok(0.0);
        }
        log_sum += (matched[n] as f64 / total[n] as f64).ln();
    }
    let orders = total.iter().filter(|&&t| t > 0).count() as f64;
    let bp = (1.0 - ref_len as f64 / dec_len as f64).min(0.0).exp();
    Ok(bp * (log_sum / orders).exp())
}

/// Scores with an extractor the codec did not use (`--fidelity-extractor`): both
/// the original and the decoded output are read as text and re-extracted.
#[derive(Debug, Clone)]
pub struct IndependentScorer {
    extractor: Extractor,
}

/// What an [`IndependentScorer`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct IndependentScores {
    /// Skill F1 under the independent extractor.
    pub f1: f64,
    /// Weighted recall under the independent extractor, weights from the original.
    pub weighted_recall: f64,
    /// Normalized edit similarity of the independent extractor's sequences.
    pub edit_similarity: f64,
}

impl IndependentScorer {
    /// A scorer reading texts with `extractor`.
    pub fn new(extractor: Extractor) -> IndependentScorer {
        IndependentScorer { extractor }
    }

    /// The extractor's spec (e.g. `words`).
    pub fn spec(&self) -> String {
        self.extractor.spec()
    }

    /// Scores `decoded` (one rendered text per original text) against `original`.
    pub fn score<A: AsRef<str>, B: AsRef<str>>(
        &self,
        original: &[A],
        decoded: &[B],
    ) -> Result<IndependentScores> {
        check_len(original.len(), decoded.len())?;
        let r: Vec<Vec<String>> = original
            .iter()
            .map(|t| self.extractor.skills(t.as_ref()))
            .collect();
        let d: Vec<Vec<String>> = decoded
            .iter()
            .map(|t| self.extractor.skills(t.as_ref()))
            .collect();
        let info = Information::from_texts(&r);
        let s = set_scores(&r, &d, &info)?;
        Ok(IndependentScores {
            f1: s.f1,
            weighted_recall: s.weighted_recall,
            edit_similarity: edit_similarity(&r, &d)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn information_is_add_one_idf() {
        // 3 texts: "a" in all 3, "b" in 1, "c" in none.
        let info = Information::from_texts(&[v("a b b"), v("a"), v("a")]);
        assert_eq!(info.texts(), 3);
        assert_eq!(info.count("b"), 1); // counted once per text
        assert!(close(info.weight("a"), 0.0)); // log2(4/4)
        assert!(close(info.weight("b"), 1.0)); // log2(4/2)
        assert!(close(info.weight("c"), 2.0)); // log2(4/1)
        let from = Information::from_counts(3, [("a".to_string(), 9)]);
        assert!(close(from.weight("a"), 0.0)); // clamped to 3 texts
    }

    #[test]
    fn set_scores_hand_computed() {
        // Reference corpus: "cat sat mat", "cat not happy", "dog".
        // Decoded:          "cat mat",     "cat happy fish", "".
        // Sets: hits 2 + 2 + 0 = 4; |R| = 3 + 3 + 1 = 7; |D| = 2 + 3 + 0 = 5.
        // precision 4/5, recall 4/7, F1 = 8/12 = 2/3; no text exact: understood 0.
        // Information over the reference (N = 3, weights log2(4/(n+1))):
        //   cat n=2 -> log2(4/3); sat, mat, not, happy, dog n=1 -> 1 bit each.
        // Reference weight: text1 log2(4/3)+1+1, text2 log2(4/3)+1+1, text3 1
        //   = 5 + 2 log2(4/3); hit weight: cat+mat, cat+happy = 2 + 2 log2(4/3).
        let r = [v("cat sat mat"), v("cat not happy"), v("dog")];
        let d = [v("cat mat"), v("cat happy fish"), v("")];
        let info = Information::from_texts(&r);
        let s = set_scores(&r, &d, &info).unwrap();
        let l = (4.0f64 / 3.0).log2();
        assert!(close(s.precision, 4.0 / 5.0));
        assert!(close(s.recall, 4.0 / 7.0));
        assert!(close(s.f1, 2.0 / 3.0));
        assert!(close(s.weighted_recall, (2.0 + 2.0 * l) / (5.0 + 2.0 * l)));
        assert!(close(s.texts_understood, 0.0));
        // Losing the negation costs the text: "not" decoded -> understood.
        let d2 = [v("mat sat cat"), v("happy not cat cat"), v("dog")];
        let s2 = set_scores(&r, &d2, &info).unwrap();
        assert!(close(s2.f1, 1.0) && close(s2.texts_understood, 1.0));
        assert!(close(s2.weighted_recall, 1.0));
        assert!(set_scores(&r, &d[..2], &info).is_err());
    }

    #[test]
    fn weighted_recall_charges_rare_skills_more() {
        // Two texts "said marmalade", "said". Weights (N = 2): said log2(3/3) = 0,
        // marmalade log2(3/2). Losing marmalade: weighted recall 0/log2(3/2) = 0,
        // while plain recall is 2/3. Losing "said" instead: weighted recall 1.
        let r = [v("said marmalade"), v("said")];
        let info = Information::from_texts(&r);
        let lost_rare = set_scores(&r, &[v("said"), v("said")], &info).unwrap();
        assert!(close(lost_rare.recall, 2.0 / 3.0));
        assert!(close(lost_rare.weighted_recall, 0.0));
        let lost_common = set_scores(&r, &[v("marmalade"), v("")], &info).unwrap();
        assert!(close(lost_common.recall, 1.0 / 3.0));
        assert!(close(lost_common.weighted_recall, 1.0));
    }

    #[test]
    fn empty_sides() {
        let none: [Vec<String>; 0] = [];
        let info = Information::default();
        let s = set_scores(&none, &none, &info).unwrap();
        assert_eq!((s.f1, s.recall, s.texts_understood), (1.0, 1.0, 1.0));
        assert!(close(edit_similarity(&none, &none).unwrap(), 1.0));
        assert!(close(bleu(&none, &none).unwrap(), 1.0));
        assert!(close(bleu(&[v("a b")], &[v("")]).unwrap(), 0.0));
    }

    #[test]
    fn edit_distance_and_similarity_hand_computed() {
        assert_eq!(edit_distance(&v("a b c"), &v("a b c")), 0);
        assert_eq!(edit_distance(&v("a b c"), &v("a c")), 1);
        assert_eq!(edit_distance(&v("a b c"), &v("c b a")), 2);
        assert_eq!(edit_distance(&v(""), &v("x y")), 2);
        // "a b c d" vs "a b c": 1 deletion over 4 -> 0.75; two empties -> 1.
        let s = edit_similarity(&[v("a b c d"), v("")], &[v("a b c"), v("")]).unwrap();
        assert!(close(s, (0.75 + 1.0) / 2.0));
        // Order matters: the same set reversed, "not" moved.
        let s = edit_similarity(&[v("do not stop")], &[v("stop not do")]).unwrap();
        assert!(close(s, 1.0 - 2.0 / 3.0));
    }

    #[test]
    fn bleu_hand_computed() {
        // Reference "the cat sat on the mat" (6), decoded "the cat on the mat" (5).
        // 1-grams: the, cat, on, the, mat all in the reference (the x2): 5/5.
        // 2-grams: the-cat yes, cat-on no, on-the yes, the-mat yes: 3/4.
        // 3-grams: the-cat-on no, cat-on-the no, on-the-mat yes: 1/3.
        // 4-grams: the-cat-on-the no, cat-on-the-mat no: 0/2 -> BLEU 0.
        let r = [v("the cat sat on the mat")];
        assert!(close(bleu(&r, &[v("the cat on the mat")]).unwrap(), 0.0));
        // Decoded "the cat sat on the" (5): p1 5/5, p2 4/4, p3 3/3, p4 2/2; brevity
        // penalty exp(1 - 6/5).
        let b = bleu(&r, &[v("the cat sat on the")]).unwrap();
        assert!(close(b, (1.0f64 - 6.0 / 5.0).exp()));
        // Clipping: "the the the" against "the cat": p1 = 1/3, p2 0/2 -> 0; and
        // a 1-token text scores on unigrams only: "a" vs "a b": p1 1, bp exp(1 - 2).
        assert!(close(
            bleu(&[v("the cat")], &[v("the the the")]).unwrap(),
            0.0
        ));
        assert!(close(
            bleu(&[v("a b")], &[v("a")]).unwrap(),
            (-1.0f64).exp()
        ));
        assert!(close(bleu(&r, &r).unwrap(), 1.0));
    }

    #[test]
    fn independent_scorer_sees_dropped_function_words() {
        // The codec kept "states allow patents"; the `words` extractor also sees
        // "should" and "not". Original words: states should not allow patents (5);
        // decoded: states allow patents (3 hits). F1 = 2*3/(5+3) = 0.75.
        // One text, so every weight is log2(2/2) = 0: weighted recall falls back to 1
        // (no information at stake); edit similarity 1 - 2/5 = 0.6.
        let sc = IndependentScorer::new(Extractor::words(false).unwrap());
        let s = sc
            .score(
                &["States should NOT allow patents."],
                &["states allow patents"],
            )
            .unwrap();
        assert!(close(s.f1, 0.75));
        assert!(close(s.edit_similarity, 0.6));
        assert!(close(s.weighted_recall, 1.0));
        // Two texts: a second text "patents" makes every word of the first but
        // "patents" worth log2(3/2), and "patents" log2(3/3) = 0. Decoded first
        // text loses should and not: weighted recall (2 l) / (4 l) = 0.5.
        let s = sc
            .score(
                &["States should NOT allow patents.", "patents"],
                &["states allow patents", "patents"],
            )
            .unwrap();
        assert!(close(s.weighted_recall, 0.5));
        assert_eq!(sc.spec(), "words");
    }
}
