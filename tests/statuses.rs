//! Every file found gets a status: special files named like databases, files given by name that
//! are not regular files, `orphans` on a file it cannot read, and a database left with a hot
//! rollback journal by a writer that crashed.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use litescope::engine::connect;
use litescope::engine::hot_journal;
use rusqlite::Connection;
use serde_json::Value;

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().unwrap().success();
    assert!(ok, "mkfifo {}", path.display());
}

/// Runs the binary, killing it after 20 s: a FIFO opened for reading would block it forever.
fn run(args: &[&Path]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_litescope"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("litescope {args:?} hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

/// `path -> (status, error)` of every database `inspect --json` lists.
fn statuses(json: &Value) -> Vec<(String, String, String)> {
    json["databases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let s = |k: &str| d[k].as_str().unwrap_or_default().to_string();
            (s("path"), s("status"), s("error"))
        })
        .collect()
}

fn p(s: &str) -> &Path {
    Path::new(s)
}

#[test]
fn special_files_named_like_databases_are_listed_with_what_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    build(&root.join("good.db"), "CREATE TABLE t(x);");
    mkfifo(&root.join("fifo.db"));
    mkfifo(&root.join("notes.fifo"));
    std::os::unix::fs::symlink("/dev/zero", root.join("zero.db")).unwrap();
    std::os::unix::fs::symlink(root.join("nowhere.db"), root.join("broken.db")).unwrap();
    std::os::unix::fs::symlink("loop.db", root.join("loop.db")).unwrap();
    std::fs::create_dir(root.join("real")).unwrap();
    std::os::unix::fs::symlink(root.join("real"), root.join("linked.db")).unwrap();
    let out = run(&[p("inspect"), p("--json"), root]);
    assert_eq!(out.status.code(), Some(0));
    let listed = statuses(&json_of(&out));
    let expected = [
        ("broken.db", "broken symlink"),
        ("fifo.db", "not a regular file (a FIFO)"),
        ("good.db", ""),
        ("loop.db", "symlink loop"),
        (
            "zero.db",
            "not a regular file (a symlink to a character device)",
        ),
    ];
    assert_eq!(listed.len(), expected.len(), "{listed:?}");
    for ((path, status, error), (want_path, want_error)) in listed.iter().zip(expected) {
        assert_eq!(path, want_path);
        let want_status = if want_error.is_empty() {
            "ok"
        } else {
            "unreadable"
        };
        assert_eq!(status, want_status, "{path}");
        assert!(error.starts_with(want_error), "{path}: {error}");
    }
}

#[test]
fn a_fifo_given_by_name_gets_its_status_in_json_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.db");
    mkfifo(&fifo);
    let out = run(&[p("inspect"), p("--json"), &fifo]);
    assert_eq!(out.status.code(), Some(2));
    let listed = statuses(&json_of(&out));
    assert_eq!(listed[0].1, "unreadable");
    assert_eq!(listed[0].2, "not a regular file (a FIFO)");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.ends_with("fifo.db: not a regular file (a FIFO)\n"),
        "{err}"
    );
}

#[test]
fn orphans_says_what_a_file_is_and_prints_json_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.db");
    mkfifo(&fifo);
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let missing = dir.path().join("missing.db");
    let cases = [
        (&fifo, "unreadable", "not a regular file (a FIFO)"),
        (&empty, "empty", "file is not a database (it is empty)"),
        (&missing, "unreadable", "No such file or directory"),
    ];
    for (path, status, why) in cases {
        let out = run(&[p("orphans"), path]);
        assert_eq!(out.status.code(), Some(2));
        assert!(out.stdout.is_empty());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(why), "{err}");

        let out = run(&[p("orphans"), p("--json"), path]);
        assert_eq!(out.status.code(), Some(2));
        let json = json_of(&out);
        assert_eq!(json["relations"], Value::Array(Vec::new()));
        assert_eq!(json["database"]["status"], status, "{json}");
        assert!(json["database"]["error"].as_str().unwrap().contains(why));
        assert!(json["database"]["path"].as_str().unwrap().ends_with(".db"));
        assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    }
}

/// A rollback-mode database of 100 rows in `t`, and in `crashed` a copy of it and its
/// `-journal` taken while another connection was halfway through inserting 2,000 more, with
/// pages already spilled into the file: the pair a writer leaves when it dies mid-transaction
/// (the copy holds no lock, so SQLite finds its journal hot).
fn crashed_writer(dir: &Path) -> PathBuf {
    let path = dir.join("app.db");
    build(
        &path,
        "CREATE TABLE t(x);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
         INSERT INTO t SELECT zeroblob(500) FROM n;",
    );
    let writer = Connection::open(&path).unwrap();
    writer
        .execute_batch(
            "PRAGMA cache_size = 5; BEGIN;
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
             INSERT INTO t SELECT zeroblob(1000) FROM n;",
        )
        .unwrap();
    let crashed = dir.join("crashed");
    std::fs::create_dir(&crashed).unwrap();
    let copy = crashed.join("app.db");
    std::fs::copy(&path, &copy).unwrap();
    std::fs::copy(dir.join("app.db-journal"), crashed.join("app.db-journal")).unwrap();
    drop(writer);
    assert!(
        std::fs::metadata(&copy).unwrap().len() > 100 * 4096,
        "pages spilled"
    );
    copy
}

