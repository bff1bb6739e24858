//! `semzip channel`: texts sent as packets over a modeled channel, semzip beside
//! zstd, or (with `--packets N` and no file) packet loss alone beside theory.

use crate::Error;
use crate::channel::experiment::{self, Input, Packing, Point};
use crate::channel::packets::{self, LossPoint};
use crate::channel::{Channel, Options, Protect, ProtectSpec, irsa, lt, parse_sweep};
use crate::codec::Level;
use crate::model::Model;
use crate::report::svg::{Plot, Series};
use crate::report::table::number;
use crate::report::{Table, to_json_pretty};
use crate::text::segment::Segmentation;
use std::path::{Path, PathBuf};

/// Flags of `semzip channel`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  semzip channel -m fortunes.szm notes.txt --channel erasure:0.1 --packet-texts 1 --trials 20
  semzip channel alice29.txt --channel awgn:0 --sweep -2:8:1 --json
  semzip channel --packets 10000 --channel 'irsa:0.5,poly:0.5x^2+0.28x^3+0.22x^8' --sweep 0.5:1.1:0.1
  semzip channel alice29.txt --level layered --protect base=lt:1.5,order=lt:0.5,exact=none --protect lt:match --channel erasure:0 --sweep 0:0.5:0.1

Columns: skill_recall (share of the input's skills recovered), weighted_recall (the same,
each skill weighted by -log2 of its text frequency), understood (texts with every skill
recovered), bytes_ok (share of the texts' bytes recovered exactly), meaning/kbit (skills recalled per
kilobit sent), layers (layered files: share of messages decoded to the set / sequence /
exact bytes).")]
pub struct Args {
    /// Text files to send (their texts are concatenated).
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Shared model (both ends hold it). Without it, a model is trained on the input
    /// and its bytes are counted once in semzip's bits sent.
    #[arg(short, long)]
    model: Option<PathBuf>,
    /// The channel: erasure:P, burst:P,L, bsc:P, awgn:SNR_DB or irsa:LOAD,DEGREES.
    #[arg(long, value_name = "SPEC")]
    channel: String,
    /// Sweep the channel's parameter (P, SNR or load) from FROM to TO.
    #[arg(long, value_name = "FROM:TO:STEP", allow_hyphen_values = true)]
    sweep: Option<String>,
    /// semzip levels to send (repeat; default set, sequence and exact). `layered`
    /// sends each message's layers as their own packets (base: the skills in order;
    /// exact bytes; the order record only when it holds more than the receiver knows);
    /// the receiver decodes the deepest layer it holds with every layer below it.
    #[arg(long)]
    level: Vec<Level>,
    /// Packet-level protection (repeat to compare; default none): none, lt:OVERHEAD
    /// (repair packets per source packet; a layered file: each layer its own code),
    /// per layer of a layered file base=SPEC,order=SPEC,exact=SPEC (a layer not named:
    /// none), joint=SPEC (one code over all layers' packets), or lt:match /
    /// joint=lt:match (one overhead, solved so the bits sent equal the first
    /// --protect's). Levels other than layered run under none and lt:OVERHEAD only.
    #[arg(long, value_name = "SPEC")]
    protect: Vec<String>,
    /// Texts per packet (1: each text is its own message).
    #[arg(long, conflicts_with = "packet_bytes", value_name = "N")]
    packet_texts: Option<usize>,
    /// Instead: a packet closes once its texts reach BYTES bytes.
    #[arg(long, value_name = "BYTES")]
    packet_bytes: Option<usize>,
    /// How texts are cut: lines, paragraphs or fortunes (default: as the model was
    /// trained, else lines).
    #[arg(long, value_name = "HOW")]
    texts: Option<Segmentation>,
    /// Trials per point.
    #[arg(long, default_value_t = 20)]
    trials: usize,
    /// Seed of every random draw.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// zstd dictionary for the zstd-19+dict per packet baseline (default with -m: one
    /// trained on the model's corpus files, when they still exist).
    #[arg(long, value_name = "FILE")]
    zstd_dict: Option<PathBuf>,
    /// No file: simulate N source packets and show their loss beside theory.
    #[arg(long, value_name = "N")]
    packets: Option<usize>,
    /// Print JSON (one object per point and codec) instead of a table.
    #[arg(long)]
    json: bool,
    /// Write SVG plots into this folder.
    #[arg(long, value_name = "DIR")]
    plot: Option<PathBuf>,
}

