//! `semzip encode`: a file (or stdin) to a `.sz` file (or stdout).

use super::progress::ProgressReader;
use crate::Error;
use crate::codec::io::{AtomicOutput, display_name, input_len, is_std, open_input};
use crate::codec::packet::DEFAULT_PACKET_BYTES;
use crate::codec::{EncodeOptions, EncodeStats, Level, Unlearned};
use crate::model::Model;
use crate::pipeline::{DEFAULT_TRAIN_BYTES, EmbedOptions, encode};
use crate::text::segment::Segmentation;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Flags of `semzip encode`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  semzip notes.txt                      # writes notes.txt.sz (as `semzip encode notes.txt`)
  semzip encode -m fortunes.szm a.txt b.txt
  semzip encode --level set --texts paragraphs book.txt -o book.set.sz
  cat notes.txt | semzip encode > notes.sz")]
pub struct Args {
    #[command(flatten)]
    files: super::args::FilesArgs,
    #[command(flatten)]
    common: super::args::CodecArgs,
    /// Shared model: the output then carries only its fingerprint. Without it the
    /// output is self-contained: the exact level starts from built-in priors, the lossy
    /// levels train a model on the input and embed it.
    #[arg(short, long)]
    model: Option<PathBuf>,
    /// Fidelity: exact (every byte), sequence (skills in order), set (skill sets), or
    /// layered (all three in one file: decode picks with --level).
    #[arg(long, default_value = "exact")]
    level: Level,
    /// Skills outside the codebook at the lossy levels: escape (send literally) or drop
    /// [default: escape].
    #[arg(long, value_name = "POLICY")]
    unlearned: Option<Unlearned>,
    /// Lossy levels: keep this fraction F in (0, 1] of each text's skills, the most
    /// informative ones (see README, "The dial").
    #[arg(
        long,
        value_name = "F",
        conflicts_with = "bpc",
        allow_negative_numbers = true
    )]
    keep: Option<f64>,
    /// Lossy levels: the largest keep fraction whose output costs at most X bits per
    /// input character (the input is read into memory to search for it).
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    bpc: Option<f64>,
    /// How the lossy levels cut the input into texts: lines, paragraphs or fortunes
    /// (default: as the -m model was trained, else lines).
    #[arg(long, value_name = "HOW")]
    texts: Option<Segmentation>,
    /// Exact level: the payload coder: auto (context mixing for packets up to 64 KiB,
    /// PPM above), cm (context mixing: the smallest, several times slower), ppm (PPM
    /// with a long-match model) or bwt (block sorting: fastest, larger) [default: auto].
    #[arg(long, value_name = "CODER")]
    coder: Option<crate::codec::coder::ExactCoder>,
    /// Bytes of input per packet, 1 to 64 MiB (independent unit: larger finds repeats
    /// farther back, smaller loses less on damage and codes a mid-size file on more
    /// threads).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_PACKET_BYTES)]
    packet_bytes: usize,
    /// Lossy levels: at most N texts per packet (1: every text its own message, as a
    /// channel carries them).
    #[arg(long, value_name = "N")]
    packet_texts: Option<usize>,
    /// Lossy levels without -m: train the embedded model on at most this many leading
    /// input bytes [default: 32 MiB]. (The exact level uses built-in priors and trains
    /// nothing.)
    #[arg(long, value_name = "BYTES", conflicts_with = "model")]
    train_bytes: Option<usize>,
    /// Lossy levels without -m: the learner that trains the embedded model
    /// (`capacity:C` or `probs:p1,p2,...`; default: the capacity `semzip train` uses).
    #[arg(long, value_name = "SPEC", value_parser = |s: &str| super::args::corpus_learner(s), conflicts_with = "model")]
    learner: Option<crate::peel::Learner>,
    /// Print the summary as JSON (on stderr, since stdout may hold the output).
    #[arg(long)]
    json: bool,
}

/// Runs `semzip encode` on each input in turn.
pub fn run(args: Args) -> anyhow::Result<()> {
    args.common.apply_threads()?;
    refuse_inapplicable(&args)?;
    let pairs = args
        .files
        .pairs(|p| Ok(super::args::with_suffix(p, ".sz")))?;
    for (input, output) in &pairs {
        run_one(&args, input.as_deref(), output.as_deref())?;
    }
    Ok(())
}

