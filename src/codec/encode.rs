//! Encoding: a stream of input to a `.sz` stream, in bounded memory. Texts are read
//! incrementally and each packet is written as soon as it is made.
//!
//! Memory is bounded by the packet size, the longest text (lossy levels, at most
//! [`DEFAULT_MAX_TEXT_BYTES`]) and the packet index (16 bytes a packet). The model
//! comes resolved ([`FileModel`]): the codec does not train.

use super::coder::{self, Skill};
use super::container::{Header, IndexEntry, Trailer, write_index};
use super::file_model::{FileModel, texts_code};
use super::layered::LayerRecord;
use super::level::{Level, Unlearned};
use super::packet::{DEFAULT_PACKET_BYTES, MAX_PACKET_BYTES, Packet};
use crate::text::segment::{DEFAULT_MAX_TEXT_BYTES, Segmentation, Segmenter};
use crate::{Error, Result};
use serde::Serialize;
use std::io::{self, BufReader, Read, Write};
use xxhash_rust::xxh3::Xxh3;

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
    /// Lossy levels: a packet also closes once it holds this many texts (`None`: by
    /// bytes only). One text per packet makes every text its own message.
    pub packet_texts: Option<usize>,
    /// Lossy levels: keep only part of each text's skills (`None`: all of them).
    pub dial: Option<crate::fidelity::Dial>,
    /// Exact level: which coder codes the packets.
    pub exact_coder: coder::ExactCoder,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions {
            level: Level::Exact,
            unlearned: Unlearned::Escape,
            texts: Segmentation::Lines,
            packet_bytes: DEFAULT_PACKET_BYTES,
            packet_texts: None,
            dial: None,
            exact_coder: coder::ExactCoder::Auto,
        }
    }
}

impl EncodeOptions {
    /// How the input is cut into texts: the option at the lossy levels, lines at the
    /// exact level.
    pub fn segmentation(&self) -> Segmentation {
        match self.level {
            Level::Exact => Segmentation::Lines,
            _ => self.texts,
        }
    }

