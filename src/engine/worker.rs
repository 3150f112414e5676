//! One thread per open database: jobs in, events out, cancellation through SQLite's interrupt.
//!
//! The thread owns the database's read-only connection, so no database work ever runs on the
//! caller's (the UI's) thread. Each event carries the id of the job it answers, and callers drop
//! answers to jobs they no longer wait for. No read transaction outlives its job, and a connection
//! that can no longer see the file's changes (see [`connect`](super::connect)) is reopened.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread;

use rusqlite::InterruptHandle;

use super::browse::{self, Page, Position};
use super::connect::{self, Conn};
use super::database::{self, Database, Depth};
use super::discover::Found;
use super::findings::{self, Finding};
use super::query::{self, QueryEvent};
use super::relations::{self, Relation};

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
    /// Long jobs that give way to interactive ones (see [`Worker::send`]).
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

/// Handle to a database's thread.
pub struct Worker {
    jobs: Sender<(JobId, Job)>,
    interrupt: Arc<Mutex<Option<Stopper>>>,
    flags: Arc<Flags>,
}

/// What the UI thread and a worker thread tell each other without waiting.
#[derive(Default)]
struct Flags {
    /// A background job is running.
    background: AtomicBool,
    /// The running background job was interrupted to let an interactive job through.
    preempted: AtomicBool,
    /// The job running now.
    current: AtomicU64,
    /// The job the user cancelled last, running or still queued.
    cancelled: AtomicU64,
}

/// Both halves of a cancel: SQLite's interrupt and the connection's cancel flag.
struct Stopper {
    handle: InterruptHandle,
    flag: Arc<AtomicBool>,
}

impl Worker {
    pub fn spawn(db: usize, found: Found, sink: Sink) -> Worker {
        let (jobs, queue) = channel();
        let interrupt: Arc<Mutex<Option<Stopper>>> = Arc::default();
        let flags: Arc<Flags> = Arc::default();
        let state = State {
            db,
            found,
            conn: None,
            model: None,
            interrupt: interrupt.clone(),
            flags: flags.clone(),
            sink,
        };
        thread::Builder::new()
            .name(format!("db-{db}"))
            .spawn(move || state.run(queue))
            .expect("spawning a worker thread");
        Worker {
            jobs,
            interrupt,
            flags,
        }
    }

    /// Queues `job`. An interactive job (a page, a query) interrupts a running background job,
    /// which the worker runs again afterwards, so that browsing never waits for a measuring pass.
    pub fn send(&self, id: JobId, job: Job) {
        let preempt = !job.is_background() && self.flags.background.load(Ordering::SeqCst);
        // A send fails only once the thread has gone, when there is nobody left to answer.
        let _ = self.jobs.send((id, job));
        if preempt {
            self.flags.preempted.store(true, Ordering::SeqCst);
            self.stop();
        }
    }

    /// Cancels job `id`: now if it runs, or as soon as it starts.
    pub fn cancel(&self, id: JobId) {
        self.flags.cancelled.store(id, Ordering::SeqCst);
        if self.flags.current.load(Ordering::SeqCst) == id {
            self.stop();
        }
    }

    /// Interrupts the statement running now, if any.
    fn stop(&self) {
        if let Some(stop) = lock(&self.interrupt).as_ref() {
            stop.flag.store(true, Ordering::SeqCst);
            stop.handle.interrupt();
        }
    }
}

