//! The channel experiment: texts coded by semzip (per level) and by zstd, sent as
//! packets over a modeled channel, optionally protected by LT, decoded from whatever
//! arrived and measured against the original.
//!
//! Cost: every codec encodes once and every intact packet is decoded once (its score
//! cached); a trial then only draws the channel and sums cached scores. Only a packet
//! whose damage a checksum missed is decoded again.

use super::irsa;
use super::layered::LayeredSender;
use super::lt::{self, Plan};
use super::measure::{Reference, Score};
use super::noise::{self, Arrival};
use super::spec::{Channel, Protect, ProtectSpec, Shield};
use crate::codec::FileModel;
use crate::codec::coder::{self, Skill};
use crate::codec::{Level, Unlearned};
use crate::ensemble::seeded_rng;
use crate::model::Model;
use crate::peel::{Learner, mix64};
use crate::pipeline::SELF_TRAIN_CAPACITY;
use crate::progress::Progress;
use crate::text::{DEFAULT_MAX_TEXT_BYTES, Segmentation, Segmenter};
use crate::train::{TrainOptions, train_texts};
use crate::{Error, Result};
use rayon::prelude::*;
use serde::Serialize;
use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

/// zstd level of the classical baselines.
pub const ZSTD_LEVEL: i32 = 19;
/// Longest text a shared model's segmentation may give before the input is judged
/// not to fit it (and cut into lines instead).
pub const MAX_FIT_TEXT_BYTES: usize = crate::text::segment::MAX_FITTING_TEXT_BYTES;
/// Bytes of the checksum that ends every packet on the wire (xxh3-64, low half).
pub const CHECKSUM_BYTES: usize = 4;

/// How texts are grouped into packets (messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packing {
    /// N texts per packet.
    Texts(usize),
    /// A packet closes once its texts reach B bytes.
    Bytes(usize),
}

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// The channel (its parameter is replaced by each sweep value).
    pub channel: Channel,
    /// Values of the channel parameter; `None` runs the channel as given.
    pub sweep: Option<Vec<f64>>,
    /// semzip levels to run.
    pub levels: Vec<Level>,
    /// Packet-level protections: every codec runs once per entry (per-layer entries
    /// and [`ProtectSpec::MatchBits`] only for [`Level::Layered`]).
    pub protect: Vec<ProtectSpec>,
    /// Texts per packet.
    pub packing: Packing,
    /// Trials per point.
    pub trials: usize,
    /// Seed of every random draw.
    pub seed: u64,
    /// Segmentation (default: the model's, else lines).
    pub segmentation: Option<Segmentation>,
    /// A zstd dictionary for the per-packet dictionary baseline.
    pub zstd_dict: Option<Vec<u8>>,
    /// Run the zstd baselines.
    pub zstd: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            channel: Channel::Erasure { p: 0.1 },
            sweep: None,
            levels: vec![Level::Set, Level::Sequence, Level::Exact],
            protect: vec![ProtectSpec::All(Protect::None)],
            packing: Packing::Texts(1),
            trials: 20,
            seed: 1,
            segmentation: None,
            zstd_dict: None,
            zstd: true,
        }
    }
}

/// One input file.
pub struct Input {
    /// Its name, for messages.
    pub name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// The texts, the model and the packets' text ranges, shared by every codec.
pub struct Setup {
    pub(super) reference: Reference,
    pub(super) fm: FileModel,
    /// Without a shared model: what the exact level and layered files code with, as a
    /// self-contained `.sz` file does (the built-in priors with the trained codebook;
    /// no model bits, such files carry none). With one, `fm` serves every level.
    self_contained: Option<FileModel>,
    pub(super) messages: Vec<Range<usize>>,
    sep: &'static [u8],
    /// Bits of the embedded model (sent once, reliably) when no shared model is given;
    /// the set and sequence levels need it.
    pub(super) model_bits: u64,
    /// The segmentation used.
    pub segmentation: Segmentation,
    /// Things the user should know (segmentation fallback, skipped baselines).
    pub warnings: Vec<String>,
}

impl Setup {
    /// The model the exact level and layered files code with (see `self_contained`).
    pub(super) fn fm_file(&self) -> &FileModel {
        self.self_contained.as_ref().unwrap_or(&self.fm)
    }

    /// Number of texts.
    pub fn texts(&self) -> usize {
        self.reference.texts.len()
    }
    /// Number of packets (messages).
    pub fn packets(&self) -> usize {
        self.messages.len()
    }
}

fn separator(seg: Segmentation) -> &'static [u8] {
    match seg {
        Segmentation::Lines => b"\n",
        Segmentation::Paragraphs => b"\n\n",
        Segmentation::Fortunes => b"\n%\n",
    }
}

fn segment(inputs: &[Input], seg: Segmentation) -> Result<(Vec<String>, u64)> {
    let mut texts = Vec::new();
    let mut lossy = 0;
    for inp in inputs {
        let mut s = Segmenter::new(&inp.bytes[..], seg, DEFAULT_MAX_TEXT_BYTES);
        for t in s.by_ref() {
            texts.push(t?);
        }
        lossy += s.stats().lossy_bytes;
    }
    Ok((texts, lossy))
}

