//! Every fix `report` prints, run as printed on a copy of the database it is for: with the
//! `sqlite3` shell for SQL (text on stdin, as `sqlite3 FILE < fix.sql`), with `sh` for commands.
//! A fix must leave the file intact (integrity, every other object and row as it was, no new
//! foreign-key violation) and make its finding go away; a rebuild that fails must leave the file
//! as it was.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use rusqlite::Connection;
use serde_json::Value;

/// A finding that carries a fix.
#[derive(Debug, Clone)]
struct Fixable {
    rule: String,
    database: String,
    object: String,
    fix: String,
}

/// `report --format json` on `arg`, run from `root`, so that the printed paths and commands are
/// relative to `root`.
fn report(root: &Path, arg: &str) -> Vec<Fixable> {
    let out = Command::new(env!("CARGO_BIN_EXE_litescope"))
        .args(["report", arg, "--format", "json"])
        .current_dir(root)
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "report {arg}: {e}: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let text = |f: &Value, k: &str| f[k].as_str().unwrap_or_default().to_string();
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| Fixable {
            rule: text(f, "rule"),
            database: text(f, "database"),
            object: text(f, "object"),
            fix: text(f, "fix"),
        })
        .collect()
}

/// True for a fix that is a shell command rather than SQL.
fn is_command(fix: &str) -> bool {
    ["cp ", "sqlite3 ", "mv ", "litescope "]
        .iter()
        .any(|c| fix.trim_start().starts_with(c))
}

/// Runs SQL `fix` on `db` with the shell, returning (exit status, stderr).
fn run_sql(db: &Path, fix: &str) -> (i32, String) {
    common::sqlite3(db, fix)
}

