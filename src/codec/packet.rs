//! Packets: independent units of a `.sz` file, each a few texts' payload with its
//! own length, text count, original length and checksum, so a damaged packet costs
//! only its own texts.

use super::container::{PACKET_TAG, get_varint_logged, read_exact_or, read_len};
use super::varint;
use crate::{Error, Result};
use std::io::{self, Read, Write};

/// Default amount of input per packet (see docs/FORMAT.md for the choice): every
/// coder's history then spans most files whole (64 MiB of changelogs, default coder:
/// 0.56x zstd -19, against 0.83x with 16 MiB packets), memory stays bounded.
pub const DEFAULT_PACKET_BYTES: usize = MAX_PACKET_BYTES;
/// Largest packet size accepted (16 MiB before format version 6).
pub const MAX_PACKET_BYTES: usize = 64 << 20;
/// Largest payload a reader accepts (a coder may expand incompressible input a little;
/// lossy packets also hold whole texts, which can exceed the packet size).
pub const MAX_PAYLOAD_BYTES: u64 = 128 << 20;

/// One packet: its framing fields and its coded payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// Number of texts in the packet (exact level: line ends `\n` in its bytes).
    pub texts: u64,
    /// Number of the packet's first text over the whole input (exact level: the 0-based
    /// line in which its first byte lies).
    pub first_text: u64,
    /// Bytes of input the packet stands for.
    pub original_bytes: u64,
    /// The coded payload, as the level's coder wrote it.
    pub payload: Vec<u8>,
}

impl Packet {
    /// Writes the packet record: tag, varint fields, xxh3-64 checksum, payload.
    ///
    /// Returns the number of bytes written.
    pub fn write_to(&self, w: &mut impl Write) -> io::Result<u64> {
        let mut head = Vec::with_capacity(48);
        head.extend_from_slice(&PACKET_TAG);
        varint::put(&mut head, self.payload.len() as u64);
        varint::put(&mut head, self.texts);
        varint::put(&mut head, self.first_text);
        varint::put(&mut head, self.original_bytes);
        let sum = checksum(&head, &self.payload);
        head.extend_from_slice(&sum.to_le_bytes());
        w.write_all(&head)?;
        w.write_all(&self.payload)?;
        Ok((head.len() + self.payload.len()) as u64)
    }

    /// Reads a packet record whose tag was already consumed, checking its checksum.
    ///
    /// Returns the packet and the record's total length (tag included).
    pub fn read_after_tag(r: &mut impl Read) -> Result<(Packet, u64)> {
        let what = "a packet header";
        let mut head = PACKET_TAG.to_vec();
        let len = get_varint_logged(r, &mut head, what)?;
        let texts = get_varint_logged(r, &mut head, what)?;
        let first_text = get_varint_logged(r, &mut head, what)?;
        let original_bytes = get_varint_logged(r, &mut head, what)?;
        if len > MAX_PAYLOAD_BYTES {
            return Err(Error::corrupt(format!(
                "a packet claims a {len}-byte payload (limit {MAX_PAYLOAD_BYTES}): damaged file"
            )));
        }
        let mut sum = [0u8; 8];
        read_exact_or(r, &mut sum, what)?;
        let payload = read_len(r, len, "a packet payload")?;
        if u64::from_le_bytes(sum) != checksum(&head, &payload) {
            return Err(Error::corrupt(format!(
                "packet of texts {first_text}.. is damaged (checksum mismatch)"
            )));
        }
        let total = head.len() as u64 + 8 + len;
        Ok((
            Packet {
                texts,
                first_text,
                original_bytes,
                payload,
            },
            total,
        ))
    }

    /// Tries to read a whole packet record (tag included) at the start of `buf`;
    /// `None` when it is not an intact packet. Used by salvage to resynchronize.
    pub fn parse_at(buf: &[u8]) -> Option<(Packet, u64)> {
        if buf.len() < 2 || buf[..2] != PACKET_TAG {
            return None;
        }
        let mut rest = &buf[2..];
        Packet::read_after_tag(&mut rest).ok()
    }
}

/// The packet checksum: xxh3-64 over the header fields (tag included) then the payload.
fn checksum(head: &[u8], payload: &[u8]) -> u64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(head);
    h.update(payload);
    h.digest()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> Packet {
        Packet {
            texts: 3,
            first_text: 1000,
            original_bytes: 321,
            payload: (0..200u32).map(|i| (i * 7) as u8).collect(),
        }
    }

    #[test]
    fn round_trips_and_reports_length() {
        let p = sample();
        let mut b = Vec::new();
        let n = p.write_to(&mut b).unwrap();
        assert_eq!(n, b.len() as u64);
        let (back, len) = Packet::parse_at(&b).unwrap();
        assert_eq!(back, p);
        assert_eq!(len, n);
    }

    proptest! {
        #[test]
        fn any_damage_is_detected(pos in any::<prop::sample::Index>(), flip in 1u8..=255, cut in any::<prop::sample::Index>()) {
            let mut b = Vec::new();
            sample().write_to(&mut b).unwrap();
            let mut m = b.clone();
            let i = pos.index(m.len());
            m[i] ^= flip;
            prop_assert!(Packet::parse_at(&m).is_none());
            let c = cut.index(b.len());
            prop_assert!(Packet::parse_at(&b[..c]).is_none());
        }

        #[test]
        fn random_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..300)) {
            let mut d = PACKET_TAG.to_vec();
            d.extend_from_slice(&data);
            prop_assert!(Packet::parse_at(&d).is_none());
        }
    }
}
