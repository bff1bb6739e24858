//! Standard streams the shell closed (`>&-`, `<&-`): Rust reopens them on
//! `/dev/null` before `main`, so reads look empty and writes vanish. Commands that
//! read stdin or write data to stdout refuse them instead.

use crate::Error;
use std::io::IsTerminal;

/// True when descriptor `fd` was closed when the process started: Rust's runtime
/// then opened `/dev/null` read-write on it, which no shell redirection does.
fn was_closed(fd: u32) -> bool {
    #[cfg(target_os = "linux")]
    {
        let Ok(target) = std::fs::read_link(format!("/proc/self/fd/{fd}")) else {
            return true;
        };
        if target != std::path::Path::new("/dev/null") {
            return false;
        }
        let Ok(info) = std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}")) else {
            return false;
        };
        info.lines()
            .find_map(|l| l.strip_prefix("flags:"))
            .and_then(|f| u32::from_str_radix(f.trim(), 8).ok())
            .is_some_and(|flags| flags & 0o3 == 0o2)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = fd;
        false
    }
}

/// Refuses a closed stdin before it is read as empty input; hints when stdin is a
/// terminal, so the wait is not silent.
pub fn check_stdin(reads_stdin: bool) -> crate::Result<()> {
    if !reads_stdin {
        return Ok(());
    }
    if was_closed(0) {
        return Err(Error::invalid(
            "stdin is closed: give an input file or redirect stdin",
        ));
    }
    if std::io::stdin().is_terminal() {
        eprintln!("semzip: reading from the terminal; end with Ctrl-D");
    }
    Ok(())
}

/// Refuses a closed stdout before data is written into the void.
pub fn check_stdout(writes_stdout: bool) -> crate::Result<()> {
    if writes_stdout && was_closed(1) {
        return Err(Error::invalid(
            "stdout is closed: give an output file or redirect stdout",
        ));
    }
    Ok(())
}
