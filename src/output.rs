//! Outputs that appear whole or not at all: the one writer behind models, corpora
//! and `.sz` files.
//!
//! Rules, the same for every output:
//! - `-` (or no path) is stdout, written directly;
//! - an existing device, FIFO or socket (`/dev/null`, a named pipe) is written in
//!   place: it is never replaced, even with `force`;
//! - a regular file is written to a temporary file in the same folder, then renamed
//!   over the destination on [`Output::commit`]; an existing file is replaced only
//!   with `force`, and keeps its permissions;
//! - a symbolic link is followed: its target is what gets written;
//! - the temporary file is removed when the output is dropped without commit, and
//!   also on SIGINT, SIGTERM and SIGHUP once [`install_signal_cleanup`] ran.

use crate::{Error, Result};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Size of the write buffer: large enough for sequential throughput.
const BUF_BYTES: usize = 1 << 16;

/// Temporary files not yet committed, removed if a signal ends the process.
static TEMPS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn register(path: &Path) {
    if let Ok(mut v) = TEMPS.lock() {
        v.push(path.to_path_buf());
    }
}

fn unregister(path: &Path) {
    if let Ok(mut v) = TEMPS.lock()
        && let Some(i) = v.iter().position(|p| p == path)
    {
        v.swap_remove(i);
    }
}

/// The temporary files currently registered (for tests and diagnostics).
pub fn registered_temps() -> Vec<PathBuf> {
    TEMPS.lock().map(|v| v.clone()).unwrap_or_default()
}

/// Removes every registered temporary file; returns how many were removed.
pub fn remove_registered_temps() -> usize {
    let paths = match TEMPS.lock() {
        Ok(mut v) => std::mem::take(&mut *v),
        Err(_) => return 0,
    };
    paths
        .iter()
        .filter(|p| std::fs::remove_file(p).is_ok())
        .count()
}

/// Installs a handler for SIGINT, SIGTERM and SIGHUP that removes the registered
/// temporary files, then ends the process as the signal would have. Call it once,
/// early (the command line does); later calls do nothing.
pub fn install_signal_cleanup() -> Result<()> {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        static INSTALLED: std::sync::Once = std::sync::Once::new();
        let mut result = Ok(());
        INSTALLED.call_once(|| {
            let mut signals = match signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) {
                Ok(s) => s,
                Err(e) => {
                    result = Err(Error::internal(format!(
                        "cannot install the signal handler: {}",
                        crate::error::os_message(&e)
                    )));
                    return;
                }
            };
            std::thread::spawn(move || {
                if let Some(sig) = signals.forever().next() {
                    remove_registered_temps();
                    let _ = signal_hook::low_level::emulate_default_handler(sig);
                    std::process::exit(128 + sig);
                }
            });
        });
        result
    }
    #[cfg(not(unix))]
    Ok(())
}

/// True when `path` means stdin or stdout: absent or `-`.
pub fn is_std(path: Option<&Path>) -> bool {
    path.is_none_or(|p| p.as_os_str() == "-")
}

/// Where an output goes once resolved, before anything is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The process's standard output.
    Stdout,
    /// An existing device, FIFO or socket, written in place.
    Special(PathBuf),
    /// A regular file (existing or not), written through a temporary file.
    File(PathBuf),
}

/// Decides where `path` writes and checks, before any work, that it can: refuses a
/// directory, a missing folder, a dangling link, and an existing file without `force`.
pub fn check(path: Option<&Path>, force: bool) -> Result<Target> {
    let Some(path) = path.filter(|p| !is_std(Some(p))) else {
        return Ok(Target::Stdout);
    };
    let mut dest = path.to_path_buf();
    if let Ok(link) = std::fs::symlink_metadata(path)
        && link.file_type().is_symlink()
    {
        dest = std::fs::canonicalize(path).map_err(|_| {
            Error::invalid(format!(
                "output {} is a symbolic link to nothing: remove it or give another name",
                path.display()
            ))
        })?;
    }
    match std::fs::metadata(&dest) {
        Ok(meta) if meta.is_dir() => Err(Error::invalid(format!(
            "output {} is a directory: give a file name",
            path.display()
        ))),
        Ok(meta) if !meta.is_file() => Ok(Target::Special(dest)),
        Ok(_) if !force => Err(Error::Exists {
            path: path.to_path_buf(),
        }),
        Ok(_) => Ok(Target::File(dest)),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
        {
            let folder = folder_of(&dest);
            match std::fs::metadata(&folder) {
                Ok(m) if m.is_dir() => Ok(Target::File(dest)),
                Ok(_) => Err(Error::invalid(format!(
                    "output folder {} is a file, not a folder",
                    folder.display()
                ))),
                Err(_) => Err(Error::invalid(format!(
                    "output folder {} does not exist: create it first",
                    folder.display()
                ))),
            }
        }
        Err(e) => Err(Error::io_during("inspect", path, e)),
    }
}

fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// An output being written; see the module documentation for the rules.
/// Dropping it without [`Output::commit`] leaves the destination untouched.
pub struct Output {
    sink: Sink,
    name: String,
    force: bool,
    written: u64,
}

enum Sink {
    Stdout(BufWriter<io::Stdout>),
    Special(BufWriter<File>),
    Temp {
        w: BufWriter<tempfile::NamedTempFile>,
        dest: PathBuf,
        /// Permissions of the file being replaced, kept on the new one.
        mode: Option<std::fs::Permissions>,
    },
}

impl Output {
    /// Prepares the output `path` (stdout when absent or `-`); refuses, before
    /// anything is written, what [`check`] refuses.
    pub fn create(path: Option<&Path>, force: bool) -> Result<Output> {
        let name = path
            .filter(|p| !is_std(Some(p)))
            .map_or("<stdout>".to_string(), |p| p.display().to_string());
        let sink = match check(path, force)? {
            Target::Stdout => Sink::Stdout(BufWriter::with_capacity(BUF_BYTES, io::stdout())),
            Target::Special(p) => {
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .open(&p)
                    .map_err(|e| Error::io_during("open", &p, e))?;
                Sink::Special(BufWriter::with_capacity(BUF_BYTES, f))
            }
            Target::File(dest) => {
                let folder = folder_of(&dest);
                let mode = std::fs::metadata(&dest).ok().map(|m| m.permissions());
                let tmp = tempfile::Builder::new()
                    .prefix(".semzip-")
                    .suffix(".tmp")
                    .tempfile_in(&folder)
                    .map_err(|e| Error::io_during("create a file in", &folder, e))?;
                register(tmp.path());
                Sink::Temp {
                    w: BufWriter::with_capacity(BUF_BYTES, tmp),
                    dest,
                    mode,
                }
            }
        };
        Ok(Output {
            sink,
            name,
            force,
            written: 0,
        })
    }

    /// The name to use in messages about this output (`<stdout>` for stdout).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// True when the output is the process's stdout.
    pub fn is_stdout(&self) -> bool {
        matches!(self.sink, Sink::Stdout(_))
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Flushes the data and, for a regular file, renames the temporary file over
    /// the destination. Errors name the output and what was being done.
    pub fn commit(mut self) -> Result<()> {
        let name = std::mem::take(&mut self.name);
        match std::mem::replace(&mut self.sink, Sink::Stdout(BufWriter::new(io::stdout()))) {
            Sink::Stdout(mut w) => w.flush().map_err(|e| Error::writing(name, e)),
            Sink::Special(mut w) => w.flush().map_err(|e| Error::writing(name, e)),
            Sink::Temp { w, dest, mode } => {
                let tmp = w
                    .into_inner()
                    .map_err(|e| Error::writing(&name, e.into_error()))?;
                let tmp_path = tmp.path().to_path_buf();
                let result = finish_temp(tmp, &dest, mode, self.force, &name);
                unregister(&tmp_path);
                result
            }
        }
    }
}

fn finish_temp(
    tmp: tempfile::NamedTempFile,
    dest: &Path,
    mode: Option<std::fs::Permissions>,
    force: bool,
    name: &str,
) -> Result<()> {
    tmp.as_file()
        .sync_all()
        .map_err(|e| Error::writing(name, e))?;
    if let Some(perms) = mode.or_else(default_permissions) {
        tmp.as_file()
            .set_permissions(perms)
            .map_err(|e| Error::io_during("set the permissions of", name, e))?;
    }
    // The destination may have changed since `check`: never rename over a
    // device, a FIFO or a folder that appeared meanwhile.
    if let Ok(meta) = std::fs::symlink_metadata(dest)
        && !meta.is_file()
    {
        return Err(Error::invalid(format!(
            "output {name} was replaced by something that is not a regular file while writing"
        )));
    }
    let persisted = if force {
        tmp.persist(dest)
    } else {
        tmp.persist_noclobber(dest)
    };
    persisted.map(|_| ()).map_err(|e| {
        if e.error.kind() == io::ErrorKind::AlreadyExists {
            Error::Exists { path: name.into() }
        } else {
            Error::io_during("rename a temporary file to", name, e.error)
        }
    })
}

/// Permissions of a new output: readable by all, as `cp` would give (a temporary
/// file starts owner-only). `None` where permissions are not modes.
fn default_permissions() -> Option<std::fs::Permissions> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        Some(std::fs::Permissions::from_mode(0o644))
    }
    #[cfg(not(unix))]
    None
}

