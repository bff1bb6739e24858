//! Encoding and decoding whole `.sz` streams in bounded memory: texts are read
//! incrementally and each packet is written as soon as it is made.
//!
//! Memory is bounded by the packet size, the longest text (lossy levels, at most
//! [`DEFAULT_MAX_TEXT_BYTES`]), the training prefix when encoding without a model
//! ([`EncodeOptions::train_bytes`]) and the packet index (16 bytes a packet).

use super::coder::{self, CoderContext, Skill};
use super::container::{
    EmbeddedModel, Header, INDEX_TAG, IndexEntry, ModelRef, PACKET_TAG, TRAILER_BYTES, TextsCode,
    Trailer, read_exact_or, read_index, write_index,
};
use super::level::{Level, Unlearned};
use super::packet::{DEFAULT_PACKET_BYTES, MAX_PACKET_BYTES, Packet};
use crate::model::{Codebook, Model};
use crate::text::extract::{Extractor, ExtractorSpec};
use crate::text::segment::{DEFAULT_MAX_TEXT_BYTES, Segmentation, Segmenter};
use crate::train::{TrainOptions, train_texts};
use crate::{Error, Result};
use serde::Serialize;
use std::io::{self, BufReader, Read, Write};
use xxhash_rust::xxh3::Xxh3;

/// Default bytes of input a model is trained on when encoding without `-m`.
pub const DEFAULT_TRAIN_BYTES: usize = 32 << 20;

/// Capacity of the learner that trains an embedded model. Higher than `semzip
/// train`'s default: the embedded codebook only has to code this one input, and a
/// skill escaped literally costs more than its codebook entry (asyoulik.txt at the set
/// level: capacity 4 gives 18200 bytes, 8 gives 17672, 16 gives 17148).
pub const SELF_TRAIN_CAPACITY: u32 = 16;

/// How to encode.
#[derive(Debug, Clone)]
pub struct EncodeOptions {
    /// What survives decoding.
    pub level: Level,
    /// What the lossy levels do with skills outside the codebook.
    pub unlearned: Unlearned,
    /// How the input is cut into texts (lossy levels; the exact level packs line groups).
    pub texts: Segmentation,
    /// Bytes of input per packet (a packet closes once its texts reach this size).
    pub packet_bytes: usize,
    /// Without a shared model, train on (at most) this prefix of the input.
    pub train_bytes: usize,
    /// Without a shared model, the learner that trains the embedded one.
    pub learner: crate::peel::Learner,
    /// Lossy levels: keep only part of each text's skills (`None`: all of them).
    pub dial: Option<crate::fidelity::Dial>,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions {
            level: Level::Exact,
            unlearned: Unlearned::Escape,
            texts: Segmentation::Lines,
            packet_bytes: DEFAULT_PACKET_BYTES,
            train_bytes: DEFAULT_TRAIN_BYTES,
            learner: crate::peel::Learner::capacity(SELF_TRAIN_CAPACITY)
                .expect("the self-training capacity is at least 1"),
            dial: None,
        }
    }
}

impl EncodeOptions {
    fn validate(&self) -> Result<()> {
        if self.packet_bytes == 0 || self.packet_bytes > MAX_PACKET_BYTES {
            return Err(Error::invalid(format!(
                "--packet-bytes {} is out of range: use 1 to {MAX_PACKET_BYTES}",
                self.packet_bytes
            )));
        }
        Ok(())
    }
}

/// What an encoding did (the `semzip encode` summary).
#[derive(Debug, Clone, Default, Serialize)]
pub struct EncodeStats {
    /// The fidelity level.
    pub level: String,
    /// Bytes of input.
    pub bytes_in: u64,
    /// Bytes of `.sz` output (everything: header, model, packets, index, trailer).
    pub bytes_out: u64,
    /// Bytes of the header (including an embedded model).
    pub header_bytes: u64,
    /// True when the model is embedded (trained on the input).
    pub embedded: bool,
    /// Fingerprint of the model (shared: `Model::fingerprint`; embedded: of its sections).
    pub fingerprint: String,
    /// Skills in the codebook used.
    pub codebook_skills: u64,
    /// Number of packets.
    pub packets: u64,
    /// Number of texts (exact level: lines).
    pub texts: u64,
    /// Skill occurrences sent (lossy) or word tokens coded (exact).
    pub skills: u64,
    /// Of those, how many were in the codebook.
    pub known: u64,
    /// Skills (or exact-level words) outside the codebook sent literally.
    pub escapes: u64,
    /// Skills outside the codebook left out (`--unlearned drop`).
    pub dropped: u64,
    /// Bits of output per byte of input.
    pub bpc: f64,
}

