//! Relations between tables, declared and inferred, and the orphaned rows of each.
//!
//! Counting reads each parent's keys once into memory (a bitmap for dense integer keys such as
//! an INTEGER PRIMARY KEY, a hash set otherwise), then reads each child table once, checking all
//! of its relations in that one pass: the cost is linear in both tables whether or not the parent
//! column is indexed.
//! `PRAGMA foreign_key_check` and `NOT EXISTS` instead do one B-tree search per child row (and
//! `NOT EXISTS` without a parent index scans all parents per child). Parent keys are held in
//! memory up to [`MAX_PARENT_KEYS`]; beyond that the count falls back to a `LEFT JOIN`, for
//! which SQLite builds an automatic index when the parent has none.
//!
//! Values are compared as SQLite compares them for a foreign key: the parent column's affinity
//! is applied to the child value, so `'5'` matches `5` in an INTEGER parent.

use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, Row};
use rustc_hash::FxHashSet;
use serde::Serialize;

use super::connect::Conn;
use super::quote::{ident, ident_list};
use super::schema::{Column, Schema, Table, TableKind};

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
    for child in children(&rels) {
        progress(done, total);
        let members: Vec<usize> = (0..rels.len())
            .filter(|&i| rels[i].child == child)
            .collect();
        count_child(conn, schema, &mut rels, &members, budget, sample);
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
    keys: KeySet,
    orphans: u64,
    nulls: u64,
    checked: u64,
    sample: Vec<Sample>,
}

/// Counts every relation of one child table in a single pass over it.
fn count_child(
    conn: &Conn,
    schema: &Schema,
    rels: &mut [Relation],
    members: &[usize],
    budget: Duration,
    sample: usize,
) {
    let Some(child) = schema.table(&rels[members[0]].child) else {
        return;
    };
    let mut columns: Vec<String> = Vec::new();
    let mut checks = Vec::new();
    let result = conn.with_budget(budget, |db| {
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
            match parent_keys(db, rel, &aff)? {
                Some(keys) => {
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
                        orphans: 0,
                        nulls: 0,
                        checked: 0,
                        sample: Vec::new(),
                    });
                }
                None => join_count(db, rel, sample)?,
            }
        }
        if !checks.is_empty() {
            scan_children(db, child, &columns, &mut checks, sample)?;
        }
        Ok(())
    });
    for c in checks {
        let rel = &mut rels[c.rel];
        (rel.orphans, rel.nulls, rel.checked, rel.sample) =
            (Some(c.orphans), Some(c.nulls), Some(c.checked), c.sample);
    }
    let failure = match result {
        Ok(Some(())) => return,
        Ok(None) => format!("counting did not finish within {}s", budget.as_secs()),
        Err(e) => e.to_string(),
    };
    for &i in members {
        let rel = &mut rels[i];
        (rel.orphans, rel.nulls, rel.checked) = (None, None, None);
        rel.error.get_or_insert_with(|| failure.clone());
    }
}

/// Index of `name` in `columns`, adding it when new (1-based: column 0 is the rowid).
fn position(columns: &mut Vec<String>, name: &str) -> usize {
    let at = columns.iter().position(|c| c == name).unwrap_or_else(|| {
        columns.push(name.to_string());
        columns.len() - 1
    });
    at + 1
}

/// The parent's keys, or `None` when there are more than [`MAX_PARENT_KEYS`].
fn parent_keys(
    db: &Connection,
    rel: &Relation,
    aff: &[Affinity],
) -> rusqlite::Result<Option<KeySet>> {
    let sql = format!(
        "SELECT {} FROM main.{}",
        ident_list(&rel.parent_columns),
        ident(&rel.parent)
    );
    let mut stmt = db.prepare(&sql)?;
    let mut rows = stmt.query([])?;
    let cols: Vec<usize> = (0..aff.len()).collect();
    let mut keys = Vec::new();
    while let Some(row) = rows.next()? {
        if keys.len() as u64 >= MAX_PARENT_KEYS {
            return Ok(None);
        }
        match key_at(row, &cols, aff)? {
            Some(Probe::One(k)) => keys.push(k.owned()),
            Some(Probe::Tuple(k)) => keys.push(k),
            None => {}
        }
    }
    Ok(Some(KeySet::build(keys)))
}

fn scan_children(
    db: &Connection,
    child: &Table,
    columns: &[String],
    checks: &mut [Check],
    sample: usize,
) -> rusqlite::Result<()> {
    let rowid = if child.without_rowid { "NULL" } else { "rowid" };
    let sql = format!(
        "SELECT {rowid}, {} FROM main.{}",
        ident_list(columns),
        ident(&child.name)
    );
    let mut stmt = db.prepare(&sql)?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        for c in checks.iter_mut() {
            let Some(key) = key_at(row, &c.cols, &c.aff)? else {
                c.nulls += 1;
                continue;
            };
            c.checked += 1;
            if !c.keys.contains(&key) {
                c.orphans += 1;
                if c.sample.len() < sample {
                    let values = c
                        .cols
                        .iter()
                        .map(|&i| row.get_ref(i).map(json_value))
                        .collect::<rusqlite::Result<_>>()?;
                    c.sample.push(Sample {
                        rowid: row.get(0)?,
                        values,
                    });
                }
            }
        }
    }
    Ok(())
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

/// The fallback when parent keys do not fit in memory.
fn join_count(db: &Connection, rel: &mut Relation, sample: usize) -> rusqlite::Result<()> {
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
