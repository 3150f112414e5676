use super::*;
use crate::engine::connect;
use crate::engine::schema::{self, Detail};

fn database(sql: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    Connection::open(&path).unwrap().execute_batch(sql).unwrap();
    (dir, path)
}

fn table(conn: &Conn, name: &str) -> Table {
    let schema = schema::load(conn, Detail::Full).unwrap();
    schema.table(name).unwrap().clone()
}

fn later() -> Instant {
    Instant::now() + Duration::from_secs(30)
}

const EXTREMES: &str = "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
    INSERT INTO t SELECT i * 3 - 7000, 'v' || i FROM n;
    INSERT INTO t VALUES (-9223372036854775808, 'min'), (9223372036854775807, 'max');
    CREATE TABLE other(x);";

/// Counts the statements a piece of work runs, and commits from another connection with no
/// busy timeout after each: that fails if litescope still holds its read lock.
struct Probe<'a, W> {
    work: W,
    writer: &'a Connection,
    statements: usize,
}

impl<W: Resumable> Resumable for Probe<'_, W> {
    fn step(&mut self, db: &Connection, rows: Option<u64>) -> rusqlite::Result<bool> {
        let done = self.work.step(db, rows)?;
        self.statements += 1;
        self.writer
            .execute("INSERT INTO other VALUES (1)", [])
            .expect("the read lock is released between statements");
        Ok(done)
    }
}

#[test]
fn the_pace_follows_the_journal_mode() {
    let (_dir, path) = database("CREATE TABLE t(x);");
    assert_eq!(Pace::of(&connect::open(&path).unwrap()), Pace::Slices);
    let (_dir, path) = database("PRAGMA journal_mode = WAL; CREATE TABLE t(x);");
    let app = Connection::open(&path).unwrap();
    app.execute("INSERT INTO t VALUES (1)", []).unwrap();
    assert_eq!(Pace::of(&connect::open(&path).unwrap()), Pace::Whole);
}

#[test]
fn a_sliced_scan_reads_every_row_once_in_order_and_lets_writers_in_between() {
    let (_dir, path) = database(EXTREMES);
    let conn = connect::open(&path).unwrap();
    let writer = Connection::open(&path).unwrap();
    writer.busy_timeout(Duration::ZERO).unwrap();
    let t = table(&conn, "t");
    let mut seen: Vec<(i64, String)> = Vec::new();
    let mut collect = |r: &Row| {
        seen.push((r.get(1)?, r.get(0)?));
        Ok(ControlFlow::Continue(()))
    };
    let extra = ["c.v".to_string()];
    let mut probe = Probe {
        work: Scan::new(&t, &extra, &mut collect).unwrap(),
        writer: &writer,
        statements: 0,
    };
    run(&conn, Pace::Slices, later(), &mut probe).unwrap();
    let statements = probe.statements;
    assert!(statements >= 2, "{statements} statements");
    let expected: Vec<(i64, String)> = writer
        .prepare("SELECT id, v FROM t ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(seen, expected);
}

#[test]
fn counts_agree_with_count_star_at_either_pace() {
    let (_dir, path) = database(&format!(
        "{EXTREMES}
         CREATE TABLE k(a TEXT COLLATE NOCASE, b INTEGER, PRIMARY KEY (a, b)) WITHOUT ROWID;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
         INSERT INTO k SELECT CASE WHEN i % 2 THEN 'A' ELSE 'b' END || (i % 7), i FROM n;
         CREATE TABLE shadowed(rowid TEXT, oid TEXT);
         INSERT INTO shadowed VALUES ('x', 'y'), ('x', 'y');"
    ));
    let conn = connect::open(&path).unwrap();
    for (name, rows) in [("t", 5002), ("k", 3000), ("shadowed", 2), ("other", 0)] {
        for pace in [Pace::Slices, Pace::Whole] {
            let n = count(&conn, pace, &table(&conn, name), later()).unwrap();
            assert_eq!(n, rows, "{name} at {pace:?}");
        }
    }
}

#[test]
fn an_item_too_long_for_a_slice_is_skipped_and_the_others_run() {
    let (_dir, path) = database("CREATE TABLE t(x);");
    let conn = connect::open(&path).unwrap();
    let endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n \
                   WHERE i < 1000000000) SELECT count(*) FROM n";
    let items = ["SELECT 1", endless, "SELECT 3"];
    let mut got = Vec::new();
    let mut work = |db: &Connection, sql: &&str| {
        got.push(db.query_row(sql, [], |r| r.get::<_, i64>(0))?);
        Ok(())
    };
    let mut each = Each::new(&items, &mut work);
    let started = Instant::now();
    run(&conn, Pace::Slices, later(), &mut each).unwrap();
    assert_eq!(each.skipped, [1]);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(got, [1, 3]);
}