/// The model a file is coded with, ready for the payload coders.
pub struct FileModel {
    /// The skill extractor (lossy levels, and fidelity measures).
    pub extractor: Extractor,
    /// The codebook.
    pub codebook: Codebook,
    /// Shared fingerprint, or the embedded sections' fingerprint.
    pub fingerprint: u64,
    /// True when the model travels inside the file.
    pub embedded: bool,
    ctx: CoderContext,
}

impl FileModel {
    /// The parts of a shared model.
    pub fn shared(model: &Model) -> FileModel {
        FileModel {
            extractor: model.extractor.clone(),
            codebook: model.codebook.clone(),
            fingerprint: model.fingerprint(),
            embedded: false,
            ctx: CoderContext::new(&model.codebook, &model.associations),
        }
    }

    /// Decodes an embedded model's sections.
    pub fn from_embedded(e: &EmbeddedModel) -> Result<FileModel> {
        let (extractor, used): (Extractor, usize) =
            bincode::serde::decode_from_slice(&e.extractor, crate::model::bincode_decode_config())
                .map_err(|err| {
                    Error::corrupt(format!("the embedded extractor does not decode: {err}"))
                })?;
        if used != e.extractor.len() {
            return Err(Error::corrupt("the embedded extractor has trailing bytes"));
        }
        let codebook = coder::decode_codebook(&e.codebook)?;
        let n = codebook.len() as u64;
        if e.associations
            .iter()
            .any(|&(a, b, _)| a as u64 >= n || b as u64 >= n)
        {
            return Err(Error::corrupt(
                "the embedded associations name skills outside the codebook",
            ));
        }
        Ok(FileModel {
            ctx: CoderContext::new(&codebook, &e.associations),
            extractor,
            codebook,
            fingerprint: e.fingerprint(),
            embedded: true,
        })
    }

    /// The coder context built from this model.
    pub fn context(&self) -> &CoderContext {
        &self.ctx
    }

    /// The text of a decoded skill (`None` for a code outside the codebook).
    pub fn render(&self, s: &Skill) -> Option<String> {
        match s {
            Skill::Known(c) => self.codebook.skill(*c).map(str::to_string),
            Skill::Literal(l) => Some(l.clone()),
        }
    }
}

/// The header byte for a segmentation.
pub fn texts_code(s: Segmentation) -> TextsCode {
    TextsCode(match s {
        Segmentation::Lines => 0,
        Segmentation::Paragraphs => 1,
        Segmentation::Fortunes => 2,
    })
}

/// The segmentation of a header byte (checked by [`Header::read_from`]).
pub fn texts_of(c: TextsCode) -> Segmentation {
    match c.0 {
        1 => Segmentation::Paragraphs,
        2 => Segmentation::Fortunes,
        _ => Segmentation::Lines,
    }
}

/// Reads from an input, counting and hashing every byte that passes.
struct HashingReader<R> {
    inner: R,
    name: String,
    bytes: u64,
    hash: Xxh3,
    error: Option<io::Error>,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                self.bytes += n as u64;
                self.hash.update(&buf[..n]);
                Ok(n)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                // Keep the real cause: the segmenter may rewrap it.
                self.error = Some(io::Error::new(e.kind(), e.to_string()));
                Err(e)
            }
        }
    }
}

/// Writes to an output, counting bytes and naming the output in errors.
struct CountingWriter<'a, W: Write + ?Sized> {
    inner: &'a mut W,
    name: &'a str,
    bytes: u64,
}

impl<W: Write + ?Sized> CountingWriter<'_, W> {
    fn put(&mut self, b: &[u8]) -> Result<()> {
        self.inner
            .write_all(b)
            .map_err(|e| Error::io(self.name, e))?;
        self.bytes += b.len() as u64;
        Ok(())
    }
}

