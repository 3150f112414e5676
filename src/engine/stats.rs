//! Row counts and bytes on disk, under a time budget.
//!
//! One pass over `dbstat` gives both: a table b-tree holds one leaf cell per row, an index b-tree
//! (WITHOUT ROWID tables) one cell per row across all its pages, and every page's size is summed
//! into its b-tree's bytes. That is a single read of the file, where `COUNT(*)` per table plus a
//! size pass would read it twice. When the pass is cut off by the budget, counts fall back to the
//! estimates in `sqlite_stat1` and are marked inexact.
//!
//! In rollback-journal mode that single pass would hold the read lock for as long as it reads the
//! file, and every commit of another process would wait for it. There the pass goes in slices
//! (see [`slices`]):
//!
//! 1. the whole-file pass is tried within one slice, which small files fit in;
//! 2. otherwise `dbstat` runs one b-tree at a time (`WHERE name = ?` makes it walk only that
//!    tree), which gives bytes and rows of every b-tree it can read within a slice;
//! 3. `dbstat` cannot resume part-way through a tree, so a b-tree too large for a slice has its
//!    rows counted in rowid or key ranges instead. Its bytes are then the file's pages less the
//!    free pages and every other b-tree, when it is the only one left and no commit came in
//!    between (exact then); otherwise they are not shown, and the caveat names the tree. Counting
//!    its pages some other way would mean walking the b-tree from raw pages, which this SQLite
//!    build cannot read (`sqlite_dbpage` is not compiled in), or re-implementing `dbstat`.
//!
//! A count made of several statements that another process's commit came between is listed as
//! not from one snapshot.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::connect::{is_interrupt, Conn};
use super::names;
use super::quote::ident;
use super::schema::{Index, Schema, Table};
use super::slices::{self, Each, Pace, Snapshot};

/// What `dbstat` says of one b-tree.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Btree {
    pub bytes: u64,
    pub leaf_cells: u64,
    pub cells: u64,
}

/// What a measuring pass could not give exactly, for the database's caveat line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Measured {
    /// Tables counted in several statements while another process committed.
    pub straddled: Vec<String>,
    /// B-trees too large to measure within one slice, whose bytes are not shown.
    pub unmeasured: Vec<String>,
}

