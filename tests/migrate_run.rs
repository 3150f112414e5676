//! Applying and rolling back migrations: the corpus's real folders (copied to temp dirs) on fresh
//! databases, and folders built here for what the corpus does not show (a failure halfway, a
//! table rebuild under cascading children, a lock held by another process, cancel).

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use litescope::engine::connect;
use litescope::engine::migrate::run::{self, Direction, Event};
use litescope::engine::migrate::{read_folder, Kind};
use rusqlite::Connection;
use sha2::{Digest, Sha384};

use common::{corpus_copy, dump, litescope, litescope_json, query};

/// An empty database file (SQLite writes its header on the first statement).
fn fresh(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    Connection::open(&path)
        .unwrap()
        .execute_batch("PRAGMA user_version = 0; VACUUM")
        .unwrap();
    path
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn schema(db: &Path) -> Vec<String> {
    dump(db)
        .into_iter()
        .take_while(|l| !l.starts_with("-- "))
        .filter(|l| !l.contains("schema_migrations") && !l.contains("version_unique"))
        .collect()
}

fn states(db: &Path, dir: &Path) -> Vec<(String, String)> {
    let v = litescope_json(&["migrate", "status", s(db), "--dir", s(dir), "--json"]);
    v["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["version"].as_str().unwrap().to_string(),
                m["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn count(states: &[(String, String)], state: &str) -> usize {
    states.iter().filter(|(_, s)| s == state).count()
}

#[test]
fn sqlx_atuin_applies_all_12_and_records_them_as_sqlx_does() {
    let (tmp, dir) = corpus_copy("migrations/sqlx-atuin-client");
    let db = fresh(tmp.path(), "history.db");
    let out = litescope_json(&[
        "migrate",
        "up",
        s(&db),
        "--dir",
        s(&dir),
        "--kind",
        "sqlx",
        "--json",
    ]);
    assert_eq!(out["applied"].as_array().unwrap().len(), 12, "{out}");
    assert!(out["failed"].is_null());
    assert_eq!(out["tracking"]["kind"], "sqlx");
    assert_eq!(out["tracking"]["table"], "_sqlx_migrations");
    let backup = out["backup"].as_str().unwrap();
    assert!(Path::new(backup).is_file(), "{backup}");
    assert!(Path::new(backup).starts_with(tmp.path().join("backups")));

    let conn = Connection::open(&db).unwrap();
    let mut stmt = conn
        .prepare("SELECT version, description, success, checksum, execution_time FROM _sqlx_migrations ORDER BY version")
        .unwrap();
    let rows: Vec<(i64, String, bool, Vec<u8>, i64)> = stmt
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), 12);
    let first = dir.join("20210422143411_create_history.sql");
    let sum = Sha384::digest(std::fs::read(&first).unwrap()).to_vec();
    assert_eq!(rows[0].0, 20210422143411);
    assert_eq!(rows[0].1, "create history");
    assert!(rows[0].2);
    assert_eq!(rows[0].3, sum);
    assert!(rows.iter().all(|r| r.4 >= 0));

    let st = states(&db, &dir);
    assert_eq!((count(&st, "applied"), count(&st, "modified")), (12, 0));
    let mut text = std::fs::read_to_string(&first).unwrap();
    text.push_str("\n-- edited\n");
    std::fs::write(&first, text).unwrap();
    let st = states(&db, &dir);
    assert_eq!((count(&st, "applied"), count(&st, "modified")), (11, 1));
    assert_eq!(
        st.iter().find(|(_, s)| s == "modified").unwrap().0,
        "20210422143411"
    );
}

const NORMALIZE: &str = "20250705000000";
const BEFORE_NORMALIZE: &str = "20250630000000";

#[test]
fn pocket_id_stops_at_normalize_at_the_version_before_it() {
    let (tmp, dir) = corpus_copy("migrations/golang-migrate-pocket-id");
    let db = fresh(tmp.path(), "pocket.db");
    let (code, out, err) = litescope(&[
        "migrate",
        "up",
        s(&db),
        "--dir",
        s(&dir),
        "--kind",
        "golang-migrate",
        "--no-backup",
        "--json",
    ]);
    assert_eq!(code, 2, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let failed = &v["failed"];
    assert_eq!(failed["version"], NORMALIZE);
    assert_eq!(failed["error"], "no such function: normalize");
    assert_eq!(failed["statement_line"], 5);
    assert!(err.contains("20250705000000_normalize.up.sql line 5: no such function: normalize"));
    assert!(v["backup"].is_null());

    let current: Vec<(i64, bool)> = {
        let conn = Connection::open(&db).unwrap();
        let mut stmt = conn
            .prepare("SELECT version, dirty FROM schema_migrations")
            .unwrap();
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        rows
    };
    assert_eq!(current, [(BEFORE_NORMALIZE.parse().unwrap(), false)]);

    let other = fresh(tmp.path(), "to.db");
    let (code, _, err) = litescope(&[
        "migrate",
        "up",
        s(&other),
        "--dir",
        s(&dir),
        "--kind",
        "golang-migrate",
        "--to",
        BEFORE_NORMALIZE,
        "--no-backup",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(schema(&db), schema(&other));

    let st = states(&db, &dir);
    let normalize = st.iter().find(|(v, _)| v == NORMALIZE).unwrap();
    assert_eq!(normalize.1, "pending");
    assert_eq!(count(&st, "failed"), 0);
}

#[test]
fn down_steps_back_through_down_files_and_stops_where_there_is_none() {
    let (tmp, dir) = corpus_copy("migrations/golang-migrate-pocket-id");
    let db = fresh(tmp.path(), "pocket.db");
    let up_to = |db: &Path, to: &str| {
        let (code, _, err) = litescope(&[
            "migrate",
            "up",
            s(db),
            "--dir",
            s(&dir),
            "--kind",
            "golang-migrate",
            "--to",
            to,
            "--no-backup",
        ]);
        assert_eq!(code, 0, "{err}");
    };
    up_to(&db, "20241115131129");
    let at_top = dump(&db);

    // No terminal and no --yes: refused, nothing written.
    let (code, _, err) = litescope(&["migrate", "down", s(&db), "--dir", s(&dir)]);
    assert_eq!(code, 2);
    assert!(err.contains("--yes"), "{err}");
    assert_eq!(dump(&db), at_top);

    let out = litescope_json(&[
        "migrate",
        "down",
        s(&db),
        "--dir",
        s(&dir),
        "--steps",
        "5",
        "--yes",
        "--json",
    ]);
    let names: Vec<&str> = out["applied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "pkce",
            "custom_claims",
            "app_config_default_value",
            "unix-timestamps",
            "audit_log_location"
        ]
    );
    assert!(Path::new(out["backup"].as_str().unwrap()).is_file());
    let versions: Vec<i64> = query(&db, "SELECT version FROM schema_migrations");
    assert_eq!(versions, [20240924202721]);
    let tables: Vec<String> = query(&db, "SELECT name FROM sqlite_schema");
    assert!(!tables.contains(&"custom_claims".to_string()));

    // Upstream's own down file of multiple_callback_urls fails on SQLite: named, rolled back.
    let db = fresh(tmp.path(), "broken.db");
    up_to(&db, "20240820205521");
    let before = dump(&db);
    let (code, _, err) = litescope(&[
        "migrate",
        "down",
        s(&db),
        "--dir",
        s(&dir),
        "--yes",
        "--no-backup",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("20240820205521_multiple_callback_urls.down.sql line 3: table oidc_clients already exists"),
        "{err}"
    );
    assert_eq!(dump(&db), before);

    // Going below the first migration, which has no down file: refused before anything runs.
    let db = fresh(tmp.path(), "first.db");
    up_to(&db, "20240817191051");
    let before = dump(&db);
    let (code, _, err) = litescope(&[
        "migrate",
        "down",
        s(&db),
        "--dir",
        s(&dir),
        "--steps",
        "3",
        "--yes",
        "--no-backup",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("20240731203656_init.up.sql has no down migration"),
        "{err}"
    );
    assert_eq!(dump(&db), before);
}

/// A folder of `(file, sql)` pairs.
fn folder(dir: &Path, files: &[(&str, &str)]) -> PathBuf {
    let path = dir.join("migrations");
    std::fs::create_dir_all(&path).unwrap();
    for (name, sql) in files {
        std::fs::write(path.join(name), sql).unwrap();
    }
    path
}

#[test]
fn a_migration_failing_halfway_leaves_content_and_tracking_as_they_were() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = folder(
        tmp.path(),
        &[
            ("1_items.sql", "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT);\nINSERT INTO items(name) VALUES ('a'), ('b');\n"),
            (
                "2_half.sql",
                "INSERT INTO items(name) VALUES ('c');\nCREATE TABLE more(x);\nDELETE FROM items WHERE name = 'a';\n\nINSERT INTO nowhere VALUES (1);\n",
            ),
        ],
    );
    let db = fresh(tmp.path(), "app.db");
    let (code, _, err) = litescope(&[
        "migrate",
        "up",
        s(&db),
        "--dir",
        s(&dir),
        "--to",
        "1",
        "--no-backup",
    ]);
    assert_eq!(code, 0, "{err}");
    let before = dump(&db);
    let (code, out, err) = litescope(&["migrate", "up", s(&db), "--dir", s(&dir), "--json"]);
    assert_eq!(code, 2);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["failed"]["statement_line"], 5);
    assert_eq!(v["failed"]["error"], "no such table: nowhere");
    assert!(
        err.contains("2_half.sql line 5: no such table: nowhere"),
        "{err}"
    );
    assert_eq!(dump(&db), before);
    // The backup made before the run is the database as it was.
    assert_eq!(dump(Path::new(v["backup"].as_str().unwrap())), before);
}

#[test]
fn a_table_rebuild_keeps_the_rows_of_cascading_children() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = folder(
        tmp.path(),
        &[
            (
                "1_init.sql",
                "CREATE TABLE parent(id INTEGER PRIMARY KEY, name TEXT);\n\
                 CREATE TABLE child(id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id) ON DELETE CASCADE);\n\
                 INSERT INTO parent VALUES (1, 'a'), (2, 'b');\n\
                 INSERT INTO child VALUES (1, 1), (2, 1), (3, 2);\n",
            ),
            (
                "2_rebuild.sql",
                "CREATE TABLE parent_new(id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');\n\
                 INSERT INTO parent_new SELECT id, coalesce(name, '') FROM parent;\n\
                 DROP TABLE parent;\n\
                 ALTER TABLE parent_new RENAME TO parent;\n",
            ),
        ],
    );
    let db = fresh(tmp.path(), "app.db");
    let out = litescope_json(&["migrate", "up", s(&db), "--dir", s(&dir), "--json"]);
    assert_eq!(out["applied"].as_array().unwrap().len(), 2, "{out}");
    assert_eq!(query::<i64>(&db, "SELECT count(*) FROM child"), [3]);
    assert_eq!(
        query::<i64>(&db, "SELECT count(*) FROM pragma_foreign_key_check"),
        [0]
    );
}

#[test]
fn a_migration_adding_foreign_key_violations_is_rolled_back_but_old_ones_do_not_count() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = folder(
        tmp.path(),
        &[
            (
                "1_init.sql",
                "CREATE TABLE parent(id INTEGER PRIMARY KEY);\n\
                 CREATE TABLE child(id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id));\n\
                 INSERT INTO child VALUES (1, 99);\n",
            ),
            ("2_more.sql", "INSERT INTO child VALUES (2, 98);\n"),
        ],
    );
    let db = fresh(tmp.path(), "app.db");
    let (code, out, _) = litescope(&[
        "migrate",
        "up",
        s(&db),
        "--dir",
        s(&dir),
        "--json",
        "--no-backup",
    ]);
    assert_eq!(code, 2);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    // The first migration itself adds the violation: it is the one refused.
    assert_eq!(v["failed"]["version"], "1", "{v}");
    assert!(v["failed"]["error"]
        .as_str()
        .unwrap()
        .contains("foreign key"));

    // A violation already in the data does not stop a migration that adds none.
    let db = fresh(tmp.path(), "old.db");
    common::build(
        &db,
        "PRAGMA foreign_keys = OFF;\n\
         CREATE TABLE parent(id INTEGER PRIMARY KEY);\n\
         CREATE TABLE child(id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id));\n\
         INSERT INTO child VALUES (1, 99);",
    );
    std::fs::remove_file(dir.join("1_init.sql")).unwrap();
    std::fs::write(dir.join("2_more.sql"), "CREATE TABLE other(x);\n").unwrap();
    let out = litescope_json(&[
        "migrate",
        "up",
        s(&db),
        "--dir",
        s(&dir),
        "--json",
        "--no-backup",
    ]);
    assert!(out["failed"].is_null(), "{out}");
}

#[test]
fn a_second_writer_holding_the_lock_is_named_and_nothing_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = folder(tmp.path(), &[("1_a.sql", "CREATE TABLE a(x);\n")]);
    let db = fresh(tmp.path(), "busy.db");
    let holder = Connection::open(&db).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let (code, _, err) = litescope(&["migrate", "up", s(&db), "--dir", s(&dir), "--no-backup"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("busy.db") && err.contains("in use by another process"),
        "{err}"
    );
    holder.execute_batch("ROLLBACK").unwrap();
    assert_eq!(query::<i64>(&db, "SELECT count(*) FROM sqlite_schema"), [0]);
}

#[test]
fn dry_run_reports_the_change_and_leaves_the_file_alone() {
    let (tmp, dir) = corpus_copy("migrations/sqlx-atuin-client");
    let db = fresh(tmp.path(), "history.db");
    let before = common::hash_tree(tmp.path());
    let out = litescope_json(&[
        "migrate",
        "up",
        s(&db),
        "--dir",
        s(&dir),
        "--dry-run",
        "--json",
    ]);
    assert_eq!(out["dry_run"], true);
    assert_eq!(out["applied"].as_array().unwrap().len(), 12);
    assert!(out["backup"].is_null());
    let added: Vec<&str> = out["preview"]["tables_added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(added, ["_sqlx_migrations", "history"]);
    assert_eq!(common::hash_tree(tmp.path()), before);
}

/// Every tool's table, as its tool writes it, read back by the status reader.
#[test]
fn each_kind_is_recorded_so_that_status_reads_it_back() {
    for (kind, table) in [
        ("dbmate", "schema_migrations"),
        ("goose", "goose_db_version"),
        ("diesel", "__diesel_schema_migrations"),
        ("user_version", ""),
        ("litescope", "_litescope_migrations"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = folder(
            tmp.path(),
            &[
                ("1_a.sql", "CREATE TABLE a(x);\n"),
                ("2_b.sql", "CREATE TABLE b(x);\n"),
            ],
        );
        let db = fresh(tmp.path(), "app.db");
        let out = litescope_json(&[
            "migrate",
            "up",
            s(&db),
            "--dir",
            s(&dir),
            "--kind",
            kind,
            "--json",
            "--no-backup",
        ]);
        assert_eq!(out["tracking"]["kind"], kind);
        let st = states(&db, &dir);
        assert_eq!(count(&st, "applied"), 2, "{kind}: {st:?}");
        if kind == "goose" {
            let log: Vec<i64> = query(&db, "SELECT version_id FROM goose_db_version ORDER BY id");
            assert_eq!(log, [0, 1, 2]);
        }
        if kind == "user_version" {
            assert_eq!(query::<i64>(&db, "PRAGMA user_version"), [2]);
        } else {
            assert!(
                query::<String>(&db, "SELECT name FROM sqlite_schema").contains(&table.to_string())
            );
        }
    }
}

/// A folder whose first migration creates `a` (one row) and whose second never ends.
fn forever(dir: &Path) -> PathBuf {
    let endless = "CREATE TABLE b(x);\nWITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 \
                   FROM c) INSERT INTO b SELECT n FROM c;\n";
    let first = "CREATE TABLE a(x);\nINSERT INTO a VALUES (1);\n";
    folder(dir, &[("1_a.sql", first), ("2_forever.sql", endless)])
}

#[test]
fn cancel_rolls_back_the_migration_under_way() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = forever(tmp.path());
    let db = fresh(tmp.path(), "app.db");
    let conn = connect::open(&db).unwrap();
    let plan = run::plan(
        &conn,
        &db,
        read_folder(&dir).unwrap(),
        Direction::Up { to: None },
        Some(Kind::Litescope),
        false,
    )
    .unwrap();
    let flag = conn.cancel_flag();
    drop(conn);
    let outcome = run::run(&plan, flag.clone(), &mut |e| {
        if let Event::Starting(1, _) = e {
            // The statement never ends by itself: only the interrupt inside it stops it.
            let flag = flag.clone();
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(50));
                flag.store(true, Ordering::Relaxed);
            });
        }
    })
    .unwrap();
    assert_eq!(outcome.applied.len(), 1);
    let failed = outcome.failed.unwrap();
    assert_eq!(failed.error, "cancelled");
    assert_eq!(failed.statement_line, Some(2));
    let tables: Vec<String> = query(&db, "SELECT name FROM sqlite_schema ORDER BY name");
    assert!(tables.contains(&"a".to_string()) && !tables.contains(&"b".to_string()));
    let versions: Vec<String> = query(&db, "SELECT version FROM _litescope_migrations");
    assert_eq!(versions, ["1"]);
}

