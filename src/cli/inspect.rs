//! `semzip inspect FILE`: sniff the file's magic and describe it.
//!
//! Each file kind has one branch: read the magic, dispatch to that kind's
//! describer. Models are handled here; `.sz` files get their own branch.

use crate::model::file as model_file;
use crate::model::info::ModelInfo;
use crate::report::{Table, to_json_pretty};
use crate::{Error, Result};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Flags of `semzip inspect`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A model file or a `.sz` file.
    file: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// How many of the most frequent learned skills to list.
    #[arg(long, value_name = "N", default_value_t = 10)]
    top: usize,
}

/// Runs `semzip inspect`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let magic = read_magic(&args.file)?;
    if model_file::sniff(&magic) {
        return inspect_model(&args);
    }
    if crate::codec::sniff_sz(&magic) {
        let info = crate::codec::inspect_sz(&args.file)?;
        if args.json {
            println!("{}", to_json_pretty(&info)?);
        } else {
            println!("{info}");
        }
        return Ok(());
    }
    Err(Error::corrupt(format!(
        "{}: not a semzip model or .sz file (unrecognized magic)",
        args.file.display()
    ))
    .into())
}

/// The first 8 bytes of a file (fewer if it is shorter).
fn read_magic(path: &Path) -> Result<Vec<u8>> {
    if path.is_dir() {
        return Err(Error::invalid(format!(
            "{}: is a directory; give a model or .sz file",
            path.display()
        )));
    }
    let mut head = Vec::with_capacity(8);
    std::fs::File::open(path)
        .and_then(|f| f.take(8).read_to_end(&mut head))
        .map_err(|e| Error::io(path, e))?;
    Ok(head)
}

/// The corpus list, shortened when long.
fn corpora_line(c: &[String]) -> String {
    match c {
        [] => "-".into(),
        [one] => one.clone(),
        [first, .., last] if c.len() > 3 => format!("{} files: {first} ... {last}", c.len()),
        _ => c.join(", "),
    }
}

fn inspect_model(args: &Args) -> anyhow::Result<()> {
    let info = ModelInfo::from_path(&args.file, args.top)?;
    if args.json {
        println!("{}", to_json_pretty(&info)?);
        return Ok(());
    }
    let t = &info.training;
    let mut table = Table::new(["field", "value"]);
    let mut add = |k: &str, v: String| {
        table.row([k.to_string(), v]);
    };
    add("file", info.file.clone());
    add("kind", "semzip model".into());
    add("bytes", info.file_bytes.to_string());
    add("format version", info.format_version.to_string());
    add("fingerprint", info.fingerprint.clone());
    add("extractor", info.extractor.clone());
    add("learner", info.learner.clone());
    add("codebook skills", info.codebook_skills.to_string());
    add("associations", info.associations.to_string());
    add("corpora", corpora_line(&t.corpora));
    add("segmentation", t.segmentation.clone());
    add("corpus bytes", t.bytes.to_string());
    add("training texts", t.texts.to_string());
    add("held-out texts", t.heldout_texts.to_string());
    add("skills seen", t.skills.to_string());
    add("edges", t.edges.to_string());
    add("ratio R", format!("{:.4}", t.ratio));
    add("learned fraction", format!("{:.4}", t.learned_fraction));
    add("rounds", t.rounds.to_string());
    add("seed", t.seed.to_string());
    add("holdout", t.holdout.to_string());
    if let Some(f) = &t.foundation {
        add("foundation", format!("{:016x}", f.fingerprint));
        add("known from foundation", f.known_from_foundation.to_string());
        add("extra learned thanks to it", f.extra_learned.to_string());
    }
    add("created by", t.created_by.clone());
    print!("{}", table.render());
    if !info.top_skills.is_empty() {
        let mut s = Table::new(["code", "skill", "texts"]);
        for (i, (k, c)) in info.top_skills.iter().enumerate() {
            s.row([i.to_string(), k.clone(), c.to_string()]);
        }
        println!("\nmost frequent learned skills");
        print!("{}", s.render());
    }
    Ok(())
}
