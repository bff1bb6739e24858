//! Decoding: packets back to bytes (exact) or to each text's skills (lossy), one
//! packet at a time or a whole `.sz` stream, on the one container [`Reader`].

use super::coder;
use super::container::{Header, Trailer};
use super::file_model::{FileModel, resolve_model};
use super::level::Level;
use super::name_err;
use super::packet::Packet;
use super::reader::{Reader, Record};
use crate::model::Model;
use crate::{Error, Result};
use serde::Serialize;
use std::collections::VecDeque;
use std::io::{BufReader, Read, Write};
use xxhash_rust::xxh3::Xxh3;

/// One decoded packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// Exact level: the original bytes.
    Bytes(Vec<u8>),
    /// Lossy levels: each text's skills, as strings (set level: canonical order).
    Texts(Vec<Vec<String>>),
}

impl Decoded {
    /// Appends the decoded form to `out`: the bytes themselves, or one line per text
    /// with its skills separated by spaces.
    pub fn render_into(&self, out: &mut Vec<u8>) {
        match self {
            Decoded::Bytes(b) => out.extend_from_slice(b),
            Decoded::Texts(ts) => {
                for t in ts {
                    out.extend_from_slice(t.join(" ").as_bytes());
                    out.push(b'\n');
                }
            }
        }
    }
}

/// Decodes one packet's payload with the file's model and level, checking it
/// against the packet's framing (byte length and line count, or number of texts).
///
/// Packets are independent: any packet decodes without the others, so a receiver
/// can decode whatever subset of a file's packets arrived (see [`decode_packets`]).
pub fn decode_payload(level: Level, fm: &FileModel, p: &Packet) -> Result<Decoded> {
    match level {
        Level::Exact => {
            let bytes = coder::decode_exact(fm.context(), &p.payload)?;
            if bytes.len() as u64 != p.original_bytes {
                return Err(Error::corrupt(format!(
                    "packet of line {} decodes to {} bytes instead of {}",
                    p.first_text,
                    bytes.len(),
                    p.original_bytes
                )));
            }
            let lines = bytes.iter().filter(|&&c| c == b'\n').count() as u64;
            if lines != p.texts {
                return Err(Error::corrupt(format!(
                    "packet of line {} holds {lines} lines, its header says {}",
                    p.first_text, p.texts
                )));
            }
            Ok(Decoded::Bytes(bytes))
        }
        _ => {
            let texts = match level {
                Level::Set => coder::decode_sets(fm.context(), &p.payload)?,
                _ => coder::decode_sequences(fm.context(), &p.payload)?,
            };
            if texts.len() as u64 != p.texts {
                return Err(Error::corrupt(format!(
                    "packet of text {} decodes to {} texts instead of {}",
                    p.first_text,
                    texts.len(),
                    p.texts
                )));
            }
            let mut out = Vec::with_capacity(texts.len());
            for t in &texts {
                let mut words = Vec::with_capacity(t.len());
                for s in t {
                    words.push(fm.render(s).ok_or_else(|| {
                        Error::corrupt(format!(
                            "packet of text {} names a skill outside the codebook",
                            p.first_text
                        ))
                    })?);
                }
                out.push(words);
            }
            Ok(Decoded::Texts(out))
        }
    }
}

/// Decodes packets independently and in parallel, one result per packet, in order.
///
/// This is the library's entry for "decode whatever arrived": the packets may be
/// any subset of a file's, in any order (read them with [`Reader`] or
/// [`Packet::parse_at`]); `level` and `model` come from the file's header
/// ([`Header::level`], [`resolve_model`]). A damaged or foreign packet gives an
/// error in its own slot and costs nothing else. Each result's texts are numbered
/// from its packet's `first_text`.
pub fn decode_packets(level: Level, model: &FileModel, packets: &[Packet]) -> Vec<Result<Decoded>> {
    use rayon::prelude::*;
    packets
        .par_iter()
        .map(|p| decode_payload(level, model, p))
        .collect()
}

/// Packets decoded at once: enough to keep every thread busy, few enough to bound
/// memory (a packet's output each).
fn batch_len() -> usize {
    2 * rayon::current_num_threads().max(1)
}