#[test]
fn baseline_records_without_running_and_repair_clears_a_dirty_version() {
    let (tmp, dir) = corpus_copy("migrations/golang-migrate-pocket-id");
    let db = fresh(tmp.path(), "pocket.db");
    let out = litescope_json(&[
        "migrate",
        "baseline",
        s(&db),
        "--dir",
        s(&dir),
        "--to",
        "20240813211251",
        "--kind",
        "golang-migrate",
        "--json",
    ]);
    assert_eq!(out["applied"].as_array().unwrap().len(), 2);
    let tables: Vec<String> = query(&db, "SELECT name FROM sqlite_schema WHERE type = 'table'");
    assert_eq!(tables, ["schema_migrations"]);

    let db = fresh(tmp.path(), "dirty.db");
    let third = "20240820205521";
    let (code, _, err) = litescope(&[
        "migrate",
        "up",
        s(&db),
        "--dir",
        s(&dir),
        "--kind",
        "golang-migrate",
        "--to",
        third,
        "--no-backup",
    ]);
    assert_eq!(code, 0, "{err}");
    Connection::open(&db)
        .unwrap()
        .execute_batch("UPDATE schema_migrations SET dirty = 1")
        .unwrap();
    let (code, _, err) = litescope(&["migrate", "up", s(&db), "--dir", s(&dir), "--no-backup"]);
    assert_eq!(code, 2);
    assert!(err.contains("repair"), "{err}");
    let out = litescope_json(&["migrate", "repair", s(&db), "--dir", s(&dir), "--json"]);
    assert_eq!(out["repaired"][0]["now"], "applied", "{out}");
    let rows: Vec<i64> = query(&db, "SELECT dirty FROM schema_migrations");
    assert_eq!(rows, [0]);
}

