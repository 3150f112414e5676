//! Applying a folder's migrations up to a version, or rolling back the last N: what the CLI's
//! `migrate up` / `migrate down` and the Migrations panel's `u` / `d` run.
//!
//! [`plan`] decides, reading only: which tracking records the run (an existing tracking table
//! always wins; else the kind the user names; else the one tool the folder's layout fits; else
//! litescope's own), and which migrations run, refusing up front what cannot go well (a failed
//! or dirty record, a migration to roll back with no down SQL). [`run`] then backs the database
//! up, takes the write lock through a [`Writer`] and holds it across the run, and applies each
//! migration in its own transaction (see [`apply`](super::apply)), stopping at the first failure
//! with the database at its last good version.
//!
//! The backup is taken just before the lock: a writer holding `locking_mode=EXCLUSIVE` shuts
//! every other connection out, the backup's reader included. The lock is tried once before the
//! backup, so that a database in use is refused before a backup is written for nothing, and the
//! files' commit mark is compared across the backup and the lock, so that a commit another
//! process slipped in between stops the run rather than leave a backup that misses it.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use rusqlite::Connection;
use serde::Serialize;

use super::apply::{self, Change, Failure, Step};
use super::folder::{Folder, Migration, Transaction};
use super::records::{read_records, Recorded};
use super::status::{compare, State, StatusRow};
use super::{track, tracking, Kind, Tracking, Version};
use crate::engine::backups::create::{self, Check};
use crate::engine::connect;
use crate::engine::error::Error;
use crate::engine::header::commit_mark;
use crate::engine::lexer;
use crate::engine::write::{Hold, Writer};

/// Which way to go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Direction {
    /// Every pending migration, up to and including `to` when given.
    Up { to: Option<Version> },
    /// The last `steps` applied migrations, newest first.
    Down { steps: usize },
}

/// Why the run records in the tracking it does; the CLI and the panel say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chosen {
    /// The database already has this tracking.
    Existing,
    /// The user named the kind (`--kind`).
    Named,
    /// The folder's layout fits this one tool.
    Layout,
    /// The layout fits several tools or none: litescope's own table.
    Fallback,
}

impl Chosen {
    pub fn describe(self) -> &'static str {
        match self {
            Chosen::Existing => "the database's existing tracking",
            Chosen::Named => "named with --kind",
            Chosen::Layout => "the one tool whose layout the folder has",
            Chosen::Fallback => "the folder's layout fits several tools or none",
        }
    }
}

/// One migration the run will apply or roll back.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub version: Version,
    pub name: String,
    /// The file whose SQL runs, relative to the folder.
    pub file: String,
    /// A file that asks for no transaction cannot be rolled back: a confirmation says so.
    pub no_transaction: bool,
}

/// What a run will do, before anything is written: what a confirmation names.
#[derive(Debug, Clone)]
pub struct Plan {
    pub db: PathBuf,
    pub folder: Folder,
    pub direction: Direction,
    pub tracking: Tracking,
    pub chosen: Chosen,
    /// The tracking table does not exist yet and the run creates it.
    pub creates_tracking: bool,
    pub steps: Vec<Planned>,
    /// Where the backup goes; none with `--no-backup`.
    pub backup: Option<create::Plan>,
}

/// One migration done.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Done {
    pub version: Version,
    pub name: String,
    pub millis: f64,
}

/// What a run did, in the contract's shape.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub database: PathBuf,
    pub backup: Option<PathBuf>,
    pub tracking: Tracking,
    pub applied: Vec<Done>,
    pub failed: Option<Failure>,
}

impl Outcome {
    /// A run of `plan` before anything ran.
    pub fn start(plan: &Plan) -> Outcome {
        Outcome {
            database: plan.db.clone(),
            backup: None,
            tracking: plan.tracking.clone(),
            applied: Vec::new(),
            failed: None,
        }
    }
}