/// Reads the texts, checks them against the model (or trains one) and groups them.
pub fn prepare(inputs: &[Input], model: Option<&Model>, opts: &Options) -> Result<Setup> {
    let names: Vec<String> = inputs.iter().map(|i| i.name.clone()).collect();
    let all = names.join(", ");
    let total: usize = inputs.iter().map(|i| i.bytes.len()).sum();
    let mut warnings = Vec::new();
    let model_seg = model.and_then(|m| m.training.segmentation.parse::<Segmentation>().ok());
    let mut seg = opts
        .segmentation
        .or(model_seg)
        .unwrap_or(Segmentation::Lines);
    let (mut texts, lossy) = segment(inputs, seg)?;
    if lossy as f64 > 0.1 * total as f64 {
        return Err(Error::invalid(format!(
            "{all} is not text ({lossy} of {total} bytes are invalid UTF-8): semzip channel sends text"
        )));
    }
    let longest = texts.iter().map(String::len).max().unwrap_or(0);
    if seg != Segmentation::Lines && opts.segmentation.is_none() && longest > MAX_FIT_TEXT_BYTES {
        warnings.push(format!(
            "the model cuts texts as {seg}, but {all} then has a {longest}-byte text: cut into lines instead (choose the segmentation to override this)"
        ));
        seg = Segmentation::Lines;
        texts = segment(inputs, seg)?.0;
    }
    if texts.is_empty() {
        return Err(Error::invalid(format!("{all} holds no text to send")));
    }
    let (fm, self_contained, model_bits) = match model {
        Some(m) => (FileModel::shared(m), None, 0),
        None => {
            let topts = TrainOptions {
                segmentation: seg,
                learner: Learner::capacity(SELF_TRAIN_CAPACITY)?,
                holdout: 0.0,
                allow_empty: true,
                ..TrainOptions::default()
            };
            let (m, _) = train_texts(texts.iter().cloned(), names.clone(), &topts)?;
            let ext = bincode::serde::encode_to_vec(&m.extractor, bincode::config::standard())
                .map_err(|e| Error::invalid(format!("cannot serialize the extractor: {e}")))?;
            let bits = 8 * (ext.len() + coder::encode_codebook(&m.codebook).len()) as u64;
            (
                FileModel::embed(&m)?,
                Some(FileModel::builtin_trained(&m)),
                bits,
            )
        }
    };
    let reference = Reference::new(texts, &fm.extractor);
    if model.is_some() {
        let known = reference
            .skills
            .iter()
            .flatten()
            .filter(|s| fm.codebook.code_of(s).is_some())
            .count();
        if reference.total_skills > 0.0 && known == 0 {
            return Err(Error::invalid(format!(
                "{all} does not match the model: none of its {} skills is in the model's codebook (trained on {})",
                reference.total_skills,
                model
                    .map(|m| m.training.corpora.join(", "))
                    .unwrap_or_default()
            )));
        }
    }
    let messages = group(&reference.texts, opts.packing)?;
    Ok(Setup {
        reference,
        fm,
        self_contained,
        messages,
        sep: separator(seg),
        model_bits,
        segmentation: seg,
        warnings,
    })
}

fn group(texts: &[String], packing: Packing) -> Result<Vec<Range<usize>>> {
    let mut out = Vec::new();
    match packing {
        Packing::Texts(n) => {
            if n == 0 {
                return Err(Error::invalid("texts per packet must be at least 1"));
            }
            let mut i = 0;
            while i < texts.len() {
                out.push(i..(i + n).min(texts.len()));
                i += n;
            }
        }
        Packing::Bytes(b) => {
            if b == 0 {
                return Err(Error::invalid("bytes per packet must be at least 1"));
            }
            let (mut start, mut bytes) = (0, 0);
            for (i, t) in texts.iter().enumerate() {
                bytes += t.len();
                if bytes >= b {
                    out.push(start..i + 1);
                    start = i + 1;
                    bytes = 0;
                }
            }
            if start < texts.len() {
                out.push(start..texts.len());
            }
        }
    }
    Ok(out)
}

/// The codecs compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// semzip at a fidelity level.
    Semzip(Level),
    /// zstd -19, the whole input as one frame cut into packets.
    ZstdFrame,
    /// zstd -19, one frame per packet.
    ZstdPacket,
    /// zstd -19 with a dictionary, one frame per packet.
    ZstdDict,
}

impl Codec {
    /// Name in tables and JSON (`semzip`, `zstd-frame`, `zstd-packet`, `zstd-dict-packet`).
    pub fn name(&self) -> &'static str {
        match self {
            Codec::Semzip(_) => "semzip",
            Codec::ZstdFrame => "zstd-frame",
            Codec::ZstdPacket => "zstd-packet",
            Codec::ZstdDict => "zstd-dict-packet",
        }
    }

    /// The level: semzip's fidelity level, or zstd's compression level.
    pub fn level(&self) -> String {
        match self {
            Codec::Semzip(l) => l.to_string(),
            _ => ZSTD_LEVEL.to_string(),
        }
    }

    /// One label for plots and tables, e.g. `semzip set`.
    pub fn label(&self) -> String {
        match self {
            Codec::Semzip(l) => format!("semzip {l}"),
            Codec::ZstdFrame => "zstd-19 frame".into(),
            Codec::ZstdPacket => "zstd-19 packet".into(),
            Codec::ZstdDict => "zstd-19+dict packet".into(),
        }
    }
}

