//! Inferring relations nobody declared: a column named like a table's key (`user_id` → `users`),
//! of a compatible type, kept only when most of its values match a parent key.

use std::collections::HashSet;

use super::*;

/// The base name a column refers to: `user_id`, `userId`, `UserID` → `user`.
pub(super) fn reference_base(column: &str) -> Option<String> {
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
pub(super) fn parent_table<'a>(
    schema: &'a Schema,
    child: &'a Table,
    base: &str,
) -> Option<&'a Table> {
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
    let squashed = [format!("{squashed}s"), squashed];
    names
        .iter()
        .chain(&squashed)
        .filter(|n| !n.is_empty())
        .filter_map(|n| schema.table(n))
        .find(|t| t.kind == TableKind::Table)
}

/// The parent's single-column key: its primary key, else a column named `id` under a UNIQUE index.
pub(super) fn parent_key(schema: &Schema, parent: &Table) -> Option<String> {
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
            .map(|i| i.columns[0].to_string()),
        _ => None,
    }
}

#[derive(PartialEq, Clone, Copy)]
pub(super) enum Affinity {
    Integer,
    Text,
    Blob,
    Real,
    Numeric,
}

/// SQLite's affinity rules for a declared type.
pub(super) fn affinity(decl: &str) -> Affinity {
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

pub(super) fn compatible(a: &Column, b: &Column) -> bool {
    use Affinity::*;
    match (affinity(&a.decl_type), affinity(&b.decl_type)) {
        (Blob, _) | (_, Blob) => true,
        (Text, Text) => true,
        (Text, _) | (_, Text) => false,
        _ => true,
    }
}

pub(super) fn candidates(schema: &Schema, declared: &[Relation]) -> Vec<Relation> {
    let declared: HashSet<(String, String)> = declared
        .iter()
        .flat_map(|r| r.columns.iter().map(|c| (r.child.as_str(), c.as_str())))
        .map(|(t, c)| (t.to_ascii_lowercase(), c.to_ascii_lowercase()))
        .collect();
    let covered =
        |t: &str, c: &str| declared.contains(&(t.to_ascii_lowercase(), c.to_ascii_lowercase()));
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
                child,
                vec![col.name.clone()],
                &parent.name,
                vec![key.into()],
                false,
                why.into(),
            ));
        }
    }
    out
}

/// The evidence an inferred relation needs: most of its values match a parent key.
pub(super) fn evidence(rel: &Relation) -> Option<String> {
    let checked = rel.checked?;
    let orphans = rel.orphans?;
    if checked == 0 {
        return None;
    }
    let share = (checked - orphans) as f64 / checked as f64;
    (share >= INFER_MIN_MATCH).then(|| format!("{:.1}% of {} values match", share * 100.0, checked))
}
