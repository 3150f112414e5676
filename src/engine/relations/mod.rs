//! Relations between tables, declared and inferred, and the orphaned rows of each.
//!
//! Counting reads each parent's keys once into memory (a bitmap for dense integer keys such as
//! an INTEGER PRIMARY KEY, a hash set otherwise), then reads each child table once, checking all
//! of its relations in that one pass: the cost is linear in both tables whether or not the parent
//! column is indexed.
//! `PRAGMA foreign_key_check` and `NOT EXISTS` instead do one B-tree search per child row (and
//! `NOT EXISTS` without a parent index scans all parents per child). Parent keys are held in
//! memory up to [`MAX_PARENT_KEYS`]; beyond that the count falls back to a `LEFT JOIN`, for
//! which SQLite builds an automatic index when the parent has none. A parent referenced by many
//! tables (`users`) has its keys read once and kept for the others, up to the same total.
//!
//! Each relation records its [`Method`]. In WAL mode a child table whose relations each lead an
//! index of their own is read one relation at a time, each statement unordered so that SQLite
//! reads the covering index instead of the rows; a relation whose keys do not fit but whose
//! columns lead a child index is counted by SQLite's `NOT EXISTS` plan over it (by_index.rs)
//! rather than by the join.
//!
//! Child tables are shared out between the caller's connection and a second one opened beside it
//! (`count_all`), each with its own kept parent keys.
//!
//! Values are compared as SQLite compares them for a foreign key: the parent column's affinity
//! is applied to the child value, so `'5'` matches `5` in an INTEGER parent.
//!
//! In rollback-journal mode each of those reads would hold the read lock, and delay every other
//! process's commit, for as long as it reads its table, so both go in slices by rowid or key
//! (see [`slices`]), and so does the join: per slice of child rows, a `NOT EXISTS` lookup in
//! the parent's index. A parent with no index on the key cannot be joined per slice (SQLite would
//! build a temporary index over the whole parent for every slice), so such a relation is left
//! uncounted, and says why. Counts whose statements another process's commit came between are
//! marked as not from one snapshot.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::ControlFlow;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::types::ValueRef;
use rusqlite::{Connection, Row};
use rustc_hash::FxHashSet;
use serde::Serialize;

use crate::engine::connect::{self, Conn};
use crate::engine::locks::lock;

mod by_index;
mod count;
mod fix;
mod infer;
mod keys;

use crate::engine::quote::ident;
use crate::engine::schema::{Column, Index, Schema, Table, TableKind};
use crate::engine::slices::{self, Pace, Scan, Snapshot, Stopped};
use by_index::*;
use count::*;
use fix::*;
use infer::*;
use keys::*;

/// Parent keys held in memory for one relation (about 64 bytes each: 256 MiB at most).
pub const MAX_PARENT_KEYS: u64 = 4_000_000;
/// Orphan rows kept as samples per relation, unless the caller asks for another number.
pub const DEFAULT_SAMPLE: usize = 5;
/// Share of an inferred relation's values that must match parent keys for it to be kept.
pub const INFER_MIN_MATCH: f64 = 0.5;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sample {
    pub rowid: Option<i64>,
    pub values: Vec<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Relation {
    pub child: String,
    pub columns: Vec<String>,
    pub parent: String,
    pub parent_columns: Vec<String>,
    pub declared: bool,
    /// Child rows whose key has no parent; `None` when counting was cut off or failed.
    pub orphans: Option<u64>,
    /// Child rows with a NULL in the key (never checked by SQLite).
    pub nulls: Option<u64>,
    /// Child rows with a complete key.
    pub checked: Option<u64>,
    pub sample: Vec<Sample>,
    /// SQL that cleans the orphans (shown, never run).
    pub fix: String,
    /// For an inferred relation: the table rebuild that declares its FOREIGN KEY, together with
    /// those of the child table's other inferred relations.
    pub declare_fix: Option<String>,
    /// Why an inferred relation was kept, or `declared`.
    pub why: String,
    /// Why counting did not finish, when it did not.
    pub error: Option<String>,
    /// False when another process committed while this relation was counted: its counts then
    /// come from reads of different moments.
    pub one_snapshot: bool,
    /// How the orphans were counted; `None` when counting never began (no such parent).
    pub method: Option<Method>,
}

/// How a relation's orphans are counted, picked per relation as the cheapest that applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// From an index of the child table that leads with the key columns, read instead of the
    /// table's rows: probing parent keys in memory, or where they do not fit, by SQLite's own
    /// `NOT EXISTS` plan (by_index.rs).
    Index,
    /// One pass over the child table's rows, shared by all its relations counted this way,
    /// probing parent keys held in memory.
    Pass,
    /// A join, where the parent's keys do not fit in memory and no child index serves.
    Join,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Index => "index",
            Method::Pass => "pass",
            Method::Join => "join",
        }
    }
}