/// Runs `semzip channel`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let channel: Channel = args.channel.parse()?;
    let protects: Vec<ProtectSpec> = if args.protect.is_empty() {
        vec![ProtectSpec::All(Protect::None)]
    } else {
        args.protect
            .iter()
            .map(|p| p.parse())
            .collect::<crate::Result<_>>()?
    };
    let sweep = args.sweep.as_deref().map(parse_sweep).transpose()?;
    let channels: Vec<Channel> = match &sweep {
        None => vec![channel.clone()],
        Some(v) => v
            .iter()
            .map(|&x| channel.with_param(x))
            .collect::<crate::Result<_>>()?,
    };
    if args.trials == 0 {
        return Err(Error::invalid("--trials must be at least 1").into());
    }
    if let Some(n) = args.packets {
        if !args.files.is_empty() {
            return Err(Error::invalid("--packets N simulates packets alone: give no FILE").into());
        }
        let protect = match protects[..] {
            [ProtectSpec::All(p)] => p,
            _ => {
                return Err(Error::invalid(
                    "--packets N simulates one group of packets: give one --protect, none or lt:OVERHEAD",
                )
                .into());
            }
        };
        return run_packets(&args, &channels, protect, n);
    }
    if args.files.is_empty() {
        return Err(Error::invalid(
            "give FILE... to send, or --packets N to simulate packets alone",
        )
        .into());
    }
    let model = args.model.as_deref().map(Model::load).transpose()?;
    let mut inputs = Vec::new();
    for f in &args.files {
        if f.is_dir() {
            return Err(Error::invalid(format!(
                "{}: is a directory; give text files",
                f.display()
            ))
            .into());
        }
        let bytes = std::fs::read(f).map_err(|e| Error::io(f, e))?;
        inputs.push(Input {
            name: f.display().to_string(),
            bytes,
        });
    }
    let packing = match (args.packet_texts, args.packet_bytes) {
        (_, Some(b)) => Packing::Bytes(b),
        (n, None) => Packing::Texts(n.unwrap_or(1)),
    };
    if matches!(packing, Packing::Texts(0) | Packing::Bytes(0)) {
        return Err(Error::invalid("--packet-texts and --packet-bytes must be at least 1").into());
    }
    let mut warnings = Vec::new();
    let zstd_dict = match (&args.zstd_dict, &model) {
        (Some(p), _) => Some(std::fs::read(p).map_err(|e| Error::io(p, e))?),
        (None, Some(m)) => dictionary_for(m, &mut warnings),
        (None, None) => None,
    };
    let levels = if args.level.is_empty() {
        vec![Level::Set, Level::Sequence, Level::Exact]
    } else {
        args.level.clone()
    };
    if !levels.contains(&Level::Layered)
        && let Some(p) = protects.iter().find(|p| p.single().is_none())
    {
        return Err(Error::invalid(format!(
            "--protect '{p}' protects the layers of a layered file: add --level layered"
        ))
        .into());
    }
    if let p @ ProtectSpec::MatchBits { .. } = protects[0] {
        return Err(Error::invalid(format!(
            "--protect {p} matches the bits sent under the first --protect: give that one first"
        ))
        .into());
    }
    let opts = Options {
        channel,
        sweep,
        levels,
        protect: protects.clone(),
        packing,
        trials: args.trials,
        seed: args.seed,
        segmentation: args.texts,
        zstd_dict,
        zstd: true,
    };
    let setup = experiment::prepare(&inputs, model.as_ref(), &opts)?;
    warnings.extend(setup.warnings.iter().cloned());
    for w in &warnings {
        eprintln!("semzip: warning: {w}");
    }
    let report = experiment::run(&setup, &opts, &super::progress::Bar::new())?;
    if let Some(dir) = &args.plot {
        plot_points(dir, &report.points)?;
    }
    if args.json {
        for n in &report.notes {
            eprintln!("semzip: note: {n}");
        }
        println!("{}", to_json_pretty(&report.points)?);
    } else {
        let specs: Vec<String> = protects.iter().map(ToString::to_string).collect();
        println!(
            "{} texts ({}) in {} messages, {} skills; {} trials per point, protect {}",
            report.texts,
            report.segmentation,
            report.packets,
            report.skills,
            args.trials,
            specs.join(" and ")
        );
        for n in &report.notes {
            println!("{n}");
        }
        print!("{}", table(&report.points));
    }
    Ok(())
}

