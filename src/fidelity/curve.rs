//! Rate against meaning as a curve (`semzip bench --curve`): semzip swept along
//! its dial at the set and sequence levels, beside lossy peers at the same rates.
//!
//! Every point is scored the same way, against the same reference: the skills the
//! reference extractor (the model's, or the default one) finds in each original
//! text, with skill information counted over the file's own texts. A peer is
//! scored on the text it gives back, re-extracted with that extractor.
//!
//! Lossy peers, each a text transformation then zstd -19 (with the dictionary
//! when one is given), over the lower-cased words of each text (the `words`
//! extractor, one text a line):
//! - `truncate`: the first k = floor(F·n + u) words of each n-word text (u the
//!   text's rounding offset, as the dial's);
//! - `nostop`: the words minus stop words (one point);
//! - `topk`: the k most informative words of each text (fewest texts of the file
//!   holding them first), in their original order.

use super::dial::{Dial, kept_count, text_offset};
use super::measures::{IndependentScorer, Information, edit_similarity, set_scores};
use crate::codec::{Decoded, Decoder, EncodeOptions, Level, Unlearned};
use crate::model::Model;
use crate::pipeline::{EmbedOptions, encode};
use crate::text::extract::Extractor;
use crate::text::segment::{DEFAULT_MAX_TEXT_BYTES, Segmentation, Segmenter};
use crate::text::stopwords::is_stop_word;
use crate::{Error, Result};
use serde::Serialize;
use std::collections::HashSet;
use std::path::Path;

/// The keep fractions swept by default (largest first; denser where rates are low).
pub const DEFAULT_KEEPS: [f64; 18] = [
    1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.12, 0.1, 0.08, 0.06, 0.04, 0.03,
    0.02,
];

/// One point of a rate-fidelity curve (the JSON schema of `bench --curve --json`).
#[derive(Debug, Clone, Serialize)]
pub struct CurvePoint {
    /// The file measured.
    pub file: String,
    /// `semzip-set`, `semzip-sequence`, `semzip-set-drop`, `semzip-sequence-drop`
    /// (unlearned skills dropped), or a peer: `truncate`, `nostop`, `topk`.
    pub codec: String,
    /// The dial's keep fraction (peers: the fraction of words kept; `nostop`: 1).
    pub keep: f64,
    /// Bytes of output.
    pub bytes_out: u64,
    /// Bits of output per input byte.
    pub bpc: f64,
    /// Skill F1 against the reference extractor's skill sets.
    pub skill_f1: f64,
    /// Skill recall weighted by information.
    pub weighted_recall: f64,
    /// Share of texts whose decoded skill set equals the reference.
    pub texts_understood: f64,
    /// The independent extractor (`--fidelity-extractor`).
    pub independent_extractor: String,
    /// Skill F1 under the independent extractor.
    pub independent_f1: f64,
    /// Weighted recall under the independent extractor.
    pub independent_weighted_recall: f64,
    /// Order-aware score (normalized edit similarity of the skill sequences):
    /// sequence-level points and the peers, which keep order; none for sets.
    pub order_score: Option<f64>,
}

/// How to sweep a file.
#[derive(Debug, Clone)]
pub struct CurveOptions {
    /// Keep fractions to sweep, each in (0, 1].
    pub keeps: Vec<f64>,
    /// How texts are cut.
    pub texts: Segmentation,
    /// Scores from an extractor the codec did not use.
    pub independent: Extractor,
    /// Levels swept (set, sequence).
    pub levels: Vec<Level>,
    /// Include the lossy peers.
    pub peers: bool,
}

/// The texts of a file and what the measures need of them.
struct Reference {
    extractor: Extractor,
    texts: Vec<String>,
    skills: Vec<Vec<String>>,
    info: Information,
}

/// Sweeps the dial over one file and measures the peers (see the module docs).
pub fn curve_file(
    path: &Path,
    model: Option<&Model>,
    dict: Option<&[u8]>,
    opts: &CurveOptions,
) -> Result<Vec<CurvePoint>> {
    if path.is_dir() {
        return Err(Error::invalid(format!(
            "{}: is a directory; give files",
            path.display()
        )));
    }
    let data = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    curve_data(&data, &path.display().to_string(), model, dict, opts)
}