/// A codec's packets, ready to send, with the scores of their intact arrival.
pub struct Sender {
    /// The codec.
    pub codec: Codec,
    wire: Vec<Vec<u8>>,
    /// Score when source packet i arrives intact (per-packet codecs).
    intact: Vec<Score>,
    /// zstd frame: score when the first j chunks arrive (j = 0..=n).
    prefix: Vec<Score>,
    side_bits: u64,
    protect: Protect,
    repair: Repair,
    dict: Option<Ddict>,
}

/// LT repair packets of one group of source packets: the plan and their bytes on
/// the wire (payload, header, checksum).
pub(super) type Repair = Option<(Plan, Vec<Vec<u8>>)>;

/// The seed of the LT plan protecting packet group `group` (0: a single-layer codec
/// or a layered file's base).
pub(super) fn plan_seed(seed: u64, group: usize) -> u64 {
    mix64(seed ^ 0x17 ^ ((group as u64) << 32))
}

/// Repair packets for `wire` under `protect`.
pub(super) fn make_repair(wire: &[Vec<u8>], protect: Protect, seed: u64) -> Result<Repair> {
    Ok(match protect {
        Protect::None => None,
        Protect::Lt { overhead } => {
            let k = wire.len();
            let plan = Plan::new(k, (overhead * k as f64).ceil() as usize, seed)?;
            let refs: Vec<&[u8]> = wire.iter().map(Vec::as_slice).collect();
            let payloads = plan
                .repair_payloads(&refs)
                .into_iter()
                .map(|mut p| {
                    p.extend_from_slice(&[0u8; lt::REPAIR_HEADER_BYTES]);
                    checksummed(p)
                })
                .collect();
            Some((plan, payloads))
        }
    })
}

/// What the receiver holds after one pass over the channel.
pub(super) struct Arrived<'a> {
    /// Bits sent (IRSA: every replica).
    pub bits_sent: f64,
    /// Per packet: its bytes if it arrived intact, or damaged with its checksum holding.
    pub received: Vec<Option<Cow<'a, [u8]>>>,
    /// Damaged packets whose checksum failed.
    pub detected: f64,
    /// Damaged packets whose checksum held.
    pub undetected: f64,
}

/// Sends `all` packets once over `channel` (seeded).
pub(super) fn transmit<'a>(all: &[&'a [u8]], channel: &Channel, seed: u64) -> Result<Arrived<'a>> {
    let mut rng = seeded_rng(seed);
    let (bits_sent, arrivals): (f64, Vec<Arrival>) = match channel {
        Channel::Irsa { load, degrees } => {
            let g = irsa::frame(all.len(), *load, degrees, seed)?;
            let got = irsa::sic(&g);
            let bits = (0..all.len())
                .map(|i| 8.0 * all[i].len() as f64 * g.skill_degree(i as u32) as f64)
                .sum();
            let arr = got
                .into_iter()
                .map(|r| if r { Arrival::Intact } else { Arrival::Lost })
                .collect();
            (bits, arr)
        }
        _ => (
            all.iter().map(|b| 8.0 * b.len() as f64).sum(),
            noise::transmit(channel, all, &mut rng),
        ),
    };
    let mut a = Arrived {
        bits_sent,
        received: Vec::with_capacity(all.len()),
        detected: 0.0,
        undetected: 0.0,
    };
    for (arr, &orig) in arrivals.into_iter().zip(all) {
        a.received.push(match arr {
            Arrival::Intact => Some(Cow::Borrowed(orig)),
            Arrival::Lost => None,
            Arrival::Damaged(b) => {
                if checked(&b).is_some() {
                    a.undetected += 1.0;
                    Some(Cow::Owned(b))
                } else {
                    a.detected += 1.0;
                    None
                }
            }
        });
    }
    Ok(a)
}

/// The source packets the receiver holds after LT decoding (`None`: lost), from the
/// received sources and repairs of one packet group.
pub(super) fn recover<'a>(
    wire: &'a [Vec<u8>],
    repair: &Repair,
    sources: &[Option<Cow<'a, [u8]>>],
    repairs: &[Option<Cow<'_, [u8]>>],
) -> Result<Vec<Option<Cow<'a, [u8]>>>> {
    let Some((plan, _)) = repair else {
        return Ok(sources.to_vec());
    };
    let src_mask: Vec<bool> = sources.iter().map(Option::is_some).collect();
    let rep_mask: Vec<bool> = repairs.iter().map(Option::is_some).collect();
    let rec = plan.recover(&src_mask, &rep_mask)?;
    let owned = |c: &Option<Cow<[u8]>>| matches!(c, Some(Cow::Owned(_)));
    if sources.iter().any(owned) || repairs.iter().any(owned) {
        // Damaged packets passed their checksum: rebuild from the bytes as they came.
        let src: Vec<Option<&[u8]>> = sources.iter().map(|s| s.as_deref()).collect();
        let reps: Vec<Option<&[u8]>> = repairs
            .iter()
            .map(|r| {
                r.as_deref()
                    .map(|b| &b[..b.len() - CHECKSUM_BYTES - lt::REPAIR_HEADER_BYTES])
            })
            .collect();
        Ok(plan
            .rebuild(&rec, &src, &reps)
            .into_iter()
            .map(|b| b.map(Cow::Owned))
            .collect())
    } else {
        // Rebuilt sources are exact copies (tested in `lt`): skip the XORs.
        Ok((0..wire.len())
            .map(|i| rec.recovered[i].then(|| Cow::Borrowed(&wire[i][..])))
            .collect())
    }
}

