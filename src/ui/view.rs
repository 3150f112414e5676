//! What every panel reads and none changes: the databases and what their workers have told about
//! them, the findings across databases, the jobs under way, the database in focus and the theme.
//!
//! Panels draw from a `&View` and handle keys with one (through `command::Ctx`); only `App`
//! changes it, when a worker answers or when it applies a panel's command. Keeping this apart from
//! the panels' own state is what lets a panel ask another for something without reaching into it.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::theme::Theme;
use crate::engine::database::Database;
use crate::engine::discover::Found;
use crate::engine::findings::{self as audit, Finding};
use crate::engine::relations::Relation;
use crate::engine::worker::JobId;

/// A job shows a spinner once it has run this long.
pub const SPINNER_AFTER: Duration = Duration::from_millis(200);

/// One database of the workspace and what its worker has told about it so far.
pub struct Db {
    pub found: Found,
    pub model: Option<Database>,
    pub findings: Option<Vec<Finding>>,
    pub relations: Option<Vec<Relation>>,
}

impl Db {
    pub fn new(found: Found) -> Db {
        Db {
            found,
            model: None,
            findings: None,
            relations: None,
        }
    }

    pub fn name(&self) -> &str {
        &self.found.display
    }

    /// True once the database has been read and can be queried.
    pub fn is_ok(&self) -> bool {
        self.model.as_ref().is_some_and(|m| m.is_ok())
    }
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
    pub jobs: BTreeMap<JobId, JobInfo>,
    pub theme: Theme,
}

impl View {
    pub fn new(found: Vec<Found>, theme: Theme) -> View {
        View {
            dbs: found.into_iter().map(Db::new).collect(),
            focus: 0,
            across: Vec::new(),
            jobs: BTreeMap::new(),
            theme,
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
            .flat_map(|d| d.findings.iter().flatten().cloned())
            .chain(self.across.iter().cloned())
            .collect();
        audit::sort(&mut all);
        all
    }
}
