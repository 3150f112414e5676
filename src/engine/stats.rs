//! Row counts and bytes on disk, under a time budget.
//!
//! One pass over `dbstat` gives both: a table b-tree holds one leaf cell per row, an index b-tree
//! (WITHOUT ROWID tables) one cell per row across all its pages, and every page's size is summed
//! into its b-tree's bytes. That is a single read of the file, where `COUNT(*)` per table plus a
//! size pass would read it twice. When the pass is cut off by the budget, counts fall back to the
//! estimates in `sqlite_stat1` and are marked inexact.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::connect::{is_interrupt, Conn};
use super::names;
use super::quote::ident;
use super::schema::Schema;

/// What `dbstat` says of one b-tree.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Btree {
    pub bytes: u64,
    pub leaf_cells: u64,
    pub cells: u64,
}

/// Reads every page's statistics, grouped per b-tree name. `Ok(None)` when cut off by `budget`.
pub fn btrees(conn: &Conn, budget: Duration) -> rusqlite::Result<Option<HashMap<String, Btree>>> {
    conn.with_budget(budget, |db| {
        let mut stmt = db.prepare(
            "SELECT name, sum(pgsize), sum(CASE WHEN pagetype = 'leaf' THEN ncell ELSE 0 END), \
             sum(ncell) FROM dbstat('main') GROUP BY name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                names::text(r, 0)?,
                Btree {
                    bytes: r.get::<_, i64>(1)? as u64,
                    leaf_cells: r.get::<_, i64>(2)? as u64,
                    cells: r.get::<_, i64>(3)? as u64,
                },
            ))
        })?;
        rows.collect()
    })
}

/// Row estimates per table from `sqlite_stat1` (empty when `ANALYZE` never ran).
fn estimates(db: &Connection) -> HashMap<String, u64> {
    let sql = "SELECT tbl, max(CAST(stat AS INTEGER)) FROM main.sqlite_stat1 GROUP BY tbl";
    let Ok(mut stmt) = db.prepare(sql) else {
        return HashMap::new();
    };
    let rows = stmt.query_map([], |r| Ok((names::text(r, 0)?, r.get::<_, i64>(1)?)));
    rows.map(|rows| {
        rows.filter_map(Result::ok)
            .map(|(t, n)| (t.to_ascii_lowercase(), n.max(0) as u64))
            .collect()
    })
    .unwrap_or_default()
}

/// Exact `COUNT(*)` of one table, or `None` when cut off by `budget`.
pub fn count_rows(conn: &Conn, table: &str, budget: Duration) -> rusqlite::Result<Option<u64>> {
    let sql = format!("SELECT count(*) FROM main.{}", ident(table));
    conn.with_budget(budget, |db| db.query_row(&sql, [], |r| r.get::<_, i64>(0)))
        .map(|n| n.map(|n| n as u64))
}

/// Fills row estimates from `sqlite_stat1` into tables whose count is not known yet.
pub fn apply_estimates(db: &Connection, schema: &mut Schema) {
    let est = estimates(db);
    for t in schema.tables.iter_mut().filter(|t| t.rows.is_none()) {
        t.rows = est.get(&t.name.to_ascii_lowercase()).copied();
        t.rows_exact = false;
    }
}

/// Measures bytes and exact rows of every table and index within `budget`. Tables left unmeasured
/// keep their estimates. Returns true when everything was measured.
pub fn measure(conn: &Conn, schema: &mut Schema, budget: Duration) -> bool {
    let start = Instant::now();
    let pass = btrees(conn, budget);
    match &pass {
        Ok(Some(btrees)) => apply_btrees(schema, btrees),
        // Cancelled or preempted: stop now, the counts stay estimates.
        Err(e) if is_interrupt(e) => return false,
        _ => {}
    }
    // COUNT(*) over a b-tree is one VDBE step that a budget cannot cut short, so b-tree tables
    // are counted directly only when the dbstat pass failed, not when it ran out of time.
    let count_btrees = pass.is_err();
    let mut complete = matches!(pass, Ok(Some(_)));
    for t in schema
        .tables
        .iter_mut()
        .filter(|t| t.name_valid && (!t.has_btree() || count_btrees))
    {
        let left = budget.saturating_sub(start.elapsed());
        match count_rows(conn, &t.name, left) {
            Ok(Some(n)) => {
                t.rows = Some(n);
                t.rows_exact = true;
            }
            Err(e) if is_interrupt(&e) => return false,
            _ => complete = false,
        }
    }
    complete
}

fn apply_btrees(schema: &mut Schema, btrees: &HashMap<String, Btree>) {
    for t in schema.tables.iter_mut().filter(|t| t.has_btree()) {
        let b = btrees.get(&t.name).copied().unwrap_or_default();
        t.bytes = Some(b.bytes);
        t.rows = Some(if t.without_rowid {
            b.cells
        } else {
            b.leaf_cells
        });
        t.rows_exact = true;
    }
    for i in schema.indexes.iter_mut() {
        i.bytes = Some(btrees.get(&i.name).map_or(0, |b| b.bytes));
    }
}