/// Encodes `input` into a `.sz` stream on `output`.
///
/// With `model`, the header names its fingerprint; without, a model is trained on
/// the first `opts.train_bytes` of the input and embedded. `in_name` and `out_name`
/// name the two ends in errors.
pub fn encode<W: Write + ?Sized>(
    input: impl Read,
    in_name: &str,
    output: &mut W,
    out_name: &str,
    model: Option<&Model>,
    opts: &EncodeOptions,
) -> Result<EncodeStats> {
    opts.validate()?;
    let mut reader = HashingReader {
        inner: input,
        name: in_name.to_string(),
        bytes: 0,
        hash: Xxh3::new(),
        error: None,
    };
    let segmentation = match opts.level {
        Level::Exact => Segmentation::Lines,
        _ => opts.texts,
    };
    // Without a model, the prefix read for training is replayed before the rest.
    let mut prefix = Vec::new();
    // The dial (lossy levels only), ranked by the shared model's counts.
    let mut opts = opts.clone();
    if !opts.level.is_lossy() || opts.dial.as_ref().is_some_and(|d| d.keeps_all()) {
        opts.dial = None;
    }
    if let (Some(m), Some(d)) = (model, &opts.dial)
        && !d.is_ranked()
    {
        opts.dial = Some(d.ranked_by_codebook(&m.codebook));
    }
    let opts = &mut opts;
    let (fm, model_ref) = match model {
        Some(m) => (
            FileModel::shared(m),
            ModelRef::Shared {
                fingerprint: m.fingerprint(),
            },
        ),
        None => {
            (&mut reader)
                .take(opts.train_bytes as u64)
                .read_to_end(&mut prefix)
                .map_err(|e| Error::io(in_name, e))?;
            let mut m = self_train(&prefix, segmentation, opts, in_name)?;
            if let Some(d) = &opts.dial {
                let (d, restricted) =
                    crate::fidelity::dial::for_embedded(d, &m, &prefix, segmentation);
                m = restricted;
                opts.dial = Some(d);
            }
            let parts = EmbeddedModel {
                extractor: bincode::serde::encode_to_vec(&m.extractor, bincode::config::standard())
                    .map_err(|e| Error::invalid(format!("cannot serialize the extractor: {e}")))?,
                codebook: coder::encode_codebook(&m.codebook),
                // The coder does not use associations yet: they would cost bytes
                // (about 15 a skill) for no gain, so self-contained files omit them.
                associations: Vec::new(),
            };
            let mut fm = FileModel::shared(&m);
            fm.ctx = CoderContext::new(&m.codebook, &parts.associations);
            fm.fingerprint = parts.fingerprint();
            fm.embedded = true;
            (fm, ModelRef::Embedded(parts))
        }
    };
    let header = Header {
        level: opts.level,
        unlearned: opts.unlearned,
        texts: texts_code(segmentation),
        model: model_ref,
        metadata: format!(
            "{{\"created_by\":\"semzip {}\",\"packet_bytes\":{}}}",
            env!("CARGO_PKG_VERSION"),
            opts.packet_bytes
        )
        .into_bytes(),
    };
    let mut out = CountingWriter {
        inner: output,
        name: out_name,
        bytes: 0,
    };
    let head = header.to_bytes()?;
    out.put(&head)?;
    let mut stats = EncodeStats {
        level: opts.level.to_string(),
        header_bytes: head.len() as u64,
        embedded: fm.embedded,
        fingerprint: format!("{:016x}", fm.fingerprint),
        codebook_skills: fm.codebook.len() as u64,
        ..EncodeStats::default()
    };
    let mut index = Vec::new();
    let mut source = BufReader::with_capacity(1 << 16, io::Cursor::new(prefix).chain(&mut reader));
    {
        let mut emit = |p: Packet, stats: &mut EncodeStats, out: &mut CountingWriter<'_, W>| {
            index.push(IndexEntry {
                offset: out.bytes,
                first_text: p.first_text,
            });
            let mut b = Vec::with_capacity(p.payload.len() + 40);
            p.write_to(&mut b).map_err(|e| Error::io(out_name, e))?;
            out.put(&b)?;
            stats.packets += 1;
            stats.texts += p.texts;
            Ok::<(), Error>(())
        };
        match opts.level {
            Level::Exact => encode_exact_packets(
                &mut source,
                in_name,
                &fm,
                opts,
                &mut |p, s| emit(p, s, &mut out),
                &mut stats,
            )?,
            _ => encode_text_packets(
                &mut source,
                in_name,
                &fm,
                opts,
                &mut |p, s| emit(p, s, &mut out),
                &mut stats,
            )?,
        }
    }
    drop(source);
    if let Some(e) = reader.error.take() {
        return Err(Error::io(&reader.name, e));
    }
    let index_offset = out.bytes;
    let mut ib = Vec::new();
    write_index(&mut ib, &index).map_err(|e| Error::io(out_name, e))?;
    out.put(&ib)?;
    let trailer = Trailer {
        index_offset,
        packets: stats.packets,
        texts: stats.texts,
        original_bytes: reader.bytes,
        original_xxh3: reader.hash.digest(),
    };
    out.put(&trailer.to_bytes())?;
    out.inner.flush().map_err(|e| Error::io(out_name, e))?;
    stats.bytes_in = reader.bytes;
    stats.bytes_out = out.bytes;
    stats.bpc = if reader.bytes == 0 {
        0.0
    } else {
        out.bytes as f64 * 8.0 / reader.bytes as f64
    };
    Ok(stats)
}

