//! Relations and orphans: declared counts equal `PRAGMA foreign_key_check`, inferred relations
//! match the corpus's known facts.

mod common;

use common::*;
use rusqlite::Connection;
use serde_json::Value;

fn relations(path: &std::path::Path) -> Vec<Value> {
    let json = litescope_json(&[
        "orphans",
        "--json",
        "--sample",
        "50",
        path.to_str().unwrap(),
    ]);
    json["relations"].as_array().unwrap().clone()
}

fn find<'a>(rels: &'a [Value], child: &str, column: &str) -> &'a Value {
    rels.iter()
        .find(|r| r["child"] == child && r["columns"][0] == column)
        .unwrap_or_else(|| panic!("{child}.{column} not listed"))
}

#[test]
fn northwind_small_has_29_orphan_orders_over_4_customers() {
    let (_tmp, db) = corpus_copy("db/Northwind_small.sqlite");
    let rels = relations(&db);
    let order = find(&rels, "Order", "CustomerId");
    assert_eq!(order["declared"], false);
    assert_eq!(order["parent"], "Customer");
    assert_eq!(order["parent_columns"][0], "Id");
    assert_eq!(order["orphans"], 29);
    let mut per_customer = std::collections::BTreeMap::new();
    for s in order["sample"].as_array().unwrap() {
        *per_customer
            .entry(s["values"][0].as_str().unwrap().to_string())
            .or_insert(0) += 1;
    }
    let expected: Vec<(String, i32)> = [("ANTO", 7), ("DUMO", 4), ("OCEA", 5), ("QUEE", 13)]
        .map(|(k, v)| (k.into(), v))
        .into();
    assert_eq!(per_customer.into_iter().collect::<Vec<_>>(), expected);
    assert!(order["fix"].as_str().unwrap().contains("LEFT JOIN"));
    for other in rels.iter().filter(|r| r != &order) {
        assert_eq!(other["orphans"], 0, "{other}");
    }
}

#[test]
fn declared_relations_of_sample_databases_are_clean() {
    let (_tmp, dir) = corpus_copy("db");
    for (file, declared) in [
        ("Chinook_Sqlite.sqlite", 11),
        ("northwind.db", 13),
        ("sakila.db", 22),
    ] {
        let rels = relations(&dir.join(file));
        let decl: Vec<_> = rels.iter().filter(|r| r["declared"] == true).collect();
        assert_eq!(decl.len(), declared, "{file}");
        assert!(decl.iter().all(|r| r["orphans"] == 0), "{file}");
    }
}

const FIXTURE: &str = r#"
    PRAGMA foreign_keys=OFF;
    CREATE TABLE "pa""rent" (a TEXT, b INTEGER, "sel ect" TEXT UNIQUE, PRIMARY KEY (a, b));
    CREATE TABLE "child; x" (id INTEGER PRIMARY KEY, pa TEXT, pb INTEGER, code TEXT REFERENCES "pa""rent"("sel ect"),
        FOREIGN KEY (pa, pb) REFERENCES "pa""rent"(a, b));
    CREATE INDEX "child; code" ON "child; x"(code);
    CREATE INDEX "child; pa" ON "child; x"(pb, pa);
    CREATE TABLE node (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES node(id));
    CREATE TABLE tag (node_id INTEGER NOT NULL REFERENCES node(id), label TEXT, PRIMARY KEY (node_id, label)) WITHOUT ROWID;
    INSERT INTO tag VALUES (1, 'a'), (77, 'b');
    CREATE TABLE "order" (id INTEGER PRIMARY KEY, node_id TEXT);
    INSERT INTO "pa""rent" VALUES ('x', 1, 'c1'), ('y', 2, 'c2');
    INSERT INTO "child; x" VALUES (1, 'x', 1, 'c1'), (2, 'x', 2, 'c9'), (3, NULL, 5, 'c2'),
        (4, 'z', 1, NULL), (5, 'y', '2', 'c2');
    INSERT INTO node VALUES (1, NULL), (2, 1), (3, 99), (4, 98);
    INSERT INTO "order" VALUES (1, '1'), (2, '2'), (3, '3'), (4, '404');
"#;

#[test]
fn declared_counts_equal_foreign_key_check() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fk.db");
    build(&path, FIXTURE);
    let rels = counts_equal_foreign_key_check(&path);
    // A rollback-journal file is read in slices: every relation by the one pass.
    assert!(rels.iter().all(|r| r["method"] == "pass"), "{rels:?}");
}

#[test]
fn in_wal_mode_a_table_whose_keys_each_lead_an_index_is_counted_from_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fk.db");
    build(&path, &format!("{FIXTURE}\nPRAGMA journal_mode = WAL;"));
    let rels = counts_equal_foreign_key_check(&path);
    let method = |child: &str, column: &str| find(&rels, child, column)["method"].clone();
    assert_eq!(method("child; x", "code"), "index");
    assert_eq!(
        method("child; x", "pa"),
        "index",
        "composite, in another order"
    );
    assert_eq!(method("node", "parent_id"), "pass");
    assert_eq!(
        method("tag", "node_id"),
        "pass",
        "a WITHOUT ROWID key is the table itself"
    );
    let code = find(&rels, "child; x", "code");
    assert_eq!((&code["orphans"], &code["nulls"]), (&1.into(), &1.into()));
    assert_eq!(code["sample"][0]["rowid"], 2);
}

