//! Inputs and outputs of the codec commands: stdin/stdout or files, and outputs that
//! appear whole or not at all (a temporary file in the same folder, renamed at the end).

use crate::{Error, Result};
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// Size of the read and write buffers: large enough for sequential throughput.
const BUF_BYTES: usize = 1 << 16;

/// True when `path` means stdin or stdout: absent or `-`.
pub fn is_std(path: Option<&Path>) -> bool {
    path.is_none_or(|p| p.as_os_str() == "-")
}

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
            let meta = std::fs::metadata(p).map_err(|e| Error::io(p, e))?;
            if meta.is_dir() {
                return Err(Error::invalid(format!(
                    "{} is a directory: give a file (or - for stdin)",
                    p.display()
                )));
            }
            let f = File::open(p).map_err(|e| Error::io(p, e))?;
            Ok(Box::new(BufReader::with_capacity(BUF_BYTES, f)))
        }
        _ => Ok(Box::new(BufReader::with_capacity(BUF_BYTES, io::stdin()))),
    }
}

/// A reader that advances a progress bar (drawn on stderr only when it is a
/// terminal) by the bytes read.
pub struct ProgressReader<R> {
    inner: R,
    bar: indicatif::ProgressBar,
}

impl<R: Read> ProgressReader<R> {
    /// Wraps `inner`; `len` is the input's size in bytes when known (a file).
    pub fn new(inner: R, len: Option<u64>, msg: &str) -> Self {
        let bar = match len {
            Some(n) => crate::report::progress::bar(n, msg),
            None => indicatif::ProgressBar::hidden(),
        };
        ProgressReader { inner, bar }
    }
}

impl<R: Read> Read for ProgressReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

impl<R> Drop for ProgressReader<R> {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// The size of an input file, for progress bars (`None` for stdin).
pub fn input_len(path: Option<&Path>) -> Option<u64> {
    match path {
        Some(p) if !is_std(Some(p)) => std::fs::metadata(p).ok().map(|m| m.len()),
        _ => None,
    }
}

/// An output written to a temporary file beside its destination and renamed over it
/// by [`AtomicOutput::commit`], so a failure never leaves a partial file behind
/// (dropping it without commit deletes the temporary). Stdout is written directly.
pub struct AtomicOutput {
    inner: Sink,
    dest: Option<PathBuf>,
    force: bool,
}

enum Sink {
    Stdout(BufWriter<io::Stdout>),
    Temp(BufWriter<tempfile::NamedTempFile>),
    /// A device or pipe (e.g. `/dev/null`): written in place, never replaced.
    Special(BufWriter<File>),
}

impl AtomicOutput {
    /// Prepares the output: stdout when `path` is absent or `-`, else a temporary file
    /// in the destination's folder.
    ///
    /// Refuses (before anything is written) an existing destination without `force`,
    /// a destination that is a directory, and a folder that does not exist.
    pub fn create(path: Option<&Path>, force: bool) -> Result<AtomicOutput> {
        let dest = match path {
            Some(p) if !is_std(Some(p)) => p.to_path_buf(),
            _ => {
                return Ok(AtomicOutput {
                    inner: Sink::Stdout(BufWriter::with_capacity(BUF_BYTES, io::stdout())),
                    dest: None,
                    force,
                });
            }
        };
        if dest.is_dir() {
            return Err(Error::invalid(format!(
                "output {} is a directory: give a file name",
                dest.display()
            )));
        }
        if let Ok(meta) = std::fs::metadata(&dest)
            && !meta.is_file()
        {
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(&dest)
                .map_err(|e| Error::io(&dest, e))?;
            return Ok(AtomicOutput {
                inner: Sink::Special(BufWriter::with_capacity(BUF_BYTES, f)),
                dest: Some(dest),
                force,
            });
        }
        if dest.exists() && !force {
            return Err(Error::invalid(format!(
                "output {} already exists: use -f to overwrite it",
                dest.display()
            )));
        }
        let folder = match dest.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !folder.is_dir() {
            return Err(Error::invalid(format!(
                "output folder {} does not exist: create it first",
                folder.display()
            )));
        }
        let tmp = tempfile::Builder::new()
            .prefix(".semzip-")
            .suffix(".tmp")
            .tempfile_in(&folder)
            .map_err(|e| Error::io(&folder, e))?;
        Ok(AtomicOutput {
            inner: Sink::Temp(BufWriter::with_capacity(BUF_BYTES, tmp)),
            dest: Some(dest),
            force,
        })
    }

    /// The name to use in messages about this output.
    pub fn name(&self) -> String {
        display_name(self.dest.as_deref(), "<stdout>")
    }

    /// Flushes and renames the temporary file over the destination (or flushes stdout).
    pub fn commit(self) -> Result<()> {
        let name = self.name();
        match self.inner {
            Sink::Stdout(mut w) => w.flush().map_err(|e| Error::io(name, e)),
            Sink::Special(mut w) => w.flush().map_err(|e| Error::io(name, e)),
            Sink::Temp(w) => {
                let tmp = w
                    .into_inner()
                    .map_err(|e| Error::io(&name, e.into_error()))?;
                tmp.as_file().sync_all().map_err(|e| Error::io(&name, e))?;
                set_readable(tmp.path());
                let Some(dest) = self.dest else {
                    return Err(Error::invalid(
                        "internal: temporary output without a destination",
                    ));
                };
                let persisted = if self.force {
                    tmp.persist(&dest)
                } else {
                    tmp.persist_noclobber(&dest)
                };
                persisted.map_err(|e| {
                    if e.error.kind() == io::ErrorKind::AlreadyExists {
                        Error::invalid(format!(
                            "output {} appeared while writing: use -f to overwrite it",
                            dest.display()
                        ))
                    } else {
                        Error::io(&dest, e.error)
                    }
                })?;
                Ok(())
            }
        }
    }
}

impl Write for AtomicOutput {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.inner {
            Sink::Stdout(w) => w.write(buf),
            Sink::Temp(w) => w.write(buf),
            Sink::Special(w) => w.write(buf),
        }
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match &mut self.inner {
            Sink::Stdout(w) => w.write_all(buf),
            Sink::Temp(w) => w.write_all(buf),
            Sink::Special(w) => w.write_all(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match &mut self.inner {
            Sink::Stdout(w) => w.flush(),
            Sink::Temp(w) => w.flush(),
            Sink::Special(w) => w.flush(),
        }
    }
}

/// Temporary files are created owner-only; a finished output gets ordinary permissions.
fn set_readable(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644));
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_overwrite_and_leaves_no_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.sz");
        std::fs::write(&dest, b"old").unwrap();
        assert!(AtomicOutput::create(Some(&dest), false).is_err());
        {
            let mut out = AtomicOutput::create(Some(&dest), true).unwrap();
            out.write_all(b"new but abandoned").unwrap();
            // dropped without commit
        }
        assert_eq!(std::fs::read(&dest).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let mut out = AtomicOutput::create(Some(&dest), true).unwrap();
        out.write_all(b"new").unwrap();
        out.commit().unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn rejects_missing_folder_and_directory_input() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("no/such/out.sz");
        assert!(AtomicOutput::create(Some(&dest), false).is_err());
        assert!(open_input(Some(dir.path())).is_err());
        assert!(open_input(Some(&dir.path().join("missing"))).is_err());
    }
}
