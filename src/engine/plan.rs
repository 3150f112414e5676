//! Query plans: `EXPLAIN QUERY PLAN` rows, and what they say about full scans.

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

/// The plan SQLite would use for `sql` (one statement).
pub fn explain(db: &Connection, sql: &str) -> rusqlite::Result<Vec<PlanRow>> {
    let mut stmt = db.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
    let rows = stmt.query_map([], |r| {
        Ok(PlanRow {
            id: r.get(0)?,
            parent: r.get(1)?,
            detail: names::text(r, 3)?,
        })
    })?;
    rows.collect()
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
