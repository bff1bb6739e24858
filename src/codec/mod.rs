//! The `.sz` container and its fidelity levels (set, sequence, exact).
//!
//! Layers, bottom up: [`level`] (what survives), [`container`] (header, index,
//! trailer), [`packet`] (independent packets), [`stream`] (encoding and decoding
//! files in bounded memory), [`io`] (stdin/stdout and all-or-nothing outputs).
//! The byte layout is specified in `docs/FORMAT.md` (the `.sz` section).

pub mod coder;
pub mod container;
pub mod io;
pub mod level;
pub mod packet;
pub mod stream;

pub use level::{Level, Unlearned};
pub use stream::{
    DecodeStats, Decoded, Decoder, EncodeOptions, EncodeStats, FileModel, SalvageReport, decode,
    encode, salvage,
};

use crate::{Error, Result};
use container::{Header, INDEX_TAG, ModelRef, PACKET_TAG, TRAILER_BYTES, Trailer};
use packet::Packet;
use serde::Serialize;
use std::fmt;
use std::io::{BufReader, Read};
use std::path::Path;

/// The first bytes of every `.sz` file, for sniffing a file's kind.
pub fn sniff_sz(head: &[u8]) -> bool {
    head.starts_with(&container::MAGIC)
}

/// What `semzip inspect` shows about a `.sz` file (its `--json` output).
#[derive(Debug, Clone, Serialize)]
pub struct SzInfo {
    /// Always `"sz"`.
    pub kind: &'static str,
    /// The file inspected.
    pub file: String,
    /// File size in bytes.
    pub file_bytes: u64,
    /// Format version from the header.
    pub format_version: u16,
    /// Fidelity level.
    pub level: String,
    /// What happened to unlearned skills (`escape` or `drop`).
    pub unlearned: String,
    /// How texts were cut.
    pub texts_cut: String,
    /// `shared` (fingerprint only) or `embedded` (self-contained).
    pub model: String,
    /// Model fingerprint, 16 hex digits.
    pub fingerprint: String,
    /// Extractor spec of an embedded model.
    pub extractor: Option<String>,
    /// Codebook size of an embedded model.
    pub codebook_skills: Option<u64>,
    /// Bytes of the header, an embedded model included.
    pub header_bytes: u64,
    /// Bytes of an embedded model's sections.
    pub model_bytes: u64,
    /// Packets found.
    pub packets: u64,
    /// Texts in those packets (exact level: lines).
    pub texts: u64,
    /// Bytes of payload in those packets.
    pub payload_bytes: u64,
    /// Bytes of the original input (from the trailer).
    pub original_bytes: Option<u64>,
    /// Bits per input byte over the whole file.
    pub bpc: Option<f64>,
    /// Free metadata stored by the encoder.
    pub metadata: String,
    /// True when every checksum holds and the index and trailer match the packets.
    pub intact: bool,
    /// What is wrong, when not intact.
    pub problem: Option<String>,
}

impl fmt::Display for SzInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let opt = |v: Option<u64>| v.map_or("-".to_string(), |x| x.to_string());
        writeln!(f, "file             {}", self.file)?;
        writeln!(
            f,
            "kind             .sz, format version {}",
            self.format_version
        )?;
        writeln!(
            f,
            "level            {} (unlearned: {})",
            self.level, self.unlearned
        )?;
        writeln!(f, "texts cut as     {}", self.texts_cut)?;
        writeln!(
            f,
            "model            {} fingerprint {}",
            self.model, self.fingerprint
        )?;
        if let Some(e) = &self.extractor {
            writeln!(f, "extractor        {e}")?;
        }
        writeln!(f, "codebook skills  {}", opt(self.codebook_skills))?;
        writeln!(f, "file bytes       {}", self.file_bytes)?;
        writeln!(
            f,
            "header bytes     {} (model {})",
            self.header_bytes, self.model_bytes
        )?;
        writeln!(f, "packets          {}", self.packets)?;
        writeln!(f, "texts            {}", self.texts)?;
        writeln!(f, "payload bytes    {}", self.payload_bytes)?;
        writeln!(f, "original bytes   {}", opt(self.original_bytes))?;
        if let Some(b) = self.bpc {
            writeln!(f, "bits per char    {b:.4}")?;
        }
        match &self.problem {
            None => write!(f, "integrity        intact"),
            Some(p) => write!(f, "integrity        DAMAGED: {p}"),
        }
    }
}