/// [`curve_file`] on bytes in memory, named `name`.
pub fn curve_data(
    data: &[u8],
    name: &str,
    model: Option<&Model>,
    dict: Option<&[u8]>,
    opts: &CurveOptions,
) -> Result<Vec<CurvePoint>> {
    for &k in &opts.keeps {
        super::dial::check_keep(k)?;
    }
    let extractor = match model {
        Some(m) => m.extractor.clone(),
        None => Extractor::from_spec_untrained(&crate::train::TrainOptions::default().extractor)?,
    };
    let texts: Vec<String> =
        Segmenter::new(data, opts.texts, DEFAULT_MAX_TEXT_BYTES).collect::<Result<_>>()?;
    let skills: Vec<Vec<String>> = texts.iter().map(|t| extractor.skills(t)).collect();
    let reference = Reference {
        info: Information::from_texts(&skills),
        extractor,
        texts,
        skills,
    };
    let scorer = IndependentScorer::new(opts.independent.clone());
    let mut points = Vec::new();
    for &level in &opts.levels {
        if !level.is_lossy() {
            return Err(Error::invalid(format!(
                "the curve sweeps the lossy levels (set, sequence), not {level}"
            )));
        }
        for &keep in &opts.keeps {
            let p = semzip_point(
                data,
                name,
                model,
                level,
                Unlearned::Escape,
                keep,
                opts,
                &reference,
                &scorer,
            )?;
            points.push(p);
        }
        points.push(semzip_point(
            data,
            name,
            model,
            level,
            Unlearned::Drop,
            1.0,
            opts,
            &reference,
            &scorer,
        )?);
    }
    if opts.peers {
        peer_points(
            data.len(),
            name,
            dict,
            opts,
            &reference,
            &scorer,
            &mut points,
        )?;
    }
    Ok(points)
}

#[allow(clippy::too_many_arguments)]
fn semzip_point(
    data: &[u8],
    name: &str,
    model: Option<&Model>,
    level: Level,
    unlearned: Unlearned,
    keep: f64,
    opts: &CurveOptions,
    reference: &Reference,
    scorer: &IndependentScorer,
) -> Result<CurvePoint> {
    let eo = EncodeOptions {
        level,
        unlearned,
        texts: opts.texts,
        dial: Some(Dial::unranked(keep)?),
        ..EncodeOptions::default()
    };
    let mut sz = Vec::new();
    encode(
        data,
        name,
        &mut sz,
        "<memory>",
        model,
        &eo,
        &EmbedOptions::default(),
    )?;
    let mut d = Decoder::new(&sz[..], "<memory>", model)?;
    let mut decoded: Vec<Vec<String>> = Vec::new();
    while let Some(p) = d.next_packet()? {
        if let Decoded::Texts(t) = p {
            decoded.extend(t);
        }
    }
    let rendered: Vec<String> = decoded.iter().map(|t| t.join(" ")).collect();
    let codec = match unlearned {
        Unlearned::Escape => format!("semzip-{level}"),
        Unlearned::Drop => format!("semzip-{level}-drop"),
    };
    let order = (level == Level::Sequence)
        .then(|| edit_similarity(&reference.skills, &decoded))
        .transpose()?;
    score(
        name,
        codec,
        keep,
        sz.len(),
        data.len(),
        &decoded,
        &rendered,
        order,
        reference,
        scorer,
    )
}

