//! Fixes applied through the migrations runner (`a` in Findings and Relations): backed up,
//! recorded, saved as the next migration of a folder in its own layout, and never half done.

mod common;

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use litescope::engine::connect;
use litescope::engine::migrate::fix::{self, Fix};
use litescope::engine::migrate::{self, Kind};

use common::{build, dump, litescope, litescope_json, query};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Parents and children with an unindexed foreign key and an undeclared `team_id` relation.
const APP: &str = "
    CREATE TABLE teams(id INTEGER PRIMARY KEY, name TEXT);
    CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT);
    CREATE TABLE posts(id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id), team_id INTEGER, body TEXT);
    INSERT INTO teams VALUES (1, 'a'), (2, 'b');
    INSERT INTO users VALUES (1, 'ann'), (2, 'bob');
    INSERT INTO posts VALUES (1, 1, 1, 'x'), (2, 2, 2, 'y'), (3, 1, 2, 'z');
";

/// The fix the audit prints for `rule` on `db`.
fn fix_for(db: &Path, rule: &str) -> Fix {
    let report = litescope_json(&["report", s(db), "--format", "json"]);
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == rule)
        .unwrap_or_else(|| panic!("no {rule} finding in {report}"))
        .clone();
    Fix {
        name: format!("fix {rule} {}", finding["object"].as_str().unwrap()),
        sql: finding["fix"].as_str().unwrap().to_string(),
    }
}

fn apply(db: &Path, fix: &Fix, dir: Option<&Path>) -> migrate::run::Outcome {
    let conn = connect::open(db).unwrap();
    let plan = fix::plan(&conn, db, fix, dir, SystemTime::now()).unwrap();
    let cancel = conn.cancel_flag();
    drop(conn);
    fix::apply(&plan, cancel, &mut |_| {}).unwrap()
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A database whose one migration of `folder` (sqlx's plain layout) is applied.
fn migrated(tmp: &Path, layout_file: &str, body: &str) -> (PathBuf, PathBuf) {
    let dir = tmp.join("migrations");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(layout_file), body).unwrap();
    let db = tmp.join("app.db");
    build(&db, "PRAGMA user_version = 0");
    let (code, out, err) = litescope(&["migrate", "up", s(&db), "--dir", s(&dir), "--no-backup"]);
    assert_eq!(code, 0, "{out}{err}");
    (db, dir)
}

#[test]
fn with_no_folder_a_fix_is_backed_up_and_recorded_beside_the_apps_own_tracking() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("app.db");
    build(&db, &format!("{APP} PRAGMA user_version = 7;"));
    let fix = fix_for(&db, "fk-missing-index");
    assert!(fix.sql.starts_with("CREATE INDEX"), "{}", fix.sql);
    let outcome = apply(&db, &fix, None);
    assert!(outcome.failed.is_none(), "{:?}", outcome.failed);
    let indexes: Vec<String> = query(&db, "SELECT name FROM pragma_index_list('posts')");
    assert_eq!(indexes, ["idx_posts_user_id"]);
    let names: Vec<String> = query(&db, "SELECT name FROM _litescope_migrations");
    assert_eq!(names, ["fix_fk-missing-index_posts_user_id"]);
    assert!(outcome.backup.unwrap().is_file());
    let conn = connect::open(&db).unwrap();
    let tracking = migrate::tracking(&conn).unwrap();
    assert_eq!(
        tracking.kind,
        Kind::UserVersion,
        "the app's tracking still wins"
    );
    assert_eq!(query::<i64>(&db, "PRAGMA user_version"), [7]);
}

