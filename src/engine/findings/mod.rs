//! The audit: rules that turn what the engine knows about databases into findings.
//!
//! Each family of rules lives in its own file and adds to one list; [`audit`] runs them all and
//! sorts the result so that two runs on the same files print the same report. Rules that read
//! data run on a database's own read-only connection, under a time budget; rules that compare
//! databases run on the models alone.

mod data;
mod files;
mod schema_rules;
mod workspace_rules;

use std::time::Duration;

use serde::Serialize;

use super::connect::{self, Conn};
use super::database::Database;
use super::relations::{self, Relation};
use super::workspace::Workspace;

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
    /// The database's path; for rules across databases, the paths joined by ` <> `.
    pub database: String,
    /// `table`, `table.column`, `index`, or for cross-database rules the table name.
    pub object: String,
    pub message: String,
    pub count: Option<u64>,
    /// SQL or a command that fixes it, when there is one.
    pub fix: Option<String>,
    /// Why it matters.
    pub why: &'static str,
}

impl Finding {
    fn new(rule: &'static str, db: &str, object: impl Into<String>, message: String) -> Finding {
        let (severity, why) = describe(rule);
        Finding {
            rule,
            severity,
            database: db.to_string(),
            object: object.into(),
            message,
            count: None,
            fix: None,
            why,
        }
    }

    fn count(mut self, n: u64) -> Finding {
        self.count = Some(n);
        self
    }

    fn fix(mut self, fix: impl Into<String>) -> Finding {
        self.fix = Some(fix.into());
        self
    }
}

/// Severity and the reason it matters, per rule id.
pub fn describe(rule: &str) -> (Severity, &'static str) {
    use Severity::*;
    match rule {
        "file-empty" => (Error, "a 0-byte database file means an application lost or never wrote its data"),
        "file-not-sqlite" => (Error, "the file has a database name but SQLite cannot read it: encrypted, truncated or not a database"),
        "file-corrupt" => (Error, "corruption spreads with every write and can lose rows; recover before anything else writes"),
        "schema-conflict" => (Error, "two services disagree on a table's shape; code written against one breaks on the other"),
        "fk-violation" => (Error, "rows reference parents that do not exist; joins drop them and cascades miss them"),
        "orphan-rows" => (Warning, "rows point at parents that do not exist; nothing enforces the relation"),
        "fk-missing" => (Warning, "the relation is used but not declared, so SQLite cannot keep it consistent"),
        "fk-missing-index" => (Warning, "deleting or updating a parent scans the whole child table without an index"),
        "fk-null" => (Info, "NULL foreign keys are never checked; make sure they mean 'no parent' on purpose"),
        "index-redundant" => (Warning, "a prefix index costs writes and space; the longer index serves the same lookups"),
        "index-suggested" => (Warning, "a query of the workload scans or sorts where an index would serve it"),
        "index-unused" => (Info, "an index no query uses still costs every write"),
        "no-stats" => (Info, "without ANALYZE the planner guesses between indexes on large tables"),
        "naming-mixed" => (Info, "mixed naming styles cause wrong-column bugs in code and queries"),
        "json-in-text" => (Info, "JSON in TEXT is unchecked; invalid documents and unindexed lookups follow"),
        "journal-mode" => (Info, "in rollback mode a writer blocks every reader; WAL lets them run together"),
        "freelist-bloat" => (Info, "free pages make the file larger than its data and slow full scans"),
        "wal-large" => (Warning, "an unchecked WAL grows without bound and slows every read"),
        "no-migration-tracking" => (Warning, "nobody can tell which schema version this database is at"),
        "migration-pending" => (Warning, "code may expect a schema change that never ran"),
        "migration-modified" => (Error, "an applied migration was edited afterwards; databases built from it differ"),
        "migration-missing" => (Warning, "the database records a migration that no file describes"),
        "migration-failed" => (Error, "a migration failed or left the database dirty"),
        "no-backup" => (Warning, "there is no copy to go back to if this file is lost or corrupted"),
        "backup-stale" => (Warning, "the newest backup is old; recent data would be lost"),
        _ => (Info, ""),
    }
}

/// What the audit may look at besides the databases themselves.
#[derive(Debug, Clone)]
pub struct Options {
    /// Time allowed for each data-reading pass (quick_check, FK checks, counts) per database.
    pub budget: Duration,
    /// A migrations folder was given, so the databases are expected to track migrations.
    pub migrations_given: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            budget: Duration::from_secs(30),
            migrations_given: false,
        }
    }
}

/// Runs every rule on every database of `ws`, and the rules that compare databases.
pub fn audit(ws: &Workspace, opts: &Options) -> Vec<Finding> {
    let mut out = Vec::new();
    for db in &ws.databases {
        let conn = db
            .is_ok()
            .then(|| connect::open(db.source()).ok())
            .flatten();
        out.extend(for_database(db, conn.as_ref(), opts));
    }
    out.extend(across(&ws.databases.iter().collect::<Vec<_>>()));
    sort(&mut out);
    out
}

/// The rules about one database: file state, schema shape, and, given its connection, data.
pub fn for_database(db: &Database, conn: Option<&Conn>, opts: &Options) -> Vec<Finding> {
    let rels = conn.map(|c| relations::find(c, &db.schema.queryable_part(), opts.budget));
    from_parts(db, conn.zip(rels.as_deref()), opts)
}

/// [`for_database`] with the relations already counted (the TUI shows them too).
pub fn from_parts(
    db: &Database,
    data: Option<(&Conn, &[Relation])>,
    opts: &Options,
) -> Vec<Finding> {
    let mut out = files::check(db, opts);
    if db.is_ok() {
        out.extend(schema_rules::check(db, opts));
        if let Some((conn, rels)) = data {
            out.extend(data::check(db, conn, rels, opts));
        }
    }
    out
}

/// The rules that compare databases with each other.
pub fn across(dbs: &[&Database]) -> Vec<Finding> {
    workspace_rules::check(dbs)
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
