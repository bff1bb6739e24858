//! The synthetic semantic language: a seeded corpus whose true skill sets are known.
//!
//! Each text draws its degree k from the text degree distribution (at least 1: a
//! text with no skill would be an empty line, which segmentation skips), then k
//! distinct skills by popularity (skill 0 the most popular under Zipf), and writes
//! them as pseudo-words ([`skill_name`]) in a random order. With glue, zero to two
//! stop words go before each pseudo-word; the first letter is capitalized and a
//! full stop ends the text. Pseudo-words are never stop words, so the
//! `words-nostop` extractor recovers exactly the true skill set of every text.

use crate::ensemble::{DegreeSpec, MAX_NODES, Popularity, SeededRng, SkillPicker, seeded_rng};
use crate::text::stopwords::STOP_WORDS;
use crate::{Error, Result};
use rand::Rng;
use rand::seq::SliceRandom;
use std::io::Write;

/// Parameters of a synthetic corpus.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthSpec {
    /// Number of skills N (the vocabulary of pseudo-words).
    pub skills: usize,
    /// Number of texts T (lines).
    pub texts: usize,
    /// How each text picks its skills.
    pub popularity: Popularity,
    /// Degree distribution of the texts (skills per text).
    pub text_degrees: DegreeSpec,
    /// Seed of every random choice.
    pub seed: u64,
    /// Whether stop words are inserted between the pseudo-words.
    pub glue: bool,
}

/// A synthetic corpus held in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthCorpus {
    /// The texts, one per line (no newline).
    pub lines: Vec<String>,
    /// The true skill ids of each text, sorted.
    pub truth: Vec<Vec<u32>>,
    /// The pseudo-word of each skill (index = skill id).
    pub names: Vec<String>,
}

/// Most skills a Zipf-popular synthetic corpus may have (its weight table takes
/// 16 bytes a skill).
pub const MAX_ZIPF_SKILLS: usize = 1 << 26;

const CONSONANTS: &[u8] = b"bdfgklmnprstvz";
const VOWELS: &[u8] = b"aiou";
/// Number of syllables: each is one consonant and one vowel.
const SYLLABLES: u32 = (CONSONANTS.len() * VOWELS.len()) as u32;

/// The pseudo-word of skill `i`: its base-56 digits (at least two) as
/// consonant-vowel syllables, e.g. `baba`, `babi`, ... Unique (fixed-width
/// syllables), deterministic, and never a stop word (tested exhaustively).
pub fn skill_name(i: u32) -> String {
    let mut digits = Vec::with_capacity(6);
    let mut v = i;
    loop {
        digits.push(v % SYLLABLES);
        v /= SYLLABLES;
        if v == 0 {
            break;
        }
    }
    if digits.len() < 2 {
        digits.push(0);
    }
    let mut s = String::with_capacity(2 * digits.len());
    for &d in digits.iter().rev() {
        s.push(CONSONANTS[(d as usize) / VOWELS.len()] as char);
        s.push(VOWELS[(d as usize) % VOWELS.len()] as char);
    }
    s
}

/// Draws texts one at a time (the same sequence for the same spec).
struct Generator {
    rng: SeededRng,
    degrees: crate::ensemble::DegreeDistribution,
    /// The text-driven ensemble's own skill sampler.
    picker: SkillPicker,
    n: usize,
    glue: bool,
    order: Vec<u32>,
}