#[allow(clippy::too_many_arguments)]
fn score(
    name: &str,
    codec: String,
    keep: f64,
    bytes_out: usize,
    bytes_in: usize,
    decoded: &[Vec<String>],
    rendered: &[String],
    order_score: Option<f64>,
    reference: &Reference,
    scorer: &IndependentScorer,
) -> Result<CurvePoint> {
    let s = set_scores(&reference.skills, decoded, &reference.info)
        .map_err(|e| Error::corrupt(format!("{name}: {codec}: {e}")))?;
    let ind = scorer.score(&reference.texts, rendered)?;
    Ok(CurvePoint {
        file: name.to_string(),
        codec,
        keep,
        bytes_out: bytes_out as u64,
        bpc: if bytes_in == 0 {
            0.0
        } else {
            bytes_out as f64 * 8.0 / bytes_in as f64
        },
        skill_f1: s.f1,
        weighted_recall: s.weighted_recall,
        texts_understood: s.texts_understood,
        independent_extractor: scorer.spec(),
        independent_f1: ind.f1,
        independent_weighted_recall: ind.weighted_recall,
        order_score,
    })
}

/// zstd -19 (with `dict` when given) of texts joined one a line: bytes out.
fn zstd_bytes(texts: &[String], dict: Option<&[u8]>) -> Result<usize> {
    let joined = texts.join("\n");
    let zerr = |e: std::io::Error| Error::invalid(format!("zstd failed on a peer: {e}"));
    let out = match dict {
        Some(d) => zstd::bulk::Compressor::with_dictionary(19, d)
            .and_then(|mut c| c.compress(joined.as_bytes()))
            .map_err(zerr)?,
        None => zstd::bulk::compress(joined.as_bytes(), 19).map_err(zerr)?,
    };
    Ok(out.len())
}

/// Keeps the `k` words of `words` that fewest texts hold, in their order.
fn most_informative(words: &[String], k: usize, info: &Information) -> Vec<String> {
    let mut distinct: Vec<&str> = words.iter().map(String::as_str).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let k = k.min(distinct.len());
    distinct.sort_by_key(|w| (info.count(w), *w));
    let kept: HashSet<&str> = distinct[..k].iter().copied().collect();
    words
        .iter()
        .filter(|w| kept.contains(w.as_str()))
        .cloned()
        .collect()
}

fn peer_points(
    bytes_in: usize,
    name: &str,
    dict: Option<&[u8]>,
    opts: &CurveOptions,
    reference: &Reference,
    scorer: &IndependentScorer,
    points: &mut Vec<CurvePoint>,
) -> Result<()> {
    let words_ex = Extractor::words(false)?;
    let words: Vec<Vec<String>> = reference.texts.iter().map(|t| words_ex.skills(t)).collect();
    let word_info = Information::from_texts(&words);
    let mut add = |codec: &str, keep: f64, out: Vec<Vec<String>>| -> Result<()> {
        let rendered: Vec<String> = out.iter().map(|w| w.join(" ")).collect();
        let bytes = zstd_bytes(&rendered, dict)?;
        let decoded: Vec<Vec<String>> = rendered
            .iter()
            .map(|t| reference.extractor.skills(t))
            .collect();
        let order = edit_similarity(&reference.skills, &decoded)?;
        points.push(score(
            name,
            codec.to_string(),
            keep,
            bytes,
            bytes_in,
            &decoded,
            &rendered,
            Some(order),
            reference,
            scorer,
        )?);
        Ok(())
    };
    // Each text's distinct words and its dither offset, the same for every keep.
    let distinct: Vec<(usize, f64)> = words
        .iter()
        .map(|w| {
            let mut d = w.clone();
            d.sort_unstable();
            d.dedup();
            (d.len(), text_offset(&d))
        })
        .collect();
    for &keep in &opts.keeps {
        let trunc = words
            .iter()
            .zip(&distinct)
            .map(|(w, &(_, u))| w[..kept_count(keep, w.len(), u)].to_vec())
            .collect();
        add("truncate", keep, trunc)?;
        let top = words
            .iter()
            .zip(&distinct)
            .map(|(w, &(n, u))| most_informative(w, kept_count(keep, n, u), &word_info))
            .collect();
        add("topk", keep, top)?;
    }
    let nostop = words
        .iter()
        .map(|w| w.iter().filter(|x| !is_stop_word(x)).cloned().collect())
        .collect();
    add("nostop", 1.0, nostop)
}