fn run_one(args: &Args, input: Option<&Path>, output: Option<&Path>) -> anyhow::Result<()> {
    let (force, quiet) = (args.common.force, args.common.quiet);
    let in_name = display_name(input, "<stdin>");
    refuse_same_file(input, output)?;
    if is_std(output) && std::io::stdout().is_terminal() {
        return Err(Error::invalid(
            "refusing to write .sz data to a terminal: give -o FILE or redirect stdout",
        )
        .into());
    }
    let dial = match args.keep {
        Some(f) => Some(
            crate::fidelity::Dial::unranked(f)
                .map_err(|e| Error::invalid(format!("--keep: {e}")))?,
        ),
        None => None,
    };
    if let Some(x) = args.bpc {
        crate::fidelity::check_bpc(x).map_err(|e| Error::invalid(format!("--bpc: {e}")))?;
    }
    if (dial.is_some() || args.bpc.is_some()) && !args.level.is_lossy() {
        return Err(Error::invalid(
            "--keep and --bpc need a lossy level: add --level set or --level sequence",
        )
        .into());
    }
    super::stdio::check_stdout(is_std(output))?;
    super::stdio::check_stdin(is_std(input))?;
    let in_path = input;
    if !quiet {
        notes(args, in_path);
    }
    let input = open_input(input)?;
    let model = args.model.as_deref().map(Model::load).transpose()?;
    let opts = EncodeOptions {
        level: args.level,
        unlearned: args.unlearned.unwrap_or(Unlearned::Escape),
        texts: fitting_texts(args, in_path, model.as_ref()),
        packet_bytes: args.packet_bytes,
        packet_texts: args.packet_texts,
        dial,
        exact_coder: args.coder.unwrap_or_default(),
    };
    let embed = EmbedOptions {
        train_bytes: args.train_bytes.unwrap_or(DEFAULT_TRAIN_BYTES),
        learner: args
            .learner
            .clone()
            .unwrap_or_else(|| EmbedOptions::default().learner),
    };
    if let Some(target) = args.bpc {
        return encode_to_rate(
            args,
            input,
            &in_name,
            output,
            model.as_ref(),
            &opts,
            &embed,
            target,
        );
    }
    let mut out = AtomicOutput::create(output, force)?;
    let out_name = out.name().to_string();
    let input = ProgressReader::new(input, input_len(in_path), "encoding");
    let stats = match encode(
        input,
        &in_name,
        &mut out,
        &out_name,
        model.as_ref(),
        &opts,
        &embed,
    ) {
        Err(e) if e.is_broken_pipe() => return Ok(()),
        other => other?,
    };
    out.commit()?;
    if args.json {
        eprintln!("{}", serde_json::to_string(&stats)?);
    } else if !quiet {
        eprintln!("{}", summary(&in_name, &out_name, &stats, opts.texts));
    }
    Ok(())
}

/// Refuses flags that the chosen level would silently ignore.
fn refuse_inapplicable(args: &Args) -> crate::Result<()> {
    if args.level != Level::Exact && args.coder.is_some() {
        return Err(Error::invalid(format!(
            "--coder applies to --level exact, not to --level {}",
            args.level
        )));
    }
    if args.level == Level::Exact {
        for (given, flag) in [
            (args.unlearned.is_some(), "--unlearned"),
            (args.texts.is_some(), "--texts"),
            (args.train_bytes.is_some(), "--train-bytes"),
            (args.learner.is_some(), "--learner"),
        ] {
            if given {
                return Err(Error::invalid(format!(
                    "{flag} applies to the lossy levels (--level sequence or set), not to --level exact"
                )));
            }
        }
    }
    Ok(())
}

/// `--bpc`: reads the input, searches the keep fraction, writes the best file.
#[allow(clippy::too_many_arguments)]
fn encode_to_rate(
    args: &Args,
    mut input: Box<dyn std::io::BufRead>,
    in_name: &str,
    output: Option<&Path>,
    model: Option<&Model>,
    opts: &EncodeOptions,
    embed: &EmbedOptions,
    target: f64,
) -> anyhow::Result<()> {
    let mut data = Vec::new();
    input
        .read_to_end(&mut data)
        .map_err(|e| Error::io(in_name, e))?;
    let found = crate::fidelity::dial::encode_at_rate(&data, in_name, model, opts, embed, target)?;
    let (bytes, stats) = found.output;
    let mut out = AtomicOutput::create(output, args.common.force)?;
    let out_name = out.name().to_string();
    std::io::Write::write_all(&mut out, &bytes).map_err(|e| Error::io(&out_name, e))?;
    out.commit()?;
    if args.json {
        eprintln!("{}", serde_json::to_string(&stats)?);
    } else if !args.common.quiet {
        eprintln!(
            "{}, keep {:.4}",
            summary(in_name, &out_name, &stats, opts.texts),
            found.keep
        );
    }
    Ok(())
}

