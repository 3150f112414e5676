//! Hostile input: identifiers that need quoting, locked files, huge schemas, tight budgets.

mod common;

use std::time::Duration;

use common::*;
use litescope::engine::database::{Depth, Status};
use litescope::engine::discover::Found;
use litescope::engine::pipeline;
use rusqlite::Connection;

pub const WEIRD: &str = r#"
CREATE TABLE "order" ("select" INTEGER PRIMARY KEY, "we""ird; name" TEXT NOT NULL DEFAULT 'x;y');
CREATE TABLE "café ☕" (id INTEGER PRIMARY KEY, "order id" INTEGER REFERENCES "order"("select") ON DELETE CASCADE,
  "; DROP TABLE x; --" TEXT);
CREATE INDEX "idx ""q""" ON "café ☕"("order id");
CREATE INDEX "expr idx" ON "café ☕"(lower("; DROP TABLE x; --"), id) WHERE id > 0;
CREATE VIEW "v ""1""" AS SELECT "select" FROM "order";
CREATE TABLE nokey (a TEXT, b TEXT) STRICT;
CREATE TABLE wr (k TEXT PRIMARY KEY, v) WITHOUT ROWID;
INSERT INTO "order" VALUES (1, 'a'), (2, 'b');
INSERT INTO "café ☕" VALUES (1, 1, 'x'), (2, 2, 'y'), (3, 2, 'z');
INSERT INTO wr VALUES ('a', 1), ('b', 2), ('c', 3), ('d', 4);
"#;

#[test]
fn identifiers_that_need_quoting_work_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("weird.db");
    build(&path, WEIRD);
    let (db, _) = pipeline::run(
        &Found::given(&path),
        Depth::full(Duration::from_secs(10)),
        None,
    );
    assert_eq!(db.status, Status::Ok, "{:?}", db.error);
    let cafe = db.schema.table("café ☕").unwrap();
    assert_eq!(cafe.rows, Some(3));
    assert!(cafe.rows_exact);
    assert_eq!(cafe.foreign_keys[0].columns, ["order id"]);
    assert_eq!(cafe.foreign_keys[0].parent_columns, ["select"]);
    assert_eq!(cafe.foreign_keys[0].on_delete, "CASCADE");
    let order = db.schema.table("order").unwrap();
    assert_eq!(order.columns[1].name, "we\"ird; name");
    assert_eq!(order.columns[1].default.as_deref(), Some("'x;y'"));
    assert_eq!(order.rows, Some(2));
    let expr = db
        .schema
        .indexes
        .iter()
        .find(|i| i.name == "expr idx")
        .unwrap();
    assert!(expr.expression && expr.partial);
    assert_eq!(expr.columns, ["lower(\"; DROP TABLE x; --\")", "id"]);
    assert!(db.schema.views[0].ok);
    assert!(db.schema.table("nokey").unwrap().strict);
    let wr = db.schema.table("wr").unwrap();
    assert!(wr.without_rowid);
    assert_eq!(wr.rows, Some(4));
    assert!(db
        .schema
        .indexes
        .iter()
        .any(|i| i.table == "wr" && i.origin == "primary-key"));
}

#[test]
fn a_locked_file_is_reported_not_waited_on_forever() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("busy.db");
    build(&path, "CREATE TABLE t(x); INSERT INTO t VALUES (1);");
    let holder = Connection::open(&path).unwrap();
    holder
        .execute_batch("PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; INSERT INTO t VALUES (2);")
        .unwrap();
    let (db, _) = pipeline::run(&Found::given(&path), Depth::SCHEMA, None);
    assert_eq!(db.status, Status::Locked);
    assert!(db.error.unwrap().contains("locked"));
    drop(holder);
}

#[test]
fn ten_thousand_tables_load_in_full() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.db");
    let mut sql = String::from("BEGIN;");
    for i in 0..10_000 {
        sql.push_str(&format!(
            "CREATE TABLE t{i} (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES t0(id), v TEXT);"
        ));
    }
    sql.push_str("CREATE INDEX i9999 ON t9999(v); COMMIT;");
    build(&path, &sql);
    let (db, _) = pipeline::run(&Found::given(&path), Depth::SCHEMA, None);
    assert_eq!(db.status, Status::Ok);
    assert_eq!(db.schema.tables.len(), 10_000);
    assert!(db.schema.tables.iter().all(|t| t.columns.len() == 3));
    assert!(db.schema.tables.iter().all(|t| t.foreign_keys.len() == 1));
    assert_eq!(db.schema.indexes.len(), 1);
}

#[test]
fn counting_cut_off_by_the_budget_falls_back_to_stat1_estimates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.db");
    build(
        &path,
        "CREATE TABLE big(x);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)
         INSERT INTO big SELECT i FROM n;
         CREATE INDEX big_x ON big(x); ANALYZE;",
    );
    let (db, _) = pipeline::run(&Found::given(&path), Depth::full(Duration::ZERO), None);
    let big = db.schema.table("big").unwrap();
    assert!(!big.rows_exact);
    assert_eq!(big.rows, Some(200_000));
    assert!(big.bytes.is_none());
    assert!(db.has_stat1);
}

#[test]
fn a_reader_that_closes_the_pipe_ends_litescope_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.db");
    let tables: String = (0..3000)
        .map(|i| format!("CREATE TABLE t{i}(a, b, c);"))
        .collect();
    build(&path, &tables);
    for args in [["inspect", "--fast"], ["report", "--format=text"]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_litescope"))
            .args(args)
            .arg(&path)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(!first.trim().is_empty(), "{args:?}: a first line");
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{args:?}");
    }
}

#[test]
fn table_options_read_from_sql_agree_with_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("options.db");
    build(
        &path,
        r#"CREATE TABLE plain(a);
           CREATE TABLE wr(a PRIMARY KEY, b) WITHOUT ROWID;
           CREATE TABLE st(a INTEGER, b TEXT) STRICT;
           CREATE TABLE both_ (a INTEGER PRIMARY KEY, b ANY) STRICT, WITHOUT ROWID;
           CREATE TABLE "q(uoted) strict" (a, "b)" CHECK ("b)" <> ')')) /* strict? */ ;
           CREATE TABLE lower_case (a primary key) without rowid;
           CREATE TABLE [br)acket] (a);"#,
    );
    let (db, _) = pipeline::run(&Found::given(&path), Depth::SCHEMA, None);
    let conn = Connection::open(&path).unwrap();
    let mut stmt = conn
        .prepare("SELECT name, wr, strict FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%'")
        .unwrap();
    let sqlite: Vec<(String, bool, bool)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(sqlite.len(), 7);
    for (name, wr, strict) in sqlite {
        let table = db.schema.table(&name).unwrap();
        assert_eq!((table.without_rowid, table.strict), (wr, strict), "{name}");
    }
}
