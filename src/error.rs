//! The library's error type: what went wrong, kept apart by kind so the CLI can
//! map each to an exit code and a one-line message.
//!
//! Messages name parameters (`packet_bytes`), never command-line flags: the CLI
//! maps [`Error::InvalidParameter`] names to its own flags.

use std::path::PathBuf;

/// Result with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything the library can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A parameter or spec given by the user is malformed or out of range (a usage error).
    #[error("{0}")]
    Invalid(String),
    /// One named parameter has a value the library refuses (a usage error).
    #[error("invalid {name} '{value}': {reason}")]
    InvalidParameter {
        /// The parameter's name in the library (`packet_bytes`, `trials`).
        name: String,
        /// The value given, as text.
        value: String,
        /// Why it is refused and what would be accepted.
        reason: String,
    },
    /// An output exists and replacing it was not allowed (a usage error).
    #[error("{} already exists", path.display())]
    Exists {
        /// The output that exists.
        path: PathBuf,
    },
    /// Training learned no skill, and an empty model was not allowed.
    #[error("{corpus}: nothing could be learned ({reason})")]
    NothingLearned {
        /// The corpus (or input) trained on.
        corpus: String,
        /// Why, and what would help.
        reason: String,
    },
    /// A `.sz` file needs the shared model it was encoded with, and none was given
    /// (a usage error).
    #[error(
        "{input} was encoded with a shared model (fingerprint {fingerprint}): give that model to decode it"
    )]
    MissingModel {
        /// The input concerned.
        input: String,
        /// The model's fingerprint, in hex.
        fingerprint: String,
    },
    /// Input data (a corpus, a model, a `.sz` file) is malformed, truncated or corrupt.
    #[error("{0}")]
    Corrupt(String),
    /// Reading or writing a file failed.
    #[error("{}", io_message(action, path, source))]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// What was being done (`read`, `write`, `create`), or empty when unknown.
        action: &'static str,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// zstd failed on data that was not known to be corrupt.
    #[error("zstd: {0}")]
    Zstd(String),
    /// A value could not be turned into JSON.
    #[error("JSON: {0}")]
    Json(String),
    /// A state the library should never reach: a bug, not a usage error.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The operating system's message without its "(os error N)" suffix.
pub fn os_message(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.rfind(" (os error ") {
        Some(i) if s.ends_with(')') => s[..i].to_string(),
        _ => s,
    }
}

fn io_message(action: &str, path: &std::path::Path, source: &std::io::Error) -> String {
    if action.is_empty() {
        format!("{}: {}", path.display(), os_message(source))
    } else {
        format!("cannot {action} {}: {}", path.display(), os_message(source))
    }
}

impl Error {
    /// An [`Error::Invalid`] from anything printable.
    pub fn invalid(msg: impl Into<String>) -> Self {
        Error::Invalid(msg.into())
    }

    /// An [`Error::InvalidParameter`]: parameter `name` refuses `value` because `reason`.
    pub fn parameter(
        name: impl Into<String>,
        value: impl std::fmt::Display,
        reason: impl Into<String>,
    ) -> Self {
        Error::InvalidParameter {
            name: name.into(),
            value: value.to_string(),
            reason: reason.into(),
        }
    }

    /// An [`Error::Corrupt`] from anything printable.
    pub fn corrupt(msg: impl Into<String>) -> Self {
        Error::Corrupt(msg.into())
    }

    /// An [`Error::Io`] naming the file it concerns (what was being done unsaid).
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::io_during("", path, source)
    }

    /// An [`Error::Io`] naming the file and what was being done (`read`, `write`...).
    pub fn io_during(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Error::Io {
            path: path.into(),
            action,
            source,
        }
    }

    /// An [`Error::Io`] while reading `path`.
    pub fn reading(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::io_during("read", path, source)
    }

    /// An [`Error::Io`] while writing `path`.
    pub fn writing(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::io_during("write", path, source)
    }

    /// An [`Error::Internal`] from anything printable.
    pub fn internal(msg: impl Into<String>) -> Self {
        Error::Internal(msg.into())
    }

    /// True for errors the user made on the command line or in a spec.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            Error::Invalid(_)
                | Error::InvalidParameter { .. }
                | Error::Exists { .. }
                | Error::MissingModel { .. }
        )
    }

    /// True when a reader closed the pipe this process was writing to.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
    }

    /// The process exit code this error maps to: 2 for usage errors, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        if self.is_usage() { 2 } else { 1 }
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Json(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_to_exit_codes_and_os_errors_lose_their_number() {
        assert_eq!(Error::parameter("trials", 0, "at least 1").exit_code(), 2);
        assert_eq!(Error::Exists { path: "x".into() }.exit_code(), 2);
        assert_eq!(Error::corrupt("bad").exit_code(), 1);
        assert_eq!(Error::Zstd("x".into()).exit_code(), 1);
        assert_eq!(Error::internal("x").exit_code(), 1);
        let e = Error::reading("f", std::io::Error::from_raw_os_error(21));
        let msg = e.to_string();
        assert!(msg.starts_with("cannot read f: "), "{msg}");
        assert!(!msg.contains("os error"), "{msg}");
        assert_eq!(e.exit_code(), 1);
        let p = Error::parameter("packet_bytes", 0, "use 1 or more").to_string();
        assert_eq!(p, "invalid packet_bytes '0': use 1 or more");
    }
}