#[test]
fn a_hot_journal_is_rolled_back_in_a_private_copy_never_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let db = crashed_writer(dir.path());
    let folder = db.parent().unwrap();
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let before = hash_tree(folder);
    let out = Command::new(env!("CARGO_BIN_EXE_litescope"))
        .args([p("inspect"), p("--json"), &db])
        .env("TMPDIR", &tmp)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = json_of(&out);
    let d = &json["databases"][0];
    assert_eq!(d["status"], "ok", "{d}");
    let note = d["error"].as_str().unwrap();
    assert!(
        note.starts_with("a hot rollback journal: a writer crashed mid-transaction")
            && note.contains("state before the crashed transaction"),
        "{note}"
    );
    assert_eq!(d["tables"][0]["rows"], 100, "the state before the crash");
    assert_eq!(d["integrity"]["result"], "ok");
    assert_eq!(
        hash_tree(folder),
        before,
        "not a byte changed, no file added"
    );
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0, "copy removed");

    let report = litescope_json(&[p("report"), p("--format"), p("json"), &db]);
    assert_eq!(report["databases"][0]["status"], "ok");
    let (_, text, _) = litescope(&[p("report"), &db]);
    assert!(
        text.contains(": a hot rollback journal: a writer crashed"),
        "{text}"
    );
    let rels = litescope_json(&[p("orphans"), p("--json"), &db]);
    assert_eq!(rels["relations"], Value::Array(Vec::new()));
    assert_eq!(hash_tree(folder), before);
}

#[test]
fn every_reader_gets_the_rolled_back_copy_and_the_file_stays_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = crashed_writer(dir.path());
    let before = hash_tree(path.parent().unwrap());
    let conn = connect::open(&path).unwrap();
    assert_eq!(conn.access, connect::Access::PrivateCopy);
    assert_eq!(conn.caveat.as_deref(), Some(hot_journal::SHOWN_FROM_COPY));
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 100);
    let beside = connect::open_beside(&conn).unwrap();
    let rows: i64 = beside
        .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 100);
    assert_eq!(hash_tree(path.parent().unwrap()), before);
}

#[test]
fn a_hot_journal_too_large_to_copy_is_explained_not_copied() {
    let dir = tempfile::tempdir().unwrap();
    let db = crashed_writer(dir.path());
    // Sparse: past the copy limit on paper, a few pages on disk.
    let file = std::fs::OpenOptions::new().write(true).open(&db).unwrap();
    file.set_len(3 << 30).unwrap();
    drop(file);
    let before = stamps(db.parent().unwrap());
    let out = run(&[p("inspect"), p("--json"), &db]);
    assert_eq!(out.status.code(), Some(2));
    let d = &json_of(&out)["databases"][0];
    assert_eq!(d["status"], "unreadable");
    let why = d["error"].as_str().unwrap();
    assert!(
        why.starts_with("a hot rollback journal") && why.contains("too large"),
        "{why}"
    );
    assert_eq!(stamps(db.parent().unwrap()), before);
}

/// Name, size and modification time of every file in `dir`: hashing 3 GB would take minutes.
fn stamps(dir: &Path) -> Vec<(PathBuf, u64, std::time::SystemTime)> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let meta = e.as_ref().unwrap().metadata().unwrap();
            (e.unwrap().path(), meta.len(), meta.modified().unwrap())
        })
        .collect();
    out.sort();
    out
}

/// A copy of a healthy 3-page database (page size 512) with `patch` applied to its bytes.
fn damaged(dir: &Path, name: &str, patch: impl FnOnce(&mut Vec<u8>)) -> PathBuf {
    let path = dir.join(name);
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch("PRAGMA page_size = 512; CREATE TABLE a(x); CREATE TABLE b(y);")
        .unwrap();
    drop(conn);
    let mut bytes = std::fs::read(&path).unwrap();
    patch(&mut bytes);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn a_damaged_header_is_named_as_the_cause() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            damaged(dir.path(), "pagesize.db", |b| {
                b[16..18].copy_from_slice(&1000u16.to_be_bytes())
            }),
            "corrupt",
            "page size 1000",
        ),
        (
            damaged(dir.path(), "encoding.db", |b| {
                b[56..60].copy_from_slice(&7u32.to_be_bytes())
            }),
            "corrupt",
            "text encoding 7",
        ),
        (
            damaged(dir.path(), "newer.db", |b| b[19] = 3),
            "not-sqlite",
            "read version 3",
        ),
        (
            damaged(dir.path(), "short.db", |b| b.truncate(1000)),
            "corrupt",
            "1000 bytes where its header counts 3 pages of 512",
        ),
    ];
    for (path, status, cause) in cases {
        let out = run(&[p("inspect"), p("--json"), &path]);
        assert_eq!(out.status.code(), Some(2), "{}", path.display());
        let json = json_of(&out);
        let (_, got, error) = statuses(&json).remove(0);
        assert_eq!(got, status, "{}: {error}", path.display());
        assert!(error.contains(cause), "{}: {error}", path.display());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(cause), "{stderr}");
    }
    // A header SQLite refuses whatever the file holds is named by every command that reads it.
    let bad = dir.path().join("pagesize.db");
    let backups = dir.path().join("backups");
    let runs: [&[&Path]; 4] = [
        &[p("diff"), &bad, &bad],
        &[p("migrate"), p("status"), &bad, p("--dir"), dir.path()],
        &[p("backup"), p("create"), &bad, p("--out"), &backups],
        &[p("plan"), &bad, p("--sql"), p("SELECT 1")],
    ];
    for args in runs {
        let out = run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains("page size 1000"), "{args:?}: {stderr}");
    }
}
