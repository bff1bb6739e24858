//! Inputs of the codec commands: stdin or files. Outputs go through the one atomic
//! writer, [`crate::output`].

use crate::{Error, Result};
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

/// Size of the read and write buffers: large enough for sequential throughput.
const BUF_BYTES: usize = 1 << 16;

pub use crate::output::is_std;

/// A display name for an input or output path (`<stdin>`/`<stdout>` for `-`).
pub fn display_name(path: Option<&Path>, std_name: &str) -> String {
    match path {
        Some(p) if !is_std(Some(p)) => p.display().to_string(),
        _ => std_name.to_string(),
    }
}

/// Opens an input for reading: stdin when `path` is absent or `-`, else the file.
///
/// A directory or a missing file is an error naming it; the input is never modified.
pub fn open_input(path: Option<&Path>) -> Result<Box<dyn BufRead>> {
    match path {
        Some(p) if !is_std(Some(p)) => {
            let meta = std::fs::metadata(p).map_err(|e| Error::reading(p, e))?;
            if meta.is_dir() {
                return Err(Error::invalid(format!(
                    "{} is a directory: give a file (or - for stdin)",
                    p.display()
                )));
            }
            let f = File::open(p).map_err(|e| Error::reading(p, e))?;
            Ok(Box::new(BufReader::with_capacity(BUF_BYTES, f)))
        }
        _ => Ok(Box::new(BufReader::with_capacity(BUF_BYTES, io::stdin()))),
    }
}

/// The size of an input file, for progress bars (`None` for stdin).
pub fn input_len(path: Option<&Path>) -> Option<u64> {
    match path {
        Some(p) if !is_std(Some(p)) => std::fs::metadata(p).ok().map(|m| m.len()),
        _ => None,
    }
}

/// The one atomic writer, under the name the codec commands have always used.
pub type AtomicOutput = crate::output::Output;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_directory_and_missing_input() {
        let dir = tempfile::tempdir().unwrap();
        assert!(open_input(Some(dir.path())).is_err());
        assert!(open_input(Some(&dir.path().join("missing"))).is_err());
    }
}