/// A zstd dictionary trained on the model's corpus, or a warning saying why not.
fn dictionary_for(m: &Model, warnings: &mut Vec<String>) -> Option<Vec<u8>> {
    let files: Vec<PathBuf> = m.training.corpora.iter().map(PathBuf::from).collect();
    if files.is_empty() || !files.iter().all(|f| f.is_file()) {
        warnings.push(
            "no zstd-19+dict baseline: the model's corpus files are not all there (pass --zstd-dict FILE)"
                .into(),
        );
        return None;
    }
    let seg = m
        .training
        .segmentation
        .parse()
        .unwrap_or(Segmentation::Lines);
    match crate::bench::train_dictionary(&files, seg) {
        Ok(d) => Some(d),
        Err(e) => {
            warnings.push(format!("no zstd-19+dict baseline: {e}"));
            None
        }
    }
}

fn table(points: &[Point]) -> String {
    let mut t = Table::new([
        "channel",
        "codec",
        "level",
        "protect",
        "kbit sent",
        "lost",
        "predicted",
        "recall",
        "±se",
        "weighted",
        "understood",
        "bytes_ok",
        "meaning/kbit",
        "layers",
    ]);
    for p in points {
        t.row([
            p.spec.clone(),
            p.codec.clone(),
            p.level.clone(),
            p.protect.clone(),
            format!("{:.1}", p.bits_sent / 1000.0),
            format!("{:.1}", p.packets_lost),
            p.predicted_packets_lost
                .map_or("-".into(), |v| format!("{v:.1}")),
            format!("{:.4}", p.skill_recall),
            format!("{:.4}", p.skill_recall_se),
            format!("{:.4}", p.weighted_recall),
            format!("{:.4}", p.texts_understood),
            format!("{:.4}", p.bytes_ok),
            number(p.meaning_per_kbit),
            p.layers_decoded
                .map_or("-".into(), |[s, q, x]| format!("{s:.3}/{q:.3}/{x:.3}")),
        ]);
    }
    t.render()
}

fn plot_points(dir: &Path, points: &[Point]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let Some(first) = points.first() else {
        return Ok(());
    };
    let ch: Channel = first.spec.parse()?;
    let mut labels: Vec<(String, String, String)> = Vec::new();
    for p in points {
        let key = (p.codec.clone(), p.level.clone(), p.protect.clone());
        if !labels.contains(&key) {
            labels.push(key);
        }
    }
    let protects = labels
        .iter()
        .map(|l| &l.2)
        .collect::<std::collections::HashSet<_>>()
        .len();
    let series = |f: &dyn Fn(&Point) -> (f64, f64)| -> Vec<Series> {
        labels
            .iter()
            .map(|(c, l, pr)| {
                let pts: Vec<(f64, f64)> = points
                    .iter()
                    .filter(|p| &p.codec == c && &p.level == l && &p.protect == pr)
                    .map(f)
                    .collect();
                let mut name = if c == "semzip" {
                    format!("semzip {l}")
                } else {
                    c.clone()
                };
                if protects > 1 {
                    name = format!("{name}, {pr}");
                }
                Series::line(name, pts)
            })
            .collect()
    };
    let plots = [
        (
            "recall.svg",
            "skill recall",
            ch.param_name(),
            false,
            series(&|p| (p.param, p.skill_recall)),
        ),
        (
            "understood.svg",
            "texts understood",
            ch.param_name(),
            false,
            series(&|p| (p.param, p.texts_understood)),
        ),
        (
            "weighted.svg",
            "weighted recall",
            ch.param_name(),
            false,
            series(&|p| (p.param, p.weighted_recall)),
        ),
        (
            "bytes.svg",
            "share of bytes recovered exactly",
            ch.param_name(),
            false,
            series(&|p| (p.param, p.bytes_ok)),
        ),
        (
            "meaning.svg",
            "recalled skills per kbit sent",
            ch.param_name(),
            false,
            series(&|p| (p.param, p.meaning_per_kbit)),
        ),
        (
            "recall-vs-bits.svg",
            "skill recall",
            "kbit sent",
            true,
            series(&|p| (p.bits_sent / 1000.0, p.skill_recall)),
        ),
    ];
    for (file, y, x, logx, ss) in plots {
        let mut plot = Plot::new(format!("{y} over {}", first.channel))
            .x_label(x)
            .y_label(y)
            .log_x(logx);
        for s in ss {
            plot = plot.series(s);
        }
        plot.save(dir.join(file))?;
    }
    Ok(())
}

