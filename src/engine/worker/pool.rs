//! The pool: a few threads, a queue of databases with work, and a bound on open connections.
//!
//! A database is in at most one place at a time: waiting in a ready queue, or running on one
//! thread, so its jobs stay in order. Databases with an interactive job waiting go first, and
//! when every thread is busy a background pass gives way to it. Open connections are bounded
//! by [`max_open`] (least recently used ones close first), so that a folder of many files never
//! runs litescope out of file descriptors and marks healthy files unreadable.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;

use super::run::Slot;
use super::{coalesce, Entry, Job, JobId, Queued, Sink};
use crate::engine::discover::Found;
use crate::engine::limits;
use crate::engine::locks::lock;
use crate::engine::memory;

/// Handle to the pool serving every database of a workspace.
pub struct Workers {
    shared: Arc<Shared>,
}

struct Shared {
    slots: Vec<Slot>,
    sched: Mutex<Sched>,
    wake: Condvar,
    sink: Sink,
    max_open: usize,
}

#[derive(Default)]
struct Sched {
    /// Jobs not started yet, per database.
    pending: Vec<VecDeque<Entry>>,
    /// Databases with an interactive job waiting, then those with only background work.
    ready: VecDeque<usize>,
    ready_background: VecDeque<usize>,
    /// True while a database is queued or running.
    scheduled: Vec<bool>,
    running: Vec<usize>,
    idle: usize,
    /// Databases with an open connection, least recently used first.
    open: VecDeque<usize>,
    /// A background pass ended since the pool last gave freed memory back.
    trim_due: bool,
    shutdown: bool,
}

/// Threads in the pool: one per core, at least two so a query never waits behind a pass.
fn threads() -> usize {
    thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8))
}

/// Connections kept open at once: a few file descriptors each (database, `-wal`, `-shm`, and a
/// second connection while measuring), within the process's limit.
fn max_open() -> usize {
    let fds = limits::open_files();
    (fds.saturating_sub(64) / 8).clamp(4, 256) as usize
}

impl Workers {
    /// Starts the pool for `found`; database `i` is `found[i]`.
    pub fn new(found: Vec<Found>, sink: Sink) -> Workers {
        Workers::start(found, sink, threads(), max_open())
    }

    fn start(found: Vec<Found>, sink: Sink, threads: usize, max_open: usize) -> Workers {
        let n = found.len();
        let shared = Arc::new(Shared {
            slots: found
                .into_iter()
                .enumerate()
                .map(|(i, f)| Slot::new(i, f))
                .collect(),
            sched: Mutex::new(Sched {
                pending: vec![VecDeque::new(); n],
                scheduled: vec![false; n],
                ..Sched::default()
            }),
            wake: Condvar::new(),
            sink,
            max_open,
        });
        for i in 0..threads {
            let shared = shared.clone();
            // A pool that cannot start a thread runs with fewer; with none, jobs go unanswered
            // and the UI shows them as waiting.
            let _ = thread::Builder::new()
                .name(format!("db-worker-{i}"))
                .spawn(move || shared.serve());
        }
        Workers { shared }
    }

    /// Queues `job` for database `db`. An interactive job (a page, a query) interrupts a
    /// background pass on that database, or on another when every thread is busy; the pass runs
    /// again afterwards, so that browsing never waits for measuring.
    pub fn send(&self, db: usize, id: JobId, job: impl Job) {
        let job: Arc<dyn Queued> = Arc::new(job);
        let interactive = !job.is_background();
        let mut s = lock(&self.shared.sched);
        s.pending[db].push_back((id, job));
        if !s.scheduled[db] {
            s.scheduled[db] = true;
            s.queue(db, interactive);
        } else if interactive {
            s.promote(db);
        }
        let preempt = interactive
            .then(|| s.victim(db, &self.shared.slots))
            .flatten();
        drop(s);
        self.shared.wake.notify_one();
        if let Some(victim) = preempt {
            self.shared.slots[victim].preempt();
        }
    }

    /// Cancels job `id` of database `db`: now if it runs, or as soon as it starts.
    pub fn cancel(&self, db: usize, id: JobId) {
        self.shared.slots[db].cancel(id);
    }
}

impl Drop for Workers {
    /// Stops the pool without waiting: running statements are interrupted, and threads end after
    /// them, so that quitting is immediate.
    fn drop(&mut self) {
        let running = {
            let mut s = lock(&self.shared.sched);
            s.shutdown = true;
            s.running.clone()
        };
        self.shared.wake.notify_all();
        for db in running {
            self.shared.slots[db].stop();
        }
    }
}

impl Sched {
    fn queue(&mut self, db: usize, interactive: bool) {
        if interactive {
            self.ready.push_back(db);
        } else {
            self.ready_background.push_back(db);
        }
    }

    /// Moves a database waiting with only background work to the interactive queue.
    fn promote(&mut self, db: usize) {
        if let Some(at) = self.ready_background.iter().position(|&d| d == db) {
            self.ready_background.remove(at);
            self.ready.push_back(db);
        }
    }

    /// The database whose background pass should give way to an interactive job of `db`: `db`
    /// itself when it runs one, or any running pass when no thread is free.
    fn victim(&self, db: usize, slots: &[Slot]) -> Option<usize> {
        let background = |d: &usize| {
            slots[*d]
                .flags
                .background
                .load(std::sync::atomic::Ordering::SeqCst)
        };
        if self.running.contains(&db) {
            return Some(db).filter(background);
        }
        (self.idle == 0)
            .then(|| self.running.iter().copied().find(background))
            .flatten()
    }

