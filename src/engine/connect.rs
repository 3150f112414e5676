//! Opening connections that cannot change a user's files or stand in an application's way.
//!
//! Every inspection connection is opened with `SQLITE_OPEN_READONLY`, so no statement a user types
//! can turn writing back on; `query_only` is a second guard, and an authorizer (see [`guard`])
//! refuses what a read-only flag lets through: `ATTACH` (which `VACUUM INTO` performs to write its
//! copy), `DETACH`, `VACUUM`, pragmas that change state, and `load_extension`. No connection takes
//! a lock that a normal SQLite reader would not, so an application writing at the same time is
//! never refused.
//!
//! How a file is opened depends on the files beside it, because each of SQLite's read-only modes
//! falls short in one case:
//!
//! * a WAL-mode file with no `-wal`, or without `-shm` a `-wal` that holds no frame (empty, only a
//!   header, or no WAL at all, which SQLite ignores): `immutable=1`, since
//!   `mode=ro` would create the missing files and there is no WAL content to miss. Such a
//!   connection goes stale when a `-wal` appears or the file changes ([`Conn::is_stale`]), and its
//!   owner reopens it.
//! * a rollback-mode file, or a `-wal` with or without its `-shm`: `mode=ro`. An existing `-shm` is
//!   the live WAL index that every reader updates; a missing one is created by SQLite, as every
//!   reader (the `sqlite3` shell included) does.
//! * a non-empty `-wal` without `-shm` in a folder where the `-shm` cannot be created: a private
//!   copy of the database and its `-wal` in a temporary folder, read there ([`Access::PrivateCopy`]),
//!   up to [`MAX_PRIVATE_COPY`]; past that, `immutable=1` with the caveat that committed WAL rows
//!   are not shown.
//! * a rollback-mode file with a hot journal (a writer crashed mid-transaction): a private copy of
//!   the database and its journal, rolled back there (see [`hot_journal`]).

pub mod guard;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use rusqlite::config::DbConfig;
use rusqlite::{Connection, ErrorCode, OpenFlags};

use super::error::Error;
use super::header::{self, Sniff};
use super::hot_journal;
use super::locks::lock;
use super::slices::ReadWindow;

/// How long a reader waits for another process's lock before reporting the file as locked.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(2);

/// SQLite's page cache per connection, in KiB (`PRAGMA cache_size` as a negative number). The
/// default 2 MB serves neither of litescope's reads: a pass over the file (measuring, checking,
/// counting) reads each page once, and a page of rows or a query finds its pages in the
/// operating system's cache at the cost of a copy. The report runs three connections at its
/// busiest (measuring and counting, a second counting one, `quick_check`); the default would
/// cost it 6 MB.
const CACHE_KIB: i64 = 256;

/// The largest database plus `-wal` that is copied to be read privately (see the module docs).
pub const MAX_PRIVATE_COPY: u64 = 1 << 30;

/// Which of the strategies in the module docs a connection uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    ReadOnly,
    Immutable,
    PrivateCopy,
}

/// A read-only connection with a time budget that any query can be held to.
pub struct Conn {
    db: Connection,
    /// Declared after `db`, so dropped after the connection whose authorizer points into it.
    _guard: Box<guard::Guard>,
    pub access: Access,
    /// What this connection hides from view, such as unseen WAL rows, for the user.
    pub caveat: Option<String>,
    source: Source,
    deadline: Arc<Mutex<Option<Instant>>>,
    cancelled: Arc<AtomicBool>,
    refused: guard::Refusals,
    /// Shared with the connections opened beside this one (see [`ReadWindow`]).
    window: Arc<ReadWindow>,
}

/// The file a connection reads and, for strategies that do not follow changes, how it looked
/// when opened.
#[derive(Clone)]
struct Source {
    opened: PathBuf,
    stamp: Option<Stamp>,
    /// Keeps a private copy alive while any connection reads it.
    _copy: Option<Arc<PrivateCopy>>,
}