fn run_packets(
    args: &Args,
    channels: &[Channel],
    protect: Protect,
    n: usize,
) -> anyhow::Result<()> {
    if n == 0 {
        return Err(Error::invalid("--packets must be at least 1").into());
    }
    let pts = packets::sweep(
        channels,
        protect,
        n,
        args.trials,
        args.seed,
        &super::progress::Bar::new(),
    )?;
    if let Some(dir) = &args.plot {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let sim: Vec<(f64, f64)> = pts.iter().map(|p| (p.param, p.loss)).collect();
        let se: Vec<f64> = pts.iter().map(|p| p.loss_se).collect();
        let mut plot = Plot::new(format!("packet loss, {} packets", n))
            .x_label(channels[0].param_name())
            .y_label("packet loss rate")
            .series(Series::points("simulation", sim).with_y_errors(se));
        let de: Vec<(f64, f64)> = pts
            .iter()
            .filter_map(|p| p.predicted_loss.map(|v| (p.param, v)))
            .collect();
        if !de.is_empty() {
            plot = plot.series(Series::line("density evolution", de));
        }
        plot.save(dir.join("loss.svg"))?;
    }
    if args.json {
        println!("{}", to_json_pretty(&pts)?);
        return Ok(());
    }
    match (&channels[0], protect) {
        (Channel::Irsa { degrees, .. }, Protect::None) => match irsa::threshold_load(degrees) {
            Some(g) => {
                println!("threshold load G* = {g:.4} (semzip threshold --skill-degrees {degrees})")
            }
            None => println!("no load threshold for {degrees}"),
        },
        (Channel::Erasure { p }, Protect::Lt { .. }) => {
            if let Some(o) = lt::threshold_overhead(n, *p, 1e-3) {
                println!(
                    "DE: overhead {o:.3} loses at most 0.1% of {n} source packets at erasure:{p}"
                );
            }
        }
        _ => {}
    }
    print!("{}", loss_table(&pts));
    Ok(())
}

fn loss_table(pts: &[LossPoint]) -> String {
    let mut t = Table::new(["channel", "protect", "packets", "loss", "±se", "predicted"]);
    for p in pts {
        t.row([
            p.spec.clone(),
            p.protect.clone(),
            p.packets.to_string(),
            format!("{:.4}", p.loss),
            format!("{:.4}", p.loss_se),
            p.predicted_loss.map_or("-".into(), |v| format!("{v:.4}")),
        ]);
    }
    t.render()
}

/// The demo's channel experiment: part of the synthetic corpus sent one text per
/// packet over erasures, semzip beside zstd, and an IRSA frame beside DE.
pub(crate) fn demo_part(model: &Model, input: &[u8], seed: u64) -> anyhow::Result<()> {
    let lines: Vec<&[u8]> = input.split_inclusive(|&b| b == b'\n').take(3000).collect();
    let inputs = [Input {
        name: "demo texts".into(),
        bytes: lines.concat(),
    }];
    let opts = Options {
        channel: Channel::Erasure { p: 0.0 },
        sweep: Some(vec![0.0, 0.2, 0.4]),
        levels: vec![Level::Set, Level::Exact],
        trials: 10,
        seed,
        ..Options::default()
    };
    let setup = experiment::prepare(&inputs, Some(model), &opts)?;
    let report = experiment::run(&setup, &opts, &semzip::progress::Silent)?;
    println!(
        "\n4. Semantic communication: {} texts, one per packet, over erasure:P ({} trials), measured against the originals:",
        report.texts, opts.trials
    );
    let mut t = Table::new(["P", "codec", "kbit sent", "skill recall", "skills per kbit"]);
    for p in &report.points {
        t.row([
            format!("{}", p.param),
            if p.codec == "semzip" {
                format!("semzip {}", p.level)
            } else {
                p.codec.clone()
            },
            format!("{:.1}", p.bits_sent / 1000.0),
            format!("{:.3}", p.skill_recall),
            format!("{:.1}", p.meaning_per_kbit),
        ]);
    }
    for line in t.render().lines() {
        println!("   {line}");
    }
    let d: crate::ensemble::DegreeSpec = "poly:0.5x^2+0.28x^3+0.22x^8".parse()?;
    let g = irsa::threshold_load(&d).unwrap_or(f64::NAN);
    let sim = irsa::simulate_loss(100_000, 0.9, &d, seed)?;
    println!(
        "   IRSA, {d}, 10^5 packets at load 0.9 (threshold G* = {g:.3}): {:.4} lost by SIC on the peeling engine, DE predicts {:.4}.",
        sim,
        irsa::predicted_loss(0.9, &d)
    );
    Ok(())
}
