//! Database work off the caller's thread: jobs in, events out, cancellation through SQLite's
//! interrupt.
//!
//! A small pool of threads, sized to the machine, serves every open database, so that a folder of
//! ten thousand files costs a few threads, not ten thousand. A database's jobs run one at a time
//! and in order, on whichever thread is free; its connection is opened when it first has work and
//! closed when too many are open ([`pool`]). Each event carries the id of the job it answers, and
//! callers drop answers to jobs they no longer wait for. Interactive jobs (a page, a query)
//! interrupt background passes, which run again afterwards. No read transaction outlives its job,
//! and a connection that can no longer see the file's changes (see [`connect`](super::connect)) is
//! reopened.

mod pool;
mod run;

use std::sync::Arc;

use super::browse::{Page, Position};
use super::database::{Database, Depth};
use super::findings::{self, Finding};
use super::query::QueryEvent;
use super::relations::Relation;

pub use pool::Workers;

pub type JobId = u64;

/// Work a database's thread can do.
#[derive(Debug, Clone)]
pub enum Job {
    /// Read the database to `depth`.
    Inspect(Depth),
    Page {
        table: String,
        position: Position,
        limit: usize,
    },
    Query(String),
    /// Count relations and run the audit's rules on this database.
    Audit(findings::Options),
}

impl Job {
    /// Long jobs that give way to interactive ones (see [`Workers::send`]).
    fn is_background(&self) -> bool {
        matches!(self, Job::Inspect(d) if d.measure) || matches!(self, Job::Audit(_))
    }
}

/// What a job reports.
#[derive(Debug)]
pub enum Output {
    Inspected(Box<Database>),
    Page {
        table: String,
        page: Page,
    },
    Query(QueryEvent),
    /// The script ended: statements run, or the error that stopped it.
    QueryDone(Result<usize, String>),
    Audit {
        findings: Vec<Finding>,
        relations: Vec<Relation>,
    },
    Progress {
        done: usize,
        total: usize,
    },
    Failed(String),
    /// A newer request of the same kind replaced this one before it ran.
    Superseded,
}

#[derive(Debug)]
pub struct Event {
    /// Index of the database in the caller's list.
    pub db: usize,
    pub job: JobId,
    pub output: Output,
}

/// Where events go; the UI wakes on each.
pub type Sink = Arc<dyn Fn(Event) + Send + Sync>;

