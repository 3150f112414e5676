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
use std::time::{Duration, Instant};

use rusqlite::types::ValueRef;
use rusqlite::{Connection, Row};
use rustc_hash::FxHashSet;
use serde::Serialize;

use crate::engine::connect::Conn;

mod count;
mod fix;
mod infer;
mod keys;

use crate::engine::quote::ident;
use crate::engine::schema::{Column, Schema, Table, TableKind};
use crate::engine::slices::{self, Pace, Scan, Snapshot, Stopped};
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
    let total = rels.len();
    let mut done = 0;
    let pass = Pass {
        conn,
        pace: Pace::of(conn),
        budget,
        sample,
        max_keys: MAX_PARENT_KEYS,
        kept: RefCell::default(),
    };
    for child in children(&rels) {
        progress(done, total);
        let members: Vec<usize> = (0..rels.len())
            .filter(|&i| rels[i].child == child)
            .collect();
        count_child(&pass, schema, &mut rels, &members);
        done += members.len();
    }
    progress(total, total);
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
        let members: Vec<usize> = (0..rels.len()).collect();
        let pass = Pass {
            conn: &conn,
            pace,
            budget: Duration::from_secs(30),
            sample: 3,
            max_keys,
            kept: RefCell::default(),
        };
        count_child(&pass, &schema, &mut rels, &members);
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
