//! Relations between tables, declared and inferred, and the orphaned rows of each.
//!
//! Counting uses one pass over the parent keys into a hash set, then one pass over the child
//! columns, so the cost is linear in both tables whether or not the parent column is indexed.
//! `PRAGMA foreign_key_check` and `NOT EXISTS` instead do one B-tree search per child row (and
//! `NOT EXISTS` without a parent index scans all parents per child). Parent keys are held in
//! memory up to [`MAX_PARENT_KEYS`]; beyond that the count falls back to a `LEFT JOIN`, for
//! which SQLite builds an automatic index when the parent has none.
//!
//! Values are compared as SQLite compares them for a foreign key: the parent column's affinity
//! is applied to the child value, so `'5'` matches `5` in an INTEGER parent.

use std::collections::HashSet;
use std::time::Duration;

use rusqlite::types::Value;
use rusqlite::Connection;
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
    let mut rels = declared(schema);
    let candidates = candidates(schema, &rels);
    let total = rels.len() + candidates.len();
    for (i, rel) in rels.iter_mut().enumerate() {
        progress(i, total);
        count(conn, schema, rel, budget, sample);
    }
    for (i, mut rel) in candidates.into_iter().enumerate() {
        progress(rels.len() + i, total);
        count(conn, schema, &mut rel, budget, sample);
        if let Some(why) = evidence(&rel) {
            rel.why = format!("{}; {why}", rel.why);
            rels.push(rel);
        }
    }
    progress(total, total);
    rels
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

/// A key value normalised the way SQLite compares a child value against its parent column.
#[derive(Hash, PartialEq, Eq, Clone, Debug)]
enum Key {
    Int(i64),
    Real(u64),
    Text(Vec<u8>),
    Blob(Vec<u8>),
}

fn to_key(v: Value, parent: Affinity) -> Option<Key> {
    let numeric = matches!(
        parent,
        Affinity::Integer | Affinity::Real | Affinity::Numeric
    );
    Some(match v {
        Value::Null => return None,
        Value::Integer(i) => Key::Int(i),
        Value::Real(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Key::Int(f as i64),
        Value::Real(f) => Key::Real(f.to_bits()),
        Value::Text(s) if numeric => match (s.trim().parse::<i64>(), s.trim().parse::<f64>()) {
            (Ok(i), _) => Key::Int(i),
            (_, Ok(f)) => return to_key(Value::Real(f), Affinity::Blob),
            _ => Key::Text(s.into_bytes()),
        },
        Value::Text(s) => Key::Text(s.into_bytes()),
        Value::Blob(b) => Key::Blob(b),
    })
}

fn json_value(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Integer(i) => (*i).into(),
        Value::Real(f) => (*f).into(),
        Value::Text(s) => s.clone().into(),
        Value::Blob(b) => format!("<blob {} bytes>", b.len()).into(),
    }
}

fn count(conn: &Conn, schema: &Schema, rel: &mut Relation, budget: Duration, sample: usize) {
    let (Some(child), Some(parent)) = (schema.table(&rel.child), schema.table(&rel.parent)) else {
        rel.error = Some(format!("no such table: {}", rel.parent));
        return;
    };
    let affinities: Vec<Affinity> = rel
        .parent_columns
        .iter()
        .map(|c| {
            parent
                .column(c)
                .map_or(Affinity::Blob, |c| affinity(&c.decl_type))
        })
        .collect();
    let result = conn.with_budget(budget, |db| match parent_keys(db, rel, &affinities)? {
        Some(keys) => scan_children(db, child, rel, &affinities, &keys, sample),
        None => join_count(db, rel, sample),
    });
    match result {
        Ok(Some(())) => {}
        Ok(None) => {
            rel.error = Some(format!(
                "counting did not finish within {}s",
                budget.as_secs()
            ))
        }
        Err(e) => rel.error = Some(e.to_string()),
    }
}

type KeySet = HashSet<Vec<Key>>;

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
    let mut keys = KeySet::new();
    while let Some(row) = rows.next()? {
        if keys.len() as u64 >= MAX_PARENT_KEYS {
            return Ok(None);
        }
        let key: Option<Vec<Key>> = (0..aff.len())
            .map(|i| to_key(row.get::<_, Value>(i).ok()?, aff[i]))
            .collect();
        keys.extend(key);
    }
    Ok(Some(keys))
}

fn scan_children(
    db: &Connection,
    child: &Table,
    rel: &mut Relation,
    aff: &[Affinity],
    keys: &KeySet,
    sample: usize,
) -> rusqlite::Result<()> {
    let rowid = if child.without_rowid { "NULL" } else { "rowid" };
    let sql = format!(
        "SELECT {rowid}, {} FROM main.{}",
        ident_list(&rel.columns),
        ident(&rel.child)
    );
    let mut stmt = db.prepare(&sql)?;
    let mut rows = stmt.query([])?;
    let (mut orphans, mut nulls, mut checked) = (0u64, 0u64, 0u64);
    while let Some(row) = rows.next()? {
        let values: Vec<Value> = (1..=aff.len())
            .map(|i| row.get(i))
            .collect::<rusqlite::Result<_>>()?;
        let key: Option<Vec<Key>> = values
            .iter()
            .zip(aff)
            .map(|(v, a)| to_key(v.clone(), *a))
            .collect();
        let Some(key) = key else {
            nulls += 1;
            continue;
        };
        checked += 1;
        if !keys.contains(&key) {
            orphans += 1;
            if rel.sample.len() < sample {
                rel.sample.push(Sample {
                    rowid: row.get(0)?,
                    values: values.iter().map(json_value).collect(),
                });
            }
        }
    }
    (rel.orphans, rel.nulls, rel.checked) = (Some(orphans), Some(nulls), Some(checked));
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
    let (not_null, on) = key_conditions(rel, "c", "p");
    let first_parent = format!("p.{}", ident(&rel.parent_columns[0]));
    let from = format!(
        "FROM main.{} AS c LEFT JOIN main.{} AS p ON {on} WHERE {not_null} AND {first_parent} IS NULL",
        ident(&rel.child),
        ident(&rel.parent)
    );
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
                    .map(|i| r.get::<_, Value>(i).map(|v| json_value(&v)))
                    .collect::<rusqlite::Result<_>>()?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    rel.orphans = Some(orphans as u64);
    rel.checked = Some(checked as u64);
    rel.nulls = Some((total - checked) as u64);
    Ok(())
}

/// `UPDATE … SET col = NULL` where the key columns may be NULL, otherwise `DELETE`.
fn clean_fix(child: &Table, rel: &Relation) -> String {
    let (not_null, on) = key_conditions(rel, &ident(&rel.child), &ident(&rel.parent));
    let missing = format!(
        "{not_null} AND NOT EXISTS (SELECT 1 FROM {} WHERE {on})",
        ident(&rel.parent)
    );
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
    fn applies_the_parent_affinity_to_child_values() {
        assert_eq!(
            to_key(Value::Text("5".into()), Affinity::Integer),
            Some(Key::Int(5))
        );
        assert_eq!(
            to_key(Value::Text("5".into()), Affinity::Text),
            Some(Key::Text(b"5".to_vec()))
        );
        assert_eq!(
            to_key(Value::Real(3.0), Affinity::Integer),
            Some(Key::Int(3))
        );
        assert_eq!(to_key(Value::Null, Affinity::Integer), None);
    }
}
