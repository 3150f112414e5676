//! Opening connections that cannot change a user's files.
//!
//! Every connection is read-only at the SQLite level and sees the WAL. How that is achieved depends
//! on the files beside the database, because SQLite's own read-only modes each fall short in one
//! case:
//!
//! * a WAL-mode file with no `-wal`: `immutable=1`, since `mode=ro` would create a `-wal` and a
//!   `-shm`, and there is no WAL content to miss.
//! * a rollback-mode file, or `-wal` with its `-shm`: `mode=ro`. SQLite reads the live WAL index; updating an
//!   existing `-shm` is what every reader does.
//! * an empty `-wal` without `-shm`: `immutable=1`. There is no WAL content to miss, and `mode=ro`
//!   would create a `-shm`.
//! * a non-empty `-wal` without `-shm` (no process has the file open): `mode=ro` would create a
//!   `-shm` and `immutable=1` would not see the WAL rows. litescope opens read-write (never
//!   create) in exclusive locking mode, which keeps the WAL index in heap memory, with
//!   `query_only` set before the first read and checkpoint-on-close turned off, so neither the
//!   database nor the WAL changes. Because that holds a lock, such a connection is meant to be
//!   short-lived: callers should drop it between jobs rather than keep it open. Where the file cannot be
//!   opened for writing the lock cannot be taken, and litescope falls back to `immutable=1` and
//!   says that committed WAL rows are not shown.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::config::DbConfig;
use rusqlite::{Connection, ErrorCode, OpenFlags};

use super::header::{self, Sniff};

/// How long a reader waits for another process's lock before reporting the file as locked.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(2);

/// Which of the strategies in the module docs a connection uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    ReadOnly,
    ExclusiveSnapshot,
    Immutable,
}

impl Access {
    /// A note for the user when this access hides something, such as unseen WAL rows.
    pub fn caveat(self, path: &Path) -> Option<String> {
        (self == Access::Immutable && wal_len(path).unwrap_or(0) > 0).then(|| {
            "the -wal has no -shm and the file is not writable: committed WAL rows are not shown"
                .to_string()
        })
    }
}

/// A read-only connection with a time budget that any query can be held to.
pub struct Conn {
    db: Connection,
    pub access: Access,
    deadline: Arc<Mutex<Option<Instant>>>,
    cancelled: Arc<AtomicBool>,
}

impl std::ops::Deref for Conn {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.db
    }
}

impl Conn {
    /// Runs `f` and interrupts it once `budget` has passed; `Ok(None)` means it was cut off.
    pub fn with_budget<T>(
        &self,
        budget: Duration,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<Option<T>> {
        let deadline = Instant::now() + budget;
        *lock(&self.deadline) = Some(deadline);
        let result = f(&self.db);
        *lock(&self.deadline) = None;
        match result {
            Err(e) if is_interrupt(&e) && Instant::now() >= deadline => Ok(None),
            other => other.map(Some),
        }
    }
}

impl Conn {
    /// A flag that, once set, stops whatever this connection runs at its next progress check.
    ///
    /// `sqlite3_interrupt` alone is lost when it lands between `prepare` and the first step; the
    /// flag is not, so cancelling sets both.
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        self.cancelled.clone()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// True when `err` is SQLite's "interrupted", from a budget or a user's cancel.
pub fn is_interrupt(err: &rusqlite::Error) -> bool {
    err.sqlite_error_code() == Some(ErrorCode::OperationInterrupted)
}

/// The file beside `path` with `suffix` appended: `-wal`, `-shm`, `-journal`.
pub fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Size of the `-wal` beside `path`, if there is one.
pub fn wal_len(path: &Path) -> Option<u64> {
    std::fs::metadata(sibling(path, "-wal"))
        .ok()
        .map(|m| m.len())
}

fn choose_access(path: &Path) -> Access {
    let shm = sibling(path, "-shm").exists();
    let wal_header = matches!(header::sniff(path), Ok(Sniff::Sqlite(h)) if h.is_wal());
    match wal_len(path) {
        // A WAL-mode file with no -wal: nothing to miss, and `mode=ro` would create both files.
        None if wal_header => Access::Immutable,
        None => Access::ReadOnly,
        Some(_) if shm => Access::ReadOnly,
        Some(0) => Access::Immutable,
        Some(_) if sibling(path, "-journal").exists() => Access::Immutable,
        Some(_) => Access::ExclusiveSnapshot,
    }
}

/// A `file:` URI naming `path` byte for byte: SQLite decodes `%XX` back to the raw byte, so a
/// name that is not ASCII, or not even UTF-8, opens the very file it names. The empty authority
/// (`file://` + an absolute path) keeps a path starting with `//` from reading as a host.
fn uri(path: &Path, params: &str) -> String {
    use std::os::unix::ffi::OsStrExt;
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = String::from("file://");
    for &b in abs.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{out}?{params}")
}

/// Opens `path` read-only, choosing the access strategy from the files beside it.
pub fn open(path: &Path) -> rusqlite::Result<Conn> {
    match choose_access(path) {
        Access::ExclusiveSnapshot => {
            open_exclusive(path).or_else(|e| match e.sqlite_error_code() {
                // Another process holds the file: report it as locked, never read past its lock.
                Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Err(e),
                _ => open_with(path, Access::Immutable, Arc::default()),
            })
        }
        access => open_with(path, access, Arc::default()),
    }
}

/// A second connection to the file `conn` reads, for work in parallel with it, stopped by the
/// same cancel. `None` where `conn` holds an exclusive lock that a second one would wait on.
pub fn open_beside(conn: &Conn, path: &Path) -> Option<Conn> {
    (conn.access != Access::ExclusiveSnapshot)
        .then(|| open_with(path, conn.access, conn.cancelled.clone()).ok())
        .flatten()
}

fn flags(write: bool) -> OpenFlags {
    let base = OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if write {
        base | OpenFlags::SQLITE_OPEN_READ_WRITE
    } else {
        base | OpenFlags::SQLITE_OPEN_READ_ONLY
    }
}

fn open_with(path: &Path, access: Access, cancelled: Arc<AtomicBool>) -> rusqlite::Result<Conn> {
    let params = if access == Access::Immutable {
        "immutable=1"
    } else {
        "mode=ro"
    };
    let db = Connection::open_with_flags(uri(path, params), flags(false))?;
    finish(db, access, cancelled)
}

fn open_exclusive(path: &Path) -> rusqlite::Result<Conn> {
    let db = Connection::open_with_flags(uri(path, "mode=rw"), flags(true))?;
    db.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)?;
    db.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
    let conn = finish(db, Access::ExclusiveSnapshot, Arc::default())?;
    // The first read opens the WAL; if the exclusive lock cannot be had, fail here.
    conn.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))?;
    Ok(conn)
}

fn finish(
    mut db: Connection,
    access: Access,
    cancelled: Arc<AtomicBool>,
) -> rusqlite::Result<Conn> {
    db.pragma_update(None, "query_only", true)?;
    db.pragma_update(None, "trusted_schema", false)?;
    db.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    db.busy_timeout(BUSY_TIMEOUT)?;
    let deadline: Arc<Mutex<Option<Instant>>> = Arc::default();
    let (watched, stop) = (deadline.clone(), cancelled.clone());
    db.progress_handler(
        1000,
        Some(move || {
            stop.load(Ordering::Relaxed) || lock(&watched).is_some_and(|d| Instant::now() >= d)
        }),
    )?;
    Ok(Conn {
        db,
        access,
        deadline,
        cancelled,
    })
}