struct State {
    db: usize,
    found: Found,
    conn: Option<Conn>,
    /// The last model read, shared with jobs without copying it.
    model: Option<Arc<Database>>,
    interrupt: Arc<Mutex<Option<Stopper>>>,
    flags: Arc<Flags>,
    sink: Sink,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl State {
    fn run(mut self, queue: Receiver<(JobId, Job)>) {
        let mut deferred: VecDeque<(JobId, Job)> = VecDeque::new();
        loop {
            let first = match queue.try_recv() {
                Ok(job) => job,
                Err(_) => match deferred.pop_front() {
                    Some(job) => job,
                    None => match queue.recv() {
                        Ok(job) => job,
                        Err(_) => return,
                    },
                },
            };
            let (jobs, dropped) = coalesce(first, &queue);
            for id in dropped {
                self.emit(id, Output::Superseded);
            }
            for (id, job) in jobs {
                if let Some(again) = self.handle(id, job) {
                    deferred.push_back(again);
                }
            }
        }
    }

    fn emit(&self, job: JobId, output: Output) {
        (self.sink)(Event {
            db: self.db,
            job,
            output,
        });
    }

    fn conn(&mut self) -> rusqlite::Result<&Conn> {
        if self
            .conn
            .as_ref()
            .is_some_and(|c| c.is_stale(&self.found.path))
        {
            self.close();
        }
        if self.conn.is_none() {
            let conn = connect::open(&self.found.path)?;
            *lock(&self.interrupt) = Some(Stopper {
                handle: conn.get_interrupt_handle(),
                flag: conn.cancel_flag(),
            });
            self.conn = Some(conn);
            self.arm();
        }
        Ok(self.conn.as_ref().expect("opened above"))
    }

    fn close(&mut self) {
        *lock(&self.interrupt) = None;
        self.conn = None;
    }

    /// Sets the connection's stop flag for the job starting now: up if it was cancelled before
    /// it started, down otherwise (a cancel of an earlier job must not stop this one).
    fn arm(&self) {
        let current = self.flags.current.load(Ordering::SeqCst);
        let cancelled = self.flags.cancelled.load(Ordering::SeqCst) == current;
        if let Some(stop) = lock(&self.interrupt).as_ref() {
            stop.flag.store(cancelled, Ordering::SeqCst);
        }
    }

    /// Runs one job and reports it; returns the job when it gave way and must run again.
    fn handle(&mut self, id: JobId, job: Job) -> Option<(JobId, Job)> {
        self.flags.current.store(id, Ordering::SeqCst);
        self.arm();
        self.flags.preempted.store(false, Ordering::SeqCst);
        self.flags
            .background
            .store(job.is_background(), Ordering::SeqCst);
        let output = match job.clone() {
            Job::Inspect(depth) => Output::Inspected(Box::new(self.inspect(depth))),
            Job::Query(sql) => self.query(id, &sql),
            other => match self.with_model(id, other) {
                Ok(out) => out,
                Err(e) => Output::Failed(e),
            },
        };
        self.flags.background.store(false, Ordering::SeqCst);
        if let Some(conn) = &self.conn {
            conn.end_transaction();
        }
        if self.flags.preempted.swap(false, Ordering::SeqCst) {
            return Some((id, job));
        }
        self.emit(id, output);
        None
    }

    fn inspect(&mut self, depth: Depth) -> Database {
        // Re-reading starts from a fresh connection, so that `r` sees what changed on disk.
        self.close();
        let db = match database::precheck(&self.found) {
            Err(failed) => *failed,
            Ok(mut db) => {
                match self.conn() {
                    Ok(conn) => db.read(conn, depth),
                    Err(e) => db.fail(&e),
                }
                db
            }
        };
        self.model = Some(Arc::new(db.clone()));
        db
    }

    fn query(&mut self, id: JobId, sql: &str) -> Output {
        let sink = self.sink.clone();
        let db = self.db;
        let result = self
            .conn()
            .map_err(connect::explain_error)
            .and_then(|conn| {
                let emit = &mut |e| {
                    sink(Event {
                        db,
                        job: id,
                        output: Output::Query(e),
                    })
                };
                query::run_script(conn, sql, emit).map_err(|e| conn.explain(e))
            });
        Output::QueryDone(result)
    }

    fn with_model(&mut self, id: JobId, job: Job) -> Result<Output, String> {
        let model = self
            .model
            .clone()
            .ok_or("the database has not been read yet")?;
        if let (Job::Audit(opts), false) = (&job, model.is_ok()) {
            // A file SQLite cannot read still gets the rules about files.
            let findings = findings::from_parts(&model, None, opts);
            let relations = Vec::new();
            return Ok(Output::Audit {
                findings,
                relations,
            });
        }
        let sink = self.sink.clone();
        let db = self.db;
        let conn = self.conn().map_err(connect::explain_error)?;
        Ok(match job {
            Job::Page {
                table,
                position,
                limit,
            } => {
                let page = browse::page(conn, &model.schema, &table, &position, limit)
                    .map_err(connect::explain_error)?;
                Output::Page { table, page }
            }
            Job::Audit(opts) => {
                let mut progress = |done, total| {
                    sink(Event {
                        db,
                        job: id,
                        output: Output::Progress { done, total },
                    })
                };
                let relations = relations::find_with(
                    conn,
                    &model.schema,
                    opts.budget,
                    relations::DEFAULT_SAMPLE,
                    &mut progress,
                );
                let findings = findings::from_parts(&model, Some((conn, &relations)), &opts);
                Output::Audit {
                    findings,
                    relations,
                }
            }
            Job::Inspect(_) | Job::Query(_) => unreachable!("handled before"),
        })
    }
}

/// The queued jobs to run now, and the ids of those dropped: of several page requests only the
/// newest matters.
fn coalesce(
    first: (JobId, Job),
    queue: &Receiver<(JobId, Job)>,
) -> (Vec<(JobId, Job)>, Vec<JobId>) {
    let mut jobs = vec![first];
    jobs.extend(queue.try_iter());
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
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    fn spawn(sql: &str) -> (tempfile::TempDir, Worker, mpsc::Receiver<Event>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        rusqlite::Connection::open(&path)
            .unwrap()
            .execute_batch(sql)
            .unwrap();
        let (tx, rx) = mpsc::channel();
        let sink: Sink = Arc::new(move |e| {
            let _ = tx.send(e);
        });
        let found = Found {
            display: "w.db".into(),
            path,
            explicit: true,
        };
        (dir, Worker::spawn(0, found, sink), rx)
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
        let (_dir, worker, rx) = spawn("CREATE TABLE t(x); INSERT INTO t VALUES (1), (2), (3);");
        worker.send(1, Job::Inspect(Depth::SCHEMA));
        let db = until(&rx, |e| match e.output {
            Output::Inspected(db) if e.job == 1 => Some(db),
            _ => None,
        });
        assert_eq!(db.schema.tables[0].name, "t");
        let position = Position::First;
        worker.send(
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
        let (_dir, worker, rx) = spawn("CREATE TABLE t(x);");
        let endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) \
                       SELECT count(*) FROM n";
        worker.send(7, Job::Query(endless.into()));
        until(&rx, |e| {
            matches!(e.output, Output::Query(QueryEvent::Started { .. })).then_some(())
        });
        let start = Instant::now();
        worker.cancel(7);
        let done = until(&rx, |e| match e.output {
            Output::QueryDone(r) => Some(r),
            _ => None,
        });
        assert_eq!(done, Err("cancelled".to_string()));
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn an_interactive_job_overtakes_a_measuring_pass_which_then_completes() {
        let (_dir, worker, rx) = spawn(
            "CREATE TABLE big(x);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000)
             INSERT INTO big SELECT i FROM n;",
        );
        worker.send(1, Job::Inspect(Depth::SCHEMA));
        until(&rx, |e| (e.job == 1).then_some(()));
        worker.send(2, Job::Inspect(Depth::full(Duration::from_secs(600))));
        std::thread::sleep(Duration::from_millis(50));
        let position = Position::Last;
        worker.send(
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
}