fn checksum(b: &[u8]) -> [u8; CHECKSUM_BYTES] {
    (xxhash_rust::xxh3::xxh3_64(b) as u32).to_le_bytes()
}

pub(super) fn checksummed(mut b: Vec<u8>) -> Vec<u8> {
    let h = checksum(&b);
    b.extend_from_slice(&h);
    b
}

pub(super) fn checked(b: &[u8]) -> Option<&[u8]> {
    let n = b.len().checked_sub(CHECKSUM_BYTES)?;
    let (body, sum) = b.split_at(n);
    (checksum(body) == sum).then_some(body)
}

impl Setup {
    pub(super) fn message_bytes(&self, m: &Range<usize>) -> Vec<u8> {
        let mut out = Vec::new();
        for t in &self.reference.texts[m.clone()] {
            out.extend_from_slice(t.as_bytes());
            out.extend_from_slice(self.sep);
        }
        out
    }

    /// Scores decoded bytes standing for the texts of `m`.
    pub(super) fn score_message_bytes(&self, m: &Range<usize>, bytes: &[u8]) -> Score {
        let mut sc = Score::default();
        let mut rest = bytes;
        for i in m.clone() {
            if rest.is_empty() {
                break;
            }
            let cut = find(rest, self.sep).unwrap_or(rest.len());
            sc += self
                .reference
                .score_bytes(i, &rest[..cut], &self.fm.extractor);
            rest = &rest[(cut + self.sep.len()).min(rest.len())..];
        }
        sc
    }

    /// Skills as coded: codebook codes, escapes or (with `Unlearned::Drop`) dropped.
    pub(super) fn coded(&self, skills: Vec<String>, unlearned: Unlearned) -> Vec<Skill> {
        skills
            .into_iter()
            .filter_map(|s| match self.fm.codebook.code_of(&s) {
                Some(c) => Some(Skill::Known(c)),
                None if unlearned == Unlearned::Escape => Some(Skill::Literal(s)),
                None => None,
            })
            .collect()
    }

    /// Scores the skills decoded for the texts of `m`.
    pub(super) fn score_message_skills(&self, m: &Range<usize>, texts: &[Vec<Skill>]) -> Score {
        let mut sc = Score::default();
        for (i, t) in m.clone().zip(texts) {
            let words: Vec<String> = t.iter().filter_map(|s| self.fm.render(s)).collect();
            sc += self
                .reference
                .score_skills(i, words.iter().map(String::as_str));
        }
        sc
    }

    fn semzip_wire(&self, level: Level, m: &Range<usize>, unlearned: Unlearned) -> Vec<u8> {
        let fm = &self.fm;
        let texts = &self.reference.texts[m.clone()];
        let payload = match level {
            Level::Exact => coder::encode_exact(self.fm_file().context(), &self.message_bytes(m)),
            _ => {
                let coded: Vec<Vec<Skill>> = texts
                    .iter()
                    .map(|t| {
                        let skills = match level {
                            Level::Set => fm.extractor.skill_set(t),
                            _ => fm.extractor.skills(t),
                        };
                        self.coded(skills, unlearned)
                    })
                    .collect();
                match level {
                    Level::Set => coder::encode_sets(fm.context(), &coded),
                    _ => coder::encode_sequences(fm.context(), &coded),
                }
            }
        };
        checksummed(payload)
    }

    /// Scores a received packet of `codec` standing for message `k`.
    fn score_packet(&self, codec: Codec, dict: Option<&Ddict>, k: usize, wire: &[u8]) -> Score {
        let m = &self.messages[k];
        match codec {
            Codec::Semzip(level) => {
                let Some(body) = checked(wire) else {
                    return Score::default();
                };
                let fm = &self.fm;
                let texts = match level {
                    Level::Exact => {
                        return match coder::decode_exact(self.fm_file().context(), body) {
                            Ok(b) => self.score_message_bytes(m, &b),
                            Err(_) => Score::default(),
                        };
                    }
                    Level::Set => coder::decode_sets(fm.context(), body),
                    Level::Sequence => coder::decode_sequences(fm.context(), body),
                    // Layered files are sent by `LayeredSender`.
                    Level::Layered => return Score::default(),
                };
                match texts {
                    Ok(texts) => self.score_message_skills(m, &texts),
                    Err(_) => Score::default(),
                }
            }
            Codec::ZstdPacket | Codec::ZstdDict => {
                let Some(body) = checked(wire) else {
                    return Score::default();
                };
                match zstd_unpack(body, dict) {
                    Some(b) => self.score_message_bytes(m, &b),
                    None => Score::default(),
                }
            }
            Codec::ZstdFrame => Score::default(),
        }
    }

