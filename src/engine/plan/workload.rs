//! A workload: the statements an application issues, each planned with its suggestions, then
//! summed up as the fewest indexes that serve them all and the indexes none of them uses.
//!
//! Statements are planned, never run, whether they read or write: `EXPLAIN QUERY PLAN` needs no
//! bound parameters, so `?`, `?NNN`, `:name`, `@name` and `$name` stay as written.

use std::path::Path;

use rusqlite::Connection;
use serde::Serialize;

use super::advisor::{self, Suggestion};
use super::copy::Copy;
use super::steps::{self, Cost};
use super::terms;
use super::{explain, PlanRow};
use crate::engine::error::Error;
use crate::engine::{connect, lexer};

/// One statement, planned, in the contract's `plan --json` shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Planned {
    pub sql: String,
    /// The line of the workload file the statement starts on.
    pub line: usize,
    pub ok: bool,
    pub error: Option<String>,
    pub plan: Vec<PlanRow>,
    /// Tables read whole, without an index.
    pub full_scans: Vec<String>,
    /// True when the plan sorts or deduplicates in a temporary B-tree.
    pub temp_btree: bool,
    pub suggestions: Vec<Suggestion>,
    /// Elapsed time of a real run, for a single statement that reads and takes no parameter.
    pub millis: Option<f64>,
}

impl Planned {
    /// True when the plan scans or sorts.
    pub fn is_costly(&self) -> bool {
        !self.full_scans.is_empty() || self.temp_btree
    }
}

/// An index that no statement of the workload uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unused {
    pub table: String,
    pub index: String,
}

/// Every statement planned, the fewest indexes serving them, and the unused indexes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    pub queries: Vec<Planned>,
    /// The suggestions of all statements merged: one index where several share leading columns.
    pub indexes: Vec<Suggestion>,
    pub unused_indexes: Vec<Unused>,
}

/// The statements of the workload file `path`; a file that cannot be read, is not text or holds
/// no statement is an error naming it.
pub fn read(path: &Path) -> Result<Vec<(usize, String)>, Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::invalid(path, "not a text file of SQL statements"))?;
    let found = statements(&text);
    match found.is_empty() {
        true => Err(Error::invalid(path, "holds no SQL statement")),
        false => Ok(found),
    }
}

/// The statements of a workload file, with the line each starts on; comments and empty
/// statements are left out, and so is each statement's closing `;`.
pub fn statements(text: &str) -> Vec<(usize, String)> {
    lexer::statements(text)
        .into_iter()
        .map(|s| (s.head.line, s.text.trim_end_matches(';').trim().to_string()))
        .filter(|(_, sql)| !sql.is_empty())
        .collect()
}

/// Plans and advises every statement; `file` is the user's read-only connection.
pub fn analyse(file: &Connection, statements: &[(usize, String)]) -> rusqlite::Result<Analysis> {
    let texts: Vec<&str> = statements.iter().map(|(_, sql)| sql.as_str()).collect();
    let copy = Copy::of(file, &texts)?;
    let queries = statements
        .iter()
        .map(|(line, sql)| plan_one(file, &copy, *line, sql))
        .collect::<rusqlite::Result<Vec<Planned>>>()?;
    let indexes = fewest(&copy, &queries);
    let unused_indexes = unused(&copy, &queries);
    Ok(Analysis {
        queries,
        indexes,
        unused_indexes,
    })
}

