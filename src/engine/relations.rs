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

use super::connect::Conn;
use super::quote::{ident, ident_list};
use super::schema::{Column, Schema, Table, TableKind};
use super::slices::{self, Pace, Scan, Snapshot, Stopped};

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
    /// For an inferred relation: the table rebuild that declares the FOREIGN KEY.
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
    kept
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
                    schema,
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
    schema: &Schema,
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
    if !declared {
        rel.declare_fix = declare_fix(schema, child, &rel);
    }
    rel
}

/// The base name a column refers to: `user_id`, `userId`, `UserID` → `user`.
fn reference_base(column: &str) -> Option<String> {
    let lower = column.to_ascii_lowercase();
    let base = if let Some(b) = lower.strip_suffix("_id") {
        b.to_string()
    } else if column.ends_with("Id") || column.ends_with("ID") {
        lower[..lower.len() - 2].to_string()
    } else {
        return None;
    };
    (!base.is_empty()).then_some(base)
}

/// Table names a base may refer to: itself, plurals, and `parent` for self-references.
fn parent_table<'a>(schema: &'a Schema, child: &'a Table, base: &str) -> Option<&'a Table> {
    if base == "parent" {
        return Some(child);
    }
    let names = [
        base.to_string(),
        format!("{base}s"),
        format!("{base}es"),
        base.strip_suffix('y')
            .map_or(String::new(), |b| format!("{b}ies")),
    ];
    let squashed = base.replace('_', "");
    schema.tables.iter().find(|t| {
        t.kind == TableKind::Table && {
            let n = t.name.to_ascii_lowercase();
            names.contains(&n) || n == squashed || n == format!("{squashed}s")
        }
    })
}

/// The parent's single-column key: its primary key, else a column named `id` under a UNIQUE index.
fn parent_key(schema: &Schema, parent: &Table) -> Option<String> {
    match parent.primary_key().as_slice() {
        [one] => Some(one.clone()),
        [] => schema
            .indexes_of(&parent.name)
            .find(|i| {
                i.unique
                    && !i.partial
                    && i.columns.len() == 1
                    && i.columns[0].eq_ignore_ascii_case("id")
            })
            .map(|i| i.columns[0].clone()),
        _ => None,
    }
}

#[derive(PartialEq, Clone, Copy)]
enum Affinity {
    Integer,
    Text,
    Blob,
    Real,
    Numeric,
}

/// SQLite's affinity rules for a declared type.
fn affinity(decl: &str) -> Affinity {
    let t = decl.to_ascii_uppercase();
    if t.contains("INT") {
        Affinity::Integer
    } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
        Affinity::Text
    } else if t.contains("BLOB") || t.is_empty() {
        Affinity::Blob
    } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
        Affinity::Real
    } else {
        Affinity::Numeric
    }
}

fn compatible(a: &Column, b: &Column) -> bool {
    use Affinity::*;
    match (affinity(&a.decl_type), affinity(&b.decl_type)) {
        (Blob, _) | (_, Blob) => true,
        (Text, Text) => true,
        (Text, _) | (_, Text) => false,
        _ => true,
    }
}

fn candidates(schema: &Schema, declared: &[Relation]) -> Vec<Relation> {
    let covered = |t: &str, c: &str| {
        declared.iter().any(|r| {
            r.child.eq_ignore_ascii_case(t) && r.columns.iter().any(|x| x.eq_ignore_ascii_case(c))
        })
    };
    let mut out = Vec::new();
    for child in schema.tables.iter().filter(|t| t.kind == TableKind::Table) {
        for col in &child.columns {
            if covered(&child.name, &col.name) {
                continue;
            }
            let Some(base) = reference_base(&col.name) else {
                continue;
            };
            let Some(parent) = parent_table(schema, child, &base) else {
                continue;
            };
            let Some(key) = parent_key(schema, parent) else {
                continue;
            };
            let Some(key_col) = parent.column(&key) else {
                continue;
            };
            if (parent.name == child.name && key.eq_ignore_ascii_case(&col.name))
                || !compatible(col, key_col)
            {
                continue;
            }
            let why = format!(
                "{} is named like a reference to {}, whose key is {}",
                col.name, parent.name, key
            );
            out.push(new_relation(
                schema,
                child,
                vec![col.name.clone()],
                &parent.name,
                vec![key],
                false,
                why,
            ));
        }
    }
    out
}