    /// Encodes the texts with `codec` and scores every packet's intact arrival.
    pub fn sender(
        &self,
        codec: Codec,
        protect: Protect,
        dict: Option<&[u8]>,
        seed: u64,
    ) -> Result<Sender> {
        if codec == Codec::Semzip(Level::Layered) {
            return Err(Error::invalid(
                "a layered file is sent by its own sender, one packet group per layer",
            ));
        }
        let n = self.messages.len();
        let mut prefix = Vec::new();
        let mut intact = Vec::new();
        let wire: Vec<Vec<u8>> = match codec {
            Codec::Semzip(level) => self
                .messages
                .par_iter()
                .map(|m| self.semzip_wire(level, m, Unlearned::Escape))
                .collect(),
            Codec::ZstdPacket | Codec::ZstdDict => self
                .messages
                .par_iter()
                .map_init(
                    || zstd_compressor(dict),
                    |z, m| match z {
                        Ok(z) => z
                            .compress(&self.message_bytes(m))
                            .map(checksummed)
                            .map_err(|e| Error::invalid(format!("zstd: {e}"))),
                        Err(e) => Err(Error::invalid(format!("zstd: {e}"))),
                    },
                )
                .collect::<Result<_>>()?,
            Codec::ZstdFrame => {
                let all = self.message_bytes(&(0..self.texts()));
                let frame = zstd::bulk::compress(&all, ZSTD_LEVEL)
                    .map_err(|e| Error::invalid(format!("zstd: {e}")))?;
                let chunk = frame.len().div_ceil(n.max(1)).max(1);
                let chunks: Vec<Vec<u8>> = frame
                    .chunks(chunk)
                    .map(|c| checksummed(c.to_vec()))
                    .collect();
                prefix = self.frame_prefix_scores(&chunks)?;
                chunks
            }
        };
        let ddict = dict.map(Ddict::copy);
        if codec != Codec::ZstdFrame {
            intact = (0..wire.len())
                .into_par_iter()
                .map(|k| self.score_packet(codec, ddict.as_ref(), k, &wire[k]))
                .collect();
        }
        let repair = make_repair(&wire, protect, plan_seed(seed, 0))?;
        Ok(Sender {
            codec,
            wire,
            intact,
            prefix,
            side_bits: if matches!(codec, Codec::Semzip(Level::Set | Level::Sequence)) {
                self.model_bits
            } else {
                0
            },
            protect,
            repair,
            dict: ddict,
        })
    }

    /// Decodes the zstd frame from chunks (each checksummed) and scores what the
    /// first j chunks give, for every j.
    fn frame_prefix_scores(&self, chunks: &[Vec<u8>]) -> Result<Vec<Score>> {
        let outs = stream_prefixes(chunks.iter().map(|c| &c[..c.len() - CHECKSUM_BYTES]));
        let (ends, full) = self.whole_texts();
        let (out, lens) = outs;
        let res: Vec<Score> = lens
            .par_iter()
            .map(|&len| self.score_prefix(&out[..len], &ends, &full))
            .collect();
        Ok(res)
    }

    /// Where each text ends in the joined bytes, and each text's score when whole.
    fn whole_texts(&self) -> (Vec<usize>, Vec<Score>) {
        let ends = self
            .reference
            .texts
            .iter()
            .scan(0, |pos, t| {
                *pos += t.len() + self.sep.len();
                Some(*pos)
            })
            .collect();
        let full = (0..self.texts())
            .map(|i| {
                let mut s = self.reference.full(i);
                s.bytes = self.reference.texts[i].len() as f64;
                s
            })
            .collect();
        (ends, full)
    }

    fn score_prefix(&self, prefix: &[u8], ends: &[usize], full: &[Score]) -> Score {
        let whole = ends.partition_point(|&e| e <= prefix.len());
        let mut sc = Score::default();
        for s in &full[..whole] {
            sc += *s;
        }
        let start = if whole == 0 { 0 } else { ends[whole - 1] };
        if whole < self.texts() && prefix.len() > start {
            sc += self
                .reference
                .score_bytes(whole, &prefix[start..], &self.fm.extractor);
        }
        sc
    }
}

/// Feeds a zstd frame chunk by chunk into a streaming decoder: the output, and its
/// length after 0, 1, ... chunks (decoding stops at the first error).
fn stream_prefixes<'a>(chunks: impl Iterator<Item = &'a [u8]>) -> (Vec<u8>, Vec<usize>) {
    use zstd::stream::raw::{Decoder, InBuffer, Operation, OutBuffer};
    let mut out = Vec::new();
    let mut lens = vec![0];
    let Ok(mut dec) = Decoder::new() else {
        return (out, lens);
    };
    let mut buf = vec![0u8; 1 << 16];
    let mut broken = false;
    for c in chunks {
        let mut input = InBuffer::around(c);
        while !broken && input.pos() < c.len() {
            let mut ob = OutBuffer::around(&mut buf[..]);
            match dec.run(&mut input, &mut ob) {
                Ok(_) => {
                    let n = ob.pos();
                    out.extend_from_slice(&buf[..n]);
                }
                Err(_) => broken = true,
            }
        }
        // Drain what the decoder still holds for this input.
        while !broken {
            let mut ob = OutBuffer::around(&mut buf[..]);
            let mut empty = InBuffer::around(&[][..]);
            match dec.run(&mut empty, &mut ob) {
                Ok(_) if ob.pos() > 0 => {
                    let n = ob.pos();
                    out.extend_from_slice(&buf[..n]);
                }
                Ok(_) => break,
                Err(_) => broken = true,
            }
        }
        lens.push(out.len());
    }
    (out, lens)
}

