//! litescope never stands in an application's way: an application writing with a short busy
//! timeout is never refused while litescope inspects, audits, counts orphans or runs a long query,
//! under every WAL access strategy, and its checkpoints complete while litescope shows a table.

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use litescope::engine::browse::{Page, Position};
use litescope::engine::database::Database;
use litescope::engine::discover::Found;
use litescope::engine::error::Error;
use litescope::engine::jobs::{PageJob, QueryJob, StageDone, StageJob};
use litescope::engine::pipeline::{Options, Stage};
use litescope::engine::worker::{Event, Payload, Report, Sink, Workers};
use rusqlite::Connection;

/// An application: commits a row every few milliseconds with a 200 ms busy timeout until told
/// to stop, counting its commits in `commits`; returns every error it met.
fn application(
    db: &Path,
    stop: Arc<AtomicBool>,
    commits: Arc<AtomicU64>,
) -> thread::JoinHandle<Vec<String>> {
    let db = db.to_path_buf();
    thread::spawn(move || {
        let conn = Connection::open(&db).unwrap();
        conn.busy_timeout(Duration::from_millis(200)).unwrap();
        let mut errors = Vec::new();
        while !stop.load(Ordering::SeqCst) {
            match conn.execute("INSERT INTO t VALUES ('app')", []) {
                Ok(_) => commits.fetch_add(1, Ordering::SeqCst),
                Err(e) => {
                    errors.push(e.to_string());
                    0
                }
            };
            thread::sleep(Duration::from_millis(5));
        }
        errors
    })
}

fn pool(db: &Path) -> (Workers, mpsc::Receiver<Event>) {
    let (tx, rx) = mpsc::channel();
    let sink: Sink = Arc::new(move |e| {
        let _ = tx.send(e);
    });
    let found = Found {
        display: "app.db".into(),
        path: db.to_path_buf(),
        explicit: true,
    };
    (Workers::new(vec![found], sink), rx)
}

/// The end of job `job`: its result, or why it failed.
fn wait_for(rx: &mpsc::Receiver<Event>, job: u64) -> Result<Payload, Error> {
    loop {
        let e = rx.recv_timeout(Duration::from_secs(30)).expect("an answer");
        if let (true, Report::Done(result)) = (e.job == job, e.report) {
            return result;
        }
    }
}

fn show_table(workers: &Workers, rx: &mpsc::Receiver<Event>, job: u64) {
    let page = PageJob {
        table: "t".into(),
        position: Position::First,
        selection: Default::default(),
        limit: 50,
    };
    workers.send(0, job, page);
    assert!(wait_for(rx, job).unwrap().downcast::<Page>().is_ok());
}

fn read_schema(workers: &Workers, rx: &mpsc::Receiver<Event>) -> Arc<Database> {
    let stage = StageJob {
        stage: Stage::Schema,
        opts: Options::default(),
    };
    workers.send(0, 1, stage);
    match *wait_for(rx, 1).unwrap().downcast::<StageDone>().unwrap() {
        StageDone::Read(db) => db,
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_application_is_never_refused_and_its_checkpoints_complete() {
    for (access, setup) in access_setups().into_iter().take(3) {
        let dir = tempfile::tempdir().unwrap();
        let db = setup(dir.path());
        let (workers, rx) = pool(&db);
        let model = read_schema(&workers, &rx);
        assert_eq!(
            serde_json::to_value(model.access).unwrap(),
            access,
            "{access}"
        );
        show_table(&workers, &rx, 2);

        // A long query starts before the application opens the file.
        let long = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) \
                    SELECT count(*) FROM n";
        let query = QueryJob {
            sql: long.into(),
            holds_read_lock: false,
        };
        workers.send(0, 3, query);
        loop {
            let e = rx
                .recv_timeout(Duration::from_secs(10))
                .expect("the query starts");
            if matches!(e.report, Report::Partial(_)) {
                break;
            }
        }
        let stop = Arc::new(AtomicBool::new(false));
        let commits = Arc::new(AtomicU64::new(0));
        let app = application(&db, stop.clone(), commits.clone());
        thread::sleep(Duration::from_millis(300));
        let before = commits.load(Ordering::SeqCst);
        let path = db.to_str().unwrap();
        // On a tiny file the commands take a few milliseconds, less than one fsync on a loaded
        // machine: they run again until the application has committed while they read.
        let until = Instant::now() + Duration::from_secs(10);
        loop {
            for args in [
                ["inspect", path].as_slice(),
                &["report", path],
                &["orphans", path],
            ] {
                let (code, _, err) = litescope(args);
                assert!(code == 0 || code == 1, "{args:?}: {err}");
            }
            if commits.load(Ordering::SeqCst) > before || Instant::now() > until {
                break;
            }
        }
        workers.cancel(0, 3);
        assert!(matches!(wait_for(&rx, 3), Err(Error::Cancelled)));
        let during = commits.load(Ordering::SeqCst) - before;
        show_table(&workers, &rx, 4);
        // The application goes on committing; on a loaded machine each fsync may take long, so
        // it is given time for ten more rather than a fixed interval.
        let until = Instant::now() + Duration::from_secs(10);
        let after = commits.load(Ordering::SeqCst);
        while commits.load(Ordering::SeqCst) < after + 10 && Instant::now() < until {
            thread::sleep(Duration::from_millis(10));
        }
        stop.store(true, Ordering::SeqCst);
        let errors = app.join().unwrap();
        assert!(
            errors.is_empty(),
            "{access}: the application failed: {errors:?}"
        );
        assert!(during > 0, "{access}: no commit while litescope read");
        let total = commits.load(Ordering::SeqCst);
        assert!(total >= after + 10, "{access}: only {total} commits");

        // The TUI still shows the table; the application's checkpoint must not wait on it: with
        // no busy timeout at all, any lock litescope held would make it report busy.
        let conn = Connection::open(&db).unwrap();
        conn.busy_timeout(Duration::ZERO).unwrap();
        let (busy, _, _): (i64, i64, i64) = conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap();
        assert_eq!(busy, 0, "{access}: the checkpoint was blocked");
        assert_eq!(
            std::fs::metadata(dir.path().join("app.db-wal"))
                .unwrap()
                .len(),
            0
        );
        show_table(&workers, &rx, 5);
    }
}