#[test]
fn a_kill_mid_run_leaves_the_database_at_a_recorded_version() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = forever(tmp.path());
    let db = fresh(tmp.path(), "app.db");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_litescope"))
        .args(["migrate", "up", s(&db), "--dir", s(&dir), "--no-backup"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The second migration never ends by itself, so wherever the kill lands, it lands in a run.
    std::thread::sleep(std::time::Duration::from_millis(300));
    child.kill().unwrap();
    child.wait().unwrap();
    // Opening it read-write rolls back what the killed transaction left in its journal.
    let conn = Connection::open(&db).unwrap();
    let tables: Vec<String> = {
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name IN ('a', 'b')")
            .unwrap();
        let names = stmt.query_map([], |r| r.get(0)).unwrap();
        names.collect::<Result<_, _>>().unwrap()
    };
    drop(conn);
    let tracked: Vec<i64> = query(
        &db,
        "SELECT count(*) FROM sqlite_schema WHERE name = '_sqlx_migrations'",
    );
    let recorded: Vec<String> = match tracked.as_slice() {
        [1] => query(&db, "SELECT version FROM _sqlx_migrations")
            .into_iter()
            .map(|v: i64| v.to_string())
            .collect(),
        _ => Vec::new(),
    };
    match recorded.as_slice() {
        [] => assert!(tables.is_empty(), "{tables:?} with nothing recorded"),
        [one] if one == "1" => assert_eq!(tables, ["a"]),
        other => panic!("recorded {other:?} with tables {tables:?}"),
    }
}

#[test]
fn a_commit_slipped_in_between_the_backup_and_the_lock_stops_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = folder(tmp.path(), &[("1_a.sql", "CREATE TABLE a(x);\n")]);
    let db = tmp.path().join("app.db");
    common::build(&db, "PRAGMA journal_mode=WAL; CREATE TABLE t(x);");
    let conn = connect::open(&db).unwrap();
    let up = Direction::Up { to: None };
    let plan = run::plan(&conn, &db, read_folder(&dir).unwrap(), up, None, true).unwrap();
    let mut committed = false;
    let cancel = conn.cancel_flag();
    drop(conn);
    let result = run::run(&plan, cancel, &mut |e| {
        if let Event::Backup(done, all) = e {
            if done == all && !committed {
                let other = Connection::open(&db).unwrap();
                other.execute("INSERT INTO t VALUES (1)", []).unwrap();
                committed = true;
            }
        }
    });
    assert!(committed, "the backup reported its progress");
    let why = result.unwrap_err().to_string();
    assert!(
        why.contains("committed while the backup was taken"),
        "{why}"
    );
    let tables: Vec<String> = query(&db, "SELECT name FROM sqlite_schema WHERE name = 'a'");
    assert!(tables.is_empty(), "nothing was run");
}