/// Rate ranges and margins: how semzip's best curve compares with a peer's.
#[derive(Debug, Clone, Serialize)]
pub struct Dominance {
    /// The file.
    pub file: String,
    /// The peer compared.
    pub peer: String,
    /// Lowest rate compared, bpc.
    pub from_bpc: f64,
    /// Highest rate compared, bpc.
    pub to_bpc: f64,
    /// Smallest margin, semzip's weighted recall minus the peer's, over the rates
    /// compared (positive: semzip above the peer everywhere).
    pub min_margin: f64,
    /// The rate where the margin is smallest.
    pub at_bpc: f64,
}

/// A curve's score at rate `x`: linear between its neighbouring points (sorted
/// by rate; sharing a file's texts between two settings reaches any such mix),
/// the best point at or below `x` beyond the last, none below the first.
pub fn score_at(points: &[(f64, f64)], x: f64) -> Option<f64> {
    let mut p: Vec<(f64, f64)> = points.to_vec();
    p.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    // Upper envelope: keep only points that beat every cheaper one.
    let mut env: Vec<(f64, f64)> = Vec::new();
    for q in p {
        if env.last().is_none_or(|l| q.1 > l.1) {
            env.push(q);
        }
    }
    let first = env.first()?;
    if x < first.0 - 1e-12 {
        return None;
    }
    for w in env.windows(2) {
        let (a, b) = (w[0], w[1]);
        if x >= a.0 && x <= b.0 {
            if b.0 - a.0 <= 1e-12 {
                return Some(b.1);
            }
            return Some(a.1 + (b.1 - a.1) * (x - a.0) / (b.0 - a.0));
        }
    }
    env.iter()
        .filter(|q| q.0 <= x + 1e-12)
        .map(|q| q.1)
        .max_by(f64::total_cmp)
}

/// Compares semzip (every `semzip-*` point) with each peer over the rates from
/// `from_bpc` to the set level's full rate (keep 1, unlearned escaped), at every
/// point of either curve in that range, each curve read with [`score_at`].
pub fn dominance(points: &[CurvePoint], from_bpc: f64) -> Vec<Dominance> {
    let mut out = Vec::new();
    let files: Vec<&str> = {
        let mut f: Vec<&str> = points.iter().map(|p| p.file.as_str()).collect();
        f.dedup();
        f
    };
    for file in files {
        let pts: Vec<&CurvePoint> = points.iter().filter(|p| p.file == file).collect();
        let Some(top) = pts
            .iter()
            .find(|p| p.codec == "semzip-set" && p.keep >= 1.0)
            .map(|p| p.bpc)
        else {
            continue;
        };
        let ours: Vec<(f64, f64)> = pts
            .iter()
            .filter(|p| p.codec.starts_with("semzip"))
            .map(|p| (p.bpc, p.weighted_recall))
            .collect();
        let mut peers: Vec<&str> = pts
            .iter()
            .filter(|p| !p.codec.starts_with("semzip"))
            .map(|p| p.codec.as_str())
            .collect();
        peers.sort_unstable();
        peers.dedup();
        for peer in peers {
            let theirs: Vec<(f64, f64)> = pts
                .iter()
                .filter(|p| p.codec == peer)
                .map(|p| (p.bpc, p.weighted_recall))
                .collect();
            let mut xs: Vec<f64> = ours
                .iter()
                .chain(&theirs)
                .map(|p| p.0)
                .filter(|&x| x >= from_bpc && x <= top)
                .collect();
            xs.push(from_bpc);
            xs.push(top);
            // A peer that never gets down to the set level's rate is compared at
            // its cheapest point, where semzip has its best.
            if let Some(cheapest) = theirs.iter().map(|p| p.0).min_by(f64::total_cmp)
                && cheapest > top
            {
                xs.push(cheapest);
            }
            let mut worst: Option<(f64, f64)> = None;
            for x in xs {
                let Some(t) = score_at(&theirs, x) else {
                    continue;
                };
                let o = score_at(&ours, x).unwrap_or(0.0);
                if worst.is_none_or(|w| o - t < w.0) {
                    worst = Some((o - t, x));
                }
            }
            if let Some((m, x)) = worst {
                out.push(Dominance {
                    file: file.to_string(),
                    peer: peer.to_string(),
                    from_bpc,
                    to_bpc: top,
                    min_margin: m,
                    at_bpc: x,
                });
            }
        }
    }
    out
}

