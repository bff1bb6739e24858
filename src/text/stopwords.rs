//! Stop words: common English function words. In a text they are glue, not
//! skills: the `words-nostop` extractor drops them and the synthetic language
//! inserts them between skills. The list is our own (sorted, lower case, straight
//! apostrophes), written for this project.
//!
//! Function words that change what a text means are NOT stop words: they are kept
//! as skills ([`MEANING_WORDS`]: negations, `without`, the `n't` contractions).
//! Dropping them would decode "states should not allow patents" as "states allow
//! patents" and still score it perfect.

/// Function words kept as skills because they change meaning (negation and
/// exclusion), sorted; never in [`STOP_WORDS`].
pub const MEANING_WORDS: &[&str] = &[
    "ain't",
    "aren't",
    "can't",
    "cannot",
    "couldn't",
    "didn't",
    "doesn't",
    "don't",
    "hadn't",
    "hasn't",
    "haven't",
    "isn't",
    "mightn't",
    "mustn't",
    "neither",
    "never",
    "no",
    "nobody",
    "none",
    "nor",
    "not",
    "nothing",
    "nowhere",
    "shan't",
    "shouldn't",
    "wasn't",
    "weren't",
    "without",
    "won't",
    "wouldn't",
];

/// Our English stop words, sorted (byte order) so lookups can bisect.
pub const STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "almost",
    "also",
    "although",
    "always",
    "am",
    "among",
    "an",
    "and",
    "another",
    "any",
    "are",
    "around",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "either",
    "else",
    "enough",
    "even",
    "ever",
    "every",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "however",
    "i",
    "i'm",
    "if",
    "in",
    "into",
    "is",
    "it",
    "it's",
    "its",
    "itself",
    "just",
    "least",
    "less",
    "let's",
    "many",
    "may",
    "me",
    "might",
    "more",
    "most",
    "much",
    "must",
    "my",
    "myself",
    "now",
    "of",
    "off",
    "often",
    "on",
    "once",
    "only",
    "onto",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "perhaps",
    "quite",
    "rather",
    "same",
    "shall",
    "she",
    "should",
    "since",
    "so",
    "some",
    "such",
    "than",
    "that",
    "that's",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "there's",
    "these",
    "they",
    "this",
    "those",
    "though",
    "through",
    "thus",
    "to",
    "too",
    "toward",
    "under",
    "until",
    "up",
    "upon",
    "us",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "whether",
    "which",
    "while",
    "who",
    "whom",
    "whose",
    "why",
    "will",
    "with",
    "within",
    "would",
    "yet",
    "you",
    "you're",
    "your",
    "yours",
    "yourself",
];

/// True if `w` (already lower-cased, straight apostrophes) is a stop word.
pub fn is_stop_word(w: &str) -> bool {
    STOP_WORDS.binary_search(&w).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_unique_lowercase() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]), "not sorted");
        assert!(STOP_WORDS.len() >= 120 && STOP_WORDS.len() <= 220);
        for w in STOP_WORDS {
            assert!(
                w.chars().all(|c| c.is_ascii_lowercase() || c == '\''),
                "{w}"
            );
        }
    }

    #[test]
    fn meaning_words_are_never_stop_words() {
        assert!(MEANING_WORDS.windows(2).all(|w| w[0] < w[1]), "not sorted");
        for w in MEANING_WORDS {
            assert!(
                !is_stop_word(w),
                "{w} changes meaning: it must stay a skill"
            );
        }
        // Every n't contraction is a negation.
        assert!(STOP_WORDS.iter().all(|w| !w.ends_with("n't")));
    }

    #[test]
    fn lookup() {
        for w in STOP_WORDS {
            assert!(is_stop_word(w));
        }
        assert!(!is_stop_word("The"));
        assert!(!is_stop_word("skill"));
        assert!(!is_stop_word(""));
    }
}