/// Trains a model on the first bytes of the input (cut as it will be coded).
///
/// The exact level keeps stop words as skills: its codebook only primes the word
/// model, and the most frequent words are the best primed (3-8% smaller files on
/// alice29, asyoulik and 8 MB of both). The lossy levels use the default extractor.
fn self_train(prefix: &[u8], seg: Segmentation, enc: &EncodeOptions, name: &str) -> Result<Model> {
    let level = enc.level;
    let defaults = TrainOptions::default();
    let opts = TrainOptions {
        segmentation: seg,
        learner: enc.learner.clone(),
        holdout: 0.0,
        allow_empty: true,
        extractor: match level {
            Level::Exact => ExtractorSpec::Words,
            _ => defaults.extractor.clone(),
        },
        ..defaults
    };
    let texts = Segmenter::new(prefix, seg, DEFAULT_MAX_TEXT_BYTES).filter_map(|t| t.ok());
    let (model, _) = train_texts(texts, vec![name.to_string()], &opts)?;
    Ok(model)
}

type Emit<'e> = dyn FnMut(Packet, &mut EncodeStats) -> Result<()> + 'e;

/// Input for one packet, cut sequentially, coded in parallel with its neighbours.
enum Job {
    /// Exact level: raw bytes.
    Bytes { data: Vec<u8>, first_line: u64 },
    /// Lossy levels: whole texts.
    Texts {
        texts: Vec<String>,
        first: u64,
        bytes: u64,
    },
}

/// Skill counts of one packet, summed into [`EncodeStats`].
#[derive(Default)]
struct Counts {
    skills: u64,
    known: u64,
    escapes: u64,
    dropped: u64,
}

/// Packets coded at once: enough to keep every thread busy, few enough to bound
/// memory (a packet's input each).
fn batch_len() -> usize {
    2 * rayon::current_num_threads().max(1)
}

