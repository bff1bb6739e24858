//! The codebook: the learned skills shared by encoder and decoder, with counts.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The learned skills, most frequent first, with their training counts.
///
/// Index i is the code of skill i; the order is deterministic (count descending,
/// then the skill's bytes ascending), so the same training gives the same codes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(try_from = "CodebookEntries", into = "CodebookEntries")]
pub struct Codebook {
    skills: Vec<String>,
    counts: Vec<u64>,
    index: HashMap<String, u32>,
}

/// The serialized form of a [`Codebook`]: its entries, without the lookup table.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CodebookEntries {
    skills: Vec<String>,
    counts: Vec<u64>,
}

impl TryFrom<CodebookEntries> for Codebook {
    type Error = String;

    /// Refuses entries whose skill and count lists differ in length (a damaged or
    /// forged codebook is refused, never padded).
    fn try_from(e: CodebookEntries) -> Result<Self, String> {
        if e.counts.len() != e.skills.len() {
            return Err(format!(
                "the codebook lists {} skills but {} counts",
                e.skills.len(),
                e.counts.len()
            ));
        }
        Ok(Codebook::indexed(e.skills, e.counts))
    }
}

impl From<Codebook> for CodebookEntries {
    fn from(c: Codebook) -> Self {
        CodebookEntries {
            skills: c.skills,
            counts: c.counts,
        }
    }
}

impl PartialEq for Codebook {
    fn eq(&self, other: &Self) -> bool {
        self.skills == other.skills && self.counts == other.counts
    }
}

impl Eq for Codebook {}

impl Codebook {
    /// A codebook from (skill, count) pairs; duplicates are merged by adding counts.
    pub fn new(entries: impl IntoIterator<Item = (String, u64)>) -> Self {
        let mut merged: HashMap<String, u64> = HashMap::new();
        for (s, c) in entries {
            *merged.entry(s).or_insert(0) += c;
        }
        let mut list: Vec<(String, u64)> = merged.into_iter().collect();
        list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let (skills, counts) = list.into_iter().unzip();
        Codebook::indexed(skills, counts)
    }

    /// A codebook of equally long lists, with its lookup table.
    fn indexed(skills: Vec<String>, counts: Vec<u64>) -> Self {
        let index = skills
            .iter()
            .enumerate()
            .map(|(i, s)| (s.clone(), i as u32))
            .collect();
        Codebook {
            skills,
            counts,
            index,
        }
    }

    /// Number of skills.
    pub fn len(&self) -> usize {
        self.skills.len()
    }

    /// True when no skill was learned.
    pub fn is_empty(&self) -> bool {
        self.skills.is_empty()
    }

    /// The skill with code `i`.
    pub fn skill(&self, i: u32) -> Option<&str> {
        self.skills.get(i as usize).map(String::as_str)
    }

    /// The training count of the skill with code `i` (0 when out of range).
    pub fn count(&self, i: u32) -> u64 {
        self.counts.get(i as usize).copied().unwrap_or(0)
    }

    /// The code of `skill`, if it is in the codebook.
    pub fn code_of(&self, skill: &str) -> Option<u32> {
        self.index.get(skill).copied()
    }

    /// All skills, in code order.
    pub fn skills(&self) -> &[String] {
        &self.skills
    }

    /// All counts, in code order.
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_by_count_then_bytes_and_merges() {
        let c = Codebook::new([
            ("b".to_string(), 2),
            ("a".to_string(), 2),
            ("c".to_string(), 5),
            ("a".to_string(), 1),
        ]);
        assert_eq!(c.skills(), &["c", "a", "b"]);
        assert_eq!(c.counts(), &[5, 3, 2]);
        assert_eq!(c.code_of("b"), Some(2));
        assert_eq!(c.code_of("z"), None);
        assert_eq!(c.skill(1), Some("a"));
    }

    #[test]
    fn refuses_counts_that_do_not_match_the_skills() {
        let ok: Codebook =
            serde_json::from_value(serde_json::json!({"skills": ["a", "b"], "counts": [2, 1]}))
                .unwrap();
        assert_eq!(ok.counts(), &[2, 1]);
        for counts in [serde_json::json!([2]), serde_json::json!([2, 1, 0])] {
            let v = serde_json::json!({"skills": ["a", "b"], "counts": counts});
            let e = serde_json::from_value::<Codebook>(v)
                .unwrap_err()
                .to_string();
            assert!(e.contains("2 skills"), "{e}");
        }
    }
}
