//! One column of a rowid table read through an index on it, in slices: an index holds a fraction
//! of the table's bytes. Entries come in index order, NULLs first, then each value's rows by
//! rowid, and each statement resumes by an exact seek: `col IS NULL AND rowid > ?`, then
//! `col = ? AND rowid > ?` for the rest of a value's rows, then `col > ?`. SQLite seeks a row
//! value that ends in the rowid, `(col, rowid) > (?, ?)`, on `col` alone, so a value held by many
//! rows would be read again from its first row in every slice.

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection};

use super::{limit, OnRow, Resumable, MIN_ROWS};
use crate::engine::quote::ident;
use crate::engine::schema::Table;

/// Where a sliced read of the index stands.
#[derive(Clone)]
enum At {
    /// In the NULL entries, after this rowid.
    Nulls(Option<i64>),
    /// At the first value that is not NULL.
    Values,
    /// In this value's entries, after this rowid.
    Run(Value, i64),
    /// After every entry of this value.
    After(Value),
}

/// Reads `column` of a rowid table through whichever index SQLite picks for it; each row holds
/// the rowid at 0 and the value at 1. See [`IndexScan::served`] for the check that an index
/// serves every statement.
pub struct IndexScan<'a> {
    whole: String,
    nulls: [String; 2],
    values: String,
    run: String,
    after: String,
    at: At,
    moved: bool,
    on_row: &'a mut OnRow<'a>,
}

impl<'a> IndexScan<'a> {
    pub fn new(table: &Table, column: &str, on_row: &'a mut OnRow<'a>) -> IndexScan<'a> {
        let col = format!("c.{}", ident(column));
        let select = format!(
            "SELECT c.rowid, {col} FROM main.{} AS c",
            ident(&table.name)
        );
        IndexScan {
            whole: select.clone(),
            nulls: [
                format!("{select} WHERE {col} IS NULL ORDER BY c.rowid LIMIT ?1"),
                format!("{select} WHERE {col} IS NULL AND c.rowid > ?2 ORDER BY c.rowid LIMIT ?1"),
            ],
            values: format!("{select} WHERE {col} IS NOT NULL ORDER BY {col}, c.rowid LIMIT ?1"),
            run: format!("{select} WHERE {col} = ?2 AND c.rowid > ?3 ORDER BY c.rowid LIMIT ?1"),
            after: format!("{select} WHERE {col} > ?2 ORDER BY {col}, c.rowid LIMIT ?1"),
            at: At::Nulls(None),
            moved: false,
            on_row,
        }
    }

    /// True when SQLite reads every sliced statement from a covering index, in its order: no
    /// table rows, no sort. An index whose collation is not the column's, or that has columns
    /// after this one (the rows of a value are then not in rowid order), does not serve.
    pub fn served(&self, db: &Connection) -> rusqlite::Result<bool> {
        for sql in [&self.nulls[1], &self.values, &self.run, &self.after] {
            let mut stmt = db.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
            // Planned with its parameters unbound, as every plan here is.
            let mut rows = stmt.raw_query();
            let mut details: Vec<String> = Vec::new();
            while let Some(r) = rows.next()? {
                details.push(r.get(3)?);
            }
            let indexed = matches!(details.as_slice(),
                [only] if only.starts_with("SEARCH c USING COVERING INDEX "));
            if !indexed {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

impl Resumable for IndexScan<'_> {
    fn step(&mut self, db: &Connection, rows: Option<u64>) -> rusqlite::Result<bool> {
        self.moved = false;
        let Some(n) = rows else {
            let mut stmt = db.prepare_cached(&self.whole)?;
            let mut found = stmt.query([])?;
            while let Some(row) = found.next()? {
                if (self.on_row)(row)?.is_break() {
                    break;
                }
            }
            return Ok(true);
        };
        let started = self.at.clone();
        let (sql, after): (&str, Vec<Value>) = match &started {
            At::Nulls(None) => (&self.nulls[0], vec![]),
            At::Nulls(Some(r)) => (&self.nulls[1], vec![Value::Integer(*r)]),
            At::Values => (&self.values, vec![]),
            At::Run(v, r) => (&self.run, vec![v.clone(), Value::Integer(*r)]),
            At::After(v) => (&self.after, vec![v.clone()]),
        };
        let mut stmt = db.prepare_cached(sql)?;
        let params = std::iter::once(Value::Integer(limit(n))).chain(after);
        let mut found = stmt.query(params_from_iter(params))?;
        let mut read = 0;
        while let Some(row) = found.next()? {
            if (self.on_row)(row)?.is_break() {
                return Ok(true);
            }
            let rowid: i64 = row.get(0)?;
            self.at = match &started {
                At::Nulls(_) => At::Nulls(Some(rowid)),
                _ => At::Run(row.get(1)?, rowid),
            };
            self.moved = true;
            read += 1;
        }
        if read == n {
            return Ok(false);
        }
        // This statement's entries are all read: go on to the next part of the index.
        self.at = match started {
            At::Nulls(_) => At::Values,
            At::Run(v, _) => At::After(v),
            At::Values | At::After(_) => return Ok(true),
        };
        Ok(false)
    }

    /// Entries read before the cut are kept, so a cut read goes on from there.
    fn cut(&mut self, rows: u64) -> bool {
        self.moved || rows > MIN_ROWS
    }
}
