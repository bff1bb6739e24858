//! Layered files (`--level layered`, docs/FORMAT.md "Layered files"): per run of
//! texts, a base packet holding each text's skills in order (from which the sets
//! follow), then two refinement records: the order (empty since format version 4,
//! the base carries it; the record marks the sequence layer) and the exact bytes
//! (coded given the sequences).
//!
//! The base layer is an ordinary packet (`PK`, listed in the index); refinements are
//! extension records (`lo`, `lx`) that follow their run's packet, so a reader that
//! wants less than the exact level skips what it does not need, and a receiver that
//! holds only the packets still decodes the sets.

use super::coder::{self, Skill};
use super::container::write_extension;
use super::file_model::FileModel;
use super::level::Level;
use super::packet::Packet;
use super::varint;
use crate::{Error, Result};

/// Tag of the order layer's records.
pub const ORDER_TAG: [u8; 2] = *b"lo";
/// Tag of the exact layer's records.
pub const EXACT_TAG: [u8; 2] = *b"lx";

/// A refinement record of one run: which texts it refines and its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerRecord {
    /// [`ORDER_TAG`] or [`EXACT_TAG`].
    pub tag: [u8; 2],
    /// The run's first text (equal to its base packet's).
    pub first_text: u64,
    /// The run's texts (equal to its base packet's).
    pub texts: u64,
    /// Order: 0. Exact: the run's original bytes.
    pub original_bytes: u64,
    /// The layer's payload.
    pub payload: Vec<u8>,
}

impl LayerRecord {
    /// The record's body (what the extension record carries).
    pub fn body(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(self.payload.len() + 24);
        varint::put(&mut b, self.first_text);
        varint::put(&mut b, self.texts);
        varint::put(&mut b, self.original_bytes);
        b.extend_from_slice(&self.payload);
        b
    }

    /// Parses a record's body.
    pub fn parse(tag: [u8; 2], body: &[u8]) -> Result<LayerRecord> {
        let bad = |e| Error::corrupt(format!("a layer record is damaged: {e:?}"));
        let mut at = 0usize;
        let mut next = || -> Result<u64> {
            let (v, n) = varint::get(&body[at..]).map_err(bad)?;
            at += n;
            Ok(v)
        };
        let first_text = next()?;
        let texts = next()?;
        let original_bytes = next()?;
        Ok(LayerRecord {
            tag,
            first_text,
            texts,
            original_bytes,
            payload: body[at..].to_vec(),
        })
    }

    /// Writes the record (an extension record); returns its length in bytes.
    pub fn write_to(&self, w: &mut impl std::io::Write) -> Result<u64> {
        write_extension(w, self.tag, &self.body())
    }
}

/// The three layers of one run, coded.
pub struct Run {
    /// The base packet (its `first_text` is set by the caller, in file order).
    pub base: Packet,
    /// The order layer.
    pub order: LayerRecord,
    /// The exact layer.
    pub exact: LayerRecord,
}

