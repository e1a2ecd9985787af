//! The error type of the front end. Every message names the operation (`get_file`, `load_npy`,
//! ...), the file, URL or archive entry involved, and what was wrong with it, so the user can
//! act on the message alone. Errors of the runtime pass through as [`Error::Runtime`].
//!
//! Later front-end code (layers, models, saving) adds variants here; keep each one carrying the
//! thing it is about.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bad argument: the call itself is wrong, whatever the files hold.
    #[error("{op}: invalid argument: {msg}")]
    Argument { op: &'static str, msg: String },

    /// An I/O operation on a local path failed.
    #[error("{op}: {}: {source}", .path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A URL could not be fetched: bad URL, host not found, connection refused, cut short.
    #[error("{op}: cannot fetch {url}: {reason}")]
    Download { op: &'static str, url: String, reason: String },

    /// The server answered with an HTTP error status.
    #[error("{op}: cannot fetch {url}: HTTP status {status}")]
    Http { op: &'static str, url: String, status: u16 },

    /// A file's hash is not the expected one.
    #[error(
        "{op}: the {algorithm} hash of {origin} ({actual}) does not match the expected {expected}; \
         the file was not kept at {}",
        .path.display()
    )]
    HashMismatch {
        op: &'static str,
        origin: String,
        path: PathBuf,
        algorithm: &'static str,
        expected: Box<str>,
        actual: Box<str>,
    },

    /// An archive could not be read or is of no supported format.
    #[error("{op}: archive {}: {msg}", .path.display())]
    Archive { op: &'static str, path: PathBuf, msg: String },

    /// An archive entry that would land outside the extraction folder (or is not a plain file,
    /// folder or link) was refused.
    #[error("{op}: archive {}: refused entry {entry:?}: {why}", .path.display())]
    UnsafeArchiveEntry { op: &'static str, path: PathBuf, entry: String, why: String },

    /// A file's contents are not of the expected format (corrupt header, truncated data,
    /// unsupported dtype, ...).
    #[error("{op}: {}: {msg}", .path.display())]
    Format { op: &'static str, path: PathBuf, msg: String },

    /// An error of the runtime (tensor creation, device transfer, ...).
    #[error(transparent)]
    Runtime(#[from] wgkeras_runtime::Error),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn arg(op: &'static str, msg: impl Into<String>) -> Self {
        Error::Argument { op, msg: msg.into() }
    }

    pub fn io(op: &'static str, path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Error::Io { op, path: path.as_ref().to_path_buf(), source }
    }

    pub fn format(op: &'static str, path: impl AsRef<Path>, msg: impl Into<String>) -> Self {
        Error::Format { op, path: path.as_ref().to_path_buf(), msg: msg.into() }
    }

    pub fn archive(op: &'static str, path: impl AsRef<Path>, msg: impl Into<String>) -> Self {
        Error::Archive { op, path: path.as_ref().to_path_buf(), msg: msg.into() }
    }
}