/// Every declared relation of `schema` and every inferred one the evidence supports, counted.
pub fn find(conn: &Conn, schema: &Schema, budget: Duration) -> Vec<Relation> {
    find_with(conn, schema, budget, DEFAULT_SAMPLE, &mut |_, _| {})
}

/// [`find`] with a sample size and a progress callback `(relations done, relations total)`.
pub fn find_with(
    conn: &Conn,
    schema: &Schema,
    budget: Duration,
    sample: usize,
    progress: &mut dyn FnMut(usize, usize),
) -> Vec<Relation> {
    let declared = declared(schema);
    let mut rels = candidates(schema, &declared);
    let inferred_from = declared.len();
    rels.splice(0..0, declared);
    let rels = count_all(conn, schema, budget, sample, rels, progress);
    let mut kept = Vec::with_capacity(rels.len());
    for (i, mut rel) in rels.into_iter().enumerate() {
        if i < inferred_from {
            kept.push(rel);
        } else if let Some(why) = evidence(&rel) {
            rel.why = format!("{}; {why}", rel.why);
            kept.push(rel);
        }
    }
    attach_declare_fixes(schema, &mut kept);
    kept
}

/// Child tables still to count, each with its relations, taken one at a time by whichever
/// connection is free, so that one large table on one connection leaves the rest to the other.
struct Queue {
    tables: Vec<Mutex<Vec<Relation>>>,
    next: AtomicUsize,
    /// Relations counted, by either connection.
    done: AtomicUsize,
}

/// Counts every relation of `rels`, child table by child table, on `conn` and, where a second
/// read-only connection opens beside it (sharing its cancel and, in rollback-journal mode, its
/// read windows), on that one too in another thread; returns them in the order given.
fn count_all(
    conn: &Conn,
    schema: &Schema,
    budget: Duration,
    sample: usize,
    rels: Vec<Relation>,
    progress: &mut dyn FnMut(usize, usize),
) -> Vec<Relation> {
    let total = rels.len();
    let mut order: HashMap<String, usize> = HashMap::new();
    let mut groups: Vec<Vec<(usize, Relation)>> = Vec::new();
    for (i, rel) in rels.into_iter().enumerate() {
        let at = *order.entry(rel.child.clone()).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[at].push((i, rel));
    }
    let positions: Vec<Vec<usize>> = groups
        .iter()
        .map(|g| g.iter().map(|p| p.0).collect())
        .collect();
    let queue = Queue {
        tables: groups
            .into_iter()
            .map(|g| Mutex::new(g.into_iter().map(|p| p.1).collect()))
            .collect(),
        next: AtomicUsize::new(0),
        done: AtomicUsize::new(0),
    };
    let beside = (queue.tables.len() > 1)
        .then(|| connect::open_beside(conn))
        .flatten();
    std::thread::scope(|s| {
        if let Some(other) = beside {
            let queue = &queue;
            s.spawn(move || count_queue(&other, schema, budget, sample, queue, &mut |_| {}));
        }
        count_queue(conn, schema, budget, sample, &queue, &mut |done| {
            progress(done, total)
        });
    });
    progress(total, total);
    let mut out: Vec<Option<Relation>> = (0..total).map(|_| None).collect();
    for (table, at) in queue.tables.into_iter().zip(positions) {
        let counted = table.into_inner().unwrap_or_else(PoisonError::into_inner);
        for (rel, i) in counted.into_iter().zip(at) {
            out[i] = Some(rel);
        }
    }
    out.into_iter().flatten().collect()
}

