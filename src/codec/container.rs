//! The `.sz` container framing: header, packet index and trailer (docs/FORMAT.md).
//!
//! This layer knows nothing of the payload coders: it frames opaque bytes, checks
//! every checksum and bound, and never allocates more than the input can hold
//! (lengths are read through `Read::take`, so a lying length field costs nothing).

use super::level::{Level, Unlearned};
use super::varint;
use crate::{Error, Result};
use std::io::{self, Read, Write};
use xxhash_rust::xxh3::{Xxh3, xxh3_64};

/// The first four bytes of every `.sz` file.
pub const MAGIC: [u8; 4] = *b"SZIP";
/// The format version this code writes and the newest it reads (versions 1 to 5,
/// whose payloads this version still decodes, are read too; not layered files of
/// versions 3 to 5). Version 5 adds exact payload modes 5 (PPM) and 6, and codes
/// layered files' exact layer with a skill-start model; version 6 codes both layers
/// of layered files with more contexts, allows packets of up to 64 MiB (16 MiB
/// before) and writes PPM as exact payload mode 7.
pub const VERSION: u16 = 6;
/// The first format version with layered files (header level code 3).
pub const LAYERED_VERSION: u16 = 3;
/// The first format version whose layered files code their base layer as text
/// (and may use the built-in model); layered files of version 3 are not read.
pub const LAYERED_TEXT_VERSION: u16 = 4;
/// The first format version whose layered files code their exact layer with the
/// skill-start model (docs/FORMAT.md); layered files of version 4 are not read.
pub const LAYERED_STARTS_VERSION: u16 = 5;
/// The first format version whose layered files code their layers with the contexts
/// of docs/FORMAT.md as of version 6; layered files of version 5 are not read.
pub const LAYERED_CONTEXTS_VERSION: u16 = 6;
/// The last four bytes of every complete `.sz` file.
pub const END_MAGIC: [u8; 4] = *b"SZND";
/// Tag opening a packet record.
pub const PACKET_TAG: [u8; 2] = *b"PK";
/// Tag opening the packet index record.
pub const INDEX_TAG: [u8; 2] = *b"IX";
/// Largest body of an extension record a reader accepts.
pub const MAX_EXTENSION_BYTES: u64 = 64 << 20;
/// Size of the fixed trailer at the end of a version 1 or 2 file.
pub const TRAILER_BYTES: usize = 52;
/// Largest compact trailer (version 3): four 10-byte varints, the original's
/// checksum, the trailer's checksum, its length byte and the end mark.
pub const MAX_TRAILER_BYTES: usize = 4 * 10 + 8 + 4 + 1 + 4;
/// Largest header section (extractor, codebook, associations, metadata) a reader accepts.
pub const MAX_SECTION_BYTES: u64 = 256 << 20;
/// Largest decompressed extractor a reader accepts.
pub const MAX_EXTRACTOR_BYTES: u64 = 256 << 20;

const FLAG_LEVEL_MASK: u16 = 0b11;
const FLAG_DROP: u16 = 1 << 2;
const FLAG_EMBEDDED: u16 = 1 << 3;
/// Version 3: the exact level's built-in model (neither fingerprint nor sections).
const FLAG_BUILTIN: u16 = 1 << 4;
const FLAG_RESERVED: u16 = !0b1_1111;

/// How the texts of the input were cut (the lossy levels code one skill list per text).
///
/// Stored as one byte in the header: 0 lines, 1 paragraphs, 2 fortunes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextsCode(pub u8);

/// The model a `.sz` file was made with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelRef {
    /// A model shared by both ends, named by its fingerprint (`Model::fingerprint`).
    Shared {
        /// The model's fingerprint.
        fingerprint: u64,
    },
    /// A model carried inside the file (self-contained).
    Embedded(EmbeddedModel),
    /// No model at all (self-contained, exact level only, version 3): the payloads
    /// start from the coder's built-in priors.
    Builtin,
}

