//! One migration, up or down, on a writing connection: its statements one at a time (so that a
//! failure names its line), in one transaction with its record, checked before it commits.
//!
//! * A file the runner wraps ([`Transaction::Runner`]): its leading `PRAGMA`s run first, since a
//!   `PRAGMA foreign_keys` inside a transaction does nothing and a table rebuild's `DROP TABLE`
//!   would then cascade; then `BEGIN`, the rest, the record, the checks, `COMMIT`.
//! * A file with its own `BEGIN … COMMIT` ([`Transaction::Own`]) runs as written; the record and
//!   the checks go in just before its last `COMMIT`, inside its transaction. golang-migrate marks
//!   the version dirty before such a file, as golang-migrate does, and clean inside it.
//! * A file that asks for no transaction ([`Transaction::None`]) runs statement by statement;
//!   only its record and checks share a transaction. Its failure cannot be rolled back.
//!
//! The checks: `PRAGMA foreign_key_check` must find no more violations than before the migration
//! (older ones are the data's, not the migration's), and `quick_check` must say `ok`. Any failure
//! rolls back what is open, so the database stays at its last good version.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use rusqlite::Connection;

use super::folder::{Migration, Transaction};
use super::track;
use super::{Kind, Tracking, Version};
use crate::engine::lexer::{self, Statement};

/// Which way a migration runs, and the versions around it (for the tools that keep only the
/// current one).
pub enum Change {
    Up { from: Option<Version> },
    Down { to: Option<Version> },
}

/// One migration to run: which, which SQL, from which file.
pub struct Step<'a> {
    pub migration: &'a Migration,
    pub change: Change,
    pub sql: &'a str,
    pub mode: Transaction,
    /// The file the SQL came from, as the user names it.
    pub file: String,
}

impl Step<'_> {
    /// The version the database is at once this step is done.
    fn target(&self) -> Option<&Version> {
        match &self.change {
            Change::Up { .. } => Some(&self.migration.version),
            Change::Down { to } => to.as_ref(),
        }
    }

    /// The version the database is at before this step.
    fn origin(&self) -> Option<&Version> {
        match &self.change {
            Change::Up { from } => from.as_ref(),
            Change::Down { .. } => Some(&self.migration.version),
        }
    }

    fn fail(&self, line: Option<usize>, error: impl ToString) -> Failure {
        Failure {
            version: self.migration.version.clone(),
            name: self.migration.name.clone(),
            file: self.file.clone(),
            statement_line: line,
            error: error.to_string(),
            rolled_back: true,
        }
    }
}

/// A migration that failed and was rolled back (or, for one that asks for no transaction, could
/// not be): where, and SQLite's message.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Failure {
    pub version: Version,
    pub name: String,
    pub file: String,
    pub statement_line: Option<usize>,
    pub error: String,
    /// False for a file that committed part of itself (or asked for no transaction).
    pub rolled_back: bool,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.statement_line {
            Some(line) => write!(f, "{} line {line}: {}", self.file, self.error),
            None => write!(f, "{}: {}", self.file, self.error),
        }
    }
}

/// SQLite's message alone ("no such function: normalize"), without rusqlite's wrapping.
fn message(err: &rusqlite::Error) -> String {
    match err {
        e if crate::engine::connect::is_interrupt(e) => "cancelled".into(),
        rusqlite::Error::SqliteFailure(_, Some(msg))
        | rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
        e => e.to_string(),
    }
}

/// Runs `step`; on success, how long it took in milliseconds.
pub fn apply(
    conn: &Connection,
    tracking: &Tracking,
    step: &Step,
    cancel: &AtomicBool,
) -> Result<f64, Failure> {
    let started = Instant::now();
    let marks_dirty = tracking.kind == Kind::GolangMigrate && step.mode == Transaction::Own;
    let prepared = fk_violations(conn).and_then(|fk| {
        if marks_dirty {
            track::set_current(conn, tracking, step.target(), true)?;
        }
        Ok(fk)
    });
    let fk_before = prepared.map_err(|e| step.fail(None, message(&e)))?;
    let mut run = Run {
        conn,
        tracking,
        step,
        fk_before,
        started,
        commits: 0,
    };
    let result = run.statements(&lexer::statements(step.sql), cancel);
    let result = result.map_err(|failure| run.undo(failure, marks_dirty));
    // Each migration starts as the tools start it, with foreign keys off, whatever the last
    // one set.
    let _ = conn.execute_batch("PRAGMA foreign_keys=OFF");
    result.map(|()| started.elapsed().as_secs_f64() * 1000.0)
}

