//! Changing only the record, never the schema: `baseline` records migrations as applied without
//! running them (a database older than its tracking), and `repair` clears a dirty or failed
//! record once the schema shows where the database really is.
//!
//! Where it really is: the schema the folder's migrations build up to the failed version, and up
//! to the one before it, are built in memory and compared with the database's: every table with
//! its columns (name, type, NOT NULL, key) and the names of indexes, views and triggers, the
//! tracking table left out. Not the SQL text: a down migration rebuilds a table in its own
//! words, and the same table must still compare equal. The record
//! follows the one that matches; when neither does, repair refuses and says so.

use std::path::Path;

use rusqlite::Connection;

use super::folder::Folder;
use super::records::read_records;
use super::run::{self, Direction, Done, Outcome};
use super::status::{compare, State};
use super::{track, tracking, Kind, Tracking, Version};
use crate::engine::error::Error;
use crate::engine::write::{Hold, Writer};

/// Records every pending migration up to `to` as applied, in one transaction, without running
/// any; the tracking is chosen as for a run (`kind` when the database has none).
pub fn baseline(
    db: &Path,
    folder: Folder,
    to: Version,
    kind: Option<Kind>,
) -> Result<Outcome, Error> {
    let writer = Writer::open(db, Hold::WriteLock)?;
    let conn = writer.conn();
    let direction = Direction::Up { to: Some(to) };
    let plan = run::plan(conn, db, folder, direction, kind, false)?;
    let sql_err = |e: rusqlite::Error| Error::invalid(db, e.to_string());
    let recorded = in_transaction(conn, || {
        if plan.creates_tracking {
            track::create(conn, &plan.tracking)?;
        }
        let mut done = Vec::new();
        for p in &plan.steps {
            let Some(m) = plan.folder.get(&p.version) else {
                continue;
            };
            track::applied(conn, &plan.tracking, m, 0.0)?;
            done.push(Done {
                version: p.version.clone(),
                name: p.name.clone(),
                millis: 0.0,
            });
        }
        Ok(done)
    })
    .map_err(sql_err)?;
    Ok(Outcome {
        database: db.to_path_buf(),
        backup: None,
        tracking: plan.tracking,
        applied: recorded,
        failed: None,
    })
}

/// What repair did with a failed record.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Repaired {
    pub version: Version,
    /// `applied` (the schema is at this version) or `reverted` (it is at the one before).
    pub now: &'static str,
}

/// Clears every failed or dirty record of the database at `db` against `folder`.
pub fn repair(db: &Path, folder: &Folder) -> Result<(Tracking, Vec<Repaired>), Error> {
    let writer = Writer::open(db, Hold::WriteLock)?;
    let conn = writer.conn();
    let sql_err = |e: rusqlite::Error| Error::invalid(db, e.to_string());
    let tracking = tracking(conn).map_err(sql_err)?;
    let recorded = read_records(conn, &tracking).map_err(sql_err)?;
    let rows = compare(folder, &tracking, &recorded);
    let failed: Vec<Version> = rows
        .iter()
        .filter(|r| r.state == State::Failed)
        .map(|r| r.version.clone())
        .collect();
    let actual = schema_of(conn, &tracking).map_err(sql_err)?;
    let mut repaired = Vec::new();
    for version in failed {
        let before = folder
            .migrations
            .iter()
            .map(|m| &m.version)
            .filter(|v| **v < version)
            .max()
            .cloned();
        let now = if built(folder, Some(&version)).as_ref() == Some(&actual) {
            "applied"
        } else if built(folder, before.as_ref()).as_ref() == Some(&actual) {
            "reverted"
        } else {
            let why = format!(
                "version {version} is recorded as failed and the schema matches neither it nor \
                 the version before: fix the schema by hand or restore a backup, then repair"
            );
            return Err(Error::invalid(db, why));
        };
        in_transaction(conn, || {
            clear(conn, &tracking, &version, before.as_ref(), now)
        })
        .map_err(sql_err)?;
        repaired.push(Repaired { version, now });
    }
    Ok((tracking, repaired))
}

/// Rewrites the failed record of `version`: as applied, or gone (the database at `before`).
fn clear(
    conn: &Connection,
    tracking: &Tracking,
    version: &Version,
    before: Option<&Version>,
    now: &str,
) -> rusqlite::Result<()> {
    let table = super::quote_table(tracking);
    let applied = now == "applied";
    let version_text = version.as_str();
    match tracking.kind {
        Kind::GolangMigrate | Kind::UserVersion => {
            let at = if applied { Some(version) } else { before };
            track::set_current(conn, tracking, at, false)
        }
        _ if applied => conn
            .execute(
                &format!("UPDATE {table} SET success = 1 WHERE CAST(version AS TEXT) = ?1"),
                [version_text],
            )
            .map(drop),
        _ => conn
            .execute(
                &format!("DELETE FROM {table} WHERE CAST(version AS TEXT) = ?1"),
                [version_text],
            )
            .map(drop),
    }
}

fn in_transaction<T>(
    conn: &Connection,
    f: impl FnOnce() -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    conn.execute_batch("BEGIN")?;
    match f() {
        Ok(v) => conn.execute_batch("COMMIT").map(|()| v),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// The schema the folder's migrations build up to `to` (none: the empty schema), in memory;
/// none when one of them fails there.
fn built(folder: &Folder, to: Option<&Version>) -> Option<Vec<(String, String)>> {
    let conn = Connection::open_in_memory().ok()?;
    conn.execute_batch("PRAGMA foreign_keys=OFF").ok()?;
    for m in &folder.migrations {
        if to.is_none_or(|to| m.version > *to) {
            break;
        }
        conn.execute_batch(&m.up).ok()?;
        if !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
            return None;
        }
    }
    let none = Tracking {
        kind: Kind::None,
        table: None,
    };
    schema_of(&conn, &none).ok()
}

/// Every schema object's name and, for a table, its columns; the tracking table and SQLite's
/// own left out.
fn schema_of(conn: &Connection, tracking: &Tracking) -> rusqlite::Result<Vec<(String, String)>> {
    let skip = tracking.table.clone().unwrap_or_default();
    let mut stmt = conn.prepare(
        "SELECT s.type || ' ' || s.name, coalesce((SELECT group_concat(c.name || ' ' || \
         upper(c.type) || ' ' || c.\"notnull\" || ' ' || c.pk, ', ') \
         FROM pragma_table_info(s.name) AS c WHERE s.type = 'table'), '') \
         FROM sqlite_schema AS s \
         WHERE s.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND s.tbl_name <> ?1 ORDER BY s.name",
    )?;
    let rows = stmt.query_map([skip], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}
