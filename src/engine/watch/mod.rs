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
/// changed no table's count.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub time: String,
    pub database: String,
    pub table: Option<String>,
    pub rows: Option<u64>,
    pub rows_delta: Option<i64>,
    pub schema_changed: bool,
}

/// A database being watched: its connection and what it held at the last look.
pub struct Watched {
    path: PathBuf,
    /// The path as printed.
    pub display: String,
    conn: Conn,
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
            data_version: 0,
            schema_version: 0,
            rows: BTreeMap::new(),
        };
        w.look()?;
        Ok(w)
    }

    /// What changed since the last look; empty when no other connection has committed.
    pub fn check(&mut self) -> Result<Vec<Change>, Error> {
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

    fn changes(&self, before: &BTreeMap<String, u64>, schema_changed: bool) -> Vec<Change> {
        let time = clock::rfc3339(SystemTime::now());
        let line = |table: Option<&String>, rows: Option<u64>, delta: Option<i64>| Change {
            time: time.clone(),
            database: self.display.clone(),
            table: table.cloned(),
            rows,
            rows_delta: delta,
            schema_changed,
        };
        let mut out = Vec::new();
        let names = before
            .keys()
            .chain(self.rows.keys().filter(|k| !before.contains_key(*k)));
        for name in names {
            let (old, new) = (before.get(name), self.rows.get(name));
            if old != new {
                let as_i64 =
                    |n: Option<&u64>| n.map_or(0, |&n| i64::try_from(n).unwrap_or(i64::MAX));
                out.push(line(
                    Some(name),
                    new.copied(),
                    Some(as_i64(new) - as_i64(old)),
                ));
            }
        }
        if out.is_empty() {
            out.push(line(None, None, None));
        }
        out
    }
}

/// `PRAGMA data_version` and `PRAGMA schema_version`.
fn versions(conn: &Connection) -> Result<(i64, i64), rusqlite::Error> {
    let data = conn.query_row("PRAGMA data_version", [], |r| r.get(0))?;
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
        out.insert(t.name.clone(), rows);
    }
    Ok(out)
}
