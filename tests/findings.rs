//! The audit's rules: each fires on a fixture built to trigger it, and stays silent on a clean
//! fixture and on Chinook, a well-kept database.

mod common;

use std::path::Path;

use common::*;
use rusqlite::config::DbConfig;
use rusqlite::Connection;
use serde_json::Value;

fn findings(paths: &[&Path]) -> Vec<Value> {
    let mut args = vec!["report", "--format", "json"];
    let strs: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    args.extend(strs.iter().map(String::as_str));
    litescope_json(&args)["findings"]
        .as_array()
        .unwrap()
        .clone()
}

fn by_rule<'a>(found: &'a [Value], rule: &str) -> Vec<&'a Value> {
    found.iter().filter(|f| f["rule"] == rule).collect()
}

const CLEAN: &str = "
    PRAGMA journal_mode=WAL;
    CREATE TABLE schema_migrations (version TEXT PRIMARY KEY);
    CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, created_at TEXT);
    CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), body TEXT);
    CREATE INDEX posts_user ON posts(user_id);
    INSERT INTO users VALUES (1, 'a@x', '2026-01-01'), (2, 'b@x', '2026-01-02');
    INSERT INTO posts VALUES (1, 1, 'hello'), (2, 2, 'world');
";

/// Runs a finding's fix as printed, in a shell that finds this build's `litescope`.
fn run_fix(finding: &Value) {
    let bin = Path::new(env!("CARGO_BIN_EXE_litescope")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let fix = finding["fix"].as_str().unwrap();
    let out = std::process::Command::new("sh")
        .args(["-c", fix])
        .env("PATH", path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{fix}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_clean_database_and_chinook_have_no_findings_once_backed_up() {
    let dir = tempfile::tempdir().unwrap();
    let clean = dir.path().join("clean.db");
    build(&clean, CLEAN);
    let (_tmp, chinook) = corpus_copy("db/Chinook_Sqlite.sqlite");
    for db in [&clean, &chinook] {
        let found = findings(&[db]);
        let rules: Vec<&Value> = found.iter().map(|f| &f["rule"]).collect();
        assert_eq!(rules, ["no-backup"], "{found:?}");
        run_fix(&found[0]);
        assert_eq!(findings(&[db]), Vec::<Value>::new());
    }
}

#[test]
fn backups_are_found_where_they_are_kept_and_an_old_one_is_stale() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clean.db");
    build(&db, CLEAN);
    let elsewhere = dir.path().join("vault");
    let made = litescope_json(&[
        "backup",
        "create",
        db.to_str().unwrap(),
        "--out",
        elsewhere.to_str().unwrap(),
        "--json",
    ]);
    let rules = |extra: &[&str]| -> Vec<String> {
        let mut args = vec!["report", "--format", "json", db.to_str().unwrap()];
        args.extend(extra);
        let found = litescope_json(&args)["findings"]
            .as_array()
            .unwrap()
            .clone();
        found
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect()
    };
    let vault = ["--backups", elsewhere.to_str().unwrap()];
    assert_eq!(rules(&[]), ["no-backup"]);
    assert_eq!(rules(&vault), Vec::<String>::new());
    let manifest = sibling(Path::new(made["path"].as_str().unwrap()), ".manifest.json");
    let mut m: Value = serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
    m["created_unix_ms"] = (m["created_unix_ms"].as_u64().unwrap() - 10 * 86_400_000).into();
    std::fs::write(&manifest, m.to_string()).unwrap();
    assert_eq!(rules(&vault), ["backup-stale"]);
}

const PROBLEMS: &str = r#"
    PRAGMA foreign_keys=OFF;
    PRAGMA journal_mode=WAL;
    CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, deletedAt TEXT, created_at TEXT);
    CREATE TABLE "my posts" (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id),
        meta TEXT, body TEXT);
    CREATE INDEX p1 ON "my posts"(user_id, body);
    CREATE INDEX p2 ON "my posts"(user_id, body, meta);
    CREATE TABLE comments (id INTEGER PRIMARY KEY, user_id INTEGER, body TEXT);
    INSERT INTO users (id) VALUES (1), (2), (3);
    INSERT INTO "my posts" VALUES (1, 1, '{"a":1}', 'x'), (2, 9, '{"a":2}', 'y'), (3, NULL, '[1,2]', 'z'),
        (4, 2, '{"b":[1]}', 'w'), (5, 3, '{"c":null}', 'v'), (6, 8, '{}', 'u');
    INSERT INTO comments VALUES (1, 1, 'a'), (2, 2, 'b'), (3, 3, 'c'), (4, 77, 'd');