/// Checks that the declared relations' orphan counts equal `PRAGMA foreign_key_check`'s; returns
/// the relations.
fn counts_equal_foreign_key_check(path: &std::path::Path) -> Vec<Value> {
    let conn = Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT \"table\", parent, count(*) FROM pragma_foreign_key_check GROUP BY 1, 2, fkid",
        )
        .unwrap();
    let mut truth: Vec<(String, String, u64)> = stmt
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as u64))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    truth.sort();
    let rels = relations(path);
    let mut ours: Vec<(String, String, u64)> = rels
        .iter()
        .filter(|r| r["declared"] == true && r["orphans"].as_u64().unwrap() > 0)
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap().to_string();
            (s("child"), s("parent"), r["orphans"].as_u64().unwrap())
        })
        .collect();
    ours.sort();
    assert_eq!(ours, truth);
    assert_eq!(truth.len(), 4, "{truth:?}");
    let composite = rels
        .iter()
        .find(|r| r["columns"].as_array().unwrap().len() == 2)
        .unwrap();
    assert_eq!(composite["orphans"], 2);
    assert_eq!(composite["nulls"], 1);
    let self_ref = find(&rels, "node", "parent_id");
    assert_eq!(self_ref["orphans"], 2);
    rels
}

#[test]
fn inferred_text_keys_follow_affinity() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fk.db");
    build(&path, FIXTURE);
    let rels = relations(&path);
    // "order".node_id is TEXT and node.id INTEGER: the types are incompatible, so no inference.
    assert!(rels.iter().all(|r| r["child"] != "order"));
}

#[test]
fn each_fix_cleans_the_orphans_it_describes() {
    let (_tmp, northwind) = corpus_copy("db/Northwind_small.sqlite");
    let dir = tempfile::tempdir().unwrap();
    let fixture = dir.path().join("fk.db");
    build(&fixture, FIXTURE);
    for db in [northwind, fixture] {
        let before = relations(&db);
        assert!(before.iter().any(|r| r["orphans"].as_u64().unwrap() > 0));
        let conn = Connection::open(&db).unwrap();
        conn.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
        for r in before.iter().filter(|r| r["orphans"].as_u64().unwrap() > 0) {
            conn.execute_batch(r["fix"].as_str().unwrap()).unwrap();
        }
        drop(conn);
        for r in relations(&db) {
            assert_eq!(r["orphans"], 0, "{}", r["fix"]);
        }
    }
}

/// Foreign keys SQLite cannot resolve ("foreign key mismatch"): each such relation carries its own
/// error, its siblings on the same child table are still counted, and no command fails over them.
const UNRESOLVED: &str = "
PRAGMA foreign_keys = OFF;
CREATE TABLE nopk (a);
CREATE TABLE p (id INTEGER PRIMARY KEY);
CREATE TABLE p2 (a INT, b INT, PRIMARY KEY (a, b));
CREATE TABLE c (id INTEGER PRIMARY KEY,
  x REFERENCES nopk,
  y REFERENCES gone,
  z REFERENCES p(nosuch),
  w REFERENCES p2,
  ok REFERENCES p(id));
INSERT INTO nopk VALUES (1);
INSERT INTO p(id) VALUES (1);
INSERT INTO c VALUES (1, 1, 1, 1, 1, 1), (2, 2, 2, 2, 2, 9);
";

#[test]
fn a_foreign_key_sqlite_cannot_resolve_is_an_error_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fk.db");
    build(&path, UNRESOLVED);
    let rels = relations(&path);
    let ok = find(&rels, "c", "ok");
    assert_eq!(ok["orphans"], 1, "{ok}");
    assert_eq!(ok["error"], Value::Null, "{ok}");
    for (column, cause) in [("x", "no PRIMARY KEY"), ("z", "nosuch"), ("w", "2 columns")] {
        let rel = find(&rels, "c", column);
        assert_eq!(rel["orphans"], Value::Null, "{rel}");
        let error = rel["error"].as_str().unwrap_or_default();
        assert!(error.contains("foreign key mismatch"), "{rel}");
        assert!(error.contains(cause), "{rel}");
    }
    // A missing parent table is no mismatch: SQLite counts every row with a key as a violation.
    assert_eq!(find(&rels, "c", "y")["orphans"], 2);
    let db = path.to_str().unwrap();
    for args in [
        vec!["orphans", db],
        vec!["report", "--format", "json", db],
        vec!["check", db],
    ] {
        let (code, out, err) = litescope(&args);
        assert!(code == 0 || code == 1, "{args:?}: exit {code}: {err}");
        assert_eq!(err, "", "{args:?}");
        assert!(!out.is_empty(), "{args:?}");
    }
}