impl Drop for Output {
    fn drop(&mut self) {
        if let Sink::Temp { w, .. } = &self.sink {
            unregister(w.get_ref().path());
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = match &mut self.sink {
            Sink::Stdout(w) => w.write(buf),
            Sink::Special(w) => w.write(buf),
            Sink::Temp { w, .. } => w.write(buf),
        }?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Stdout(w) => w.flush(),
            Sink::Special(w) => w.flush(),
            Sink::Temp { w, .. } => w.flush(),
        }
    }
}

/// Writes `bytes` to `path` by the rules above, all or nothing.
pub fn write_atomic(path: &Path, bytes: &[u8], force: bool) -> Result<()> {
    let mut out = Output::create(Some(path), force)?;
    let name = out.name().to_string();
    out.write_all(bytes).map_err(|e| Error::writing(name, e))?;
    out.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The temp registry is process-wide: these tests must not interleave.
    static SERIAL: Mutex<()> = Mutex::new(());

    fn serial() -> std::sync::MutexGuard<'static, ()> {
        SERIAL.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn entries(dir: &Path) -> usize {
        std::fs::read_dir(dir).unwrap().count()
    }

    #[test]
    fn refuses_overwrite_and_leaves_no_partial_file() {
        let _serial = serial();
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.sz");
        std::fs::write(&dest, b"old").unwrap();
        assert!(matches!(
            Output::create(Some(&dest), false),
            Err(Error::Exists { .. })
        ));
        {
            let mut out = Output::create(Some(&dest), true).unwrap();
            out.write_all(b"new but abandoned").unwrap();
            assert_eq!(registered_temps().len(), 1);
        }
        assert!(registered_temps().is_empty());
        assert_eq!(std::fs::read(&dest).unwrap(), b"old");
        assert_eq!(entries(dir.path()), 1);
        write_atomic(&dest, b"new", true).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"new");
        assert_eq!(entries(dir.path()), 1);
    }

    #[test]
    fn rejects_missing_folder_directory_and_file_as_folder() {
        let _serial = serial();
        let dir = tempfile::tempdir().unwrap();
        assert!(Output::create(Some(&dir.path().join("no/such/out.sz")), false).is_err());
        assert!(Output::create(Some(dir.path()), true).is_err());
        let file = dir.path().join("f");
        std::fs::write(&file, b"x").unwrap();
        let err = check(Some(&file.join("out")), false).unwrap_err();
        assert!(err.to_string().contains("is a file"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn writes_devices_in_place_and_never_replaces_them() {
        let _serial = serial();
        let null = Path::new("/dev/null");
        assert_eq!(
            check(Some(null), true).unwrap(),
            Target::Special(null.into())
        );
        write_atomic(null, b"discarded", true).unwrap();
        let meta = std::fs::metadata(null).unwrap();
        assert!(!meta.is_file());
    }

    #[cfg(unix)]
    #[test]
    fn follows_links_and_keeps_permissions() {
        let _serial = serial();
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::write(&target, b"old").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_atomic(&link, b"new", true).unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        let mode = std::fs::metadata(&target).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let fresh = dir.path().join("fresh");
        write_atomic(&fresh, b"x", false).unwrap();
        let mode = std::fs::metadata(&fresh).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
    }

    #[test]
    fn removes_registered_temps_on_request() {
        let _serial = serial();
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out");
        let mut out = Output::create(Some(&dest), false).unwrap();
        out.write_all(b"partial").unwrap();
        out.flush().unwrap();
        assert_eq!(entries(dir.path()), 1);
        // What the signal handler does before the process ends.
        assert!(remove_registered_temps() >= 1);
        assert_eq!(entries(dir.path()), 0);
        drop(out);
        assert!(!dest.exists());
    }
}
