//! A resource limit of litescope's own never makes a healthy file look broken: with a low limit on
//! open files, every one of hundreds of databases still reads as ok through the worker pool.

mod common;

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;
use std::sync::{mpsc, Arc};
use std::time::Duration;

use common::*;
use litescope::engine::browse::{Page, Position};
use litescope::engine::database::Status;
use litescope::engine::discover::discover;
use litescope::engine::jobs::{PageJob, StageDone, StageJob};
use litescope::engine::pipeline::{Options, Stage};
use litescope::engine::worker::{Report, Sink, Workers};

const FILES: usize = 600;
const CHILD: &str = "LITESCOPE_LIMITS_CHILD";

/// In the child: every database inspected and paged through the pool must be ok.
fn check_all(dir: &Path) {
    let found = discover(&[dir.to_path_buf()]).unwrap();
    assert_eq!(found.len(), FILES);
    let (tx, rx) = mpsc::channel();
    let sink: Sink = Arc::new(move |e| {
        let _ = tx.send(e);
    });
    let workers = Workers::new(found, sink);
    for db in 0..FILES {
        let stage = StageJob {
            stage: Stage::Schema,
            opts: Options::default(),
        };
        workers.send(db, 1, stage);
        let page = PageJob {
            table: "t".into(),
            position: Position::First,
            selection: Default::default(),
            limit: 10,
        };
        workers.send(db, 2, page);
    }
    let (mut inspected, mut paged) = (0, 0);
    while inspected + paged < 2 * FILES {
        let e = rx.recv_timeout(Duration::from_secs(30)).expect("an answer");
        let Report::Done(result) = e.report else {
            continue;
        };
        let out = result.unwrap_or_else(|why| panic!("database {}: {why}", e.db));
        if e.job == 1 {
            let StageDone::Read(db) = *out.downcast::<StageDone>().unwrap() else {
                panic!("not a read")
            };
            assert_eq!(db.status, Status::Ok, "{}: {:?}", db.path, db.error);
            inspected += 1;
        } else {
            assert_eq!(out.downcast::<Page>().unwrap().rows.len(), 3);
            paged += 1;
        }
    }
}

#[test]
fn hundreds_of_databases_read_ok_under_a_low_open_file_limit() {
    if let Some(dir) = std::env::var_os(CHILD) {
        check_all(Path::new(&dir));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("db000.db");
    build(
        &first,
        "PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES (1), (2), (3);",
    );
    for i in 1..FILES {
        std::fs::copy(&first, dir.path().join(format!("db{i:03}.db"))).unwrap();
    }
    let mut child = Command::new(std::env::current_exe().unwrap());
    child
        .args([
            "--exact",
            "hundreds_of_databases_read_ok_under_a_low_open_file_limit",
        ])
        .env(CHILD, dir.path());
    // SAFETY: setrlimit is async-signal-safe and touches only the child about to exec.
    unsafe {
        child.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 256,
                rlim_max: 256,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    let out = child.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("1 passed"), "{text}");
}
