//! Running a user's SQL script: statement by statement, rows streamed in pages, on a read-only
//! connection.
//!
//! Statements are split by SQLite's own prepare tail (comments, strings and triggers with `;`
//! inside them split correctly). Each statement's plan is read before it runs. Rows are handed
//! out in pages as they come and at most [`MAX_ROWS`] are kept, so a `SELECT` over a huge table
//! shows its first rows at once and never fills memory.

use std::time::{Duration, Instant};

use fallible_iterator::FallibleIterator;
use rusqlite::{Batch, Connection};

use super::browse::Cell;
use super::names;
use super::plan::{self, PlanRow};

/// Rows kept per statement; the rest are counted as cut off.
pub const MAX_ROWS: usize = 100_000;
/// Rows per page handed to the caller.
pub const PAGE_ROWS: usize = 500;

/// What running a script reports, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryEvent {
    /// A statement starts: its text, result columns and plan.
    Started {
        index: usize,
        sql: String,
        columns: Vec<String>,
        plan: Vec<PlanRow>,
    },
    Rows(Vec<Vec<Cell>>),
    /// A statement finished.
    Finished {
        index: usize,
        rows: usize,
        truncated: bool,
        elapsed: Duration,
    },
}

/// Runs every statement of `script`; `emit` receives events as they happen.
pub fn run_script(
    db: &Connection,
    script: &str,
    emit: &mut dyn FnMut(QueryEvent),
) -> rusqlite::Result<usize> {
    let mut batch = Batch::new(db, script);
    let mut index = 0;
    while let Some(mut stmt) = batch.next()? {
        let sql = stmt.expanded_sql().unwrap_or_default();
        let columns = names::column_names(db, &sql)?;
        let plan = plan::explain(db, &sql).unwrap_or_default();
        emit(QueryEvent::Started {
            index,
            sql,
            columns: columns.clone(),
            plan,
        });
        let start = Instant::now();
        let mut rows = stmt.raw_query();
        let (mut kept, mut total, mut page) = (0usize, 0usize, Vec::new());
        while let Some(row) = rows.next()? {
            total += 1;
            if kept < MAX_ROWS {
                page.push(
                    (0..columns.len())
                        .map(|i| row.get_ref(i).map(Cell::from_ref))
                        .collect::<rusqlite::Result<Vec<_>>>()?,
                );
                kept += 1;
            }
            if page.len() == PAGE_ROWS {
                emit(QueryEvent::Rows(std::mem::take(&mut page)));
            }
        }
        if !page.is_empty() {
            emit(QueryEvent::Rows(page));
        }
        emit(QueryEvent::Finished {
            index,
            rows: total,
            truncated: total > kept,
            elapsed: start.elapsed(),
        });
        index += 1;
    }
    Ok(index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::connect;

    fn collect(db: &Connection, sql: &str) -> (rusqlite::Result<usize>, Vec<QueryEvent>) {
        let mut events = Vec::new();
        let result = run_script(db, sql, &mut |e| events.push(e));
        (result, events)
    }

    #[test]
    fn runs_statements_in_order_split_by_sqlite() {
        let db = Connection::open_in_memory().unwrap();
        let script = "SELECT 1 AS a; -- a comment; with a semicolon\n SELECT 'x;y' AS b, 2 AS c;";
        let (result, events) = collect(&db, script);
        assert_eq!(result.unwrap(), 2);
        let started: Vec<&Vec<String>> = events
            .iter()
            .filter_map(|e| match e {
                QueryEvent::Started { columns, .. } => Some(columns),
                _ => None,
            })
            .collect();
        assert_eq!(
            started,
            [
                &vec!["a".to_string()],
                &vec!["b".to_string(), "c".to_string()]
            ]
        );
        assert!(events.contains(&QueryEvent::Rows(vec![vec![
            Cell::Text("x;y".into(), 3),
            Cell::Int(2)
        ]])));
    }

    #[test]
    fn streams_pages_and_keeps_a_bounded_number_of_rows() {
        let db = Connection::open_in_memory().unwrap();
        let sql = format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {}) SELECT i FROM n",
            MAX_ROWS + 10
        );
        let (_, events) = collect(&db, &sql);
        let pages = events
            .iter()
            .filter(|e| matches!(e, QueryEvent::Rows(_)))
            .count();
        assert_eq!(pages, MAX_ROWS / PAGE_ROWS);
        let finished = events.last().unwrap();
        assert!(
            matches!(finished, QueryEvent::Finished { rows, truncated: true, .. } if *rows == MAX_ROWS + 10)
        );
    }

    #[test]
    fn writes_are_refused_with_a_way_to_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE t(x);")
            .unwrap();
        let conn = connect::open(&path).unwrap();
        let (result, _) = collect(&conn, "INSERT INTO t VALUES (1)");
        let err = conn.explain(result.unwrap_err()).to_string();
        assert!(
            err.contains("read-only") && err.contains("sqlite3 shell"),
            "{err}"
        );
    }
}