/// The parts of a model that a self-contained `.sz` file carries.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EmbeddedModel {
    /// The extractor, as bincode 2 (standard config) of `text::Extractor`, uncompressed.
    pub extractor: Vec<u8>,
    /// The codebook as written by `coder::encode_codebook`.
    pub codebook: Vec<u8>,
    /// Co-occurrence pairs (skill code a, skill code b, count) given to the coder.
    pub associations: Vec<(u32, u32, u32)>,
}

impl EmbeddedModel {
    /// An identity for the embedded model: xxh3-64 of its sections as stored.
    pub fn fingerprint(&self) -> u64 {
        let mut buf = Vec::new();
        buf.extend_from_slice(&self.extractor);
        buf.extend_from_slice(&self.codebook);
        buf.extend_from_slice(&encode_associations(&self.associations));
        xxh3_64(&buf)
    }
}

/// The `.sz` header: what every packet's payload is and which model decodes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The format version: read from the file, or [`VERSION`] for a header to write.
    pub version: u16,
    /// The fidelity level of every packet.
    pub level: Level,
    /// What the encoder did with skills outside the codebook (lossy levels).
    pub unlearned: Unlearned,
    /// How the input was cut into texts.
    pub texts: TextsCode,
    /// The model (shared fingerprint or embedded parts).
    pub model: ModelRef,
    /// Free metadata (UTF-8 JSON by convention); readers skip it.
    pub metadata: Vec<u8>,
}

impl Header {
    /// A header of the version this code writes.
    pub fn new(
        level: Level,
        unlearned: Unlearned,
        texts: TextsCode,
        model: ModelRef,
        metadata: Vec<u8>,
    ) -> Header {
        Header {
            version: VERSION,
            level,
            unlearned,
            texts,
            model,
            metadata,
        }
    }

