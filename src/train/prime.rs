//! The exact level's priors: a sample of the training texts, spread over the whole
//! corpus in runs of consecutive texts, that the context-mixing coder learns from
//! before each packet (see `codec::coder`).

/// Default size of the priming sample in bytes.
pub const PRIME_BYTES: usize = 128 * 1024;

/// What separated the texts of a segmentation in the corpus.
pub fn separator(s: crate::text::segment::Segmentation) -> &'static [u8] {
    use crate::text::segment::Segmentation;
    match s {
        Segmentation::Lines => b"\n",
        Segmentation::Paragraphs => b"\n\n",
        Segmentation::Fortunes => b"\n%\n",
    }
}

/// Bytes of consecutive texts kept together (the match model and high orders
/// learn from runs, not from scattered lines).
const BLOCK: usize = 4096;

/// Samples every `stride`-th block of consecutive texts, doubling the stride
/// whenever twice the budget is held, so the sample covers the corpus evenly
/// whatever its size (deterministic).
pub struct PrimeSampler {
    cap: usize,
    sep: &'static [u8],
    stride: u64,
    block_index: u64,
    current: Vec<u8>,
    kept: Vec<(u64, Vec<u8>)>,
    held: usize,
    block_bytes: usize,
}

impl PrimeSampler {
    /// A sampler for a sample of at most `cap` bytes; `sep` is what separated the
    /// texts in the corpus (restored between them).
    pub fn new(cap: usize, sep: &'static [u8]) -> Self {
        PrimeSampler {
            cap,
            sep,
            stride: 1,
            block_index: 0,
            current: Vec::new(),
            kept: Vec::new(),
            held: 0,
            block_bytes: 0,
        }
    }

    /// Offers the next training text.
    pub fn push(&mut self, text: &str) {
        if self.cap == 0 {
            return;
        }
        if self.block_index.is_multiple_of(self.stride) {
            self.current.extend_from_slice(text.as_bytes());
            self.current.extend_from_slice(self.sep);
        }
        // Blocks are measured in corpus bytes, kept or not.
        self.block_bytes += text.len() + self.sep.len();
        if self.block_bytes >= BLOCK {
            self.close_block();
        }
    }

    fn close_block(&mut self) {
        if !self.current.is_empty() {
            self.held += self.current.len();
            self.kept
                .push((self.block_index, std::mem::take(&mut self.current)));
        }
        self.block_index += 1;
        self.block_bytes = 0;
        while self.held > 2 * self.cap {
            self.stride *= 2;
            let s = self.stride;
            self.kept.retain(|(i, _)| i % s == 0);
            self.held = self.kept.iter().map(|(_, b)| b.len()).sum();
        }
    }

    /// The sample: the kept blocks in corpus order, at most `cap` bytes.
    pub fn finish(mut self) -> Vec<u8> {
        if !self.current.is_empty() {
            self.close_block();
        }
        // Thin evenly rather than cut the tail off.
        while self.held > self.cap && self.kept.len() > 1 {
            self.stride *= 2;
            let s = self.stride;
            self.kept.retain(|(i, _)| i % s == 0);
            self.held = self.kept.iter().map(|(_, b)| b.len()).sum();
        }
        let mut out = Vec::with_capacity(self.held.min(self.cap));
        for (_, b) in &self.kept {
            if out.len() + b.len() > self.cap {
                break;
            }
            out.extend_from_slice(b);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_is_bounded_and_spread_over_the_corpus() {
        let mut s = PrimeSampler::new(20_000, b"\n");
        for i in 0..20_000 {
            s.push(&format!("line {i} of the corpus, with some words"));
        }
        let out = s.finish();
        assert!(out.len() <= 20_000 && out.len() > 5_000, "{}", out.len());
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("line 0 "));
        // Runs of consecutive lines are kept whole.
        assert!(text.contains("line 1 of the corpus, with some words\nline 2 "));
        let last: u32 = text.lines().last().unwrap()[5..]
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(last > 10_000, "{last}");
    }
}
