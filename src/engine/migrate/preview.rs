//! The dry run: a plan applied to a private copy of the database, in memory when it is small and
//! in a temporary folder otherwise, and what it changed there: tables and columns added, dropped
//! and changed, and row counts per table before and after. The database itself is only read (one
//! consistent snapshot, through SQLite's backup API on the read-only connection); the copy is
//! gone when the preview is done.

use std::collections::BTreeMap;

use rusqlite::{Connection, MAIN_DB};
use serde::Serialize;

use super::run::{apply_all, Event, Outcome, Plan};
use crate::engine::connect::Conn;
use crate::engine::error::Error;
use crate::engine::quote::ident;
use crate::engine::write::{Hold, Writer};

/// A table's columns (name and declared type, with NOT NULL, default and key) and rows.
#[derive(Debug, Clone, PartialEq)]
struct Shape {
    columns: Vec<(String, String)>,
    rows: i64,
}

/// What a table's columns became.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableChange {
    pub table: String,
    pub columns_added: Vec<String>,
    pub columns_dropped: Vec<String>,
    pub columns_changed: Vec<String>,
}

/// A table's rows before and after (none where the table did not exist).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rows {
    pub table: String,
    pub before: Option<i64>,
    pub after: Option<i64>,
}

/// What the plan changes, as seen on the copy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preview {
    pub tables_added: Vec<String>,
    pub tables_dropped: Vec<String>,
    pub tables_changed: Vec<TableChange>,
    pub rows: Vec<Rows>,
}

impl Preview {
    /// The change as lines for a person: `+ table t`, `~ column t.c: … -> …`, then each
    /// table's rows before and after.
    pub fn lines(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        out.extend(self.tables_added.iter().map(|t| format!("  + table {t}")));
        out.extend(self.tables_dropped.iter().map(|t| format!("  - table {t}")));
        for c in &self.tables_changed {
            let t = &c.table;
            out.extend(
                c.columns_added
                    .iter()
                    .map(|col| format!("  + column {t}.{col}")),
            );
            out.extend(
                c.columns_dropped
                    .iter()
                    .map(|col| format!("  - column {t}.{col}")),
            );
            out.extend(
                c.columns_changed
                    .iter()
                    .map(|col| format!("  ~ column {t}.{col}")),
            );
        }
        out.push(String::new());
        out.push("rows before -> after".into());
        let n = |v: Option<i64>| v.map_or("-".to_string(), |n| n.to_string());
        out.extend(
            self.rows
                .iter()
                .map(|r| format!("  {}: {} -> {}", r.table, n(r.before), n(r.after))),
        );
        out
    }
}

/// Databases up to this size are copied into memory for a dry run; larger ones to a temporary
/// file, so that a dry run never needs the database's size in memory.
const IN_MEMORY_UP_TO: i64 = 64 << 20;

/// Applies `plan` to a private copy of its database read through `source`, and compares.
pub fn dry_run(
    plan: &Plan,
    source: &Conn,
    progress: &mut dyn FnMut(Event),
) -> Result<(Outcome, Preview), Error> {
    let dir = tempfile::tempdir().map_err(|e| Error::io(&std::env::temp_dir(), e))?;
    let copy = dir.path().join("dry-run.db");
    let size: i64 = source
        .query_row(
            "SELECT page_count * page_size FROM pragma_page_count, pragma_page_size",
            [],
            |r| r.get(0),
        )
        .map_err(|e| Error::invalid(&plan.db, e.to_string()))?;
    let mut writer = match size <= IN_MEMORY_UP_TO {
        true => Writer::in_memory_copy(source, &copy)?,
        false => {
            source
                .backup(MAIN_DB, &copy, None::<fn(rusqlite::backup::Progress)>)
                .map_err(|e| Error::invalid(&plan.db, format!("cannot copy for a dry run: {e}")))?;
            Writer::open(&copy, Hold::WriteLock)?
        }
    };
    source.end_transaction();
    let mut outcome = Outcome::start(plan);
    let cancel = source.cancel_flag();
    writer.stop_on(cancel.clone())?;
    let before = shapes(writer.conn()).map_err(|e| Error::invalid(&plan.db, e.to_string()))?;
    let on_copy = Plan {
        db: copy.clone(),
        ..plan.clone()
    };
    apply_all(&on_copy, writer.conn(), &cancel, &mut outcome, progress)?;
    let after = shapes(writer.conn()).map_err(|e| Error::invalid(&plan.db, e.to_string()))?;
    Ok((outcome, compare(&before, &after)))
}

/// Every table but SQLite's own, with its shape.
fn shapes(conn: &Connection) -> rusqlite::Result<BTreeMap<String, Shape>> {
    let mut stmt = conn.prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
    )?;
    let names: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = BTreeMap::new();
    for name in names {
        let mut cols = conn.prepare(
            "SELECT name, type || CASE WHEN \"notnull\" THEN ' NOT NULL' ELSE '' END \
             || coalesce(' DEFAULT ' || dflt_value, '') || CASE WHEN pk THEN ' PRIMARY KEY' ELSE '' END \
             FROM pragma_table_info(?1)",
        )?;
        let columns = cols
            .query_map([&name], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let rows = conn.query_row(&format!("SELECT count(*) FROM {}", ident(&name)), [], |r| {
            r.get(0)
        })?;
        out.insert(name, Shape { columns, rows });
    }
    Ok(out)
}

fn compare(before: &BTreeMap<String, Shape>, after: &BTreeMap<String, Shape>) -> Preview {
    let names_only = |a: &BTreeMap<String, Shape>, b: &BTreeMap<String, Shape>| {
        a.keys().filter(|k| !b.contains_key(*k)).cloned().collect()
    };
    let tables_changed = before
        .iter()
        .filter_map(|(name, b)| Some((name, b, after.get(name)?)))
        .filter_map(|(name, b, a)| columns_change(name, &b.columns, &a.columns))
        .collect();
    let mut all: Vec<&String> = before.keys().chain(after.keys()).collect();
    all.sort();
    all.dedup();
    let rows = all
        .into_iter()
        .map(|t| Rows {
            table: t.clone(),
            before: before.get(t).map(|s| s.rows),
            after: after.get(t).map(|s| s.rows),
        })
        .collect();
    Preview {
        tables_added: names_only(after, before),
        tables_dropped: names_only(before, after),
        tables_changed,
        rows,
    }
}

fn columns_change(
    table: &str,
    before: &[(String, String)],
    after: &[(String, String)],
) -> Option<TableChange> {
    let find = |cols: &[(String, String)], name: &str| {
        cols.iter().find(|(n, _)| n == name).map(|(_, d)| d.clone())
    };
    let missing = |a: &[(String, String)], b: &[(String, String)]| -> Vec<String> {
        a.iter()
            .filter(|(n, _)| find(b, n).is_none())
            .map(|(n, _)| n.clone())
            .collect()
    };
    let columns_changed: Vec<String> = before
        .iter()
        .filter_map(|(n, d)| {
            let now = find(after, n)?;
            (now != *d).then(|| format!("{n}: {d} -> {now}"))
        })
        .collect();
    let change = TableChange {
        table: table.to_string(),
        columns_added: missing(after, before),
        columns_dropped: missing(before, after),
        columns_changed,
    };
    let same = change.columns_added.is_empty()
        && change.columns_dropped.is_empty()
        && change.columns_changed.is_empty();
    (!same).then_some(change)
}
