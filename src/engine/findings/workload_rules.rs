//! Rules from a workload file (`--workload FILE`): the indexes that would serve its statements
//! (`index-suggested`, one finding per index of the fewest that serve them all, naming the
//! statements' lines) and the indexes none of them uses (`index-unused`). A database that none
//! of the statements reads (in a folder of several databases, a workload is rarely every one's)
//! gets neither: every index would look unused.
//!
//! The file is read once, by the command, before the audit (a file it cannot read fails the
//! command), and the workload is planned once per database: both rules read that one analysis.

use std::path::PathBuf;

use super::Finding;
use crate::engine::connect::Conn;
use crate::engine::database::Database;
use crate::engine::names::escape_path;
use crate::engine::plan::{self, Analysis};
use crate::engine::quote;

/// A workload file's statements, with the line each starts on, and the file they came from.
#[derive(Debug, Clone)]
pub struct Workload {
    pub file: PathBuf,
    pub statements: Vec<(usize, String)>,
}

/// The workload planned on this database, when some statement reads it. A database the
/// planning fails on (cancelled, its schema unreadable) gets no workload finding.
pub fn analysis(conn: &Conn, workload: &Workload) -> Option<Analysis> {
    let found = plan::analyse(conn, &workload.statements).ok()?;
    let reads = found.queries.iter().any(|q| {
        q.plan
            .iter()
            .any(|r| r.detail.starts_with("SCAN") || r.detail.starts_with("SEARCH"))
    });
    reads.then_some(found)
}

pub fn suggested(db: &Database, found: &Analysis, _: &Workload) -> Vec<Finding> {
    found
        .indexes
        .iter()
        .map(|index| {
            let lines: Vec<String> = found
                .queries
                .iter()
                .filter(|q| q.suggestions.iter().any(|s| s.leads(index)))
                .map(|q| q.line.to_string())
                .collect();
            let which = match lines.as_slice() {
                [one] => format!("the workload statement at line {one} scans or sorts"),
                _ => format!(
                    "workload statements at lines {} scan or sort",
                    lines.join(", ")
                ),
            };
            let message = format!(
                "{which} {}; an index on ({}) serves {}",
                index.table,
                index.columns.join(", "),
                if lines.len() == 1 { "it" } else { "them" }
            );
            Finding::new("index-suggested", &db.path, index.table.clone(), message)
                .fix(index.sql.clone() + ";")
        })
        .collect()
}

pub fn unused(db: &Database, found: &Analysis, workload: &Workload) -> Vec<Finding> {
    let file = escape_path(&workload.file);
    found
        .unused_indexes
        .iter()
        .map(|u| {
            let message = format!(
                "index {} on {} is used by none of the {} statements of {file}",
                u.index,
                u.table,
                found.queries.len()
            );
            Finding::new("index-unused", &db.path, u.index.clone(), message)
                .fix(format!("DROP INDEX {};", quote::ident(&u.index)))
        })
        .collect()
}
