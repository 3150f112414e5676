use rusqlite::Connection;

use super::*;
use crate::engine::schema::{load, Detail};

fn schema_of(sql: &str) -> (Connection, Schema) {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(sql).unwrap();
    let schema = load(&conn, Detail::Full).unwrap();
    (conn, schema)
}

fn diff(a: &str, b: &str) -> Diff {
    compare(&schema_of(a).1, &schema_of(b).1)
}

fn whats(d: &Diff, name: &str) -> Vec<String> {
    d.changed(Kind::Table, name)
        .map(|c| c.changes.iter().map(|x| x.what.clone()).collect())
        .unwrap_or_default()
}

#[test]
fn same_schema_written_differently_is_no_difference() {
    let d = diff(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT 'x'); \
         CREATE INDEX i ON t(name); CREATE VIEW v AS SELECT id FROM t;",
        "create table \"t\"(\n  id integer primary key, -- key\n  name text not null default 'x'\n);\
         create index \"i\" on t (name); create view v as   select id from t;",
    );
    assert!(d.is_empty(), "{d:?}");
}

#[test]
fn sees_every_column_fact_that_sqldiff_misses() {
    let d = diff(
        "CREATE TABLE p (id INTEGER PRIMARY KEY); \
         CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INT, c TEXT, d INT, e TEXT, gone INT, \
          CHECK (b > 0))",
        "CREATE TABLE p (id INTEGER PRIMARY KEY); \
         CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b INT NOT NULL, c TEXT DEFAULT 'z', \
          d INT REFERENCES p(id), e TEXT COLLATE NOCASE CHECK (length(e) < 9), added TEXT)",
    );
    let w = whats(&d, "t");
    for expected in [
        "column a type",
        "column b not null",
        "column c default",
        "foreign key (d)",
        "column e collation",
        "column e check",
        "column gone",
        "column added",
        "check",
    ] {
        assert!(w.contains(&expected.to_string()), "{expected} in {w:?}");
    }
}

#[test]
fn sees_keys_options_and_indexes() {
    let d = diff(
        "CREATE TABLE t (a INT, b INT, PRIMARY KEY (a)); CREATE TABLE s (x INT UNIQUE); \
         CREATE INDEX i ON t(a); CREATE INDEX j ON t(b); ANALYZE;",
        "CREATE TABLE t (a INT, b INT, PRIMARY KEY (a, b)) WITHOUT ROWID; CREATE TABLE s (x INT); \
         CREATE UNIQUE INDEX i ON t(a); CREATE INDEX j ON t(b) WHERE b > 0; \
         CREATE TABLE only_b (z); CREATE TRIGGER tr AFTER INSERT ON s BEGIN SELECT 1; END;",
    );
    let w = whats(&d, "t");
    assert!(w.contains(&"primary key".into()) && w.contains(&"without rowid".into()));
    assert_eq!(whats(&d, "s"), ["unique"]);
    let index = |n: &str| d.changed(Kind::Index, n).unwrap().changes[0].what.clone();
    assert_eq!(index("i"), "unique");
    assert_eq!(index("j"), "where");
    let names: Vec<_> = d
        .only_in_b
        .iter()
        .map(|o| (o.kind, o.name.as_str()))
        .collect();
    assert_eq!(names, [(Kind::Table, "only_b"), (Kind::Trigger, "tr")]);
    assert!(d.only_in_a.is_empty(), "sqlite_stat1 is not a difference");
}

#[test]
fn a_changed_virtual_table_is_recreated_and_then_matches() {
    let (conn, a) = schema_of(
        "CREATE VIRTUAL TABLE docs USING fts5(title); CREATE TABLE t (id INTEGER PRIMARY KEY);",
    );
    let (_, b) = schema_of(
        "CREATE VIRTUAL TABLE docs USING fts5(title, body); CREATE TABLE t (id INTEGER PRIMARY KEY);",
    );
    let d = compare(&a, &b);
    assert_eq!(
        d.changed(Kind::Table, "docs").unwrap().changes[0].what,
        "definition"
    );
    assert!(
        d.only_in_a.is_empty() && d.only_in_b.is_empty(),
        "shadow tables are no difference"
    );
    let statements = sql::statements(&a, &b, &d).unwrap();
    assert!(
        statements[0].contains("rows are not kept"),
        "{statements:?}"
    );
    conn.execute_batch(&statements.join("\n")).unwrap();
    assert!(compare(&load(&conn, Detail::Full).unwrap(), &b).is_empty());
}