/// Page statistics per b-tree name: of the whole file, or of the one b-tree `name`.
fn btrees(db: &Connection, name: Option<&str>) -> rusqlite::Result<HashMap<String, Btree>> {
    let filter = if name.is_some() {
        "WHERE name = ?1"
    } else {
        ""
    };
    let mut stmt = db.prepare_cached(&format!(
        "SELECT name, sum(pgsize), sum(CASE WHEN pagetype = 'leaf' THEN ncell ELSE 0 END), \
         sum(ncell) FROM dbstat('main') {filter} GROUP BY name",
    ))?;
    let rows = stmt.query_map(rusqlite::params_from_iter(name), |r| {
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

/// Fills row estimates from `sqlite_stat1` into tables whose count is not known yet.
pub fn apply_estimates(db: &Connection, schema: &mut Schema) {
    let est = estimates(db);
    for t in schema.tables.iter_mut().filter(|t| t.rows.is_none()) {
        t.rows = est.get(t.name.to_ascii_lowercase().as_str()).copied();
        t.rows_exact = false;
    }
}

/// Measures bytes and exact rows of every table and index within `budget`, in slices where the
/// connection's read lock delays writers. Tables left unmeasured keep their estimates.
pub fn measure(conn: &Conn, schema: &mut Schema, budget: Duration) -> Measured {
    let deadline = Instant::now() + budget;
    match Pace::of(conn) {
        Pace::Whole => {
            measure_whole(conn, schema, deadline);
            Measured::default()
        }
        Pace::Slices => measure_in_slices(conn, schema, deadline),
    }
}

fn measure_whole(conn: &Conn, schema: &mut Schema, deadline: Instant) {
    let left = deadline.saturating_duration_since(Instant::now());
    let pass = conn.with_budget(left, |db| btrees(db, None));
    match &pass {
        Ok(Some(btrees)) => apply_btrees(schema, btrees),
        // Cancelled or preempted: stop now, the counts stay estimates.
        Err(e) if is_interrupt(e) => return,
        _ => {}
    }
    // COUNT(*) over a b-tree is one VDBE step that a budget cannot cut short, so b-tree tables
    // are counted directly only when the dbstat pass failed, not when it ran out of time.
    let failed = pass.is_err();
    let names = table_names(schema, |t| t.name_valid && (!t.has_btree() || failed));
    count_each(conn, Pace::Whole, schema, &names, deadline);
}

fn measure_in_slices(conn: &Conn, schema: &mut Schema, deadline: Instant) -> Measured {
    let mut whole = None;
    let mut pass = |db: &Connection, _: &()| {
        whole = Some(btrees(db, None)?);
        Ok(())
    };
    let ran = match slices::whole_file_worth_trying(conn, tree_names(schema).len()) {
        true => slices::run(
            conn,
            Pace::Slices,
            deadline,
            &mut Each::new(&[()], &mut pass),
        ),
        false => Ok(()),
    };
    let mut out = Measured::default();
    match (ran, whole) {
        (_, Some(btrees)) => apply_btrees(schema, &btrees),
        (Err(e), _) if e.is_interrupt() => return out,
        _ => match tree_by_tree(conn, schema, deadline) {
            Some(measured) => out = measured,
            None => return out,
        },
    }
    let names = table_names(schema, |t| t.name_valid && !t.has_btree());
    count_each(conn, Pace::Slices, schema, &names, deadline);
    out
}

/// `dbstat` per b-tree, then rows counted in ranges for the b-trees too large for that. `None`
/// when cancelled.
fn tree_by_tree(conn: &Conn, schema: &mut Schema, deadline: Instant) -> Option<Measured> {
    let snapshot = Snapshot::take(conn);
    let trees = tree_names(schema);
    let mut found = HashMap::new();
    let mut measure = |db: &Connection, name: &String| match btrees(db, Some(name)) {
        Ok(b) => {
            found.extend(b);
            Ok(())
        }
        Err(e) if is_interrupt(&e) => Err(e),
        // A tree dbstat cannot read (corrupt) is counted below instead.
        Err(_) => Ok(()),
    };
    let mut each = Each::new(&trees, &mut measure);
    let ran = slices::run(conn, Pace::Slices, deadline, &mut each);
    let mut skipped: Vec<String> = each.skipped.iter().map(|&i| trees[i].clone()).collect();
    if matches!(&ran, Err(e) if e.is_interrupt()) {
        return None;
    }
    // A tree that did not fit in a slice while quick_check ran beside may fit once it is done.
    if !skipped.is_empty() && ran.is_ok() {
        let mut again = Each::new(&skipped, &mut measure);
        let ran = slices::run(conn, Pace::Slices, deadline, &mut again);
        if matches!(&ran, Err(e) if e.is_interrupt()) {
            return None;
        }
        skipped = again.skipped.iter().map(|&i| skipped[i].clone()).collect();
    }
    apply_btrees(schema, &found);
    let mut out = Measured {
        straddled: count_in_ranges(conn, schema, &found, deadline)?,
        unmeasured: skipped,
    };
    if let [only] = out.unmeasured.as_slice() {
        let others = found.values().map(|b| b.bytes).sum();
        let complete = found.len() + 1 == trees.len();
        if let Some(bytes) = complete
            .then(|| snapshot.held(conn))
            .filter(|held| *held)
            .and_then(|_| remainder(conn, others))
        {
            set_bytes(schema, only, bytes);
            out.unmeasured.clear();
        }
    }
    Some(out)
}

/// Every b-tree of the file by `dbstat`'s name: the schema table, tables, and indexes other than
/// a WITHOUT ROWID table's key, which is the table's own b-tree.
fn tree_names(schema: &Schema) -> Vec<String> {
    let tables = schema
        .tables
        .iter()
        .filter(|t| t.has_btree() && t.name_valid);
    let keys = table_keys(schema);
    let indexes = schema
        .indexes
        .iter()
        .filter(|i| !keys.contains(i.name.as_str()));
    std::iter::once("sqlite_schema".to_string())
        .chain(tables.map(|t| t.name.to_string()))
        .chain(indexes.map(|i| i.name.to_string()))
        .collect()
}

/// The indexes that are a WITHOUT ROWID table's key, which is the table's own b-tree. Found by
/// one set of names rather than a lookup per index: schemas have 10,000 tables.
fn table_keys(schema: &Schema) -> HashSet<&str> {
    let without_rowid: HashSet<&str> = schema
        .tables
        .iter()
        .filter(|t| t.without_rowid)
        .map(|t| t.name.as_str())
        .collect();
    let key = |i: &&Index| i.origin == "primary-key" && without_rowid.contains(i.table.as_str());
    schema
        .indexes
        .iter()
        .filter(key)
        .map(|i| i.name.as_str())
        .collect()
}

/// Counts, in ranges, the b-tree tables `dbstat` did not measure; returns those whose count
/// straddled another process's commit, or `None` when cancelled.
fn count_in_ranges(
    conn: &Conn,
    schema: &mut Schema,
    measured: &HashMap<String, Btree>,
    deadline: Instant,
) -> Option<Vec<String>> {
    let mut straddled = Vec::new();
    for t in schema
        .tables
        .iter_mut()
        .filter(|t| t.name_valid && t.has_btree() && !measured.contains_key(t.name.as_str()))
    {
        let snapshot = Snapshot::take(conn);
        match slices::count(conn, Pace::Slices, t, deadline) {
            Ok(n) => {
                (t.rows, t.rows_exact) = (Some(n), true);
                if !snapshot.held(conn) {
                    straddled.push(t.name.to_string());
                }
            }
            Err(e) if e.is_interrupt() => return None,
            Err(_) => {}
        }
    }
    Some(straddled)
}

/// Bytes of the one b-tree left unmeasured when the others hold `others` bytes: every page of
/// the file is in a b-tree or the freelist, except the lock-byte page of a file past 1 GiB and,
/// with auto_vacuum, pointer-map pages, whose count this does not attempt.
fn remainder(db: &Connection, others: u64) -> Option<u64> {
    let get = |pragma: &str| {
        db.query_row(&format!("PRAGMA main.{pragma}"), [], |r| r.get::<_, i64>(0))
            .ok()
    };
    if get("auto_vacuum")? != 0 {
        return None;
    }
    let (pages, free, size) = (
        get("page_count")?,
        get("freelist_count")?,
        get("page_size")?,
    );
    let lock_byte_page = i64::from(pages > (1 << 30) / size);
    let bytes = (pages - free - lock_byte_page) * size - i64::try_from(others).ok()?;
    u64::try_from(bytes).ok().filter(|b| *b > 0)
}

fn set_bytes(schema: &mut Schema, name: &str, bytes: u64) {
    if let Some(t) = schema.tables.iter_mut().find(|t| t.name == name) {
        t.bytes = Some(bytes);
    }
    if let Some(i) = schema.indexes.iter_mut().find(|i| i.name == name) {
        i.bytes = Some(bytes);
    }
}

fn table_names(schema: &Schema, pick: impl Fn(&Table) -> bool) -> Vec<String> {
    let picked = schema.tables.iter().filter(|t| pick(t));
    picked.map(|t| t.name.to_string()).collect()
}

/// `count(*)` of each table of `names`, one statement each (a virtual table cannot be resumed
/// part-way); at [`Pace::Slices`] a table that does not fit in a slice keeps its estimate.
fn count_each(conn: &Conn, pace: Pace, schema: &mut Schema, names: &[String], deadline: Instant) {
    let mut counts = HashMap::new();
    let mut count = |db: &Connection, name: &String| {
        let sql = format!("SELECT count(*) FROM main.{}", ident(name));
        match db.query_row(&sql, [], |r| r.get::<_, i64>(0)) {
            Ok(n) => {
                counts.insert(name.clone(), n.max(0) as u64);
                Ok(())
            }
            Err(e) if is_interrupt(&e) => Err(e),
            // A virtual table whose module this SQLite lacks: it keeps its estimate.
            Err(_) => Ok(()),
        }
    };
    // Stopped early (budget, cancel): what was counted so far is exact and kept.
    let _ = slices::run(conn, pace, deadline, &mut Each::new(names, &mut count));
    for t in schema.tables.iter_mut() {
        if let Some(n) = counts.get(t.name.as_str()) {
            (t.rows, t.rows_exact) = (Some(*n), true);
        }
    }
}

/// Applies what `dbstat` measured; b-trees it did not list keep what they had, except a WITHOUT
/// ROWID table's key index, which is the table itself and holds no bytes of its own.
fn apply_btrees(schema: &mut Schema, btrees: &HashMap<String, Btree>) {
    for t in schema.tables.iter_mut().filter(|t| t.has_btree()) {
        if let Some(b) = btrees.get(t.name.as_str()) {
            t.bytes = Some(b.bytes);
            t.rows = Some(if t.without_rowid {
                b.cells
            } else {
                b.leaf_cells
            });
            t.rows_exact = true;
        }
    }
    let keys = table_keys(schema);
    let keys: Vec<bool> = schema
        .indexes
        .iter()
        .map(|i| keys.contains(i.name.as_str()))
        .collect();
    for (i, key) in schema.indexes.iter_mut().zip(keys) {
        if let Some(b) = btrees.get(i.name.as_str()) {
            i.bytes = Some(b.bytes);
        } else if key {
            i.bytes = Some(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::connect;
    use crate::engine::schema::{self, Detail};

    const SHAPES: &str = "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, w BLOB);
        CREATE INDEX t_v ON t(v);
        CREATE TABLE k(a TEXT, b INTEGER, c, PRIMARY KEY (a, b)) WITHOUT ROWID;
        CREATE TABLE u(code TEXT PRIMARY KEY, n INTEGER UNIQUE);
        CREATE VIRTUAL TABLE f USING fts5(body);
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
        INSERT INTO t SELECT i, 'v' || i, CASE WHEN i % 100 = 0 THEN randomblob(9000) END FROM n;
        INSERT INTO k SELECT 'a' || (id % 13), id, v FROM t;
        INSERT INTO u SELECT 'c' || id, id FROM t WHERE id % 3 = 0;
        INSERT INTO f SELECT v FROM t WHERE id % 10 = 0;
        DELETE FROM t WHERE id % 7 = 0;";

    fn open(sql: &str) -> (tempfile::TempDir, Conn, Schema) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        Connection::open(&path).unwrap().execute_batch(sql).unwrap();
        let conn = connect::open(&path).unwrap();
        let schema = schema::load(&conn, Detail::Full).unwrap();
        (dir, conn, schema)
    }

    fn later() -> Instant {
        Instant::now() + Duration::from_secs(30)
    }

    #[test]
    fn measuring_tree_by_tree_gives_what_the_whole_file_pass_gives() {
        let (_dir, conn, schema) = open(SHAPES);
        let mut whole = schema.clone();
        measure_whole(&conn, &mut whole, later());
        let mut sliced = schema.clone();
        let measured = tree_by_tree(&conn, &mut sliced, later()).unwrap();
        count_each(&conn, Pace::Slices, &mut sliced, &["f".into()], later());
        assert_eq!(measured, Measured::default());
        assert_eq!(sliced, whole);
        let t = whole.table("t").unwrap();
        assert_eq!((t.rows, t.rows_exact), (Some(3000 - 428), true));
        assert!(whole.indexes.iter().all(|i| i.bytes.is_some()));
        assert!(whole
            .tables
            .iter()
            .all(|t| t.rows_exact && t.rows.is_some()));
    }

    #[test]
    fn the_one_unmeasured_b_tree_holds_the_pages_no_other_one_does() {
        let (_dir, conn, schema) = open(SHAPES);
        let trees = tree_names(&schema);
        let mut all = HashMap::new();
        for name in &trees {
            all.extend(btrees(&conn, Some(name)).unwrap());
        }
        assert_eq!(all.len(), trees.len(), "dbstat names every tree: {trees:?}");
        let free: i64 = conn
            .query_row("PRAGMA freelist_count", [], |r| r.get(0))
            .unwrap();
        assert!(free > 0, "the fixture has free pages");
        for (name, b) in &all {
            let others = all.values().map(|o| o.bytes).sum::<u64>() - b.bytes;
            assert_eq!(remainder(&conn, others), Some(b.bytes), "{name}");
        }
    }

    #[test]
    fn no_remainder_is_guessed_with_pointer_map_pages() {
        let (_dir, conn, _) = open("PRAGMA auto_vacuum = FULL; CREATE TABLE t(x);");
        assert_eq!(remainder(&conn, 0), None);
    }

    #[test]
    fn rows_dbstat_did_not_measure_are_counted_in_ranges() {
        let (_dir, conn, mut schema) = open(SHAPES);
        let straddled = count_in_ranges(&conn, &mut schema, &HashMap::new(), later()).unwrap();
        assert!(straddled.is_empty());
        for (name, rows) in [("t", 3000 - 428), ("k", 3000), ("u", 1000)] {
            let t = schema.table(name).unwrap();
            assert_eq!((t.rows, t.rows_exact), (Some(rows), true), "{name}");
        }
    }
}