#[test]
fn rows_pointing_at_a_missing_table_are_counted_as_foreign_key_check_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fk.db");
    build(
        &path,
        "PRAGMA foreign_keys = OFF;
         CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT REFERENCES gone);
         CREATE TABLE b (id INTEGER PRIMARY KEY, x INT, y INT,
           FOREIGN KEY (x, y) REFERENCES lost(p, q));
         INSERT INTO a VALUES (1, 'k'), (2, NULL), (3, 'k');
         INSERT INTO b VALUES (1, 1, 1), (2, 1, NULL);",
    );
    let truth = counts_by_child(&path);
    assert_eq!(truth, [("a".to_string(), 2), ("b".to_string(), 1)]);
    let rels = relations(&path);
    for (child, column, orphans, nulls) in [("a", "v", 2, 1), ("b", "x", 1, 1)] {
        let rel = find(&rels, child, column);
        assert_eq!(
            (&rel["orphans"], &rel["nulls"]),
            (&orphans.into(), &nulls.into()),
            "{rel}"
        );
    }
    let db = path.to_str().unwrap();
    let (_, report, _) = litescope(&["report", "--format", "json", db]);
    let report: Value = serde_json::from_str(&report).unwrap();
    let violations: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "fk-violation")
        .collect();
    assert_eq!(violations.len(), 2, "{report}");
    assert!(violations.iter().all(|f| f["message"]
        .as_str()
        .unwrap()
        .ends_with("a table that does not exist")));
    let conn = Connection::open(&path).unwrap();
    // As in each_fix_cleans_the_orphans_it_describes: with foreign keys on, SQLite refuses any write to such a child.
    conn.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
    for r in rels
        .iter()
        .filter(|r| r["orphans"].as_u64().unwrap_or(0) > 0)
    {
        conn.execute_batch(r["fix"].as_str().unwrap()).unwrap();
    }
    drop(conn);
    assert!(counts_by_child(&path).is_empty());
}

/// `PRAGMA foreign_key_check`'s violations per child table.
fn counts_by_child(path: &std::path::Path) -> Vec<(String, u64)> {
    let conn = Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT \"table\", count(*) FROM pragma_foreign_key_check GROUP BY 1 ORDER BY 1")
        .unwrap();
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)));
    rows.unwrap().map(Result::unwrap).collect()
}

#[test]
fn a_number_pointing_at_a_text_key_compares_as_its_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fk.db");
    build(
        &path,
        "PRAGMA foreign_keys = OFF;
         CREATE TABLE p (code TEXT PRIMARY KEY, a TEXT, b TEXT, UNIQUE (a, b));
         INSERT INTO p VALUES ('1', 'x', '7'), ('01', 'y', '8'), ('a', 'z', '9');",
    );
    build(
        &path,
        "PRAGMA foreign_keys = OFF;
         CREATE TABLE c (id INTEGER PRIMARY KEY, code INT REFERENCES p(code), x TEXT, n INT,
           FOREIGN KEY (x, n) REFERENCES p(a, b));
         INSERT INTO c VALUES (1, 1, 'x', 7), (2, '01', 'y', 8), (3, 'b', 'z', 10), (4, 1.0, NULL, 1);",
    );
    let truth = counts_by_child(&path);
    assert_eq!(truth, [("c".to_string(), 2)]);
    let rels = relations(&path);
    assert_eq!(find(&rels, "c", "code")["orphans"], 1, "{rels:?}");
    assert_eq!(find(&rels, "c", "x")["orphans"], 1, "{rels:?}");
}

#[test]
fn a_parent_key_with_a_collation_compares_by_it() {
    let dir = tempfile::tempdir().unwrap();
    for wal in [false, true] {
        let path = dir.path().join(format!("fk-{wal}.db"));
        let mode = if wal {
            "PRAGMA journal_mode = WAL;"
        } else {
            ""
        };
        build(
            &path,
            &format!(
                "{mode} PRAGMA foreign_keys = OFF;
                 CREATE TABLE p (k TEXT COLLATE NOCASE PRIMARY KEY, r TEXT COLLATE RTRIM UNIQUE);
                 INSERT INTO p VALUES ('Abc', 'x');
                 CREATE TABLE c (id INTEGER PRIMARY KEY, k TEXT REFERENCES p(k), r TEXT REFERENCES p(r));
                 INSERT INTO c VALUES (1, 'abc', 'x  '), (2, 'ABC', 'x'), (3, 'abd', 'y');"
            ),
        );
        let truth = counts_by_child(&path);
        assert_eq!(truth, [("c".to_string(), 2)]);
        let rels = relations(&path);
        assert_eq!(find(&rels, "c", "k")["orphans"], 1, "wal {wal}: {rels:?}");
        assert_eq!(find(&rels, "c", "r")["orphans"], 1, "wal {wal}: {rels:?}");
    }
}
