//! The engine's errors, typed: what went wrong, with the one line a user sees as its `Display`.
//!
//! Callers match on the kind (a cancel is not a failure to report; a refused write says how to
//! write instead); the CLI prints the line after the file's name, the TUI in its status line.

use std::fmt;
use std::path::PathBuf;

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
    /// Reading or writing a file failed.
    Io { path: PathBuf, err: std::io::Error },
    /// Another process uses the file in a way a write must not race with; says how.
    InUse { path: PathBuf, how: String },
    /// A check of a file failed: a backup that does not verify, a path that is not what the
    /// operation needs. Holds what failed.
    Invalid { path: PathBuf, why: String },
}

impl Error {
    pub fn io(path: &std::path::Path, err: std::io::Error) -> Error {
        Error::Io {
            path: path.to_path_buf(),
            err,
        }
    }

    /// The error as one about the file at `path` where it names none (SQLite's own messages
    /// do not), so that its line says which file failed.
    pub fn of(self, path: &std::path::Path) -> Error {
        match self {
            Error::Sqlite(_) | Error::Refused(_) | Error::NotRead => {
                Error::invalid(path, self.to_string())
            }
            named => named,
        }
    }

    pub fn invalid(path: &std::path::Path, why: impl Into<String>) -> Error {
        Error::Invalid {
            path: path.to_path_buf(),
            why: why.into(),
        }
    }
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
            Error::Io { path, err } => write!(f, "{}: {}", shown(path), io_cause(err)),
            Error::InUse { path, how } => write!(
                f,
                "{}: in use by another process ({how}); stop it and try again",
                shown(path)
            ),
            Error::Invalid { path, why } => write!(f, "{}: {why}", shown(path)),
        }
    }
}

impl std::error::Error for Error {}

fn shown(path: &std::path::Path) -> String {
    super::names::escape_path(path)
}

/// An I/O error's cause in words, without its `(os error N)`: `permission denied`.
pub fn io_cause(err: &std::io::Error) -> String {
    let text = err.to_string();
    let cause = text.split(" (os error").next().unwrap_or(&text);
    cause.to_lowercase()
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
