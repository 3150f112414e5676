//! Database work off the caller's thread: jobs in, events out, cancellation through SQLite's
//! interrupt.
//!
//! A job is any type that implements [`Job`]: it runs on a database's [`Session`] through a
//! [`Ctx`], may report progress and partial results as it goes, and ends with a typed result.
//! The worker knows no kinds of job, so a new kind of work is a new type (see `engine::jobs`),
//! not an edit here.
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

use std::any::Any;
use std::sync::Arc;

use super::error::Error;

pub use pool::Workers;
pub use run::{Ctx, Emitter};

pub type JobId = u64;

/// A result or partial result on its way to the caller, typed again by [`Job::Output`] and
/// [`Job::Partial`].
pub type Payload = Box<dyn Any + Send>;

/// Work a database's worker can run.
pub trait Job: Send + Sync + 'static {
    /// The result a caller receives.
    type Output: Send + 'static;
    /// What the job reports while it runs (`()` for nothing).
    type Partial: Send + 'static;

    /// What a status line says while it runs: `reading rows`.
    fn label(&self) -> String;

    /// Long passes that give way to interactive jobs and run again afterwards.
    fn is_background(&self) -> bool {
        false
    }

    /// A queued job is dropped, unrun, when a newer one of its database says it replaces it
    /// (of several page requests only the newest matters).
    fn replaces(&self, _older: &dyn Queued) -> bool {
        false
    }

    /// Does the work.
    fn run(&self, ctx: &mut Ctx<'_, Self::Partial>) -> Result<Self::Output, Error>;
}

