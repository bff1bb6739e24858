//! `semzip bench`: rate against fidelity per file, semzip at each level beside zstd,
//! every semzip row decoded and checked in the same run.

use crate::Error;
use crate::bench::BenchRow;
use crate::bench::peers::Chunking;
use crate::model::Model;
use crate::report::svg::{Plot, Series};
use crate::report::table::number;
use crate::report::to_json_pretty;
use crate::text::segment::Segmentation;
use std::path::{Path, PathBuf};

/// Flags of `semzip bench`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files to measure (each read into memory).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Shared model: semzip rows then carry its fingerprint only (the model is not
    /// counted in the rate, as a zstd dictionary is not). Without it, each encode
    /// trains on the file and embeds the model (counted).
    #[arg(short, long)]
    model: Option<PathBuf>,
    /// The model's training corpus, for the zstd 19 + dictionary row (needs -m): the
    /// dictionary is trained on these files' texts, cut as --texts says. Default: the
    /// corpus files named in the model, when they all still exist.
    #[arg(long, num_args = 1.., value_name = "FILE")]
    dict_corpus: Vec<PathBuf>,
    /// How the lossy levels cut texts (and how fidelity is counted): lines,
    /// paragraphs or fortunes (default: as the -m model was trained, else lines).
    #[arg(long, value_name = "HOW")]
    texts: Option<Segmentation>,
    /// Timed runs per row; the median is reported.
    #[arg(long, value_name = "N", default_value_t = 3)]
    runs: usize,
    /// Also cut each file into packets of this many bytes, each coded alone (semzip
    /// exact payload with the model's priors beside a zstd -19 frame per packet,
    /// with the dictionary when there is one). Repeatable.
    #[arg(long, num_args = 1.., value_name = "BYTES")]
    packet_bytes: Vec<usize>,
    /// As --packet-bytes, with packets of this many lines.
    #[arg(long, num_args = 1.., value_name = "N")]
    packet_texts: Vec<usize>,
    /// Print JSON rows instead of a table.
    #[arg(long)]
    json: bool,
    /// Write a rate-fidelity SVG per file into this folder.
    #[arg(long, value_name = "DIR")]
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
    if let Some(m) = &model
        && !args.json
    {
        println!(
            "shared model {:016x}: {} skills, trained on {} ({} bytes, not counted in bpc)",
            m.fingerprint(),
            m.codebook.len(),
            m.training.corpora.join(", "),
            m.to_bytes().len()
        );
    }
    if let Some(d) = &dict
        && !args.json
    {
        println!("zstd dictionary: {} bytes, not counted in bpc", d.len());
    }
    let cuts: Vec<Chunking> = args
        .packet_bytes
        .iter()
        .map(|&b| Chunking::Bytes(b))
        .chain(args.packet_texts.iter().map(|&n| Chunking::Lines(n)))
        .collect();
    let per_cut = 2 + u64::from(dict.is_some());
    let total = args.files.len() as u64
        * (crate::bench::rows_per_file(dict.is_some()) + cuts.len() as u64 * per_cut);
    let bar = super::progress::Bar::new();
    semzip::progress::Progress::start(&bar, total, "bench");
    // Rows are printed as they are measured; the table's widths are fixed up front.
    let table = StreamedTable::new(&args.files, &cuts);
    if !args.json {
        bar.suspend(|| print!("{}", table.header()));
    }
    let mut on_row = |r: &BenchRow| {
        if !args.json {
            bar.suspend(|| print!("{}", table.line(r)));
        }
    };
    let mut rows = Vec::new();
    let result = (|| -> anyhow::Result<()> {
        for f in &args.files {
            let file_rows = crate::bench::bench_file_with(
                f,
                model.as_ref(),
                dict.as_deref(),
                texts,
                args.runs,
                &bar,
                &mut on_row,
            )?;
            if let Some(dir) = &args.plot {
                plot_file(dir, f, &file_rows)?;
            }
            rows.extend(file_rows);
            if cuts.is_empty() {
                continue;
            }
            let data = std::fs::read(f).map_err(|e| Error::io(f, e))?;
            let name = f.display().to_string();
            for &how in &cuts {
                let cut_rows = crate::bench::peers::packet_rows(
                    &data,
                    &name,
                    model.as_ref(),
                    dict.as_deref(),
                    how,
                )?;
                for r in &cut_rows {
                    on_row(r);
                    semzip::progress::Progress::advance(&bar, 1);
                }
                rows.extend(cut_rows);
            }
        }
        Ok(())
    })();
    semzip::progress::Progress::finish(&bar);
    result?;
    if args.json {
        println!("{}", to_json_pretty(&rows)?);
    } else {
        print!("{LEGEND}");
    }
    Ok(())
}

