//! The data diff: the rows of the tables both sides hold, matched by primary key: rows only in
//! A, only in B, and rows whose other columns differ, per table, with a few keys as samples.
//!
//! Both sides are read in key order and merged, so memory stays flat however large the tables:
//! each side is read [`CHUNK`] rows per statement, the next statement resuming after the last key
//! read (as litescope's other passes read, see `slices`), so that a rollback-journal database's
//! read lock is dropped between statements and a writer never waits long; in WAL mode the chunks
//! share one read transaction, so that each side is one snapshot. Each difference goes
//! to a callback as it is found (the `--sql` output writes it out at once). Keys are ordered as
//! SQLite's BINARY collation orders them (a key column declared with another collation is read
//! `COLLATE BINARY`), which is the order the merge compares in. Only the columns both sides have are compared. A table without
//! a declared primary key, or whose key differs between the sides, is skipped with the reason.

use std::cmp::Ordering;

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection};
use serde::Serialize;

use super::{compared, ordinary};
use crate::engine::connect::Conn;
use crate::engine::quote::{ident, ident_list};
use crate::engine::schema::{definition, Schema, Table};
use crate::engine::slices::Pace;

/// One table's differences.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TableRows {
    pub table: String,
    pub key: Vec<String>,
    pub only_in_a: u64,
    pub only_in_b: u64,
    pub changed: u64,
    /// The first keys of each kind of difference.
    pub samples: Samples,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Samples {
    pub only_in_a: Vec<Vec<serde_json::Value>>,
    pub only_in_b: Vec<Vec<serde_json::Value>>,
    pub changed: Vec<Vec<serde_json::Value>>,
}

/// A table in both that was not compared, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Skipped {
    pub table: String,
    pub why: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DataDiff {
    pub tables: Vec<TableRows>,
    pub skipped: Vec<Skipped>,
}

impl DataDiff {
    pub fn is_empty(&self) -> bool {
        self.tables
            .iter()
            .all(|t| t.only_in_a + t.only_in_b + t.changed == 0)
    }
}

/// One row difference, as the merge finds it.
pub enum Row<'a> {
    /// A row only A has: its key.
    OnlyInA(&'a [Value]),
    /// A row only B has: all its compared columns, key first.
    OnlyInB(&'a [Value]),
    /// The row's key and B's values of the columns that differ.
    Changed(&'a [Value], Vec<(&'a str, &'a Value)>),
}

/// The table being compared: its name, key columns and every compared column, key first.
pub struct Shape<'a> {
    pub table: &'a str,
    pub key: &'a [String],
    pub columns: &'a [String],
}

/// Compares every table both schemas hold, reading A through `ca` and B through `cb`;
/// `on_row` sees each difference as it is found.
pub fn compare(
    ca: &Conn,
    cb: &Conn,
    a: &Schema,
    b: &Schema,
    sample: usize,
    on_row: &mut dyn FnMut(&Shape, Row),
) -> rusqlite::Result<DataDiff> {
    one_snapshot(ca)?;
    one_snapshot(cb)?;
    let mut out = DataDiff::default();
    for ta in a.tables.iter().filter(|t| compared(t) && ordinary(t)) {
        let Some(tb) = b.table(&ta.name).filter(|t| ordinary(t)) else {
            continue;
        };
        match plan(ta, tb) {
            Err(why) => out.skipped.push(Skipped {
                table: ta.name.to_string(),
                why: why.into(),
            }),
            Ok((key, columns)) => {
                let shape = Shape {
                    table: &ta.name,
                    key: &key,
                    columns: &columns,
                };
                out.tables.push(table(
                    ca,
                    cb,
                    &shape,
                    binary_order(ta),
                    rowid(ta, tb),
                    sample,
                    on_row,
                )?);
            }
        }
    }
    Ok(out)
}

/// Where reading delays no writer (WAL mode, or a connection that takes no lock), every chunk is
/// read in one read transaction, so that each side is one snapshot even while an application
/// commits; the caller ends it ([`Conn::end_transaction`]). In rollback-journal mode each chunk
/// is a statement of its own, so that the read lock is dropped between chunks.
fn one_snapshot(conn: &Conn) -> rusqlite::Result<()> {
    match Pace::of(conn) {
        Pace::Whole => conn.execute_batch("BEGIN"),
        Pace::Slices => Ok(()),
    }
}

/// The key and the compared columns (key first), or why the table cannot be compared.
fn plan(ta: &Table, tb: &Table) -> Result<(Vec<String>, Vec<String>), &'static str> {
    if !ta.queryable() || !tb.queryable() {
        return Err("a name is not UTF-8");
    }
    let key = ta.primary_key();
    if key.is_empty() {
        return Err("no primary key");
    }
    let lower = |k: Vec<String>| k.join(",").to_ascii_lowercase();
    if lower(key.clone()) != lower(tb.primary_key()) {
        return Err("the primary keys differ");
    }
    let rest = ta
        .columns
        .iter()
        .filter(|c| !c.hidden && c.pk == 0 && tb.column(&c.name).is_some_and(|x| !x.hidden));
    let columns = key
        .iter()
        .cloned()
        .chain(rest.map(|c| c.name.to_string()))
        .collect();
    Ok((key, columns))
}

