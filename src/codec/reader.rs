//! The one reader of a `.sz` file's records: header, packets, extension records,
//! index and trailer, with every framing check in one place (docs/FORMAT.md).
//!
//! Decoding, salvage and `inspect` are built on it; none of them parses records
//! themselves. The reader never looks inside payloads (it needs no model), so what
//! it checks is the container: checksums, tags, the running text count, the index
//! against the packets, the trailer against both, and the end of the input.
//!
//! ```no_run
//! # fn main() -> semzip::Result<()> {
//! use semzip::codec::reader::{Reader, Record};
//! let data = std::fs::read("file.sz").unwrap();
//! let mut r = Reader::new(&data[..])?;
//! println!("level {}", r.header().level);
//! while let Some(rec) = r.next_record()? {
//!     if let Record::Packet { offset, packet } = rec {
//!         println!("packet at {offset}: {} texts", packet.texts);
//!     }
//! }
//! # Ok(()) }
//! ```

use super::container::{
    Header, INDEX_TAG, IndexEntry, MAX_TRAILER_BYTES, PACKET_TAG, TRAILER_BYTES, Trailer,
    is_extension_tag, read_exact_or, read_extension, read_index,
};
use super::level::Level;
use super::packet::Packet;
use crate::{Error, Result};
use std::io::Read;

/// One record of a `.sz` file, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// An intact packet (checksum checked; its first text follows the texts before it).
    Packet {
        /// Byte offset of the packet's tag from the start of the file.
        offset: u64,
        /// The packet.
        packet: Packet,
    },
    /// An extension record this reader does not know, checked and skipped.
    Skipped {
        /// Byte offset of its tag.
        offset: u64,
        /// Its tag.
        tag: [u8; 2],
        /// Its length in bytes, tag included.
        len: u64,
        /// Its body, when the reader was asked to keep records of this tag
        /// ([`Reader::keep_extension`]).
        body: Option<Vec<u8>>,
    },
    /// The packet index, equal to the packets read.
    Index(Vec<IndexEntry>),
    /// The trailer, consistent with the packets and the index; nothing follows it.
    /// At the exact level its original length is the packets' sum; the original's
    /// checksum needs the decoded bytes and is the decoder's to check.
    Trailer(Trailer),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the index: packets and extension records.
    Records,
    /// The index was read; the trailer comes next.
    Trailer,
    /// The trailer was read and the input ended (or, resumed, the index was reached).
    Done,
    /// A check failed; nothing more is read.
    Failed,
}

/// Reads a `.sz` stream record by record; see the module documentation.
///
/// After an error the reader yields nothing more ([`Reader::offset`] then tells
/// where the failing record starts, for a salvaging caller to rescan from).
pub struct Reader<R> {
    r: R,
    header: Header,
    header_len: u64,
    pos: u64,
    texts: u64,
    original_bytes: u64,
    entries: Vec<IndexEntry>,
    state: State,
    /// Resumed after damage: the first packet may start past the running count, and
    /// the index (which lists packets this reader has not seen) is not checked.
    resumed: bool,
    /// Extension tags whose bodies are kept (layered files' refinement records).
    keep: Vec<[u8; 2]>,
}

impl<R: Read> Reader<R> {
    /// Keeps the bodies of extension records tagged `tag` (else they are checked
    /// and skipped).
    pub fn keep_extension(&mut self, tag: [u8; 2]) {
        if !self.keep.contains(&tag) {
            self.keep.push(tag);
        }
    }

    /// Reads and checks the header at the start of `r`.
    pub fn new(mut r: R) -> Result<Reader<R>> {
        let (header, header_len) = Header::read_from(&mut r)?;
        Ok(Reader {
            r,
            header,
            header_len,
            pos: header_len,
            texts: 0,
            original_bytes: 0,
            entries: Vec::new(),
            state: State::Records,
            resumed: false,
            keep: Vec::new(),
        })
    }

    /// A reader of the records of a file whose header was already read, starting at
    /// byte `offset` of the file (where `r` starts) with a packet whose first text is
    /// at least `min_text`. Used after damage: it stops, unchecked, at the index.
    pub fn resume(r: R, header: Header, header_len: u64, offset: u64, min_text: u64) -> Reader<R> {
        Reader {
            r,
            header,
            header_len,
            pos: offset,
            texts: min_text,
            original_bytes: 0,
            entries: Vec::new(),
            state: State::Records,
            resumed: true,
            keep: Vec::new(),
        }
    }

    /// The file's header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The header's length in bytes (an embedded model included).
    pub fn header_len(&self) -> u64 {
        self.header_len
    }

    /// Byte offset of the next record, or of the record that failed.
    pub fn offset(&self) -> u64 {
        self.pos
    }

    /// Texts in the packets read so far (after a resume: from the first packet's first text).
    pub fn texts(&self) -> u64 {
        self.texts
    }

    /// The next record; `Ok(None)` once the trailer and the end of the input were
    /// checked (a resumed reader: once the index is reached).
    pub fn next_record(&mut self) -> Result<Option<Record>> {
        let r = match self.state {
            State::Done | State::Failed => return Ok(None),
            State::Records => self.read_record(),
            State::Trailer => self.read_trailer().map(Some),
        };
        if r.is_err() {
            self.state = State::Failed;
        }
        r
    }

