//! Rollback-journal mode: while `inspect`, `report` and `orphans` read a database, an application
//! committing every 25 ms with a busy timeout of one second is never refused and never waits
//! long, because litescope releases the read lock every slice; and the counts stay right.
//!
//! The timing bound is the property itself (a writer's worst wait), so it is asserted, loosely:
//! a slice holds the lock for at most about 200 ms, and SQLite's busy handler sleeps up to 100 ms
//! between retries.

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::tui::{key, open, screen_sized, type_text};
use common::*;
use ratatui::crossterm::event::KeyCode;
use rusqlite::{Connection, ErrorCode};
use serde_json::Value;

const ROWS: i64 = 1_500_000;
const PARENTS: i64 = 20_000;
/// The longest a commit may wait: under the application's one-second busy timeout. A slice holds
/// the lock at most 200 ms, and SQLite's busy handler then sleeps up to 100 ms between tries;
/// typical worst waits here are 230 ms, and the bound leaves room for a loaded CI machine (before
/// slicing, `report` and `orphans` on this file made the application wait 830 to 930 ms).
const WORST_WAIT: Duration = Duration::from_millis(800);

/// The tests here measure how long a writer waits, so they must not share the two cores with each
/// other.
static ALONE: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// About 80 MB in rollback mode: a parent, a large child with a declared foreign key (1 in 1000
/// rows orphaned, 1 in 1001 NULL), and a WITHOUT ROWID table.
fn build_database(path: &Path) {
    build(
        path,
        &format!(
            "PRAGMA journal_mode = DELETE;
             PRAGMA foreign_keys = OFF;
             CREATE TABLE parent(id INTEGER PRIMARY KEY, name TEXT NOT NULL);
             CREATE TABLE big(id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id),
                              body TEXT);
             CREATE TABLE tags(tag TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID;
             CREATE INDEX big_parent ON big(parent_id);
             BEGIN;
             WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {PARENTS})
             INSERT INTO parent SELECT i, 'parent ' || i FROM s;
             WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {ROWS})
             INSERT INTO big(parent_id, body)
             SELECT CASE WHEN i % 1001 = 0 THEN NULL
                         WHEN i % 1000 = 0 THEN {PARENTS} + i
                         ELSE i % {PARENTS} + 1 END,
                    printf('%040d', i) FROM s;
             WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 100000)
             INSERT INTO tags SELECT printf('tag%07d', i), i FROM s;
             COMMIT;"
        ),
    );
}

/// What the application saw while litescope ran.
#[derive(Debug)]
struct Seen {
    commits: u32,
    busy: u32,
    worst: Duration,
}

/// An application on its own connection, inserting a row into `big` (with a NULL key, so that
/// orphan counts do not move) every 25 ms until stopped.
struct Writer {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Seen>,
}

impl Writer {
    fn start(path: &Path) -> Writer {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let conn = Connection::open(path).unwrap();
        conn.busy_timeout(Duration::from_secs(1)).unwrap();
        // What is measured is the wait for the lock; without this, a commit's fsyncs on a busy
        // disk (a loaded CI machine) would count as waiting for litescope.
        conn.pragma_update(None, "synchronous", "OFF").unwrap();
        let thread = std::thread::spawn(move || {
            let mut seen = Seen {
                commits: 0,
                busy: 0,
                worst: Duration::ZERO,
            };
            while !flag.load(Ordering::SeqCst) {
                let start = Instant::now();
                match conn.execute("INSERT INTO big(parent_id, body) VALUES (NULL, 'app')", []) {
                    Ok(_) => seen.commits += 1,
                    Err(e) if e.sqlite_error_code() == Some(ErrorCode::DatabaseBusy) => {
                        seen.busy += 1
                    }
                    Err(e) => panic!("the application failed: {e}"),
                }
                seen.worst = seen.worst.max(start.elapsed());
                std::thread::sleep(Duration::from_millis(25));
            }
            seen
        });
        Writer { stop, thread }
    }

    fn stop(self) -> Seen {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.join().unwrap()
    }
}

/// Runs litescope with `args` while the application writes; asserts the application was never
/// refused and never waited long.
fn beside_writer(path: &Path, args: &[&str]) -> (Value, Seen) {
    let writer = Writer::start(path);
    std::thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    let out = litescope_json(args);
    let took = started.elapsed();
    let seen = writer.stop();
    eprintln!(
        "litescope {} took {took:?}; the application saw {seen:?}",
        args[0]
    );
    (out, seen)
}

fn count(path: &Path, sql: &str) -> u64 {
    let conn = Connection::open(path).unwrap();
    conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap() as u64
}

fn table<'a>(inspected: &'a Value, name: &str) -> &'a Value {
    inspected["databases"][0]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no table {name}"))
}