    /// The header's bytes, checksum included.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        if self.version == 0 || self.version > VERSION {
            return Err(Error::invalid(format!(
                "cannot write .sz format version {} (this code writes versions 1 to {VERSION})",
                self.version
            )));
        }
        let mut b = Vec::new();
        b.extend_from_slice(&MAGIC);
        b.extend_from_slice(&self.version.to_le_bytes());
        let mut flags = self.level.code();
        if self.unlearned == Unlearned::Drop {
            flags |= FLAG_DROP;
        }
        match self.model {
            ModelRef::Embedded(_) => flags |= FLAG_EMBEDDED,
            ModelRef::Builtin => {
                let layered = self.level == Level::Layered && self.version >= LAYERED_TEXT_VERSION;
                if self.version < 3 || (self.level != Level::Exact && !layered) {
                    return Err(Error::invalid(
                        "the built-in model needs the exact level (format version 3) or a layered file (format version 4)",
                    ));
                }
                flags |= FLAG_BUILTIN;
            }
            ModelRef::Shared { .. } => {}
        }
        b.extend_from_slice(&flags.to_le_bytes());
        b.push(self.texts.0);
        match &self.model {
            ModelRef::Shared { fingerprint } => b.extend_from_slice(&fingerprint.to_le_bytes()),
            ModelRef::Builtin => {}
            ModelRef::Embedded(m) => {
                let ex = zstd::bulk::compress(&m.extractor, 19)
                    .map_err(|e| Error::invalid(format!("cannot compress the extractor: {e}")))?;
                push_section(&mut b, &ex)?;
                push_section(&mut b, &m.codebook)?;
                push_section(&mut b, &encode_associations(&m.associations))?;
            }
        }
        push_section(&mut b, &self.metadata)?;
        let sum = xxh3_64(&b);
        b.extend_from_slice(&sum.to_le_bytes());
        Ok(b)
    }

    /// Reads and checks a header from the start of a `.sz` stream.
    ///
    /// Returns the header and its length in bytes.
    pub fn read_from(r: &mut impl Read) -> Result<(Header, u64)> {
        let mut raw = Vec::new();
        let mut fixed = [0u8; 9];
        read_exact_or(r, &mut fixed, "the header")?;
        raw.extend_from_slice(&fixed);
        if fixed[..4] != MAGIC {
            return Err(Error::corrupt(
                "not a .sz file (bad magic number; expected SZIP)",
            ));
        }
        let version = u16::from_le_bytes([fixed[4], fixed[5]]);
        if version == 0 || version > VERSION {
            return Err(Error::corrupt(format!(
                ".sz format version {version} is not supported (this semzip reads versions 1 to {VERSION}): upgrade semzip"
            )));
        }
        let flags = u16::from_le_bytes([fixed[6], fixed[7]]);
        let reserved = if version < 3 {
            FLAG_RESERVED | FLAG_BUILTIN
        } else {
            FLAG_RESERVED
        };
        if flags & reserved != 0 {
            return Err(Error::corrupt(format!(
                "reserved header flag bits are set (flags {flags:#06x}): damaged or newer file"
            )));
        }
        let level = Level::from_code(flags & FLAG_LEVEL_MASK)?;
        if level == Level::Layered && version < LAYERED_VERSION {
            return Err(Error::corrupt(format!(
                "level code 3 (layered) is reserved in .sz format version {version}"
            )));
        }
        if level == Level::Layered && version < LAYERED_TEXT_VERSION {
            return Err(Error::corrupt(format!(
                "layered files of .sz format version {version} are no longer read (their base layer is coded otherwise since version 4): re-encode the original"
            )));
        }
        if level == Level::Layered && version < LAYERED_STARTS_VERSION {
            return Err(Error::corrupt(format!(
                "layered files of .sz format version {version} are no longer read (their exact layer is coded otherwise since version 5): re-encode the original"
            )));
        }
        if level == Level::Layered && version < LAYERED_CONTEXTS_VERSION {
            return Err(Error::corrupt(format!(
                "layered files of .sz format version {version} are no longer read (their layers are coded otherwise since version 6): re-encode the original"
            )));
        }
        let unlearned = if flags & FLAG_DROP != 0 {
            Unlearned::Drop
        } else {
            Unlearned::Escape
        };
        let texts = TextsCode(fixed[8]);
        if texts.0 > 2 {
            return Err(Error::corrupt(format!(
                "unrecognized text segmentation code {} in the .sz header",
                texts.0
            )));
        }
        let model = if flags & FLAG_BUILTIN != 0 {
            let layered = level == Level::Layered && version >= LAYERED_TEXT_VERSION;
            if flags & FLAG_EMBEDDED != 0 || (level != Level::Exact && !layered) {
                return Err(Error::corrupt(format!(
                    "header flags {flags:#06x} name the built-in model beside another model or level: damaged file"
                )));
            }
            ModelRef::Builtin
        } else if flags & FLAG_EMBEDDED != 0 {
            let ex = read_section(r, &mut raw, "the embedded extractor")?;
            let codebook = read_section(r, &mut raw, "the embedded codebook")?;
            let assoc = read_section(r, &mut raw, "the embedded associations")?;
            let mut extractor = Vec::new();
            zstd::stream::read::Decoder::new(&ex[..])
                .and_then(|d| d.take(MAX_EXTRACTOR_BYTES + 1).read_to_end(&mut extractor))
                .map_err(|e| Error::corrupt(format!("embedded extractor is damaged: {e}")))?;
            if extractor.len() as u64 > MAX_EXTRACTOR_BYTES {
                return Err(Error::corrupt("embedded extractor is too large"));
            }
            ModelRef::Embedded(EmbeddedModel {
                extractor,
                codebook,
                associations: decode_associations(&assoc)?,
            })
        } else {
            let mut fp = [0u8; 8];
            read_exact_or(r, &mut fp, "the model fingerprint")?;
            raw.extend_from_slice(&fp);
            ModelRef::Shared {
                fingerprint: u64::from_le_bytes(fp),
            }
        };
        let metadata = read_section(r, &mut raw, "the header metadata")?;
        let mut sum = [0u8; 8];
        read_exact_or(r, &mut sum, "the header checksum")?;
        if u64::from_le_bytes(sum) != xxh3_64(&raw) {
            return Err(Error::corrupt(
                "the .sz header is damaged (checksum mismatch): nothing can be decoded without it",
            ));
        }
        let len = raw.len() as u64 + 8;
        Ok((
            Header {
                version,
                level,
                unlearned,
                texts,
                model,
                metadata,
            },
            len,
        ))
    }
}

