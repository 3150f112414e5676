//! A private in-memory copy of a database's schema, where candidate indexes are created and
//! queries planned again: the tables and views the statements name (views followed to the
//! tables they read), their indexes, and the file's `sqlite_stat1` rows for them, so that the
//! planner weighs indexes as it does on the file. Only what the statements name is copied: each
//! CREATE on a connection re-reads that object's rows of `sqlite_schema` by a full scan, so a
//! copy of all 10,000 tables of a large schema would cost seconds. No row is copied (the planner
//! never looks at them), and nothing here touches the user's file: it is only read through the
//! caller's read-only connection.

use std::collections::HashSet;

use rusqlite::Connection;

use super::{explain, PlanRow};
use crate::engine::{lexer, names};

/// A table of the copy with its columns, as SQLite spells them.
#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub columns: Vec<String>,
}

/// An index of the copy: its key columns up to the first expression, whether it enforces
/// UNIQUE or PRIMARY KEY, and whether it serves a declared foreign key (its columns lead with the
/// key's child columns, which SQLite looks up on every delete of a parent row).
#[derive(Debug, Clone)]
pub struct Index {
    pub name: String,
    pub table: String,
    pub columns: Vec<String>,
    pub unique: bool,
    pub serves_foreign_key: bool,
}

pub struct Copy {
    conn: Connection,
    /// The tables copied.
    pub tables: Vec<Table>,
    /// Every index of the file, of the tables copied or not.
    pub indexes: Vec<Index>,
}

/// One row of the file's `sqlite_schema`.
struct Entry {
    kind: String,
    name: String,
    table: String,
    sql: String,
}

impl Copy {
    /// Builds the copy of what `statements` name from the schema and statistics `file` reads.
    /// Entries SQLite here cannot create (a virtual table's unknown module, its shadow tables)
    /// are left out: queries on them then fail on the copy, and get no suggestion.
    pub fn of(file: &Connection, statements: &[&str]) -> rusqlite::Result<Copy> {
        let conn = Connection::open_in_memory()?;
        let entries = read_entries(file)?;
        let wanted = named(&entries, statements);
        let copied: Vec<&Entry> = entries
            .iter()
            .filter(|e| match e.kind.as_str() {
                "table" | "view" => wanted.contains(&e.name.to_lowercase()),
                "index" => wanted.contains(&e.table.to_lowercase()),
                _ => false,
            })
            .collect();
        for kind in ["table", "index", "view"] {
            for e in copied.iter().filter(|e| e.kind == kind) {
                let _ = conn.execute_batch(&e.sql);
            }
        }
        load_stats(file, &conn, &wanted)?;
        let tables = read_tables(&conn)?;
        let indexes = read_indexes(file)?;
        Ok(Copy {
            conn,
            tables,
            indexes,
        })
    }

    /// The plan `sql` gets on the copy as it stands.
    pub fn explain(&self, sql: &str) -> rusqlite::Result<Vec<PlanRow>> {
        explain(&self.conn, sql)
    }

    /// Runs DDL that litescope generated (a candidate index, or dropping it again).
    pub fn run(&self, ddl: &str) -> rusqlite::Result<()> {
        self.conn.execute_batch(ddl)
    }

    /// The table named `name`, compared as SQLite compares names (ASCII case folded).
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
    }

    /// The indexes on `table`.
    pub fn indexes_on<'a>(&'a self, table: &'a str) -> impl Iterator<Item = &'a Index> + 'a {
        self.indexes.iter().filter(move |i| i.table == table)
    }
}

fn read_entries(file: &Connection) -> rusqlite::Result<Vec<Entry>> {
    let mut stmt = file.prepare(
        "SELECT type, name, tbl_name, sql FROM sqlite_schema \
         WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Entry {
            kind: names::text(r, 0)?,
            name: names::text(r, 1)?,
            table: names::text(r, 2)?,
            sql: names::text(r, 3)?,
        })
    })?;
    rows.collect()
}

/// The names (lower case) the statements use, with those the views they name use, in turn.
fn named(entries: &[Entry], statements: &[&str]) -> HashSet<String> {
    let words = |sql: &str| -> Vec<String> {
        lexer::texts(sql)
            .iter()
            .filter_map(|t| lexer::name(t))
            .map(|n| n.to_lowercase())
            .collect()
    };
    let mut wanted: HashSet<String> = statements.iter().flat_map(|s| words(s)).collect();
    let mut followed: HashSet<&str> = HashSet::new();
    loop {
        let views: Vec<&Entry> = entries
            .iter()
            .filter(|e| e.kind == "view" && !followed.contains(e.name.as_str()))
            .filter(|e| wanted.contains(&e.name.to_lowercase()))
            .collect();
        if views.is_empty() {
            return wanted;
        }
        for view in views {
            followed.insert(&view.name);
            wanted.extend(words(&view.sql));
        }
    }
}