    fn read_record(&mut self) -> Result<Option<Record>> {
        let mut tag = [0u8; 2];
        read_exact_or(&mut self.r, &mut tag, "the packet list")?;
        let offset = self.pos;
        if tag == PACKET_TAG {
            let (packet, len) = Packet::read_after_tag(&mut self.r)?;
            let starts_right = if self.resumed && self.entries.is_empty() {
                packet.first_text >= self.texts
            } else {
                packet.first_text == self.texts
            };
            if !starts_right {
                return Err(Error::corrupt(format!(
                    "packet at byte {offset} starts at text {} but {} texts came before: packets are missing or out of order",
                    packet.first_text, self.texts
                )));
            }
            self.entries.push(IndexEntry {
                offset,
                first_text: packet.first_text,
            });
            self.pos += len;
            self.texts = packet.first_text.saturating_add(packet.texts);
            self.original_bytes = self.original_bytes.saturating_add(packet.original_bytes);
            return Ok(Some(Record::Packet { offset, packet }));
        }
        if is_extension_tag(tag) {
            let mut body = self.keep.contains(&tag).then(Vec::new);
            let len = read_extension(&mut self.r, tag, body.as_mut())?;
            self.pos += len;
            return Ok(Some(Record::Skipped {
                offset,
                tag,
                len,
                body,
            }));
        }
        if tag != INDEX_TAG {
            return Err(Error::corrupt(format!(
                "unexpected bytes at offset {offset} (neither a packet nor the index): damaged file; salvage may recover the intact packets"
            )));
        }
        if self.resumed {
            self.state = State::Done;
            return Ok(None);
        }
        let entries = read_index(&mut self.r, self.entries.len() as u64)?;
        if entries != self.entries {
            return Err(Error::corrupt(
                "the packet index does not match the packets: damaged file; salvage may recover the intact packets",
            ));
        }
        self.state = State::Trailer;
        Ok(Some(Record::Index(entries)))
    }

    fn read_trailer(&mut self) -> Result<Record> {
        let t = if self.header.version < 3 {
            let mut tb = [0u8; TRAILER_BYTES];
            read_exact_or(&mut self.r, &mut tb, "the trailer")?;
            Trailer::from_bytes(&tb)?
        } else {
            // The compact trailer is the rest of the input: read one byte more than
            // it can be, to tell trailing bytes from it.
            let mut tb = Vec::with_capacity(MAX_TRAILER_BYTES + 1);
            (&mut self.r)
                .take(MAX_TRAILER_BYTES as u64 + 1)
                .read_to_end(&mut tb)
                .map_err(|e| Error::corrupt(format!("cannot read the trailer: {e}")))?;
            if tb.len() > MAX_TRAILER_BYTES {
                return Err(Error::corrupt(
                    "trailing bytes after the end of the .sz data",
                ));
            }
            if tb.is_empty() {
                return Err(Error::corrupt(
                    "the .sz file is truncated (inside the trailer)",
                ));
            }
            Trailer::parse(self.header.version, &tb)?
        };
        if t.index_offset != self.pos || t.packets != self.entries.len() as u64 {
            return Err(Error::corrupt(
                "the trailer does not match the packets: damaged file",
            ));
        }
        if t.texts != self.texts {
            return Err(Error::corrupt(format!(
                "the trailer counts {} texts but the packets hold {}",
                t.texts, self.texts
            )));
        }
        if self.header.level == Level::Exact && t.original_bytes != self.original_bytes {
            return Err(Error::corrupt(format!(
                "the trailer counts {} original bytes but the packets hold {}",
                t.original_bytes, self.original_bytes
            )));
        }
        let mut extra = [0u8; 1];
        loop {
            match self.r.read(&mut extra) {
                Ok(0) => break,
                Ok(_) => {
                    return Err(Error::corrupt(
                        "trailing bytes after the end of the .sz data",
                    ));
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::corrupt(format!("cannot read past the trailer: {e}"))),
            }
        }
        self.state = State::Done;
        Ok(Record::Trailer(t))
    }
}

impl<R: Read> Iterator for Reader<R> {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Result<Record>> {
        self.next_record().transpose()
    }
}

/// The offset of the next intact packet in `data` at or after `from` whose first
/// text is at least `min_text` (salvage's resynchronization after damage).
pub fn find_packet(data: &[u8], from: usize, min_text: u64) -> Option<usize> {
    let mut i = from;
    while i + 1 < data.len() {
        let at = data[i..].windows(2).position(|w| w == PACKET_TAG)? + i;
        if let Some((p, _)) = Packet::parse_at(&data[at..])
            && p.first_text >= min_text
        {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

/// A whole `.sz` file held in memory, split into its parts by the [`Reader`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// The header.
    pub header: Header,
    /// The packets, in file order, each with the offset of its record.
    pub packets: Vec<(u64, Packet)>,
    /// The trailer.
    pub trailer: Trailer,
}

/// Splits an intact `.sz` file into header, packets and trailer, with every framing
/// check of a decoder (payloads aside). A channel simulation can then send the
/// packets, lose or damage some, and decode what arrived with
/// [`super::decode_packets`].
pub fn split(sz: &[u8]) -> Result<Split> {
    let mut r = Reader::new(sz)?;
    let mut packets = Vec::new();
    let mut trailer = None;
    while let Some(rec) = r.next_record()? {
        match rec {
            Record::Packet { offset, packet } => packets.push((offset, packet)),
            Record::Trailer(t) => trailer = Some(t),
            Record::Index(_) | Record::Skipped { .. } => {}
        }
    }
    let trailer = trailer.ok_or_else(|| Error::corrupt("the .sz data ended without a trailer"))?;
    Ok(Split {
        header: r.header,
        packets,
        trailer,
    })
}
