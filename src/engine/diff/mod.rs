//! The schema diff: what differs between two schemas, object by object and column by column,
//! and (in [`sql`]) the SQL that turns one into the other.
//!
//! Both sides are the schema model ([`Schema`]) read once per database: columns, keys and
//! indexes come from the loader, and what the columns pragma never says (collation, CHECKs,
//! each column's text) from [`schema::definition`], a second reading of the CREATE TABLE text
//! already at hand. No pragma runs per table, so two 10,000-table schemas compare in well under
//! a second. SQLite's own tables (`sqlite_sequence`, `sqlite_stat1`, …) and the shadow tables
//! of virtual tables are no differences: SQLite makes them.
//!
//! [`data`] compares rows; [`read`] opens a database file for either side; [`drift`] builds the schema a migrations
//! folder makes.

pub mod data;
pub mod drift;
mod objects;
pub mod read;
pub mod rows_sql;
pub mod sql;
mod tables;

use std::collections::HashMap;

use serde::Serialize;

use crate::engine::schema::{self, Schema, Table, TableKind};

/// An object present on one side only.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Object {
    #[serde(rename = "type")]
    pub kind: Kind,
    pub name: String,
}

/// The kinds of object `sqlite_schema` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Table,
    Index,
    View,
    Trigger,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Table => "table",
            Kind::Index => "index",
            Kind::View => "view",
            Kind::Trigger => "trigger",
        }
    }
}

/// One fact of an object that differs: `a` and `b` are its value on each side, `None` where the
/// side lacks it (a column added has no `a`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub what: String,
    pub a: Option<String>,
    pub b: Option<String>,
    /// The column that came, went or was renamed, for the SQL that can `ALTER` instead of
    /// rebuilding.
    #[serde(skip)]
    pub column: Option<Column>,
}

impl Change {
    fn new(what: impl Into<String>, a: Option<String>, b: Option<String>) -> Change {
        Change {
            what: what.into(),
            a,
            b,
            column: None,
        }
    }
}

/// A column that came, went or was renamed.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    Added(String),
    Dropped(String),
    /// From the first name to the second.
    Renamed(String, String),
}

/// An object on both sides whose facts differ.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Changed {
    #[serde(rename = "type")]
    pub kind: Kind,
    pub name: String,
    pub changes: Vec<Change>,
}

/// What differs between side A and side B, each list sorted by kind then name.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Diff {
    pub only_in_a: Vec<Object>,
    pub only_in_b: Vec<Object>,
    pub changed: Vec<Changed>,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.only_in_a.is_empty() && self.only_in_b.is_empty() && self.changed.is_empty()
    }

    pub fn changed(&self, kind: Kind, name: &str) -> Option<&Changed> {
        self.changed
            .iter()
            .find(|c| c.kind == kind && c.name.eq_ignore_ascii_case(name))
    }

    fn sort(&mut self) {
        let key = |k: Kind, n: &str| (k, n.to_ascii_lowercase());
        self.only_in_a.sort_by_key(|o| key(o.kind, &o.name));
        self.only_in_b.sort_by_key(|o| key(o.kind, &o.name));
        self.changed.sort_by_key(|c| key(c.kind, &c.name));
    }
}

/// The tables a diff compares: a user's, not SQLite's own nor a virtual table's storage.
pub fn compared(table: &Table) -> bool {
    table.is_user_table()
}

/// Compares `a` with `b`.
pub fn compare(a: &Schema, b: &Schema) -> Diff {
    let mut diff = Diff::default();
    tables::compare(a, b, &mut diff);
    objects::compare(a, b, &mut diff);
    diff.sort();
    diff
}

/// Names (lower-cased) to items, for matching one side's objects against the other's.
fn by_name<'a, T: 'a>(
    items: impl Iterator<Item = &'a T>,
    name: impl Fn(&'a T) -> &'a str,
) -> HashMap<String, &'a T> {
    items.map(|i| (name(i).to_ascii_lowercase(), i)).collect()
}

/// True for an ordinary table: one whose columns and constraints are compared fact by fact
/// (a virtual table is compared by its definition).
fn ordinary(table: &Table) -> bool {
    table.kind == TableKind::Table
}

/// `sql` [`schema::normalized`], or as written where it cannot be read as tokens.
fn normal(sql: &str) -> String {
    schema::normalized(sql).unwrap_or_else(|| sql.to_string())
}

#[cfg(test)]
mod tests;
