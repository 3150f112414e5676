//! `litescope plan` and the index advisor on real files: Sakila's unindexed payment lookup,
//! Chinook's already indexed invoice lines, a sort served by (a, b DESC), a workload whose
//! suggestions, once applied to a copy, leave nothing to suggest, every printed CREATE INDEX run
//! as printed, the user's file unchanged, bad input, the workload rules of `report`, and
//! litescope's suggestions beside the `sqlite3` shell's `.expert` on fourteen queries.

mod common;

use std::path::Path;

use common::*;
use rusqlite::Connection;
use serde_json::Value;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn plan_json(db: &Path, sql: &str) -> Value {
    litescope_json(&["plan", s(db), "--sql", sql, "--json"])
}

fn details(plan: &Value) -> Vec<String> {
    plan.as_array()
        .unwrap()
        .iter()
        .map(|r| r["detail"].as_str().unwrap().to_string())
        .collect()
}

const SAKILA_JOIN: &str = "SELECT * FROM payment p JOIN customer c ON p.customer_id = c.customer_id WHERE c.customer_id = 5";

#[test]
fn sakila_payment_gets_an_index_on_customer_id_and_the_file_is_untouched() {
    let (dir, db) = corpus_copy("db/sakila.db");
    // The fact the test rests on: no index of payment starts with customer_id.
    let conn = Connection::open(&db).unwrap();
    let leading: i64 = conn
        .query_row(
            "SELECT count(*) FROM pragma_index_list('payment') AS l \
             WHERE (SELECT name FROM pragma_index_info(l.name) WHERE seqno = 0) = 'customer_id'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(leading, 0);
    drop(conn);
    let before = hash_tree(dir.path());
    let json = plan_json(&db, SAKILA_JOIN);
    let q = &json["queries"][0];
    assert_eq!(q["ok"], true);
    assert_eq!(q["full_scans"], serde_json::json!(["payment"]));
    assert!(details(&q["plan"]).iter().any(|d| d == "SCAN p"));
    let sugg = &q["suggestions"][0];
    assert_eq!(sugg["table"], "payment");
    assert_eq!(sugg["columns"], serde_json::json!(["customer_id"]));
    let name = sugg["name"].as_str().unwrap();
    let with = details(&sugg["plan"]);
    assert!(
        with.iter()
            .any(|d| d.starts_with("SEARCH p USING INDEX") && d.contains(name)),
        "{with:?}"
    );
    assert!(q["millis"].as_f64().is_some());
    assert_eq!(hash_tree(dir.path()), before, "plan changed a byte");
}

#[test]
fn chinook_invoice_lines_are_served_already() {
    let (_dir, db) = corpus_copy("db/Chinook_Sqlite.sqlite");
    let json = plan_json(
        &db,
        "SELECT * FROM InvoiceLine il JOIN Invoice i ON il.InvoiceId = i.InvoiceId WHERE i.InvoiceId = 5",
    );
    let q = &json["queries"][0];
    assert!(details(&q["plan"])
        .iter()
        .any(|d| d.contains("INDEX IFK_InvoiceLineInvoiceId")));
    assert_eq!(q["suggestions"], serde_json::json!([]));
    assert_eq!(q["full_scans"], serde_json::json!([]));
    let served = plan_json(&db, "SELECT * FROM Track WHERE AlbumId = ?");
    assert_eq!(served["queries"][0]["suggestions"], serde_json::json!([]));
    assert_eq!(
        served["queries"][0]["millis"],
        Value::Null,
        "has a parameter"
    );
}

#[test]
fn a_sort_after_an_equality_gets_both_columns() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    build(&db, "CREATE TABLE t(id INTEGER PRIMARY KEY, a, b, c);");
    let json = plan_json(&db, "SELECT * FROM t WHERE a = ? ORDER BY b DESC");
    let q = &json["queries"][0];
    assert_eq!(q["temp_btree"], true);
    let sugg = &q["suggestions"][0];
    assert_eq!(sugg["columns"], serde_json::json!(["a", "b"]));
    assert!(!details(&sugg["plan"])
        .iter()
        .any(|d| d.contains("TEMP B-TREE")));
    let (code, out, _) = litescope(&[
        "plan",
        s(&db),
        "--sql",
        "SELECT * FROM t WHERE a = ? ORDER BY b DESC",
    ]);
    assert_eq!(code, 0);
    assert!(
        out.contains("USE TEMP B-TREE FOR ORDER BY   <- sort"),
        "{out}"
    );
    assert!(out.contains(r#""b" DESC"#), "{out}");
}

const CHINOOK_WORKLOAD: &str = "
-- an application's queries
SELECT * FROM Invoice WHERE CustomerId = ? ORDER BY InvoiceDate DESC;
SELECT * FROM Track WHERE Composer = :composer;
SELECT * FROM Track WHERE Composer = @c AND Milliseconds > $ms;
SELECT * FROM Customer WHERE Country = ?1 ORDER BY LastName;
UPDATE Customer SET Email = ?2 WHERE Email = ?3;
DELETE FROM InvoiceLine WHERE UnitPrice > 1.5;
SELECT * FROM Track WHERE AlbumId = 3;
SELECT * FROM Employee WHERE LastName = 'King' AND FirstName = 'Robert';
";

/// Runs `sql` on `db` with the sqlite3 library, as a user pasting it would.
fn run_sql(db: &Path, sql: &str) {
    Connection::open(db)
        .unwrap()
        .execute_batch(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

#[test]
fn a_workload_with_its_suggestions_applied_needs_nothing_more() {
    let (dir, db) = corpus_copy("db/Chinook_Sqlite.sqlite");
    let workload = dir.path().join("app.sql");
    std::fs::write(&workload, CHINOOK_WORKLOAD).unwrap();
    let before = std::fs::read(&db).unwrap();
    let json = litescope_json(&["plan", s(&db), "--workload", s(&workload), "--json"]);
    assert_eq!(std::fs::read(&db).unwrap(), before);
    let queries = json["queries"].as_array().unwrap();
    assert_eq!(queries.len(), 8);
    assert_eq!(queries[0]["line"], 3);
    assert!(queries.iter().all(|q| q["ok"] == true));
    let indexes = json["indexes"].as_array().unwrap();
    // Track's two suggestions share Composer: one index serves both.
    let on_track: Vec<&Value> = indexes.iter().filter(|i| i["table"] == "Track").collect();
    assert_eq!(on_track.len(), 1);
    assert_eq!(
        on_track[0]["columns"],
        serde_json::json!(["Composer", "Milliseconds"])
    );
    // Chinook's indexes all serve a foreign key: none is called unused.
    assert_eq!(json["unused_indexes"], serde_json::json!([]));
    for i in indexes {
        run_sql(&db, i["sql"].as_str().unwrap());
    }
    let again = litescope_json(&["plan", s(&db), "--workload", s(&workload), "--json"]);
    for q in again["queries"].as_array().unwrap() {
        assert_eq!(q["suggestions"], serde_json::json!([]), "{}", q["sql"]);
    }
    assert_eq!(again["indexes"], serde_json::json!([]));
}

#[test]
fn every_printed_create_index_runs_as_printed() {
    let (dir, db) = corpus_copy("db/sakila.db");
    let workload = dir.path().join("app.sql");
    std::fs::write(
        &workload,
        format!(
            "{SAKILA_JOIN};\nSELECT * FROM rental WHERE customer_id = ? ORDER BY rental_date DESC;\n\
             SELECT title FROM film WHERE length > 120 AND rating = 'PG';\n\
             SELECT * FROM \"film_text\" WHERE title = 'x';"
        ),
    )
    .unwrap();
    let (code, out, err) = litescope(&["plan", s(&db), "--workload", s(&workload)]);
    assert_eq!(code, 0, "{err}");
    let creates: Vec<&str> = out
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("CREATE INDEX"))
        .collect();
    assert!(creates.len() >= 4, "{out}");
    let copy = dir.path().join("copy.db");
    std::fs::copy(&db, &copy).unwrap();
    for sql in creates {
        let conn = Connection::open(&copy).unwrap();
        conn.execute_batch(&format!("SAVEPOINT s; {sql} ROLLBACK TO s; RELEASE s;"))
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

#[test]
fn bad_input_is_one_line_naming_the_file() {
    let (dir, db) = corpus_copy("db/Chinook_Sqlite.sqlite");
    let missing = dir.path().join("missing.sql");
    let (code, _, err) = litescope(&["plan", s(&db), "--workload", s(&missing)]);
    assert_eq!(code, 2);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("missing.sql: no such file"), "{err}");
    let empty = dir.path().join("empty.sql");
    std::fs::write(&empty, "-- nothing here\n").unwrap();
    let (code, _, err) = litescope(&["plan", s(&db), "--workload", s(&empty)]);
    assert_eq!(code, 2);
    assert!(err.contains("empty.sql: holds no SQL statement"), "{err}");
    let (code, _, err) = litescope(&["plan", s(&db), "--sql", "SELEC 1"]);
    assert_eq!(code, 2);
    assert!(err.contains("syntax error"), "{err}");
    let text = dir.path().join("notes.db");
    std::fs::write(&text, "hello").unwrap();
    let (code, _, err) = litescope(&["plan", s(&text), "--sql", "SELECT 1"]);
    assert_eq!(code, 2);
    assert!(err.contains("notes.db"), "{err}");
    let (code, _, err) = litescope(&["report", s(&db), "--workload", s(&missing)]);
    assert_eq!(code, 2);
    assert!(err.contains("missing.sql"), "{err}");
    // The audit reads the workload once, before any database: a file it cannot read fails
    // `report` and `check` alike, never leaves the index-* rules quietly out.
    let binary = dir.path().join("binary.sql");
    std::fs::write(&binary, b"SELECT 1;\xff\xfe").unwrap();
    for (command, file) in [("report", &binary), ("check", &binary), ("check", &empty)] {
        let (code, out, err) = litescope(&[command, s(&db), "--workload", s(file)]);
        assert_eq!((code, out.as_str()), (2, ""), "{command} {file:?}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(s(file)), "{err}");
    }
    // The TUI refuses it before it takes the terminal.
    let (code, _, err) = litescope(&["--workload", s(&missing), s(&db)]);
    assert_eq!(code, 2);
    assert!(err.contains("missing.sql: no such file"), "{err}");
}

#[test]
fn writes_are_planned_never_run() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    build(&db, "CREATE TABLE t(a, b); INSERT INTO t VALUES (1, 2);");
    let json = plan_json(&db, "DELETE FROM t WHERE a = 1");
    let q = &json["queries"][0];
    assert_eq!(q["millis"], Value::Null);
    assert_eq!(q["suggestions"][0]["columns"], serde_json::json!(["a"]));
    let n: i64 = Connection::open(&db)
        .unwrap()
        .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn report_with_a_workload_suggests_and_finds_unused_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    build(
        &db,
        "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT, city TEXT);
         CREATE INDEX users_city ON users(city);",
    );
    let workload = dir.path().join("app.sql");
    std::fs::write(&workload, "SELECT * FROM users WHERE name = ?;").unwrap();
    let json = litescope_json(&[
        "report",
        s(&db),
        "--workload",
        s(&workload),
        "--format",
        "json",
    ]);
    let findings = json["findings"].as_array().unwrap();
    let rule = |id: &str| -> Vec<&Value> { findings.iter().filter(|f| f["rule"] == id).collect() };
    let suggested = rule("index-suggested");
    assert_eq!(suggested.len(), 1);
    assert_eq!(suggested[0]["object"], "users");
    assert_eq!(suggested[0]["severity"], "warning");
    assert!(suggested[0]["fix"]
        .as_str()
        .unwrap()
        .contains(r#"ON "users"("name")"#));
    let unused = rule("index-unused");
    // The UNIQUE index on email enforces a constraint and is never called unused.
    assert_eq!(unused.len(), 1);
    assert_eq!(unused[0]["object"], "users_city");
    assert_eq!(unused[0]["severity"], "info");
}

/// The shell's `.expert` suggestion for `sql` (columns of its CREATE INDEX), `None` for none;
/// the outer `None` when the shell has no `.expert`.
fn expert(db: &Path, sql: &str) -> Option<Option<String>> {
    let out = std::process::Command::new("sqlite3")
        .arg(db)
        .arg(".expert")
        .arg(format!("{sql};"))
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() || text.trim().is_empty() {
        return None;
    }
    let create = text.lines().find(|l| l.starts_with("CREATE INDEX"));
    Some(create.map(key_of))
}

/// The key of a CREATE INDEX, without quotes or spaces: `payment(customer_id,rental_date DESC)`
/// becomes `payment(customer_id,rental_dateDESC)`.
fn key_of(create: &str) -> String {
    let on = create.split(" ON ").nth(1).unwrap_or_default();
    on.trim_end_matches(';')
        .chars()
        .filter(|c| *c != '"' && !c.is_whitespace())
        .collect()
}

#[test]
fn suggestions_agree_with_the_shells_expert() {
    let cases = [
        ("db/sakila.db", SAKILA_JOIN),
        (
            "db/sakila.db",
            "SELECT * FROM rental WHERE customer_id = 3 ORDER BY rental_date DESC",
        ),
        (
            "db/sakila.db",
            "SELECT title FROM film WHERE length > 120 AND rating = 'PG'",
        ),
        ("db/sakila.db", "SELECT * FROM film_actor WHERE actor_id = 1"),
        (
            "db/sakila.db",
            "SELECT a.first_name, count(*) FROM actor a JOIN film_actor fa ON fa.actor_id = a.actor_id GROUP BY a.first_name",
        ),
        (
            "db/sakila.db",
            "SELECT * FROM inventory WHERE store_id = 1 AND film_id = 7",
        ),
        (
            "db/Chinook_Sqlite.sqlite",
            "SELECT * FROM InvoiceLine il JOIN Invoice i ON il.InvoiceId = i.InvoiceId WHERE i.InvoiceId = 5",
        ),
        ("db/Chinook_Sqlite.sqlite", "SELECT * FROM Track WHERE AlbumId = 3"),
        (
            "db/Chinook_Sqlite.sqlite",
            "SELECT * FROM Track WHERE Name LIKE 'A%'",
        ),
        (
            "db/Chinook_Sqlite.sqlite",
            "SELECT * FROM Invoice WHERE CustomerId = 4 ORDER BY InvoiceDate DESC",
        ),
        (
            "db/Chinook_Sqlite.sqlite",
            "SELECT * FROM Customer WHERE Country = 'USA' ORDER BY LastName",
        ),
        (
            "db/Chinook_Sqlite.sqlite",
            "SELECT * FROM Employee WHERE LastName = 'King' AND FirstName = 'Robert'",
        ),
        (
            "db/northwind.db",
            "SELECT * FROM Orders WHERE ShipCountry = 'France' AND OrderDate > '2016-01-01'",
        ),
        (
            "db/northwind.db",
            "SELECT * FROM \"Order Details\" WHERE ProductID = 11",
        ),
    ];
    for (file, sql) in cases {
        let (_dir, db) = corpus_copy(file);
        let Some(theirs) = expert(&db, sql) else {
            eprintln!("skipped: the sqlite3 shell is missing or has no .expert");
            return;
        };
        let json = plan_json(&db, sql);
        let ours = json["queries"][0]["suggestions"][0]["sql"]
            .as_str()
            .map(key_of);
        assert_eq!(ours, theirs, "{file}: {sql}");
    }
}