/// The evidence an inferred relation needs: most of its values match a parent key.
fn evidence(rel: &Relation) -> Option<String> {
    let checked = rel.checked?;
    let orphans = rel.orphans?;
    if checked == 0 {
        return None;
    }
    let share = (checked - orphans) as f64 / checked as f64;
    (share >= INFER_MIN_MATCH).then(|| format!("{:.1}% of {} values match", share * 100.0, checked))
}

/// A key value normalised the way SQLite compares a child value against its parent column,
/// borrowing the row's bytes so that a lookup allocates nothing.
#[derive(Hash, PartialEq, Eq, Clone, Copy, Debug)]
enum KeyRef<'a> {
    Int(i64),
    Real(u64),
    Text(&'a [u8]),
    Blob(&'a [u8]),
}

/// An owned key, for parent key sets of mixed types and for composite keys.
#[derive(Hash, PartialEq, Eq, Clone, Debug)]
enum Key {
    Int(i64),
    Real(u64),
    Text(Vec<u8>),
    Blob(Vec<u8>),
    Tuple(Vec<Key>),
}

impl KeyRef<'_> {
    fn owned(self) -> Key {
        match self {
            KeyRef::Int(i) => Key::Int(i),
            KeyRef::Real(r) => Key::Real(r),
            KeyRef::Text(t) => Key::Text(t.to_vec()),
            KeyRef::Blob(b) => Key::Blob(b.to_vec()),
        }
    }
}

