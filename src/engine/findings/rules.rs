//! The rule registry: every rule the audit runs, each with its id, severity, why it matters and
//! the checks that find it, in one list (as ripgrep keeps each flag's definition in one place).
//! Only rules that some check emits are listed; adding a rule is one entry here and its check in
//! the file of its family.

use super::{
    backup_rules, data, files, migrations, schema_rules, workload_rules, workspace_rules, Finding,
    Options, Severity,
};
use crate::engine::connect::Conn;
use crate::engine::database::Database;
use crate::engine::migrate::{Folder, State, Status};
use crate::engine::plan::Analysis;
use crate::engine::relations::Relation;

/// What a check looks at, which decides when it runs.
#[derive(Clone, Copy)]
pub enum Check {
    /// The file, whatever its status, and what is kept beside it.
    File(fn(&Database, &Options) -> Vec<Finding>),
    /// The model of a database SQLite can read.
    Schema(fn(&Database) -> Vec<Finding>),
    /// The rows, through the database's connection and its counted relations.
    Data(fn(&Database, &Conn, &[Relation], &Options) -> Vec<Finding>),
    /// The workload's statements planned on the database: planned once, read by every check of
    /// this kind.
    Workload(fn(&Database, &Analysis, &workload_rules::Workload) -> Vec<Finding>),
    /// The database's migrations against the folder: compared once, read by every check of
    /// this kind.
    Migrations(fn(&Database, &Status, &Folder) -> Vec<Finding>),
    /// The databases of the workspace together.
    Across(fn(&[&Database]) -> Vec<Finding>),
}

pub struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    pub why: &'static str,
    pub checks: &'static [Check],
}

use Severity::{Error, Info, Warning};

