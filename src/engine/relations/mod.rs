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
//! Each relation records its [`Method`]. A child table whose relations each lead an index of
//! their own is read one relation at a time from the index instead of the rows: in WAL mode each
//! statement unordered, so that SQLite picks the covering index; in rollback-journal mode in
//! slices along an index on the column alone ([`IndexScan`]); a relation whose keys do not fit but whose
//! columns lead a child index is counted by SQLite's `NOT EXISTS` plan over it (by_index.rs)
//! rather than by the join.
//!
//! Child tables are shared out between the caller's connection and a second one opened beside it
//! (`count_all`); parent keys read by either are kept for both.
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

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use compact_str::CompactString;
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
use crate::engine::slices::{self, IndexScan, Pace, Scan, Snapshot, Stopped};
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

#[derive(Debug, Clone, PartialEq)]
pub struct Relation {
    pub child: CompactString,
    pub columns: Vec<CompactString>,
    pub parent: CompactString,
    pub parent_columns: Vec<CompactString>,
    pub declared: bool,
    /// Child rows whose key has no parent; `None` when counting was cut off or failed.
    pub orphans: Option<u64>,
    /// Child rows with a NULL in the key (never checked by SQLite).
    pub nulls: Option<u64>,
    /// Child rows with a complete key.
    pub checked: Option<u64>,
    pub sample: Vec<Sample>,
    /// How the SQL that cleans the orphans picks and clears rows (see [`Relation::fix`]).
    clean: Clean,
    /// For an inferred relation: the table rebuild that declares its FOREIGN KEY, together with
    /// those of the child table's other inferred relations.
    pub declare_fix: Option<Box<str>>,
    /// Why an inferred relation was kept, or `declared`.
    pub why: CompactString,
    /// Why counting did not finish, when it did not.
    pub error: Option<Box<str>>,
    /// False when another process committed while this relation was counted: its counts then
    /// come from reads of different moments.
    pub one_snapshot: bool,
    /// How the orphans were counted; `None` when counting never began (no such parent).
    pub method: Option<Method>,
    /// The parent table does not exist: every row with a complete key is an orphan.
    pub parent_missing: bool,
}

/// What the SQL cleaning a relation's orphans needs of its child table, taken when the relation
/// is made: the SQL itself is written when shown, since a 10,000-table file's audit keeps
/// thousands of relations, nearly all with no orphans to clean.
#[derive(Debug, Clone, PartialEq)]
struct Clean {
    /// The columns that pick a row: the primary key of a WITHOUT ROWID table, else `rowid`.
    rows_by: Vec<CompactString>,
    /// Every key column may be NULL: the fix clears the key rather than deleting the row.
    nullable: bool,
}

impl Relation {
    /// SQL that cleans the orphans (shown, never run). Only for a relation whose parent key is
    /// resolved (see [`Relation::resolved`]); orphans are never counted for any other.
    pub fn fix(&self) -> String {
        clean_fix(self)
    }

    /// True when every key column pairs with a parent column: false for a foreign key that SQLite
    /// reports as a mismatch, which no statement can join on.
    pub fn resolved(&self) -> bool {
        self.parent_missing
            || (!self.parent_columns.is_empty() && self.parent_columns.len() == self.columns.len())
    }
}

/// The relation as the JSON output shows it, its fix written out.
impl Serialize for Relation {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = s.serialize_struct("Relation", 15)?;
        out.serialize_field("child", &self.child)?;
        out.serialize_field("columns", &self.columns)?;
        out.serialize_field("parent", &self.parent)?;
        out.serialize_field("parent_columns", &self.parent_columns)?;
        out.serialize_field("declared", &self.declared)?;
        out.serialize_field("orphans", &self.orphans)?;
        out.serialize_field("nulls", &self.nulls)?;
        out.serialize_field("checked", &self.checked)?;
        out.serialize_field("sample", &self.sample)?;
        out.serialize_field("fix", &self.resolved().then(|| self.fix()))?;
        out.serialize_field("declare_fix", &self.declare_fix)?;
        out.serialize_field("why", &self.why)?;
        out.serialize_field("error", &self.error)?;
        out.serialize_field("one_snapshot", &self.one_snapshot)?;
        out.serialize_field("method", &self.method)?;
        out.end()
    }
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
            rel.why = format!("{}; {why}", rel.why).into();
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
    let mut order: HashMap<CompactString, usize> = HashMap::new();
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
    let kept = KeptKeys::default();
    // Before either reads: a set one pass reads is judged by the other from here.
    let mine = counting(conn, budget, sample, &kept, (0, Snapshot::take(conn)));
    let theirs = beside.map(|other| {
        let start = Snapshot::take(&other);
        (other, start)
    });
    std::thread::scope(|s| {
        if let Some((other, start)) = theirs {
            let (queue, kept) = (&queue, &kept);
            s.spawn(move || {
                let pass = counting(&other, budget, sample, kept, (1, start));
                count_queue(&pass, schema, queue, &mut |_| {})
            });
        }
        count_queue(&mine, schema, &queue, &mut |done| progress(done, total));
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

/// A pass counting on `conn`, the `reader`-th of those sharing `kept`, whose connection took
/// `start` before any of them read.
fn counting<'a>(
    conn: &'a Conn,
    budget: Duration,
    sample: usize,
    kept: &'a KeptKeys,
    (reader, start): (usize, Snapshot),
) -> Pass<'a> {
    Pass {
        conn,
        pace: Pace::of(conn),
        budget,
        sample,
        max_keys: MAX_PARENT_KEYS,
        kept,
        reader,
        start,
    }
}

/// Takes child tables from `queue` until none is left, counting each in `pass`; `progress` hears
/// how many relations are done in all before each table.
fn count_queue(pass: &Pass, schema: &Schema, queue: &Queue, progress: &mut dyn FnMut(usize)) {
    loop {
        let Some(table) = queue.tables.get(queue.next.fetch_add(1, Ordering::Relaxed)) else {
            return;
        };
        progress(queue.done.load(Ordering::Relaxed));
        let mut rels = lock(table);
        let members: Vec<usize> = (0..rels.len()).collect();
        count_child(pass, schema, &mut rels, &members);
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
        let fix: Option<Box<str>> = declare_fix(schema, table, &inferred).map(Into::into);
        for r in rels.iter_mut().filter(|r| !r.declared && r.child == child) {
            r.declare_fix = fix.clone();
        }
    }
}

/// Child tables in the order their first relation appears.
fn children(rels: &[Relation]) -> Vec<CompactString> {
    let mut out: Vec<CompactString> = Vec::new();
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
    columns: Vec<CompactString>,
    parent: &str,
    parent_columns: Vec<CompactString>,
    declared: bool,
    why: CompactString,
) -> Relation {
    let clean = clean_by(child, &columns);
    Relation {
        child: child.name.as_str().into(),
        columns,
        parent: parent.into(),
        parent_columns,
        declared,
        orphans: None,
        nulls: None,
        checked: None,
        sample: Vec::new(),
        clean,
        declare_fix: None,
        why,
        error: None,
        one_snapshot: true,
        method: None,
        parent_missing: false,
    }
}

#[cfg(test)]
mod tests;
