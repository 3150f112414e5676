//! A database opened for writing: its own read-write connection for one operation, the write lock
//! taken up front and held until the operation ends.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags};

use crate::engine::error::Error;

/// How long a writer waits for another process's lock before saying who is in the way.
const BUSY_TIMEOUT: Duration = Duration::from_secs(2);

/// A read-write connection holding the write lock of one database.
pub struct Writer {
    conn: Connection,
    path: PathBuf,
}

/// How much of the file the writer keeps to itself.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// The write lock, across all its transactions (`locking_mode=EXCLUSIVE`): readers go on in
    /// WAL mode, and no other writer can interleave.
    WriteLock,
    /// The whole file: no other connection may even read it (a file about to be replaced).
    Everything,
}

impl Writer {
    /// Opens `path` (never creating it) and takes the lock `hold` names. Foreign keys start off,
    /// as in the `sqlite3` shell and the migration tools, so that a table rebuild's `DROP TABLE`
    /// never cascades.
    pub fn open(path: &Path, hold: Hold) -> Result<Writer, Error> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| sqlite(path, e))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .and_then(|()| {
                conn.execute_batch("PRAGMA foreign_keys=OFF; PRAGMA locking_mode=EXCLUSIVE")
            })
            .map_err(|e| sqlite(path, e))?;
        let begin = match hold {
            Hold::WriteLock => "BEGIN IMMEDIATE; COMMIT",
            Hold::Everything => "BEGIN EXCLUSIVE; COMMIT",
        };
        conn.execute_batch(begin)
            .map_err(|e| match e.sqlite_error_code() {
                Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Error::InUse {
                    path: path.to_path_buf(),
                    how: in_use_how(hold).into(),
                },
                _ => sqlite(path, e),
            })?;
        Ok(Writer {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// A private copy of `source`'s database in memory, set up as [`Writer::open`] sets a file up:
    /// for work that must never reach the file (a dry run). `label` names it in errors.
    pub fn in_memory_copy(source: &Connection, label: &Path) -> Result<Writer, Error> {
        let mut conn = Connection::open_in_memory().map_err(|e| sqlite(label, e))?;
        rusqlite::backup::Backup::new(source, &mut conn)
            .and_then(|b| b.run_to_completion(1000, Duration::ZERO, None))
            .and_then(|()| conn.execute_batch("PRAGMA foreign_keys=OFF"))
            .map_err(|e| sqlite(label, e))?;
        Ok(Writer {
            conn,
            path: label.to_path_buf(),
        })
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Makes whatever the connection runs stop (SQLite's interrupt, at its next progress check)
    /// once `flag` is set: a cancel that stops SQLite mid-statement, not only between them.
    pub fn stop_on(&mut self, flag: Arc<AtomicBool>) -> Result<(), Error> {
        let handler = move || flag.load(Ordering::Relaxed);
        self.conn
            .progress_handler(1000, Some(handler))
            .map_err(|e| sqlite(&self.path, e))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Turns a WAL database back into a single self-contained file (checkpointed, `-wal`
    /// removed), so that it can be replaced by a rename with nothing beside it left over.
    pub fn fold_wal(&self) -> Result<(), Error> {
        self.conn
            .query_row("PRAGMA journal_mode=DELETE", [], |_| Ok(()))
            .map_err(|e| sqlite(&self.path, e))
    }
}

fn in_use_how(hold: Hold) -> &'static str {
    match hold {
        Hold::WriteLock => "it holds the write lock",
        Hold::Everything => "it has the database open",
    }
}

/// SQLite's error, after the file's name.
fn sqlite(path: &Path, err: rusqlite::Error) -> Error {
    Error::invalid(path, err.to_string())
}