impl Generator {
    fn new(spec: &SynthSpec) -> Result<Self> {
        let n = spec.skills;
        if n == 0 || n > MAX_NODES {
            return Err(Error::invalid(format!(
                "synthetic corpus: the number of skills must be in 1..={MAX_NODES}, got {n}"
            )));
        }
        if spec.texts == 0 {
            return Err(Error::invalid(
                "synthetic corpus: the number of texts must be at least 1",
            ));
        }
        let degrees = spec.text_degrees.distribution();
        if spec.text_degrees.is_fixed_form() && degrees.max_degree() > n {
            return Err(Error::invalid(format!(
                "synthetic corpus: text degree {} needs at least that many skills, but there are {n}",
                degrees.max_degree()
            )));
        }
        if matches!(spec.popularity, Popularity::Zipf(_)) && n > MAX_ZIPF_SKILLS {
            return Err(Error::invalid(format!(
                "synthetic corpus: zipf popularity over {n} skills needs too much memory; \
                 use at most {MAX_ZIPF_SKILLS} skills, or uniform popularity"
            )));
        }
        let picker = SkillPicker::new(n, spec.popularity)
            .map_err(|e| Error::invalid(format!("synthetic corpus: {e}")))?;
        Ok(Generator {
            rng: seeded_rng(spec.seed),
            degrees,
            picker,
            n,
            glue: spec.glue,
            order: Vec::new(),
        })
    }

    /// Writes the next text into `line` and its sorted skill ids into `truth`.
    fn next_text(&mut self, line: &mut String, truth: &mut Vec<u32>) {
        let k = (self.degrees.sample(&mut self.rng) as usize).clamp(1, self.n);
        self.picker.pick(k, &mut self.rng, truth);
        self.order.clear();
        self.order.extend_from_slice(truth);
        self.order.shuffle(&mut self.rng);
        truth.sort_unstable();
        line.clear();
        let order = std::mem::take(&mut self.order);
        for &id in &order {
            if self.glue {
                for _ in 0..self.rng.random_range(0..3u32) {
                    let g = STOP_WORDS[self.rng.random_range(0..STOP_WORDS.len())];
                    push_word(line, g);
                }
            }
            push_word(line, &skill_name(id));
        }
        self.order = order;
        line.push('.');
    }
}

/// Appends a word, space-separated, capitalizing the line's first letter.
fn push_word(line: &mut String, w: &str) {
    if line.is_empty() {
        let mut cs = w.chars();
        if let Some(c) = cs.next() {
            line.extend(c.to_uppercase());
            line.push_str(cs.as_str());
        }
    } else {
        line.push(' ');
        line.push_str(w);
    }
}

/// Generates a whole synthetic corpus in memory (with all N names: for large
/// corpora or vocabularies stream with [`write_synth`]).
pub fn synthesize(spec: &SynthSpec) -> Result<SynthCorpus> {
    let mut g = Generator::new(spec)?;
    let mut lines = Vec::with_capacity(spec.texts);
    let mut truth = Vec::with_capacity(spec.texts);
    let mut line = String::new();
    let mut ids = Vec::new();
    for _ in 0..spec.texts {
        g.next_text(&mut line, &mut ids);
        lines.push(line.clone());
        truth.push(ids.clone());
    }
    let names = (0..spec.skills as u32).map(skill_name).collect();
    Ok(SynthCorpus {
        lines,
        truth,
        names,
    })
}

