//! The stages that read and audit a database, in the one order both the CLI and the TUI follow:
//! object names (one read of `sqlite_schema`, for a first screen), the whole schema with estimated
//! counts, the measuring pass (sizes, exact counts, `quick_check`), then the audit (relations
//! counted, rules run). A file SQLite cannot read skips to the audit, whose file rules still
//! apply. Each stage runs on a [`Session`], so a watch can re-run any stage for one database.

use std::sync::Arc;
use std::time::Duration;

use super::connect::Conn;
use super::database::{self, Database, Depth};
use super::discover::Found;
use super::error::Error;
use super::findings::{self, Finding};
use super::relations::{self, Relation};
use super::session::Session;
use super::watch::look::{self, Seen};
use super::watch::since::{self, Since};

/// One step of reading a database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Names,
    Schema,
    Measure,
    /// The measuring pass again after another process committed, without `quick_check`: a
    /// database written many times a second must not be checked whole after every commit.
    Recount,
    Audit,
}

/// What the audit stage found in one database.
#[derive(Debug, Clone, Default)]
pub struct Audit {
    pub findings: Vec<Finding>,
    pub relations: Vec<Relation>,
}

/// Budgets of the stages that read data.
#[derive(Debug, Clone)]
pub struct Options {
    /// Time the measuring pass may take before counts fall back to estimates.
    pub measure_budget: Duration,
    pub audit: findings::Options,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            measure_budget: Duration::from_secs(60),
            audit: findings::Options::default(),
        }
    }
}

impl Stage {
    pub fn label(self) -> &'static str {
        match self {
            Stage::Names => "reading names",
            Stage::Schema => "reading schema",
            Stage::Measure => "measuring sizes and rows",
            Stage::Recount => "re-reading after a commit",
            Stage::Audit => "auditing",
        }
    }

    /// Stages that start reading the file over (the first, and a recount after another
    /// process's commit) on a new connection: the file may have been replaced or left with a hot
    /// journal since it was last read, which an open connection does not see as a new one does.
    /// The stages after the first go on with its connection rather than each opening its own: a
    /// new one parses the whole schema again, on a 10,000-table file some 100,000 allocations
    /// (7 MB) made amid what the pass frees, which stay scattered over the heap while it is open.
    pub fn starts_afresh(self) -> bool {
        matches!(self, Stage::Names | Stage::Recount)
    }

    /// Stages that read the whole file and give way to what a user asks for.
    pub fn is_background(self) -> bool {
        matches!(self, Stage::Measure | Stage::Recount | Stage::Audit)
    }

    /// The stage after this one, given the database as this one left it.
    pub fn next(self, db: &Database) -> Option<Stage> {
        match self {
            Stage::Names if db.is_ok() => Some(Stage::Schema),
            Stage::Schema if db.is_ok() => Some(Stage::Measure),
            Stage::Names | Stage::Schema | Stage::Measure | Stage::Recount => Some(Stage::Audit),
            Stage::Audit => None,
        }
    }

    /// How deep a reading stage reads; `None` for the audit.
    pub fn depth(self, opts: &Options) -> Option<Depth> {
        match self {
            Stage::Names => Some(Depth::NAMES),
            Stage::Schema => Some(Depth::SCHEMA),
            Stage::Measure => Some(Depth::full(opts.measure_budget)),
            Stage::Recount => Some(Depth {
                integrity: false,
                ..Depth::full(opts.measure_budget)
            }),
            Stage::Audit => None,
        }
    }
}

/// Reads the session's database to `depth` on its connection (opened if it has none, reopened if
/// it went stale) and keeps the model in the session. Never fails: problems become the status.
pub fn read(session: &mut Session, depth: Depth, cancelled: bool) -> Arc<Database> {
    read_then(session, depth, cancelled, |_, _| ()).0
}

/// [`read`], running `then` on the measured model while `quick_check` may still run beside it
/// (see [`database::read_into`]); `None` when the file could not be read that far.
fn read_then<T>(
    session: &mut Session,
    depth: Depth,
    cancelled: bool,
    then: impl FnOnce(&Database, &Conn) -> T,
) -> (Arc<Database>, Option<T>) {
    let (db, done) = read_model(session, depth, cancelled, then);
    (session.set_model(db), done)
}

/// [`read_then`], leaving the model for the caller to keep.
fn read_model<T>(
    session: &mut Session,
    depth: Depth,
    cancelled: bool,
    then: impl FnOnce(&Database, &Conn) -> T,
) -> (Database, Option<T>) {
    let mut seen = session.is_watched().then(|| Seen::now(&session.found.path));
    let mut done = None;
    let db = match database::precheck(&session.found) {
        Err(failed) => *failed,
        Ok(mut db) => {
            match session.conn(cancelled) {
                Ok(conn) => {
                    if let Some(seen) = &mut seen {
                        seen.data_version = look::data_version(conn).ok();
                    }
                    done = db.read_then(conn, depth, then);
                }
                Err(e) => db.fail(&e),
            }
            db
        }
    };
    if let Some(seen) = seen {
        session.set_seen(seen);
    }
    (db, done)
}