/// One entry of the packet index: where a packet starts and its first text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexEntry {
    /// Byte offset of the packet's tag from the start of the file.
    pub offset: u64,
    /// Number of the packet's first text (0-based, counted over the whole input).
    pub first_text: u64,
}

/// Writes the index record (tag, count, delta-coded entries, checksum).
pub fn write_index(w: &mut impl Write, entries: &[IndexEntry]) -> io::Result<u64> {
    let mut b = Vec::with_capacity(16 + entries.len() * 6);
    b.extend_from_slice(&INDEX_TAG);
    varint::put(&mut b, entries.len() as u64);
    let (mut off, mut first) = (0u64, 0u64);
    for e in entries {
        varint::put(&mut b, e.offset.wrapping_sub(off));
        varint::put(&mut b, e.first_text.wrapping_sub(first));
        off = e.offset;
        first = e.first_text;
    }
    let sum = xxh3_64(&b);
    b.extend_from_slice(&sum.to_le_bytes());
    w.write_all(&b)?;
    Ok(b.len() as u64)
}

/// Reads the index record after its tag (already consumed) and checks its checksum.
///
/// `max_entries` bounds the count (a reader knows how many packets it saw).
pub fn read_index(r: &mut impl Read, max_entries: u64) -> Result<Vec<IndexEntry>> {
    let mut raw = INDEX_TAG.to_vec();
    let n = get_varint_logged(r, &mut raw, "the packet index")?;
    if n > max_entries {
        return Err(Error::corrupt(format!(
            "the packet index lists {n} packets but the file holds {max_entries}"
        )));
    }
    let mut entries = Vec::with_capacity(n as usize);
    let (mut off, mut first) = (0u64, 0u64);
    for _ in 0..n {
        off = off.wrapping_add(get_varint_logged(r, &mut raw, "the packet index")?);
        first = first.wrapping_add(get_varint_logged(r, &mut raw, "the packet index")?);
        entries.push(IndexEntry {
            offset: off,
            first_text: first,
        });
    }
    let mut sum = [0u8; 8];
    read_exact_or(r, &mut sum, "the packet index checksum")?;
    if u64::from_le_bytes(sum) != xxh3_64(&raw) {
        return Err(Error::corrupt(
            "the packet index is damaged (checksum mismatch)",
        ));
    }
    Ok(entries)
}

/// The fixed-size record closing a `.sz` file: totals and where the index is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Trailer {
    /// Byte offset of the index record.
    pub index_offset: u64,
    /// Number of packets.
    pub packets: u64,
    /// Number of texts over all packets.
    pub texts: u64,
    /// Length of the original input in bytes.
    pub original_bytes: u64,
    /// xxh3-64 of the whole original input (checked by decoders at the exact level).
    pub original_xxh3: u64,
}