    /// Checks the options (one clear error naming the parameter).
    pub fn validate(&self) -> Result<()> {
        if self.packet_bytes == 0 || self.packet_bytes > MAX_PACKET_BYTES {
            return Err(Error::parameter(
                "packet_bytes",
                self.packet_bytes,
                format!("out of range: use 1 to {MAX_PACKET_BYTES}"),
            ));
        }
        if self.packet_texts == Some(0) {
            return Err(Error::invalid("packet_texts must be at least 1"));
        }
        if self.level == Level::Layered && (self.dial.is_some() || self.packet_texts.is_some()) {
            return Err(Error::invalid(
                "a layered file keeps every skill and cuts runs by bytes: no dial, no texts per packet",
            ));
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

/// Encodes `input` into a `.sz` stream on `output` with a resolved model.
///
/// The header names a shared model's fingerprint or carries an embedded model's
/// sections. `in_name` and `out_name` name the two ends in errors.
pub fn encode<W: Write + ?Sized>(
    input: impl Read,
    in_name: &str,
    output: &mut W,
    out_name: &str,
    fm: &FileModel,
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
    let header = Header::new(
        opts.level,
        opts.unlearned,
        texts_code(opts.segmentation()),
        fm.model_ref(),
        metadata(opts.packet_bytes).into_bytes(),
    );
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
    let mut source = BufReader::with_capacity(1 << 16, &mut reader);
    {
        let layered = opts.level == Level::Layered;
        let mut emit = |coded: Coded, stats: &mut EncodeStats, out: &mut CountingWriter<'_, W>| {
            let Coded {
                packet: mut p,
                layers,
            } = coded;
            if layered {
                // Runs are cut by bytes: their first texts are known only in order.
                p.first_text = stats.texts;
            }
            index.push(IndexEntry {
                offset: out.bytes,
                first_text: p.first_text,
            });
            let mut b = Vec::with_capacity(p.payload.len() + 40);
            p.write_to(&mut b).map_err(|e| Error::io(out_name, e))?;
            for mut l in layers {
                l.first_text = p.first_text;
                l.write_to(&mut b)?;
            }
            out.put(&b)?;
            stats.packets += 1;
            stats.texts += p.texts;
            Ok::<(), Error>(())
        };
        match opts.level {
            Level::Exact | Level::Layered => encode_exact_packets(
                &mut source,
                in_name,
                fm,
                opts,
                &mut |p, s| emit(p, s, &mut out),
                &mut stats,
            )?,
            _ => encode_text_packets(
                &mut source,
                in_name,
                fm,
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

/// The header's metadata: empty with the default packet size, else the packet size
/// (a 1 KB file should not pay 30 bytes for who wrote it; the format version says
/// enough).
fn metadata(packet_bytes: usize) -> String {
    if packet_bytes == DEFAULT_PACKET_BYTES {
        String::new()
    } else {
        format!("{{\"packet_bytes\":{packet_bytes}}}")
    }
}

type Emit<'e> = dyn FnMut(Coded, &mut EncodeStats) -> Result<()> + 'e;

/// A coded packet and, in a layered file, its run's refinement records.
struct Coded {
    packet: Packet,
    layers: Vec<LayerRecord>,
}

/// Input for one packet, cut sequentially, coded in parallel with its neighbours.
enum Job {
    /// Exact level: raw bytes.
    Bytes { data: Vec<u8>, first_line: u64 },
    /// Layered files: a run's raw bytes, cut at a text boundary.
    Run { data: Vec<u8> },
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

/// Input bytes a batch holds at most before it is coded: one largest packet a
/// thread, so big packets come one a thread rather than two.
pub(super) fn batch_bytes() -> usize {
    rayon::current_num_threads().max(1) * MAX_PACKET_BYTES
}

/// A text's skills as coded: codebook codes, escapes, or dropped (counted in `c`).
fn code_skills(
    fm: &FileModel,
    unlearned: Unlearned,
    skills: Vec<String>,
    c: &mut Counts,
) -> Vec<Skill> {
    let mut coded = Vec::with_capacity(skills.len());
    for s in skills {
        match fm.codebook.code_of(&s) {
            Some(code) => {
                c.known += 1;
                coded.push(Skill::Known(code));
            }
            None if unlearned == Unlearned::Escape => {
                c.escapes += 1;
                coded.push(Skill::Literal(s));
            }
            None => c.dropped += 1,
        }
    }
    c.skills += coded.len() as u64;
    coded
}

/// Codes one packet (pure: the same job always gives the same bytes).
fn make_packet(job: Job, fm: &FileModel, opts: &EncodeOptions) -> (Coded, Counts) {
    let mut c = Counts::default();
    let packet = match job {
        Job::Run { data } => {
            let texts: Vec<String> = Segmenter::new(&data[..], opts.texts, DEFAULT_MAX_TEXT_BYTES)
                .filter_map(|t| t.ok())
                .collect();
            let seqs: Vec<Vec<Skill>> = texts
                .iter()
                .map(|t| code_skills(fm, opts.unlearned, fm.extractor.skills(t), &mut c))
                .collect();
            let run = super::layered::encode_run(fm, &data, &texts, &seqs);
            let coded = Coded {
                packet: run.base,
                layers: vec![run.order, run.exact],
            };
            return (coded, c);
        }
        Job::Bytes { data, first_line } => {
            let (payload, es) = coder::encode_exact_with(fm.context(), &data, opts.exact_coder);
            c.skills = es.words;
            c.known = es.known;
            c.escapes = es.escapes;
            Packet {
                texts: data.iter().filter(|&&b| b == b'\n').count() as u64,
                first_text: first_line,
                original_bytes: data.len() as u64,
                payload,
            }
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
                    Some(d) if opts.level.is_lossy() => d.apply(skills),
                    _ => skills,
                };
                coded_texts.push(code_skills(fm, opts.unlearned, skills, &mut c));
            }
            let payload = match opts.level {
                Level::Set => coder::encode_sets(fm.context(), &coded_texts),
                _ => coder::encode_sequences(fm.context(), &coded_texts),
            };
            Packet {
                texts: texts.len() as u64,
                first_text: first,
                original_bytes: bytes,
                payload,
            }
        }
    };
    let coded = Coded {
        packet,
        layers: Vec::new(),
    };
    (coded, c)
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
    let done: Vec<(Coded, Counts)> = std::mem::take(jobs)
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
/// size (or at the size itself inside a longer line). Layered files: the same, cut
/// at the last text boundary ([`super::layered::cut_point`]).
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
    let mut held = 0usize;
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
        } else if opts.level == Level::Layered {
            super::layered::cut_point(&buf, cap, opts.texts)
        } else {
            match memrchr(b'\n', &buf[..cap.min(buf.len())]) {
                Some(i) => i + 1,
                None => cap.min(buf.len()),
            }
        };
        // The packet keeps the buffer; the few bytes past the cut start the next one
        // (no copy of the packet, no second packet-sized buffer).
        let mut rest = buf.split_off(cut);
        rest.reserve(cap.saturating_sub(rest.len()));
        let data = std::mem::replace(&mut buf, rest);
        held += data.len();
        if opts.level == Level::Layered {
            jobs.push(Job::Run { data });
        } else {
            let lines = data.iter().filter(|&&b| b == b'\n').count() as u64;
            jobs.push(Job::Bytes {
                data,
                first_line: line,
            });
            line += lines;
        }
        if jobs.len() >= batch_len() || held >= batch_bytes() {
            run_batch(&mut jobs, fm, opts, emit, stats)?;
            held = 0;
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
    let mut held = 0usize;
    let seg = Segmenter::new(src, opts.texts, DEFAULT_MAX_TEXT_BYTES);
    for text in seg {
        let text = text.map_err(|e| match e {
            Error::Io { source, .. } => Error::io(in_name, source),
            other => other,
        })?;
        bytes += text.len() as u64;
        texts.push(text);
        if bytes >= opts.packet_bytes as u64 || opts.packet_texts.is_some_and(|n| texts.len() >= n)
        {
            let n = texts.len() as u64;
            jobs.push(Job::Texts {
                texts: std::mem::take(&mut texts),
                first,
                bytes,
            });
            first += n;
            held += bytes as usize;
            bytes = 0;
            if jobs.len() >= batch_len() || held >= batch_bytes() {
                run_batch(&mut jobs, fm, opts, emit, stats)?;
                held = 0;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Codebook, Model};
    use crate::text::extract::Extractor;

    /// A one-skill model built by hand (the codec knows nothing of training).
    pub(crate) fn tiny_model() -> Model {
        Model {
            extractor: Extractor::words(true).unwrap(),
            codebook: Codebook::new([("ka".to_string(), 3)]),
            capacity: 1,
            learner: "capacity:1".into(),
            training: Default::default(),
            associations: Vec::new(),
            prime: Vec::new(),
        }
    }

    #[test]
    fn rejects_bad_packet_sizes() {
        let mut out = Vec::new();
        let fm = FileModel::shared(&tiny_model());
        for pb in [0, MAX_PACKET_BYTES + 1] {
            let opts = EncodeOptions {
                packet_bytes: pb,
                ..EncodeOptions::default()
            };
            let e = encode(&b"x"[..], "in", &mut out, "out", &fm, &opts).unwrap_err();
            assert!(e.to_string().contains("packet_bytes"), "{e}");
            assert!(out.is_empty());
        }
    }
}