fn zstd_compressor(dict: Option<&[u8]>) -> std::io::Result<zstd::bulk::Compressor<'static>> {
    match dict {
        Some(d) => zstd::bulk::Compressor::with_dictionary(ZSTD_LEVEL, d),
        None => zstd::bulk::Compressor::new(ZSTD_LEVEL),
    }
}

/// Most bytes a damaged zstd packet may decode to.
const MAX_UNPACK: usize = 16 << 20;

/// A prepared zstd decompression dictionary.
type Ddict = zstd::dict::DecoderDictionary<'static>;

fn zstd_unpack(data: &[u8], dict: Option<&Ddict>) -> Option<Vec<u8>> {
    match dict {
        Some(d) => zstd::bulk::Decompressor::with_prepared_dictionary(d)
            .and_then(|mut z| z.decompress(data, MAX_UNPACK))
            .ok(),
        None => zstd::bulk::decompress(data, MAX_UNPACK).ok(),
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// One trial of one codec.
#[derive(Debug, Clone, Copy, Default)]
pub struct Trial {
    /// What arrived, scored.
    pub score: Score,
    /// Bits sent (replicas, repair packets and an embedded model included).
    pub bits_sent: f64,
    /// Packets sent (source and repair).
    pub packets_sent: f64,
    /// Source packets not recovered.
    pub packets_lost: f64,
    /// Damaged packets whose checksum failed.
    pub detected: f64,
    /// Damaged packets whose checksum held (decoded as they came).
    pub undetected: f64,
    /// Layered files: messages decoded to at least the set, the sequence and the
    /// exact bytes.
    pub decoded: [f64; 3],
}

impl Sender {
    /// Number of source packets.
    pub fn packets(&self) -> usize {
        self.wire.len()
    }

    /// Bytes of the source packets.
    pub fn source_bytes(&self) -> u64 {
        self.wire.iter().map(|w| w.len() as u64).sum()
    }

    /// Scores the source packets marked received (intact); no channel, no protection.
    pub fn score_received(&self, received: &[bool]) -> Result<Score> {
        if received.len() != self.wire.len() {
            return Err(Error::invalid(
                "the arrival mask does not match the packets",
            ));
        }
        Ok(match self.codec {
            Codec::ZstdFrame => {
                self.prefix[received.iter().position(|&r| !r).unwrap_or(received.len())]
            }
            _ => {
                let mut sc = Score::default();
                for (k, _) in received.iter().enumerate().filter(|(_, r)| **r) {
                    sc += self.intact[k];
                }
                sc
            }
        })
    }

    /// Sends every packet once over `channel` (seeded) and scores what arrives.
    pub fn trial(&self, setup: &Setup, channel: &Channel, seed: u64) -> Result<Trial> {
        let n = self.wire.len();
        let mut all: Vec<&[u8]> = self.wire.iter().map(Vec::as_slice).collect();
        if let Some((_, rp)) = &self.repair {
            all.extend(rp.iter().map(Vec::as_slice));
        }
        let got = transmit(&all, channel, seed)?;
        let mut t = Trial {
            packets_sent: all.len() as f64,
            bits_sent: got.bits_sent + self.side_bits as f64,
            detected: got.detected,
            undetected: got.undetected,
            ..Trial::default()
        };
        let sources = recover(
            &self.wire,
            &self.repair,
            &got.received[..n],
            &got.received[n..],
        )?;
        t.packets_lost = sources.iter().filter(|s| s.is_none()).count() as f64;
        t.score = match self.codec {
            Codec::ZstdFrame => {
                let first_gap = sources.iter().position(Option::is_none).unwrap_or(n);
                let clean =
                    (0..first_gap).all(|i| sources[i].as_deref() == Some(&self.wire[i][..]));
                if clean {
                    self.prefix[first_gap]
                } else {
                    let chunks: Vec<&[u8]> = sources[..first_gap]
                        .iter()
                        .map(|s| {
                            let s = s.as_deref().unwrap_or(&[]);
                            &s[..s.len().saturating_sub(CHECKSUM_BYTES)]
                        })
                        .collect();
                    let (out, _) = stream_prefixes(chunks.into_iter());
                    let (ends, full) = setup.whole_texts();
                    // Damaged bytes are scored as they decode, text by text.
                    setup.score_prefix(&out, &ends, &full)
                }
            }
            codec => {
                let mut sc = Score::default();
                for (k, s) in sources.iter().enumerate() {
                    match s {
                        None => {}
                        Some(b) if b[..] == self.wire[k][..] => sc += self.intact[k],
                        Some(b) => sc += setup.score_packet(codec, self.dict.as_ref(), k, b),
                    }
                }
                sc
            }
        };
        Ok(t)
    }
}

/// One point of the sweep for one codec: means over trials.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    /// The channel kind.
    pub channel: String,
    /// The channel parameter (P, SNR in dB or load).
    pub param: f64,
    /// The channel spec.
    pub spec: String,
    /// The codec.
    pub codec: String,
    /// semzip's fidelity level, or zstd's level.
    pub level: String,
    /// The protection.
    pub protect: String,
    /// Trials run.
    pub trials: usize,
    /// Bits sent, protection included.
    pub bits_sent: f64,
    /// Packets sent.
    pub packets_sent: f64,
    /// Source packets lost after protection.
    pub packets_lost: f64,
    /// Packets that theory predicts lost (IRSA by DE; LT protection on erasures).
    pub predicted_packets_lost: Option<f64>,
    /// Damaged packets caught by their checksum.
    pub damaged_detected: f64,
    /// Damaged packets whose checksum held.
    pub damaged_undetected: f64,
    /// Share of the original skills recovered.
    pub skill_recall: f64,
    /// Standard error of the skill recall over trials.
    pub skill_recall_se: f64,
    /// Recall weighted by each skill's information (-log2 frequency).
    pub weighted_recall: f64,
    /// Share of texts with all skills recovered.
    pub texts_understood: f64,
    /// Bytes of texts recovered exactly.
    pub bytes_recovered: f64,
    /// Their share of the texts' bytes.
    pub bytes_ok: f64,
    /// Recovered skills per kilobit sent.
    pub meaning_per_kbit: f64,
    /// Standard error of the meaning per kilobit.
    pub meaning_per_kbit_se: f64,
    /// Layered files: the share of messages decoded to at least the set, the
    /// sequence and the exact bytes (`null` for other codecs).
    pub layers_decoded: Option<[f64; 3]>,
}

/// Everything a run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Texts sent.
    pub texts: usize,
    /// Source packets per codec.
    pub packets: usize,
    /// How texts were cut.
    pub segmentation: String,
    /// Skills in the original texts.
    pub skills: f64,
    /// One entry per (channel value, codec).
    pub points: Vec<Point>,
    /// Notes for the user.
    pub warnings: Vec<String>,
    /// How each `lt:match` was solved.
    pub notes: Vec<String>,
}