fn to_key(v: ValueRef<'_>, parent: Affinity) -> Option<KeyRef<'_>> {
    let numeric = matches!(
        parent,
        Affinity::Integer | Affinity::Real | Affinity::Numeric
    );
    Some(match v {
        ValueRef::Null => return None,
        ValueRef::Integer(i) => KeyRef::Int(i),
        ValueRef::Real(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => KeyRef::Int(f as i64),
        ValueRef::Real(f) => KeyRef::Real(f.to_bits()),
        ValueRef::Text(t) if numeric => {
            let s = std::str::from_utf8(t).unwrap_or_default().trim();
            match (s.parse::<i64>(), s.parse::<f64>()) {
                (Ok(i), _) => KeyRef::Int(i),
                (_, Ok(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => KeyRef::Int(f as i64),
                (_, Ok(f)) => KeyRef::Real(f.to_bits()),
                _ => KeyRef::Text(t),
            }
        }
        ValueRef::Text(t) => KeyRef::Text(t),
        ValueRef::Blob(b) => KeyRef::Blob(b),
    })
}

/// What a row's key columns hold: one value, or a composite key.
enum Probe<'a> {
    One(KeyRef<'a>),
    Tuple(Key),
}

/// The key in `cols` of `row`, or `None` when any part is NULL (SQLite does not check those).
fn key_at<'r>(
    row: &'r Row,
    cols: &[usize],
    aff: &[Affinity],
) -> rusqlite::Result<Option<Probe<'r>>> {
    if let ([col], [a]) = (cols, aff) {
        return Ok(to_key(row.get_ref(*col)?, *a).map(Probe::One));
    }
    let mut parts = Vec::with_capacity(cols.len());
    for (c, a) in cols.iter().zip(aff) {
        match to_key(row.get_ref(*c)?, *a) {
            Some(k) => parts.push(k.owned()),
            None => return Ok(None),
        }
    }
    Ok(Some(Probe::Tuple(Key::Tuple(parts))))
}

fn json_value(v: ValueRef<'_>) -> serde_json::Value {
    match v {
        ValueRef::Null => serde_json::Value::Null,
        ValueRef::Integer(i) => i.into(),
        ValueRef::Real(f) => f.into(),
        ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned().into(),
        ValueRef::Blob(b) => format!("<blob {} bytes>", b.len()).into(),
    }
}

/// A parent's keys, shaped for fast lookups: integer keys (the common INTEGER PRIMARY KEY) as a
/// bitmap when dense, a hash set of integers when sparse, text keys as a set of byte strings
/// (probed without allocating), anything else as a set of owned keys.
enum KeySet {
    Dense { min: i64, bits: Vec<u64> },
    Ints(FxHashSet<i64>),
    Texts(FxHashSet<Box<[u8]>>),
    Keys(FxHashSet<Key>),
}

impl KeySet {
    fn build(keys: Vec<Key>) -> KeySet {
        if keys.iter().all(|k| matches!(k, Key::Text(_))) && !keys.is_empty() {
            let texts = keys.into_iter().map(|k| match k {
                Key::Text(t) => t.into_boxed_slice(),
                _ => unreachable!("all text, checked above"),
            });
            return KeySet::Texts(texts.collect());
        }
        let ints: Option<Vec<i64>> = keys
            .iter()
            .map(|k| match k {
                Key::Int(i) => Some(*i),
                _ => None,
            })
            .collect();
        let Some(ints) = ints else {
            return KeySet::Keys(keys.into_iter().collect());
        };
        let (min, max) = (
            ints.iter().copied().min().unwrap_or(0),
            ints.iter().copied().max().unwrap_or(0),
        );
        let span = (max as i128 - min as i128 + 1) as u128;
        // A bitmap costs a bit per value in the range: worth it while that stays near a byte a key.
        if span <= 8 * ints.len() as u128 + 4096 {
            let mut bits = vec![0u64; (span as usize).div_ceil(64)];
            for i in ints {
                let at = (i - min) as usize;
                bits[at / 64] |= 1 << (at % 64);
            }
            KeySet::Dense { min, bits }
        } else {
            KeySet::Ints(ints.into_iter().collect())
        }
    }

    fn contains(&self, probe: &Probe) -> bool {
        match (self, probe) {
            (KeySet::Dense { min, bits }, Probe::One(KeyRef::Int(i))) => {
                let Some(at) = i.checked_sub(*min).filter(|d| *d >= 0) else {
                    return false;
                };
                let at = at as u64;
                bits.get((at / 64) as usize)
                    .is_some_and(|w| w & (1 << (at % 64)) != 0)
            }
            (KeySet::Ints(set), Probe::One(KeyRef::Int(i))) => set.contains(i),
            (KeySet::Texts(set), Probe::One(KeyRef::Text(t))) => set.contains(*t),
            (KeySet::Keys(set), Probe::One(k)) => set.contains(&k.owned()),
            (KeySet::Keys(set), Probe::Tuple(k)) => set.contains(k),
            _ => false,
        }
    }
}

/// One relation being counted during its child table's scan.
struct Check {
    rel: usize,
    /// Positions of the key columns in the scan's result.
    cols: Vec<usize>,
    aff: Vec<Affinity>,
    keys: Rc<KeySet>,
    /// Taken before the parent keys were read.
    since: Snapshot,
    orphans: u64,
    nulls: u64,
    checked: u64,
    sample: Vec<Sample>,
}

/// What every count of a relation pass shares.
struct Pass<'a> {
    conn: &'a Conn,
    pace: Pace,
    /// Time allowed per child table.
    budget: Duration,
    sample: usize,
    /// Parent keys held in memory before falling back to a join, and kept for reuse in all.
    max_keys: u64,
    kept: RefCell<KeptKeys>,
}

/// Parent key sets already read, by parent table and columns, with the snapshot each was read
/// after, and how many keys they hold in all.
#[derive(Default)]
struct KeptKeys {
    sets: HashMap<(String, Vec<String>), (Rc<KeySet>, Snapshot)>,
    keys: u64,
}

/// Counts every relation of one child table in a single pass over it.
fn count_child(pass: &Pass, schema: &Schema, rels: &mut [Relation], members: &[usize]) {
    let Some(child) = schema.table(&rels[members[0]].child) else {
        return;
    };
    let deadline = Instant::now() + pass.budget;
    let result = count_members(pass, schema, child, rels, members, deadline);
    let failure = match result {
        Ok((checks, snapshot)) => {
            let one_snapshot =
                snapshot.held(pass.conn) && checks.iter().all(|c| c.since.held(pass.conn));
            for c in checks {
                let rel = &mut rels[c.rel];
                (rel.orphans, rel.nulls, rel.checked, rel.sample) =
                    (Some(c.orphans), Some(c.nulls), Some(c.checked), c.sample);
            }
            for &i in members {
                rels[i].one_snapshot = one_snapshot;
            }
            return;
        }
        Err(stopped) => stopped.describe("counting", pass.budget),
    };
    for &i in members {
        let rel = &mut rels[i];
        (rel.orphans, rel.nulls, rel.checked) = (None, None, None);
        rel.error.get_or_insert_with(|| failure.clone());
    }
}

/// Reads each relation's parent keys (or joins, where they do not fit in memory), then the
/// child table once for all of them; also returns the snapshot taken before the first read.
fn count_members(
    pass: &Pass,
    schema: &Schema,
    child: &Table,
    rels: &mut [Relation],
    members: &[usize],
    deadline: Instant,
) -> Result<(Vec<Check>, Snapshot), Stopped> {
    let snapshot = Snapshot::take(pass.conn);
    let mut columns: Vec<String> = Vec::new();
    let mut checks = Vec::new();
    for &i in members {
        let rel = &mut rels[i];
        let Some(parent) = schema.table(&rel.parent) else {
            rel.error = Some(format!("no such table: {}", rel.parent));
            continue;
        };
        let aff: Vec<Affinity> = rel
            .parent_columns
            .iter()
            .map(|c| {
                parent
                    .column(c)
                    .map_or(Affinity::Blob, |c| affinity(&c.decl_type))
            })
            .collect();
        match kept_parent_keys(pass, parent, rel, &aff, deadline)? {
            Some((keys, since)) => {
                let cols = rel
                    .columns
                    .iter()
                    .map(|c| position(&mut columns, c))
                    .collect();
                checks.push(Check {
                    rel: i,
                    cols,
                    aff,
                    keys,
                    since,
                    orphans: 0,
                    nulls: 0,
                    checked: 0,
                    sample: Vec::new(),
                });
            }
            None => join_count(pass, schema, child, rel, deadline)?,
        }
    }
    if !checks.is_empty() {
        scan_children(pass, child, &columns, &mut checks, deadline)?;
    }
    Ok((checks, snapshot))
}

/// Index of `name` in `columns`, adding it when new (1-based: column 0 is the rowid).
fn position(columns: &mut Vec<String>, name: &str) -> usize {
    let at = columns.iter().position(|c| c == name).unwrap_or_else(|| {
        columns.push(name.to_string());
        columns.len() - 1
    });
    at + 1
}

/// `c."name"` for each of `names`: columns of the table a [`Scan`] reads, aliased `c`.
fn on_c(names: &[String]) -> impl Iterator<Item = String> + '_ {
    names.iter().map(|n| format!("c.{}", ident(n)))
}

