//! What changed in a database since litescope opened it: rows added or removed per table, and
//! the schema diff between the model read at opening and the one read now. The TUI's Overview
//! shows it while other processes write.

use std::collections::HashMap;

use crate::engine::database::Database;
use crate::engine::diff::{self, Diff};

/// A table whose row count moved; `None` on the side where the table did not exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rows {
    pub table: String,
    pub before: Option<u64>,
    pub now: Option<u64>,
}

impl Rows {
    /// Rows added (positive) or removed.
    pub fn delta(&self) -> i64 {
        let n = |v: Option<u64>| v.map_or(0, |v| i64::try_from(v).unwrap_or(i64::MAX));
        n(self.now) - n(self.before)
    }
}

/// Changes between two reads of one database.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Since {
    /// Tables whose exact row count changed, largest change first.
    pub rows: Vec<Rows>,
    pub schema: Diff,
}

impl Since {
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty() && self.schema.is_empty()
    }
}

/// Compares the database as `opened` with the database `now`. Counts are compared only where
/// both reads counted exactly (a measuring pass out of time leaves estimates).
pub fn since(opened: &Database, now: &Database) -> Since {
    let (before, after) = (counts(opened), counts(now));
    let mut rows: Vec<Rows> = Vec::new();
    for (key, (name, old)) in &before {
        match after.get(key) {
            Some((_, new)) if new == old => {}
            Some((_, new)) => rows.extend(moved(name, *old, *new)),
            None => rows.extend(moved(name, *old, Some(None))),
        }
    }
    for (key, (name, new)) in &after {
        if !before.contains_key(key) {
            rows.extend(moved(name, Some(None), *new));
        }
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.delta().unsigned_abs()));
    Since {
        rows,
        schema: diff::compare(&opened.schema, &now.schema),
    }
}

/// Each compared table by its lower-cased name: its name and its row count, `None` where the
/// count is an estimate.
fn counts(db: &Database) -> HashMap<String, (&str, Option<Option<u64>>)> {
    db.schema
        .tables
        .iter()
        .filter(|t| diff::compared(t))
        .map(|t| {
            let rows = t.rows_exact.then_some(t.rows);
            (t.name.to_ascii_lowercase().into(), (t.name.as_str(), rows))
        })
        .collect()
}

/// The change of one table's count, when both counts are exact (`Some(None)`: no table).
fn moved(table: &str, before: Option<Option<u64>>, now: Option<Option<u64>>) -> Option<Rows> {
    let rows = Rows {
        table: table.to_string(),
        before: before?,
        now: now?,
    };
    // A table made or dropped empty is a schema change only.
    (rows.delta() != 0).then_some(rows)
}