/// Streams a synthetic corpus: one text per line to `out`, and the true skill ids
/// of each text (sorted, space-separated, one line per text) to `truth_out`.
/// Memory stays O(N) whatever the number of texts. Give `std::io::sink()` as
/// `truth_out` to skip the truth. Same spec, same bytes.
pub fn write_synth(spec: &SynthSpec, out: impl Write, truth_out: impl Write) -> Result<()> {
    let mut g = Generator::new(spec)?;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    let mut truth_out = std::io::BufWriter::with_capacity(1 << 16, truth_out);
    let io = |e| Error::io("<synthetic corpus output>", e);
    let mut line = String::new();
    let mut ids = Vec::new();
    let mut tline = String::new();
    for _ in 0..spec.texts {
        g.next_text(&mut line, &mut ids);
        line.push('\n');
        out.write_all(line.as_bytes()).map_err(io)?;
        tline.clear();
        for (j, id) in ids.iter().enumerate() {
            if j > 0 {
                tline.push(' ');
            }
            tline.push_str(&id.to_string());
        }
        tline.push('\n');
        truth_out.write_all(tline.as_bytes()).map_err(io)?;
    }
    out.flush().map_err(io)?;
    truth_out.flush().map_err(io)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::stopwords::is_stop_word;

    /// Whether `w` has the shape of a pseudo-word: two or more syllables.
    fn could_be_a_name(w: &str) -> bool {
        let b = w.as_bytes();
        b.len() >= 4
            && b.len().is_multiple_of(2)
            && b.chunks(2)
                .all(|s| CONSONANTS.contains(&s[0]) && VOWELS.contains(&s[1]))
    }

    #[test]
    fn names_unique_and_never_stop_words() {
        // Exhaustive: no stop word has the shape of any pseudo-word.
        for w in STOP_WORDS {
            assert!(!could_be_a_name(w), "stop word {w} could be a skill name");
        }
        let mut seen = std::collections::HashSet::new();
        for i in (0..200_000u32).chain([u32::MAX - 1, u32::MAX]) {
            let n = skill_name(i);
            assert!(could_be_a_name(&n), "{n}");
            assert!(!is_stop_word(&n));
            assert!(seen.insert(n));
        }
        assert_eq!(skill_name(0), "baba");
        assert_eq!(skill_name(SYLLABLES).len(), 4);
        assert_eq!(skill_name(SYLLABLES * SYLLABLES).len(), 6);
    }

    fn spec(seed: u64, glue: bool) -> SynthSpec {
        SynthSpec {
            skills: 500,
            texts: 300,
            popularity: Popularity::Zipf(1.1),
            text_degrees: "poisson:4".parse().unwrap(),
            seed,
            glue,
        }
    }

    #[test]
    fn streamed_equals_in_memory_and_seed_matters() {
        let c = synthesize(&spec(3, true)).unwrap();
        let (mut out, mut truth) = (Vec::new(), Vec::new());
        write_synth(&spec(3, true), &mut out, &mut truth).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().collect::<Vec<_>>(), c.lines);
        let truth = String::from_utf8(truth).unwrap();
        for (t, ids) in truth.lines().zip(&c.truth) {
            let parsed: Vec<u32> = t.split(' ').map(|x| x.parse().unwrap()).collect();
            assert_eq!(&parsed, ids);
            assert!(!ids.is_empty() && ids.windows(2).all(|w| w[0] < w[1]));
        }
        assert_ne!(synthesize(&spec(4, true)).unwrap().lines, c.lines);
    }

    #[test]
    fn heavy_zipf_with_full_degree_terminates() {
        let s = SynthSpec {
            skills: 6,
            texts: 50,
            popularity: Popularity::Zipf(8.0),
            text_degrees: DegreeSpec::Fixed(6),
            seed: 1,
            glue: false,
        };
        let c = synthesize(&s).unwrap();
        assert!(c.truth.iter().all(|t| t == &[0, 1, 2, 3, 4, 5]));
    }

    #[test]
    fn large_degrees_and_vocabularies_stay_cheap() {
        let s = SynthSpec {
            skills: 2000,
            texts: 3,
            popularity: Popularity::Uniform,
            text_degrees: DegreeSpec::Fixed(2000),
            seed: 2,
            glue: false,
        };
        let c = synthesize(&s).unwrap();
        assert!(c.truth.iter().all(|t| t.len() == 2000 && t[1999] == 1999));
        let huge = SynthSpec {
            skills: 4_000_000_000,
            texts: 5,
            popularity: Popularity::Uniform,
            text_degrees: DegreeSpec::Fixed(3),
            seed: 2,
            glue: true,
        };
        let mut out = Vec::new();
        write_synth(&huge, &mut out, std::io::sink()).unwrap();
        assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 5);
        let zipf = SynthSpec {
            popularity: Popularity::Zipf(1.0),
            ..huge
        };
        assert!(write_synth(&zipf, std::io::sink(), std::io::sink()).is_err());
    }

    #[test]
    fn rejects_bad_specs() {
        let mut s = spec(1, true);
        s.skills = 0;
        assert!(synthesize(&s).is_err());
        let mut s = spec(1, true);
        s.texts = 0;
        assert!(synthesize(&s).is_err());
        let mut s = spec(1, true);
        s.skills = 3;
        s.text_degrees = DegreeSpec::Fixed(4);
        assert!(synthesize(&s).is_err());
    }
}