/// Share of consecutive steps along a codec's sweep (sorted by rate) where the
/// weighted recall does not fall: 1 for a monotone curve.
pub fn monotone_share(points: &[CurvePoint], file: &str, codec: &str) -> f64 {
    let mut pts: Vec<(f64, f64)> = points
        .iter()
        .filter(|p| p.file == file && p.codec == codec)
        .map(|p| (p.bpc, p.weighted_recall))
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    if pts.len() < 2 {
        return 1.0;
    }
    let up = pts.windows(2).filter(|w| w[1].1 >= w[0].1 - 1e-12).count();
    up as f64 / (pts.len() - 1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(codec: &str, keep: f64, bpc: f64, wr: f64) -> CurvePoint {
        CurvePoint {
            file: "f".into(),
            codec: codec.into(),
            keep,
            bytes_out: 0,
            bpc,
            skill_f1: wr,
            weighted_recall: wr,
            texts_understood: 0.0,
            independent_extractor: "words".into(),
            independent_f1: 0.0,
            independent_weighted_recall: 0.0,
            order_score: None,
        }
    }

    #[test]
    fn score_at_interpolates_the_upper_envelope() {
        // (0.2, 0.1), (0.6, 0.5), and a dominated point (0.4, 0.05).
        let c = [(0.6, 0.5), (0.2, 0.1), (0.4, 0.05)];
        assert_eq!(score_at(&c, 0.1), None);
        assert!((score_at(&c, 0.4).unwrap() - 0.3).abs() < 1e-12); // halfway
        assert_eq!(score_at(&c, 0.9), Some(0.5));
    }

    #[test]
    fn dominance_finds_the_smallest_margin() {
        // semzip: (0.2, 0.3), (1.0, 1.0); peer: (0.5, 0.5), (2.0, 1.0).
        // At 0.5 semzip reads 0.3 + 0.7 * 0.3 / 0.8 = 0.5625: margin +0.0625;
        // at 1.0 the peer reads 0.5 + 0.5 * 0.5 / 1.5 = 2/3: margin 1/3.
        let pts = [
            pt("semzip-set", 0.2, 0.2, 0.3),
            pt("semzip-set", 1.0, 1.0, 1.0),
            pt("topk", 0.5, 0.5, 0.5),
            pt("topk", 1.0, 2.0, 1.0),
            pt("nostop", 1.0, 1.5, 1.0),
        ];
        let d = dominance(&pts, 0.2);
        let nostop = d.iter().find(|x| x.peer == "nostop").unwrap();
        assert!(nostop.min_margin.abs() < 1e-12 && nostop.at_bpc == 1.5);
        let topk = d.iter().find(|x| x.peer == "topk").unwrap();
        assert!((topk.min_margin - 0.0625).abs() < 1e-12, "{topk:?}");
        assert_eq!(topk.at_bpc, 0.5);
        assert!((monotone_share(&pts, "f", "semzip-set") - 1.0).abs() < 1e-12);
        let bumpy = [
            pt("x", 1.0, 0.1, 0.5),
            pt("x", 1.0, 0.2, 0.4),
            pt("x", 1.0, 0.3, 0.6),
        ];
        assert!((monotone_share(&bumpy, "f", "x") - 0.5).abs() < 1e-12);
    }

    #[test]
    fn most_informative_keeps_rare_words_in_order() {
        let info = Information::from_texts(&[vec!["the", "cat"], vec!["the", "dog"]]);
        let w: Vec<String> = ["the", "dog", "the", "cat"].map(String::from).to_vec();
        assert_eq!(most_informative(&w, 2, &info), ["dog", "cat"]);
        assert_eq!(most_informative(&w, 9, &info), w);
    }
}