/// Codes one run: `texts` are the run's texts as cut from `data` (its raw bytes),
/// `seqs` their skills in order as coded (codes or escapes).
pub fn encode_run(fm: &FileModel, data: &[u8], texts: &[String], seqs: &[Vec<Skill>]) -> Run {
    let ctx = fm.context();
    let words: Vec<Vec<String>> = seqs
        .iter()
        .map(|t| t.iter().map(|s| fm.render(s).unwrap_or_default()).collect())
        .collect();
    let refs: Vec<Vec<&[u8]>> = words
        .iter()
        .map(|t| t.iter().map(|w| w.as_bytes()).collect())
        .collect();
    // A file without a codebook sends each skill's rank, so that its sets decode in
    // the set level's canonical order.
    let rank = |w: &[u8]| -> u64 {
        let w = std::str::from_utf8(w).unwrap_or_default();
        fm.codebook
            .code_of(w)
            .map_or(0, |c| fm.codebook.count(c).saturating_add(1))
    };
    let base = Packet {
        texts: texts.len() as u64,
        first_text: 0,
        original_bytes: texts.iter().map(|t| t.len() as u64).sum(),
        payload: coder::encode_base(
            ctx,
            &refs,
            fm.is_builtin().then_some(&rank as coder::RankOf<'_>),
        ),
    };
    let flat: Vec<&[u8]> = refs.iter().flatten().copied().collect();
    let counts: Vec<usize> = refs.iter().map(Vec::len).collect();
    let exact = coder::encode_exact_given(ctx, &flat, &counts, data);
    let rec = |tag, original_bytes, payload| LayerRecord {
        tag,
        first_text: 0,
        texts: texts.len() as u64,
        original_bytes,
        payload,
    };
    Run {
        base,
        order: rec(ORDER_TAG, 0, order_payload(texts.len() as u64)),
        exact: rec(EXACT_TAG, data.len() as u64, exact),
    }
}

/// The order record's payload: the base carries the order (format version 4), so
/// the record only marks the sequence layer, holding its run's text count.
pub fn order_payload(texts: u64) -> Vec<u8> {
    let mut v = Vec::new();
    varint::put(&mut v, texts);
    v
}

/// What a run decodes to.
pub enum RunOut {
    /// Sets or sequences: each text's skills.
    Skills(Vec<Vec<Skill>>),
    /// The run's original bytes.
    Bytes(Vec<u8>),
}

/// Decodes one run at `level` (set, sequence or exact) from its base packet and the
/// refinement records it needs.
pub fn decode_run(
    fm: &FileModel,
    level: Level,
    base: &Packet,
    order: Option<&LayerRecord>,
    exact: Option<&LayerRecord>,
) -> Result<RunOut> {
    let ctx = fm.context();
    let (words, ranks) = coder::decode_base(ctx, &base.payload, base.texts, fm.is_builtin())?;
    let skill = |w: &[u8]| -> Result<Skill> {
        let w = std::str::from_utf8(w)
            .map_err(|_| Error::corrupt("the base layer holds a skill that is not UTF-8"))?;
        Ok(match (&ranks, fm.codebook.code_of(w)) {
            (None, Some(c)) => Skill::Known(c),
            _ => Skill::Literal(w.to_string()),
        })
    };
    if level == Level::Set {
        let sets = words
            .iter()
            .map(|t| {
                let mut t: Vec<&Vec<u8>> = t.iter().collect();
                t.sort_unstable();
                t.dedup();
                match &ranks {
                    // The set level's order: codebook skills by count, most
                    // frequent first, then by bytes; then the others by bytes.
                    Some(r) => {
                        let v = |w: &[u8]| r.get(w).copied().unwrap_or(0);
                        t.sort_by_key(|w| (v(w) == 0, std::cmp::Reverse(v(w))));
                        t.iter().map(|w| skill(w)).collect::<Result<Vec<_>>>()
                    }
                    None => t
                        .iter()
                        .map(|w| skill(w))
                        .collect::<Result<Vec<_>>>()
                        .map(|s| coder::canonical_set(&s)),
                }
            })
            .collect::<Result<Vec<_>>>()?;
        return Ok(RunOut::Skills(sets));
    }
    let missing = |what: &str| {
        Error::corrupt(format!(
            "the run of text {} has no {what} layer",
            base.first_text
        ))
    };
    let order = order.ok_or_else(|| missing("order"))?;
    if order.payload != order_payload(base.texts) {
        return Err(Error::corrupt("order layer payload is corrupt"));
    }
    if level == Level::Sequence {
        let seqs = words
            .iter()
            .map(|t| t.iter().map(|w| skill(w)).collect::<Result<Vec<_>>>())
            .collect::<Result<Vec<_>>>()?;
        return Ok(RunOut::Skills(seqs));
    }
    let exact = exact.ok_or_else(|| missing("exact"))?;
    if exact.original_bytes > super::packet::MAX_PAYLOAD_BYTES * 64 {
        return Err(Error::corrupt(
            "an exact layer record claims too many bytes",
        ));
    }
    let refs: Vec<&[u8]> = words.iter().flatten().map(Vec::as_slice).collect();
    let counts: Vec<usize> = words.iter().map(Vec::len).collect();
    let bytes = coder::decode_exact_given(
        ctx,
        &refs,
        &counts,
        &exact.payload,
        exact.original_bytes as usize,
    )?;
    Ok(RunOut::Bytes(bytes))
}

/// Where to cut a layered run inside `buf` (at most `cap` bytes): after the last text
/// separator (a blank line for paragraphs, a `%` line for fortunes, a line end for
/// lines), else after the last line end, else at `cap`.
pub fn cut_point(buf: &[u8], cap: usize, seg: crate::text::segment::Segmentation) -> usize {
    use crate::text::segment::Segmentation;
    let hay = &buf[..cap.min(buf.len())];
    let after = |pat: &[u8]| {
        hay.windows(pat.len())
            .rposition(|w| w == pat)
            .map(|i| i + pat.len())
    };
    let sep = match seg {
        Segmentation::Lines => None,
        Segmentation::Paragraphs => after(b"\n\n").max(after(b"\n\r\n")),
        Segmentation::Fortunes => after(b"\n%\n").max(after(b"\n%\r\n")),
    };
    sep.or_else(|| after(b"\n")).unwrap_or(hay.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::segment::Segmentation;

    #[test]
    fn records_round_trip_and_cuts_follow_separators() {
        let r = LayerRecord {
            tag: ORDER_TAG,
            first_text: 300,
            texts: 7,
            original_bytes: 0,
            payload: vec![1, 2, 3],
        };
        assert_eq!(LayerRecord::parse(ORDER_TAG, &r.body()).unwrap(), r);
        assert!(LayerRecord::parse(ORDER_TAG, &[0x80]).is_err());
        let b = b"a b\n\nc d\ne\n%\nf";
        assert_eq!(cut_point(b, 100, Segmentation::Lines), 13);
        assert_eq!(cut_point(b, 100, Segmentation::Paragraphs), 5);
        assert_eq!(cut_point(b, 100, Segmentation::Fortunes), 13);
        assert_eq!(cut_point(b, 3, Segmentation::Lines), 3);
    }
}