/// A copy of a database in a private temporary folder, removed when this is dropped.
#[derive(Debug)]
pub struct PrivateCopy {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl PrivateCopy {
    pub fn new(dir: tempfile::TempDir, path: PathBuf) -> PrivateCopy {
        PrivateCopy { _dir: dir, path }
    }
}

/// Size and modification time of the database and its `-wal`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp(Vec<Option<(u64, Option<SystemTime>)>>);

impl Stamp {
    fn of(path: &Path) -> Stamp {
        let one = |p: PathBuf| {
            std::fs::metadata(p)
                .ok()
                .map(|m| (m.len(), m.modified().ok()))
        };
        Stamp(vec![one(path.to_path_buf()), one(sibling(path, "-wal"))])
    }
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

    /// A flag that, once set, stops whatever this connection runs at its next progress check.
    ///
    /// `sqlite3_interrupt` alone is lost when it lands between `prepare` and the first step; the
    /// flag is not, so cancelling sets both.
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        self.cancelled.clone()
    }

    /// The read window this connection and those opened beside it take their slices in.
    pub fn window(&self) -> &ReadWindow {
        &self.window
    }

    /// True when the file `path` changed in a way this connection cannot see: a `-wal` appeared
    /// beside an immutable one, or the original of a private copy moved on. Its owner reopens it.
    pub fn is_stale(&self, path: &Path) -> bool {
        self.source
            .stamp
            .as_ref()
            .is_some_and(|stamp| *stamp != Stamp::of(path))
    }

    /// The error a user sees: what was refused and how to write instead, or SQLite's message.
    pub fn explain(&self, err: rusqlite::Error) -> Error {
        match guard::refusal(&self.refused, &err) {
            Some(what) => Error::Refused(what),
            None => Error::from(err),
        }
    }