#[test]
fn with_a_folder_a_fix_becomes_its_next_migration_recorded_the_tools_way() {
    let tmp = tempfile::tempdir().unwrap();
    let (db, dir) = migrated(tmp.path(), "20240101000000_init.sql", APP);
    let fix = fix_for(&db, "fk-missing-index");
    let outcome = apply(&db, &fix, Some(&dir));
    assert!(outcome.failed.is_none(), "{:?}", outcome.failed);
    let saved = files(&dir);
    assert_eq!(saved.len(), 2, "{saved:?}");
    assert!(
        saved[1].ends_with("_fix_fk-missing-index_posts_user_id.sql"),
        "{saved:?}"
    );
    let text = std::fs::read_to_string(dir.join(&saved[1])).unwrap();
    assert_eq!(text.trim(), fix.sql.trim());
    let status = litescope_json(&["migrate", "status", s(&db), "--dir", s(&dir), "--json"]);
    assert_eq!(status["tracking"]["kind"], "sqlx");
    let states: Vec<&str> = status["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["state"].as_str().unwrap())
        .collect();
    assert_eq!(
        states,
        ["applied", "applied"],
        "sqlx's checksum of the saved file agrees"
    );
}

#[test]
fn a_fix_that_fails_changes_nothing_and_takes_its_saved_migration_away() {
    let tmp = tempfile::tempdir().unwrap();
    let (db, dir) = migrated(tmp.path(), "20240101000000_init.sql", APP);
    let before = (dump(&db), files(&dir));
    let broken = Fix {
        name: "broken".into(),
        sql: "CREATE INDEX i_team ON posts(team_id);\nCREATE INDEX i ON missing(x);".into(),
    };
    let outcome = apply(&db, &broken, Some(&dir));
    let failed = outcome.failed.expect("the fix fails");
    assert!(failed.to_string().contains("no such table"), "{failed}");
    assert_eq!((dump(&db), files(&dir)), before);
}

#[test]
fn pending_migrations_refuse_a_fix_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let (db, dir) = migrated(tmp.path(), "20240101000000_init.sql", APP);
    std::fs::write(dir.join("20240102000000_more.sql"), "CREATE TABLE more(x);").unwrap();
    let before = (dump(&db), files(&dir));
    let fix = fix_for(&db, "fk-missing-index");
    let conn = connect::open(&db).unwrap();
    let why = fix::plan(&conn, &db, &fix, Some(&dir), SystemTime::now())
        .unwrap_err()
        .to_string();
    assert!(
        why.contains("1 migrations") && why.contains("pending"),
        "{why}"
    );
    assert_eq!((dump(&db), files(&dir)), before);
}

#[test]
fn the_rebuild_that_declares_a_key_keeps_every_row_and_is_marked_for_dbmate() {
    let tmp = tempfile::tempdir().unwrap();
    let body = format!("-- migrate:up\n{APP}\n-- migrate:down\nDROP TABLE posts;\n");
    let (db, dir) = migrated(tmp.path(), "20240101000000_init.sql", &body);
    let fix = fix_for(&db, "fk-missing");
    assert!(fix.sql.contains("BEGIN"), "{}", fix.sql);
    let rows_before = dump(&db)
        .into_iter()
        .filter(|l| !l.contains("sqlite_"))
        .count();
    let outcome = apply(&db, &fix, Some(&dir));
    assert!(outcome.failed.is_none(), "{:?}", outcome.failed);
    let keys: Vec<String> = query(&db, "SELECT \"from\" FROM pragma_foreign_key_list('posts')");
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(keys.contains(&"team_id".to_string()));
    assert_eq!(query::<i64>(&db, "SELECT count(*) FROM posts"), [3]);
    let saved = files(&dir);
    let text = std::fs::read_to_string(dir.join(&saved[1])).unwrap();
    assert!(
        text.starts_with("-- migrate:up transaction:false\n"),
        "{text}"
    );
    let versions: Vec<String> = query(&db, "SELECT version FROM schema_migrations");
    assert_eq!(versions.len(), 2);
    let rows_after = dump(&db)
        .into_iter()
        .filter(|l| !l.contains("sqlite_"))
        .count();
    assert_eq!(
        rows_after,
        rows_before + 1,
        "one more record, every row kept"
    );
}

#[test]
fn a_rebuild_over_orphans_is_rolled_back_whole_even_in_its_own_transaction() {
    let tmp = tempfile::tempdir().unwrap();
    let orphaned = format!("{APP} INSERT INTO posts VALUES (4, 1, 9, 'orphan');");
    let body = format!("-- migrate:up\n{orphaned}\n-- migrate:down\nDROP TABLE posts;\n");
    let (db, dir) = migrated(tmp.path(), "20240101000000_init.sql", &body);
    let before = (dump(&db), files(&dir));
    let fix = fix_for(&db, "fk-missing");
    let outcome = apply(&db, &fix, Some(&dir));
    let failed = outcome
        .failed
        .expect("the key cannot be declared over an orphan");
    assert!(failed.rolled_back, "{failed}");
    assert!(
        failed.to_string().contains("clean the orphan rows first"),
        "{failed}"
    );
    assert_eq!((dump(&db), files(&dir)), before);
}