fn straddled(inspected: &Value) -> Vec<Value> {
    inspected["databases"][0]["counts_not_one_snapshot"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn big_relation(orphans: &Value) -> &Value {
    orphans["relations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["child"] == "big" && r["columns"][0] == "parent_id")
        .expect("the declared relation big.parent_id")
}

#[test]
fn an_application_writing_during_every_pass_is_never_refused_and_counts_stay_right() {
    let _alone = ALONE.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    build_database(&path);
    let file = path.to_str().unwrap();
    let before = count(&path, "SELECT count(*) FROM big");

    let (inspected, a) = beside_writer(&path, &["inspect", "--json", file]);
    let (report, b) = beside_writer(&path, &["report", "--format", "json", file]);
    let (orphans, c) = beside_writer(&path, &["orphans", "--json", file]);
    for (command, seen) in [("inspect", a), ("report", b), ("orphans", c)] {
        assert!(
            seen.commits >= 3,
            "{command}: the application hardly ran: {seen:?}"
        );
        assert_eq!(
            seen.busy, 0,
            "{command}: the application was refused: {seen:?}"
        );
        assert!(
            seen.worst < WORST_WAIT,
            "{command} held the read lock too long: {seen:?}"
        );
    }

    let after = count(&path, "SELECT count(*) FROM big");
    let violations = count(
        &path,
        "SELECT count(*) FROM pragma_foreign_key_check('big')",
    );
    assert!(after > before);
    let rows = table(&inspected, "big")["rows"].as_u64().unwrap();
    assert!(
        (before..=after).contains(&rows),
        "{before} <= {rows} <= {after}"
    );
    let rel = big_relation(&orphans);
    assert_eq!(rel["orphans"].as_u64(), Some(violations));
    assert_eq!(rel["one_snapshot"], false);
    let fk = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "fk-violation")
        .expect("the fk-violation finding");
    assert_eq!(fk["count"].as_u64(), Some(violations));

    // With the application stopped, every count is exact and from one snapshot.
    let quiet = litescope_json(&["inspect", "--json", file]);
    assert_eq!(table(&quiet, "big")["rows"].as_u64(), Some(after));
    assert_eq!(table(&quiet, "big")["rows_exact"], true);
    assert_eq!(table(&quiet, "tags")["rows"].as_u64(), Some(100_000));
    assert!(straddled(&quiet).is_empty(), "{:?}", straddled(&quiet));
    // Bytes come from dbstat within a slice, or as the remainder of the file; where neither can
    // be had, the caveat line names the b-tree.
    let bytes = count(&path, "SELECT sum(pgsize) FROM dbstat WHERE name = 'big'");
    let caveat = quiet["databases"][0]["error"].as_str().unwrap_or_default();
    assert!(
        table(&quiet, "big")["bytes"].as_u64() == Some(bytes) || caveat.contains("bytes of big"),
        "{caveat}"
    );
    // quick_check goes table by table here, and a table too large to check within a slice is
    // skipped and named rather than checked while the application waits.
    let integrity = &quiet["databases"][0]["integrity"];
    assert!(
        integrity["result"] == "ok"
            || integrity["detail"]
                .as_str()
                .is_some_and(|d| d.contains("read-lock slice")),
        "{integrity}"
    );
    let quiet = litescope_json(&["orphans", "--json", file]);
    let rel = big_relation(&quiet);
    assert_eq!(rel["orphans"].as_u64(), Some(violations));
    assert_eq!(rel["one_snapshot"], true);
    assert_eq!(
        rel["nulls"].as_u64(),
        Some(count(
            &path,
            "SELECT count(*) FROM big WHERE parent_id IS NULL"
        ))
    );
}

/// The status line while a query the user typed runs, after the spinner's delay.
fn status_while_a_query_runs(journal_mode: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    build(
        &dir.path().join("app.db"),
        &format!("PRAGMA journal_mode = {journal_mode}; CREATE TABLE t(x);"),
    );
    let mut app = open(dir.path());
    key(&mut app, KeyCode::Char('4'));
    key(&mut app, KeyCode::Char('i'));
    type_text(
        &mut app,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n",
    );
    key(&mut app, KeyCode::F(5));
    std::thread::sleep(Duration::from_millis(300));
    let screen = screen_sized(&app, 160, 24);
    key(&mut app, KeyCode::Esc);
    app.settle(Duration::from_secs(10));
    let status = screen.lines().last().unwrap_or_default().to_string();
    assert!(status.contains("running query"), "{screen}");
    status
}

#[test]
fn the_status_line_says_that_a_query_holds_the_read_lock_only_in_rollback_mode() {
    let _alone = ALONE.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    std::env::set_var("LITESCOPE_CONFIG_DIR", dir.path());
    let note = "holding the read lock: writers wait while this runs (rollback journal)";
    let rollback = status_while_a_query_runs("DELETE");
    assert!(rollback.contains(note), "{rollback}");
    let wal = status_while_a_query_runs("WAL");
    assert!(!wal.contains("read lock"), "{wal}");
}
