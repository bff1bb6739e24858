//! The library's error type: what went wrong, kept apart by kind so the CLI can
//! map each to an exit code and a one-line message.

use std::path::PathBuf;

/// Result with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything the library can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A parameter or spec given by the user is malformed or out of range (exit code 2).
    #[error("{0}")]
    Invalid(String),
    /// Input data (a corpus, a model, a `.sz` file) is malformed, truncated or corrupt.
    #[error("{0}")]
    Corrupt(String),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
}

impl Error {
    /// An [`Error::Invalid`] from anything printable.
    pub fn invalid(msg: impl Into<String>) -> Self {
        Error::Invalid(msg.into())
    }

    /// An [`Error::Corrupt`] from anything printable.
    pub fn corrupt(msg: impl Into<String>) -> Self {
        Error::Corrupt(msg.into())
    }

    /// An [`Error::Io`] naming the file it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// The process exit code this error maps to: 2 for usage errors, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Invalid(_) => 2,
            _ => 1,
        }
    }
}