/// One migration under way.
struct Run<'a> {
    conn: &'a Connection,
    tracking: &'a Tracking,
    step: &'a Step<'a>,
    fk_before: i64,
    started: Instant,
    /// The file's own `COMMIT`s that went through, and its statements that wrote outside any
    /// transaction: after one, part of it is in for good.
    commits: usize,
}

impl Run<'_> {
    fn statements(&mut self, stmts: &[Statement], cancel: &AtomicBool) -> Result<(), Failure> {
        let is_commit = |s: &Statement| matches!(s.head.word.as_str(), "COMMIT" | "END");
        let begin_at = match self.step.mode {
            Transaction::Runner => stmts
                .iter()
                .position(|s| s.head.word != "PRAGMA")
                .unwrap_or(stmts.len()),
            _ => usize::MAX,
        };
        let last_commit = match self.step.mode {
            Transaction::Own => stmts.iter().rposition(is_commit),
            _ => None,
        };
        let mut recorded = false;
        for (i, s) in stmts.iter().enumerate() {
            let line = Some(s.head.line);
            if i == begin_at {
                self.exec("BEGIN", line)?;
            }
            if Some(i) == last_commit && !self.conn.is_autocommit() {
                self.finish()?;
                recorded = true;
            }
            if cancel.load(Ordering::Relaxed) {
                return Err(self.step.fail(line, "cancelled"));
            }
            let outside = self.conn.is_autocommit();
            self.exec(&s.text, line)?;
            if is_commit(s) || (outside && writes(s)) {
                self.commits += 1;
            }
        }
        if !recorded {
            if self.conn.is_autocommit() {
                self.exec("BEGIN", None)?;
            }
            self.finish()?;
            self.exec("COMMIT", None)?;
        }
        Ok(())
    }

    fn exec(&self, sql: &str, line: Option<usize>) -> Result<(), Failure> {
        self.conn.execute_batch(sql).map_err(|e| {
            let line = line.map(|l| l + lines_before_error(sql, &e));
            self.step.fail(line, message(&e))
        })
    }

    /// The checks, then the record, inside the open transaction.
    fn finish(&self) -> Result<(), Failure> {
        let fail = |e: rusqlite::Error| self.step.fail(None, message(&e));
        let added = fk_violations(self.conn).map_err(fail)? - self.fk_before;
        if added > 0 {
            let why = format!(
                "the migration adds {added} foreign key violations (PRAGMA foreign_key_check)"
            );
            return Err(self.step.fail(None, why));
        }
        let check: String = self
            .conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(fail)?;
        if check != "ok" {
            return Err(self.step.fail(None, format!("quick_check: {check}")));
        }
        let millis = self.started.elapsed().as_secs_f64() * 1000.0;
        let m = self.step.migration;
        match &self.step.change {
            Change::Up { .. } => track::applied(self.conn, self.tracking, m, millis),
            Change::Down { to } => track::reverted(self.conn, self.tracking, m, to.as_ref()),
        }
        .map_err(fail)
    }

    /// Rolls back what is open after `failure`, and says what could not be.
    fn undo(&self, mut failure: Failure, marks_dirty: bool) -> Failure {
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        let partial = self.commits > 0;
        if partial {
            failure.rolled_back = false;
            failure.error.push_str(
                "; this migration commits on its own (or asks for no transaction), so what ran \
                 before the failure stays: restore the backup to undo it",
            );
        } else if marks_dirty {
            // Rolled back whole: golang-migrate's record goes back to where the database is.
            let _ = track::set_current(self.conn, self.tracking, self.step.origin(), false);
        }
        failure
    }
}

/// A statement that may change the file, as opposed to reading, setting the connection up or
/// opening a transaction.
fn writes(s: &Statement) -> bool {
    !matches!(
        s.head.word.as_str(),
        "PRAGMA" | "BEGIN" | "SELECT" | "EXPLAIN" | "COMMIT" | "END" | "ROLLBACK"
    )
}

/// How many lines into `sql` SQLite's error points, where it says (a syntax error, an unknown
/// function or column: the offset of the token at fault).
fn lines_before_error(sql: &str, err: &rusqlite::Error) -> usize {
    let rusqlite::Error::SqlInputError { offset, .. } = err else {
        return 0;
    };
    let at = usize::try_from(*offset).unwrap_or(0).min(sql.len());
    sql.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count()
}

/// How many rows break a declared foreign key.
fn fk_violations(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
        r.get(0)
    })
}