"#;

#[test]
fn each_rule_fires_on_its_fixture_with_the_facts() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bad.db");
    build(&db, PROBLEMS);
    let found = findings(&[&db]);
    let violation = by_rule(&found, "fk-violation");
    assert_eq!(violation.len(), 1);
    assert_eq!(violation[0]["object"], "my posts.user_id");
    assert_eq!(violation[0]["count"], 2);
    assert_eq!(violation[0]["severity"], "error");
    let redundant = by_rule(&found, "index-redundant");
    assert_eq!(redundant.len(), 1);
    assert_eq!(redundant[0]["object"], "p1");
    assert_eq!(redundant[0]["fix"], "DROP INDEX \"p1\";");
    assert_eq!(by_rule(&found, "fk-null")[0]["count"], 1);
    assert_eq!(
        by_rule(&found, "json-in-text")[0]["object"],
        "my posts.meta"
    );
    assert_eq!(by_rule(&found, "json-in-text")[0]["count"], 6);
    assert_eq!(
        by_rule(&found, "naming-mixed")[0]["object"],
        "users.deletedAt"
    );
    assert_eq!(by_rule(&found, "no-migration-tracking").len(), 1);
    let missing = by_rule(&found, "fk-missing");
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0]["object"], "comments.user_id");
    assert_eq!(by_rule(&found, "orphan-rows")[0]["count"], 1);
    assert!(by_rule(&found, "fk-missing-index").is_empty());
}

#[test]
fn unindexed_foreign_keys_agree_with_sqlite3_lint() {
    let (_tmp, dir) = corpus_copy("db");
    let count = |file: &str| {
        let found = findings(&[&dir.join(file)]);
        by_rule(&found, "fk-missing-index").len()
    };
    // `.lint fkey-indexes` in the sqlite3 shell lists 10 and 20 on these files.
    assert_eq!(count("northwind.db"), 10);
    assert_eq!(count("sakila.db"), 20);
}

#[test]
fn file_rules_and_cross_database_conflicts() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("gateway.db"), b"").unwrap();
    build(&root.join("gateway.db.backup"), "CREATE TABLE t(a);");
    std::fs::write(root.join("notes.sqlite"), b"just some text").unwrap();
    // One file name in two places: meant to share their tables.
    for sub in ["a", "b"] {
        std::fs::create_dir(root.join(sub)).unwrap();
    }
    build(
        &root.join("a/app.db"),
        "CREATE TABLE thread_summaries (id INTEGER PRIMARY KEY, summary TEXT);",
    );
    build(
        &root.join("b/app.db"),
        "CREATE TABLE thread_summaries (id TEXT PRIMARY KEY, body TEXT);",
    );
    let found = findings(&[root]);
    let empty = by_rule(&found, "file-empty");
    assert_eq!(empty.len(), 1);
    assert!(empty[0]["message"]
        .as_str()
        .unwrap()
        .contains("gateway.db.backup beside it"));
    assert_eq!(
        by_rule(&found, "file-not-sqlite")[0]["database"],
        "notes.sqlite"
    );
    let conflict = by_rule(&found, "schema-conflict");
    assert_eq!(conflict.len(), 1);
    assert_eq!(conflict[0]["database"], "a/app.db <> b/app.db");
    let message = conflict[0]["message"].as_str().unwrap();
    assert!(message.contains("only in the first: summary"), "{message}");
    assert!(
        message.contains("id (INTEGER NULL PK vs TEXT NULL PK)"),
        "{message}"
    );
    // Errors sort first.
    assert_eq!(found[0]["severity"], "error");
}

#[test]
fn corrupt_files_are_reported() {
    let (_tmp, edge) = corpus_copy("edge");
    let found = findings(&[&edge]);
    let corrupt: Vec<&str> = by_rule(&found, "file-corrupt")
        .iter()
        .map(|f| f["database"].as_str().unwrap())
        .collect();
    assert_eq!(corrupt.len(), 4, "{corrupt:?}");
    assert_eq!(by_rule(&found, "file-empty").len(), 1);
    assert_eq!(by_rule(&found, "file-not-sqlite").len(), 4);
}

#[test]
fn reports_are_byte_identical_across_runs_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    demo_into(dir.path());
    for format in ["text", "md", "json", "sarif"] {
        let run = || litescope(&["report", "--format", format, dir.path().to_str().unwrap()]).1;
        let first = run();
        assert!(!first.is_empty());
        assert_eq!(first, run(), "{format}");
    }
}