/// What the columns of the table mean: printed under it, and in `--help`.
macro_rules! legend {
    () => {
        "Columns: bpc = bits of output per input byte; enc/dec MB/s = input megabytes per
second (median of --runs); skill_f1 = F1 of each decoded text's skill set against the
original's (micro-averaged); understood = share of texts whose decoded skill set
equals the original's; exact = every byte comes back; seq_sim = mean over texts of
1 - edit distance / longer length of the skill sequences (-: the set level keeps no
order); escapes = skills (lossy levels) or words (exact) outside the codebook, sent
literally. A peer that could not run has a row saying why, with - for its figures.
"
    };
}
pub(crate) use legend;

/// The legend printed under the table.
const LEGEND: &str = concat!("\n", legend!());

/// The bench table printed row by row: the columns' widths are chosen before the
/// first row is measured (a longer cell widens only its own row).
struct StreamedTable {
    widths: Vec<usize>,
}

/// The bench table's columns, and whether each is right-aligned (numbers).
const COLUMNS: [(&str, bool); 12] = [
    ("file", false),
    ("codec", false),
    ("bytes_in", true),
    ("bytes_out", true),
    ("bpc", true),
    ("enc MB/s", true),
    ("dec MB/s", true),
    ("skill_f1", true),
    ("understood", true),
    ("exact", false),
    ("seq_sim", true),
    ("escapes", true),
];

impl StreamedTable {
    fn new(files: &[PathBuf], cuts: &[Chunking]) -> Self {
        let file = files
            .iter()
            .map(|f| short_name(&f.display().to_string()).chars().count())
            .max()
            .unwrap_or(0);
        let codec = cuts
            .iter()
            .map(|c| format!("zstd-19-dict-{}", c.label()).len())
            .chain(["semzip-sequence-escape".len(), "ppmd-7z-mx9".len()])
            .max()
            .unwrap_or(0);
        let widths = COLUMNS
            .iter()
            .enumerate()
            .map(|(i, (h, _))| match i {
                0 => file.max(h.len()),
                1 => codec.max(h.len()),
                2 | 3 => h.len().max(10),
                _ => h.len().max(7),
            })
            .collect();
        StreamedTable { widths }
    }

    fn render(&self, cells: &[String]) -> String {
        let parts: Vec<String> = cells
            .iter()
            .zip(COLUMNS.iter().zip(&self.widths))
            .map(|(v, ((_, right), &w))| {
                if *right {
                    format!("{v:>w$}")
                } else {
                    format!("{v:<w$}")
                }
            })
            .collect();
        let mut s = parts.join("  ").trim_end().to_string();
        s.push('\n');
        s
    }

    fn header(&self) -> String {
        let names: Vec<String> = COLUMNS.iter().map(|(h, _)| h.to_string()).collect();
        let rule: Vec<String> = self.widths.iter().map(|&w| "-".repeat(w)).collect();
        self.render(&names) + &rule.join("  ") + "\n"
    }

    fn line(&self, r: &BenchRow) -> String {
        let file = short_name(&r.file);
        if r.is_missing() {
            let mut cells = vec![file, r.codec.clone(), r.bytes_in.to_string()];
            cells.resize(COLUMNS.len(), "-".to_string());
            return self.render(&cells);
        }
        self.render(&[
            file,
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
        ])
    }
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
