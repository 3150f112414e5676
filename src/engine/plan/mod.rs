//! Query plans and the index advisor.
//!
//! [`explain`] reads a statement's `EXPLAIN QUERY PLAN` rows; [`steps`] marks the costly ones
//! (full scans, temp b-trees, automatic indexes, correlated subqueries, multi-index ORs);
//! [`terms`] reads which columns a statement compares and orders by; [`advisor`] turns those
//! into index suggestions proven on a private in-memory [`copy`] of the schema; [`workload`]
//! does it for a file of statements and sums up; [`timing`] runs one statement for its elapsed
//! time. Nothing here writes to a user's file.

pub mod advisor;
pub mod copy;
pub mod steps;
pub mod terms;
pub mod timing;
pub mod workload;

pub use advisor::Suggestion;
pub use copy::Copy;
pub use steps::Cost;
pub use workload::{analyse, statements, Analysis, Planned, Unused};

use rusqlite::Connection;
use serde::Serialize;

use super::names;

/// One row of `EXPLAIN QUERY PLAN`; rows form a tree through `parent`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanRow {
    pub id: i64,
    pub parent: i64,
    pub detail: String,
}

/// The plan SQLite would use for `sql` (one statement). Parameters stay unbound: the plan
/// does not depend on their values.
pub fn explain(db: &Connection, sql: &str) -> rusqlite::Result<Vec<PlanRow>> {
    let mut stmt = db.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(PlanRow {
            id: r.get(0)?,
            parent: r.get(1)?,
            detail: names::text(r, 3)?,
        });
    }
    Ok(out)
}

/// Depth of each row in the plan tree, in the order SQLite lists them.
pub fn depths(rows: &[PlanRow]) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let depth = rows[..i]
            .iter()
            .position(|p| p.id == row.parent)
            .map_or(0, |p| out[p] + 1);
        out.push(depth);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explains_scans_and_nests_subqueries() {
        let db = Connection::open_in_memory().unwrap();
        db.execute_batch("CREATE TABLE t(a, b); CREATE INDEX ta ON t(a);")
            .unwrap();
        let plan = explain(
            &db,
            "SELECT * FROM t WHERE b IN (SELECT a FROM t WHERE a > 1)",
        )
        .unwrap();
        assert!(plan.iter().any(|r| r.detail.starts_with("SCAN t")));
        assert!(plan
            .iter()
            .any(|r| r.detail.contains("USING COVERING INDEX ta")));
        let d = depths(&plan);
        assert_eq!(d[0], 0);
        assert!(d.iter().any(|&x| x > 0));
    }
}