fn mean_se(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let m = v.iter().sum::<f64>() / n;
    if v.len() < 2 {
        return (m, 0.0);
    }
    let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
    (m, (var / n).sqrt())
}

/// The codecs a run compares.
pub fn codecs(opts: &Options) -> Vec<Codec> {
    let mut c: Vec<Codec> = opts.levels.iter().map(|&l| Codec::Semzip(l)).collect();
    if opts.zstd {
        c.push(Codec::ZstdFrame);
        c.push(Codec::ZstdPacket);
        if opts.zstd_dict.is_some() {
            c.push(Codec::ZstdDict);
        }
    }
    c
}

/// A codec under one protection, ready to send.
enum Entry {
    One(Sender),
    Layered(LayeredSender),
}

impl Entry {
    fn trial(&self, setup: &Setup, channel: &Channel, seed: u64) -> Result<Trial> {
        match self {
            Entry::One(s) => s.trial(setup, channel, seed),
            Entry::Layered(s) => s.trial(setup, channel, seed),
        }
    }

    fn codec(&self) -> Codec {
        match self {
            Entry::One(s) => s.codec,
            Entry::Layered(_) => Codec::Semzip(Level::Layered),
        }
    }

    fn protect(&self) -> String {
        match self {
            Entry::One(s) => s.protect.to_string(),
            Entry::Layered(s) => s.shield().to_string(),
        }
    }

    /// Source packets lost as theory predicts them, where it does.
    fn predicted(&self, ch: &Channel) -> Option<f64> {
        let group =
            |p: Protect, n: usize| super::packets::predicted(ch, p, n).map(|v| v * n as f64);
        match self {
            Entry::One(s) => group(s.protect, s.packets()),
            Entry::Layered(s) => match s.shield() {
                Shield::PerLayer(l) => l
                    .iter()
                    .map(|&p| group(p, s.messages()))
                    .sum::<Option<f64>>(),
                Shield::Joint(p) => group(p, 3 * s.messages()),
            },
        }
    }
}