/// Codes one packet (pure: the same job always gives the same bytes).
fn make_packet(job: Job, fm: &FileModel, opts: &EncodeOptions) -> (Packet, Counts) {
    let mut c = Counts::default();
    match job {
        Job::Bytes { data, first_line } => {
            let (payload, es) = coder::encode_exact_stats(fm.context(), &data);
            c.skills = es.words;
            c.known = es.known;
            c.escapes = es.escapes;
            let p = Packet {
                texts: data.iter().filter(|&&b| b == b'\n').count() as u64,
                first_text: first_line,
                original_bytes: data.len() as u64,
                payload,
            };
            (p, c)
        }
        Job::Texts {
            texts,
            first,
            bytes,
        } => {
            let mut coded_texts = Vec::with_capacity(texts.len());
            for text in &texts {
                let skills = match opts.level {
                    Level::Set => fm.extractor.skill_set(text),
                    _ => fm.extractor.skills(text),
                };
                let skills = match &opts.dial {
                    Some(d) => d.apply(skills),
                    None => skills,
                };
                let mut coded = Vec::with_capacity(skills.len());
                for s in skills {
                    match fm.codebook.code_of(&s) {
                        Some(code) => {
                            c.known += 1;
                            coded.push(Skill::Known(code));
                        }
                        None if opts.unlearned == Unlearned::Escape => {
                            c.escapes += 1;
                            coded.push(Skill::Literal(s));
                        }
                        None => c.dropped += 1,
                    }
                }
                c.skills += coded.len() as u64;
                coded_texts.push(coded);
            }
            let payload = match opts.level {
                Level::Set => coder::encode_sets(fm.context(), &coded_texts),
                _ => coder::encode_sequences(fm.context(), &coded_texts),
            };
            let p = Packet {
                texts: texts.len() as u64,
                first_text: first,
                original_bytes: bytes,
                payload,
            };
            (p, c)
        }
    }
}

/// Codes a batch of jobs in parallel and emits the packets in input order.
fn run_batch(
    jobs: &mut Vec<Job>,
    fm: &FileModel,
    opts: &EncodeOptions,
    emit: &mut Emit<'_>,
    stats: &mut EncodeStats,
) -> Result<()> {
    use rayon::prelude::*;
    let done: Vec<(Packet, Counts)> = std::mem::take(jobs)
        .into_par_iter()
        .map(|j| make_packet(j, fm, opts))
        .collect();
    for (p, c) in done {
        stats.skills += c.skills;
        stats.known += c.known;
        stats.escapes += c.escapes;
        stats.dropped += c.dropped;
        emit(p, stats)?;
    }
    Ok(())
}

/// Exact level: raw bytes cut into packets at the last line end before the packet
/// size (or at the size itself inside a longer line).
fn encode_exact_packets(
    src: &mut impl Read,
    in_name: &str,
    fm: &FileModel,
    opts: &EncodeOptions,
    emit: &mut Emit<'_>,
    stats: &mut EncodeStats,
) -> Result<()> {
    let cap = opts.packet_bytes;
    let mut buf: Vec<u8> = Vec::with_capacity(cap);
    let mut line = 0u64;
    let mut eof = false;
    let mut jobs = Vec::new();
    loop {
        if !eof && buf.len() < cap {
            let want = (cap - buf.len()) as u64;
            let got = src
                .by_ref()
                .take(want)
                .read_to_end(&mut buf)
                .map_err(|e| Error::io(in_name, e))?;
            eof = (got as u64) < want;
        }
        if buf.is_empty() {
            return run_batch(&mut jobs, fm, opts, emit, stats);
        }
        let cut = if eof && buf.len() <= cap {
            buf.len()
        } else {
            match memrchr(b'\n', &buf[..cap.min(buf.len())]) {
                Some(i) => i + 1,
                None => cap.min(buf.len()),
            }
        };
        let data: Vec<u8> = buf.drain(..cut).collect();
        let lines = data.iter().filter(|&&b| b == b'\n').count() as u64;
        jobs.push(Job::Bytes {
            data,
            first_line: line,
        });
        line += lines;
        if jobs.len() >= batch_len() {
            run_batch(&mut jobs, fm, opts, emit, stats)?;
        }
    }
}

/// Sequence and set levels: texts cut by the segmentation, each turned into its
/// skills (codes or escapes), a packet closing once its texts reach the packet size.
fn encode_text_packets(
    src: &mut impl io::BufRead,
    in_name: &str,
    fm: &FileModel,
    opts: &EncodeOptions,
    emit: &mut Emit<'_>,
    stats: &mut EncodeStats,
) -> Result<()> {
    let mut texts: Vec<String> = Vec::new();
    let mut bytes = 0u64;
    let mut first = 0u64;
    let mut jobs = Vec::new();
    let seg = Segmenter::new(src, opts.texts, DEFAULT_MAX_TEXT_BYTES);
    for text in seg {
        let text = text.map_err(|e| match e {
            Error::Io { source, .. } => Error::io(in_name, source),
            other => other,
        })?;
        bytes += text.len() as u64;
        texts.push(text);
        if bytes >= opts.packet_bytes as u64 {
            let n = texts.len() as u64;
            jobs.push(Job::Texts {
                texts: std::mem::take(&mut texts),
                first,
                bytes,
            });
            first += n;
            bytes = 0;
            if jobs.len() >= batch_len() {
                run_batch(&mut jobs, fm, opts, emit, stats)?;
            }
        }
    }
    if !texts.is_empty() {
        jobs.push(Job::Texts {
            texts,
            first,
            bytes,
        });
    }
    run_batch(&mut jobs, fm, opts, emit, stats)
}

