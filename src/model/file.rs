//! The model file's framing: magic, version, flags, body length, zstd body, checksum.
//!
//! The layout is specified in `docs/FORMAT.md`. This module only frames and
//! unframes bytes; what the body holds is [`super::Model`]'s business.

use crate::{Error, Result};
use std::io::Read;
use std::path::Path;
use xxhash_rust::xxh3::xxh3_64;

/// The 8 bytes every model file starts with.
pub const MAGIC: [u8; 8] = *b"SZMODEL\0";
/// The format version this build writes (and the newest it reads).
pub const FORMAT_VERSION: u16 = 2;
/// Bytes before the body: magic, version, flags, body length.
pub const HEADER_LEN: usize = 8 + 2 + 2 + 8;
/// Bytes after the body: the xxh3-64 checksum.
pub const TRAILER_LEN: usize = 8;
/// zstd level of the body; the fingerprint does not depend on it.
pub const ZSTD_LEVEL: i32 = 9;
/// Largest uncompressed body a reader accepts, so a crafted file cannot make it
/// allocate without bound.
pub const MAX_BODY_BYTES: u64 = 1 << 34;

/// True when `bytes` start with the model magic (used to sniff a file's kind).
pub fn sniff(bytes: &[u8]) -> bool {
    bytes.len() >= MAGIC.len() && bytes[..MAGIC.len()] == MAGIC
}

/// The parsed fixed header of a model file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Format version (1 for this build).
    pub version: u16,
    /// Reserved flags (always 0 in version 1).
    pub flags: u16,
    /// Length in bytes of the compressed body.
    pub body_len: u64,
}

/// Frames an uncompressed body: compresses it and adds header and checksum.
pub fn frame(body: &[u8]) -> Result<Vec<u8>> {
    let compressed = zstd::bulk::compress(body, ZSTD_LEVEL)
        .map_err(|e| Error::invalid(format!("cannot compress the model body: {e}")))?;
    let mut out = Vec::with_capacity(HEADER_LEN + compressed.len() + TRAILER_LEN);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&(compressed.len() as u64).to_le_bytes());
    out.extend_from_slice(&compressed);
    let sum = xxh3_64(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    Ok(out)
}

/// Checks the header of a model file (magic, version, flags, length).
///
/// `name` is how errors name the file. Does not look at the checksum.
pub fn read_header(bytes: &[u8], name: &str) -> Result<Header> {
    if !sniff(bytes) {
        let what = if bytes.starts_with(b"SZ") {
            "a semzip file but not a model (wrong magic)"
        } else {
            "not a semzip model file (wrong magic)"
        };
        return Err(Error::corrupt(format!("{name}: {what}")));
    }
    if bytes.len() < HEADER_LEN + TRAILER_LEN {
        return Err(Error::corrupt(format!(
            "{name}: truncated model file ({} bytes, the header and checksum alone take {})",
            bytes.len(),
            HEADER_LEN + TRAILER_LEN
        )));
    }
    let version = u16::from_le_bytes([bytes[8], bytes[9]]);
    let flags = u16::from_le_bytes([bytes[10], bytes[11]]);
    let mut len = [0u8; 8];
    len.copy_from_slice(&bytes[12..20]);
    let body_len = u64::from_le_bytes(len);
    if version == 0 {
        return Err(Error::corrupt(format!(
            "{name}: model format version 0 does not exist (corrupt header)"
        )));
    }
    if version < FORMAT_VERSION {
        return Err(Error::corrupt(format!(
            "{name}: model format version {version} is no longer read (this semzip reads \
             version {FORMAT_VERSION}, whose models carry the exact level's priors); \
             retrain the model with this semzip"
        )));
    }
    if version > FORMAT_VERSION {
        return Err(Error::corrupt(format!(
            "{name}: model format version {version} is newer than this semzip reads \
             ({FORMAT_VERSION}); upgrade semzip"
        )));
    }
    if flags != 0 {
        return Err(Error::corrupt(format!(
            "{name}: reserved header flags are set ({flags:#06x}); the file is corrupt or from a newer semzip"
        )));
    }
    let expected = (HEADER_LEN as u64 + TRAILER_LEN as u64).checked_add(body_len);
    match expected {
        Some(e) if e == bytes.len() as u64 => {}
        Some(e) if e > bytes.len() as u64 => {
            return Err(Error::corrupt(format!(
                "{name}: truncated model file ({} bytes, header says {e})",
                bytes.len()
            )));
        }
        Some(e) => {
            return Err(Error::corrupt(format!(
                "{name}: {} bytes of trailing junk after the model",
                bytes.len() as u64 - e
            )));
        }
        None => {
            return Err(Error::corrupt(format!(
                "{name}: corrupt header (impossible body length)"
            )));
        }
    }
    Ok(Header {
        version,
        flags,
        body_len,
    })
}