/// Checks the protections against the codecs and builds every (codec, protection)
/// sender; returns them with a note per solved `lt:match`.
fn entries(setup: &Setup, opts: &Options, codecs: &[Codec]) -> Result<(Vec<Entry>, Vec<String>)> {
    let layered = codecs.contains(&Codec::Semzip(Level::Layered));
    let Some(first) = opts.protect.first() else {
        return Err(Error::invalid("give at least one protection"));
    };
    if matches!(first, ProtectSpec::MatchBits { .. }) {
        return Err(Error::invalid(
            "lt:match matches the bits sent under the first protection: give that one first",
        ));
    }
    if !layered && let Some(p) = opts.protect.iter().find(|p| p.single().is_none()) {
        return Err(Error::invalid(format!(
            "protection '{p}' protects a layered file's layers: it needs the layered level"
        )));
    }
    let parts = if layered {
        Some(Arc::new(super::layered::Layers::encode(setup)?))
    } else {
        None
    };
    let mut out = Vec::new();
    let mut notes = Vec::new();
    for spec in &opts.protect {
        for &codec in codecs {
            if let (Codec::Semzip(Level::Layered), Some(parts)) = (codec, &parts) {
                let shield = match (spec.shield(), spec) {
                    (Some(sh), _) => sh,
                    (None, ProtectSpec::MatchBits { joint }) => {
                        let target = first.shield().expect("the first is not lt:match");
                        let (overhead, got, want) =
                            parts.match_overhead(target, *joint, opts.seed)?;
                        let lt = Protect::Lt { overhead };
                        let sh = if *joint {
                            Shield::Joint(lt)
                        } else {
                            Shield::PerLayer([lt; 3])
                        };
                        notes.push(format!(
                            "{spec} solved to {sh}: {:.1} kbit of layered packets against {:.1} kbit under {first}",
                            got as f64 * 8.0 / 1000.0,
                            want as f64 * 8.0 / 1000.0
                        ));
                        sh
                    }
                    (None, _) => unreachable!("every other spec has a shield"),
                };
                out.push(Entry::Layered(LayeredSender::new(
                    parts.clone(),
                    shield,
                    opts.seed,
                )?));
            } else if let Some(p) = spec.single() {
                let dict = if codec == Codec::ZstdDict {
                    opts.zstd_dict.as_deref()
                } else {
                    None
                };
                out.push(Entry::One(setup.sender(codec, p, dict, opts.seed)?));
            }
        }
    }
    Ok((out, notes))
}

/// Runs the experiment, reporting each finished trial to `progress`.
pub fn run(setup: &Setup, opts: &Options, progress: &dyn Progress) -> Result<Report> {
    if opts.trials == 0 {
        return Err(Error::invalid("trials must be at least 1"));
    }
    let channels: Vec<Channel> = match &opts.sweep {
        None => vec![opts.channel.clone()],
        Some(v) => v
            .iter()
            .map(|&x| opts.channel.with_param(x))
            .collect::<Result<_>>()?,
    };
    let codecs = codecs(opts);
    let (senders, notes) = entries(setup, opts, &codecs)?;
    let jobs: Vec<(usize, usize)> = (0..channels.len())
        .flat_map(|p| (0..opts.trials).map(move |t| (p, t)))
        .collect();
    progress.start(jobs.len() as u64, "channel trials");
    let results: Result<Vec<Vec<Trial>>> = jobs
        .par_iter()
        .map(|&(p, t)| {
            // The same channel draw for every codec of a trial.
            let seed = mix64(opts.seed ^ mix64(((p as u64) << 32) | t as u64));
            let r = senders
                .iter()
                .map(|s| s.trial(setup, &channels[p], seed))
                .collect::<Result<Vec<_>>>();
            progress.advance(1);
            r
        })
        .collect();
    progress.finish();
    let results = results?;
    let r = &setup.reference;
    let mut points = Vec::new();
    for (p, ch) in channels.iter().enumerate() {
        for (c, s) in senders.iter().enumerate() {
            let trials: Vec<&Trial> = (0..opts.trials)
                .map(|t| &results[p * opts.trials + t][c])
                .collect();
            let avg = |f: &dyn Fn(&Trial) -> f64| {
                mean_se(&trials.iter().map(|t| f(t)).collect::<Vec<_>>())
            };
            let (recall, recall_se) = avg(&|t| t.score.recalled / r.total_skills.max(1.0));
            let (mpk, mpk_se) = avg(&|t| t.score.recalled / (t.bits_sent / 1000.0).max(1e-12));
            let msgs = setup.packets().max(1) as f64;
            let text_bytes = r.texts.iter().map(String::len).sum::<usize>().max(1) as f64;
            let layers_decoded = matches!(s, Entry::Layered(_))
                .then(|| [0, 1, 2].map(|d| avg(&|t| t.decoded[d] / msgs).0));
            points.push(Point {
                channel: ch.kind().into(),
                param: ch.param(),
                spec: ch.to_string(),
                codec: s.codec().name().into(),
                level: s.codec().level(),
                protect: s.protect(),
                trials: opts.trials,
                bits_sent: avg(&|t| t.bits_sent).0,
                packets_sent: avg(&|t| t.packets_sent).0,
                packets_lost: avg(&|t| t.packets_lost).0,
                predicted_packets_lost: s.predicted(ch),
                damaged_detected: avg(&|t| t.detected).0,
                damaged_undetected: avg(&|t| t.undetected).0,
                skill_recall: recall,
                skill_recall_se: recall_se,
                weighted_recall: avg(&|t| t.score.weighted / r.total_weight.max(1e-12)).0,
                texts_understood: avg(&|t| t.score.understood / setup.texts() as f64).0,
                bytes_recovered: avg(&|t| t.score.bytes).0,
                bytes_ok: avg(&|t| t.score.bytes / text_bytes).0,
                meaning_per_kbit: mpk,
                meaning_per_kbit_se: mpk_se,
                layers_decoded,
            });
        }
    }
    Ok(Report {
        texts: setup.texts(),
        packets: setup.packets(),
        segmentation: setup.segmentation.to_string(),
        skills: r.total_skills,
        points,
        warnings: setup.warnings.clone(),
        notes,
    })
}