/// Takes child tables from `queue` until none is left, counting each on `conn`; `progress` hears
/// how many relations are done in all before each table.
fn count_queue(
    conn: &Conn,
    schema: &Schema,
    budget: Duration,
    sample: usize,
    queue: &Queue,
    progress: &mut dyn FnMut(usize),
) {
    let pass = Pass {
        conn,
        pace: Pace::of(conn),
        budget,
        sample,
        max_keys: MAX_PARENT_KEYS,
        kept: RefCell::default(),
    };
    loop {
        let Some(table) = queue.tables.get(queue.next.fetch_add(1, Ordering::Relaxed)) else {
            return;
        };
        progress(queue.done.load(Ordering::Relaxed));
        let mut rels = lock(table);
        let members: Vec<usize> = (0..rels.len()).collect();
        count_child(&pass, schema, &mut rels, &members);
        queue.done.fetch_add(members.len(), Ordering::Relaxed);
    }
}

/// Gives each kept inferred relation the one rebuild of its child table that declares all of
/// that table's inferred relations (see [`declare_fix`]).
fn attach_declare_fixes(schema: &Schema, rels: &mut [Relation]) {
    for child in children(rels) {
        let Some(table) = schema.table(&child) else {
            continue;
        };
        let inferred: Vec<&Relation> = rels
            .iter()
            .filter(|r| !r.declared && r.child == child)
            .collect();
        if inferred.is_empty() {
            continue;
        }
        let fix = declare_fix(schema, table, &inferred);
        for r in rels.iter_mut().filter(|r| !r.declared && r.child == child) {
            r.declare_fix = fix.clone();
        }
    }
}

/// Child tables in the order their first relation appears.
fn children(rels: &[Relation]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in rels {
        if !out.contains(&r.child) {
            out.push(r.child.clone());
        }
    }
    out
}

fn declared(schema: &Schema) -> Vec<Relation> {
    schema
        .tables
        .iter()
        .filter(|t| t.kind == TableKind::Table)
        .flat_map(|t| {
            t.foreign_keys.iter().map(move |fk| {
                new_relation(
                    t,
                    fk.columns.clone(),
                    &fk.parent,
                    fk.parent_columns.clone(),
                    true,
                    "declared".into(),
                )
            })
        })
        .collect()
}