/// Runs a fix's command with `sh` from `root`, with the `litescope` under test first on PATH
/// (a fix may name a litescope command).
fn run_command(root: &Path, fix: &str) -> (i32, String) {
    let bin = Path::new(env!("CARGO_BIN_EXE_litescope")).parent().unwrap();
    let path = std::env::join_paths(std::iter::once(bin.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let out = Command::new("sh")
        .args(["-c", fix])
        .env("PATH", path)
        .current_dir(root)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `(type, name) -> sql` of every schema entry.
fn schema(conn: &Connection) -> BTreeMap<(String, String), Option<String>> {
    let mut stmt = conn
        .prepare("SELECT type, name, sql FROM sqlite_schema")
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))
        .unwrap();
    rows.map(Result::unwrap).collect()
}

/// Rows of every ordinary table, and the AUTOINCREMENT counters.
fn counts(conn: &Connection) -> BTreeMap<String, i64> {
    let names: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' \
             AND sql NOT LIKE 'CREATE VIRTUAL%'",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut out: BTreeMap<String, i64> = names
        .iter()
        .map(|n| {
            let sql = format!("SELECT count(*) FROM \"{}\"", n.replace('"', "\"\""));
            (n.clone(), conn.query_row(&sql, [], |r| r.get(0)).unwrap())
        })
        .collect();
    if names.iter().any(|n| n == "sqlite_sequence") {
        let mut stmt = conn
            .prepare("SELECT name, seq FROM sqlite_sequence")
            .unwrap();
        let seqs = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .unwrap();
        for s in seqs {
            let (name, seq) = s.unwrap();
            out.insert(format!("sqlite_sequence:{name}"), seq);
        }
    }
    out
}

fn fk_violations(conn: &Connection) -> BTreeSet<(String, Option<i64>, String)> {
    let mut stmt = conn.prepare("PRAGMA foreign_key_check").unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap();
    rows.map(Result::unwrap).collect()
}

fn integrity(conn: &Connection) -> String {
    conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap()
}

/// What a database holds, as far as a fix may not change it.
struct State {
    schema: BTreeMap<(String, String), Option<String>>,
    counts: BTreeMap<String, i64>,
    violations: BTreeSet<(String, Option<i64>, String)>,
}

fn state(db: &Path) -> State {
    let conn = Connection::open(db).unwrap();
    State {
        schema: schema(&conn),
        counts: counts(&conn),
        violations: fk_violations(&conn),
    }
}

/// The table a fix's object names (`child.col` → `child`; an index or file name as it is).
fn object_table(f: &Fixable) -> String {
    f.object.split('.').next().unwrap_or_default().to_string()
}

/// Copies `src` (a folder) to a new temp dir as `name`; returns (guard, root).
fn copy_folder(src: &Path, name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new("cp")
        .arg("-R")
        .arg(src)
        .arg(dir.path().join(name))
        .status()
        .unwrap();
    assert!(status.success());
    let root = dir.path().to_path_buf();
    (dir, root)
}

/// Applies every fix found under `src` (copied as folder `name`) to a fresh copy each, and checks
/// what it did; returns how many fixes were run.
fn apply_every_fix(src: &Path, name: &str) -> usize {
    let (_guard, root) = copy_folder(src, name);
    let findings = report(&root, name);
    let fixable: Vec<&Fixable> = findings.iter().filter(|f| !f.fix.is_empty()).collect();
    let mut failures = Vec::new();
    for f in &fixable {
        if let Err(e) = apply_one(src, name, f, &findings) {
            failures.push(format!(
                "{} {} {}: {e}\n--- fix ---\n{}",
                f.rule, f.database, f.object, f.fix
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    fixable.len()
}

fn apply_one(src: &Path, name: &str, f: &Fixable, all: &[Fixable]) -> Result<(), String> {
    let (_guard, root) = copy_folder(src, name);
    let db = root.join(name).join(&f.database);
    let arg = format!("{name}/{}", f.database);
    if is_command(&f.fix) {
        let (code, err) = run_command(&root, &f.fix);
        if code != 0 || !err.is_empty() {
            return Err(format!("exit {code}: {err}"));
        }
        let ok = integrity(&Connection::open(&db).unwrap());
        if ok != "ok" {
            return Err(format!("integrity_check: {ok}"));
        }
        return gone(&root, &arg, f);
    }
    // A key is declared once its orphans are cleaned: the orphan fixes of the table go first.
    let table = object_table(f);
    let mut cleaned = BTreeSet::new();
    if f.rule == "fk-missing" {
        for o in all.iter().filter(|o| {
            o.rule == "orphan-rows" && o.database == f.database && object_table(o) == table
        }) {
            let (code, err) = run_sql(&db, &o.fix);
            if code != 0 || !err.is_empty() {
                return Err(format!("orphan fix {}: exit {code}: {err}", o.object));
            }
            cleaned.insert(table.clone());
        }
    }
    let before = state(&db);
    let (code, err) = run_sql(&db, &f.fix);
    if code != 0 || !err.is_empty() {
        return Err(format!("exit {code}: {err}"));
    }
    let after = state(&db);
    let ok = integrity(&Connection::open(&db).unwrap());
    if ok != "ok" {
        return Err(format!("integrity_check: {ok}"));
    }
    if f.rule == "fk-missing" {
        let key = ("table".to_string(), table.clone());
        let sql = after
            .schema
            .get(&key)
            .cloned()
            .flatten()
            .unwrap_or_default();
        if !sql.contains("FOREIGN KEY") || sql.contains("litescope_new") {
            return Err(format!("{table} was not rebuilt with a FOREIGN KEY: {sql}"));
        }
    }
    for (key, sql) in &before.schema {
        let rebuilt = f.rule == "fk-missing" && key.0 == "table" && key.1 == table;
        let dropped = f.rule == "index-redundant" && key.0 == "index" && key.1 == f.object;
        match after.schema.get(key) {
            None if !dropped => return Err(format!("{key:?} is gone")),
            Some(now) if now != sql && !rebuilt => {
                return Err(format!("{key:?} changed: {sql:?} -> {now:?}"))
            }
            _ => {}
        }
    }
    // Orphan fixes may delete rows of their own table; nothing else changes a count.
    let deletes = matches!(f.rule.as_str(), "orphan-rows" | "fk-violation");
    for (t, n) in &before.counts {
        let now = after.counts.get(t).copied();
        let allowed = deletes && *t == table && now.is_some_and(|m| m <= *n);
        if now != Some(*n) && !allowed {
            return Err(format!("{t}: {n} rows before, {now:?} after"));
        }
    }
    let new_violations: Vec<_> = after.violations.difference(&before.violations).collect();
    if !new_violations.is_empty() {
        return Err(format!("new foreign key violations: {new_violations:?}"));
    }
    // A fix that is only a comment is advice for the next rebuild: harmless, but the finding
    // stays until someone follows it.
    let advice = f
        .fix
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with("--"));
    if advice {
        return Ok(());
    }
    gone(&root, &arg, f)
}

/// The finding is not reported again; for `fk-missing`, whose fix is the table's one rebuild,
/// neither is any other key missing from the same table.
fn gone(root: &Path, arg: &str, f: &Fixable) -> Result<(), String> {
    let again = report(root, arg);
    let table = object_table(f);
    match again.iter().find(|g| {
        g.rule == f.rule
            && (g.object == f.object || (f.rule == "fk-missing" && object_table(g) == table))
    }) {
        Some(g) => Err(format!("still reported: {}", g.object)),
        None => Ok(()),
    }
}

#[test]
fn every_fix_for_the_corpus_applies_cleanly() {
    let corpus = common::corpus();
    let ran = apply_every_fix(&corpus.join("db"), "db");
    assert!(ran >= 10, "only {ran} fixes found");
    // Names with spaces and quotes, which every rebuild must quote.
    let (_dir, edge) = common::corpus_copy("edge/sakila_whitespace_derived.db");
    let folder = edge.parent().unwrap().join("ws");
    std::fs::create_dir(&folder).unwrap();
    std::fs::rename(&edge, folder.join("ws.db")).unwrap();
    apply_every_fix(&folder, "ws");
}

#[test]
fn every_fix_for_the_demo_applies_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let (code, _, err) =
        common::litescope(&["demo".as_ref(), demo.as_os_str()] as &[&std::ffi::OsStr]);
    assert_eq!(code, 0, "{err}");
    let ran = apply_every_fix(&demo, "demo");
    assert!(ran >= 5, "only {ran} fixes found");
}

/// A child table with an inferred relation to `users`, a trigger, an index and a view around it.
fn rebuild_fixture(dir: &Path, orphans: bool) -> PathBuf {
    let db = dir.join("app.db");
    common::build(
        &db,
        &format!(
            "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT);
             CREATE TABLE posts(id INTEGER PRIMARY KEY AUTOINCREMENT,
                                user_id INTEGER NOT NULL, body TEXT CHECK (length(body) < 100));
             CREATE INDEX posts_body ON posts(body);
             CREATE TABLE log(x);
             CREATE TRIGGER posts_log AFTER INSERT ON posts BEGIN INSERT INTO log VALUES (new.id); END;
             CREATE VIEW v AS SELECT * FROM posts JOIN users ON users.id = posts.user_id;
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20)
             INSERT INTO users SELECT i, 'u' || i FROM n;
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
             INSERT INTO posts(user_id, body) SELECT 1 + i % 20, 'b' || i FROM n;
             {}",
            if orphans {
                "INSERT INTO posts(user_id, body) VALUES (999, 'orphan');"
            } else {
                ""
            }
        ),
    );
    db
}

fn declare_fix(dir: &Path) -> String {
    let found = report(dir, "app.db");
    found
        .into_iter()
        .find(|f| f.rule == "fk-missing" && f.object == "posts.user_id")
        .expect("an fk-missing finding for posts.user_id")
        .fix
}

#[test]
fn a_rebuild_that_fails_leaves_the_file_as_it_was() {
    // Late failure: the new key is violated, found only after the drop and the rename.
    let dir = tempfile::tempdir().unwrap();
    let db = rebuild_fixture(dir.path(), true);
    let fix = declare_fix(dir.path());
    let before = common::hash_tree(dir.path());
    let (code, err) = run_sql(&db, &fix);
    assert_ne!(code, 0);
    assert!(err.contains("clean the orphan rows first"), "{err}");
    assert_eq!(common::hash_tree(dir.path()), before);

    // Early failure: the copy step fails (its source is made to be missing).
    let dir = tempfile::tempdir().unwrap();
    let db = rebuild_fixture(dir.path(), false);
    let fix = declare_fix(dir.path());
    let broken = fix.replacen("FROM \"posts\";", "FROM \"no_such_table\";", 1);
    assert_ne!(broken, fix, "the copy step is where the test expects it");
    let before = common::hash_tree(dir.path());
    let (code, err) = run_sql(&db, &broken);
    assert_ne!(code, 0);
    assert!(err.contains("no such table"), "{err}");
    assert_eq!(common::hash_tree(dir.path()), before);
}

#[test]
fn a_rebuild_keeps_rowids_counters_triggers_indexes_and_views() {
    let dir = tempfile::tempdir().unwrap();
    let db = rebuild_fixture(dir.path(), false);
    Connection::open(&db)
        .unwrap()
        .execute_batch("DELETE FROM posts WHERE id > 190; ANALYZE;")
        .unwrap();
    let fix = declare_fix(dir.path());
    let before = state(&db);
    let stat_before: i64 = Connection::open(&db)
        .unwrap()
        .query_row("SELECT count(*) FROM sqlite_stat1", [], |r| r.get(0))
        .unwrap();
    let (code, err) = run_sql(&db, &fix);
    assert_eq!((code, err.as_str()), (0, ""));
    let after = state(&db);
    assert_eq!(
        after.counts, before.counts,
        "rows and AUTOINCREMENT counters"
    );
    let conn = Connection::open(&db).unwrap();
    let stat_after: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_stat1", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stat_after, stat_before);
    // The trigger still fires, the counter goes on from where it was, the key is enforced.
    conn.execute_batch(
        "PRAGMA foreign_keys = ON; INSERT INTO posts(user_id, body) VALUES (1, 'x');",
    )
    .unwrap();
    let (id, logged): (i64, i64) = conn
        .query_row(
            "SELECT max(id), (SELECT count(*) FROM log) FROM posts",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((id, logged), (201, 201));
    assert!(conn
        .execute("INSERT INTO posts(user_id, body) VALUES (999, 'x')", [])
        .is_err());
    for key in [
        ("index", "posts_body"),
        ("trigger", "posts_log"),
        ("view", "v"),
    ] {
        let key = (key.0.to_string(), key.1.to_string());
        assert_eq!(after.schema.get(&key), before.schema.get(&key), "{key:?}");
    }
    let sql = after.schema[&("table".to_string(), "posts".to_string())]
        .clone()
        .unwrap();
    assert!(sql.contains("CHECK (length(body) < 100)") && sql.contains("AUTOINCREMENT"));
    assert!(!sql.lines().any(|l| l.trim() == ","), "{sql}");
}

#[test]
fn a_rebuild_keeps_every_constraint_of_an_unusual_table() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    common::build(
        &db,
        r#"CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT COLLATE NOCASE UNIQUE,
                              parent_id INTEGER);
           CREATE TABLE "order ""items"""(
             code TEXT PRIMARY KEY, -- the item's code (a comment with a ')')
             user_id INTEGER NOT NULL DEFAULT 1 CHECK (user_id > 0),
             qty INTEGER,
             total INTEGER GENERATED ALWAYS AS (qty * 2) VIRTUAL
           ) STRICT, WITHOUT ROWID;
           CREATE INDEX "items qty" ON "order ""items"""(qty);
           CREATE TRIGGER users_item AFTER INSERT ON users
             BEGIN INSERT INTO "order ""items"""(code, user_id, qty) VALUES ('t' || new.id, new.id, 1); END;
           CREATE VIEW v AS SELECT u.name, i.total FROM users u JOIN "order ""items""" i ON i.user_id = u.id;
           INSERT INTO users VALUES (1, 'root', NULL), (2, 'a', 1), (3, 'b', 1), (4, 'c', 2);
           INSERT INTO "order ""items"""(code, user_id, qty) VALUES ('x', 1, 3), ('y', 2, 4), ('z', 4, 5);"#,
    );
    let fixes: Vec<Fixable> = report(dir.path(), "app.db")
        .into_iter()
        .filter(|f| f.rule == "fk-missing")
        .collect();
    let objects: BTreeSet<&str> = fixes.iter().map(|f| f.object.as_str()).collect();
    assert_eq!(
        objects,
        BTreeSet::from(["order \"items\".user_id", "users.parent_id"])
    );
    let before = state(&db);
    for f in &fixes {
        let (code, err) = run_sql(&db, &f.fix);
        assert_eq!((code, err.as_str()), (0, ""), "{}", f.fix);
    }
    let after = state(&db);
    assert_eq!(after.counts, before.counts);
    let conn = Connection::open(&db).unwrap();
    assert_eq!(integrity(&conn), "ok");
    assert!(after.violations.is_empty());
    let items = after.schema[&("table".to_string(), "order \"items\"".to_string())]
        .clone()
        .unwrap();
    for kept in [
        "-- the item's code (a comment with a ')')",
        "DEFAULT 1 CHECK (user_id > 0)",
        "GENERATED ALWAYS AS (qty * 2) VIRTUAL",
        ") STRICT, WITHOUT ROWID",
        "FOREIGN KEY (\"user_id\") REFERENCES \"users\"(\"id\")",
    ] {
        assert!(items.contains(kept), "{kept} lost: {items}");
    }
    for key in [
        ("index", "items qty"),
        ("trigger", "users_item"),
        ("view", "v"),
    ] {
        let key = (key.0.to_string(), key.1.to_string());
        assert_eq!(after.schema.get(&key), before.schema.get(&key), "{key:?}");
    }
    let totals: i64 = conn
        .query_row("SELECT sum(total) FROM v", [], |r| r.get(0))
        .unwrap();
    // 3 items of qty 3, 4, 5 and 4 made by the trigger with qty 1, each total twice its qty.
    assert_eq!(totals, 32);
    // The trigger on the rebuilt users table still fires; the keys hold.
    conn.execute_batch("PRAGMA foreign_keys = ON; INSERT INTO users VALUES (5, 'd', 4);")
        .unwrap();
    assert!(conn
        .execute("INSERT INTO users VALUES (6, 'e', 99)", [])
        .is_err());
    assert!(report(dir.path(), "app.db")
        .iter()
        .all(|f| f.rule != "fk-missing"));
}
