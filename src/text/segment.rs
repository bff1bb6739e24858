//! Segmentation: cuts a byte stream into texts.
//!
//! Three ways to cut (see [`Segmentation`]). The [`Segmenter`] streams: it holds at
//! most one text (plus one read buffer), so memory is bounded by the longest text,
//! and texts longer than the limit are split at a whitespace boundary. Invalid UTF-8
//! never stops it: bad bytes become U+FFFD and are counted.

use crate::{Error, Result};
use serde::Serialize;
use std::collections::VecDeque;
use std::fmt;
use std::io::{BufRead, ErrorKind};
use std::path::PathBuf;
use std::str::FromStr;

/// Default longest text, in bytes (16 KiB, [`MAX_FITTING_TEXT_BYTES`]): longer ones
/// are split at whitespace, so a file without line breaks is still many texts.
pub const DEFAULT_MAX_TEXT_BYTES: usize = MAX_FITTING_TEXT_BYTES;

/// Smallest accepted text limit: room for a few UTF-8 characters.
const MIN_TEXT_BYTES: usize = 8;

/// How a corpus is cut into texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Segmentation {
    /// One text per line; `\n`, `\r\n` or a lone `\r` (old Mac files) ends a line.
    Lines,
    /// Texts separated by blank (whitespace-only) lines; inner line breaks kept as `\n`.
    Paragraphs,
    /// Fortune-file entries, separated by a line holding only `%`.
    Fortunes,
}

impl FromStr for Segmentation {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim() {
            "lines" => Ok(Segmentation::Lines),
            "paragraphs" => Ok(Segmentation::Paragraphs),
            "fortunes" => Ok(Segmentation::Fortunes),
            other => Err(Error::invalid(format!(
                "unknown text segmentation '{other}': expected lines, paragraphs or fortunes"
            ))),
        }
    }
}

impl fmt::Display for Segmentation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Segmentation::Lines => "lines",
            Segmentation::Paragraphs => "paragraphs",
            Segmentation::Fortunes => "fortunes",
        })
    }
}

/// What a [`Segmenter`] has seen so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SegmentStats {
    /// Texts produced.
    pub texts: u64,
    /// Empty or whitespace-only texts skipped.
    pub empty_skipped: u64,
    /// Invalid UTF-8 bytes replaced by U+FFFD.
    pub lossy_bytes: u64,
    /// Splits made in texts longer than the limit.
    pub long_split: u64,
    /// Input bytes read.
    pub bytes: u64,
}

/// How one read of the input ended.
enum Fragment {
    /// A whole line, its terminator (`\n`, `\r\n` or `\r`) included.
    Line,
    /// The read limit was reached inside a line.
    Partial,
    /// End of input (the fragment may still hold a last line without `\n`).
    Eof,
}

/// Streams texts out of a reader; an iterator of `Result<String>` (an I/O error
/// is yielded once, then the iteration ends).
pub struct Segmenter<R: BufRead> {
    reader: R,
    seg: Segmentation,
    max: usize,
    stats: SegmentStats,
    /// The text being built.
    cur: Vec<u8>,
    /// The fragment just read.
    frag: Vec<u8>,
    /// Whether the next fragment starts a new line.
    at_line_start: bool,
    ready: VecDeque<String>,
    done: bool,
    source: PathBuf,
}

/// Texts longer than this (in bytes) mean a segmentation does not fit the input: a
/// whole changelog cut as paragraphs or fortunes becomes one huge "text".
pub const MAX_FITTING_TEXT_BYTES: usize = 16 << 10;

/// The length in bytes of the longest text of the file at `path` cut by `seg`, or
/// `None` when it cannot be read (the caller's own open reports that).
pub fn longest_text(path: &std::path::Path, seg: Segmentation) -> Option<usize> {
    let texts = Segmenter::open(path, seg, usize::MAX / 4).ok()?;
    let mut longest = 0;
    for t in texts {
        longest = longest.max(t.ok()?.len());
    }
    Some(longest)
}

