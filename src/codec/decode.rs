//! Decoding: packets back to bytes (exact) or to each text's skills (lossy), one
//! packet at a time or a whole `.sz` stream, on the one container [`Reader`].

use super::coder;
use super::container::{Header, Trailer};
use super::file_model::{FileModel, resolve_model};
use super::layered::{self, EXACT_TAG, LayerRecord, ORDER_TAG, RunOut};
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
        Level::Layered => Err(Error::invalid(
            "a layered file's packets decode with their refinement records (codec::layered::decode_run)",
        )),
        Level::Set | Level::Sequence => {
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
            render_texts(fm, p.first_text, &texts)
        }
    }
}

/// Each text's skills as strings.
fn render_texts(fm: &FileModel, first_text: u64, texts: &[Vec<coder::Skill>]) -> Result<Decoded> {
    let mut out = Vec::with_capacity(texts.len());
    for t in texts {
        let mut words = Vec::with_capacity(t.len());
        for s in t {
            words.push(fm.render(s).ok_or_else(|| {
                Error::corrupt(format!(
                    "packet of text {first_text} names a skill outside the codebook"
                ))
            })?);
        }
        out.push(words);
    }
    Ok(Decoded::Texts(out))
}

/// One run of a layered file: its base packet and the refinement records read.
#[derive(Debug, Clone)]
pub struct Run {
    /// The base packet (the sets).
    pub base: Packet,
    /// The order layer, if read.
    pub order: Option<LayerRecord>,
    /// The exact layer, if read.
    pub exact: Option<LayerRecord>,
}

impl Run {
    /// A run of a base packet, refinements to come.
    pub fn new(base: Packet) -> Run {
        Run {
            base,
            order: None,
            exact: None,
        }
    }

    /// Attaches a refinement record (checked against the base packet).
    pub fn attach(&mut self, tag: [u8; 2], body: &[u8]) -> Result<()> {
        let rec = LayerRecord::parse(tag, body)?;
        if rec.first_text != self.base.first_text || rec.texts != self.base.texts {
            return Err(Error::corrupt(format!(
                "a layer record of texts {}+{} follows the packet of texts {}+{}",
                rec.first_text, rec.texts, self.base.first_text, self.base.texts
            )));
        }
        let slot = if tag == ORDER_TAG {
            &mut self.order
        } else {
            &mut self.exact
        };
        if slot.is_some() {
            return Err(Error::corrupt(format!(
                "the run of text {} has two records of one layer",
                self.base.first_text
            )));
        }
        *slot = Some(rec);
        Ok(())
    }

    /// The highest level this run's records allow.
    pub fn top(&self) -> Level {
        match (&self.order, &self.exact) {
            (Some(_), Some(_)) => Level::Exact,
            (Some(_), None) => Level::Sequence,
            _ => Level::Set,
        }
    }

