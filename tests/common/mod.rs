//! Fixtures shared by the integration tests: real SQLite files in temp dirs.
#![allow(dead_code)]

pub mod tui;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use rusqlite::config::DbConfig;
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags};
use sha2::{Digest, Sha256};

/// The engine's unit tests find the corpus the same way.
#[path = "../../src/engine/test_corpus.rs"]
mod test_corpus;

/// The shared corpus of real databases, read-only: `$LITESCOPE_CORPUS`, else `../shared/corpus`
/// beside the checkout, else the workplace's `/work/shared/corpus`.
pub fn corpus() -> PathBuf {
    test_corpus::dir()
}

/// Copies `rel` (a file or folder of the corpus) into a new temp dir and returns the dir.
pub fn corpus_copy(rel: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let src = corpus().join(rel);
    let dst = dir.path().join(src.file_name().unwrap());
    copy_tree(&src, &dst);
    (dir, dst)
}

fn copy_tree(src: &Path, dst: &Path) {
    if src.is_dir() {
        std::fs::create_dir_all(dst).unwrap();
        for e in std::fs::read_dir(src).unwrap() {
            let e = e.unwrap();
            copy_tree(&e.path(), &dst.join(e.file_name()));
        }
    } else {
        std::fs::copy(src, dst).unwrap();
        let mut perm = std::fs::metadata(dst).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perm.set_readonly(false);
        std::fs::set_permissions(dst, perm).unwrap();
    }
}

/// Creates a database at `path` from `sql`.
pub fn build(path: &Path, sql: &str) {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(sql).unwrap();
}

/// SHA-256 of every file under `dir`, by relative path.
pub fn hash_tree(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    hash_into(dir, dir, &mut out);
    out
}

fn hash_into(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path.is_dir() {
            hash_into(root, &path, out);
        } else {
            let digest = Sha256::digest(std::fs::read(&path).unwrap());
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            out.insert(rel, format!("{digest:x}"));
        }
    }
}

/// Runs the real binary and returns (exit code, stdout, stderr).
pub fn litescope<S: AsRef<OsStr>>(args: &[S]) -> (i32, String, String) {
    let (code, out, err) = litescope_raw(args);
    (
        code,
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    )
}

/// Runs the real binary and returns (exit code, stdout, stderr) as the bytes it wrote.
pub fn litescope_raw<S: AsRef<OsStr>>(args: &[S]) -> (i32, Vec<u8>, Vec<u8>) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_litescope"))
        .args(args)
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), out.stdout, out.stderr)
}

/// Runs the binary with `--json` output parsed.
pub fn litescope_json<S: AsRef<OsStr>>(args: &[S]) -> serde_json::Value {
    let (code, out, err) = litescope(args);
    assert!(code == 0 || code == 1, "exit {code}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("bad JSON ({e}): {out}"))
}

/// A WAL database with 3 rows checkpointed into the main file and 2 more only in the `-wal`.
pub fn wal_fixture(dir: &Path) -> PathBuf {
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

/// A file set up for one way of opening it.
pub type Setup = fn(&Path) -> PathBuf;

/// One database per access strategy that works in place, with the strategy it gets: a WAL with
/// its `-shm`, a WAL without `-shm`, a WAL-mode file with no `-wal`, and a rollback-mode file.
/// Each has a table `t`.
pub fn access_setups() -> [(&'static str, Setup); 4] {
    [
        ("read-only", wal_fixture),
        ("read-only", |dir| {
            let db = wal_fixture(dir);
            std::fs::remove_file(dir.join("app.db-shm")).unwrap();
            db
        }),
        ("immutable", |dir| {
            let db = dir.join("app.db");
            build(&db, "PRAGMA journal_mode=WAL; CREATE TABLE t(x);");
            db
        }),
        ("read-only", |dir| {
            let db = dir.join("app.db");
            build(&db, "CREATE TABLE t(x); INSERT INTO t VALUES (1);");
            db
        }),
    ]
}

/// `path` with `suffix` appended to its name.
pub fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Every row of `sqlite_schema` and of every table, as text: what `.dump` compares.
pub fn dump(db: &Path) -> Vec<String> {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let rows = |sql: &str| -> Vec<String> {
        let mut stmt = conn.prepare(sql).unwrap();
        let n = stmt.column_count();
        let got = stmt
            .query_map([], |r| {
                let values: Vec<Value> = (0..n).map(|i| r.get(i)).collect::<Result<_, _>>()?;
                Ok(format!("{values:?}"))
            })
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        got
    };
    let mut out = rows("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name");
    let tables: Vec<String> = query(
        db,
        "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name",
    );
    for name in tables {
        out.push(format!("-- {name}"));
        out.extend(rows(&format!(
            "SELECT * FROM \"{}\" ORDER BY rowid",
            name.replace('"', "\"\"")
        )));
    }
    out
}

/// The first column of every row `sql` returns, read-only.
pub fn query<T: rusqlite::types::FromSql>(db: &Path, sql: &str) -> Vec<T> {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut stmt = conn.prepare(sql).unwrap();
    let got = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<Vec<T>, _>>()
        .unwrap();
    got
}

/// Runs `script` on `db` with the `sqlite3` shell, as a user running printed SQL would: its exit
/// code and what it wrote to stderr.
pub fn sqlite3(db: &Path, script: &str) -> (i32, String) {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let mut child = Command::new("sqlite3")
        .arg(db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the sqlite3 shell");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(script.as_bytes()).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code().unwrap_or(-1), err)
}
