//! `semzip bench`: rate against fidelity per file, semzip at each level beside zstd,
//! every semzip row decoded and checked in the same run.

use crate::Error;
use crate::bench::BenchRow;
use crate::model::Model;
use crate::report::svg::{Plot, Series};
use crate::report::table::number;
use crate::report::{Table, to_json_pretty};
use crate::text::segment::Segmentation;
use std::path::{Path, PathBuf};

/// Flags of `semzip bench`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files to measure (each read into memory).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Shared model: semzip rows then carry its fingerprint only (the model is not
    /// counted in the rate, as a zstd dictionary is not). Without it, each encode
    /// trains on the file and embeds the model (counted).
    #[arg(short, long)]
    model: Option<PathBuf>,
    /// The model's training corpus, for the zstd 19 + dictionary row (needs -m): the
    /// dictionary is trained on these files' texts, cut as --texts says. Default: the
    /// corpus files named in the model, when they all still exist.
    #[arg(long, num_args = 1..)]
    dict_corpus: Vec<PathBuf>,
    /// How the lossy levels cut texts (and how fidelity is counted): lines,
    /// paragraphs or fortunes (default: as the -m model was trained, else lines).
    #[arg(long)]
    texts: Option<Segmentation>,
    /// Timed runs per row; the median is reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Also cut each file into packets of this many bytes, each coded alone (semzip
    /// exact payload with the model's priors beside a zstd -19 frame per packet,
    /// with the dictionary when there is one). Repeatable.
    #[arg(long, num_args = 1..)]
    packet_bytes: Vec<usize>,
    /// As --packet-bytes, with packets of this many lines.
    #[arg(long, num_args = 1..)]
    packet_texts: Vec<usize>,
    /// Print JSON rows instead of a table.
    #[arg(long)]
    json: bool,
    /// Write a rate-fidelity SVG per file into this folder.
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Sweep the dial (--keep) at the set and sequence levels beside lossy peers
    /// (truncation, stop-word removal, most informative words; each then zstd -19),
    /// instead of the per-level rows.
    #[arg(long)]
    curve: bool,
    /// With --curve: the extractor the codec did not use, for an independent score:
    /// words (all words, function words included) or tokenizer:FILE.json.
    #[arg(long, default_value = "words", value_name = "SPEC")]
    fidelity_extractor: String,
    /// With --curve: the keep fractions to sweep, comma-separated (default: 1 down to 0.05).
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "F,...",
        allow_negative_numbers = true
    )]
    keeps: Vec<f64>,
}

