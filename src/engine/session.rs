//! One database's open state while litescope works on it: the file, its read-only connection
//! (opened on demand, reopened when it can no longer see the file's changes), and the last model
//! read. The worker pool keeps one per database; the CLI makes one per database it reads.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rusqlite::InterruptHandle;

use super::connect::{self, Conn};
use super::database::Database;
use super::discover::Found;
use super::error::Error;
use super::locks::lock;
use super::watch::look::Seen;

/// A database being worked on.
pub struct Session {
    pub found: Found,
    conn: Option<Conn>,
    /// The last model read, shared with jobs without copying it.
    model: Option<Arc<Database>>,
    stopper: Arc<Mutex<Option<Stopper>>>,
    /// Whether reads record what they saw of the file (see [`Session::watching`]).
    watched: bool,
    /// What the last read saw of the file, to tell later whether another process has committed.
    seen: Option<Seen>,
    /// The model as it was before another process's first commit was read, kept from then on
    /// to tell what changed since.
    opened: Option<Arc<Database>>,
}

/// Stops whatever a session's connection runs, from another thread.
#[derive(Clone, Default)]
pub struct StopHandle(Arc<Mutex<Option<Stopper>>>);

/// Both halves of a stop: SQLite's interrupt, and the connection's cancel flag, which is not lost
/// when the interrupt lands between `prepare` and the first step.
struct Stopper {
    /// None while the session has lent its database to a writer (see [`Session::close_for_writer`]).
    handle: Option<InterruptHandle>,
    flag: Arc<AtomicBool>,
}

impl StopHandle {
    /// Interrupts the statement running now, if any, and whatever runs until [`Self::arm`].
    pub fn stop(&self) {
        if let Some(stop) = lock(&self.0).as_ref() {
            stop.flag.store(true, Ordering::SeqCst);
            if let Some(handle) = &stop.handle {
                handle.interrupt();
            }
        }
    }

    /// Sets the stop flag for the work starting now: up when it was cancelled before it started.
    pub fn arm(&self, cancelled: bool) {
        if let Some(stop) = lock(&self.0).as_ref() {
            stop.flag.store(cancelled, Ordering::SeqCst);
        }
    }
}

impl Session {
    pub fn new(found: Found) -> Session {
        Session::with_stop(found, &StopHandle::default())
    }

    /// A session whose connection `stop` interrupts.
    pub fn with_stop(found: Found, stop: &StopHandle) -> Session {
        Session {
            found,
            conn: None,
            model: None,
            stopper: stop.0.clone(),
            watched: false,
            seen: None,
            opened: None,
        }
    }

    /// The connection, opened now if there is none or the one there went stale. A new connection
    /// starts stopped when `cancelled` says the work it is opened for was cancelled already.
    pub fn conn(&mut self, cancelled: bool) -> rusqlite::Result<&Conn> {
        let conn = match self.conn.take() {
            Some(conn) if !conn.is_stale(&self.found.path) => conn,
            _ => {
                self.forget_version();
                *lock(&self.stopper) = None;
                let conn = connect::open(&self.found.path)?;
                conn.cancel_flag().store(cancelled, Ordering::SeqCst);
                *lock(&self.stopper) = Some(Stopper {
                    handle: Some(conn.get_interrupt_handle()),
                    flag: conn.cancel_flag(),
                });
                conn
            }
        };
        Ok(self.conn.insert(conn))
    }

    /// Closes the connection for a writer that needs the file to itself (in WAL mode, exclusive
    /// locking waits for every other connection, idle ones too), and returns the stop flag,
    /// which the session's stop still sets: the writer's own connection checks it.
    pub fn close_for_writer(&mut self) -> Arc<AtomicBool> {
        self.forget_version();
        let flag = self
            .conn
            .take()
            .map_or_else(Arc::default, |conn| conn.cancel_flag());
        *lock(&self.stopper) = Some(Stopper {
            handle: None,
            flag: flag.clone(),
        });
        flag
    }