impl Trailer {
    /// The trailer's bytes in the format version this code writes (3: compact).
    ///
    /// Four varints (index offset, packets, texts, original bytes), the original's
    /// xxh3 (`u64`), the low 32 bits of xxh3 over those bytes (`u32`), one byte
    /// giving the length of all that, and the end mark.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(MAX_TRAILER_BYTES);
        for v in [
            self.index_offset,
            self.packets,
            self.texts,
            self.original_bytes,
        ] {
            varint::put(&mut b, v);
        }
        b.extend_from_slice(&self.original_xxh3.to_le_bytes());
        let sum = xxh3_64(&b) as u32;
        b.extend_from_slice(&sum.to_le_bytes());
        let len = b.len() as u8;
        b.push(len);
        b.extend_from_slice(&END_MAGIC);
        b
    }

    /// The fixed 52-byte trailer of format versions 1 and 2.
    pub fn to_bytes_v2(&self) -> [u8; TRAILER_BYTES] {
        let mut b = [0u8; TRAILER_BYTES];
        for (i, v) in [
            self.index_offset,
            self.packets,
            self.texts,
            self.original_bytes,
            self.original_xxh3,
        ]
        .into_iter()
        .enumerate()
        {
            b[i * 8..i * 8 + 8].copy_from_slice(&v.to_le_bytes());
        }
        let sum = xxh3_64(&b[..40]);
        b[40..48].copy_from_slice(&sum.to_le_bytes());
        b[48..52].copy_from_slice(&END_MAGIC);
        b
    }

    /// Parses and checks the trailer of a file of format `version`: `b` is exactly
    /// the trailer (the bytes from the end of the index to the end of the file).
    pub fn parse(version: u16, b: &[u8]) -> Result<Trailer> {
        if version < 3 {
            return Trailer::from_bytes(b);
        }
        let n = b.len();
        if n < 5 || b[n - 4..] != END_MAGIC {
            return Err(Error::corrupt(
                "the .sz file is truncated or has trailing bytes (no end mark)",
            ));
        }
        if b[n - 5] as usize != n - 5 {
            return Err(Error::corrupt(
                "the .sz file is truncated or has trailing bytes (trailer length mismatch)",
            ));
        }
        let body = &b[..n - 5];
        let damaged = || Error::corrupt("the .sz trailer is damaged (checksum mismatch)");
        if body.len() < 4 + 8 + 4 {
            return Err(damaged());
        }
        let (fields, sum) = body.split_at(body.len() - 4);
        if u32::from_le_bytes([sum[0], sum[1], sum[2], sum[3]]) != xxh3_64(fields) as u32 {
            return Err(damaged());
        }
        let mut rest = fields;
        let mut v = [0u64; 4];
        for x in &mut v {
            let (val, used) = varint::get(rest).map_err(|_| damaged())?;
            *x = val;
            rest = &rest[used..];
        }
        if rest.len() != 8 {
            return Err(damaged());
        }
        let mut h = [0u8; 8];
        h.copy_from_slice(rest);
        Ok(Trailer {
            index_offset: v[0],
            packets: v[1],
            texts: v[2],
            original_bytes: v[3],
            original_xxh3: u64::from_le_bytes(h),
        })
    }

    /// The trailer at the end of a whole file of format `version`, if one parses
    /// there (salvage, which cannot trust the records before it).
    pub fn at_end(version: u16, data: &[u8]) -> Option<Trailer> {
        if version < 3 {
            let s = data.len().checked_sub(TRAILER_BYTES)?;
            return Trailer::from_bytes(&data[s..]).ok();
        }
        let n = data.len();
        let len = *data.get(n.checked_sub(5)?)? as usize;
        let start = n.checked_sub(len + 5)?;
        Trailer::parse(version, &data[start..]).ok()
    }

    /// Parses and checks a version 1 or 2 trailer (52 bytes).
    pub fn from_bytes(b: &[u8]) -> Result<Trailer> {
        if b.len() != TRAILER_BYTES {
            return Err(Error::corrupt("the .sz file is truncated (no trailer)"));
        }
        if b[48..52] != END_MAGIC {
            return Err(Error::corrupt(
                "the .sz file is truncated or has trailing bytes (no end mark)",
            ));
        }
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[i * 8..i * 8 + 8]);
            u64::from_le_bytes(w)
        };
        if word(5) != xxh3_64(&b[..40]) {
            return Err(Error::corrupt(
                "the .sz trailer is damaged (checksum mismatch)",
            ));
        }
        Ok(Trailer {
            index_offset: word(0),
            packets: word(1),
            texts: word(2),
            original_bytes: word(3),
            original_xxh3: word(4),
        })
    }
}