/// Runs `semzip bench`.
pub fn run(args: Args) -> anyhow::Result<()> {
    if args.runs == 0 {
        return Err(Error::invalid("--runs must be at least 1").into());
    }
    if let Some(dir) = &args.plot {
        super::check_plot_dir(dir)?;
    }
    if !args.dict_corpus.is_empty() && args.model.is_none() {
        return Err(Error::invalid(
            "--dict-corpus needs -m MODEL: the dictionary row is the peer of a shared model",
        )
        .into());
    }
    let model = args.model.as_deref().map(Model::load).transpose()?;
    let texts = super::encode::texts_or_model(args.texts, model.as_ref());
    // The dictionary's corpus: --dict-corpus, else the model's own corpus files when
    // they are all still there.
    let dict_files: Vec<PathBuf> = match &model {
        Some(_) if !args.dict_corpus.is_empty() => args.dict_corpus.clone(),
        Some(m) => {
            let files: Vec<PathBuf> = m.training.corpora.iter().map(PathBuf::from).collect();
            if !files.is_empty() && files.iter().all(|f| f.is_file()) {
                files
            } else {
                eprintln!(
                    "semzip: no zstd-19-dict row: the model's corpus files are not all here; give --dict-corpus"
                );
                Vec::new()
            }
        }
        None => Vec::new(),
    };
    let dict = if dict_files.is_empty() {
        None
    } else {
        Some(crate::bench::train_dictionary(&dict_files, texts)?)
    };
    if args.curve {
        return super::bench_curve::run(
            &args.files,
            model.as_ref(),
            dict.as_deref(),
            texts,
            &args.fidelity_extractor,
            &args.keeps,
            args.json,
            args.plot.as_deref(),
        );
    }
    let mut rows = Vec::new();
    for f in &args.files {
        let file_rows =
            crate::bench::bench_file(f, model.as_ref(), dict.as_deref(), texts, args.runs)?;
        if let Some(dir) = &args.plot {
            plot_file(dir, f, &file_rows)?;
        }
        rows.extend(file_rows);
        let data = std::fs::read(f).map_err(|e| Error::io(f, e))?;
        let name = f.display().to_string();
        let cuts = args
            .packet_bytes
            .iter()
            .map(|&b| crate::bench::peers::Chunking::Bytes(b));
        let cuts = cuts.chain(
            args.packet_texts
                .iter()
                .map(|&n| crate::bench::peers::Chunking::Lines(n)),
        );
        for how in cuts {
            rows.extend(crate::bench::peers::packet_rows(
                &data,
                &name,
                model.as_ref(),
                dict.as_deref(),
                how,
            )?);
        }
    }
    if args.json {
        println!("{}", to_json_pretty(&rows)?);
        return Ok(());
    }
    if let Some(m) = &model {
        println!(
            "shared model {:016x}: {} skills, trained on {} ({} bytes, not counted in bpc)",
            m.fingerprint(),
            m.codebook.len(),
            m.training.corpora.join(", "),
            m.to_bytes().len()
        );
    }
    if let Some(d) = &dict {
        println!("zstd dictionary: {} bytes, not counted in bpc", d.len());
    }
    let mut t = Table::new([
        "file",
        "codec",
        "bytes_in",
        "bytes_out",
        "bpc",
        "enc MB/s",
        "dec MB/s",
        "skill_f1",
        "understood",
        "exact",
        "seq_sim",
        "escapes",
    ]);
    for r in &rows {
        t.row([
            short_name(&r.file),
            r.codec.clone(),
            r.bytes_in.to_string(),
            r.bytes_out.to_string(),
            format!("{:.3}", r.bpc),
            number(r.encode_mb_s),
            number(r.decode_mb_s),
            format!("{:.4}", r.skill_f1),
            format!("{:.4}", r.texts_understood),
            if r.exact { "yes" } else { "no" }.to_string(),
            r.sequence_similarity
                .map_or("-".to_string(), |v| format!("{v:.4}")),
            r.escapes.to_string(),
        ]);
    }
    print!("{}", t.render());
    Ok(())
}

pub(crate) fn short_name(f: &str) -> String {
    Path::new(f)
        .file_name()
        .map_or(f.to_string(), |n| n.to_string_lossy().into_owned())
}

/// Writes `rate-fidelity-<file>.svg`: skill F1 against bits per char.
fn plot_file(dir: &Path, file: &Path, rows: &[BenchRow]) -> anyhow::Result<()> {
    let stem = short_name(&file.display().to_string());
    let pts = |pred: &dyn Fn(&BenchRow) -> bool| -> Vec<(f64, f64)> {
        rows.iter()
            .filter(|r| pred(r))
            .map(|r| (r.bpc, r.skill_f1))
            .collect()
    };
    let plot = Plot::new(format!("rate vs fidelity: {stem}"))
        .x_label("bits per char")
        .y_label("skill F1")
        .series(Series::points(
            "semzip escape",
            pts(&|r| r.codec.starts_with("semzip") && !r.codec.ends_with("drop")),
        ))
        .series(Series::points(
            "semzip drop",
            pts(&|r| r.codec.ends_with("drop")),
        ))
        .series(Series::points(
            "zstd (lossless)",
            pts(&|r| r.codec.starts_with("zstd")),
        ));
    plot.save(dir.join(format!("rate-fidelity-{stem}.svg")))?;
    Ok(())
}