/// A name of the rowid that no column of either side hides, for a table that has one on both.
fn rowid(ta: &Table, tb: &Table) -> Option<&'static str> {
    if ta.without_rowid || tb.without_rowid {
        return None;
    }
    ["rowid", "_rowid_", "oid"]
        .into_iter()
        .find(|n| ta.column(n).is_none() && tb.column(n).is_none())
}

/// Key columns declared with a collation other than BINARY, which must be read `COLLATE
/// BINARY` for the merge's order to be SQLite's.
fn binary_order(t: &Table) -> Vec<String> {
    let Some(d) = t.sql.as_deref().and_then(definition) else {
        return Vec::new();
    };
    d.columns
        .iter()
        .filter(|c| {
            c.collation
                .as_deref()
                .is_some_and(|x| !x.eq_ignore_ascii_case("BINARY"))
        })
        .map(|c| c.name.to_ascii_lowercase())
        .collect()
}

/// Rows read per statement: each statement ends, and with it a rollback-journal reader's read
/// lock, long before a writer's busy timeout.
const CHUNK: usize = 1000;

/// One side's rows in key order, read a chunk at a time.
struct Side<'c> {
    conn: &'c Connection,
    sql: Keyset,
    rows: std::vec::IntoIter<Vec<Value>>,
    last: Option<Vec<Value>>,
    done: bool,
    width: usize,
    keys: usize,
}

/// The statements of a keyed read: the first chunk, the next after a key, and the next after a
/// key holding NULL (NULL sorts first, and a comparison with NULL is never true).
struct Keyset {
    first: String,
    next: String,
    next_after_null: String,
}

impl Keyset {
    /// `rowid` names a rowid table's rowid: it follows the key in the order, so that rows whose
    /// keys hold NULL (which a rowid table's key may, several times) are still resumed exactly.
    fn new(shape: &Shape, binary: &[String], rowid: Option<&str>) -> Keyset {
        let keys: Vec<String> = shape
            .key
            .iter()
            .map(|k| match binary.contains(&k.to_ascii_lowercase()) {
                true => format!("{} COLLATE BINARY", ident(k)),
                false => ident(k),
            })
            .chain(rowid.map(str::to_string))
            .collect();
        let extra = rowid.map(|r| format!(", {r}")).unwrap_or_default();
        let head = format!(
            "SELECT {}{extra} FROM main.{}",
            ident_list(shape.columns),
            ident(shape.table)
        );
        let tail = format!("ORDER BY {} LIMIT {CHUNK}", keys.join(", "));
        let params: Vec<String> = (1..=keys.len()).map(|i| format!("?{i}")).collect();
        let after_null: Vec<String> = (0..keys.len())
            .map(|i| {
                let same = (0..i).map(|j| format!("{} IS ?{} AND ", keys[j], j + 1));
                let k = &keys[i];
                let p = i + 1;
                format!(
                    "({}({k} > ?{p} OR (?{p} IS NULL AND {k} IS NOT NULL)))",
                    same.collect::<String>()
                )
            })
            .collect();
        Keyset {
            first: format!("{head} {tail}"),
            next: format!(
                "{head} WHERE ({}) > ({}) {tail}",
                keys.join(", "),
                params.join(", ")
            ),
            next_after_null: format!("{head} WHERE {} {tail}", after_null.join(" OR ")),
        }
    }
}

