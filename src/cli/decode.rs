//! `semzip decode` (also `semzip -d`): a `.sz` file (or stdin) back to text.

use crate::Error;
use crate::codec::io::{AtomicOutput, ProgressReader, display_name, input_len, is_std};
use crate::codec::{decode, salvage};
use crate::model::Model;
use std::ffi::OsString;
use std::io::Read;
use std::path::PathBuf;

/// Flags of `semzip decode`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input `.sz` file (default, or `-`: stdin). It is only read.
    input: Option<PathBuf>,
    /// Output file (default, or `-`: stdout).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// The shared model the file was encoded with (not needed for self-contained files).
    #[arg(short, long)]
    model: Option<PathBuf>,
    /// Overwrite the output file if it exists.
    #[arg(short, long)]
    force: bool,
    /// Recover the intact packets of a damaged file and list the texts lost (reads the
    /// whole file into memory). Lossy levels write an empty line per lost text.
    #[arg(long)]
    salvage: bool,
    /// Print nothing on success.
    #[arg(short, long)]
    quiet: bool,
}

/// Runs `semzip decode`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let in_name = display_name(args.input.as_deref(), "<stdin>");
    super::encode::refuse_same_file(args.input.as_deref(), args.output.as_deref())?;
    let mut input = crate::codec::io::open_input(args.input.as_deref())?;
    let model = args.model.as_deref().map(Model::load).transpose()?;
    let mut out = AtomicOutput::create(args.output.as_deref(), args.force)?;
    let out_name = out.name();
    if args.salvage {
        let mut data = Vec::new();
        input
            .read_to_end(&mut data)
            .map_err(|e| Error::io(&in_name, e))?;
        let rep = salvage(&data, &in_name, &mut out, &out_name, model.as_ref())?;
        out.commit()?;
        for l in &rep.lost {
            let count = l
                .texts
                .map_or("an unknown number of".to_string(), |n| n.to_string());
            eprintln!(
                "semzip: {in_name}: damage at byte {}: {count} texts lost from text {}",
                l.offset, l.first_text
            );
        }
        if !args.quiet {
            eprintln!(
                "semzip: {in_name}: salvaged {} packets, {} texts, {} damaged stretches",
                rep.packets,
                rep.texts,
                rep.lost.len()
            );
        }
        return Ok(());
    }
    let input = ProgressReader::new(input, input_len(args.input.as_deref()), "decoding");
    let stats = match decode(input, &in_name, &mut out, &out_name, model.as_ref()) {
        Err(e) if is_broken_pipe(&e) => return Ok(()),
        Err(Error::Corrupt(m)) if !m.contains("header") && !m.contains("not a .sz") => {
            // The library names no flags: the way out is the CLI's to say.
            return Err(Error::Corrupt(format!("{m}; try --salvage")).into());
        }
        other => other?,
    };
    out.commit()?;
    if !args.quiet && !is_std(args.output.as_deref()) {
        eprintln!(
            "{in_name} -> {out_name}: {} packets, {} texts, {} bytes ({})",
            stats.packets, stats.texts, stats.bytes_out, stats.level
        );
    }
    Ok(())
}

/// Rewrites `semzip -d ...` (or `--decompress`) into `semzip decode ...`, gzip-style:
/// call it on the arguments before clap parses them.
pub fn rewrite_argv(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut v: Vec<OsString> = args.into_iter().collect();
    if let Some(first) = v.get_mut(1)
        && (first == "-d" || first == "--decompress")
    {
        *first = OsString::from("decode");
    }
    v
}

/// True when the error is a closed stdout pipe (e.g. `semzip -d x.sz | head`): the
/// reader chose to stop, which is not a failure.
pub(crate) fn is_broken_pipe(e: &Error) -> bool {
    matches!(e, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
}
