//! The engine's errors, typed: what went wrong, with the one line a user sees as its `Display`.
//!
//! Callers match on the kind (a cancel is not a failure to report; a refused write says how to
//! write instead); the CLI prints the line after the file's name, the TUI in its status line.

use std::fmt;

use rusqlite::ErrorCode;

#[derive(Debug)]
pub enum Error {
    /// SQLite failed or refused.
    Sqlite(rusqlite::Error),
    /// The read-only guard refused a statement; holds what was refused.
    Refused(String),
    /// The user cancelled, or an interactive job preempted the work.
    Cancelled,
    /// A job needs the schema, and the database has not been read yet.
    NotRead,
    /// A file or folder the user gave cannot be used: its path as printed, and why.
    BadInput { path: String, why: String },
}

impl From<rusqlite::Error> for Error {
    fn from(err: rusqlite::Error) -> Error {
        match err.sqlite_error_code() {
            Some(ErrorCode::OperationInterrupted) => Error::Cancelled,
            _ => Error::Sqlite(err),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Sqlite(e) if e.sqlite_error_code() == Some(ErrorCode::ReadOnly) => write!(
                f,
                "{e}: litescope inspects read-only; write with the sqlite3 shell, e.g. \
                 sqlite3 FILE 'SQL'"
            ),
            Error::Sqlite(e) => write!(f, "{e}"),
            Error::Refused(what) => write!(
                f,
                "litescope refused {what}: inspection is read-only and never writes, attaches or \
                 converts a file. To write, use the sqlite3 shell (sqlite3 FILE 'SQL')"
            ),
            Error::Cancelled => f.write_str("cancelled"),
            Error::NotRead => f.write_str("the database has not been read yet"),
            Error::BadInput { path, why } => write!(f, "{path}: {why}"),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    /// A [`Error::BadInput`] about `path`.
    pub fn bad_input(path: &std::path::Path, why: impl Into<String>) -> Error {
        Error::BadInput {
            path: super::names::escape_path(path),
            why: why.into(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