    /// Ends a transaction a user's script left open, so that no read transaction outlives its
    /// job and holds back the application's checkpoints.
    pub fn end_transaction(&self) {
        if !self.db.is_autocommit() {
            let _ = self.db.execute_batch("ROLLBACK");
        }
    }
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

/// The strategy for `path` before trying it: a private copy is only chosen when reading in place
/// fails.
fn choose_access(path: &Path) -> Access {
    let shm = sibling(path, "-shm").exists();
    let wal_header = matches!(header::sniff(path), Ok(Sniff::Sqlite(h)) if h.is_wal());
    match wal_len(path) {
        None if wal_header => Access::Immutable,
        None => Access::ReadOnly,
        Some(_) if shm => Access::ReadOnly,
        Some(0) => Access::Immutable,
        // A WAL-mode file whose -wal holds no frame: nothing to read there, so no -shm to
        // create (SQLite ignores such a -wal). A new frame changes the stamp: the owner reopens.
        Some(_) if wal_header && !header::wal_may_hold_frames(&sibling(path, "-wal")) => {
            Access::Immutable
        }
        Some(_) if sibling(path, "-journal").exists() => Access::Immutable,
        Some(_) => Access::ReadOnly,
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
    open_stopped_by(path, Arc::default())
}

/// [`open`], stopped by `cancelled`: a connection opened for part of a job whose cancel flag
/// already exists (a migration run's backup, after the worker's own connection was closed).
pub fn open_stopped_by(path: &Path, cancelled: Arc<AtomicBool>) -> rusqlite::Result<Conn> {
    match choose_access(path) {
        Access::ReadOnly => open_in_place(path, cancelled),
        access => open_with(source(path, access, None), access, None, cancelled),
    }
}

/// Opens `path` read-only after the checks every command makes first: a FIFO, an empty file or
/// one that is not SQLite is refused with the reason ([`precheck`]) before SQLite opens it (it
/// would take an empty file for an empty database).
///
/// [`precheck`]: super::database::precheck
pub fn open_checked(path: &Path) -> Result<Conn, Error> {
    let found = super::discover::Found::given(path);
    if let Err(failed) = super::database::precheck(&found) {
        let why = failed.error.clone();
        return Err(Error::invalid(
            path,
            why.unwrap_or_else(|| failed.status.label().to_string()),
        ));
    }
    open(path).map_err(|e| Error::invalid(path, e.to_string()))
}

/// A second connection to the file `conn` reads, for work in parallel with it, stopped by the
/// same cancel.
pub fn open_beside(conn: &Conn) -> Option<Conn> {
    let (source, caveat) = (conn.source.clone(), conn.caveat.clone());
    let mut other = open_with(source, conn.access, caveat, conn.cancelled.clone()).ok()?;
    other.window = conn.window.clone();
    Some(other)
}

/// Opens another file (one litescope wrote itself, such as a new backup) read-only, stopped by
/// the same cancel as `conn`, so that a job reading both is cancelled whichever it is reading.
pub fn open_tied(path: &Path, conn: &Conn) -> rusqlite::Result<Conn> {
    open_stopped_by(path, conn.cancel_flag())
}

fn source(path: &Path, access: Access, copy: Option<PrivateCopy>) -> Source {
    let stamp = (access != Access::ReadOnly).then(|| Stamp::of(path));
    let copy = copy.map(Arc::new);
    let opened = match &copy {
        Some(copy) => copy.path.clone(),
        None => path.to_path_buf(),
    };
    Source {
        opened,
        stamp,
        _copy: copy,
    }
}

/// Reads in place, letting SQLite create a missing `-shm`; where it cannot (the folder is not
/// writable), reads a private copy.
fn open_in_place(path: &Path, cancelled: Arc<AtomicBool>) -> rusqlite::Result<Conn> {
    let conn = open_with(
        source(path, Access::ReadOnly, None),
        Access::ReadOnly,
        None,
        cancelled.clone(),
    )?;
    // The first read opens the WAL and its index; a missing -shm that cannot be made fails here.
    match conn.query_row("SELECT 1 FROM main.sqlite_schema LIMIT 1", [], |_| Ok(())) {
        Ok(()) | Err(rusqlite::Error::QueryReturnedNoRows) => Ok(conn),
        Err(e) if hot_journal::is_rollback_refusal(&e) => open_rolled_back(path, cancelled),
        Err(e) if cannot_make_shm(&e, path) => open_private(path, MAX_PRIVATE_COPY, cancelled),
        Err(e) => Err(e),
    }
}

/// A file a crashed writer left with a hot journal, read from a private copy rolled back there.
fn open_rolled_back(path: &Path, cancelled: Arc<AtomicBool>) -> rusqlite::Result<Conn> {
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    let copy = hot_journal::private_copy(path, size)?;
    let caveat = Some(hot_journal::SHOWN_FROM_COPY.to_string());
    let source = source(path, Access::PrivateCopy, Some(copy));
    open_with(source, Access::PrivateCopy, caveat, cancelled)
}

fn cannot_make_shm(err: &rusqlite::Error, path: &Path) -> bool {
    let code = err.sqlite_error_code();
    matches!(code, Some(ErrorCode::CannotOpen | ErrorCode::ReadOnly))
        && !sibling(path, "-shm").exists()
}

/// The name of the database inside a private copy's folder.
const COPY_NAME: &str = "copy.db";

fn open_private(path: &Path, limit: u64, cancelled: Arc<AtomicBool>) -> rusqlite::Result<Conn> {
    let size = std::fs::metadata(path).map_or(0, |m| m.len()) + wal_len(path).unwrap_or(0);
    if size > limit {
        let caveat = format!(
            "the -wal has no -shm and the folder is not writable; at {} MiB the file is too big \
             to copy: committed WAL rows are not shown",
            size >> 20
        );
        let source = source(path, Access::Immutable, None);
        return open_with(source, Access::Immutable, Some(caveat), cancelled);
    }
    let copy = copy_files(path)
        .map_err(|e| cannot_open(format!("{}: private copy failed: {e}", path.display())))?;
    let caveat = "read from a private copy: the -wal has no -shm and the folder is not writable, \
                  so SQLite cannot create the -shm it needs to read the -wal in place"
        .to_string();
    let source = source(path, Access::PrivateCopy, Some(copy));
    open_with(source, Access::PrivateCopy, Some(caveat), cancelled)
}

/// Copies the database and its `-wal` into a new private folder. No process has the file open
/// (it would have made the `-shm`), so a copy taken twice alike is consistent.
fn copy_files(path: &Path) -> std::io::Result<PrivateCopy> {
    for _ in 0..3 {
        let before = Stamp::of(path);
        let dir = tempfile::Builder::new().prefix("litescope-").tempdir()?;
        let target = dir.path().join(COPY_NAME);
        std::fs::copy(path, &target)?;
        if wal_len(path).is_some() {
            std::fs::copy(sibling(path, "-wal"), sibling(&target, "-wal"))?;
        }
        if Stamp::of(path) == before {
            return Ok(PrivateCopy::new(dir, target));
        }
    }
    Err(std::io::Error::other(
        "the file kept changing while it was copied",
    ))
}

/// An error that makes the file `unreadable`, saying why.
pub fn cannot_open(why: String) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CANTOPEN),
        Some(why),
    )
}