    /// Decodes the run at `level` (set, sequence or exact).
    pub fn decode(&self, fm: &FileModel, level: Level) -> Result<Decoded> {
        let out = layered::decode_run(
            fm,
            level,
            &self.base,
            self.order.as_ref(),
            self.exact.as_ref(),
        )?;
        match out {
            RunOut::Bytes(b) => Ok(Decoded::Bytes(b)),
            RunOut::Skills(t) => render_texts(fm, self.base.first_text, &t),
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

/// Output bytes a batch holds at most: one largest packet a thread (see
/// [`super::encode`]'s batches).
fn batch_bytes() -> u64 {
    super::encode::batch_bytes() as u64
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
    /// The level decoded to; `None` (layered files) until the first run shows its top.
    target: Option<Level>,
    /// Layered files: the run whose refinement records are being read.
    pending: Option<Run>,
}

impl<R: Read> Decoder<R> {
    /// Reads the header and resolves the model (`shared` for a file made with one).
    pub fn new(r: R, name: &str, shared: Option<&Model>) -> Result<Decoder<R>> {
        Decoder::at_level(r, name, shared, None)
    }

    /// Like [`Decoder::new`], decoding at `level`: a layered file's set, sequence or
    /// exact level (reading only the records it needs; `None`: the highest layer its
    /// first run holds), or a single-level file's own level.
    pub fn at_level(
        r: R,
        name: &str,
        shared: Option<&Model>,
        level: Option<Level>,
    ) -> Result<Decoder<R>> {
        let mut reader = Reader::new(r).map_err(|e| name_err(name, e))?;
        let file_level = reader.header().level;
        let target = match (file_level, level) {
            (Level::Layered, Some(Level::Layered) | None) => None,
            (Level::Layered, Some(l)) => Some(l),
            (f, None) => Some(f),
            (f, Some(l)) if l == f => Some(f),
            (f, Some(l)) => {
                return Err(Error::invalid(format!(
                    "{name} holds the {f} level only, not the {l} level (only layered files hold several)"
                )));
            }
        };
        if file_level == Level::Layered {
            if target.is_none_or(|l| l.rank() >= Level::Sequence.rank()) {
                reader.keep_extension(ORDER_TAG);
            }
            if target.is_none_or(|l| l == Level::Exact) {
                reader.keep_extension(EXACT_TAG);
            }
        }
        let model = resolve_model(reader.header(), shared, name)?;
        Ok(Decoder {
            reader,
            name: name.to_string(),
            model,
            hash: Xxh3::new(),
            bytes: 0,
            queue: VecDeque::new(),
            trailer: None,
            target,
            pending: None,
        })
    }

    /// The level decoded to (`None` for a layered file before its first run is read).
    pub fn level(&self) -> Option<Level> {
        self.target
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
        if self.reader.header().level == Level::Layered {
            return self.fill_layered();
        }
        let mut batch = Vec::new();
        let mut trailer = None;
        let mut held = 0u64;
        while trailer.is_none() && batch.len() < batch_len() && held < batch_bytes() {
            match self.reader.next_record()? {
                Some(Record::Packet { packet, .. }) => {
                    held = held.saturating_add(packet.original_bytes);
                    batch.push(packet);
                }
                Some(Record::Trailer(t)) => trailer = Some(t),
                Some(Record::Index(_) | Record::Skipped { .. }) => {}
                None => return Err(Error::corrupt("the .sz data ended without a trailer")),
            }
        }
        let level = self.reader.header().level;
        let decoded = decode_packets(level, &self.model, &batch);
        self.take(decoded, trailer, level)
    }

    /// [`Decoder::fill`] for a layered file: runs (a packet and the refinement
    /// records after it) decoded in parallel at the target level.
    fn fill_layered(&mut self) -> Result<()> {
        let mut batch = Vec::new();
        let mut trailer = None;
        while trailer.is_none() && batch.len() < batch_len() {
            match self.reader.next_record()? {
                Some(Record::Packet { packet, .. }) => {
                    batch.extend(self.pending.replace(Run::new(packet)));
                }
                Some(Record::Skipped {
                    tag,
                    body: Some(body),
                    ..
                }) => {
                    let run = self
                        .pending
                        .as_mut()
                        .ok_or_else(|| Error::corrupt("a layer record comes before any packet"))?;
                    run.attach(tag, &body)?;
                }
                Some(Record::Index(_)) => batch.extend(self.pending.take()),
                Some(Record::Trailer(t)) => trailer = Some(t),
                Some(Record::Skipped { .. }) => {}
                None => return Err(Error::corrupt("the .sz data ended without a trailer")),
            }
        }
        let level = match (self.target, batch.first()) {
            (Some(l), _) => l,
            (None, Some(run)) => *self.target.insert(run.top()),
            (None, None) => Level::Set,
        };
        use rayon::prelude::*;
        let model = &self.model;
        let decoded: Vec<Result<Decoded>> =
            batch.par_iter().map(|r| r.decode(model, level)).collect();
        self.take(decoded, trailer, level)
    }

    /// Queues decoded packets in order, checking the original at the exact level.
    fn take(
        &mut self,
        decoded: Vec<Result<Decoded>>,
        trailer: Option<Trailer>,
        level: Level,
    ) -> Result<()> {
        for d in decoded {
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
    decode_at(input, in_name, output, out_name, shared, None)
}

/// Like [`decode`], at `level` (see [`Decoder::at_level`]).
pub fn decode_at<W: Write + ?Sized>(
    input: impl Read,
    in_name: &str,
    output: &mut W,
    out_name: &str,
    shared: Option<&Model>,
    level: Option<Level>,
) -> Result<DecodeStats> {
    let mut d = Decoder::at_level(
        BufReader::with_capacity(1 << 16, input),
        in_name,
        shared,
        level,
    )?;
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
    if d.header().level == Level::Layered {
        stats.level = format!("{} of layered", d.level().unwrap_or(Level::Set));
    }
    output.flush().map_err(|e| Error::io(out_name, e))?;
    Ok(stats)
}
