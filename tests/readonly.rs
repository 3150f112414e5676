//! Inspection never changes a byte of a user's files and never creates one, whatever state the
//! WAL files are in; and it still sees rows committed only to the WAL.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use serde_json::Value;

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
fn wal_without_shm_is_read_in_place_and_gets_the_shm_every_reader_makes() {
    let dir = tempfile::tempdir().unwrap();
    let db = wal_fixture(dir.path());
    std::fs::remove_file(sibling(&db, "-shm")).unwrap();
    let before = hash_tree(dir.path());
    let json = inspect(&db, false);
    assert_eq!(rows_of_t(&json), 5);
    assert_eq!(json["databases"][0]["access"], "read-only");
    let mut after = hash_tree(dir.path());
    assert!(after.remove("app.db-shm").is_some(), "SQLite made the -shm");
    assert_eq!(before, after);
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
fn wal_without_shm_in_a_read_only_folder_is_read_from_a_private_copy() {
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
    assert_eq!(database["access"], "private-copy");
    assert!(database["error"].as_str().unwrap().contains("private copy"));
    assert_eq!(rows_of_t(&json), 5);
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

/// The ways a user could try to write through the Query panel, each with what the refusal must
/// say.
fn attacks(dir: &Path) -> Vec<(String, &'static str)> {
    let copy = dir.join("copy.db").display().to_string();
    let other = dir.join("other.db").display().to_string();
    vec![
        (
            "PRAGMA query_only=0; INSERT INTO t VALUES ('pwned');".into(),
            "PRAGMA query_only",
        ),
        ("PRAGMA wal_checkpoint(TRUNCATE);".into(), "wal_checkpoint"),
        ("PRAGMA wal_checkpoint;".into(), "wal_checkpoint"),
        ("PRAGMA journal_mode=DELETE;".into(), "journal_mode"),
        ("PRAGMA locking_mode=EXCLUSIVE;".into(), "locking_mode"),
        ("PRAGMA writable_schema=ON;".into(), "writable_schema"),
        (format!("VACUUM INTO '{copy}';"), "VACUUM INTO"),
        ("VACUUM;".into(), "VACUUM"),
        (
            format!("ATTACH '{other}' AS o; CREATE TABLE o.x(y);"),
            "ATTACH",
        ),
        ("SELECT load_extension('x');".into(), "load_extension"),
        ("INSERT INTO t VALUES ('pwned');".into(), "read-only"),
        ("CREATE TABLE t2(x);".into(), "read-only"),
    ]
}

/// Every file under `dir` but the `-shm`, which is the live WAL index every reader updates.
fn files_but_shm(dir: &Path) -> std::collections::BTreeMap<String, String> {
    let mut files = hash_tree(dir);
    files.retain(|name, _| !name.ends_with("-shm"));
    files
}

#[test]
fn no_statement_a_user_types_writes_under_any_access_strategy() {
    use litescope::engine::{connect, query};
    for (access, setup) in access_setups() {
        let dir = tempfile::tempdir().unwrap();
        let db = setup(dir.path());
        let conn = connect::open(&db).unwrap();
        assert_eq!(serde_json::to_value(conn.access).unwrap(), access);
        let before = files_but_shm(dir.path());
        for (sql, names) in attacks(dir.path()) {
            let err = query::run_script(&conn, &sql, &mut |_| {}).unwrap_err();
            let message = conn.explain(err).to_string();
            assert!(message.contains(names), "{sql}: {message}");
            assert!(
                message.contains("sqlite3 shell"),
                "{sql}: says how to write: {message}"
            );
            conn.end_transaction();
            assert_eq!(before, files_but_shm(dir.path()), "{sql} changed a file");
        }
        let rows: i64 = conn
            .query_row("SELECT count(*) FROM t WHERE x = 'pwned'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 0);
    }
}

#[test]
fn a_transaction_left_open_by_a_script_is_ended_with_its_job() {
    use litescope::engine::{connect, query};
    let dir = tempfile::tempdir().unwrap();
    let db = wal_fixture(dir.path());
    let conn = connect::open(&db).unwrap();
    query::run_script(&conn, "BEGIN; SELECT count(*) FROM t;", &mut |_| {}).unwrap();
    assert!(!conn.is_autocommit());
    conn.end_transaction();
    assert!(conn.is_autocommit());
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

#[test]
fn a_wal_that_holds_no_frame_creates_no_shm() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    build(
        &db,
        "PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES (1);",
    );
    // Not a WAL at all (no magic), then a WAL header with no frame after it.
    let garbage: Vec<u8> = (0..5000u32).map(|i| (i * 7919 % 251) as u8).collect();
    let mut header_only = vec![0u8; 32];
    header_only[..4].copy_from_slice(&0x377f_0682u32.to_be_bytes());
    header_only[4..8].copy_from_slice(&3_007_000u32.to_be_bytes());
    header_only[8..12].copy_from_slice(&4096u32.to_be_bytes());
    for wal in [garbage, header_only] {
        std::fs::write(sibling(&db, "-wal"), &wal).unwrap();
        let before = hash_tree(dir.path());
        for args in [["inspect", "--json"], ["report", "--format=json"]] {
            let (code, out, err) = litescope(&[args[0], args[1], db.to_str().unwrap()]);
            assert_eq!(code, 0, "{err}");
            let json: Value = serde_json::from_str(&out).unwrap();
            assert_eq!(json["databases"][0]["status"], "ok", "{out}");
        }
        assert_eq!(before, hash_tree(dir.path()), "no -shm, no byte changed");
        assert_eq!(rows_of_t(&inspect(&db, false)), 1);
    }
}
