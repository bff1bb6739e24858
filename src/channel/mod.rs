//! Semantic communication (theory.md section 8): coded texts sent as packets over
//! modeled channels, measured by the meaning that arrives per bit sent.
//!
//! - [`spec`]: channel, protection and sweep specs;
//! - [`noise`]: erasures, Gilbert-Elliott bursts and bit errors (BSC, BPSK/AWGN);
//! - [`irsa`]: random access decoded by successive cancellation, which is the
//!   peeling engine ([`crate::peel`]) with slots as texts and packets as skills;
//! - [`lt`]: LT repair packets, decoded by the same engine;
//! - [`layered`]: layered files, each layer its own packets and protection;
//! - [`measure`]: fidelity against the original texts;
//! - [`experiment`]: semzip beside zstd, trial after trial.

pub mod experiment;
pub mod irsa;
pub mod layered;
pub mod lt;
pub mod measure;
pub mod noise;
pub mod packets;
pub mod spec;

pub use experiment::{Codec, Options, Packing, Report, run};
pub use spec::{Channel, Protect, ProtectSpec, Shield, parse_sweep};