/// The parent's keys as kept from an earlier child, or read now (and kept while the total
/// allows), with the snapshot taken before they were read; `None` when there are more than
/// `pass.max_keys`.
fn kept_parent_keys(
    pass: &Pass,
    parent: &Table,
    rel: &Relation,
    aff: &[Affinity],
    deadline: Instant,
) -> Result<Option<(Rc<KeySet>, Snapshot)>, Stopped> {
    let id = (parent.name.clone(), rel.parent_columns.clone());
    if let Some((keys, since)) = pass.kept.borrow().sets.get(&id) {
        return Ok(Some((keys.clone(), since.clone())));
    }
    let since = Snapshot::take(pass.conn);
    let Some((keys, count)) = parent_keys(pass, parent, rel, aff, deadline)? else {
        return Ok(None);
    };
    let keys = Rc::new(keys);
    let mut kept = pass.kept.borrow_mut();
    if kept.keys + count <= pass.max_keys {
        kept.keys += count;
        kept.sets.insert(id, (keys.clone(), since.clone()));
    }
    Ok(Some((keys, since)))
}

/// The parent's keys and how many, or `None` when there are more than `pass.max_keys`.
fn parent_keys(
    pass: &Pass,
    parent: &Table,
    rel: &Relation,
    aff: &[Affinity],
    deadline: Instant,
) -> Result<Option<(KeySet, u64)>, Stopped> {
    let cols: Vec<usize> = (0..aff.len()).collect();
    let mut keys = Vec::new();
    let mut too_many = false;
    let mut collect = |row: &Row| {
        if keys.len() as u64 >= pass.max_keys {
            too_many = true;
            return Ok(ControlFlow::Break(()));
        }
        match key_at(row, &cols, aff)? {
            Some(Probe::One(k)) => keys.push(k.owned()),
            Some(Probe::Tuple(k)) => keys.push(k),
            None => {}
        }
        Ok(ControlFlow::Continue(()))
    };
    let extra: Vec<String> = on_c(&rel.parent_columns).collect();
    let mut scan = Scan::new(parent, &extra, &mut collect)?;
    slices::run(pass.conn, pass.pace, deadline, &mut scan)?;
    let count = keys.len() as u64;
    Ok((!too_many).then(|| (KeySet::build(keys), count)))
}