/// Reads a `.sz` stream packet by packet, checking everything on the way.
///
/// Packets are read in small batches and their payloads decoded in parallel; the
/// results come out in file order. Framing is checked by the [`Reader`]; this adds
/// the payloads and, at the exact level, the original's length and checksum.
pub struct Decoder<R: Read> {
    reader: Reader<R>,
    name: String,
    model: FileModel,
    hash: Xxh3,
    bytes: u64,
    queue: VecDeque<Decoded>,
    trailer: Option<Trailer>,
}

impl<R: Read> Decoder<R> {
    /// Reads the header and resolves the model (`shared` for a file made with one).
    pub fn new(r: R, name: &str, shared: Option<&Model>) -> Result<Decoder<R>> {
        let reader = Reader::new(r).map_err(|e| name_err(name, e))?;
        let model = resolve_model(reader.header(), shared, name)?;
        Ok(Decoder {
            reader,
            name: name.to_string(),
            model,
            hash: Xxh3::new(),
            bytes: 0,
            queue: VecDeque::new(),
            trailer: None,
        })
    }

    /// The file's header.
    pub fn header(&self) -> &Header {
        self.reader.header()
    }

    /// The file's model.
    pub fn model(&self) -> &FileModel {
        &self.model
    }

    /// The trailer, once [`Decoder::next_packet`] has returned `None`.
    pub fn trailer(&self) -> Option<&Trailer> {
        self.trailer.as_ref()
    }

    /// The next packet decoded, or `None` after the index and trailer were checked.
    pub fn next_packet(&mut self) -> Result<Option<Decoded>> {
        if self.queue.is_empty() && self.trailer.is_none() {
            self.fill().map_err(|e| name_err(&self.name, e))?;
        }
        Ok(self.queue.pop_front())
    }

    /// Reads a batch of packets, decodes them in parallel, and checks the original's
    /// checksum once the trailer is reached.
    fn fill(&mut self) -> Result<()> {
        let mut batch = Vec::new();
        let mut trailer = None;
        while trailer.is_none() && batch.len() < batch_len() {
            match self.reader.next_record()? {
                Some(Record::Packet { packet, .. }) => batch.push(packet),
                Some(Record::Trailer(t)) => trailer = Some(t),
                Some(Record::Index(_) | Record::Skipped { .. }) => {}
                None => return Err(Error::corrupt("the .sz data ended without a trailer")),
            }
        }
        let level = self.reader.header().level;
        for d in decode_packets(level, &self.model, &batch) {
            let d = d?;
            if let Decoded::Bytes(b) = &d {
                self.hash.update(b);
                self.bytes += b.len() as u64;
            }
            self.queue.push_back(d);
        }
        if let Some(t) = trailer {
            if level == Level::Exact
                && (t.original_bytes != self.bytes || t.original_xxh3 != self.hash.digest())
            {
                return Err(Error::corrupt(
                    "the decoded bytes do not match the original's checksum",
                ));
            }
            self.trailer = Some(t);
        }
        Ok(())
    }
}

/// What a decoding did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DecodeStats {
    /// The fidelity level of the file.
    pub level: String,
    /// Packets decoded.
    pub packets: u64,
    /// Texts decoded (exact level: lines).
    pub texts: u64,
    /// Bytes written.
    pub bytes_out: u64,
    /// The file carried its own model (a shared model given to decode it went unused).
    pub embedded: bool,
}

/// Decodes a whole `.sz` stream, writing the decoded form to `output`.
///
/// Any damage is an error: use [`super::salvage()`] to recover what is intact.
pub fn decode<W: Write + ?Sized>(
    input: impl Read,
    in_name: &str,
    output: &mut W,
    out_name: &str,
    shared: Option<&Model>,
) -> Result<DecodeStats> {
    let mut d = Decoder::new(BufReader::with_capacity(1 << 16, input), in_name, shared)?;
    let mut stats = DecodeStats {
        level: d.header().level.to_string(),
        embedded: !matches!(d.header().model, super::container::ModelRef::Shared { .. }),
        ..DecodeStats::default()
    };
    let mut buf = Vec::new();
    while let Some(p) = d.next_packet()? {
        buf.clear();
        p.render_into(&mut buf);
        output.write_all(&buf).map_err(|e| Error::io(out_name, e))?;
        stats.packets += 1;
        stats.bytes_out += buf.len() as u64;
        stats.texts += match &p {
            Decoded::Bytes(b) => b.iter().filter(|&&c| c == b'\n').count() as u64,
            Decoded::Texts(t) => t.len() as u64,
        };
    }
    output.flush().map_err(|e| Error::io(out_name, e))?;
    Ok(stats)
}