/// Reads the session's database again after another process committed, keeping the last
/// `quick_check`'s result (a recount runs none), and tells what changed since it was opened.
pub fn recount(session: &mut Session, depth: Depth, cancelled: bool) -> (Arc<Database>, Since) {
    let opened = session.opened();
    let (mut now, _) = read_model(session, depth, cancelled, |_, _| ());
    if let Ok(before) = session.model() {
        now.keep_check_of(&before);
    }
    let now = session.set_model(now);
    let since = opened.map_or_else(Since::default, |o| since::since(&o, &now));
    (now, since)
}

/// Counts the relations of the session's database and runs the rules on it; `progress` hears
/// `(relations counted, relations in all)`.
pub fn audit(
    session: &mut Session,
    opts: &findings::Options,
    cancelled: bool,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Audit, Error> {
    let model = session.model()?;
    if !model.is_ok() {
        return Ok(judge(&model, None, opts));
    }
    let conn = session.conn(cancelled)?;
    let relations = count(&model, conn, opts, progress);
    Ok(judge(&model, Some((conn, relations)), opts))
}

/// The relations of a database SQLite reads, counted.
fn count(
    model: &Database,
    conn: &Conn,
    opts: &findings::Options,
    progress: &mut dyn FnMut(usize, usize),
) -> Vec<Relation> {
    let schema = model.schema.queryable_part();
    relations::find_with(
        conn,
        &schema,
        opts.budget,
        relations::DEFAULT_SAMPLE,
        progress,
    )
}

/// The rules run on a database, given its connection and counted relations where it is sound.
fn judge(
    model: &Database,
    data: Option<(&Conn, Vec<Relation>)>,
    opts: &findings::Options,
) -> Audit {
    match data {
        Some((conn, relations)) => Audit {
            findings: findings::from_parts(model, Some((conn, &relations)), opts),
            relations,
        },
        None => Audit {
            findings: findings::from_parts(model, None, opts),
            relations: Vec::new(),
        },
    }
}

/// Runs the stages of one database, for the CLI: read to `depth`, then audit when asked. The
/// audit's relations are counted as soon as the measuring pass ends, while `quick_check` still
/// runs beside it: both read the whole file, and the check is the longer on a file of any size.
/// A file the check finds damaged drops those counts, as the audit stage would never have made
/// them.
pub fn run(
    found: &Found,
    depth: Depth,
    audit_opts: Option<&findings::Options>,
) -> (Database, Audit) {
    let mut session = Session::new(found.clone());
    let (db, counted) = match audit_opts {
        Some(opts) => read_then(&mut session, depth, false, |db, conn| {
            db.is_ok().then(|| count(db, conn, opts, &mut |_, _| {}))
        }),
        None => (read(&mut session, depth, false), None),
    };
    let audited = match (audit_opts, counted.flatten()) {
        (Some(opts), Some(relations)) if db.is_ok() => match session.conn(false) {
            Ok(conn) => judge(&db, Some((conn, relations)), opts),
            Err(_) => judge(&db, None, opts),
        },
        (Some(opts), _) => audit(&mut session, opts, false, &mut |_, _| {}).unwrap_or_default(),
        (None, _) => Audit::default(),
    };
    // With the session gone this is the only handle: the model is moved out, not copied (a
    // 10,000-table model costs tens of milliseconds to copy).
    drop(session);
    (Arc::unwrap_or_clone(db), audited)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stages_after_the_first_read_on_the_connection_it_opened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        let db = rusqlite::Connection::open(&path).unwrap();
        db.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
            .unwrap();
        drop(db);
        let mut session = Session::new(Found::given(&path));
        // Each connection has its own cancel flag; holding it keeps its address from reuse.
        let flag = |s: &Session| s.open_conn().expect("a connection").cancel_flag();
        read(&mut session, Depth::NAMES, false);
        let first = flag(&session);
        for depth in [Depth::SCHEMA, Depth::full(Duration::from_secs(5))] {
            assert!(read(&mut session, depth, false).is_ok());
            assert!(Arc::ptr_eq(&first, &flag(&session)));
        }
        assert!(Stage::Names.starts_afresh() && Stage::Recount.starts_afresh());
        assert!(!Stage::Schema.starts_afresh() && !Stage::Measure.starts_afresh());
    }
}