/// True for the tag of an extension record, which readers that do not know it skip:
/// its first byte is a lower-case ASCII letter (docs/FORMAT.md, "Extension records").
pub fn is_extension_tag(tag: [u8; 2]) -> bool {
    tag[0].is_ascii_lowercase()
}

/// Writes an extension record: tag, varint body length, xxh3 checksum, body.
///
/// Returns the record's length in bytes.
pub fn write_extension(w: &mut impl Write, tag: [u8; 2], body: &[u8]) -> Result<u64> {
    if !is_extension_tag(tag) || body.len() as u64 > MAX_EXTENSION_BYTES {
        return Err(Error::invalid(format!(
            "an extension record needs a tag starting with a-z and at most {MAX_EXTENSION_BYTES} bytes"
        )));
    }
    let mut head = tag.to_vec();
    varint::put(&mut head, body.len() as u64);
    let mut h = Xxh3::new();
    h.update(&head);
    h.update(body);
    head.extend_from_slice(&h.digest().to_le_bytes());
    w.write_all(&head)
        .and_then(|_| w.write_all(body))
        .map_err(|e| Error::corrupt(format!("cannot write an extension record: {e}")))?;
    Ok((head.len() + body.len()) as u64)
}

/// Reads past an extension record whose tag was already consumed, checking its
/// checksum, and keeps its body in `keep` when given (else holds none of it).
/// Returns the record's length, tag included.
pub(crate) fn read_extension(
    r: &mut impl Read,
    tag: [u8; 2],
    mut keep: Option<&mut Vec<u8>>,
) -> Result<u64> {
    let what = "an extension record";
    let mut head = tag.to_vec();
    let len = get_varint_logged(r, &mut head, what)?;
    if len > MAX_EXTENSION_BYTES {
        return Err(Error::corrupt(format!(
            "{what} claims {len} bytes (limit {MAX_EXTENSION_BYTES})"
        )));
    }
    let mut sum = [0u8; 8];
    read_exact_or(r, &mut sum, what)?;
    let mut h = Xxh3::new();
    h.update(&head);
    let mut left = len;
    let mut buf = [0u8; 8192];
    while left > 0 {
        let k = left.min(buf.len() as u64) as usize;
        read_exact_or(r, &mut buf[..k], what)?;
        h.update(&buf[..k]);
        if let Some(v) = keep.as_deref_mut() {
            v.extend_from_slice(&buf[..k]);
        }
        left -= k as u64;
    }
    if h.digest() != u64::from_le_bytes(sum) {
        return Err(Error::corrupt(format!(
            "{what} is damaged (checksum mismatch)"
        )));
    }
    Ok(head.len() as u64 + 8 + len)
}

/// Appends a section: u32 LE length then the bytes.
fn push_section(b: &mut Vec<u8>, s: &[u8]) -> Result<()> {
    if s.len() as u64 > MAX_SECTION_BYTES {
        return Err(Error::invalid(format!(
            "a .sz header section of {} bytes exceeds the {} byte limit",
            s.len(),
            MAX_SECTION_BYTES
        )));
    }
    b.extend_from_slice(&(s.len() as u32).to_le_bytes());
    b.extend_from_slice(s);
    Ok(())
}

/// Reads a section (u32 LE length then bytes), logging its raw bytes for the checksum.
fn read_section(r: &mut impl Read, raw: &mut Vec<u8>, what: &str) -> Result<Vec<u8>> {
    let mut len = [0u8; 4];
    read_exact_or(r, &mut len, what)?;
    raw.extend_from_slice(&len);
    let len = u32::from_le_bytes(len) as u64;
    if len > MAX_SECTION_BYTES {
        return Err(Error::corrupt(format!(
            "{what} claims {len} bytes (limit {MAX_SECTION_BYTES}): damaged file"
        )));
    }
    let s = read_len(r, len, what)?;
    raw.extend_from_slice(&s);
    Ok(s)
}