/// Describes a `.sz` file: header, model, packets, totals and integrity.
///
/// Checks every framing checksum without decoding payloads (no model needed). A file
/// whose header is unreadable is an error; later damage is reported in the result.
pub fn inspect_sz(path: &Path) -> Result<SzInfo> {
    let name = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        return Err(Error::invalid(format!(
            "{name}: is a directory; give a .sz file"
        )));
    }
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut r = BufReader::new(f);
    let (h, hlen) =
        Header::read_from(&mut r).map_err(|e| Error::corrupt(format!("{name}: {e}")))?;
    let mut info = SzInfo {
        kind: "sz",
        file: name,
        file_bytes: meta.len(),
        format_version: container::VERSION,
        level: h.level.to_string(),
        unlearned: h.unlearned.to_string(),
        texts_cut: stream::texts_of(h.texts).to_string(),
        model: String::new(),
        fingerprint: String::new(),
        extractor: None,
        codebook_skills: None,
        header_bytes: hlen,
        model_bytes: 0,
        packets: 0,
        texts: 0,
        payload_bytes: 0,
        original_bytes: None,
        bpc: None,
        metadata: String::from_utf8_lossy(&h.metadata).into_owned(),
        intact: false,
        problem: None,
    };
    match &h.model {
        ModelRef::Shared { fingerprint } => {
            info.model = "shared".into();
            info.fingerprint = format!("{fingerprint:016x}");
        }
        ModelRef::Embedded(e) => {
            info.model = "embedded".into();
            info.fingerprint = format!("{:016x}", e.fingerprint());
            info.model_bytes = (e.extractor.len() + e.codebook.len()) as u64;
            match stream::FileModel::from_embedded(e) {
                Ok(fm) => {
                    info.extractor = Some(fm.extractor.spec());
                    info.codebook_skills = Some(fm.codebook.len() as u64);
                }
                Err(err) => info.problem = Some(err.to_string()),
            }
        }
    }
    if let Err(e) = walk(&mut r, hlen, &mut info) {
        info.problem.get_or_insert(e.to_string());
    }
    info.intact = info.problem.is_none();
    Ok(info)
}

/// Walks packets, index and trailer, filling the counts in `info`.
fn walk(r: &mut impl Read, mut pos: u64, info: &mut SzInfo) -> Result<()> {
    let mut entries = Vec::new();
    loop {
        let mut tag = [0u8; 2];
        container::read_exact_or(r, &mut tag, "the packet list")?;
        if tag == PACKET_TAG {
            let (p, len) = Packet::read_after_tag(r)?;
            entries.push(container::IndexEntry {
                offset: pos,
                first_text: p.first_text,
            });
            pos += len;
            info.packets += 1;
            info.texts += p.texts;
            info.payload_bytes += p.payload.len() as u64;
            continue;
        }
        if tag != INDEX_TAG {
            return Err(Error::corrupt(format!(
                "unexpected bytes at offset {pos} (neither a packet nor the index)"
            )));
        }
        let index = container::read_index(r, entries.len() as u64)?;
        if index != entries {
            return Err(Error::corrupt(
                "the packet index does not match the packets",
            ));
        }
        let mut tb = [0u8; TRAILER_BYTES];
        container::read_exact_or(r, &mut tb, "the trailer")?;
        let t = Trailer::from_bytes(&tb)?;
        info.original_bytes = Some(t.original_bytes);
        if t.original_bytes > 0 {
            info.bpc = Some(info.file_bytes as f64 * 8.0 / t.original_bytes as f64);
        }
        if t.index_offset != pos || t.packets != info.packets || t.texts != info.texts {
            return Err(Error::corrupt("the trailer does not match the packets"));
        }
        let mut extra = [0u8; 1];
        if r.read(&mut extra)
            .map_err(|e| Error::corrupt(e.to_string()))?
            != 0
        {
            return Err(Error::corrupt(
                "trailing bytes after the end of the .sz data",
            ));
        }
        return Ok(());
    }
}
