//! The audit: rules that turn what the engine knows about databases into findings.
//!
//! Each family of rules lives in its own file and adds to one list; [`from_parts`] runs those about
//! one database, [`across`] those that compare databases, and [`sort`] orders the result so that
//! two runs on the same files print the same report. Rules that read
//! data run on a database's own read-only connection, under a time budget; rules that compare
//! databases run on the models alone.

mod backup_rules;
mod data;
mod files;
mod migrations;
mod rules;
mod schema_rules;
pub mod stand_in;
mod workload_rules;
mod workspace_rules;

pub use rules::{rule, Check, Rule, RULES};
pub use workload_rules::Workload;

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use super::connect::Conn;
use super::database::Database;
use super::migrate::Folder;
use super::relations::Relation;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        [Severity::Error, Severity::Warning, Severity::Info]
            .into_iter()
            .find(|s| s.label() == text)
    }
}

/// One thing the audit found, in the contract's shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    /// The database's path; for rules across databases, the paths joined by ` <> ` (the
    /// contract's shape for scripts; code uses [`Finding::databases`]).
    pub database: String,
    /// Every database the finding concerns: one, or those a cross-database rule compared.
    #[serde(skip)]
    pub databases: Vec<String>,
    /// `table`, `table.column`, `index`, or for cross-database rules the table name.
    pub object: String,
    pub message: String,
    pub count: Option<u64>,
    /// SQL or a command that fixes it, when there is one.
    pub fix: Option<String>,
    /// The fix is SQL to run in the database, which litescope can apply through the migrations
    /// runner; otherwise it is a shell command or a note, for the user to run.
    #[serde(skip)]
    pub fix_is_sql: bool,
    /// Why it matters.
    pub why: &'static str,
}

impl Finding {
    fn new(rule: &'static str, db: &str, object: impl Into<String>, message: String) -> Finding {
        Finding::across(rule, vec![db.to_string()], object, message)
    }

    /// A finding about several databases together.
    fn across(
        rule: &'static str,
        databases: Vec<String>,
        object: impl Into<String>,
        message: String,
    ) -> Finding {
        let (severity, why) =
            rules::rule(rule).map_or((Severity::Info, ""), |r| (r.severity, r.why));
        Finding {
            rule,
            severity,
            database: databases.join(" <> "),
            databases,
            object: object.into(),
            message,
            count: None,
            fix: None,
            fix_is_sql: false,
            why,
        }
    }

    fn count(mut self, n: u64) -> Finding {
        self.count = Some(n);
        self
    }

    /// SQL that fixes it in the database.
    fn fix(mut self, sql: impl Into<String>) -> Finding {
        self.fix = Some(sql.into());
        self.fix_is_sql = true;
        self
    }

    /// A shell command or a note that fixes it: nothing litescope would run in the database.
    fn advice(mut self, text: impl Into<String>) -> Finding {
        self.fix = Some(text.into());
        self.fix_is_sql = false;
        self
    }

    /// True when the finding is about the database at `path`, alone or with others.
    pub fn concerns(&self, path: &str) -> bool {
        self.databases.iter().any(|d| d == path)
    }
}

/// What the audit may look at besides the databases themselves.
#[derive(Debug, Clone)]
pub struct Options {
    /// Time allowed for each data-reading pass (quick_check, FK checks, counts) per database.
    pub budget: Duration,
    /// A folder of backups to look in besides each database's own `backups/` and siblings.
    pub backups: Option<PathBuf>,
    /// The migrations folder the `migration-*` rules compare each database with, read by the
    /// command before the audit.
    pub migrations: Option<Folder>,
    /// The application's statements the `index-*` workload rules plan, read by the command
    /// before the audit.
    pub workload: Option<Workload>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            budget: Duration::from_secs(30),
            backups: None,
            migrations: None,
            workload: None,
        }
    }
}

/// The rules about one database: file state, schema shape, and, given its connection and its
/// counted relations, data.
pub fn from_parts(
    db: &Database,
    data: Option<(&Conn, &[Relation])>,
    opts: &Options,
) -> Vec<Finding> {
    let planned = match (data, &opts.workload) {
        (Some((conn, _)), Some(workload)) if db.is_ok() => {
            workload_rules::analysis(conn, workload).map(|found| (found, workload))
        }
        _ => None,
    };
    let migrated = match (data, &opts.migrations) {
        (Some((conn, _)), Some(folder)) if db.is_ok() => {
            migrations::status(db, conn, folder).map(|status| (status, folder))
        }
        _ => None,
    };
    let mut found: Vec<Finding> = rules::checks()
        .flat_map(|check| match (*check, data) {
            (Check::File(f), _) => f(db, opts),
            (Check::Schema(f), _) if db.is_ok() => f(db),
            (Check::Data(f), Some((conn, rels))) if db.is_ok() => f(db, conn, rels, opts),
            (Check::Workload(f), _) => planned
                .as_ref()
                .map_or_else(Vec::new, |(found, workload)| f(db, found, workload)),
            (Check::Migrations(f), _) => migrated
                .as_ref()
                .map_or_else(Vec::new, |(status, folder)| f(db, status, folder)),
            _ => Vec::new(),
        })
        .collect();
    // Collected from a chain of rules, the list has room for up to twice its findings, kept for
    // as long as the TUI shows them.
    found.shrink_to_fit();
    found
}

/// The rules that compare databases, over the databases that speak for their services (see
/// [`stand_in`]): a backup standing in for its database is named as such in the message.
pub fn across(dbs: &[&Database]) -> Vec<Finding> {
    // Every check here compares databases. Preparing the comparison walks every table, which for
    // one 10,000-table file costs more than a frame, only to find nothing to compare it with.
    if dbs.iter().filter(|d| d.is_ok()).count() < 2 {
        return Vec::new();
    }
    let roles = stand_in::roles(dbs);
    let compared: Vec<&Database> = dbs
        .iter()
        .zip(&roles)
        .filter(|(_, r)| **r != stand_in::Role::Covered)
        .map(|(d, _)| *d)
        .collect();
    let mut found: Vec<Finding> = rules::checks()
        .flat_map(|check| match check {
            Check::Across(f) => f(&compared),
            _ => Vec::new(),
        })
        .collect();
    for (copy, role) in dbs.iter().zip(&roles) {
        if let stand_in::Role::StandsIn(live) = role {
            let note = format!(
                " ({} stands in for {}: {})",
                copy.path,
                dbs[*live].path,
                dbs[*live].status.label()
            );
            for f in found.iter_mut().filter(|f| f.concerns(&copy.path)) {
                f.message.push_str(&note);
            }
        }
    }
    found
}

/// Severity, then database, then rule, then object (the contract's order).
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        a.severity
            .cmp(&b.severity)
            .then_with(|| a.database.cmp(&b.database))
            .then_with(|| a.rule.cmp(b.rule))
            .then_with(|| a.object.cmp(&b.object))
            .then_with(|| a.message.cmp(&b.message))
    });
}