/// Copies the file's `sqlite_stat1` rows. `ANALYZE sqlite_schema` creates the table on the copy
/// (and only measures `sqlite_schema`); running it again after the insert makes SQLite load the
/// rows, as it does when it opens the file.
fn load_stats(
    file: &Connection,
    copy: &Connection,
    wanted: &HashSet<String>,
) -> rusqlite::Result<()> {
    let has_stats: bool = file.query_row(
        "SELECT count(*) > 0 FROM sqlite_schema WHERE name = 'sqlite_stat1'",
        [],
        |r| r.get(0),
    )?;
    if !has_stats {
        return Ok(());
    }
    copy.execute_batch("ANALYZE sqlite_schema")?;
    let mut read = file.prepare("SELECT tbl, idx, stat FROM sqlite_stat1")?;
    let mut write = copy.prepare("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)")?;
    let mut rows = read.query([])?;
    while let Some(row) = rows.next()? {
        let values: (Option<String>, Option<String>, Option<String>) =
            (row.get(0)?, row.get(1)?, row.get(2)?);
        if values
            .0
            .as_ref()
            .is_some_and(|t| wanted.contains(&t.to_lowercase()))
        {
            write.execute(rusqlite::params![values.0, values.1, values.2])?;
        }
    }
    copy.execute_batch("ANALYZE sqlite_schema")
}

fn read_tables(conn: &Connection) -> rusqlite::Result<Vec<Table>> {
    let mut stmt = conn.prepare(
        "SELECT s.name, c.name FROM sqlite_schema AS s, pragma_table_info(s.name) AS c \
         WHERE s.type = 'table' AND s.name NOT LIKE 'sqlite_%' ORDER BY s.name, c.cid",
    )?;
    let mut tables: Vec<Table> = Vec::new();
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let (table, column) = (names::text(row, 0)?, names::text(row, 1)?);
        match tables.last_mut() {
            Some(t) if t.name == table => t.columns.push(column),
            _ => tables.push(Table {
                name: table,
                columns: vec![column],
            }),
        }
    }
    Ok(tables)
}

/// Every index of the file with its key, in one pass over the pragma functions.
fn read_indexes(file: &Connection) -> rusqlite::Result<Vec<Index>> {
    let foreign = read_foreign_keys(file)?;
    let mut stmt = file.prepare(
        "SELECT m.name, l.name, l.\"unique\", i.name \
         FROM sqlite_schema AS m, pragma_index_list(m.name) AS l, pragma_index_info(l.name) AS i \
         WHERE m.type = 'table' ORDER BY m.name, l.name, i.seqno",
    )?;
    let mut out: Vec<Index> = Vec::new();
    // An expression has no name: the key is known only up to it.
    let mut cut = false;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let (table, name) = (names::text(row, 0)?, names::text(row, 1)?);
        let column = names::opt_text(row, 3)?;
        let same = out
            .last()
            .is_some_and(|i| i.name == name && i.table == table);
        if !same {
            cut = false;
            out.push(Index {
                name,
                table,
                columns: Vec::new(),
                unique: row.get(2)?,
                serves_foreign_key: false,
            });
        }
        match (column, out.last_mut()) {
            (Some(c), Some(index)) if !cut => index.columns.push(c),
            _ => cut = true,
        }
    }
    for index in &mut out {
        index.serves_foreign_key = foreign
            .iter()
            .any(|(t, key)| *t == index.table && leads(&index.columns, key));
    }
    Ok(out)
}

/// Every declared foreign key of the file: its table and child columns.
fn read_foreign_keys(file: &Connection) -> rusqlite::Result<Vec<(String, Vec<String>)>> {
    let mut stmt = file.prepare(
        "SELECT m.name, f.id, f.\"from\" \
         FROM sqlite_schema AS m, pragma_foreign_key_list(m.name) AS f \
         WHERE m.type = 'table' ORDER BY m.name, f.id, f.seq",
    )?;
    let mut out: Vec<(String, i64, Vec<String>)> = Vec::new();
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let (table, id, column): (String, i64, String) =
            (names::text(row, 0)?, row.get(1)?, names::text(row, 2)?);
        match out.last_mut() {
            Some((t, i, cols)) if *t == table && *i == id => cols.push(column),
            _ => out.push((table, id, vec![column])),
        }
    }
    Ok(out.into_iter().map(|(t, _, cols)| (t, cols)).collect())
}

/// True when `key`'s columns, in any order, are the first columns of `columns`.
fn leads(columns: &[String], key: &[String]) -> bool {
    columns.len() >= key.len() && key.iter().all(|k| columns[..key.len()].contains(k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_schema_and_stats_but_no_rows() {
        let file = Connection::open_in_memory().unwrap();
        file.execute_batch(
            "CREATE TABLE t(a, b UNIQUE); CREATE INDEX ta ON t(a); INSERT INTO t VALUES (1, 2);
             CREATE INDEX tx ON t(a, lower(b), b);
             CREATE TABLE other(x); CREATE INDEX ox ON other(x);
             CREATE VIEW v AS SELECT a FROM t;
             CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END; ANALYZE;",
        )
        .unwrap();
        let copy = Copy::of(&file, &["SELECT * FROM v"]).unwrap();
        assert_eq!(
            copy.table("T").unwrap().columns,
            ["a", "b"],
            "through the view"
        );
        assert!(copy.table("other").is_none(), "no statement names it");
        assert!(
            copy.indexes.iter().any(|i| i.name == "ox"),
            "every index is listed"
        );
        let unique: Vec<(&str, bool)> = copy
            .indexes_on("t")
            .map(|i| (i.name.as_str(), i.unique))
            .collect();
        assert!(unique.contains(&("ta", false)));
        assert!(unique.contains(&("sqlite_autoindex_t_1", true)));
        let tx = copy.indexes.iter().find(|i| i.name == "tx").unwrap();
        assert_eq!(tx.columns, ["a"], "known up to the expression");
        let stats: i64 = copy
            .conn
            .query_row(
                "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 't'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(stats, 3, "one row per index");
        let rows: i64 = copy
            .conn
            .query_row("SELECT count(*) FROM v", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 0);
    }
}
