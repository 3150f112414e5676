//! Counting a relation whose parent keys do not fit in memory by SQLite's own plan, where the
//! child's key columns lead an index: `NOT EXISTS` reads that index, a fraction of the table's
//! bytes, and looks each key up in the parent's key index. Where keys fit, probing them in memory
//! while reading the same index is cheaper (a hash or bitmap probe against a B-tree search per
//! row: on `messages.conversation_id` of the benchmark's application database, 3.8M rows, the
//! search alone takes 2 s), so this only replaces the join.
//!
//! Used only where a read may last as long as it needs (WAL mode, immutable files): the statements
//! cannot be resumed part-way.

use super::*;

/// True when `rel` may be counted by index: its columns lead an index of the child, the parent's
/// columns are found by index or rowid, and `p.key = c.col` compares
/// values as a foreign key does (`aff` holds the parent columns' affinities).
pub(super) fn indexable(
    schema: &Schema,
    child: &Table,
    parent: &Table,
    rel: &Relation,
    aff: &[Affinity],
) -> bool {
    let compares_alike = rel.columns.iter().zip(aff).all(|(c, &p)| {
        let c = child
            .column(c)
            .map_or(Affinity::Blob, |c| affinity(&c.decl_type));
        applies_parent_affinity(p, c)
    });
    compares_alike
        && an_index_leads(schema, child, &rel.columns)
        && leads_an_index(schema, parent, &rel.parent_columns)
}

/// True when SQL's `=` between a parent column of affinity `parent` and a child column of affinity
/// `child` converts values as a foreign key check does (the parent's affinity applied to the child
/// value): always when both agree, or when the parent's is numeric, or a TEXT parent against a
/// child with none. Otherwise SQL would convert the parent's value instead.
fn applies_parent_affinity(parent: Affinity, child: Affinity) -> bool {
    let numeric = |a| matches!(a, Affinity::Integer | Affinity::Real | Affinity::Numeric);
    parent == child || numeric(parent) || (parent == Affinity::Text && child == Affinity::Blob)
}

/// Counts `rel` by index within `deadline`; false (nothing counted) when SQLite's plan would not
/// look parent keys up by index, so that the caller counts another way.
pub(super) fn index_count(
    pass: &Pass,
    child: &Table,
    rel: &mut Relation,
    deadline: Instant,
) -> Result<bool, Stopped> {
    let left = deadline.saturating_duration_since(Instant::now());
    let counted = pass
        .conn
        .with_budget(left, |db| count_by_index(db, child, rel, pass.sample))?;
    counted.ok_or(Stopped::OutOfTime)
}

/// The orphan rows (the first `sample` kept), then the rows with a complete key and those with a
/// NULL in it: each one statement that reads the child's index.
fn count_by_index(
    db: &Connection,
    child: &Table,
    rel: &mut Relation,
    sample: usize,
) -> rusqlite::Result<bool> {
    let (not_null, _) = key_conditions(rel, "c", "p");
    let from = format!("FROM main.{} AS c", ident(&rel.child));
    let orphans_sql = orphans_by_index_sql(child, rel);
    if !searches_parent(db, &orphans_sql)? {
        return Ok(false);
    }
    let cols: Vec<usize> = (1..=rel.columns.len()).collect();
    let (mut orphans, mut rows) = (0, Vec::new());
    let mut stmt = db.prepare(&orphans_sql)?;
    let mut found = stmt.query([])?;
    while let Some(row) = found.next()? {
        orphans += 1;
        if rows.len() < sample {
            rows.push(sample_at(row, &cols)?);
        }
    }
    let any_null = rel
        .columns
        .iter()
        .map(|c| format!("c.{} IS NULL", ident(c)))
        .collect::<Vec<_>>()
        .join(" OR ");
    let count = |filter: &str| -> rusqlite::Result<u64> {
        let sql = format!("SELECT count(*) {from} WHERE {filter}");
        Ok(db.query_row(&sql, [], |r| r.get::<_, i64>(0))?.max(0) as u64)
    };
    (rel.checked, rel.nulls) = (Some(count(&not_null)?), Some(count(&any_null)?));
    (rel.orphans, rel.sample) = (Some(orphans), rows);
    Ok(true)
}

/// The rowid (NULL in a WITHOUT ROWID table) and key of each orphan of `rel`, by `NOT EXISTS`:
/// SQLite reads the child's index and searches the parent's key for each entry.
pub(super) fn orphans_by_index_sql(child: &Table, rel: &Relation) -> String {
    let (not_null, on) = key_conditions(rel, "c", "p");
    let rowid = if child.without_rowid {
        "NULL"
    } else {
        "c.rowid"
    };
    format!(
        "SELECT {rowid}, {} FROM main.{} AS c WHERE {not_null} AND NOT EXISTS \
         (SELECT 1 FROM main.{} AS p WHERE {on})",
        on_c(&rel.columns).collect::<Vec<_>>().join(", "),
        ident(&rel.child),
        ident(&rel.parent)
    )
}

/// True when SQLite's plan for `sql` looks parent rows (`p`) up by a key rather than scanning
/// them, or building an automatic index, once per child row.
fn searches_parent(db: &Connection, sql: &str) -> rusqlite::Result<bool> {
    let mut stmt = db.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
    let details = stmt
        .query_map([], |r| r.get::<_, String>(3))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let searched = details.iter().any(|d| d.starts_with("SEARCH p "));
    Ok(searched && !details.iter().any(|d| d.contains("AUTOMATIC")))
}