/// Checks a whole model file and returns its uncompressed body.
pub fn unframe(bytes: &[u8], name: &str) -> Result<Vec<u8>> {
    read_header(bytes, name)?;
    let split = bytes.len() - TRAILER_LEN;
    let mut stored = [0u8; 8];
    stored.copy_from_slice(&bytes[split..]);
    if xxh3_64(&bytes[..split]) != u64::from_le_bytes(stored) {
        return Err(Error::corrupt(format!(
            "{name}: checksum mismatch, the model file is corrupt"
        )));
    }
    let decoder = zstd::stream::Decoder::new(&bytes[HEADER_LEN..split])
        .map_err(|e| Error::corrupt(format!("{name}: cannot decompress the model body: {e}")))?;
    let mut body = Vec::new();
    decoder
        .take(MAX_BODY_BYTES + 1)
        .read_to_end(&mut body)
        .map_err(|e| Error::corrupt(format!("{name}: cannot decompress the model body: {e}")))?;
    if body.len() as u64 > MAX_BODY_BYTES {
        return Err(Error::corrupt(format!(
            "{name}: model body larger than {MAX_BODY_BYTES} bytes"
        )));
    }
    Ok(body)
}

/// Writes `bytes` to `path` all or nothing, by the rules of [`crate::output`];
/// refuses to replace an existing file unless `force`.
pub fn write_atomic(path: &Path, bytes: &[u8], force: bool) -> Result<()> {
    crate::output::write_atomic(path, bytes, force)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_round_trips_and_rejects_damage() {
        let body = b"hello model body".repeat(10);
        let f = frame(&body).unwrap();
        assert!(sniff(&f));
        assert_eq!(unframe(&f, "m").unwrap(), body);
        // Trailing junk, truncation, a flipped byte, a newer version, set flags.
        let mut junk = f.clone();
        junk.push(0);
        assert!(
            unframe(&junk, "m")
                .unwrap_err()
                .to_string()
                .contains("trailing")
        );
        assert!(
            unframe(&f[..f.len() - 1], "m")
                .unwrap_err()
                .to_string()
                .contains("truncated")
        );
        let mut flip = f.clone();
        flip[HEADER_LEN + 2] ^= 1;
        assert!(
            unframe(&flip, "m")
                .unwrap_err()
                .to_string()
                .contains("checksum")
        );
        let mut newer = f.clone();
        newer[8] = 2;
        assert!(
            unframe(&newer, "m")
                .unwrap_err()
                .to_string()
                .contains("newer")
        );
        let mut flags = f.clone();
        flags[10] = 1;
        assert!(
            unframe(&flags, "m")
                .unwrap_err()
                .to_string()
                .contains("reserved")
        );
        assert!(
            unframe(b"PK\x03\x04 zip file", "m")
                .unwrap_err()
                .to_string()
                .contains("magic")
        );
    }

    #[test]
    fn write_atomic_refuses_to_clobber() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.szm");
        write_atomic(&p, b"one", false).unwrap();
        assert!(write_atomic(&p, b"two", false).is_err());
        assert_eq!(std::fs::read(&p).unwrap(), b"one");
        write_atomic(&p, b"two", true).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