fn memrchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().rposition(|&b| b == needle)
}

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

/// Resolves the model of a file from its header and an optional shared model.
pub fn resolve_model(header: &Header, shared: Option<&Model>, name: &str) -> Result<FileModel> {
    match &header.model {
        ModelRef::Embedded(e) => FileModel::from_embedded(e),
        ModelRef::Shared { fingerprint } => match shared {
            None => Err(Error::invalid(format!(
                "{name} was encoded with a shared model (fingerprint {fingerprint:016x}): pass it with -m MODEL"
            ))),
            Some(m) => {
                let have = m.fingerprint();
                if have != *fingerprint {
                    return Err(Error::invalid(format!(
                        "{name} needs the model with fingerprint {fingerprint:016x}, but -m gives a model with fingerprint {have:016x}: use the model it was encoded with"
                    )));
                }
                Ok(FileModel::shared(m))
            }
        },
    }
}

/// Decodes one packet's payload with the file's model and level.
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

/// Reads a `.sz` stream packet by packet, checking everything on the way.
///
/// Packets are read in small batches and their payloads decoded in parallel; the
/// results come out in file order.
pub struct Decoder<R: Read> {
    r: R,
    name: String,
    header: Header,
    model: FileModel,
    pos: u64,
    texts: u64,
    entries: Vec<IndexEntry>,
    hash: Xxh3,
    bytes: u64,
    queue: std::collections::VecDeque<Decoded>,
    at_index: bool,
    trailer: Option<Trailer>,
}

impl<R: Read> Decoder<R> {
    /// Reads the header and resolves the model (`shared` for a file made with `-m`).
    pub fn new(mut r: R, name: &str, shared: Option<&Model>) -> Result<Decoder<R>> {
        let (header, len) = Header::read_from(&mut r).map_err(|e| name_err(name, e))?;
        let model = resolve_model(&header, shared, name)?;
        Ok(Decoder {
            r,
            name: name.to_string(),
            header,
            model,
            pos: len,
            texts: 0,
            entries: Vec::new(),
            hash: Xxh3::new(),
            bytes: 0,
            queue: std::collections::VecDeque::new(),
            at_index: false,
            trailer: None,
        })
    }