/// A job as the pool holds it, whatever its types.
pub trait Queued: Send + Sync + Any {
    fn label(&self) -> String;
    fn is_background(&self) -> bool;
    fn replaces(&self, older: &dyn Queued) -> bool;
    fn run_erased(&self, ctx: &mut run::Erased<'_>) -> Result<Payload, Error>;
    fn as_any(&self) -> &dyn Any;
}

impl<J: Job> Queued for J {
    fn label(&self) -> String {
        Job::label(self)
    }
    fn is_background(&self) -> bool {
        Job::is_background(self)
    }
    fn replaces(&self, older: &dyn Queued) -> bool {
        Job::replaces(self, older)
    }
    fn run_erased(&self, ctx: &mut run::Erased<'_>) -> Result<Payload, Error> {
        let mut typed = Ctx::new(ctx);
        self.run(&mut typed).map(|out| Box::new(out) as Payload)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// True when `job` is of type `T`: what [`Job::replaces`] asks of an older job.
pub fn is<T: 'static>(job: &dyn Queued) -> bool {
    job.as_any().is::<T>()
}

/// What a job reports.
#[derive(Debug)]
pub enum Report {
    /// A partial result, of the job's [`Job::Partial`] type.
    Partial(Payload),
    Progress {
        done: usize,
        total: usize,
    },
    /// The job ended: its [`Job::Output`], or why it failed.
    Done(Result<Payload, Error>),
    /// A newer job replaced this one before it ran.
    Superseded,
}

#[derive(Debug)]
pub struct Event {
    /// Index of the database in the caller's list.
    pub db: usize,
    pub job: JobId,
    pub report: Report,
}

/// Where events go; the UI wakes on each.
pub type Sink = Arc<dyn Fn(Event) + Send + Sync>;

type Entry = (JobId, Arc<dyn Queued>);

/// The queued jobs to run now, and the ids of those a newer queued job replaces.
fn coalesce(jobs: Vec<Entry>) -> (Vec<Entry>, Vec<JobId>) {
    let replaced = |i: usize| {
        jobs[i + 1..]
            .iter()
            .any(|(_, newer)| newer.replaces(jobs[i].1.as_ref()))
    };
    let keep: Vec<bool> = (0..jobs.len()).map(|i| !replaced(i)).collect();
    let (kept, dropped): (Vec<_>, Vec<_>) = jobs.into_iter().zip(keep).partition(|(_, keep)| *keep);
    (
        kept.into_iter().map(|(job, _)| job).collect(),
        dropped.into_iter().map(|((id, _), _)| id).collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::browse::{Page, Position};
    use crate::engine::discover::Found;
    use crate::engine::jobs::{PageJob, QueryJob, StageDone, StageJob};
    use crate::engine::pipeline::{Options, Stage};
    use crate::engine::query::QueryEvent;
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

    /// The result of a job that ended, typed.
    fn done<T: 'static>(e: Event) -> Option<Result<T, Error>> {
        match e.report {
            Report::Done(r) => Some(r.map(|p| *p.downcast::<T>().expect("the job's type"))),
            _ => None,
        }
    }

    fn stage(stage: Stage) -> StageJob {
        let opts = Options {
            measure_budget: Duration::from_secs(600),
            ..Options::default()
        };
        StageJob { stage, opts }
    }

    fn page(table: &str, position: Position, limit: usize) -> PageJob {
        PageJob {
            table: table.into(),
            position,
            selection: Default::default(),
            limit,
        }
    }

    fn model(e: Event) -> Option<std::sync::Arc<crate::engine::database::Database>> {
        match done::<StageDone>(e) {
            Some(Ok(StageDone::Read(db))) => Some(db),
            _ => None,
        }
    }

    #[test]
    fn answers_jobs_by_id_and_pages_tables() {
        let (_dir, workers, rx) = spawn("CREATE TABLE t(x); INSERT INTO t VALUES (1), (2), (3);");
        workers.send(0, 1, stage(Stage::Schema));
        let db = until(&rx, |e| (e.job == 1).then(|| model(e)).flatten());
        assert_eq!(db.schema.tables[0].name, "t");
        workers.send(0, 2, page("t", Position::First, 2));
        let page = until(&rx, |e| (e.job == 2).then(|| done::<Page>(e)).flatten()).unwrap();
        assert_eq!(page.rows.len(), 2);
        assert!(!page.at_end);
    }

    #[test]
    fn cancel_interrupts_a_running_query() {
        let (_dir, workers, rx) = spawn("CREATE TABLE t(x);");
        let endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) \
                       SELECT count(*) FROM n";
        workers.send(
            0,
            7,
            QueryJob {
                sql: endless.into(),
                holds_read_lock: false,
            },
        );
        until(&rx, |e| match e.report {
            Report::Partial(p) => p
                .downcast::<QueryEvent>()
                .ok()
                .filter(|q| matches!(**q, QueryEvent::Started { .. })),
            _ => None,
        });
        let start = Instant::now();
        workers.cancel(0, 7);
        let result = until(&rx, done::<usize>);
        assert!(matches!(result, Err(Error::Cancelled)), "{result:?}");
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn an_interactive_job_overtakes_a_measuring_pass_which_then_completes() {
        let (_dir, workers, rx) = spawn(
            "CREATE TABLE big(x);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000)
             INSERT INTO big SELECT i FROM n;",
        );
        workers.send(0, 1, stage(Stage::Schema));
        until(&rx, |e| (e.job == 1).then_some(()));
        workers.send(0, 2, stage(Stage::Measure));
        std::thread::sleep(Duration::from_millis(50));
        workers.send(0, 3, page("big", Position::Last, 5));
        let order: Vec<JobId> = (0..2)
            .map(|_| {
                until(&rx, |e| {
                    matches!(e.report, Report::Done(_)).then_some(e.job)
                })
            })
            .collect();
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
            workers.send(db, db as JobId + 1, stage(Stage::Names));
        }
        let mut answered = std::collections::BTreeSet::new();
        let mut threads = std::collections::HashSet::new();
        while answered.len() < scripts.len() {
            let (thread, e) = rx.recv_timeout(Duration::from_secs(10)).expect("an event");
            let db_index = e.db;
            if let Some(db) = model(e) {
                assert_eq!(db.schema.tables[0].name, "t");
                answered.insert(db_index);
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
            workers.send(db, db as JobId + 1, stage(Stage::Schema));
        }
        for _ in 0..=busy {
            until(&rx, model);
        }
        for db in 1..=busy {
            workers.send(db, 100 + db as JobId, stage(Stage::Measure));
        }
        std::thread::sleep(Duration::from_millis(100));
        workers.send(0, 7, page("small", Position::First, 5));
        let first = until(&rx, |e| {
            matches!(e.report, Report::Done(_)).then_some(e.job)
        });
        assert_eq!(first, 7, "the page came first");
    }
}
