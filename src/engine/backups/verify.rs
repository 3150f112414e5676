//! Checking a backup: right after it is written (against the snapshot it was read from), and
//! later against its manifest and the database it came from, telling a damaged backup from a
//! database that changed since.

use std::path::Path;

use serde::Serialize;

use super::create::Snapshot;
use super::hash;
use super::manifest::{self, TableRows};
use crate::engine::connect::{self, Conn};
use crate::engine::error::Error;
use crate::engine::names::escape_path;
use crate::engine::quote::ident;
use crate::units;

/// Checks a copy just written against the snapshot it was read from: integrity, schema, and the
/// bytes themselves (the same content hash as the pages read, so the copy holds the snapshot's
/// rows, page for page). Returns its tables' row counts for the manifest.
pub(super) fn fresh_copy(
    path: &Path,
    named: &Path,
    snapshot: &Snapshot,
    full: bool,
    source: &Conn,
) -> Result<Vec<TableRows>, Error> {
    let failed = |why: String| {
        Error::invalid(
            named,
            format!("the backup failed verification ({why}); nothing was kept"),
        )
    };
    if hash::file(path)? != snapshot.content_hash {
        return Err(failed("its bytes differ from the snapshot read".into()));
    }
    let conn = connect::open_tied(path, source).map_err(|e| Error::invalid(path, e.to_string()))?;
    // SQLite may fail a check outright on a damaged copy ("malformed") rather than list
    // problems: that too is a failed verification of the backup, named as such.
    let unreadable = |e: Error| match e {
        Error::Cancelled => e,
        e => failed(e.to_string()),
    };
    let integrity = integrity(&conn, full).map_err(unreadable)?;
    if integrity != "ok" {
        return Err(failed(integrity));
    }
    if hash::schema(&conn).map_err(|e| unreadable(e.into()))? != snapshot.schema_hash {
        return Err(failed("its schema differs from the snapshot's".into()));
    }
    counts(&conn).map_err(|e| unreadable(e.into()))
}

fn open(path: &Path) -> Result<Conn, Error> {
    connect::open(path).map_err(|e| Error::invalid(path, e.to_string()))
}

/// `ok`, or the first problems `quick_check` (or `integrity_check` when `full`) reports.
fn integrity(conn: &Conn, full: bool) -> Result<String, Error> {
    let pragma = if full {
        "integrity_check"
    } else {
        "quick_check"
    };
    let mut stmt = conn.prepare(&format!("PRAGMA main.{pragma}(10)"))?;
    let lines: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(lines.join("; "))
}

/// The ordinary tables (not virtual ones, whose rows live in their shadow tables).
fn tables(conn: &Conn) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT name FROM main.sqlite_schema WHERE type = 'table' \
         AND coalesce(sql, '') NOT LIKE 'CREATE VIRTUAL%' ORDER BY name",
    )?;
    let names = stmt.query_map([], |r| r.get(0))?;
    names.collect()
}

fn counts(conn: &Conn) -> rusqlite::Result<Vec<TableRows>> {
    tables(conn)?
        .into_iter()
        .map(|name| {
            let sql = format!("SELECT count(*) FROM main.{}", ident(&name));
            let rows = conn.query_row(&sql, [], |r| r.get::<_, i64>(0))?;
            Ok(TableRows {
                name,
                rows: rows as u64,
            })
        })
        .collect()
}

/// What `backup verify` found.
#[derive(Debug, Serialize)]
pub struct Verdict {
    pub ok: bool,
    /// `ok`, or what the integrity check reported.
    pub integrity: String,
    pub tables: Vec<TableCompared>,
    pub schema_match: bool,
    pub content_match: bool,
    /// The backup is intact (its bytes are those its manifest records) and the database differs
    /// from it: the database changed since, which is no fault of the backup.
    pub changed_since: bool,
    /// What failed, one line each.
    pub problems: Vec<String>,
}

impl Verdict {
    /// What a person reads: the verdict, then each problem, or each table that changed since.
    pub fn lines(&self, backup: &Path, db: &Path) -> Vec<String> {
        let head = match (self.ok, self.changed_since) {
            (true, false) => format!("ok: the backup matches {}", escape_path(db)),
            (true, true) => format!(
                "ok: the backup is intact; {} has changed since it was made",
                escape_path(db)
            ),
            (false, _) => format!("MISMATCH: {}", escape_path(backup)),
        };
        let problems = self.problems.iter().map(|p| format!("  {p}"));
        let changed = self
            .tables
            .iter()
            .filter(|t| self.changed_since && !t.rows_match)
            .map(|t| {
                let n = |r: Option<u64>| r.map_or("-".into(), units::count);
                let (now, then) = (n(t.source_rows), n(t.backup_rows));
                format!("  changed: {} (now {now}, backup {then})", t.name)
            });
        std::iter::once(head)
            .chain(problems)
            .chain(changed)
            .collect()
    }
}