#[test]
fn a_wal_database_with_commits_in_its_wal_migrates_from_the_cli() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = folder(tmp.path(), &[("1_a.sql", "CREATE TABLE a(x);\n")]);
    let db = common::wal_fixture(tmp.path());
    assert!(common::sibling(&db, "-wal").metadata().unwrap().len() > 0);
    let (code, out, err) = litescope(&["migrate", "up", s(&db), "--dir", s(&dir)]);
    assert_eq!(code, 0, "{out}{err}");
    let tables: Vec<String> = query(&db, "SELECT name FROM sqlite_schema WHERE name = 'a'");
    assert_eq!(tables, ["a"]);
}

/// The `sqlx` CLI, when it is installed (`cargo install sqlx-cli --no-default-features
/// --features sqlite`); the cross-checks below are skipped without it.
fn sqlx_cli() -> Option<PathBuf> {
    let home = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin/sqlx"));
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("sqlx"));
    on_path.chain(home).find(|p| p.is_file())
}

/// `sqlx migrate info` of the folder `dir` against the database `db`.
fn sqlx_info(cli: &Path, dir: &Path, db: &Path) -> String {
    let url = format!("sqlite:{}", s(db));
    let args = [
        "migrate",
        "info",
        "--source",
        s(dir),
        "--database-url",
        &url,
    ];
    sqlx(cli, &args)
}