impl Segmenter<std::io::BufReader<std::fs::File>> {
    /// Opens a corpus file and segments it (I/O errors name the file).
    pub fn open(
        path: impl AsRef<std::path::Path>,
        seg: Segmentation,
        max_text_bytes: usize,
    ) -> Result<Self> {
        let path = path.as_ref();
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let reader = std::io::BufReader::with_capacity(1 << 16, file);
        Ok(Segmenter::new(reader, seg, max_text_bytes).with_source(path))
    }
}

impl<R: BufRead> Segmenter<R> {
    /// A segmenter over `reader`, cutting by `seg`, splitting texts longer than
    /// `max_text_bytes` input bytes (at least 8; smaller values are raised to 8).
    /// The limit counts input bytes: each invalid byte grows to the 3 bytes of
    /// U+FFFD in the text.
    pub fn new(reader: R, seg: Segmentation, max_text_bytes: usize) -> Self {
        Segmenter {
            reader,
            seg,
            max: max_text_bytes.clamp(MIN_TEXT_BYTES, usize::MAX / 2),
            stats: SegmentStats::default(),
            cur: Vec::new(),
            frag: Vec::new(),
            at_line_start: true,
            ready: VecDeque::new(),
            done: false,
            source: PathBuf::from("<input>"),
        }
    }

    /// Names the input in I/O error messages (a file path, or `-` for stdin).
    pub fn with_source(mut self, source: impl Into<PathBuf>) -> Self {
        self.source = source.into();
        self
    }

    /// Counts so far (complete once the iterator has returned `None`).
    pub fn stats(&self) -> &SegmentStats {
        &self.stats
    }