fn scan_children(
    pass: &Pass,
    child: &Table,
    columns: &[String],
    checks: &mut [Check],
    deadline: Instant,
) -> Result<(), Stopped> {
    let rowid = if child.without_rowid { "NULL" } else { "rowid" };
    let extra: Vec<String> = std::iter::once(rowid.to_string())
        .chain(on_c(columns))
        .collect();
    let mut check = |row: &Row| {
        for c in checks.iter_mut() {
            let Some(key) = key_at(row, &c.cols, &c.aff)? else {
                c.nulls += 1;
                continue;
            };
            c.checked += 1;
            if !c.keys.contains(&key) {
                c.orphans += 1;
                if c.sample.len() < pass.sample {
                    c.sample.push(sample_at(row, &c.cols)?);
                }
            }
        }
        Ok(ControlFlow::Continue(()))
    };
    let mut scan = Scan::new(child, &extra, &mut check)?;
    slices::run(pass.conn, pass.pace, deadline, &mut scan)
}

/// The sample of an orphan row whose rowid is column 0 and key columns are `cols`.
fn sample_at(row: &Row, cols: &[usize]) -> rusqlite::Result<Sample> {
    let values = cols
        .iter()
        .map(|&i| row.get_ref(i).map(json_value))
        .collect::<rusqlite::Result<_>>()?;
    Ok(Sample {
        rowid: row.get(0)?,
        values,
    })
}

fn key_conditions(rel: &Relation, child: &str, parent: &str) -> (String, String) {
    let not_null = rel
        .columns
        .iter()
        .map(|c| format!("{child}.{} IS NOT NULL", ident(c)))
        .collect::<Vec<_>>()
        .join(" AND ");
    let joined = rel
        .columns
        .iter()
        .zip(&rel.parent_columns)
        .map(|(c, p)| format!("{parent}.{} = {child}.{}", ident(p), ident(c)))
        .collect::<Vec<_>>()
        .join(" AND ");
    (not_null, joined)
}

/// The fallback when parent keys do not fit in memory: a join, in one statement or per slice of
/// child rows.
fn join_count(
    pass: &Pass,
    schema: &Schema,
    child: &Table,
    rel: &mut Relation,
    deadline: Instant,
) -> Result<(), Stopped> {
    match pass.pace {
        Pace::Whole => {
            let left = deadline.saturating_duration_since(Instant::now());
            let joined = pass
                .conn
                .with_budget(left, |db| join_whole(db, rel, pass.sample));
            joined?.ok_or(Stopped::OutOfTime)
        }
        Pace::Slices if parent_indexed(schema, rel) => join_in_slices(pass, child, rel, deadline),
        Pace::Slices => {
            rel.error = Some(format!(
                "not counted: {} has over {} keys and no index on ({}), so a join would hold the \
                 read lock of this rollback-journal database for a whole pass; an index on them \
                 would let litescope count in short slices",
                rel.parent,
                pass.max_keys,
                rel.parent_columns.join(", ")
            ));
            Ok(())
        }
    }
}

