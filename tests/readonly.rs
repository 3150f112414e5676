//! Inspection never changes a byte of a user's files and never creates one, whatever state the
//! WAL files are in; and it still sees rows committed only to the WAL.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use rusqlite::config::DbConfig;
use rusqlite::Connection;
use serde_json::Value;

/// A WAL database with 3 rows checkpointed into the main file and 2 more only in the `-wal`.
fn wal_fixture(dir: &Path) -> PathBuf {
    let path = dir.join("app.db");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES (1), (2), (3);
         PRAGMA wal_checkpoint(TRUNCATE); INSERT INTO t VALUES (4), (5);",
    )
    .unwrap();
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)
        .unwrap();
    drop(conn);
    assert!(dir.join("app.db-wal").metadata().unwrap().len() > 0);
    path
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}{suffix}", path.display()))
}

/// Runs `inspect --json` on `path`; as an unprivileged user when `unprivileged` (root ignores
/// file permissions, so read-only files only mean something to another user).
fn inspect(path: &Path, unprivileged: bool) -> Value {
    let bin = env!("CARGO_BIN_EXE_litescope");
    let mut cmd = if unprivileged && is_root() {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", bin]);
        c
    } else {
        Command::new(bin)
    };
    let out = cmd.args(["inspect", "--json"]).arg(path).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

fn rows_of_t(json: &Value) -> u64 {
    json["databases"][0]["tables"][0]["rows"].as_u64().unwrap()
}

fn open_up(dir: &Path) {
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn wal_with_its_shm_is_read_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let db = wal_fixture(dir.path());
    let before = hash_tree(dir.path());
    let json = inspect(&db, false);
    assert_eq!(rows_of_t(&json), 5);
    assert_eq!(json["databases"][0]["access"], "read-only");
    let after = hash_tree(dir.path());
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    assert_eq!(before["app.db"], after["app.db"]);
    assert_eq!(before["app.db-wal"], after["app.db-wal"]);
}

#[test]
fn wal_without_shm_is_read_without_creating_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = wal_fixture(dir.path());
    std::fs::remove_file(sibling(&db, "-shm")).unwrap();
    let before = hash_tree(dir.path());
    let json = inspect(&db, false);
    assert_eq!(rows_of_t(&json), 5);
    assert_eq!(json["databases"][0]["access"], "exclusive-snapshot");
    assert_eq!(before, hash_tree(dir.path()));
}

#[test]
fn wal_with_a_read_only_shm_is_still_read() {
    let dir = tempfile::tempdir().unwrap();
    let db = wal_fixture(dir.path());
    open_up(dir.path());
    for suffix in ["", "-wal", "-shm"] {
        set_mode(&sibling(&db, suffix), 0o444);
    }
    let before = hash_tree(dir.path());
    let json = inspect(&db, true);
    assert_eq!(rows_of_t(&json), 5);
    assert_eq!(before, hash_tree(dir.path()));
}

#[test]
fn read_only_wal_without_shm_says_what_it_cannot_show() {
    let dir = tempfile::tempdir().unwrap();
    let db = wal_fixture(dir.path());
    std::fs::remove_file(sibling(&db, "-shm")).unwrap();
    open_up(dir.path());
    set_mode(&db, 0o444);
    set_mode(&sibling(&db, "-wal"), 0o444);
    // The folder must not be writable either, or SQLite could create the -shm.
    set_mode(dir.path(), 0o555);
    let before = hash_tree(dir.path());
    let json = inspect(&db, true);
    set_mode(dir.path(), 0o755);
    let database = &json["databases"][0];
    assert_eq!(database["status"], "ok");
    assert_eq!(database["access"], "immutable");
    assert!(database["error"]
        .as_str()
        .unwrap()
        .contains("WAL rows are not shown"));
    assert_eq!(rows_of_t(&json), 3);
    assert_eq!(before, hash_tree(dir.path()));
}

#[test]
fn wal_header_without_wal_file_creates_nothing() {
    let (dir, path) = corpus_copy("edge/ets-gpkg12-gpkg-test-5208-walheader.gpkg");
    let before = hash_tree(dir.path());
    let json = inspect(&path, false);
    assert_eq!(json["databases"][0]["status"], "ok");
    assert_eq!(before, hash_tree(dir.path()));
}

#[test]
fn a_full_inspect_of_the_corpus_changes_no_byte_and_adds_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ws");
    std::fs::create_dir(&root).unwrap();
    for rel in ["db", "edge", "migrations"] {
        let (_tmp, copy) = corpus_copy(rel);
        std::fs::rename(&copy, root.join(rel)).unwrap();
    }
    wal_fixture(&root);
    let before = hash_tree(&root);
    let (code, out, err) = litescope(&["inspect", root.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("sakila.db  [ok]"));
    let after = hash_tree(&root);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    for (file, hash) in &before {
        // An existing -shm is the live WAL index that every reader may update.
        if !file.ends_with("-shm") {
            assert_eq!(hash, &after[file], "{file} changed");
        }
    }
}

#[test]
fn an_unreadable_file_is_reported_with_its_cause() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("secret.db");
    build(&db, "CREATE TABLE t(x);");
    open_up(dir.path());
    set_mode(&db, 0o000);
    let bin = env!("CARGO_BIN_EXE_litescope");
    let mut cmd = if is_root() {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", bin]);
        c
    } else {
        Command::new(bin)
    };
    let out = cmd.args(["inspect", "--json"]).arg(&db).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["databases"][0]["status"], "unreadable");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("secret.db: ") && err.contains("ermission denied"),
        "{err}"
    );
}

#[test]
fn an_unreadable_subfolder_is_listed_with_its_cause() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    build(&root.join("app.db"), "CREATE TABLE t(x);");
    let locked = root.join("locked");
    std::fs::create_dir(&locked).unwrap();
    build(&locked.join("hidden.db"), "CREATE TABLE t(x);");
    open_up(root);
    set_mode(&root.join("app.db"), 0o644);
    set_mode(&locked, 0o000);
    let json = inspect(root, true);
    set_mode(&locked, 0o755);
    let listed: Vec<(&str, &str, &str)> = json["databases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let s = |k: &str| d[k].as_str().unwrap_or_default();
            (s("path"), s("status"), s("error"))
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("app.db", "ok", ""),
            (
                "locked/",
                "unreadable",
                "folder not readable: permission denied"
            )
        ]
    );
}