/// Notes on odd inputs: binary data (kept exactly, but no skills to learn) and
/// packets so small that framing outweighs them.
fn notes(args: &Args, input: Option<&Path>) {
    if let Some(p) = input
        && let Err(e) = crate::train::corpus::check_text(p)
        && !matches!(e, Error::Io { .. })
    {
        let e = e.to_string();
        let what = e.split("; give").next().unwrap_or(&e);
        eprintln!("semzip: note: {what}; the exact level keeps every byte, but learns little");
    }
    if args.packet_bytes < MIN_SENSIBLE_PACKET_BYTES {
        eprintln!(
            "semzip: warning: --packet-bytes {}: packets this small cost more in framing than they hold",
            args.packet_bytes
        );
    }
}

/// Below this, per-packet framing dominates the output.
const MIN_SENSIBLE_PACKET_BYTES: usize = 256;

/// What the text count of a summary counts. The levels count different things, and
/// say which: the exact level codes bytes and counts its lines (`\n`, blank lines
/// too); the lossy levels count the texts they coded (blank ones are skipped), cut
/// as `texts` says. So `--texts lines` gives the same count at `sequence` and `set`,
/// and the exact level's count is larger by the blank lines.
pub(crate) fn text_count(level: &str, n: u64, texts: Segmentation) -> String {
    if level == "exact" {
        format!("{n} lines")
    } else if texts == Segmentation::Lines {
        format!("{n} texts (non-blank lines)")
    } else {
        format!("{n} texts ({texts})")
    }
}

/// The one-line summary printed on stderr.
fn summary(input: &str, output: &str, s: &EncodeStats, texts: Segmentation) -> String {
    let what = if s.level == "exact" {
        "words"
    } else {
        "skills"
    };
    // An empty input has no rate per character.
    let bpc = if s.bytes_in == 0 {
        "empty input".to_string()
    } else {
        format!("{:.3} bpc", s.bpc)
    };
    let mut line = format!(
        "{input} -> {output}: {} -> {} bytes ({bpc}), level {}, {} packets, {}, {} {what}, {} escaped",
        s.bytes_in,
        s.bytes_out,
        s.level,
        s.packets,
        text_count(&s.level, s.texts, texts),
        s.skills,
        s.escapes
    );
    if s.dropped > 0 {
        line.push_str(&format!(", {} dropped", s.dropped));
    }
    if s.embedded && s.codebook_skills == 0 && s.level == "exact" {
        line.push_str(&format!(
            ", built-in priors, {} header bytes",
            s.header_bytes
        ));
    } else if s.embedded {
        line.push_str(&format!(
            ", embedded model {} skills in {} header bytes",
            s.codebook_skills, s.header_bytes
        ));
    } else {
        line.push_str(&format!(", shared model {}", s.fingerprint));
    }
    line
}

/// Refuses to write over the input: the input is never modified.
pub(crate) fn refuse_same_file(input: Option<&Path>, output: Option<&Path>) -> crate::Result<()> {
    if let (Some(i), Some(o)) = (input, output)
        && !is_std(Some(i))
        && !is_std(Some(o))
        && let (Ok(a), Ok(b)) = (i.canonicalize(), o.canonicalize())
        && a == b
    {
        return Err(Error::invalid(format!(
            "output {} is the input file: give another -o",
            o.display()
        )));
    }
    Ok(())
}

/// The segmentation for this input: as [`texts_or_model`], except that a shared
/// model's segmentation that would make a file one huge text falls back to lines,
/// with a warning saying so.
fn fitting_texts(args: &Args, input: Option<&Path>, model: Option<&Model>) -> Segmentation {
    let seg = texts_or_model(args.texts, model);
    if args.texts.is_some() || seg == Segmentation::Lines || args.level == Level::Exact {
        return seg;
    }
    let Some(path) = input.filter(|p| !is_std(Some(p))) else {
        return seg;
    };
    match crate::text::segment::longest_text(path, seg) {
        Some(n) if n > crate::text::segment::MAX_FITTING_TEXT_BYTES => {
            if !args.common.quiet {
                eprintln!(
                    "semzip: warning: the model cuts texts as {seg}, but {} then has a {n}-byte text: cutting into lines instead (--texts chooses)",
                    path.display()
                );
            }
            Segmentation::Lines
        }
        _ => seg,
    }
}

/// The segmentation to use: the flag, else the model's training one, else lines.
pub(crate) fn texts_or_model(flag: Option<Segmentation>, model: Option<&Model>) -> Segmentation {
    flag.or_else(|| model.and_then(|m| m.training.segmentation.parse().ok()))
        .unwrap_or(Segmentation::Lines)
}