    pub fn has_conn(&self) -> bool {
        self.conn.is_some()
    }

    /// Closes the connection; the next use opens a new one.
    pub fn close(&mut self) {
        self.forget_version();
        *lock(&self.stopper) = None;
        self.conn = None;
    }

    /// Frees the connection's page cache and its cached statements; the connection stays open.
    pub fn release_cache(&self) {
        if let Some(conn) = &self.conn {
            // Only ever SQLITE_OK: it frees what no statement is using.
            let _ = conn.release_memory();
            conn.flush_prepared_statement_cache();
        }
    }

    /// Ends a transaction left open, so that no read transaction outlives the work it was for.
    pub fn end_transaction(&self) {
        if let Some(conn) = &self.conn {
            conn.end_transaction();
        }
    }

    /// The connection as it is, without opening one: a look for changes must not open a
    /// connection the pool closed (see [`Seen`]).
    pub fn open_conn(&self) -> Option<&Conn> {
        self.conn.as_ref()
    }

    /// The session, its reads recording what they saw of the file for a later look (see
    /// [`look`](super::watch::look)): a worker's session, which the TUI watches. A one-shot read
    /// (the CLI's) spares those system calls and `PRAGMA data_version`.
    pub fn watching(mut self) -> Session {
        self.watched = true;
        self
    }

    pub fn is_watched(&self) -> bool {
        self.watched
    }

    pub fn seen(&mut self) -> Option<&mut Seen> {
        self.seen.as_mut()
    }

    pub fn set_seen(&mut self, seen: Seen) {
        self.seen = Some(seen);
    }

    /// A `data_version` means something only to the connection that read it.
    fn forget_version(&mut self) {
        if let Some(seen) = &mut self.seen {
            seen.data_version = None;
        }
    }

    /// The model as opened: the last one read, the first time it is asked for (see `opened`).
    pub fn opened(&mut self) -> Option<Arc<Database>> {
        if self.opened.is_none() {
            self.opened = self.model.clone();
        }
        self.opened.clone()
    }

    pub fn model(&self) -> Result<Arc<Database>, Error> {
        self.model.clone().ok_or(Error::NotRead)
    }

    pub fn set_model(&mut self, db: Database) -> Arc<Database> {
        let model = Arc::new(db);
        self.model = Some(model.clone());
        model
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes SQLite holds in the connection's page cache.
    fn cache_used(conn: &Conn) -> i32 {
        let (mut now, mut high) = (0, 0);
        // SAFETY: the handle is valid while `conn` lives; sqlite3_db_status only reads counters.
        let rc = unsafe {
            rusqlite::ffi::sqlite3_db_status(
                conn.handle(),
                rusqlite::ffi::SQLITE_DBSTATUS_CACHE_USED,
                &mut now,
                &mut high,
                0,
            )
        };
        assert_eq!(rc, rusqlite::ffi::SQLITE_OK);
        now
    }

    #[test]
    fn releasing_the_cache_frees_the_pages_a_pass_read_and_keeps_the_connection() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        let db = rusqlite::Connection::open(&path).unwrap();
        db.execute_batch(
            "CREATE TABLE t(x);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
             INSERT INTO t SELECT randomblob(100) FROM n;",
        )
        .unwrap();
        drop(db);
        let mut session = Session::new(Found::given(&path));
        let bytes: i64 = session
            .conn(false)
            .unwrap()
            .query_row("SELECT sum(length(x)) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(bytes, 2_000_000);
        let read = cache_used(session.conn(false).unwrap());
        // The cache is bounded (connect's CACHE_KIB); a pass over 2 MB fills it.
        assert!(read > 200_000, "the pass left {read} bytes in the cache");
        session.release_cache();
        assert!(session.has_conn());
        let left = cache_used(session.conn(false).unwrap());
        assert!(left < read / 10, "{left} of {read} bytes left in the cache");
    }
}