/// True when SQLite finds a parent key by the rowid or an index, so that a slice of the join
/// costs only its own child rows.
fn parent_indexed(schema: &Schema, rel: &Relation) -> bool {
    let Some(parent) = schema.table(&rel.parent) else {
        return false;
    };
    let n = rel.parent_columns.len();
    let wanted = |c: &String| rel.parent_columns.iter().any(|p| p.eq_ignore_ascii_case(c));
    let rowid_alias = !parent.without_rowid
        && matches!(parent.primary_key().as_slice(), [pk] if n == 1 && wanted(pk)
            && parent.column(pk).is_some_and(|c| c.decl_type.eq_ignore_ascii_case("INTEGER")));
    rowid_alias
        || schema
            .indexes_of(&parent.name)
            .any(|i| !i.partial && i.columns.len() >= n && i.columns[..n].iter().all(wanted))
}

/// The join per slice of child rows: for each, whether its key is NULL, and whether a parent
/// row has it (`NOT EXISTS`, one index lookup).
fn join_in_slices(
    pass: &Pass,
    child: &Table,
    rel: &mut Relation,
    deadline: Instant,
) -> Result<(), Stopped> {
    let (_, on) = key_conditions(rel, "c", "p");
    let missing = format!(
        "NOT EXISTS (SELECT 1 FROM main.{} AS p WHERE {on})",
        ident(&rel.parent)
    );
    let rowid = if child.without_rowid { "NULL" } else { "rowid" };
    let extra: Vec<String> = std::iter::once(rowid.to_string())
        .chain(on_c(&rel.columns))
        .chain([missing])
        .collect();
    let cols: Vec<usize> = (1..=rel.columns.len()).collect();
    let (mut orphans, mut nulls, mut checked, mut sample) = (0, 0, 0, Vec::new());
    let mut tally = |row: &Row| {
        if cols
            .iter()
            .any(|&i| matches!(row.get_ref(i), Ok(ValueRef::Null)))
        {
            nulls += 1;
            return Ok(ControlFlow::Continue(()));
        }
        checked += 1;
        if row.get::<_, bool>(cols.len() + 1)? {
            orphans += 1;
            if sample.len() < pass.sample {
                sample.push(sample_at(row, &cols)?);
            }
        }
        Ok(ControlFlow::Continue(()))
    };
    let mut scan = Scan::new(child, &extra, &mut tally)?;
    slices::run(pass.conn, pass.pace, deadline, &mut scan)?;
    (rel.orphans, rel.nulls, rel.checked) = (Some(orphans), Some(nulls), Some(checked));
    rel.sample = sample;
    Ok(())
}

