//! One database's side of the pool: its [`Session`], its cancel flags, and the context a job runs
//! in. A pool thread holds a database's session while it runs that database's jobs, so a database
//! never runs two jobs at once.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use super::{Entry, Event, JobId, Payload, Report, Sink};
use crate::engine::connect::Conn;
use crate::engine::discover::Found;
use crate::engine::error::Error;
use crate::engine::session::{Session, StopHandle};

/// A database as the pool knows it.
pub(super) struct Slot {
    pub db: usize,
    pub session: Mutex<Session>,
    stop: StopHandle,
    pub flags: Flags,
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

/// Sends a running job's reports to its caller.
pub struct Emitter<P> {
    sink: Sink,
    db: usize,
    job: JobId,
    _partial: PhantomData<fn(P)>,
}

impl<P: Send + 'static> Emitter<P> {
    pub fn partial(&self, p: P) {
        self.report(Report::Partial(Box::new(p)));
    }

    pub fn progress(&self, done: usize, total: usize) {
        self.report(Report::Progress { done, total });
    }

    fn report(&self, report: Report) {
        (self.sink)(Event {
            db: self.db,
            job: self.job,
            report,
        });
    }
}

/// What a job runs in: its database's session, and a way to report as it goes.
pub struct Ctx<'a, P> {
    session: &'a mut Session,
    emitter: Emitter<P>,
    cancelled: bool,
}

/// A [`Ctx`] before the job's partial type is known.
pub struct Erased<'a> {
    session: &'a mut Session,
    sink: Sink,
    db: usize,
    job: JobId,
    cancelled: bool,
}

impl<'a, P: Send + 'static> Ctx<'a, P> {
    pub(super) fn new(e: &'a mut Erased<'_>) -> Ctx<'a, P> {
        Ctx {
            session: &mut *e.session,
            emitter: Emitter {
                sink: e.sink.clone(),
                db: e.db,
                job: e.job,
                _partial: PhantomData,
            },
            cancelled: e.cancelled,
        }
    }

    /// The database's session: its file, connection and last model.
    pub fn session(&mut self) -> &mut Session {
        self.session
    }

    /// True when the job was cancelled before it started; a connection opened for it starts
    /// stopped.
    pub fn cancelled(&self) -> bool {
        self.cancelled
    }

    /// The database's connection, opened now if needed.
    pub fn conn(&mut self) -> Result<&Conn, Error> {
        Ok(self.session.conn(self.cancelled)?)
    }

    /// A sender for reports that can be held while the connection is in use.
    pub fn emitter(&self) -> Emitter<P> {
        Emitter {
            sink: self.emitter.sink.clone(),
            db: self.emitter.db,
            job: self.emitter.job,
            _partial: PhantomData,
        }
    }

    pub fn progress(&self, done: usize, total: usize) {
        self.emitter.progress(done, total);
    }
}

impl Slot {
    pub fn new(db: usize, found: Found) -> Slot {
        let stop = StopHandle::default();
        Slot {
            db,
            session: Mutex::new(Session::with_stop(found, &stop).watching()),
            stop,
            flags: Flags::default(),
        }
    }

    /// Cancels job `id`: now if it runs, or as soon as it starts.
    pub fn cancel(&self, id: JobId) {
        self.flags.cancelled.store(id, Ordering::SeqCst);
        if self.flags.current.load(Ordering::SeqCst) == id {
            self.stop.stop();
        }
    }

    /// Interrupts a running background job so that an interactive one can run; it runs again.
    pub fn preempt(&self) {
        if self.flags.background.load(Ordering::SeqCst) {
            self.flags.preempted.store(true, Ordering::SeqCst);
            self.stop.stop();
        }
    }

    /// Interrupts the statement running now, if any.
    pub fn stop(&self) {
        self.stop.stop();
    }

    fn report(&self, sink: &Sink, job: JobId, report: Report) {
        sink(Event {
            db: self.db,
            job,
            report,
        });
    }

    /// Tells the caller that `id` was replaced before it ran.
    pub fn superseded(&self, sink: &Sink, id: JobId) {
        self.report(sink, id, Report::Superseded);
    }

    /// Runs one job and reports it; returns the job when it gave way and must run again.
    pub fn run(&self, session: &mut Session, sink: &Sink, entry: Entry) -> Option<Entry> {
        let (id, job) = entry;
        self.flags.current.store(id, Ordering::SeqCst);
        let cancelled = self.flags.cancelled.load(Ordering::SeqCst) == id;
        self.stop.arm(cancelled);
        self.flags.preempted.store(false, Ordering::SeqCst);
        self.flags
            .background
            .store(job.is_background(), Ordering::SeqCst);
        let mut ctx = Erased {
            session,
            sink: sink.clone(),
            db: self.db,
            job: id,
            cancelled,
        };
        let result: Result<Payload, Error> = job.run_erased(&mut ctx);
        self.flags.background.store(false, Ordering::SeqCst);
        session.end_transaction();
        if self.flags.preempted.swap(false, Ordering::SeqCst) {
            return Some((id, job));
        }
        self.report(sink, id, Report::Done(result));
        if job.is_background() {
            // What the pass read stays on disk; the next job reads the pages it needs again.
            session.release_cache();
        }
        None
    }
}