/// Reads exactly `len` bytes without trusting `len` for the allocation.
pub(crate) fn read_len(r: &mut impl Read, len: u64, what: &str) -> Result<Vec<u8>> {
    let mut v = Vec::with_capacity(len.min(1 << 20) as usize);
    r.take(len)
        .read_to_end(&mut v)
        .map_err(|e| Error::corrupt(format!("cannot read {what}: {e}")))?;
    if (v.len() as u64) < len {
        return Err(Error::corrupt(format!(
            "the .sz file is truncated (inside {what})"
        )));
    }
    Ok(v)
}

/// `read_exact` with a "truncated" message naming what was being read.
pub(crate) fn read_exact_or(r: &mut impl Read, buf: &mut [u8], what: &str) -> Result<()> {
    r.read_exact(buf).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            Error::corrupt(format!("the .sz file is truncated (inside {what})"))
        } else {
            Error::corrupt(format!("cannot read {what}: {e}"))
        }
    })
}

/// Reads one varint from a stream, appending its bytes to `raw` (for a checksum);
/// the strictness is [`varint::get`]'s.
pub(crate) fn get_varint_logged(r: &mut impl Read, raw: &mut Vec<u8>, what: &str) -> Result<u64> {
    let start = raw.len();
    for _ in 0..varint::MAX_VARINT_BYTES {
        let mut byte = [0u8; 1];
        read_exact_or(r, &mut byte, what)?;
        raw.push(byte[0]);
        if byte[0] & 0x80 == 0 {
            break;
        }
    }
    varint::get(&raw[start..])
        .map(|(v, _)| v)
        .map_err(|e| Error::corrupt(format!("{} in {what}", e.describe())))
}

/// The associations section: count, then (a, b, count) triples, all varints.
fn encode_associations(a: &[(u32, u32, u32)]) -> Vec<u8> {
    let mut b = Vec::new();
    if a.is_empty() {
        return b;
    }
    varint::put(&mut b, a.len() as u64);
    for &(x, y, c) in a {
        varint::put(&mut b, x as u64);
        varint::put(&mut b, y as u64);
        varint::put(&mut b, c as u64);
    }
    b
}