#[test]
fn a_cancel_stops_sliced_work_as_an_interrupt() {
    let (_dir, path) = database(EXTREMES);
    let conn = connect::open(&path).unwrap();
    conn.cancel_flag()
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let stopped = count(&conn, Pace::Slices, &table(&conn, "t"), later()).unwrap_err();
    assert!(stopped.is_interrupt(), "{stopped:?}");
}

#[test]
fn a_snapshot_notices_another_connections_commit() {
    let (_dir, path) = database("CREATE TABLE t(x);");
    let conn = connect::open(&path).unwrap();
    let snapshot = Snapshot::take(&conn);
    assert!(snapshot.held(&conn));
    Connection::open(&path)
        .unwrap()
        .execute("INSERT INTO t VALUES (1)", [])
        .unwrap();
    assert!(!snapshot.held(&conn));
}

#[test]
fn statements_grow_or_shrink_towards_the_target_at_most_fourfold() {
    assert_eq!(resize(1000, SLICE_TARGET / 2), 2000);
    assert_eq!(resize(1000, Duration::from_secs(5)), 250);
    assert_eq!(resize(1000, Duration::from_micros(1)), 4000);
    assert_eq!(resize(20, Duration::from_secs(5)), MIN_ROWS);
}

#[test]
fn an_index_scan_reads_every_entry_once_in_index_order_through_nulls_and_a_popular_value() {
    let (_dir, path) = database(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER, w TEXT, x TEXT);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6000)
         INSERT INTO t SELECT i * 7 % 6007 - 3000,
             CASE WHEN i % 4 = 0 THEN NULL WHEN i % 3 = 0 THEN 42 ELSE i END, 'w', 'x' FROM n;
         CREATE INDEX t_v ON t(v);
         CREATE INDEX t_w_x ON t(w, x);
         CREATE TABLE other(x);",
    );
    let conn = connect::open(&path).unwrap();
    let writer = Connection::open(&path).unwrap();
    writer.busy_timeout(Duration::ZERO).unwrap();
    let t = table(&conn, "t");
    let mut nothing = |_: &Row| Ok(ControlFlow::Continue(()));
    // An index with a column after this one keeps a value's rows out of rowid order; no index,
    // no read of it.
    for (column, serves) in [("v", true), ("w", false), ("x", false)] {
        let scan = IndexScan::new(&t, column, &mut nothing);
        assert_eq!(scan.served(&conn).unwrap(), serves, "{column}");
    }
    let mut seen: Vec<(Option<i64>, i64)> = Vec::new();
    let mut collect = |r: &Row| {
        seen.push((r.get(1)?, r.get(0)?));
        Ok(ControlFlow::Continue(()))
    };
    let mut probe = Probe {
        work: IndexScan::new(&t, "v", &mut collect),
        writer: &writer,
        statements: 0,
    };
    // Statements of 300 entries, so that some end inside the NULLs and inside the 1,500 rows
    // of value 42.
    while !probe.step(&conn, Some(300)).unwrap() {}
    let statements = probe.statements;
    assert!(statements > 6000 / 300, "{statements} statements");
    let expected: Vec<(Option<i64>, i64)> = writer
        .prepare("SELECT v, id FROM t ORDER BY v, id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(expected.len(), 6000);
    assert_eq!(seen, expected);
}

#[test]
fn a_whole_file_pass_is_tried_on_small_files_and_on_many_trees_whatever_the_size() {
    let large = Some(WHOLE_FILE_MAX + 1);
    assert!(worth_trying(Some(WHOLE_FILE_MAX), 10));
    assert!(worth_trying(None, 10));
    assert!(!worth_trying(large, 10));
    assert!(!worth_trying(large, MANY_TREES - 1));
    assert!(worth_trying(large, MANY_TREES));
}