fn flags() -> OpenFlags {
    OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_READ_ONLY
}

fn open_with(
    source: Source,
    access: Access,
    caveat: Option<String>,
    cancelled: Arc<AtomicBool>,
) -> rusqlite::Result<Conn> {
    let params = if access == Access::Immutable {
        "immutable=1"
    } else {
        "mode=ro"
    };
    let mut db = Connection::open_with_flags(uri(&source.opened, params), flags())?;
    db.pragma_update(None, "query_only", true)?;
    db.pragma_update(None, "trusted_schema", false)?;
    // The pragma reads the schema, before the busy timeout is set so that it never waits: a file
    // it cannot read yet (locked, a -shm to create, damaged) fails later, where its reader
    // expects it, and keeps SQLite's default cache.
    let _ = db.pragma_update(None, "cache_size", -CACHE_KIB);
    db.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    db.busy_timeout(BUSY_TIMEOUT)?;
    let (guard, refused) = guard::install(&db)?;
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
        _guard: guard,
        access,
        caveat,
        source,
        deadline,
        cancelled,
        refused,
        window: Arc::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::config::DbConfig;

    /// A WAL database whose last two rows live only in a `-wal` with no `-shm` beside it.
    fn wal_without_shm(dir: &Path) -> PathBuf {
        let path = dir.join("a.db");
        let db = Connection::open(&path).unwrap();
        db.execute_batch(
            "PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES (1);
             PRAGMA wal_checkpoint(TRUNCATE); INSERT INTO t VALUES (2), (3);",
        )
        .unwrap();
        db.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)
            .unwrap();
        drop(db);
        std::fs::remove_file(sibling(&path, "-shm")).unwrap();
        path
    }

    fn rows(conn: &Conn) -> i64 {
        conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn a_private_copy_sees_the_wal_and_a_file_past_the_limit_is_read_immutable() {
        let dir = tempfile::tempdir().unwrap();
        let path = wal_without_shm(dir.path());
        let copy = open_private(&path, MAX_PRIVATE_COPY, Arc::default()).unwrap();
        assert_eq!(copy.access, Access::PrivateCopy);
        assert_eq!(rows(&copy), 3);
        assert!(!sibling(&path, "-shm").exists());
        let beside = open_beside(&copy).unwrap();
        assert_eq!(rows(&beside), 3);
        let too_big = open_private(&path, 0, Arc::default()).unwrap();
        assert_eq!(too_big.access, Access::Immutable);
        assert_eq!(rows(&too_big), 1);
        assert!(too_big.caveat.as_deref().unwrap().contains("not shown"));
    }

    #[test]
    fn an_immutable_connection_goes_stale_when_a_wal_appears() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let db = Connection::open(&path).unwrap();
        db.execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE t(x);")
            .unwrap();
        drop(db);
        assert!(wal_len(&path).is_none());
        let conn = open(&path).unwrap();
        assert_eq!(conn.access, Access::Immutable);
        assert!(!conn.is_stale(&path));
        let writer = Connection::open(&path).unwrap();
        writer.execute("INSERT INTO t VALUES (1)", []).unwrap();
        assert!(conn.is_stale(&path));
        assert_eq!(rows(&open(&path).unwrap()), 1);
    }
}
