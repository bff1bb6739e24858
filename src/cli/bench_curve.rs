//! `semzip bench --curve`: the dial swept beside lossy peers (table, JSON, SVG).

use crate::Error;
use crate::codec::Level;
use crate::fidelity::curve::{
    CurveOptions, CurvePoint, DEFAULT_KEEPS, curve_file, dominance, monotone_share,
};
use crate::model::Model;
use crate::report::svg::{Plot, Series};
use crate::report::{Table, to_json_pretty};
use crate::text::extract::{Extractor, ExtractorSpec};
use crate::text::segment::Segmentation;
use std::path::{Path, PathBuf};

/// Lowest rate at which semzip is compared with the peers (the range).
const FROM_BPC: f64 = 0.2;

/// Runs the sweep over `files` and prints it.
#[allow(clippy::too_many_arguments)]
pub fn run(
    files: &[PathBuf],
    model: Option<&Model>,
    dict: Option<&[u8]>,
    texts: Segmentation,
    independent: &str,
    keeps: &[f64],
    json: bool,
    plot: Option<&Path>,
) -> anyhow::Result<()> {
    let spec: ExtractorSpec = independent
        .parse()
        .map_err(|e| Error::invalid(format!("--fidelity-extractor: {e}")))?;
    let independent = Extractor::from_spec_untrained(&spec)
        .map_err(|e| Error::invalid(format!("--fidelity-extractor: {e}")))?;
    for &k in keeps {
        crate::fidelity::check_keep(k).map_err(|e| Error::invalid(format!("--keeps: {e}")))?;
    }
    if let Some(dir) = plot
        && !dir.is_dir()
    {
        return Err(Error::invalid(format!(
            "--plot {}: folder does not exist; create it first",
            dir.display()
        ))
        .into());
    }
    let opts = CurveOptions {
        keeps: if keeps.is_empty() {
            DEFAULT_KEEPS.to_vec()
        } else {
            keeps.to_vec()
        },
        texts,
        independent,
        levels: vec![Level::Set, Level::Sequence],
        peers: true,
    };
    let mut points = Vec::new();
    for f in files {
        let pts = curve_file(f, model, dict, &opts)?;
        if let Some(dir) = plot {
            plot_curve(dir, f, &pts)?;
        }
        points.extend(pts);
    }
    if json {
        println!("{}", to_json_pretty(&points)?);
        return Ok(());
    }
    let mut t = Table::new([
        "file",
        "codec",
        "keep",
        "bytes_out",
        "bpc",
        "skill_f1",
        "w_recall",
        "understood",
        "indep_f1",
        "indep_w_recall",
        "order",
    ]);
    for p in &points {
        t.row([
            super::bench::short_name(&p.file),
            p.codec.clone(),
            format!("{:.3}", p.keep),
            p.bytes_out.to_string(),
            format!("{:.3}", p.bpc),
            format!("{:.4}", p.skill_f1),
            format!("{:.4}", p.weighted_recall),
            format!("{:.4}", p.texts_understood),
            format!("{:.4}", p.independent_f1),
            format!("{:.4}", p.independent_weighted_recall),
            p.order_score.map_or("-".to_string(), |v| format!("{v:.4}")),
        ]);
    }
    print!("{}", t.render());
    println!(
        "\nsemzip against each peer, weighted recall, from {FROM_BPC} bpc to the set level \
         (each curve linear between its points):"
    );
    let mut d = Table::new(["file", "peer", "from bpc", "to bpc", "min margin", "at bpc"]);
    for x in dominance(&points, FROM_BPC) {
        d.row([
            super::bench::short_name(&x.file),
            x.peer,
            format!("{:.3}", x.from_bpc),
            format!("{:.3}", x.to_bpc),
            format!("{:+.4}", x.min_margin),
            format!("{:.3}", x.at_bpc),
        ]);
    }
    print!("{}", d.render());
    println!("\nmonotone share of each sweep (steps where more bits do not lose weighted recall):");
    for f in files {
        let name = f.display().to_string();
        let shares: Vec<String> = ["semzip-set", "semzip-sequence"]
            .iter()
            .map(|c| format!("{c} {:.2}", monotone_share(&points, &name, c)))
            .collect();
        println!(
            "  {}: {}",
            super::bench::short_name(&name),
            shares.join(", ")
        );
    }
    Ok(())
}

/// Writes `rate-curve-<file>.svg`: weighted recall against bits per char.
fn plot_curve(dir: &Path, file: &Path, pts: &[CurvePoint]) -> anyhow::Result<()> {
    let stem = super::bench::short_name(&file.display().to_string());
    let series = |codec: &str| -> Vec<(f64, f64)> {
        let mut v: Vec<(f64, f64)> = pts
            .iter()
            .filter(|p| p.codec == codec)
            .map(|p| (p.bpc, p.weighted_recall))
            .collect();
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        v
    };
    let plot = Plot::new(format!("rate vs meaning: {stem}"))
        .x_label("bits per char")
        .y_label("information-weighted recall")
        .series(Series::line("semzip set", series("semzip-set")))
        .series(Series::line("semzip sequence", series("semzip-sequence")))
        .series(Series::points(
            "semzip unlearned dropped",
            [series("semzip-set-drop"), series("semzip-sequence-drop")].concat(),
        ))
        .series(Series::line("truncate + zstd", series("truncate")))
        .series(Series::line("top-k words + zstd", series("topk")))
        .series(Series::points(
            "stop words removed + zstd",
            series("nostop"),
        ));
    plot.save(dir.join(format!("rate-curve-{stem}.svg")))?;
    Ok(())
}
