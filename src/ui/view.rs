//! What every panel reads and none changes: the databases and what their workers have told about
//! them, the findings across databases, the jobs under way, the database in focus and the theme.
//!
//! Panels draw from a `&View` and handle keys with one (through `command::Ctx`); only `App`
//! changes it, when a worker answers or when it applies a panel's command. Keeping this apart from
//! the panels' own state is what lets a panel ask another for something without reaching into it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use super::theme::Theme;
use crate::engine::backups::{is_backup_name, is_copy_of};
use crate::engine::database::Database;
use crate::engine::discover::Found;
use crate::engine::findings::stand_in::Role;
use crate::engine::findings::{self as audit, Finding};
use crate::engine::relations::Relation;
use crate::engine::watch::since::Since;
use crate::engine::worker::JobId;

/// A job shows a spinner once it has run this long.
pub const SPINNER_AFTER: Duration = Duration::from_millis(200);

/// One database of the workspace and what its worker has told about it so far.
pub struct Db {
    pub found: Found,
    /// Shared with the database's worker, which keeps the same model.
    pub model: Option<Arc<Database>>,
    pub findings: Option<Vec<Finding>>,
    pub relations: Option<Vec<Relation>>,
    /// What changed since litescope opened the file, once another process has committed.
    pub since: Option<Since>,
    /// When another process's last commit was read.
    pub last_commit: Option<SystemTime>,
    /// When the file was seen deleted; what is shown was read before.
    pub gone: Option<SystemTime>,
}

impl Db {
    pub fn new(found: Found) -> Db {
        Db {
            found,
            model: None,
            findings: None,
            relations: None,
            since: None,
            last_commit: None,
            gone: None,
        }
    }

    pub fn name(&self) -> &str {
        &self.found.display
    }

    /// True once the database's schema has been read, from a healthy file or, as far as it
    /// reads, from a damaged one: its tables can be browsed.
    pub fn is_readable(&self) -> bool {
        self.model
            .as_ref()
            .is_some_and(|m| m.is_ok() || m.is_damaged_but_readable())
    }

    /// True once the database has been read and can be queried.
    pub fn is_ok(&self) -> bool {
        self.model.as_ref().is_some_and(|m| m.is_ok())
    }
}

/// The databases in the order the UI lists them: as found, but each backup copy right after the
/// database it copies (`x.db.backup` and `x.bak` beside `x.db`, `backups/x-2026….db` for `x.db`),
/// and backups of nothing found at the end, so that the first listed, in focus at start, is a live
/// database whenever there is one.
pub fn in_order(found: Vec<Found>) -> Vec<Found> {
    let (backups, live): (Vec<Found>, Vec<Found>) =
        found.into_iter().partition(|f| is_backup_name(&f.path));
    let mut placed = vec![false; backups.len()];
    let mut out = Vec::new();
    for db in live {
        let mine: Vec<usize> = (0..backups.len())
            .filter(|&i| !placed[i] && is_copy_of(&backups[i].path, &db.path))
            .collect();
        out.push(db);
        for i in mine {
            placed[i] = true;
            out.push(backups[i].clone());
        }
    }
    out.extend(
        backups
            .into_iter()
            .zip(placed)
            .filter(|(_, p)| !p)
            .map(|(b, _)| b),
    );
    out
}

/// A job sent and not answered yet, as the status line and panels see it.
pub struct JobInfo {
    pub db: usize,
    pub label: String,
    /// A pass that gives way to what the user asks for.
    pub background: bool,
    pub started: Instant,
    pub progress: Option<(usize, usize)>,
}

pub struct View {
    pub dbs: Vec<Db>,
    /// The database in focus: the header names it, the Overview selects it, Data lists its
    /// tables and Query runs on it.
    pub focus: usize,
    /// Findings that compare databases, recomputed once per batch of answers (see
    /// `App::refresh_across`).
    pub across: Vec<Finding>,
    /// The role of each database in the audit (by index), recomputed with `across`: a backup of
    /// a sound database is not audited twice, and one may stand in for a lost database.
    pub roles: Vec<Role>,
    pub jobs: BTreeMap<JobId, JobInfo>,
    pub theme: Theme,
    /// The migrations folder given with `--migrations DIR`, for every database; without it each
    /// database's own is looked for beside it.
    pub migrations: Option<PathBuf>,
}

impl View {
    pub fn new(found: Vec<Found>, theme: Theme) -> View {
        View {
            dbs: found.into_iter().map(Db::new).collect(),
            focus: 0,
            across: Vec::new(),
            roles: Vec::new(),
            jobs: BTreeMap::new(),
            theme,
            migrations: None,
        }
    }

    /// The database in focus, if there is any database at all.
    pub fn focused(&self) -> Option<&Db> {
        self.dbs.get(self.focus)
    }

    /// Every finding of the workspace known so far, in the contract's order.
    pub fn all_findings(&self) -> Vec<Finding> {
        let mut all: Vec<Finding> = self
            .dbs
            .iter()
            .enumerate()
            .filter(|(i, _)| self.roles.get(*i) != Some(&Role::Covered))
            .flat_map(|(_, d)| d.findings.iter().flatten().cloned())
            .chain(self.across.iter().cloned())
            .collect();
        audit::sort(&mut all);
        all
    }
}