/// The join in one statement per figure: SQLite builds an automatic index when the parent has
/// none.
fn join_whole(db: &Connection, rel: &mut Relation, sample: usize) -> rusqlite::Result<()> {
    let (not_null, _) = key_conditions(rel, "c", "p");
    let from = orphans_from(rel, "main.");
    let total: i64 = db.query_row(
        &format!("SELECT count(*) FROM main.{}", ident(&rel.child)),
        [],
        |r| r.get(0),
    )?;
    let orphans: i64 = db.query_row(&format!("SELECT count(*) {from}"), [], |r| r.get(0))?;
    let checked: i64 = db.query_row(
        &format!(
            "SELECT count(*) FROM main.{} AS c WHERE {not_null}",
            ident(&rel.child)
        ),
        [],
        |r| r.get(0),
    )?;
    let mut stmt = db.prepare(&format!(
        "SELECT c.rowid, {} {from} LIMIT {sample}",
        rel.columns
            .iter()
            .map(|c| format!("c.{}", ident(c)))
            .collect::<Vec<_>>()
            .join(", ")
    ))?;
    let n = rel.columns.len();
    rel.sample = stmt
        .query_map([], |r| {
            Ok(Sample {
                rowid: r.get(0).ok(),
                values: (1..=n)
                    .map(|i| r.get_ref(i).map(json_value))
                    .collect::<rusqlite::Result<_>>()?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    rel.orphans = Some(orphans as u64);
    rel.checked = Some(checked as u64);
    rel.nulls = Some((total - checked) as u64);
    Ok(())
}

/// `FROM … WHERE …` selecting the orphans of `rel` as `c`, by a LEFT JOIN: SQLite builds an
/// automatic index when the parent column has none, where `NOT EXISTS` would scan every parent
/// for each child.
fn orphans_from(rel: &Relation, schema: &str) -> String {
    let (not_null, on) = key_conditions(rel, "c", "p");
    let first_parent = format!("p.{}", ident(&rel.parent_columns[0]));
    format!(
        "FROM {schema}{} AS c LEFT JOIN {schema}{} AS p ON {on} WHERE {not_null} AND {first_parent} IS NULL",
        ident(&rel.child),
        ident(&rel.parent)
    )
}

/// `UPDATE … SET col = NULL` where the key columns may be NULL, otherwise `DELETE`; rows are
/// picked by rowid, or by primary key in a WITHOUT ROWID table.
fn clean_fix(child: &Table, rel: &Relation) -> String {
    let key: Vec<String> = if child.without_rowid {
        child.primary_key()
    } else {
        vec!["rowid".into()]
    };
    let quoted: Vec<String> = key
        .iter()
        .map(|k| if k == "rowid" { k.clone() } else { ident(k) })
        .collect();
    let (list, picked) = (
        format!("({})", quoted.join(", ")),
        quoted
            .iter()
            .map(|k| format!("c.{k}"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    let missing = format!("{list} IN (SELECT {picked} {})", orphans_from(rel, ""));
    let nullable = rel
        .columns
        .iter()
        .all(|c| child.column(c).is_some_and(|c| !c.notnull && c.pk == 0));
    if nullable {
        let sets = rel
            .columns
            .iter()
            .map(|c| format!("{} = NULL", ident(c)))
            .collect::<Vec<_>>()
            .join(", ");
        format!("UPDATE {} SET {sets} WHERE {missing};", ident(&rel.child))
    } else {
        format!("DELETE FROM {} WHERE {missing};", ident(&rel.child))
    }
}

/// The table rebuild that adds the FOREIGN KEY (SQLite's ALTER TABLE cannot).
fn declare_fix(schema: &Schema, child: &Table, rel: &Relation) -> Option<String> {
    let sql = child.sql.as_deref()?;
    let open = sql.find('(')?;
    let close = sql.rfind(')')?;
    let temp = format!("{}_new", child.name);
    let fk = format!(
        ",\n  FOREIGN KEY ({}) REFERENCES {}({})",
        ident_list(&rel.columns),
        ident(&rel.parent),
        ident_list(&rel.parent_columns)
    );
    let create = format!(
        "CREATE TABLE {} {}{fk}{}",
        ident(&temp),
        &sql[open..close],
        &sql[close..]
    );
    let mut out = vec![
        "PRAGMA foreign_keys = OFF;".to_string(),
        "BEGIN;".into(),
        format!("{create};"),
        format!(
            "INSERT INTO {} SELECT * FROM {};",
            ident(&temp),
            ident(&child.name)
        ),
        format!("DROP TABLE {};", ident(&child.name)),
        format!(
            "ALTER TABLE {} RENAME TO {};",
            ident(&temp),
            ident(&child.name)
        ),
    ];
    out.extend(
        schema
            .indexes_of(&child.name)
            .filter_map(|i| i.sql.as_ref().map(|s| format!("{s};"))),
    );
    out.push(format!("PRAGMA foreign_key_check({});", ident(&child.name)));
    out.push("COMMIT;".into());
    out.push("PRAGMA foreign_keys = ON;".into());
    Some(out.join("\n"))
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
