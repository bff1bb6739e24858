//! The `.sz` container and its fidelity levels (set, sequence, exact).
//!
//! Layers, bottom up: [`level`] (what survives), [`varint`] (the one number
//! encoding), [`container`] (header, index, trailer, extension records), [`packet`]
//! (independent packets), [`reader`] (the one record reader, which owns every framing
//! check), [`file_model`] (model resolution), then [`encode`](mod@encode),
//! [`decode`](mod@decode), [`salvage`](mod@salvage) and [`inspect`] on top, and
//! [`io`] (stdin/stdout and all-or-nothing outputs). The byte layout is specified in
//! `docs/FORMAT.md`; the code links to it rather than repeating it.
//!
//! The codec knows the model, not how it was trained: [`encode()`] takes a resolved
//! [`FileModel`]; `crate::pipeline` trains an embedded one when there is no shared model.

pub mod coder;
pub mod container;
pub mod decode;
pub mod encode;
pub mod file_model;
pub mod inspect;
pub mod io;
pub mod layered;
pub mod level;
pub mod packet;
pub mod reader;
pub mod salvage;
pub mod varint;

pub use decode::{
    DecodeStats, Decoded, Decoder, decode, decode_at, decode_packets, decode_payload,
};
pub use encode::{EncodeOptions, EncodeStats, encode};
pub use file_model::{FileModel, resolve_model};
pub use inspect::{SzInfo, inspect_sz};
pub use level::{Level, Unlearned};
pub use reader::{Reader, Record};
pub use salvage::{LostRange, SalvageReport, salvage, salvage_at};

use crate::Error;

/// The first bytes of every `.sz` file, for sniffing a file's kind.
pub fn sniff_sz(head: &[u8]) -> bool {
    head.starts_with(&container::MAGIC)
}

/// Prefixes a corruption message with the file's name.
fn name_err(name: &str, e: Error) -> Error {
    match e {
        Error::Corrupt(m) if !m.starts_with(name) => Error::Corrupt(format!("{name}: {m}")),
        other => other,
    }
}