pub static RULES: &[Rule] = &[
    Rule {
        id: "file-empty",
        severity: Error,
        why: "a 0-byte database file means an application lost or never wrote its data",
        checks: &[Check::File(|db, _| files::empty(db).into_iter().collect())],
    },
    Rule {
        id: "file-not-sqlite",
        severity: Error,
        why: "the file has a database name but SQLite cannot read it: encrypted, truncated or not a database",
        checks: &[Check::File(|db, _| files::not_sqlite(db).into_iter().collect())],
    },
    Rule {
        id: "file-corrupt",
        severity: Error,
        why: "corruption spreads with every write and can lose rows; recover before anything else writes",
        checks: &[Check::File(|db, _| files::corrupt(db).into_iter().collect())],
    },
    Rule {
        id: "schema-conflict",
        severity: Error,
        why: "two services disagree on a table's shape; code written against one breaks on the other",
        checks: &[Check::Across(workspace_rules::schema_conflicts)],
    },
    Rule {
        id: "fk-violation",
        severity: Error,
        why: "rows reference parents that do not exist; joins drop them and cascades miss them",
        checks: &[Check::Data(data::fk_violations)],
    },
    Rule {
        id: "orphan-rows",
        severity: Warning,
        why: "rows point at parents that do not exist; nothing enforces the relation",
        checks: &[Check::Data(data::orphan_rows)],
    },
    Rule {
        id: "fk-missing",
        severity: Warning,
        why: "the relation is used but not declared, so SQLite cannot keep it consistent",
        checks: &[Check::Data(data::fk_missing)],
    },
    Rule {
        id: "fk-missing-index",
        severity: Warning,
        why: "deleting or updating a parent scans the whole child table without an index",
        checks: &[Check::Schema(schema_rules::fk_missing_indexes)],
    },
    Rule {
        id: "fk-null",
        severity: Info,
        why: "NULL foreign keys are never checked; make sure they mean 'no parent' on purpose",
        checks: &[Check::Data(data::fk_nulls)],
    },
    Rule {
        id: "index-redundant",
        severity: Warning,
        why: "a prefix index costs writes and space; the longer index serves the same lookups",
        checks: &[Check::Schema(schema_rules::redundant)],
    },
    Rule {
        id: "index-suggested",
        severity: Warning,
        why: "a query that scans or sorts slows down as the table grows; the index keeps it fast",
        checks: &[Check::Workload(workload_rules::suggested)],
    },
    Rule {
        id: "index-unused",
        severity: Info,
        why: "an index no query reads still costs every write and its pages",
        checks: &[Check::Workload(workload_rules::unused)],
    },
    Rule {
        id: "no-stats",
        severity: Info,
        why: "without ANALYZE the planner guesses between indexes on large tables",
        checks: &[Check::Schema(|db| schema_rules::no_stats(db).into_iter().collect())],
    },
    Rule {
        id: "naming-mixed",
        severity: Info,
        why: "mixed naming styles cause wrong-column bugs in code and queries",
        checks: &[
            Check::Schema(|db| schema_rules::naming_mixed(db).into_iter().collect()),
            Check::Across(|dbs| workspace_rules::naming_across(dbs).into_iter().collect()),
        ],
    },
    Rule {
        id: "json-in-text",
        severity: Info,
        why: "JSON in TEXT is unchecked; invalid documents and unindexed lookups follow",
        checks: &[Check::Data(data::json_columns)],
    },
    Rule {
        id: "journal-mode",
        severity: Info,
        why: "in rollback mode a writer blocks every reader; WAL lets them run together",
        checks: &[Check::Schema(|db| files::journal_mode(db).into_iter().collect())],
    },
    Rule {
        id: "freelist-bloat",
        severity: Info,
        why: "free pages make the file larger than its data and slow full scans",
        checks: &[Check::Schema(|db| files::freelist(db).into_iter().collect())],
    },
    Rule {
        id: "wal-large",
        severity: Warning,
        why: "an unchecked WAL grows without bound and slows every read",
        checks: &[Check::Schema(|db| files::wal_large(db).into_iter().collect())],
    },
    Rule {
        id: "no-migration-tracking",
        severity: Warning,
        why: "nobody can tell which schema version this database is at",
        checks: &[Check::Schema(|db| schema_rules::no_tracking(db).into_iter().collect())],
    },
    Rule {
        id: "no-backup",
        severity: Warning,
        why: "without a backup, one bad write, deletion or disk failure loses the data for good",
        checks: &[Check::File(|db, opts| backup_rules::none(db, opts).into_iter().collect())],
    },
    Rule {
        id: "backup-stale",
        severity: Warning,
        why: "restoring an old backup loses every change made since it was taken",
        checks: &[Check::File(|db, opts| backup_rules::stale(db, opts).into_iter().collect())],
    },
    Rule {
        id: "migration-pending",
        severity: Warning,
        why: "code that expects the migration's tables or columns fails on this database",
        checks: &[Check::Migrations(|db, status, folder| {
            migrations::of_state(db, status, folder, State::Pending)
        })],
    },
    Rule {
        id: "migration-modified",
        severity: Error,
        why: "the file no longer says what ran: databases migrated before and after the edit differ",
        checks: &[Check::Migrations(|db, status, folder| {
            migrations::of_state(db, status, folder, State::Modified)
        })],
    },
    Rule {
        id: "migration-missing",
        severity: Warning,
        why: "a change this database went through is in no file: a fresh database will not get it",
        checks: &[Check::Migrations(|db, status, folder| {
            migrations::of_state(db, status, folder, State::Missing)
        })],
    },
    Rule {
        id: "migration-failed",
        severity: Error,
        why: "a migration stopped partway: the schema may be neither the old nor the new one",
        checks: &[Check::Migrations(|db, status, folder| {
            migrations::of_state(db, status, folder, State::Failed)
        })],
    },
];

/// The rule with this id. Every id a check emits is listed, so a miss is a bug in the registry;
/// it is reported as an info finding with no reason rather than a panic.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// Every check of every rule, in the registry's order.
pub fn checks() -> impl Iterator<Item = &'static Check> {
    RULES.iter().flat_map(|r| r.checks)
}
