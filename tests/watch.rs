//! `litescope watch`: another connection commits and a line appears, in WAL and rollback-journal
//! mode; a writer with a busy timeout is never refused while litescope watches. And the engine's
//! look for changes, which the TUI's live watch asks after each touch of a file.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

use litescope::engine::database::Depth;
use litescope::engine::discover::discover;
use litescope::engine::header::commit_mark;
use litescope::engine::pipeline;
use litescope::engine::session::Session;
use litescope::engine::watch::look::{look, Look};
use rusqlite::Connection;

/// `litescope watch --json PATH`, its stdout lines on a channel, once it says it is watching.
fn start(db: &Path) -> (Child, Receiver<serde_json::Value>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_litescope"))
        .args(["watch", "--json"])
        .arg(db)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = child.stderr.take().unwrap();
    let mut said = [0u8; 32];
    err.read_exact(&mut said).unwrap();
    assert!(String::from_utf8_lossy(&said).contains("watching"));
    let out = child.stdout.take().unwrap();
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { return };
            let _ = tx.send(serde_json::from_str(&line).unwrap());
        }
    });
    (child, rx)
}

fn writer(db: &Path) -> Connection {
    let conn = Connection::open(db).unwrap();
    conn.busy_timeout(Duration::from_secs(1)).unwrap();
    conn
}

fn next(rx: &Receiver<serde_json::Value>) -> serde_json::Value {
    rx.recv_timeout(Duration::from_secs(5))
        .expect("a line within 5 s of the commit")
}

fn commits_show_as_lines(mode: &str) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    common::build(
        &db,
        &format!("PRAGMA journal_mode = {mode}; CREATE TABLE events (id INTEGER PRIMARY KEY, v);"),
    );
    let (mut child, rx) = start(&db);
    let app = writer(&db);
    app.execute_batch("INSERT INTO events (v) VALUES (1), (2), (3)")
        .unwrap();
    let line = next(&rx);
    assert_eq!(line["database"], db.to_str().unwrap());
    assert_eq!(
        (
            &line["table"],
            &line["rows"],
            &line["rows_delta"],
            &line["schema_changed"]
        ),
        (&"events".into(), &3.into(), &3.into(), &false.into())
    );
    app.execute_batch(
        "CREATE TABLE users (id INTEGER PRIMARY KEY); DELETE FROM events WHERE id = 1",
    )
    .unwrap();
    let mut lines = [next(&rx), next(&rx)];
    lines.sort_by_key(|l| l["table"].to_string());
    assert_eq!(
        (&lines[0]["table"], &lines[0]["rows_delta"]),
        (&"events".into(), &(-1).into())
    );
    assert_eq!(lines[1]["table"], "users");
    assert!(lines.iter().all(|l| l["schema_changed"] == true));
    app.execute_batch("UPDATE events SET v = 9").unwrap();
    assert_eq!(next(&rx)["table"], serde_json::Value::Null);
    // A busy application is never refused by the watching connection.
    for i in 0..100 {
        app.execute("INSERT INTO events (v) VALUES (?1)", [i])
            .unwrap();
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn commits_in_wal_mode_show_as_lines() {
    commits_show_as_lines("WAL");
}

#[test]
fn commits_in_rollback_mode_show_as_lines() {
    commits_show_as_lines("DELETE");
}

#[test]
fn a_path_that_is_no_database_fails_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let (code, _, err) = common::litescope(&["watch".as_ref(), empty.as_os_str()]);
    assert_eq!(code, 2);
    assert!(
        err.lines().count() == 1 && err.contains("empty.db"),
        "{err}"
    );
}

#[test]
fn a_deleted_then_recreated_file_is_said_and_read_again() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    common::build(&db, "CREATE TABLE t (x); INSERT INTO t VALUES (1);");
    let (mut child, rx) = start(&db);
    std::fs::remove_file(&db).unwrap();
    let gone = next(&rx);
    assert_eq!(
        (&gone["file"], &gone["table"]),
        (&"deleted".into(), &serde_json::Value::Null)
    );
    // Built beside and moved in, as a restore does, so that no half-made file is seen.
    let fresh = dir.path().join("fresh.db");
    common::build(
        &fresh,
        "CREATE TABLE t (x); INSERT INTO t VALUES (1), (2), (3);",
    );
    std::fs::rename(&fresh, &db).unwrap();
    let back = next(&rx);
    assert_eq!(back["file"], "replaced");
    assert_eq!(
        (&back["table"], &back["rows"], &back["rows_delta"]),
        (&"t".into(), &3.into(), &2.into())
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

/// A session that has read `db` once, as the TUI's worker has before it looks for changes.
fn read_once(db: &Path) -> Session {
    let found = discover(&[db.to_path_buf()]).unwrap().remove(0);
    let mut session = Session::new(found).watching();
    pipeline::read(&mut session, Depth::SCHEMA, false);
    session
}

#[test]
fn a_look_sees_another_connections_commit_in_every_way_a_file_is_opened() {
    for (i, (access, setup)) in common::access_setups().into_iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let db = setup(dir.path());
        let mut session = read_once(&db);
        assert_eq!(
            look(&mut session).unwrap(),
            Look::Same,
            "setup {i} ({access})"
        );
        writer(&db)
            .execute_batch("INSERT INTO t VALUES (9)")
            .unwrap();
        assert_eq!(
            look(&mut session).unwrap(),
            Look::Changed,
            "setup {i} ({access})"
        );
        pipeline::read(&mut session, Depth::SCHEMA, false);
        assert_eq!(
            look(&mut session).unwrap(),
            Look::Same,
            "setup {i} read again"
        );
    }
}

#[test]
fn litescopes_own_reads_and_a_checkpoint_are_no_change() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::wal_fixture(dir.path());
    let mut session = read_once(&db);
    pipeline::read(&mut session, Depth::full(Duration::from_secs(10)), false);
    let conn = session.conn(false).unwrap();
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 5);
    assert_eq!(look(&mut session).unwrap(), Look::Same);
    // The automatic checkpoint's kind writes the WAL's pages into the file: the file moves, the
    // data does not.
    let before = commit_mark(&db).unwrap();
    writer(&db)
        .execute_batch("PRAGMA wal_checkpoint(PASSIVE)")
        .unwrap();
    assert_ne!(commit_mark(&db).unwrap(), before);
    assert_eq!(look(&mut session).unwrap(), Look::Settling);
    assert_eq!(
        look(&mut session).unwrap(),
        Look::Settling,
        "never a change"
    );
    writer(&db)
        .execute_batch("INSERT INTO t VALUES (6)")
        .unwrap();
    assert_eq!(look(&mut session).unwrap(), Look::Changed);
}

#[test]
fn a_look_tells_a_deleted_file_and_one_put_back() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    common::build(&db, "CREATE TABLE t (x);");
    let mut session = read_once(&db);
    let kept = dir.path().join("kept.db");
    std::fs::rename(&db, &kept).unwrap();
    assert_eq!(look(&mut session).unwrap(), Look::Deleted);
    assert_eq!(look(&mut session).unwrap(), Look::Same, "said once");
    std::fs::copy(&kept, &db).unwrap();
    assert_eq!(look(&mut session).unwrap(), Look::Replaced);
}