/// The queued jobs to run now, and the ids of those dropped: of several page requests only the
/// newest matters.
fn coalesce(jobs: Vec<(JobId, Job)>) -> (Vec<(JobId, Job)>, Vec<JobId>) {
    let last_page = jobs
        .iter()
        .rposition(|(_, j)| matches!(j, Job::Page { .. }));
    let (keep, drop): (Vec<_>, Vec<_>) = jobs
        .into_iter()
        .enumerate()
        .partition(|(i, (_, j))| !matches!(j, Job::Page { .. }) || Some(*i) == last_page);
    (
        keep.into_iter().map(|(_, job)| job).collect(),
        drop.into_iter().map(|(_, (id, _))| id).collect(),
    )
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::discover::Found;
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    /// One database per script, in a temp dir.
    fn files(scripts: &[&str]) -> (tempfile::TempDir, Vec<Found>) {
        let dir = tempfile::tempdir().unwrap();
        let found = scripts
            .iter()
            .enumerate()
            .map(|(i, sql)| {
                let path = dir.path().join(format!("w{i}.db"));
                rusqlite::Connection::open(&path)
                    .unwrap()
                    .execute_batch(sql)
                    .unwrap();
                Found {
                    display: format!("w{i}.db"),
                    path,
                    explicit: true,
                }
            })
            .collect();
        (dir, found)
    }

    /// A pool over one database per script.
    fn pool(scripts: &[&str]) -> (tempfile::TempDir, Workers, mpsc::Receiver<Event>) {
        let (dir, found) = files(scripts);
        let (tx, rx) = mpsc::channel();
        let sink: Sink = Arc::new(move |e| {
            let _ = tx.send(e);
        });
        (dir, Workers::new(found, sink), rx)
    }

    fn spawn(sql: &str) -> (tempfile::TempDir, Workers, mpsc::Receiver<Event>) {
        pool(&[sql])
    }

    fn until<T>(rx: &mpsc::Receiver<Event>, mut pick: impl FnMut(Event) -> Option<T>) -> T {
        loop {
            let e = rx.recv_timeout(Duration::from_secs(10)).expect("an event");
            if let Some(t) = pick(e) {
                return t;
            }
        }
    }

    #[test]
    fn answers_jobs_by_id_and_pages_tables() {
        let (_dir, workers, rx) = spawn("CREATE TABLE t(x); INSERT INTO t VALUES (1), (2), (3);");
        workers.send(0, 1, Job::Inspect(Depth::SCHEMA));
        let db = until(&rx, |e| match e.output {
            Output::Inspected(db) if e.job == 1 => Some(db),
            _ => None,
        });
        assert_eq!(db.schema.tables[0].name, "t");
        let position = Position::First;
        workers.send(
            0,
            2,
            Job::Page {
                table: "t".into(),
                position,
                limit: 2,
            },
        );
        let page = until(&rx, |e| match e.output {
            Output::Page { page, .. } if e.job == 2 => Some(page),
            _ => None,
        });
        assert_eq!(page.rows.len(), 2);
        assert!(!page.at_end);
    }

    #[test]
    fn cancel_interrupts_a_running_query() {
        let (_dir, workers, rx) = spawn("CREATE TABLE t(x);");
        let endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) \
                       SELECT count(*) FROM n";
        workers.send(0, 7, Job::Query(endless.into()));
        until(&rx, |e| {
            matches!(e.output, Output::Query(QueryEvent::Started { .. })).then_some(())
        });
        let start = Instant::now();
        workers.cancel(0, 7);
        let done = until(&rx, |e| match e.output {
            Output::QueryDone(r) => Some(r),
            _ => None,
        });
        assert_eq!(done, Err("cancelled".to_string()));
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn an_interactive_job_overtakes_a_measuring_pass_which_then_completes() {
        let (_dir, workers, rx) = spawn(
            "CREATE TABLE big(x);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000)
             INSERT INTO big SELECT i FROM n;",
        );
        workers.send(0, 1, Job::Inspect(Depth::SCHEMA));
        until(&rx, |e| (e.job == 1).then_some(()));
        workers.send(0, 2, Job::Inspect(Depth::full(Duration::from_secs(600))));
        std::thread::sleep(Duration::from_millis(50));
        let position = Position::Last;
        workers.send(
            0,
            3,
            Job::Page {
                table: "big".into(),
                position,
                limit: 5,
            },
        );
        let order: Vec<JobId> = (0..2).map(|_| until(&rx, |e| Some(e.job))).collect();
        assert_eq!(order, [3, 2]);
    }

    #[test]
    fn many_databases_are_served_by_a_few_threads() {
        let scripts = vec!["CREATE TABLE t(x);"; 300];
        let (_dir, found) = files(&scripts);
        let (tx, rx) = mpsc::channel();
        let sink: Sink = Arc::new(move |e| {
            let _ = tx.send((std::thread::current().id(), e));
        });
        let workers = Workers::new(found, sink);
        for db in 0..scripts.len() {
            workers.send(db, db as JobId + 1, Job::Inspect(Depth::NAMES));
        }
        let mut answered = std::collections::BTreeSet::new();
        let mut threads = std::collections::HashSet::new();
        while answered.len() < scripts.len() {
            let (thread, e) = rx.recv_timeout(Duration::from_secs(10)).expect("an event");
            if let Output::Inspected(db) = e.output {
                assert_eq!(db.schema.tables[0].name, "t");
                answered.insert(e.db);
                threads.insert(thread);
            }
        }
        assert!(threads.len() <= 8, "{} threads answered", threads.len());
    }

    #[test]
    fn an_interactive_job_overtakes_passes_on_other_databases_when_every_thread_is_busy() {
        let big = "CREATE TABLE big(x);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000000)
             INSERT INTO big SELECT i FROM n;";
        let (dir, _, _) = pool(&[big]);
        let busy = 8;
        let mut scripts = vec!["CREATE TABLE small(x); INSERT INTO small VALUES (1);"];
        scripts.extend(std::iter::repeat_n("", busy));
        let (other, workers, rx) = pool(&scripts);
        for i in 1..=busy {
            std::fs::copy(
                dir.path().join("w0.db"),
                other.path().join(format!("w{i}.db")),
            )
            .unwrap();
        }
        for db in 0..=busy {
            workers.send(db, db as JobId + 1, Job::Inspect(Depth::SCHEMA));
        }
        for _ in 0..=busy {
            until(&rx, |e| {
                matches!(e.output, Output::Inspected(_)).then_some(())
            });
        }
        for db in 1..=busy {
            workers.send(
                db,
                100 + db as JobId,
                Job::Inspect(Depth::full(Duration::from_secs(600))),
            );
        }
        std::thread::sleep(Duration::from_millis(100));
        let page = Job::Page {
            table: "small".into(),
            position: Position::First,
            limit: 5,
        };
        workers.send(0, 7, page);
        let first = until(&rx, |e| {
            (!matches!(e.output, Output::Progress { .. })).then_some(e.job)
        });
        assert_eq!(first, 7, "the page came first");
    }
}
