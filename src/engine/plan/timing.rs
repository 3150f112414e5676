//! The elapsed time of one real run of a statement, for `plan --sql`: on the caller's read-only
//! connection (so that its cancel and budget stop it), stopped after a cap of rows, and only
//! for a statement that reads and needs no parameter. Anything else is planned, never run.

use std::time::{Duration, Instant};

use rusqlite::Connection;

/// Rows read before the clock stops: enough to time a query, bounded for one that returns all.
pub const ROW_CAP: usize = 10_000;

/// How long `sql` took to return its rows (up to [`ROW_CAP`]); `None` when it writes or needs
/// parameters, so was not run.
pub fn elapsed(conn: &Connection, sql: &str) -> rusqlite::Result<Option<Duration>> {
    let mut stmt = conn.prepare(sql)?;
    if !stmt.readonly() || stmt.parameter_count() > 0 {
        return Ok(None);
    }
    let start = Instant::now();
    let mut rows = stmt.raw_query();
    let mut seen = 0;
    while seen < ROW_CAP && rows.next()?.is_some() {
        seen += 1;
    }
    Ok(Some(start.elapsed()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_reads_only() {
        let db = Connection::open_in_memory().unwrap();
        db.execute_batch("CREATE TABLE t(a)").unwrap();
        assert!(elapsed(&db, "SELECT * FROM t").unwrap().is_some());
        assert!(elapsed(&db, "SELECT * FROM t WHERE a = ?")
            .unwrap()
            .is_none());
        assert!(elapsed(&db, "DELETE FROM t").unwrap().is_none());
        let n: i64 = db
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0);
    }
}
