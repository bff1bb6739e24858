//! Probes the test data that lives outside the repository, so that the tests needing
//! it are reported by `cargo test` as ignored, with the reason, when it is absent
//! (and run, with the same command, when it is there):
//!
//! - `has_fortunes`: Debian's fortunes in `/usr/share/games/fortunes`
//!   (`bash corpora/fetch.sh` installs them);
//! - `has_canterbury`: the Canterbury texts in `../shared/corpora/canterbury`.
//!
//! Nothing here affects the library or the binary: only `#[cfg_attr(..., ignore)]`
//! on tests reads these.

use std::path::{Path, PathBuf};

const FORTUNES: &str = "/usr/share/games/fortunes";

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(has_fortunes)");
    println!("cargo::rustc-check-cfg=cfg(has_canterbury)");

    let fortunes = Path::new(FORTUNES);
    if fortunes.join("fortunes").is_file() {
        println!("cargo::rustc-cfg=has_fortunes");
    }
    // Watching a missing path would rerun this script (and rebuild the crate) on
    // every build: watch what exists. Installing or removing a Debian package
    // rewrites dpkg's status file.
    watch_if_present(fortunes);
    watch_if_present(Path::new("/var/lib/dpkg/status"));

    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let canterbury = manifest.join("../shared/corpora/canterbury");
    if canterbury.join("alice29.txt").is_file() {
        println!("cargo::rustc-cfg=has_canterbury");
    }
    // Added later, ../shared is seen after `touch build.rs` (see README, Testing).
    watch_if_present(&canterbury);
}

fn watch_if_present(path: &Path) {
    if path.exists() {
        println!("cargo::rerun-if-changed={}", path.display());
    }
}
