//! Progress bars on stderr, shown only to a person watching a terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_bar_still_counts() {
        let pb = bar_to(10, "work", false);
        assert!(pb.is_hidden());
        pb.inc(3);
        assert_eq!(pb.position(), 3);
        assert_eq!(pb.length(), Some(10));
    }
}
