//! Describing a `.sz` file without decoding it (what `inspect` shows), on the one
//! container [`Reader`].

use super::container::ModelRef;
use super::file_model::{FileModel, texts_of};
use super::reader::{Reader, Record};
use crate::{Error, Result};
use serde::Serialize;
use std::fmt;
use std::io::BufReader;
use std::path::Path;

/// What `semzip inspect` shows about a `.sz` file (its `--json` output).
#[derive(Debug, Clone, Serialize)]
pub struct SzInfo {
    /// Always `"sz"`.
    pub kind: &'static str,
    /// The file inspected.
    pub file: String,
    /// File size in bytes.
    pub file_bytes: u64,
    /// Format version read from the header.
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
    let mut reader =
        Reader::new(BufReader::new(f)).map_err(|e| Error::corrupt(format!("{name}: {e}")))?;
    let h = reader.header().clone();
    let mut info = SzInfo {
        kind: "sz",
        file: name,
        file_bytes: meta.len(),
        format_version: h.version,
        level: h.level.to_string(),
        unlearned: h.unlearned.to_string(),
        texts_cut: texts_of(h.texts).to_string(),
        model: String::new(),
        fingerprint: String::new(),
        extractor: None,
        codebook_skills: None,
        header_bytes: reader.header_len(),
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
        ModelRef::Builtin => {
            info.model = "built-in".into();
            info.fingerprint = format!("{:016x}", FileModel::builtin().fingerprint);
            info.codebook_skills = Some(0);
        }
        ModelRef::Embedded(e) => {
            info.model = "embedded".into();
            info.fingerprint = format!("{:016x}", e.fingerprint());
            info.model_bytes = (e.extractor.len() + e.codebook.len()) as u64;
            match FileModel::from_embedded(e) {
                Ok(fm) => {
                    info.extractor = Some(fm.extractor.spec());
                    info.codebook_skills = Some(fm.codebook.len() as u64);
                }
                Err(err) => info.problem = Some(err.to_string()),
            }
        }
    }
    loop {
        match reader.next_record() {
            Ok(Some(Record::Packet { packet, .. })) => {
                info.packets += 1;
                info.texts += packet.texts;
                info.payload_bytes += packet.payload.len() as u64;
            }
            Ok(Some(Record::Trailer(t))) => {
                info.original_bytes = Some(t.original_bytes);
                if t.original_bytes > 0 {
                    info.bpc = Some(info.file_bytes as f64 * 8.0 / t.original_bytes as f64);
                }
            }
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => {
                info.problem.get_or_insert(e.to_string());
                break;
            }
        }
    }
    info.intact = info.problem.is_none();
    Ok(info)
}
