//! Progress bars on stderr, shown only to a person watching a terminal: the
//! command line's implementation of the library's [`semzip::progress::Progress`].

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{self, IsTerminal, Read};

/// A bar counting `len` steps labelled `msg`, drawn on stderr; hidden (all calls are
/// no-ops) when stderr is not a terminal, so pipes and CI logs stay clean.
pub fn bar(len: u64, msg: &str) -> ProgressBar {
    let visible = std::io::stderr().is_terminal();
    bar_to(len, msg, visible)
}

/// [`bar`] with the visibility decided by the caller.
pub fn bar_to(len: u64, msg: &str, visible: bool) -> ProgressBar {
    let target = if visible {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let pb = ProgressBar::with_draw_target(Some(len), target);
    if let Ok(style) =
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({elapsed}, eta {eta})")
    {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_message(msg.to_string());
    pb
}

/// The library's progress observer drawn as a terminal bar.
pub struct Bar(ProgressBar, bool);

impl Bar {
    /// A bar that appears when the library starts reporting (on a terminal only).
    pub fn new() -> Self {
        Bar(bar_to(0, "", false), std::io::stderr().is_terminal())
    }
}

impl Bar {
    /// Runs `f` (which prints) with the bar wiped, then redraws it.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.0.suspend(f)
    }
}

impl semzip::progress::Progress for Bar {
    fn start(&self, total: u64, label: &str) {
        self.0.set_message(label.to_string());
        self.0.set_length(total);
        self.0.set_position(0);
        // Drawn from here on: never an empty bar before the work is known.
        if self.1 {
            self.0.set_draw_target(ProgressDrawTarget::stderr());
        }
    }
    fn advance(&self, n: u64) {
        self.0.inc(n);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

/// A reader that advances a progress bar by the bytes read.
pub struct ProgressReader<R> {
    inner: R,
    bar: ProgressBar,
}

impl<R: Read> ProgressReader<R> {
    /// Wraps `inner`; `len` is the input's size in bytes when known (a file).
    pub fn new(inner: R, len: Option<u64>, msg: &str) -> Self {
        let bar = match len {
            Some(n) => bar(n, msg),
            None => ProgressBar::hidden(),
        };
        ProgressReader { inner, bar }
    }
}

impl<R: Read> Read for ProgressReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

impl<R> Drop for ProgressReader<R> {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use semzip::progress::Progress;

    #[test]
    fn hidden_bar_still_counts() {
        let pb = bar_to(10, "work", false);
        assert!(pb.is_hidden());
        pb.inc(3);
        assert_eq!(pb.position(), 3);
        assert_eq!(pb.length(), Some(10));
        let b = Bar(bar_to(0, "", false), false);
        b.start(7, "training");
        b.advance(2);
        assert_eq!((b.0.length(), b.0.position()), (Some(7), 2));
    }
}
