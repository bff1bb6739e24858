//! Lossless split of bytes into word tokens (maximal runs of Unicode letters and
//! digits) and separators (everything between), and the case of a word.

/// Byte length of the word character starting at `data[i]`, or 0 if it is not one.
#[inline]
fn word_char_len(data: &[u8], i: usize) -> usize {
    let b = data[i];
    if b < 0x80 {
        return usize::from(b.is_ascii_alphanumeric());
    }
    let w = match b {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return 0,
    };
    let Some(chunk) = data.get(i..i + w) else {
        return 0;
    };
    match std::str::from_utf8(chunk) {
        Ok(s) if s.chars().next().is_some_and(char::is_alphanumeric) => w,
        _ => 0,
    }
}

/// End of the word starting at `i` (== i when no word starts there).
pub fn word_end(data: &[u8], mut i: usize) -> usize {
    while i < data.len() {
        let w = word_char_len(data, i);
        if w == 0 {
            break;
        }
        i += w;
    }
    i
}

/// End of the separator starting at `i` (== i when a word starts there).
pub fn sep_end(data: &[u8], mut i: usize) -> usize {
    while i < data.len() && word_char_len(data, i) == 0 {
        i += 1;
    }
    i
}

/// How a word's bytes are rebuilt from its lower-cased form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Case {
    /// As is.
    Lower = 0,
    /// First character upper-cased.
    Capital = 1,
    /// Every character upper-cased.
    Upper = 2,
    /// Upper-cased where a per-character mask says so.
    Mask = 3,
    /// Not rebuildable from the lower-cased form: the bytes are spelled.
    Raw = 4,
}

/// Number of case classes.
pub const CASES: usize = 5;

impl Case {
    /// The class with index `i` (0..CASES).
    pub fn from_index(i: usize) -> Case {
        match i {
            0 => Case::Lower,
            1 => Case::Capital,
            2 => Case::Upper,
            3 => Case::Mask,
            _ => Case::Raw,
        }
    }
}

/// Lower-cases a word (fast path for ASCII).
pub fn lower(word: &str) -> String {
    if word.is_ascii() {
        word.to_ascii_lowercase()
    } else {
        word.to_lowercase()
    }
}

/// `low` with its first character upper-cased.
pub fn capitalize(low: &str) -> String {
    let mut c = low.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// `low` upper-cased where `mask[i]` is set for its i-th character.
pub fn apply_mask(low: &str, mask: &[bool]) -> String {
    let mut out = String::with_capacity(low.len());
    for (i, ch) in low.chars().enumerate() {
        if mask.get(i).copied().unwrap_or(false) {
            out.extend(ch.to_uppercase());
        } else {
            out.push(ch);
        }
    }
    out
}

/// The case class of `word` given its lower-cased form, and the mask for [`Case::Mask`].
pub fn case_of(word: &str, low: &str) -> (Case, Vec<bool>) {
    if word == low {
        return (Case::Lower, Vec::new());
    }
    if capitalize(low) == word {
        return (Case::Capital, Vec::new());
    }
    if low.to_uppercase() == word {
        return (Case::Upper, Vec::new());
    }
    if word.chars().count() == low.chars().count() {
        let mask: Vec<bool> = word.chars().zip(low.chars()).map(|(a, b)| a != b).collect();
        if apply_mask(low, &mask) == word {
            return (Case::Mask, mask);
        }
    }
    (Case::Raw, Vec::new())
}

/// A small class of a separator for contexts: what kind of break it makes.
pub fn sep_class(sep: &[u8]) -> usize {
    if sep.is_empty() {
        return 0;
    }
    let nl = sep.iter().filter(|&&b| b == b'\n').count();
    let last = sep
        .iter()
        .rev()
        .find(|&&b| b != b' ' && b != b'\n' && b != b'\r')
        .copied();
    let end = match last {
        None => 0,
        Some(b'.' | b'!' | b'?') => 1,
        Some(b',') => 2,
        Some(b';' | b':') => 3,
        Some(b'"' | b'\'' | b'`') => 4,
        Some(b'(' | b'[' | b'{') => 5,
        Some(b'-') => 6,
        Some(_) => 7,
    };
    // Was there a sentence end earlier in the separator (e.g. `." ` or `.) `)?
    let stop = sep.iter().any(|&b| matches!(b, b'.' | b'!' | b'?'));
    let base = end * 2 + usize::from(stop && end != 1);
    base * 3 + nl.min(2) + 1
}

/// Number of values [`sep_class`] can take.
pub const SEP_CLASSES: usize = 16 * 3 + 1;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_words_and_separators() {
        let d = "Hé, 42x! \u{00ff}".as_bytes();
        assert_eq!(word_end(d, 0), 3);
        assert_eq!(sep_end(d, 3), 5);
        assert_eq!(word_end(d, 5), 8);
        let bad = [b'a', 0xC3, b'b'];
        assert_eq!(word_end(&bad, 0), 1);
        assert_eq!(sep_end(&bad, 1), 2);
    }

    #[test]
    fn case_classes_rebuild_the_word() {
        for w in [
            "alice",
            "Alice",
            "ALICE",
            "McDonald",
            "ǅemal",
            "İstanbul",
            "ΣΑΣ",
        ] {
            let low = lower(w);
            let (c, m) = case_of(w, &low);
            let back = match c {
                Case::Lower => low.clone(),
                Case::Capital => capitalize(&low),
                Case::Upper => low.to_uppercase(),
                Case::Mask => apply_mask(&low, &m),
                Case::Raw => w.to_string(),
            };
            assert_eq!(back, w);
        }
        assert!(sep_class(b". ") < SEP_CLASSES && sep_class(b"-\n\n") < SEP_CLASSES);
    }
}