impl Side<'_> {
    fn next(&mut self) -> rusqlite::Result<Option<Vec<Value>>> {
        if let Some(row) = self.rows.next() {
            return Ok(Some(row));
        }
        if self.done {
            return Ok(None);
        }
        self.fill()?;
        Ok(self.rows.next())
    }

    /// Reads the next chunk, in a statement of its own.
    fn fill(&mut self) -> rusqlite::Result<()> {
        let (sql, after) = match &self.last {
            None => (&self.sql.first, Vec::new()),
            Some(last) if last.contains(&Value::Null) => (&self.sql.next_after_null, last.clone()),
            Some(last) => (&self.sql.next, last.clone()),
        };
        let mut stmt = self.conn.prepare_cached(sql)?;
        let read = stmt.column_count();
        let mut rows: Vec<Vec<Value>> = stmt
            .query_map(params_from_iter(after), |r| {
                (0..read).map(|i| r.get::<_, Value>(i)).collect()
            })?
            .collect::<rusqlite::Result<_>>()?;
        self.done = rows.len() < CHUNK;
        self.last = rows
            .last()
            .map(|r| [&r[..self.keys], &r[self.width..]].concat());
        // The rowid was read only to resume by.
        rows.iter_mut().for_each(|r| r.truncate(self.width));
        self.rows = rows.into_iter();
        Ok(())
    }
}

fn table(
    ca: &Connection,
    cb: &Connection,
    shape: &Shape,
    binary: Vec<String>,
    rowid: Option<&str>,
    sample: usize,
    on_row: &mut dyn FnMut(&Shape, Row),
) -> rusqlite::Result<TableRows> {
    let width = shape.columns.len();
    let n = shape.key.len();
    let side = |conn| Side {
        conn,
        sql: Keyset::new(shape, &binary, rowid),
        rows: Vec::new().into_iter(),
        last: None,
        done: false,
        width,
        keys: n,
    };
    let (mut ra, mut rb) = (side(ca), side(cb));
    let mut out = TableRows {
        table: shape.table.to_string(),
        key: shape.key.to_vec(),
        ..TableRows::default()
    };
    let mut x = ra.next()?;
    let mut y = rb.next()?;
    loop {
        let order = match (&x, &y) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(x), Some(y)) => compare_keys(&x[..n], &y[..n]),
        };
        match order {
            Ordering::Less => {
                let row = x.take().unwrap_or_default();
                out.only_in_a += 1;
                keep(&mut out.samples.only_in_a, &row[..n], sample);
                on_row(shape, Row::OnlyInA(&row[..n]));
                x = ra.next()?;
            }
            Ordering::Greater => {
                let row = y.take().unwrap_or_default();
                out.only_in_b += 1;
                keep(&mut out.samples.only_in_b, &row[..n], sample);
                on_row(shape, Row::OnlyInB(&row));
                y = rb.next()?;
            }
            Ordering::Equal => {
                let (row_a, row_b) = (x.take().unwrap_or_default(), y.take().unwrap_or_default());
                let differs: Vec<(&str, &Value)> = (n..width)
                    .filter(|&i| row_a[i] != row_b[i])
                    .map(|i| (shape.columns[i].as_str(), &row_b[i]))
                    .collect();
                if !differs.is_empty() {
                    out.changed += 1;
                    keep(&mut out.samples.changed, &row_b[..n], sample);
                    on_row(shape, Row::Changed(&row_b[..n], differs));
                }
                x = ra.next()?;
                y = rb.next()?;
            }
        }
    }
    Ok(out)
}

fn keep(samples: &mut Vec<Vec<serde_json::Value>>, key: &[Value], sample: usize) {
    if samples.len() < sample {
        samples.push(key.iter().map(json).collect());
    }
}

/// A value for JSON: a blob as its hex text.
fn json(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Integer(i) => (*i).into(),
        Value::Real(f) => (*f).into(),
        Value::Text(t) => t.clone().into(),
        Value::Blob(b) => format!("x'{}'", hex(b)).into(),
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// SQLite's order of values under BINARY: NULL, then numbers by value, then text and blobs by
/// their bytes.
fn compare_keys(a: &[Value], b: &[Value]) -> Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| compare_value(x, y))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

fn compare_value(a: &Value, b: &Value) -> Ordering {
    let class = |v: &Value| match v {
        Value::Null => 0,
        Value::Integer(_) | Value::Real(_) => 1,
        Value::Text(_) => 2,
        Value::Blob(_) => 3,
    };
    match (a, b) {
        (Value::Integer(x), Value::Integer(y)) => x.cmp(y),
        (Value::Integer(x), Value::Real(y)) => (*x as f64).total_cmp(y),
        (Value::Real(x), Value::Integer(y)) => x.total_cmp(&(*y as f64)),
        (Value::Real(x), Value::Real(y)) => x.total_cmp(y),
        (Value::Text(x), Value::Text(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Value::Blob(x), Value::Blob(y)) => x.cmp(y),
        _ => class(a).cmp(&class(b)),
    }
}