    /// Reads up to a line break, the limit, or the end of input into `self.frag`.
    fn read_fragment(&mut self) -> std::io::Result<Fragment> {
        self.frag.clear();
        let limit = self.max + 1;
        loop {
            let avail = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                return Ok(Fragment::Eof);
            }
            let room = limit - self.frag.len();
            let window = &avail[..avail.len().min(room)];
            if let Some(i) = window.iter().position(|&b| b == b'\n' || b == b'\r') {
                let cr = window[i] == b'\r';
                self.frag.extend_from_slice(&window[..=i]);
                self.reader.consume(i + 1);
                if cr {
                    self.take_lf_after_cr()?;
                }
                return Ok(Fragment::Line);
            }
            let n = window.len();
            self.frag.extend_from_slice(window);
            self.reader.consume(n);
            if self.frag.len() >= limit {
                return Ok(Fragment::Partial);
            }
        }
    }

    /// After a `\r`: a `\n` right behind it belongs to the same line break.
    fn take_lf_after_cr(&mut self) -> std::io::Result<()> {
        loop {
            match self.reader.fill_buf() {
                Ok(b) => {
                    if b.first() == Some(&b'\n') {
                        self.frag.push(b'\n');
                        self.reader.consume(1);
                    }
                    return Ok(());
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Decodes `bytes` (lossily) and queues it as a text unless it is blank.
    fn emit(&mut self, bytes: &[u8]) {
        let mut text = String::with_capacity(bytes.len());
        for chunk in bytes.utf8_chunks() {
            text.push_str(chunk.valid());
            if !chunk.invalid().is_empty() {
                self.stats.lossy_bytes += chunk.invalid().len() as u64;
                text.push(char::REPLACEMENT_CHARACTER);
            }
        }
        if text.trim().is_empty() {
            self.stats.empty_skipped += 1;
        } else {
            self.stats.texts += 1;
            self.ready.push_back(text);
        }
    }

    /// Ends the current text.
    fn finish(&mut self) {
        let cur = std::mem::take(&mut self.cur);
        self.emit(&cur);
        self.cur = cur;
        self.cur.clear();
    }

    /// Cuts pieces off the front of an over-long current text.
    fn split_long(&mut self) {
        while self.cur.len() > self.max {
            let max = self.max;
            // ASCII whitespace bytes never occur inside a multi-byte character.
            let ws = self.cur[1..=max]
                .iter()
                .rposition(|b| b.is_ascii_whitespace())
                .map(|i| i + 1);
            let (end, resume) = match ws {
                Some(i) => (i, i + 1),
                None => {
                    // No whitespace: cut before a character start.
                    let mut cut = max;
                    while cut > 0 && (self.cur[cut] & 0xC0) == 0x80 {
                        cut -= 1;
                    }
                    if cut == 0 {
                        cut = max;
                    }
                    (cut, cut)
                }
            };
            let head: Vec<u8> = self.cur[..end].to_vec();
            self.cur.drain(..resume);
            self.stats.long_split += 1;
            self.emit(&head);
        }
    }

    /// Whether a whole line (terminator stripped) separates texts.
    fn is_separator(&self, line: &[u8]) -> bool {
        match self.seg {
            Segmentation::Lines => false,
            Segmentation::Paragraphs => line.iter().all(|b| b.is_ascii_whitespace()),
            Segmentation::Fortunes => line == b"%",
        }
    }

    /// Adds the fragment in `self.frag` (its terminator stripped) to the text.
    fn take_fragment(&mut self, kind: Fragment) {
        self.stats.bytes += self.frag.len() as u64;
        let mut frag = std::mem::take(&mut self.frag);
        if matches!(kind, Fragment::Line) {
            if frag.last() == Some(&b'\n') {
                frag.pop();
            }
            if frag.last() == Some(&b'\r') {
                frag.pop();
            }
        }
        let starts_line = self.at_line_start;
        match self.seg {
            Segmentation::Lines => {
                self.cur.extend_from_slice(&frag);
                match kind {
                    Fragment::Line => {
                        self.split_long();
                        self.finish();
                    }
                    Fragment::Partial => self.split_long(),
                    Fragment::Eof => {
                        // Input ending in a newline leaves nothing: no empty text.
                        if !self.cur.is_empty() {
                            self.split_long();
                            self.finish();
                        }
                    }
                }
            }
            Segmentation::Paragraphs | Segmentation::Fortunes => {
                let ends_line = !matches!(kind, Fragment::Partial);
                let content: &[u8] = &frag;
                let at_eof = matches!(kind, Fragment::Eof);
                // Nothing after the last newline: not a line at all.
                let no_line = at_eof && starts_line && content.is_empty();
                if no_line {
                    // Nothing to add.
                } else if starts_line && ends_line && self.is_separator(content) {
                    // Blank runs between paragraphs are one separator; each `%` ends an entry.
                    if self.seg == Segmentation::Fortunes || !self.cur.is_empty() {
                        self.finish();
                    }
                } else {
                    if starts_line && !self.cur.is_empty() {
                        self.cur.push(b'\n');
                    }
                    self.cur.extend_from_slice(content);
                    self.split_long();
                }
                if at_eof && !self.cur.is_empty() {
                    self.finish();
                }
            }
        }
        self.at_line_start = !matches!(kind, Fragment::Partial);
        frag.clear();
        self.frag = frag;
    }
}

impl<R: BufRead> Iterator for Segmenter<R> {
    type Item = Result<String>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(t) = self.ready.pop_front() {
                return Some(Ok(t));
            }
            if self.done {
                return None;
            }
            match self.read_fragment() {
                Ok(kind) => {
                    if matches!(kind, Fragment::Eof) {
                        self.done = true;
                    }
                    self.take_fragment(kind);
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(Error::io(&self.source, e)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(input: &[u8], seg: Segmentation, max: usize) -> (Vec<String>, SegmentStats) {
        let mut s = Segmenter::new(input, seg, max);
        let texts: Vec<String> = s.by_ref().map(|t| t.unwrap()).collect();
        (texts, s.stats().clone())
    }

    #[test]
    fn lines_strip_crlf_and_keep_last_line() {
        let (t, st) = cut(b"one\r\ntwo\n\n  \nthree", Segmentation::Lines, 100);
        assert_eq!(t, ["one", "two", "three"]);
        assert_eq!(st.empty_skipped, 2);
        assert_eq!(st.texts, 3);
        assert_eq!(st.bytes, 18);
    }

    #[test]
    fn lone_cr_ends_a_line_and_crlf_split_across_reads_is_one_break() {
        let input = b"one\rtwo\r\rthree\r\nfour\r";
        let (t, st) = cut(input, Segmentation::Lines, 100);
        assert_eq!(t, ["one", "two", "three", "four"]);
        assert_eq!(st.empty_skipped, 1);
        assert_eq!(st.bytes, input.len() as u64);
        let (t, _) = cut(b"a b\rc\r\r\rd\r", Segmentation::Paragraphs, 100);
        assert_eq!(t, ["a b\nc", "d"]);
        // A reader that hands out one byte at a time puts `\r` and `\n` in separate reads.
        let input: &[u8] = b"x\r\ny\r\n\r\nz";
        let slow = std::io::BufReader::with_capacity(1, input);
        let mut s = Segmenter::new(slow, Segmentation::Lines, 100);
        let t: Vec<String> = s.by_ref().map(|t| t.unwrap()).collect();
        assert_eq!(t, ["x", "y", "z"]);
        assert_eq!(s.stats().empty_skipped, 1);
    }

    #[test]
    fn paragraphs_join_lines_and_merge_blank_runs() {
        let (t, st) = cut(b"a b\r\nc\n\n\n \nd\n", Segmentation::Paragraphs, 100);
        assert_eq!(t, ["a b\nc", "d"]);
        assert_eq!(st.empty_skipped, 0);
    }

    #[test]
    fn fortunes_split_on_percent_and_count_empty_entries() {
        let (t, st) = cut(b"A\n\nB\n%\n%\nC\n%\n", Segmentation::Fortunes, 100);
        assert_eq!(t, ["A\n\nB", "C"]);
        assert_eq!(st.empty_skipped, 1);
        // A `%` inside a line is text.
        let (t, _) = cut(b"50% off\n%\r\nx", Segmentation::Fortunes, 100);
        assert_eq!(t, ["50% off", "x"]);
    }

    #[test]
    fn invalid_utf8_is_replaced_and_counted() {
        let (t, st) = cut(b"ok\xff\xfe\nfine\n", Segmentation::Lines, 100);
        assert_eq!(t[0], "ok\u{fffd}\u{fffd}");
        assert_eq!(st.lossy_bytes, 2);
    }

    #[test]
    fn long_texts_split_at_whitespace_then_anywhere() {
        let (t, st) = cut(b"aaaa bbbb cccc dddd\n", Segmentation::Lines, 10);
        assert!(t.iter().all(|x| x.len() <= 10), "{t:?}");
        assert_eq!(t.join(" "), "aaaa bbbb cccc dddd");
        assert!(st.long_split >= 1);
        let long = "é".repeat(20);
        let (t, st) = cut(long.as_bytes(), Segmentation::Paragraphs, 9);
        assert_eq!(t.concat(), long);
        assert_eq!(st.lossy_bytes, 0);
        assert!(t.iter().all(|x| x.len() <= 9));
    }

    #[test]
    fn parses_names() {
        for s in ["lines", "paragraphs", "fortunes"] {
            assert_eq!(s.parse::<Segmentation>().unwrap().to_string(), s);
        }
        assert!("words".parse::<Segmentation>().is_err());
    }

    #[test]
    fn extreme_limits_are_clamped() {
        let (t, _) = cut(b"a b\nc", Segmentation::Lines, usize::MAX);
        assert_eq!(t, ["a b", "c"]);
        let (t, st) = cut(b"abcdefghij", Segmentation::Lines, 0);
        assert_eq!(t, ["abcdefgh", "ij"]);
        assert_eq!(st.long_split, 1);
    }
}