fn new_relation(
    child: &Table,
    columns: Vec<String>,
    parent: &str,
    parent_columns: Vec<String>,
    declared: bool,
    why: String,
) -> Relation {
    let mut rel = Relation {
        child: child.name.clone(),
        columns,
        parent: parent.to_string(),
        parent_columns,
        declared,
        orphans: None,
        nulls: None,
        checked: None,
        sample: Vec::new(),
        fix: String::new(),
        declare_fix: None,
        why,
        error: None,
        one_snapshot: true,
        method: None,
    };
    rel.fix = clean_fix(child, &rel);
    rel
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::connect;
    use crate::engine::schema::{self, Detail};

    /// Counts the declared relations of `child` with parent keys held in memory only up to
    /// `max_keys`, so that small parents take the join path.
    fn count_declared(path: &std::path::Path, pace: Pace, max_keys: u64) -> Vec<Relation> {
        let conn = connect::open(path).unwrap();
        let schema = schema::load(&conn, Detail::Full).unwrap();
        let mut rels = declared(&schema);
        let pass = Pass {
            conn: &conn,
            pace,
            budget: Duration::from_secs(30),
            sample: 3,
            max_keys,
            kept: RefCell::default(),
        };
        for child in children(&rels) {
            let members: Vec<usize> = (0..rels.len())
                .filter(|&i| rels[i].child == child)
                .collect();
            count_child(&pass, &schema, &mut rels, &members);
        }
        rels
    }

    #[test]
    fn a_parents_keys_are_read_once_for_all_its_children_within_the_bound() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.db");
        Connection::open(&path)
            .unwrap()
            .execute_batch(
                "PRAGMA foreign_keys = OFF;
                 CREATE TABLE users(id INTEGER PRIMARY KEY);
                 CREATE TABLE a(user_id REFERENCES users(id));
                 CREATE TABLE b(user_id REFERENCES users(id));
                 INSERT INTO users VALUES (1), (2), (3);
                 INSERT INTO a VALUES (1), (4), (NULL);
                 INSERT INTO b VALUES (2), (5), (6);",
            )
            .unwrap();
        let conn = connect::open(&path).unwrap();
        let schema = schema::load(&conn, Detail::Full).unwrap();
        for (max_keys, kept) in [(3, 1), (2, 0)] {
            let mut rels = declared(&schema);
            let pass = Pass {
                conn: &conn,
                pace: Pace::Slices,
                budget: Duration::from_secs(30),
                sample: 3,
                max_keys,
                kept: RefCell::default(),
            };
            for child in ["a", "b"] {
                let members: Vec<usize> = (0..rels.len())
                    .filter(|&i| rels[i].child == child)
                    .collect();
                count_child(&pass, &schema, &mut rels, &members);
            }
            assert_eq!(pass.kept.borrow().sets.len(), kept, "max_keys {max_keys}");
            // Beyond the bound the keys are not held at all: the join counts alike.
            let orphans: Vec<_> = rels.iter().map(|r| (r.orphans, r.nulls)).collect();
            let expected = [(Some(1), Some(1)), (Some(2), Some(0))];
            assert_eq!(orphans, expected, "max_keys {max_keys}");
        }
    }

    #[test]
    fn joins_count_alike_whole_and_in_slices_where_the_parent_is_indexed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.db");
        Connection::open(&path)
            .unwrap()
            .execute_batch(
                "PRAGMA foreign_keys = OFF;
                 CREATE TABLE parent(id INTEGER PRIMARY KEY);
                 CREATE TABLE coded(code TEXT);
                 CREATE TABLE child(id INTEGER PRIMARY KEY, pid REFERENCES parent(id),
                                    code TEXT REFERENCES coded(code));
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
                 INSERT INTO parent SELECT i FROM n WHERE i % 10 != 0;
                 INSERT INTO coded SELECT 'c' || id FROM parent;
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
                 INSERT INTO child SELECT i, CASE WHEN i % 17 = 0 THEN NULL ELSE i % 5000 END,
                                      'c' || (i % 5000) FROM n;",
            )
            .unwrap();
        let missing: i64 = Connection::open(&path)
            .unwrap()
            .query_row(
                "SELECT count(*) FROM child WHERE pid NOT IN (SELECT id FROM parent)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let in_memory = count_declared(&path, Pace::Slices, MAX_PARENT_KEYS);
        let whole = count_declared(&path, Pace::Whole, 10);
        let sliced = count_declared(&path, Pace::Slices, 10);
        let by_parent = |rels: &[Relation], p: &str| rels.iter().find(|r| r.parent == p).cloned();
        let (memory, whole, sliced) = (
            by_parent(&in_memory, "parent").unwrap(),
            by_parent(&whole, "parent").unwrap(),
            by_parent(&sliced, "parent").unwrap(),
        );
        assert_eq!(memory.orphans, Some(missing as u64));
        for rel in [&whole, &sliced] {
            assert_eq!(
                (rel.orphans, rel.nulls, rel.checked),
                (memory.orphans, memory.nulls, memory.checked)
            );
            assert_eq!(rel.sample.len(), 3);
            assert!(rel.one_snapshot && rel.error.is_none());
        }
        let unindexed = by_parent(&count_declared(&path, Pace::Slices, 10), "coded").unwrap();
        assert_eq!(unindexed.orphans, None);
        assert!(unindexed.error.unwrap().contains("no index on (code)"));
        let joined = by_parent(&count_declared(&path, Pace::Whole, 10), "coded").unwrap();
        let counted = by_parent(&in_memory, "coded").unwrap();
        assert_eq!(joined.orphans, counted.orphans);
    }

    /// `(child table, child column, orphans)` of each foreign key with orphans, from SQLite's own
    /// check.
    fn foreign_key_check(path: &std::path::Path) -> Vec<(String, String, u64)> {
        let conn = Connection::open(path).unwrap();
        let mut stmt = conn
            .prepare(
                "SELECT k.\"table\", l.\"from\", count(*) FROM pragma_foreign_key_check AS k \
                 JOIN pragma_foreign_key_list(k.\"table\") AS l ON l.id = k.fkid \
                 GROUP BY 1, 2 ORDER BY 1, 2",
            )
            .unwrap();
        let rows = stmt.query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as u64))
        });
        rows.unwrap().map(Result::unwrap).collect()
    }

    #[test]
    fn each_method_counts_as_foreign_key_check_does() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        Connection::open(&path)
            .unwrap()
            .execute_batch(
                "PRAGMA foreign_keys = OFF;
                 CREATE TABLE parent(id INTEGER PRIMARY KEY);
                 CREATE TABLE coded(code TEXT UNIQUE);
                 CREATE TABLE child(id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent(id),
                                    code TEXT REFERENCES coded(code), note TEXT);
                 CREATE INDEX child_pid ON child(pid, note);
                 CREATE INDEX child_code ON child(code);
                 CREATE TABLE other(id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent(id),
                                    qid INTEGER REFERENCES parent(id));
                 CREATE INDEX other_pid ON other(pid);
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
                 INSERT INTO parent SELECT i FROM n WHERE i % 10 != 0;
                 INSERT INTO coded SELECT 'c' || id FROM parent;
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 9000)
                 INSERT INTO child SELECT i, CASE WHEN i % 17 = 0 THEN NULL ELSE i % 3000 END,
                     CASE WHEN i % 11 = 0 THEN NULL ELSE 'c' || (i % 3050) END, 'n' FROM n;
                 INSERT INTO other SELECT id, pid, CASE WHEN id % 13 = 0 THEN NULL
                     ELSE id % 3100 END FROM child;",
            )
            .unwrap();
        let truth = foreign_key_check(&path);
        let (index, pass, join) = (Some(Method::Index), Some(Method::Pass), Some(Method::Join));
        let method = |rels: &[Relation], child: &str, column: &str| {
            let found = rels
                .iter()
                .find(|r| r.child == child && r.columns[0] == column);
            found.unwrap().method
        };
        // Keys in memory: child's keys each lead an index, other's qid none, so other is one pass.
        let whole = count_declared(&path, Pace::Whole, MAX_PARENT_KEYS);
        assert_eq!(method(&whole, "child", "pid"), index);
        assert_eq!(method(&whole, "child", "code"), index);
        assert_eq!(method(&whole, "other", "pid"), pass);
        assert_eq!(method(&whole, "other", "qid"), pass);
        // Keys that do not fit: NOT EXISTS where a child index leads, else the join.
        let joined = count_declared(&path, Pace::Whole, 10);
        assert_eq!(method(&joined, "other", "pid"), index);
        assert_eq!(method(&joined, "child", "code"), index);
        assert_eq!(method(&joined, "other", "qid"), join);
        let sliced = count_declared(&path, Pace::Slices, MAX_PARENT_KEYS);
        assert!(sliced.iter().all(|r| r.method == pass));
        for rels in [&whole, &joined, &sliced] {
            let mut orphans: Vec<(String, String, u64)> = rels
                .iter()
                .map(|r| (r.child.clone(), r.columns[0].clone(), r.orphans.unwrap()))
                .collect();
            orphans.sort();
            assert_eq!(orphans, truth);
            for (rel, other) in rels.iter().zip(sliced.iter()) {
                assert_eq!((rel.nulls, rel.checked), (other.nulls, other.checked));
                assert_eq!(rel.sample.len(), 3);
                assert!(rel.one_snapshot && rel.error.is_none());
            }
        }
    }

    /// The plan of each statement the index method runs.
    fn plan(conn: &Connection, sql: &str) -> Vec<String> {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let rows = stmt.query_map([], |r| r.get(3)).unwrap();
        rows.map(Result::unwrap).collect()
    }

    #[test]
    fn the_index_method_reads_the_child_index_and_searches_the_parent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.db");
        Connection::open(&path)
            .unwrap()
            .execute_batch(
                "CREATE TABLE parent(id INTEGER PRIMARY KEY);
                 CREATE TABLE child(id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent(id),
                                    body TEXT);
                 CREATE INDEX child_pid ON child(pid);",
            )
            .unwrap();
        let conn = connect::open(&path).unwrap();
        let schema = schema::load(&conn, Detail::Full).unwrap();
        let rel = &declared(&schema)[0];
        let child = schema.table("child").unwrap();
        // Keys in memory: the unordered read of a whole pass (slices::Scan) reads the index.
        let read = plan(&conn, "SELECT rowid, c.\"pid\" FROM main.\"child\" AS c");
        assert!(read[0].contains("COVERING INDEX child_pid"), "{read:?}");
        // Keys that do not fit: NOT EXISTS reads the index and searches the parent's key.
        let not_exists = plan(&conn, &orphans_by_index_sql(child, rel));
        assert!(
            not_exists[0].contains("COVERING INDEX child_pid"),
            "{not_exists:?}"
        );
        assert!(not_exists
            .iter()
            .any(|d| d.starts_with("SEARCH p USING INTEGER PRIMARY KEY")));
        for max_keys in [MAX_PARENT_KEYS, 0] {
            let rels = count_declared(&path, Pace::Whole, max_keys);
            assert_eq!(rels[0].method, Some(Method::Index));
        }
    }

    #[test]
    fn reads_reference_names_in_every_style() {
        assert_eq!(reference_base("user_id").as_deref(), Some("user"));
        assert_eq!(reference_base("userId").as_deref(), Some("user"));
        assert_eq!(reference_base("CustomerID").as_deref(), Some("customer"));
        assert_eq!(reference_base("id"), None);
        assert_eq!(reference_base("paid"), None);
    }

    #[test]
    fn key_sets_answer_alike_in_every_shape() {
        let one = |k| Probe::One(k);
        let dense = KeySet::build((1..=1000).map(Key::Int).collect());
        let sparse = KeySet::build((1..=1000).map(|i| Key::Int(i * 1_000_000)).collect());
        let texts = KeySet::build(vec![Key::Text(b"a".to_vec()), Key::Text(b"b".to_vec())]);
        let mixed = KeySet::build(vec![Key::Text(b"a".to_vec()), Key::Int(7)]);
        assert!(matches!(dense, KeySet::Dense { .. }) && matches!(sparse, KeySet::Ints(_)));
        assert!(matches!(texts, KeySet::Texts(_)) && matches!(mixed, KeySet::Keys(_)));
        assert!(dense.contains(&one(KeyRef::Int(1))) && dense.contains(&one(KeyRef::Int(1000))));
        assert!(!dense.contains(&one(KeyRef::Int(0))) && !dense.contains(&one(KeyRef::Int(1001))));
        assert!(
            !dense.contains(&one(KeyRef::Int(i64::MIN)))
                && !dense.contains(&one(KeyRef::Text(b"1")))
        );
        assert!(
            sparse.contains(&one(KeyRef::Int(5_000_000))) && !sparse.contains(&one(KeyRef::Int(5)))
        );
        assert!(
            texts.contains(&one(KeyRef::Text(b"b"))) && !texts.contains(&one(KeyRef::Text(b"c")))
        );
        assert!(mixed.contains(&one(KeyRef::Text(b"a"))) && mixed.contains(&one(KeyRef::Int(7))));
        let pairs = KeySet::build(vec![Key::Tuple(vec![
            Key::Int(1),
            Key::Text(b"x".to_vec()),
        ])]);
        assert!(pairs.contains(&Probe::Tuple(Key::Tuple(vec![
            Key::Int(1),
            Key::Text(b"x".to_vec())
        ]))));
        assert!(!pairs.contains(&Probe::Tuple(Key::Tuple(vec![
            Key::Int(2),
            Key::Text(b"x".to_vec())
        ]))));
    }

    #[test]
    fn keys_read_stay_integers_until_another_type_comes() {
        let one = |k| Probe::One(k);
        let mut ints = Keys::default();
        ints.push(one(KeyRef::Int(5)));
        assert!(matches!(ints.build(), KeySet::Dense { .. }));
        let mut mixed = Keys::default();
        for k in [KeyRef::Int(1), KeyRef::Text(b"a"), KeyRef::Int(2)] {
            mixed.push(one(k));
        }
        assert_eq!(mixed.len(), 3);
        let set = mixed.build();
        assert!(matches!(set, KeySet::Keys(_)));
        for k in [KeyRef::Int(1), KeyRef::Text(b"a"), KeyRef::Int(2)] {
            assert!(set.contains(&one(k)), "{k:?}");
        }
        assert!(!set.contains(&one(KeyRef::Int(3))));
    }

    #[test]
    fn applies_the_parent_affinity_to_child_values() {
        assert_eq!(
            to_key(ValueRef::Text(b"5"), Affinity::Integer),
            Some(KeyRef::Int(5))
        );
        assert_eq!(
            to_key(ValueRef::Text(b"5"), Affinity::Text),
            Some(KeyRef::Text(b"5"))
        );
        assert_eq!(
            to_key(ValueRef::Real(3.0), Affinity::Integer),
            Some(KeyRef::Int(3))
        );
        assert_eq!(
            to_key(ValueRef::Text(b" 2.5 "), Affinity::Real),
            Some(KeyRef::Real(2.5f64.to_bits()))
        );
        assert_eq!(to_key(ValueRef::Null, Affinity::Integer), None);
    }
}
