//! One database's side of the pool: its connection, its last model, and how each kind of job runs
//! on it. A pool thread holds a database's [`DbState`] while it runs that database's jobs, so a
//! database never runs two jobs at once.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rusqlite::InterruptHandle;

use super::{Event, Job, JobId, Output, Sink};
use crate::engine::browse;
use crate::engine::connect::{self, Conn};
use crate::engine::database::{self, Database, Depth};
use crate::engine::discover::Found;
use crate::engine::findings;
use crate::engine::query;
use crate::engine::relations;

/// A database as the pool knows it.
pub(super) struct Slot {
    pub db: usize,
    pub found: Found,
    pub state: Mutex<DbState>,
    interrupt: Mutex<Option<Stopper>>,
    pub flags: Flags,
}

/// What only the thread running a database's jobs touches.
#[derive(Default)]
pub(super) struct DbState {
    conn: Option<Conn>,
    /// The last model read, shared with jobs without copying it.
    model: Option<Arc<Database>>,
}

impl DbState {
    pub fn has_conn(&self) -> bool {
        self.conn.is_some()
    }
}

/// What callers and a running job tell each other without waiting.
#[derive(Default)]
pub(super) struct Flags {
    /// A background job is running.
    pub background: AtomicBool,
    /// The running background job was interrupted to let an interactive job through.
    pub preempted: AtomicBool,
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

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Slot {
    pub fn new(db: usize, found: Found) -> Slot {
        Slot {
            db,
            found,
            state: Mutex::default(),
            interrupt: Mutex::default(),
            flags: Flags::default(),
        }
    }

    /// Cancels job `id`: now if it runs, or as soon as it starts.
    pub fn cancel(&self, id: JobId) {
        self.flags.cancelled.store(id, Ordering::SeqCst);
        if self.flags.current.load(Ordering::SeqCst) == id {
            self.stop();
        }
    }

    /// Interrupts a running background job so that an interactive one can run; it runs again.
    pub fn preempt(&self) {
        if self.flags.background.load(Ordering::SeqCst) {
            self.flags.preempted.store(true, Ordering::SeqCst);
            self.stop();
        }
    }

    /// Interrupts the statement running now, if any.
    pub fn stop(&self) {
        if let Some(stop) = lock(&self.interrupt).as_ref() {
            stop.flag.store(true, Ordering::SeqCst);
            stop.handle.interrupt();
        }
    }

    fn emit(&self, sink: &Sink, job: JobId, output: Output) {
        sink(Event {
            db: self.db,
            job,
            output,
        });
    }

    /// Tells the caller that `id` was replaced before it ran.
    pub fn superseded(&self, sink: &Sink, id: JobId) {
        self.emit(sink, id, Output::Superseded);
    }

    /// Runs one job and reports it; returns the job when it gave way and must run again.
    pub fn run(
        &self,
        state: &mut DbState,
        sink: &Sink,
        id: JobId,
        job: Job,
    ) -> Option<(JobId, Job)> {
        self.flags.current.store(id, Ordering::SeqCst);
        self.arm();
        self.flags.preempted.store(false, Ordering::SeqCst);
        self.flags
            .background
            .store(job.is_background(), Ordering::SeqCst);
        let output = match job.clone() {
            Job::Inspect(depth) => Output::Inspected(Box::new(self.inspect(state, depth))),
            Job::Query(sql) => self.query(state, sink, id, &sql),
            Job::Page {
                table,
                position,
                limit,
            } => self
                .page(state, &table, &position, limit)
                .map_or_else(Output::Failed, |page| Output::Page { table, page }),
            Job::Audit(opts) => self.audit(state, sink, id, &opts),
        };
        self.flags.background.store(false, Ordering::SeqCst);
        if let Some(conn) = &state.conn {
            conn.end_transaction();
        }
        if self.flags.preempted.swap(false, Ordering::SeqCst) {
            return Some((id, job));
        }
        self.emit(sink, id, output);
        None
    }

    fn conn<'s>(&self, state: &'s mut DbState) -> rusqlite::Result<&'s Conn> {
        let conn = match state.conn.take() {
            Some(conn) if !conn.is_stale(&self.found.path) => conn,
            _ => {
                *lock(&self.interrupt) = None;
                let conn = connect::open(&self.found.path)?;
                *lock(&self.interrupt) = Some(Stopper {
                    handle: conn.get_interrupt_handle(),
                    flag: conn.cancel_flag(),
                });
                self.arm();
                conn
            }
        };
        Ok(state.conn.insert(conn))
    }

    /// Closes the connection; the next job opens a new one.
    pub fn close(&self, state: &mut DbState) {
        *lock(&self.interrupt) = None;
        state.conn = None;
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

    fn inspect(&self, state: &mut DbState, depth: Depth) -> Database {
        // Re-reading starts from a fresh connection, so that `r` sees what changed on disk.
        self.close(state);
        let db = match database::precheck(&self.found) {
            Err(failed) => *failed,
            Ok(mut db) => {
                match self.conn(state) {
                    Ok(conn) => db.read(conn, depth),
                    Err(e) => db.fail(&e),
                }
                db
            }
        };
        state.model = Some(Arc::new(db.clone()));
        db
    }

    fn query(&self, state: &mut DbState, sink: &Sink, id: JobId, sql: &str) -> Output {
        let result = self
            .conn(state)
            .map_err(connect::explain_error)
            .and_then(|conn| {
                let emit = &mut |e| self.emit(sink, id, Output::Query(e));
                query::run_script(conn, sql, emit).map_err(|e| conn.explain(e))
            });
        Output::QueryDone(result)
    }

    fn model(state: &DbState) -> Result<Arc<Database>, String> {
        state
            .model
            .clone()
            .ok_or_else(|| "the database has not been read yet".to_string())
    }

    fn page(
        &self,
        state: &mut DbState,
        table: &str,
        position: &browse::Position,
        limit: usize,
    ) -> Result<browse::Page, String> {
        let model = Self::model(state)?;
        let conn = self.conn(state).map_err(connect::explain_error)?;
        browse::page(conn, &model.schema, table, position, limit).map_err(|e| conn.explain(e))
    }

    fn audit(
        &self,
        state: &mut DbState,
        sink: &Sink,
        id: JobId,
        opts: &findings::Options,
    ) -> Output {
        let model = match Self::model(state) {
            Ok(model) => model,
            Err(why) => return Output::Failed(why),
        };
        if !model.is_ok() {
            // A file SQLite cannot read still gets the rules about files.
            return Output::Audit {
                findings: findings::from_parts(&model, None, opts),
                relations: Vec::new(),
            };
        }
        let conn = match self.conn(state) {
            Ok(conn) => conn,
            Err(e) => return Output::Failed(connect::explain_error(e)),
        };
        let mut progress = |done, total| self.emit(sink, id, Output::Progress { done, total });
        let relations = relations::find_with(
            conn,
            &model.schema,
            opts.budget,
            relations::DEFAULT_SAMPLE,
            &mut progress,
        );
        let findings = findings::from_parts(&model, Some((conn, &relations)), opts);
        Output::Audit {
            findings,
            relations,
        }
    }
}
