//! What the payload targets share: a small coder context, built once.

use semzip::codec::coder::CoderContext;
use semzip::model::Codebook;
use std::sync::OnceLock;

/// A context over a small codebook with associations, like a real file's.
pub fn context() -> &'static CoderContext {
    static CTX: OnceLock<CoderContext> = OnceLock::new();
    CTX.get_or_init(|| {
        let words = ["the", "and", "alice", "queen", "said", "rabbit", "tea", "king"];
        let book = Codebook::new(
            words
                .iter()
                .enumerate()
                .map(|(i, w)| (w.to_string(), 100 - 10 * i as u64)),
        );
        CoderContext::new(&book, &[(0, 1, 5), (2, 3, 2)])
    })
}
