//! Progress of long library calls, reported to an observer the caller chooses.
//!
//! The library never draws anything: the command line passes an observer that
//! draws a bar on a terminal; tests and other callers pass [`Silent`].

/// Receives the progress of one long piece of work (training, a sweep).
pub trait Progress: Sync {
    /// The work starts: `total` units (bytes, trials) labelled `label`.
    fn start(&self, total: u64, label: &str) {
        let _ = (total, label);
    }
    /// `n` more units are done.
    fn advance(&self, n: u64);
    /// The work is over (done or abandoned).
    fn finish(&self) {}
}

/// An observer that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {
    fn advance(&self, _n: u64) {}
}

/// Counts the units reported (for tests and summaries).
#[derive(Debug, Default)]
pub struct Counter {
    total: std::sync::atomic::AtomicU64,
    done: std::sync::atomic::AtomicU64,
}

impl Counter {
    /// The total announced by the last `start` and the units done since.
    pub fn get(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (self.total.load(Relaxed), self.done.load(Relaxed))
    }
}

impl Progress for Counter {
    fn start(&self, total: u64, _label: &str) {
        use std::sync::atomic::Ordering::Relaxed;
        self.total.store(total, Relaxed);
        self.done.store(0, Relaxed);
    }
    fn advance(&self, n: u64) {
        self.done.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    }
}