fn sqlx(cli: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new(cli).args(args).output().unwrap();
    assert!(out.status.success(), "sqlx {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_sqlx_cli_agrees_with_litescope_both_ways() {
    let Some(cli) = sqlx_cli() else {
        eprintln!("skipped: the sqlx CLI is not installed");
        return;
    };
    let (tmp, dir) = corpus_copy("migrations/sqlx-atuin-client");
    let ours = fresh(tmp.path(), "ours.db");
    let (code, out, err) = litescope(&[
        "migrate",
        "up",
        s(&ours),
        "--dir",
        s(&dir),
        "--kind",
        "sqlx",
        "--no-backup",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let info = sqlx_info(&cli, &dir, &ours);
    let installed = info.lines().filter(|l| l.contains("/installed ")).count();
    assert_eq!(installed, 12, "{info}");
    assert!(!info.contains("different checksum"), "{info}");

    let theirs = tmp.path().join("theirs.db");
    let url = format!("sqlite:{}", s(&theirs));
    sqlx(&cli, &["database", "create", "--database-url", &url]);
    sqlx(
        &cli,
        &[
            "migrate",
            "run",
            "--source",
            s(&dir),
            "--database-url",
            &url,
        ],
    );
    let st = states(&theirs, &dir);
    assert_eq!((count(&st, "applied"), st.len()), (12, 12), "{st:?}");

    let first = dir.join("20210422143411_create_history.sql");
    let mut text = std::fs::read_to_string(&first).unwrap();
    text.push_str("\n-- edited\n");
    std::fs::write(&first, text).unwrap();
    let info = sqlx_info(&cli, &dir, &ours);
    let changed: Vec<&str> = info
        .lines()
        .filter(|l| l.contains("different checksum"))
        .collect();
    assert_eq!(changed.len(), 1, "{info}");
    assert!(changed[0].starts_with("20210422143411/"), "{info}");
    let st = states(&ours, &dir);
    assert_eq!(
        count(&st, "modified"),
        1,
        "litescope sees the same edit: {st:?}"
    );
}