/// One statement's plan on the file and its suggestions from the copy. A statement SQLite
/// cannot plan is kept with its error; only a cancel (an interrupt) stops the workload.
fn plan_one(file: &Connection, copy: &Copy, line: usize, sql: &str) -> rusqlite::Result<Planned> {
    let (plan, error) = match explain(file, sql) {
        Ok(plan) => (plan, None),
        Err(e) if connect::is_interrupt(&e) => return Err(e),
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    let suggestions = match error {
        None => advisor::advise(copy, sql, &plan),
        Some(_) => Vec::new(),
    };
    Ok(Planned {
        full_scans: full_scans(copy, sql, &plan),
        temp_btree: plan
            .iter()
            .any(|r| steps::cost(&r.detail) == Some(Cost::TempBtree)),
        sql: sql.to_string(),
        line,
        ok: error.is_none(),
        error,
        plan,
        suggestions,
        millis: None,
    })
}

/// The tables that `plan` reads whole, by their names in the schema (aliases resolved).
fn full_scans(copy: &Copy, sql: &str, plan: &[PlanRow]) -> Vec<String> {
    let sources = terms::read(sql, copy);
    let mut out: Vec<String> = Vec::new();
    for row in plan
        .iter()
        .filter(|r| steps::cost(&r.detail) == Some(Cost::FullScan))
    {
        let from_source = sources
            .iter()
            .find(|s| steps::reads(&row.detail, s.names()).is_some())
            .map(|s| s.table.clone());
        let table = from_source.or_else(|| {
            let name = steps::reads(&row.detail, copy.tables.iter().map(|t| t.name.as_str()));
            name.map(str::to_string)
        });
        if let Some(t) = table.filter(|t| !out.contains(t)) {
            out.push(t);
        }
    }
    out
}

/// The workload's suggestions merged: an index whose columns lead another's on the same table
/// is served by the longer one. The merged set is then created on the copy together, and a
/// statement that it serves worse than its own suggestions did gets those back.
fn fewest(copy: &Copy, queries: &[Planned]) -> Vec<Suggestion> {
    let mut all: Vec<&Suggestion> = queries.iter().flat_map(|q| &q.suggestions).collect();
    all.sort_by_key(|s| std::cmp::Reverse(s.columns.len()));
    let mut kept: Vec<Suggestion> = Vec::new();
    for s in all {
        if !kept.iter().any(|k| s.leads(k)) {
            kept.push(s.clone());
        }
    }
    let created: Vec<&Suggestion> = kept.iter().filter(|s| copy.run(&s.sql).is_ok()).collect();
    let worse: Vec<&Planned> = queries
        .iter()
        .filter(|q| !q.suggestions.is_empty())
        .filter(|q| {
            let own = q.suggestions.last().map_or(0, |s| advisor::weight(&s.plan));
            let now = copy
                .explain(&q.sql)
                .map_or(usize::MAX, |p| advisor::weight(&p));
            now > own
        })
        .collect();
    for s in created {
        let _ = copy.run(&s.drop_sql());
    }
    for s in worse.iter().flat_map(|q| &q.suggestions) {
        if !kept.iter().any(|k| k.same_as(s)) {
            kept.push(s.clone());
        }
    }
    kept.sort_by(|a, b| (&a.table, &a.columns, &a.name).cmp(&(&b.table, &b.columns, &b.name)));
    kept
}

/// Indexes no plan reads through, except those enforcing UNIQUE or PRIMARY KEY and those
/// serving a foreign key: they serve their constraint whatever the queries do, and a plan never
/// shows the lookups SQLite makes to enforce it.
fn unused(copy: &Copy, queries: &[Planned]) -> Vec<Unused> {
    copy.indexes
        .iter()
        .filter(|i| !i.unique && !i.serves_foreign_key)
        .filter(|i| {
            !queries
                .iter()
                .flat_map(|q| &q.plan)
                .any(|r| steps::uses_index(&r.detail, &i.name))
        })
        .map(|i| Unused {
            table: i.table.clone(),
            index: i.name.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_statements_with_comments_and_parameters() {
        let text =
            "-- first\nSELECT * FROM t WHERE a = ?;\n/* two; */ SELECT :x, @y, $z, ?12;\n\n;";
        let got = statements(text);
        assert_eq!(
            got,
            [
                (2, "SELECT * FROM t WHERE a = ?".to_string()),
                (3, "SELECT :x, @y, $z, ?12".to_string())
            ]
        );
    }

    #[test]
    fn a_nocase_key_is_not_merged_into_a_binary_one() {
        let db = Connection::open_in_memory().unwrap();
        db.execute_batch("CREATE TABLE t(a, b);").unwrap();
        let text =
            "SELECT * FROM t WHERE a = 1 AND b LIKE 'x%'; SELECT * FROM t WHERE a = 1 AND b > 2";
        let got = analyse(&db, &statements(text)).unwrap();
        let names: Vec<&str> = got.indexes.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["idx_t_a_b", "idx_t_a_b_nocase"]);
    }

    #[test]
    fn merges_leading_columns_and_finds_unused_indexes() {
        let db = Connection::open_in_memory().unwrap();
        db.execute_batch(
            "CREATE TABLE t(a, b, c UNIQUE, d); CREATE INDEX td ON t(d); CREATE INDEX tb ON t(b);
             CREATE TABLE p(id INTEGER PRIMARY KEY);
             CREATE TABLE k(x, pid REFERENCES p(id)); CREATE INDEX kp ON k(pid, x);",
        )
        .unwrap();
        let text = "SELECT * FROM t WHERE a = ?; SELECT * FROM t WHERE a = ? ORDER BY c;\
                    SELECT * FROM t WHERE b = 1; DELETE FROM t WHERE a = 2";
        let got = analyse(&db, &statements(text)).unwrap();
        let merged: Vec<&Vec<String>> = got.indexes.iter().map(|s| &s.columns).collect();
        assert_eq!(merged, [&vec!["a".to_string(), "c".to_string()]]);
        assert_eq!(
            got.unused_indexes,
            [Unused {
                table: "t".into(),
                index: "td".into()
            }]
        );
        assert_eq!(got.queries[3].full_scans, ["t"]);
        assert!(got.queries[1].is_costly());
        assert!(!got.queries[2].is_costly() && got.queries[2].suggestions.is_empty());
    }
}
