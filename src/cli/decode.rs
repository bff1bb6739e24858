//! `semzip decode` (also `semzip -d`): a `.sz` file (or stdin) back to text.

use super::progress::ProgressReader;
use crate::Error;
use crate::codec::io::{AtomicOutput, display_name, input_len, is_std};
use crate::codec::{decode_at, salvage_at};
use crate::model::Model;
use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Flags of `semzip decode`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  semzip -d notes.txt.sz                # writes notes.txt (as `semzip decode notes.txt.sz`)
  semzip -d -m fortunes.szm a.sz b.sz
  semzip -d -c notes.sz | less
  semzip decode --salvage damaged.sz -o recovered.txt   # exit code 3 if texts were lost")]
pub struct Args {
    #[command(flatten)]
    files: super::args::FilesArgs,
    #[command(flatten)]
    common: super::args::CodecArgs,
    /// The shared model the file was encoded with (not needed for self-contained files).
    #[arg(short, long)]
    model: Option<PathBuf>,
    /// Recover the intact packets of a damaged file and list the texts lost (reads the
    /// whole file into memory). Lossy levels write an empty line per lost text.
    #[arg(long)]
    salvage: bool,
    /// Layered files: decode this level (set, sequence or exact), reading only the
    /// layers it needs [default: the highest layer present].
    #[arg(long)]
    level: Option<crate::codec::Level>,
}

/// Runs `semzip decode` on each input in turn.
pub fn run(args: Args) -> anyhow::Result<()> {
    args.common.apply_threads()?;
    let pairs = args
        .files
        .pairs(|p| super::args::without_suffix(p, ".sz"))?;
    for (input, output) in &pairs {
        run_one(&args, input.as_deref(), output.as_deref())?;
    }
    Ok(())
}

fn run_one(args: &Args, input: Option<&Path>, output: Option<&Path>) -> anyhow::Result<()> {
    let (force, quiet) = (args.common.force, args.common.quiet);
    let in_name = display_name(input, "<stdin>");
    super::encode::refuse_same_file(input, output)?;
    super::stdio::check_stdout(is_std(output))?;
    super::stdio::check_stdin(is_std(input))?;
    let in_path = input;
    let mut input = crate::codec::io::open_input(input)?;
    let model = args.model.as_deref().map(Model::load).transpose()?;
    let mut out = AtomicOutput::create(output, force)?;
    let out_name = out.name().to_string();
    if args.salvage {
        let mut data = Vec::new();
        input
            .read_to_end(&mut data)
            .map_err(|e| Error::io(&in_name, e))?;
        let rep = salvage_at(
            &data,
            &in_name,
            &mut out,
            &out_name,
            model.as_ref(),
            args.level,
        )?;
        out.commit()?;
        for l in &rep.lost {
            let count = l
                .texts
                .map_or("an uncounted number of".to_string(), |n| n.to_string());
            eprintln!(
                "semzip: {in_name}: damage at byte {}: {count} texts lost from text {}",
                l.offset, l.first_text
            );
        }
        let summary = format!(
            "{in_name}: salvaged {} packets, {} texts, {} damaged stretches",
            rep.packets,
            rep.texts,
            rep.lost.len()
        );
        if !rep.lost_layers.is_empty() {
            eprintln!(
                "semzip: {in_name}: layers lost: {}; decoded at the {} level",
                rep.lost_layers.join(", "),
                rep.level
            );
        }
        if !rep.lost.is_empty() || !rep.lost_layers.is_empty() {
            // Data was lost: a distinct exit code, whatever -q says.
            return Err(super::Incomplete(format!("{summary}: the output is incomplete")).into());
        }
        if !quiet {
            eprintln!("semzip: {summary}");
        }
        return Ok(());
    }
    let input = ProgressReader::new(input, input_len(in_path), "decoding");
    let stats = match decode_at(
        input,
        &in_name,
        &mut out,
        &out_name,
        model.as_ref(),
        args.level,
    ) {
        Err(e) if e.is_broken_pipe() => return Ok(()),
        Err(Error::Corrupt(m)) if !m.contains("header") && !m.contains("not a .sz") => {
            // The library names no flags: the way out is the CLI's to say.
            return Err(Error::Corrupt(format!("{m}; try --salvage")).into());
        }
        other => other?,
    };
    out.commit()?;
    if stats.embedded && model.is_some() && !quiet {
        eprintln!(
            "semzip: warning: {in_name} carries its own model: the model given with -m was not used"
        );
    }
    if !quiet && !is_std(output) {
        eprintln!(
            "{in_name} -> {out_name}: {} packets, {}, {} bytes ({})",
            stats.packets,
            if stats.level == "exact" {
                format!("{} lines", stats.texts)
            } else {
                format!("{} texts", stats.texts)
            },
            stats.bytes_out,
            stats.level
        );
    }
    Ok(())
}

/// Rewrites gzip-style command lines before clap parses them: `semzip -d ...` (or
/// `--decompress`) is `semzip decode ...`; `semzip FILE ...` and `semzip -c FILE`
/// are `semzip encode ...`. `commands` are the subcommand names, left alone.
pub fn rewrite_argv(
    args: impl IntoIterator<Item = OsString>,
    commands: &[String],
) -> Vec<OsString> {
    let mut v: Vec<OsString> = args.into_iter().collect();
    let Some(first) = v.get(1).cloned() else {
        return v;
    };
    if first == "-d" || first == "--decompress" {
        v[1] = OsString::from("decode");
        return v;
    }
    let s = first.to_string_lossy();
    let is_command = commands.iter().any(|c| c == s.as_ref());
    let info = ["-h", "--help", "-V", "--version"].contains(&s.as_ref());
    let encode_flag = s.starts_with('-') && s != "-" && !info;
    let file = !s.starts_with('-') && std::path::Path::new(&first).exists();
    if !is_command && (encode_flag || file || s == "-") {
        v.insert(1, OsString::from("encode"));
    }
    v
}