fn demo_into(dir: &Path) {
    let target = dir.join("demo");
    let (code, _, err) = litescope(&["demo", target.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn check_gates_on_the_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let clean = dir.path().join("clean.db");
    build(&clean, CLEAN);
    let p = clean.to_str().unwrap();
    assert_eq!(
        litescope(&["check", p, "--fail-on", "warning"]).0,
        1,
        "no backup yet"
    );
    assert_eq!(litescope(&["backup", "create", p]).0, 0);
    assert_eq!(litescope(&["check", p, "--fail-on", "info"]).0, 0);
    let bad = dir.path().join("bad.db");
    build(&bad, PROBLEMS);
    let b = bad.to_str().unwrap();
    assert_eq!(litescope(&["check", b]).0, 1);
    let (code, out, _) = litescope(&["check", b, "--fail-on", "error"]);
    assert_eq!(code, 1);
    assert!(
        out.lines().any(|l| l.starts_with("error   fk-violation")),
        "{out}"
    );
    let mut warn_only = PROBLEMS
        .replace("(2, 9,", "(2, 1,")
        .replace("(6, 8,", "(6, 1,");
    warn_only.push(' ');
    let w = dir.path().join("warn.db");
    build(&w, &warn_only);
    assert_eq!(
        litescope(&["check", w.to_str().unwrap(), "--fail-on", "error"]).0,
        0
    );
    assert_eq!(
        litescope(&["check", w.to_str().unwrap(), "--fail-on", "warning"]).0,
        1
    );
}

#[test]
fn sarif_output_is_sarif_2_1_0() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.db");
    build(&bad, PROBLEMS);
    let sarif = litescope_json(&["report", "--format", "sarif", bad.to_str().unwrap()]);
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results
        .iter()
        .any(|r| r["ruleId"] == "fk-violation" && r["level"] == "error"));
    assert!(results.iter().any(|r| r["level"] == "note"));
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert!(rules.iter().any(|r| r["id"] == "index-redundant"));
}

#[test]
fn file_level_rules_fire_on_their_fixtures() {
    let dir = tempfile::tempdir().unwrap();
    // journal-mode: a rollback-mode database that an application tracks migrations in.
    let tracked = dir.path().join("tracked.db");
    build(
        &tracked,
        "CREATE TABLE _sqlx_migrations (version INTEGER PRIMARY KEY);",
    );
    let found = findings(&[&tracked]);
    assert_eq!(by_rule(&found, "journal-mode").len(), 1);
    // freelist-bloat: delete most of a table without VACUUM.
    let bloated = dir.path().join("bloated.db");
    build(
        &bloated,
        "CREATE TABLE t(x);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
         INSERT INTO t SELECT randomblob(500) FROM n;
         DELETE FROM t WHERE rowid > 500;",
    );
    let found = findings(&[&bloated]);
    let bloat = by_rule(&found, "freelist-bloat");
    assert_eq!(bloat.len(), 1);
    assert!(bloat[0]["count"].as_u64().unwrap() > 500);
    // no-stats: a big table with two indexes and no ANALYZE; silent once ANALYZE ran.
    let big = dir.path().join("big.db");
    let sql = "CREATE TABLE t(a, b);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
         INSERT INTO t SELECT i, i % 7 FROM n;
         CREATE INDEX ta ON t(a); CREATE INDEX tb ON t(b);";
    build(&big, sql);
    assert_eq!(by_rule(&findings(&[&big]), "no-stats").len(), 1);
    Connection::open(&big)
        .unwrap()
        .execute_batch("ANALYZE;")
        .unwrap();
    assert!(by_rule(&findings(&[&big]), "no-stats").is_empty());
}

#[test]
fn a_wal_left_behind_without_shm_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; CREATE TABLE t(x);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
         INSERT INTO t SELECT randomblob(100) FROM n;
         PRAGMA wal_checkpoint(TRUNCATE); INSERT INTO t VALUES (1);",
    )
    .unwrap();
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)
        .unwrap();
    drop(conn);
    let shm = dir.path().join("app.db-shm");
    assert_eq!(by_rule(&findings(&[&path]), "wal-large").len(), 0);
    std::fs::remove_file(shm).unwrap();
    let found = findings(&[&path]);
    let wal = by_rule(&found, "wal-large");
    assert_eq!(wal.len(), 1);
    assert!(wal[0]["message"].as_str().unwrap().contains("no -shm"));
}

