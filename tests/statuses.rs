//! Every file found gets a status: special files named like databases, files given by name that
//! are not regular files, and `orphans` on a file it cannot read.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
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