/// What a run tells as it goes.
pub enum Event<'a> {
    /// Backup pages copied, out of all.
    Backup(u64, u64),
    /// The `index`th of the plan's steps starts.
    Starting(usize, &'a Planned),
    Finished(&'a Done),
}

/// Plans a run of `folder` against the database behind `conn` (any connection: the read-only
/// one before, the writer's under the lock). `kind` is `--kind`; `backup` whether to back up.
pub fn plan(
    conn: &Connection,
    db: &Path,
    folder: Folder,
    direction: Direction,
    kind: Option<Kind>,
    backup: bool,
) -> Result<Plan, Error> {
    let sql_err = |e: rusqlite::Error| Error::invalid(db, e.to_string());
    let existing = tracking(conn).map_err(sql_err)?;
    let (tracking, chosen) = choose(&existing, &folder, kind);
    if !track::writable(tracking.kind) {
        let why = format!(
            "litescope reads {} tracking but does not write it: run {} itself, or name another \
             kind with --kind on a database with no tracking",
            tracking.kind, tracking.kind
        );
        return Err(Error::invalid(db, why));
    }
    let creates_tracking = existing.kind != tracking.kind;
    let recorded = match creates_tracking {
        true => Recorded::Each(Vec::new()),
        false => read_records(conn, &tracking).map_err(sql_err)?,
    };
    let rows = compare(&folder, &tracking, &recorded);
    if let Some(bad) = rows.iter().find(|r| r.state == State::Failed) {
        let why = format!(
            "version {} is recorded as failed (dirty); check the schema, then clear it with \
             `litescope migrate repair`",
            bad.version
        );
        return Err(Error::invalid(db, why));
    }
    let steps = match &direction {
        Direction::Up { to } => ups(db, &folder, &rows, to.as_ref())?,
        Direction::Down { steps } => downs(db, &folder, &rows, *steps)?,
    };
    let backup = match backup && !steps.is_empty() {
        true => Some(create::plan(db, None)?),
        false => None,
    };
    Ok(Plan {
        db: db.to_path_buf(),
        folder,
        direction,
        tracking,
        chosen,
        creates_tracking,
        steps,
        backup,
    })
}

/// An existing tracking wins, except over litescope's own log named with `--kind litescope`,
/// which records beside whatever the database has (how a fix with no folder is recorded).
fn choose(existing: &Tracking, folder: &Folder, kind: Option<Kind>) -> (Tracking, Chosen) {
    if kind == Some(Kind::Litescope) && existing.kind != Kind::Litescope {
        return (track::new_tracking(Kind::Litescope), Chosen::Named);
    }
    if existing.kind != Kind::None {
        return (existing.clone(), Chosen::Existing);
    }
    if let Some(kind) = kind {
        return (track::new_tracking(kind), Chosen::Named);
    }
    match folder.tools().as_slice() {
        [one] => (track::new_tracking(*one), Chosen::Layout),
        _ => (track::new_tracking(Kind::Litescope), Chosen::Fallback),
    }
}

fn planned(folder: &Folder, m: &Migration, down: bool) -> Planned {
    let path = match down {
        true => m.down_path.as_ref().unwrap_or(&m.path),
        false => &m.path,
    };
    let rel = path.strip_prefix(&folder.dir).unwrap_or(path);
    Planned {
        version: m.version.clone(),
        name: m.name.clone(),
        file: crate::engine::names::escape_path(rel),
        no_transaction: m.transaction == Transaction::None,
    }
}

fn ups(
    db: &Path,
    folder: &Folder,
    rows: &[StatusRow],
    to: Option<&Version>,
) -> Result<Vec<Planned>, Error> {
    if let Some(to) = to.filter(|v| folder.get(v).is_none()) {
        return Err(Error::invalid(db, format!("no migration has version {to}")));
    }
    Ok(rows
        .iter()
        .filter(|r| r.state == State::Pending)
        .filter(|r| to.is_none_or(|to| r.version <= *to))
        .filter_map(|r| folder.get(&r.version))
        .map(|m| planned(folder, m, false))
        .collect())
}

fn downs(
    db: &Path,
    folder: &Folder,
    rows: &[StatusRow],
    steps: usize,
) -> Result<Vec<Planned>, Error> {
    let applied = rows
        .iter()
        .rev()
        .filter(|r| matches!(r.state, State::Applied | State::Modified | State::Missing));
    let mut out = Vec::new();
    for r in applied.take(steps) {
        let Some(m) = folder.get(&r.version) else {
            let why = format!(
                "version {} is applied but has no file in the folder, so it cannot be rolled \
                 back; nothing was rolled back",
                r.version
            );
            return Err(Error::invalid(db, why));
        };
        if m.down.as_deref().is_none_or(|d| d.trim().is_empty()) {
            let why = format!(
                "{} has no down migration, so it cannot be rolled back; nothing was rolled back",
                m.file_name(&folder.dir)
            );
            return Err(Error::invalid(db, why));
        }
        out.push(planned(folder, m, true));
    }
    Ok(out)
}

/// The version below `version` among the applied ones of `plan`'s database: where a roll back
/// of `version` leaves it.
fn applied_below(applied: &[Version], version: &Version) -> Option<Version> {
    applied.iter().filter(|v| *v < version).max().cloned()
}

/// Runs `plan`: backs the database up, takes the write lock, checks that nothing changed since
/// the plan, and applies each step; `cancel` stops the run, rolling back the migration under way.
/// The caller's own connections to the database must be closed: in WAL mode a writer in exclusive
/// locking mode waits for every other connection, idle ones included. An error is returned only
/// for what stops the run before a migration starts; a migration's failure is the outcome's
/// `failed`.
pub fn run(
    plan: &Plan,
    cancel: Arc<AtomicBool>,
    progress: &mut dyn FnMut(Event),
) -> Result<Outcome, Error> {
    let mut outcome = Outcome::start(plan);
    if plan.steps.is_empty() {
        return Ok(outcome);
    }
    drop(Writer::open(&plan.db, Hold::WriteLock)?);
    let mark = commit_mark(&plan.db).map_err(|e| Error::io(&plan.db, e))?;
    if let Some(backup) = &plan.backup {
        let source = connect::open_stopped_by(&plan.db, cancel.clone())
            .map_err(|e| Error::invalid(&plan.db, e.to_string()))?;
        let made = create::create(backup, &source, Check::Quick, &mut |d, t| {
            progress(Event::Backup(d, t))
        })?;
        outcome.backup = Some(made.path);
    }
    let mut writer = Writer::open(&plan.db, Hold::WriteLock)?;
    if plan.backup.is_some() && commit_mark(&plan.db).map_err(|e| Error::io(&plan.db, e))? != mark {
        let why = "another process committed while the backup was taken, so the backup may miss \
                   it; nothing was run: run it again";
        return Err(Error::invalid(&plan.db, why));
    }
    writer.stop_on(cancel.clone())?;
    apply_all(plan, writer.conn(), &cancel, &mut outcome, progress)?;
    Ok(outcome)
}

/// The steps of `plan`, on `conn` holding the write lock.
pub fn apply_all(
    plan: &Plan,
    conn: &Connection,
    cancel: &AtomicBool,
    outcome: &mut Outcome,
    progress: &mut dyn FnMut(Event),
) -> Result<(), Error> {
    let now = self::plan(
        conn,
        &plan.db,
        plan.folder.clone(),
        plan.direction.clone(),
        Some(plan.tracking.kind),
        false,
    )?;
    if now.steps != plan.steps || now.tracking != plan.tracking {
        let why = "the database's migrations changed since the run was planned; nothing was run";
        return Err(Error::invalid(&plan.db, why));
    }
    if plan.creates_tracking {
        conn.execute_batch("BEGIN")
            .and_then(|()| track::create(conn, &plan.tracking))
            .and_then(|()| conn.execute_batch("COMMIT"))
            .map_err(|e| {
                let _ = conn.execute_batch("ROLLBACK");
                Error::invalid(&plan.db, e.to_string())
            })?;
    }
    let mut applied = applied_versions(plan);
    for (i, p) in plan.steps.iter().enumerate() {
        progress(Event::Starting(i, p));
        let Some(m) = plan.folder.get(&p.version) else {
            continue;
        };
        let step = step_of(plan, m, p, &applied);
        match apply::apply(conn, &plan.tracking, &step, cancel) {
            Ok(millis) => {
                let done = Done {
                    version: p.version.clone(),
                    name: p.name.clone(),
                    millis,
                };
                progress(Event::Finished(&done));
                outcome.applied.push(done);
                match plan.direction {
                    Direction::Up { .. } => applied.push(p.version.clone()),
                    Direction::Down { .. } => applied.retain(|v| *v != p.version),
                }
            }
            Err(failure) => {
                outcome.failed = Some(failure);
                break;
            }
        }
    }
    Ok(())
}

/// The versions applied before the run, as far as golang-migrate and `user_version` (which keep
/// only the current one) need them: below the first step going up, up to the first going down.
fn applied_versions(plan: &Plan) -> Vec<Version> {
    let steps: Vec<&Version> = plan.steps.iter().map(|p| &p.version).collect();
    let mut applied: Vec<Version> = plan
        .folder
        .migrations
        .iter()
        .map(|m| m.version.clone())
        .filter(|v| match plan.direction {
            Direction::Up { .. } => steps.first().is_some_and(|first| v < *first),
            Direction::Down { .. } => steps.first().is_some_and(|top| v <= *top),
        })
        .collect();
    applied.sort();
    applied
}

fn step_of<'a>(plan: &Plan, m: &'a Migration, p: &Planned, applied: &[Version]) -> Step<'a> {
    match plan.direction {
        Direction::Up { .. } => Step {
            migration: m,
            change: Change::Up {
                from: applied.iter().max().cloned(),
            },
            sql: &m.up,
            mode: m.transaction,
            file: p.file.clone(),
        },
        Direction::Down { .. } => {
            let sql = m.down.as_deref().unwrap_or_default();
            Step {
                migration: m,
                change: Change::Down {
                    to: applied_below(applied, &m.version),
                },
                sql,
                mode: mode_of(sql, m.transaction),
                file: p.file.clone(),
            }
        }
    }
}

/// A down file's own transaction mode: its own `BEGIN`/`COMMIT`, else the migration's.
fn mode_of(sql: &str, migration: Transaction) -> Transaction {
    let own = lexer::heads(sql)
        .iter()
        .any(|h| h.word == "BEGIN" || h.word == "COMMIT");
    match (own, migration) {
        (_, Transaction::None) => Transaction::None,
        (true, _) => Transaction::Own,
        (false, _) => Transaction::Runner,
    }
}
