//! Watching databases for commits by any process: what changed since the last look, per table
//! (rows now and the change), and whether the schema changed. The engine side of
//! `litescope watch`, kept apart from any output so that the TUI can use it too.
//!
//! [`files`] says when a database, its `-wal` or its `-journal` was touched (notify, debounced).
//! SQLite touches files without changing data, and a commit in WAL mode leaves the database
//! file's header alone, so a touch is only a reason to look: [`Watched::check`] asks
//! `PRAGMA data_version` on a read-only connection kept for watching, which changes exactly when
//! another connection has committed. Only then are the tables counted, as every litescope pass
//! counts (in short slices in rollback-journal mode), so that a writer is never kept waiting
//! long.
//! litescope's own reads never change `data_version`, so they never set off a check's output.

pub mod files;
pub mod look;
pub mod since;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use rusqlite::Connection;
use serde::Serialize;

use crate::engine::clock;
use crate::engine::connect::{self, Conn};
use crate::engine::error::Error;
use crate::engine::schema::{self, Detail};
use crate::engine::slices::{self, Pace};

/// One line of `watch`: a table whose row count changed, or (with `table` None) a commit that
/// changed no table's count, or the file itself deleted or replaced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub time: String,
    pub database: String,
    pub table: Option<String>,
    pub rows: Option<u64>,
    pub rows_delta: Option<i64>,
    pub schema_changed: bool,
    /// Set when the path no longer names the file watched until now.
    pub file: Option<FileEvent>,
}

/// What happened to the file itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileEvent {
    /// The path names no file any more.
    Deleted,
    /// The path names another file (moved over it, or created after a delete): it is read
    /// afresh and compared with the last look.
    Replaced,
}

/// The device and inode of the file at `path`, which tell one file from another at one path.
pub(crate) fn identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// A database being watched: its connection and what it held at the last look.
pub struct Watched {
    path: PathBuf,
    /// The path as printed.
    pub display: String,
    conn: Conn,
    /// The file the connection reads ([`identity`]); None while the path names none.
    file: Option<(u64, u64)>,
    data_version: i64,
    schema_version: i64,
    rows: BTreeMap<String, u64>,
}

impl Watched {
    /// Starts watching `path`, reading what it holds now.
    pub fn open(path: &Path, display: String) -> Result<Watched, Error> {
        let conn = connect::open_checked(path)?;
        let mut w = Watched {
            path: path.to_path_buf(),
            display,
            conn,
            file: identity(path),
            data_version: 0,
            schema_version: 0,
            rows: BTreeMap::new(),
        };
        w.look()?;
        Ok(w)
    }

    /// What changed since the last look; empty when no other connection has committed.
    pub fn check(&mut self) -> Result<Vec<Change>, Error> {
        let file = identity(&self.path);
        if file != self.file {
            return self.file_changed(file);
        }
        if file.is_none() {
            return Ok(Vec::new());
        }
        if self.conn.is_stale(&self.path) {
            // A connection that does not follow changes (immutable): open the file again.
            self.conn = connect::open(&self.path)?;
        } else if versions(&self.conn)?.0 == self.data_version {
            self.conn.end_transaction();
            return Ok(Vec::new());
        }
        let (before_schema, before_rows) = (self.schema_version, std::mem::take(&mut self.rows));
        self.look()?;
        let schema_changed = self.schema_version != before_schema;
        Ok(self.changes(&before_rows, schema_changed))
    }

    /// The path names another file, or none: say so, and read the new one afresh. A file that
    /// cannot be opened yet (being created) is tried again at the next look.
    fn file_changed(&mut self, file: Option<(u64, u64)>) -> Result<Vec<Change>, Error> {
        let Some(_) = file else {
            self.file = None;
            let mut gone = self.line(None, None, None, false);
            gone.file = Some(FileEvent::Deleted);
            return Ok(vec![gone]);
        };
        self.conn = connect::open_checked(&self.path)?;
        self.file = file;
        let (before_schema, before_rows) = (self.schema_version, std::mem::take(&mut self.rows));
        self.look()?;
        let mut out = self.changes(&before_rows, self.schema_version != before_schema);
        out.iter_mut()
            .for_each(|c| c.file = Some(FileEvent::Replaced));
        Ok(out)
    }

    /// Reads the versions and every table's row count.
    fn look(&mut self) -> Result<(), Error> {
        let read = versions(&self.conn)
            .map_err(Error::from)
            .and_then(|v| Ok((v, counts(&self.conn, &self.path)?)));
        self.conn.end_transaction();
        let ((data_version, schema_version), rows) = read?;
        self.data_version = data_version;
        self.schema_version = schema_version;
        self.rows = rows;
        Ok(())
    }

    fn line(
        &self,
        table: Option<&String>,
        rows: Option<u64>,
        rows_delta: Option<i64>,
        schema_changed: bool,
    ) -> Change {
        Change {
            time: clock::rfc3339(SystemTime::now()),
            database: self.display.clone(),
            table: table.cloned(),
            rows,
            rows_delta,
            schema_changed,
            file: None,
        }
    }

    fn changes(&self, before: &BTreeMap<String, u64>, schema_changed: bool) -> Vec<Change> {
        let mut out = Vec::new();
        let names = before
            .keys()
            .chain(self.rows.keys().filter(|k| !before.contains_key(*k)));
        let as_i64 = |n: Option<&u64>| n.map_or(0, |&n| i64::try_from(n).unwrap_or(i64::MAX));
        for name in names {
            let (old, new) = (before.get(name), self.rows.get(name));
            if old != new {
                let delta = Some(as_i64(new) - as_i64(old));
                out.push(self.line(Some(name), new.copied(), delta, schema_changed));
            }
        }
        if out.is_empty() {
            out.push(self.line(None, None, None, schema_changed));
        }
        out
    }
}

/// `PRAGMA data_version` and `PRAGMA schema_version`.
fn versions(conn: &Connection) -> Result<(i64, i64), rusqlite::Error> {
    let data = look::data_version(conn)?;
    let schema = conn.query_row("PRAGMA schema_version", [], |r| r.get(0))?;
    Ok((data, schema))
}

/// How long one look may spend counting, per table.
const COUNT_BUDGET: Duration = Duration::from_secs(30);

/// Rows of every table a user made, counted as every litescope pass counts ([`slices::count`]):
/// in rollback-journal mode in short slices, so that a writer waits at most one slice.
fn counts(conn: &Conn, path: &Path) -> Result<BTreeMap<String, u64>, Error> {
    let schema = schema::load(conn, Detail::Names)?;
    let pace = Pace::of(conn);
    let mut out = BTreeMap::new();
    for t in schema
        .tables
        .iter()
        .filter(|t| t.is_user_table() && t.has_btree() && t.queryable())
    {
        let deadline = Instant::now() + COUNT_BUDGET;
        let rows = slices::count(conn, pace, t, deadline).map_err(|e| {
            Error::invalid(
                path,
                e.describe(&format!("counting {}", t.name), COUNT_BUDGET),
            )
        })?;
        out.insert(t.name.to_string(), rows);
    }
    Ok(out)
}