fn decode_associations(mut s: &[u8]) -> Result<Vec<(u32, u32, u32)>> {
    if s.is_empty() {
        return Ok(Vec::new());
    }
    let what = "the embedded associations";
    let mut raw = Vec::new();
    let n = get_varint_logged(&mut s, &mut raw, what)?;
    // Each triple takes at least 3 bytes: bound the count by what is there.
    if n > s.len() as u64 / 3 {
        return Err(Error::corrupt(format!("{what} are damaged (bad count)")));
    }
    let mut out = Vec::with_capacity(n as usize);
    let small = |v: u64| {
        u32::try_from(v).map_err(|_| Error::corrupt(format!("{what} hold an out-of-range value")))
    };
    for _ in 0..n {
        let x = small(get_varint_logged(&mut s, &mut raw, what)?)?;
        let y = small(get_varint_logged(&mut s, &mut raw, what)?)?;
        let c = small(get_varint_logged(&mut s, &mut raw, what)?)?;
        out.push((x, y, c));
    }
    if !s.is_empty() {
        return Err(Error::corrupt(format!("{what} have trailing bytes")));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn embedded() -> Header {
        Header {
            version: VERSION,
            level: Level::Set,
            unlearned: Unlearned::Drop,
            texts: TextsCode(2),
            model: ModelRef::Embedded(EmbeddedModel {
                extractor: b"extractor bytes".to_vec(),
                codebook: vec![1, 2, 3],
                associations: vec![(0, 1, 7), (3, 900, 1 << 20)],
            }),
            metadata: b"{}".to_vec(),
        }
    }

    #[test]
    fn header_round_trips_both_model_kinds() {
        for h in [
            embedded(),
            Header {
                version: VERSION,
                level: Level::Exact,
                unlearned: Unlearned::Escape,
                texts: TextsCode(0),
                model: ModelRef::Shared {
                    fingerprint: 0xdead_beef_0123_4567,
                },
                metadata: Vec::new(),
            },
        ] {
            let b = h.to_bytes().unwrap();
            let (back, len) = Header::read_from(&mut &b[..]).unwrap();
            assert_eq!(back, h);
            assert_eq!(len, b.len() as u64);
        }
    }

    #[test]
    fn header_rejects_reserved_bits_and_versions() {
        let b = embedded().to_bytes().unwrap();
        let mut bad = b.clone();
        bad[7] |= 0x80;
        assert!(Header::read_from(&mut &bad[..]).is_err());
        let mut newer = b.clone();
        newer[4] = (VERSION + 1) as u8;
        let e = Header::read_from(&mut &newer[..]).unwrap_err().to_string();
        assert!(e.contains(&format!("version {}", VERSION + 1)), "{e}");
        let mut magic = b;
        magic[0] = b'X';
        assert!(Header::read_from(&mut &magic[..]).is_err());
    }

    #[test]
    fn index_and_trailer_round_trip() {
        let entries = vec![
            IndexEntry {
                offset: 40,
                first_text: 0,
            },
            IndexEntry {
                offset: 70_000,
                first_text: 512,
            },
        ];
        let mut b = Vec::new();
        write_index(&mut b, &entries).unwrap();
        assert_eq!(b[..2], INDEX_TAG);
        assert_eq!(read_index(&mut &b[2..], 2).unwrap(), entries);
        assert!(read_index(&mut &b[2..], 1).is_err());
        let t = Trailer {
            index_offset: 9,
            packets: 2,
            texts: 3,
            original_bytes: 4,
            original_xxh3: 5,
        };
        assert_eq!(Trailer::from_bytes(&t.to_bytes_v2()).unwrap(), t);
        let mut bad = t.to_bytes_v2();
        bad[3] ^= 1;
        assert!(Trailer::from_bytes(&bad).is_err());
        let b = t.to_bytes();
        assert_eq!(Trailer::parse(VERSION, &b).unwrap(), t);
        assert!(b.len() < 30, "compact trailer: {} bytes", b.len());
        let mut file = vec![7u8; 100];
        file.extend_from_slice(&b);
        assert_eq!(Trailer::at_end(VERSION, &file), Some(t));
        for i in 0..b.len() {
            let mut bad = b.clone();
            bad[i] ^= 0x10;
            assert!(Trailer::parse(VERSION, &bad).is_err(), "byte {i}");
        }
        assert!(Trailer::parse(VERSION, &b[1..]).is_err());
    }

    proptest! {
        #[test]
        fn varints_round_trip(v in any::<u64>()) {
            let mut b = Vec::new();
            varint::put(&mut b, v);
            let mut raw = Vec::new();
            prop_assert_eq!(get_varint_logged(&mut &b[..], &mut raw, "x").unwrap(), v);
            prop_assert_eq!(raw, b);
        }

        #[test]
        fn mutated_headers_are_rejected_never_panic(pos in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<prop::sample::Index>()) {
            let b = embedded().to_bytes().unwrap();
            let mut m = b.clone();
            let i = pos.index(m.len());
            m[i] = byte;
            let r = Header::read_from(&mut &m[..]);
            if m != b {
                prop_assert!(r.is_err());
            }
            let c = cut.index(b.len());
            prop_assert!(Header::read_from(&mut &b[..c]).is_err());
        }

        #[test]
        fn random_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..200)) {
            let _ = Header::read_from(&mut &data[..]);
            let _ = read_index(&mut &data[..], 1000);
            let _ = Trailer::parse(VERSION, &data);
            let _ = Trailer::at_end(VERSION, &data);
            let _ = decode_associations(&data);
            let mut with_magic = b"SZIP\x01\x00\x08\x00\x00".to_vec();
            with_magic.extend_from_slice(&data);
            let _ = Header::read_from(&mut &with_magic[..]);
        }
    }
}
