//! Fidelity against the original texts: skill recall (plain and weighted by
//! information), texts understood and bytes exactly recovered.

use crate::text::extract::Extractor;
use std::collections::{HashMap, HashSet};

/// The original texts and what a receiver must recover of each.
pub struct Reference {
    /// The texts as segmented.
    pub texts: Vec<String>,
    /// Each text's skill set (sorted).
    pub skills: Vec<Vec<String>>,
    /// Each skill's information, `-log2` of the share of texts holding it.
    pub weight: HashMap<String, f64>,
    /// Sum of skill counts over texts.
    pub total_skills: f64,
    /// Sum of skill weights over texts.
    pub total_weight: f64,
}

impl Reference {
    /// Extracts every text's skills with `extractor`.
    pub fn new(texts: Vec<String>, extractor: &Extractor) -> Reference {
        use rayon::prelude::*;
        let skills: Vec<Vec<String>> = texts.par_iter().map(|t| extractor.skill_set(t)).collect();
        let mut df: HashMap<String, u64> = HashMap::new();
        for set in &skills {
            for s in set {
                *df.entry(s.clone()).or_default() += 1;
            }
        }
        let n = texts.len().max(1) as f64;
        let weight: HashMap<String, f64> = df
            .into_iter()
            .map(|(s, c)| (s, -(c as f64 / n).log2()))
            .collect();
        let total_skills = skills.iter().map(Vec::len).sum::<usize>() as f64;
        let total_weight = skills
            .iter()
            .flatten()
            .map(|s| weight.get(s).copied().unwrap_or(0.0))
            .sum();
        Reference {
            texts,
            skills,
            weight,
            total_skills,
            total_weight,
        }
    }

    /// Score of text `i` when the receiver holds these skills for it.
    pub fn score_skills<'a>(&self, i: usize, got: impl IntoIterator<Item = &'a str>) -> Score {
        let got: HashSet<&str> = got.into_iter().collect();
        let mut sc = Score::default();
        let mut all = true;
        for s in &self.skills[i] {
            if got.contains(s.as_str()) {
                sc.recalled += 1.0;
                sc.weighted += self.weight.get(s).copied().unwrap_or(0.0);
            } else {
                all = false;
            }
        }
        if all {
            sc.understood = 1.0;
        }
        sc
    }

    /// Score of text `i` when the receiver holds `bytes` for it (exactly recovered
    /// or not: the skills are extracted again from what arrived).
    pub fn score_bytes(&self, i: usize, bytes: &[u8], extractor: &Extractor) -> Score {
        if bytes == self.texts[i].as_bytes() {
            let mut sc = self.full(i);
            sc.bytes = bytes.len() as f64;
            return sc;
        }
        let text = String::from_utf8_lossy(bytes);
        let got = extractor.skill_set(&text);
        self.score_skills(i, got.iter().map(String::as_str))
    }

    /// Score of text `i` fully understood (without bytes).
    pub fn full(&self, i: usize) -> Score {
        Score {
            recalled: self.skills[i].len() as f64,
            weighted: self.skills[i]
                .iter()
                .map(|s| self.weight.get(s).copied().unwrap_or(0.0))
                .sum(),
            understood: 1.0,
            bytes: 0.0,
        }
    }
}

/// What a receiver got of some texts, summed.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Score {
    /// Skills recovered (of the original skill sets).
    pub recalled: f64,
    /// Their information in bits.
    pub weighted: f64,
    /// Texts with all skills recovered.
    pub understood: f64,
    /// Bytes of texts recovered exactly.
    pub bytes: f64,
}

impl std::ops::AddAssign for Score {
    fn add_assign(&mut self, o: Score) {
        self.recalled += o.recalled;
        self.weighted += o.weighted;
        self.understood += o.understood;
        self.bytes += o.bytes;
    }
}

impl std::ops::Add for Score {
    type Output = Score;
    fn add(mut self, o: Score) -> Score {
        self += o;
        self
    }
}