#[test]
fn a_backup_stands_in_for_its_empty_database_and_is_not_audited_beside_a_sound_one() {
    let dir = tempfile::tempdir().unwrap();
    let memory = dir.path().join("memory.db");
    build(
        &memory,
        "CREATE TABLE thread_summaries(id INTEGER PRIMARY KEY, thread_id TEXT, summary TEXT,
             created_at TEXT);",
    );
    std::fs::write(dir.path().join("gateway.db"), b"").unwrap();
    build(
        &dir.path().join("gateway.db.backup"),
        "CREATE TABLE thread_summaries(id INTEGER PRIMARY KEY, thread_id TEXT, summary TEXT,
             created_at TEXT, token_count INTEGER);
         CREATE TABLE sessions(id INTEGER PRIMARY KEY, userId INTEGER);",
    );
    let found = findings(&[dir.path()]);
    let conflicts = by_rule(&found, "schema-conflict");
    assert_eq!(conflicts.len(), 1, "{found:?}");
    let message = conflicts[0]["message"].as_str().unwrap();
    assert!(
        message.contains("gateway.db.backup stands in for gateway.db: empty"),
        "{message}"
    );
    // Once gateway.db holds its data again, its backup is not audited a second time.
    std::fs::remove_file(dir.path().join("gateway.db")).unwrap();
    std::fs::copy(
        dir.path().join("gateway.db.backup"),
        dir.path().join("gateway.db"),
    )
    .unwrap();
    let found = findings(&[dir.path()]);
    assert!(
        found
            .iter()
            .all(|f| f["database"].as_str().unwrap() != "gateway.db.backup"),
        "{found:?}"
    );
    assert_eq!(by_rule(&found, "naming-mixed").len(), 1, "{found:?}");
}

#[test]
fn a_backups_folder_above_the_database_counts() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("data").join("app.db");
    std::fs::create_dir(dir.path().join("data")).unwrap();
    build(&db, CLEAN);
    assert_eq!(by_rule(&findings(&[&db]), "no-backup").len(), 1);
    let out = dir.path().join("backups");
    let (code, _, err) = litescope(&[
        "backup",
        "create",
        db.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(findings(&[&db]), Vec::<Value>::new());
}

/// The report counts relations while `quick_check` still runs beside the measuring pass; a file
/// the check then finds damaged gets no finding from those counts, as when the two ran in turn.
#[test]
fn a_file_quick_check_finds_damaged_gets_no_counted_findings() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    build(
        &db,
        "PRAGMA foreign_keys = OFF;
         CREATE TABLE p(id INTEGER PRIMARY KEY);
         CREATE TABLE c(id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id), note TEXT);
         INSERT INTO p VALUES (1);
         INSERT INTO c VALUES (1, 1, 'a'), (2, 7, NULL);",
    );
    let sound = findings(&[&db]);
    assert_eq!(by_rule(&sound, "fk-violation").len(), 1, "{sound:?}");
    assert!(by_rule(&sound, "file-corrupt").is_empty(), "{sound:?}");
    // A NOT NULL column holding a NULL: the schema still reads, quick_check reports the row.
    let conn = Connection::open(&db).unwrap();
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, false)
        .unwrap();
    conn.execute_batch(
        "PRAGMA writable_schema = ON;
         UPDATE sqlite_schema SET sql = replace(sql, 'note TEXT', 'note TEXT NOT NULL')
         WHERE name = 'c';",
    )
    .unwrap();
    drop(conn);
    let damaged = findings(&[&db]);
    let corrupt = by_rule(&damaged, "file-corrupt");
    assert_eq!(corrupt.len(), 1, "{damaged:?}");
    assert!(
        corrupt[0]["message"].as_str().unwrap().contains("NULL"),
        "{corrupt:?}"
    );
    assert!(by_rule(&damaged, "fk-violation").is_empty(), "{damaged:?}");
}

#[test]
fn a_wal_that_is_not_a_wal_holds_no_commit_to_warn_about() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    build(
        &db,
        "PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES (1);",
    );
    let garbage: Vec<u8> = (0..5000u32).map(|i| (i * 7919 % 251) as u8).collect();
    std::fs::write(dir.path().join("app.db-wal"), garbage).unwrap();
    let json = litescope_json(&["report", "--format", "json", db.to_str().unwrap()]);
    let rules: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(!rules.contains(&"wal-large"), "{json}");
}