    /// The file's header.
    pub fn header(&self) -> &Header {
        &self.header
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

    /// Reads a batch of packets, decodes them in parallel, and checks the index and
    /// trailer once they are reached.
    fn fill(&mut self) -> Result<()> {
        use rayon::prelude::*;
        let mut batch = Vec::new();
        while !self.at_index && batch.len() < batch_len() {
            match self.read_record()? {
                Some(p) => batch.push(p),
                None => self.at_index = true,
            }
        }
        let (level, fm) = (self.header.level, &self.model);
        let decoded: Vec<Result<Decoded>> = batch
            .par_iter()
            .map(|p| decode_payload(level, fm, p))
            .collect();
        for (p, d) in batch.iter().zip(decoded) {
            let d = d?;
            if let Decoded::Bytes(b) = &d {
                let lines = b.iter().filter(|&&c| c == b'\n').count() as u64;
                if lines != p.texts {
                    return Err(Error::corrupt(format!(
                        "packet of line {} holds {lines} lines, its header says {}",
                        p.first_text, p.texts
                    )));
                }
                self.hash.update(b);
                self.bytes += b.len() as u64;
            }
            self.queue.push_back(d);
        }
        if self.at_index {
            self.finish()?;
        }
        Ok(())
    }

    /// Reads the next packet record, or `None` when the index tag comes instead.
    fn read_record(&mut self) -> Result<Option<Packet>> {
        let mut tag = [0u8; 2];
        read_exact_or(&mut self.r, &mut tag, "the packet list")?;
        if tag == INDEX_TAG {
            return Ok(None);
        }
        if tag != PACKET_TAG {
            return Err(Error::corrupt(format!(
                "unexpected bytes at offset {} (neither a packet nor the index): damaged file, try --salvage",
                self.pos
            )));
        }
        let (p, len) = Packet::read_after_tag(&mut self.r)?;
        if p.first_text != self.texts {
            return Err(Error::corrupt(format!(
                "packet at byte {} starts at text {} but {} texts came before: packets are missing or out of order",
                self.pos, p.first_text, self.texts
            )));
        }
        self.entries.push(IndexEntry {
            offset: self.pos,
            first_text: p.first_text,
        });
        self.pos += len;
        self.texts += p.texts;
        Ok(Some(p))
    }

    /// Checks the index (its tag already read), the trailer and the end of input.
    fn finish(&mut self) -> Result<()> {
        let index_offset = self.pos;
        let entries = read_index(&mut self.r, self.entries.len() as u64)?;
        if entries != self.entries {
            return Err(Error::corrupt(
                "the packet index does not match the packets: damaged file, try --salvage",
            ));
        }
        let mut tb = [0u8; TRAILER_BYTES];
        read_exact_or(&mut self.r, &mut tb, "the trailer")?;
        let t = Trailer::from_bytes(&tb)?;
        if t.index_offset != index_offset || t.packets != self.entries.len() as u64 {
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
        if self.header.level == Level::Exact
            && (t.original_bytes != self.bytes || t.original_xxh3 != self.hash.digest())
        {
            return Err(Error::corrupt(
                "the decoded bytes do not match the original's checksum",
            ));
        }
        let mut extra = [0u8; 1];
        match self.r.read(&mut extra) {
            Ok(0) => {}
            Ok(_) => {
                return Err(Error::corrupt(
                    "trailing bytes after the end of the .sz data",
                ));
            }
            Err(e) => return Err(Error::corrupt(format!("cannot read past the trailer: {e}"))),
        }
        self.trailer = Some(t);
        Ok(())
    }
}

/// Prefixes a corruption message with the file's name.
fn name_err(name: &str, e: Error) -> Error {
    match e {
        Error::Corrupt(m) if !m.starts_with(name) => Error::Corrupt(format!("{name}: {m}")),
        other => other,
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
}

/// Decodes a whole `.sz` stream, writing the decoded form to `output`.
///
/// Any damage is an error: use [`salvage`] to recover what is intact.
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

/// Texts a damaged `.sz` file lost.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LostRange {
    /// First lost text (exact level: line).
    pub first_text: u64,
    /// Number of lost texts, when known (`None`: up to the end, count unknown).
    pub texts: Option<u64>,
    /// Byte offset in the `.sz` file where the damage starts.
    pub offset: u64,
}

/// What [`salvage`] recovered.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SalvageReport {
    /// The fidelity level of the file.
    pub level: String,
    /// Intact packets decoded.
    pub packets: u64,
    /// Texts recovered.
    pub texts: u64,
    /// Damaged stretches and the texts they held.
    pub lost: Vec<LostRange>,
    /// Bytes written.
    pub bytes_out: u64,
}

/// Decodes what is intact in a damaged `.sz` file held in memory.
///
/// Needs an intact header. Packets are found by walking their lengths and, past
/// damage, by scanning for the next packet tag whose checksum holds. The lossy
/// levels write an empty line for each lost text so line i stays text i; the exact
/// level leaves lost bytes out. Each loss is listed in the report.
pub fn salvage<W: Write + ?Sized>(
    data: &[u8],
    in_name: &str,
    output: &mut W,
    out_name: &str,
    shared: Option<&Model>,
) -> Result<SalvageReport> {
    let mut r = data;
    let (header, hlen) = Header::read_from(&mut r).map_err(|e| name_err(in_name, e))?;
    let fm = resolve_model(&header, shared, in_name)?;
    let trailer = data
        .len()
        .checked_sub(TRAILER_BYTES)
        .and_then(|s| Trailer::from_bytes(&data[s..]).ok());
    let end = match trailer {
        Some(t) if t.index_offset >= hlen && t.index_offset <= data.len() as u64 => {
            t.index_offset as usize
        }
        _ => data.len(),
    };
    let mut rep = SalvageReport {
        level: header.level.to_string(),
        ..SalvageReport::default()
    };
    let mut pos = hlen as usize;
    let mut next_text = 0u64;
    let mut damage_at: Option<usize> = None;
    let mut buf = Vec::new();
    let mut put = |buf: &[u8], rep: &mut SalvageReport| -> Result<()> {
        output.write_all(buf).map_err(|e| Error::io(out_name, e))?;
        rep.bytes_out += buf.len() as u64;
        Ok(())
    };
    while pos < end {
        let found = Packet::parse_at(&data[pos..end]).and_then(|(p, len)| {
            if p.first_text < next_text {
                return None;
            }
            decode_payload(header.level, &fm, &p)
                .ok()
                .map(|d| (p, len, d))
        });
        let Some((p, len, d)) = found else {
            damage_at.get_or_insert(pos);
            pos += 1;
            continue;
        };
        if let Some(at) = damage_at.take() {
            let lost = p.first_text - next_text;
            rep.lost.push(LostRange {
                first_text: next_text,
                texts: Some(lost),
                offset: at as u64,
            });
            if header.level.is_lossy() {
                pad_lines(lost, &mut |b| put(b, &mut rep))?;
            }
        }
        buf.clear();
        d.render_into(&mut buf);
        put(&buf, &mut rep)?;
        rep.packets += 1;
        rep.texts += p.texts;
        next_text = p.first_text + p.texts;
        pos += len as usize;
    }
    let total = trailer.map(|t| t.texts);
    let tail_lost = match total {
        Some(t) if t > next_text => Some(t - next_text),
        _ => None,
    };
    if let Some(at) = damage_at {
        rep.lost.push(LostRange {
            first_text: next_text,
            texts: tail_lost,
            offset: at as u64,
        });
    } else if tail_lost.is_some() {
        rep.lost.push(LostRange {
            first_text: next_text,
            texts: tail_lost,
            offset: end as u64,
        });
    }
    if header.level.is_lossy()
        && let Some(n) = tail_lost
    {
        pad_lines(n, &mut |b| put(b, &mut rep))?;
    }
    output.flush().map_err(|e| Error::io(out_name, e))?;
    Ok(rep)
}

/// Most empty lines salvage writes for one gap: a larger gap comes from a forged
/// count, not from lost packets of a real file.
const MAX_PAD_LINES: u64 = 1 << 26;

/// Writes `n` empty lines (one per lost text) in bounded chunks.
fn pad_lines(n: u64, put: &mut dyn FnMut(&[u8]) -> Result<()>) -> Result<()> {
    if n > MAX_PAD_LINES {
        return Err(Error::corrupt(format!(
            "a gap of {n} lost texts is implausible: the file is forged or badly damaged"
        )));
    }
    let chunk = [b'\n'; 4096];
    let mut left = n;
    while left > 0 {
        let k = left.min(chunk.len() as u64);
        put(&chunk[..k as usize])?;
        left -= k;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_codes_round_trip() {
        for s in [
            Segmentation::Lines,
            Segmentation::Paragraphs,
            Segmentation::Fortunes,
        ] {
            assert_eq!(texts_of(texts_code(s)), s);
        }
    }

    #[test]
    fn padding_writes_exactly_n_lines_and_refuses_forged_gaps() {
        let mut out = Vec::new();
        pad_lines(10_000, &mut |b| {
            out.extend_from_slice(b);
            Ok(())
        })
        .unwrap();
        assert_eq!(out.len(), 10_000);
        assert!(out.iter().all(|&b| b == b'\n'));
        assert!(pad_lines(MAX_PAD_LINES + 1, &mut |_| Ok(())).is_err());
    }

    #[test]
    fn rejects_bad_packet_sizes() {
        let mut out = Vec::new();
        for pb in [0, MAX_PACKET_BYTES + 1] {
            let opts = EncodeOptions {
                packet_bytes: pb,
                ..EncodeOptions::default()
            };
            assert!(encode(&b"x"[..], "in", &mut out, "out", None, &opts).is_err());
        }
    }
}