#[derive(Debug, Serialize)]
pub struct TableCompared {
    pub name: String,
    pub source_rows: Option<u64>,
    pub backup_rows: Option<u64>,
    /// The rows themselves are the same (an order-independent hash of every value).
    pub rows_match: bool,
}

/// A table's row count and row hash on one side.
struct Side {
    schema: String,
    tables: Vec<(String, u64, String)>,
}

fn side(conn: &Conn) -> Result<Side, Error> {
    conn.execute_batch("BEGIN")?;
    let read = || -> rusqlite::Result<Side> {
        let schema = hash::schema(conn)?;
        let tables = counts(conn)?
            .into_iter()
            .map(|t| Ok((t.name.clone(), t.rows, hash::table_rows(conn, &t.name)?)))
            .collect::<rusqlite::Result<_>>()?;
        Ok(Side { schema, tables })
    };
    let result = read().map_err(|e| conn.explain(e));
    conn.end_transaction();
    result
}

/// What a backup says about itself: its integrity, and its bytes against its manifest.
struct Own {
    conn: Conn,
    integrity: String,
    manifest: Option<manifest::Manifest>,
    problems: Vec<String>,
}

fn own(backup: &Path, full: bool) -> Result<Own, Error> {
    let conn = open(backup)?;
    let integrity = integrity(&conn, full)?;
    let mut problems = Vec::new();
    if integrity != "ok" {
        problems.push(format!("integrity: {integrity}"));
    }
    let manifest = manifest::read(backup);
    if let Some(m) = &manifest {
        if hash::file(backup)? != m.content_hash {
            problems.push(
                "its bytes differ from those its manifest recorded: damaged or changed after it \
                 was made"
                    .into(),
            );
        }
    }
    Ok(Own {
        conn,
        integrity,
        manifest,
        problems,
    })
}

/// The problems of `backup` on its own (`quick_check`, and its bytes against its manifest);
/// empty when it is sound.
pub fn alone(backup: &Path) -> Result<Vec<String>, Error> {
    Ok(own(backup, false)?.problems)
}

/// Checks `backup` on its own (integrity, and its bytes against its manifest) and against the
/// database `db`: schema, row counts, and the rows of every table.
pub fn against(backup: &Path, db: &Path, full: bool) -> Result<Verdict, Error> {
    let Own {
        conn,
        integrity,
        manifest,
        mut problems,
    } = own(backup, full).map_err(|e| e.of(backup))?;
    if let Some(m) = manifest.as_ref().filter(|m| !same_file(&m.source, db)) {
        problems.push(format!(
            "it was made from {}, not from this database",
            m.source.display()
        ));
    }
    let intact = manifest.is_some() && problems.is_empty();
    // SQLite's errors name no file: each side's says which file it concerns.
    let b = side(&conn).map_err(|e| e.of(backup))?;
    let s = side(&open(db)?).map_err(|e| e.of(db))?;
    let tables = compare(&s, &b);
    let schema_match = s.schema == b.schema;
    let content_match = tables.iter().all(|t| t.rows_match);
    let equal = schema_match && content_match;
    let changed_since = intact && !equal;
    if !equal && !changed_since {
        problems.extend(differences(schema_match, &tables));
    }
    Ok(Verdict {
        ok: problems.is_empty(),
        integrity,
        tables,
        schema_match,
        content_match,
        changed_since,
        problems,
    })
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn compare(source: &Side, backup: &Side) -> Vec<TableCompared> {
    let mut names: Vec<&String> = source
        .tables
        .iter()
        .chain(&backup.tables)
        .map(|t| &t.0)
        .collect();
    names.sort();
    names.dedup();
    let find = |s: &Side, n: &str| {
        s.tables
            .iter()
            .find(|t| t.0 == n)
            .map(|t| (t.1, t.2.clone()))
    };
    names
        .into_iter()
        .map(|name| {
            let (s, b) = (find(source, name), find(backup, name));
            TableCompared {
                name: name.clone(),
                source_rows: s.as_ref().map(|t| t.0),
                backup_rows: b.as_ref().map(|t| t.0),
                rows_match: s.is_some() && s == b,
            }
        })
        .collect()
}

fn differences(schema_match: bool, tables: &[TableCompared]) -> Vec<String> {
    let schema = (!schema_match).then(|| "the schema differs".to_string());
    let rows = tables.iter().filter(|t| !t.rows_match).map(|t| {
        let n = |r: Option<u64>| r.map_or("no table".into(), |r| format!("{r} rows"));
        format!(
            "table {}: database {}, backup {}{}",
            t.name,
            n(t.source_rows),
            n(t.backup_rows),
            if t.source_rows == t.backup_rows {
                " (the same count, different rows)"
            } else {
                ""
            }
        )
    });
    schema.into_iter().chain(rows).collect()
}
