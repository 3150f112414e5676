//! A private in-memory copy of a database's schema, where candidate indexes are created and
//! queries planned again: tables, indexes and views from `sqlite_schema`, and the file's
//! `sqlite_stat1` rows, so that the planner weighs indexes as it does on the file. No row is
//! copied (the planner never looks at them), and nothing here touches the user's file: the file
//! is only read through the caller's read-only connection.

use rusqlite::Connection;

use super::{explain, PlanRow};
use crate::engine::names;

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
    pub tables: Vec<Table>,
    pub indexes: Vec<Index>,
}

impl Copy {
    /// Builds the copy from the schema and statistics `file` reads. Entries SQLite here cannot
    /// create (a virtual table's unknown module, its shadow tables) are left out: queries on
    /// them then fail on the copy, and get no suggestion.
    pub fn of(file: &Connection) -> rusqlite::Result<Copy> {
        let conn = Connection::open_in_memory()?;
        let mut stmt = file.prepare(
            "SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' \
             ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 ELSE 2 END, rowid",
        )?;
        let ddl = stmt
            .query_map([], |r| names::text(r, 0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        for sql in ddl.iter().filter(|s| !is_trigger(s)) {
            let _ = conn.execute_batch(sql);
        }
        load_stats(file, &conn)?;
        let tables = read_tables(&conn)?;
        let indexes = read_indexes(&conn, &tables)?;
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

fn is_trigger(sql: &str) -> bool {
    let words: Vec<String> = sql
        .split_whitespace()
        .take(4)
        .map(str::to_ascii_uppercase)
        .collect();
    words.iter().any(|w| w == "TRIGGER")
}

/// Copies the file's `sqlite_stat1` rows. `ANALYZE sqlite_schema` creates the table on the copy
/// (and only measures `sqlite_schema`); running it again after the insert makes SQLite load the
/// rows, as it does when it opens the file.
fn load_stats(file: &Connection, copy: &Connection) -> rusqlite::Result<()> {
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
        write.execute(rusqlite::params![values.0, values.1, values.2])?;
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

fn read_indexes(conn: &Connection, tables: &[Table]) -> rusqlite::Result<Vec<Index>> {
    let mut out = Vec::new();
    let mut list = conn.prepare("SELECT name, \"unique\" FROM pragma_index_list(?)")?;
    let mut info = conn.prepare("SELECT name FROM pragma_index_info(?) ORDER BY seqno")?;
    let mut keys =
        conn.prepare("SELECT id, \"from\" FROM pragma_foreign_key_list(?) ORDER BY id, seq")?;
    for table in tables {
        let mut foreign: Vec<(i64, Vec<String>)> = Vec::new();
        let mut rows = keys.query([&table.name])?;
        while let Some(row) = rows.next()? {
            let (id, column): (i64, String) = (row.get(0)?, names::text(row, 1)?);
            match foreign.last_mut() {
                Some((last, cols)) if *last == id => cols.push(column),
                _ => foreign.push((id, vec![column])),
            }
        }
        let found = list
            .query_map([&table.name], |r| {
                Ok((names::text(r, 0)?, r.get::<_, bool>(1)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        for (name, unique) in found {
            let columns = info
                .query_map([&name], |r| names::opt_text(r, 0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            // An expression has no name: the key is known only up to it.
            let columns: Vec<String> = columns.into_iter().map_while(|c| c).collect();
            out.push(Index {
                serves_foreign_key: foreign.iter().any(|(_, key)| leads(&columns, key)),
                name,
                table: table.name.clone(),
                columns,
                unique,
            });
        }
    }
    Ok(out)
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
             CREATE VIEW v AS SELECT a FROM t;
             CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END; ANALYZE;",
        )
        .unwrap();
        let copy = Copy::of(&file).unwrap();
        assert_eq!(copy.table("T").unwrap().columns, ["a", "b"]);
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