    fn next(&mut self) -> Option<usize> {
        self.ready
            .pop_front()
            .or_else(|| self.ready_background.pop_front())
    }

    fn touch(&mut self, db: usize, open: bool) {
        self.open.retain(|&d| d != db);
        if open {
            self.open.push_back(db);
        }
    }
}

impl Shared {
    fn serve(&self) {
        while let Some((db, jobs)) = self.take() {
            let slot = &self.slots[db];
            let (jobs, dropped) = coalesce(jobs);
            for id in dropped {
                slot.superseded(&self.sink, id);
            }
            let runs_a_pass = jobs.iter().any(|(_, job)| job.is_background());
            let mut again = Vec::new();
            let has_conn = {
                let mut session = lock(&slot.session);
                for entry in jobs {
                    again.extend(slot.run(&mut session, &self.sink, entry));
                }
                session.has_conn()
            };
            self.finish(db, again, has_conn, runs_a_pass);
        }
    }

    /// Waits for a database with work and takes its queued jobs; `None` once the pool stops.
    /// The last thread to go idle after a pass gives the memory freed back to the system: once
    /// per quiet spell, not once per pass, which a folder of 10,000 files would pay 20,000 times.
    fn take(&self) -> Option<(usize, Vec<Entry>)> {
        let mut s = lock(&self.sched);
        loop {
            if s.shutdown {
                return None;
            }
            if let Some(db) = s.next() {
                s.running.push(db);
                let jobs = s.pending[db].drain(..).collect();
                return Some((db, jobs));
            }
            if s.trim_due && s.running.is_empty() {
                s.trim_due = false;
                drop(s);
                memory::trim();
                s = lock(&self.sched);
                continue;
            }
            s.idle += 1;
            s = self.wake.wait(s).unwrap_or_else(|p| p.into_inner());
            s.idle -= 1;
        }
    }

    /// Puts back the jobs that gave way, queues the database again if it has more work, and
    /// closes the least recently used connections past the bound.
    fn finish(&self, db: usize, again: Vec<Entry>, has_conn: bool, ran_a_pass: bool) {
        let mut s = lock(&self.sched);
        s.trim_due |= ran_a_pass;
        s.running.retain(|&d| d != db);
        s.pending[db].extend(again);
        match s.pending[db].iter().any(|(_, j)| !j.is_background()) {
            _ if s.pending[db].is_empty() => s.scheduled[db] = false,
            interactive => s.queue(db, interactive),
        }
        s.touch(db, has_conn);
        while s.open.len() > self.max_open {
            // A database running now keeps its connection: it is in use.
            let Some(at) = s.open.iter().position(|d| !s.running.contains(d)) else {
                break;
            };
            if let Some(victim) = s.open.remove(at) {
                lock(&self.slots[victim].session).close();
            }
        }
        drop(s);
        self.wake.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::browse::{Page, Position};
    use crate::engine::jobs::{PageJob, StageJob};
    use crate::engine::pipeline::{Options, Stage};
    use crate::engine::worker::Report;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn open_connections_stay_within_the_bound() {
        let dir = tempfile::tempdir().unwrap();
        let found: Vec<Found> = (0..40)
            .map(|i| {
                let path = dir.path().join(format!("d{i}.db"));
                let db = rusqlite::Connection::open(&path).unwrap();
                db.execute_batch(&format!("CREATE TABLE t(x); INSERT INTO t VALUES ({i});"))
                    .unwrap();
                Found {
                    display: format!("d{i}.db"),
                    path,
                    explicit: true,
                }
            })
            .collect();
        let (tx, rx) = mpsc::channel();
        let sink: Sink = Arc::new(move |e| {
            let _ = tx.send(e);
        });
        let workers = Workers::start(found, sink, 2, 4);
        for db in 0..40 {
            let stage = StageJob {
                stage: Stage::Schema,
                opts: Options::default(),
            };
            workers.send(db, 1, stage);
            let page = PageJob {
                table: "t".into(),
                position: Position::First,
                selection: Default::default(),
                limit: 5,
            };
            workers.send(db, 2, page);
        }
        let mut values = Vec::new();
        while values.len() < 40 {
            let e = rx.recv_timeout(Duration::from_secs(10)).expect("an answer");
            if let (Report::Done(Ok(out)), 2) = (e.report, e.job) {
                let page = out.downcast::<Page>().expect("a page");
                values.push((e.db, page.rows[0][0].clone()));
            }
        }
        assert!(values
            .iter()
            .all(|(db, v)| format!("{v:?}").contains(&db.to_string())));
        // A database still finishing may hold one more until its thread closes the oldest.
        while !lock(&workers.shared.sched).running.is_empty() {
            std::thread::sleep(Duration::from_millis(5));
        }
        let s = lock(&workers.shared.sched);
        assert!(s.open.len() <= 4, "{} connections open", s.open.len());
        let open = workers
            .shared
            .slots
            .iter()
            .filter(|slot| lock(&slot.session).has_conn())
            .count();
        assert!(open <= 4, "{open} connections open");
    }
}
