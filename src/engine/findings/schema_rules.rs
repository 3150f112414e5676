//! Rules read off the schema model alone: foreign-key indexes, redundant indexes, statistics,
//! naming, migration tracking.

use super::Finding;
use crate::engine::database::Database;
use crate::engine::migrate;
use crate::engine::quote::{ident, ident_list};
use crate::engine::schema::{ForeignKey, Index, Schema, Table};
use crate::units;
use compact_str::CompactString;

/// `ANALYZE` starts to matter when the planner must choose between indexes on a table this big.
const STATS_MIN_ROWS: u64 = 10_000;

/// The tables whose fixes can be printed: the fixes name the table in SQL, which a name that is
/// not UTF-8 cannot be.
fn fixable_tables(db: &Database) -> impl Iterator<Item = &Table> {
    db.schema
        .tables
        .iter()
        .filter(|t| t.is_user_table() && t.queryable())
}

pub fn fk_missing_indexes(db: &Database) -> Vec<Finding> {
    fixable_tables(db)
        .flat_map(|t| t.foreign_keys.iter().map(move |fk| (t, fk)))
        .filter(|(t, fk)| !fk_is_indexed(&db.schema, t, fk))
        .map(|(t, fk)| fk_missing_index(db, t, fk))
        .collect()
}

pub fn redundant(db: &Database) -> Vec<Finding> {
    fixable_tables(db)
        .flat_map(|t| redundant_indexes(db, &t.name))
        .collect()
}

/// True when the FK's child columns lead some index in any order (what `sqlite3`'s
/// `.lint fkey-indexes` accepts), or the single column is the rowid alias.
pub fn fk_is_indexed(schema: &Schema, table: &Table, fk: &ForeignKey) -> bool {
    let want: Vec<CompactString> = fk.columns.iter().map(|c| c.to_ascii_lowercase()).collect();
    let leads = |cols: &[CompactString]| {
        cols.len() >= want.len()
            && want
                .iter()
                .all(|w| cols[..want.len()].iter().any(|c| c.eq_ignore_ascii_case(w)))
    };
    let rowid_alias = !table.without_rowid
        && want.len() == 1
        && table.primary_key().len() == 1
        && table.primary_key()[0].eq_ignore_ascii_case(&want[0])
        && table
            .column(&want[0])
            .is_some_and(|c| c.decl_type.eq_ignore_ascii_case("INTEGER"));
    rowid_alias
        || schema
            .indexes_of(&table.name)
            .any(|i| !i.partial && leads(&i.columns))
}

fn fk_missing_index(db: &Database, table: &Table, fk: &ForeignKey) -> Finding {
    let name = format!("idx_{}_{}", table.name, fk.columns.join("_"))
        .replace(|c: char| !c.is_alphanumeric() && c != '_', "_");
    Finding::new(
        "fk-missing-index",
        &db.path,
        format!("{}.{}", table.name, fk.columns.join(",")),
        format!(
            "{}({}) references {}({}) but no index starts with {}",
            table.name,
            fk.columns.join(", "),
            fk.parent,
            fk.parent_columns.join(", "),
            if fk.columns.len() == 1 {
                "that column"
            } else {
                "those columns"
            }
        ),
    )
    .fix(format!(
        "CREATE INDEX {} ON {}({});",
        ident(&name),
        ident(&table.name),
        ident_list(&fk.columns)
    ))
}

/// An index that could be dropped because it can be: made by CREATE INDEX, on whole rows, on
/// plain columns, not enforcing uniqueness.
fn droppable(i: &Index) -> bool {
    i.origin == "created" && !i.unique && !i.partial && !i.expression
}

fn redundant_indexes(db: &Database, table: &str) -> Vec<Finding> {
    let indexes: Vec<&Index> = db.schema.indexes_of(table).collect();
    let mut out = Vec::new();
    for a in indexes.iter().filter(|a| droppable(a)) {
        // The contract's rule: neither index may be unique, partial or on expressions.
        let covering = indexes.iter().find(|b| {
            b.name != a.name
                && !b.unique
                && !b.partial
                && !b.expression
                && b.columns.len() >= a.columns.len()
                && a.columns
                    .iter()
                    .zip(&b.columns)
                    .all(|(x, y)| x.eq_ignore_ascii_case(y))
                // Of two identical indexes, report the one whose name sorts last.
                && (b.columns.len() > a.columns.len() || b.name < a.name)
        });
        if let Some(b) = covering {
            out.push(
                Finding::new(
                    "index-redundant",
                    &db.path,
                    a.name.as_str(),
                    format!(
                        "{}({}) is a leading prefix of {}({})",
                        a.name,
                        a.columns.join(", "),
                        b.name,
                        b.columns.join(", ")
                    ),
                )
                .fix(format!("DROP INDEX {};", ident(&a.name))),
            );
        }
    }
    out
}

pub fn no_stats(db: &Database) -> Option<Finding> {
    if db.has_stat1 {
        return None;
    }
    let big = db.schema.tables.iter().find(|t| {
        t.rows.unwrap_or(0) >= STATS_MIN_ROWS && db.schema.indexes_of(&t.name).count() >= 2
    })?;
    Some(
        Finding::new(
            "no-stats",
            &db.path,
            &db.path,
            format!(
                "ANALYZE was never run; {} has {} rows and several indexes to choose from",
                big.name,
                units::rows(big.rows, big.rows_exact)
            ),
        )
        .fix("ANALYZE;   -- or PRAGMA optimize; at connection close"),
    )
}

/// The naming style of one identifier, when it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Snake,
    Camel,
    Pascal,
}

pub fn style_of(name: &str) -> Option<Style> {
    let has_upper = name.chars().any(|c| c.is_ascii_uppercase());
    let has_lower = name.chars().any(|c| c.is_ascii_lowercase());
    let first_upper = name.chars().next().is_some_and(|c| c.is_ascii_uppercase());
    match (name.contains('_'), has_upper, has_lower) {
        (true, false, true) => Some(Style::Snake),
        (false, true, true) if first_upper => Some(Style::Pascal),
        (false, true, true) => Some(Style::Camel),
        _ => None,
    }
}

/// Column names of the user's tables with their style, as `table.column`.
pub fn styled_columns(db: &Database) -> Vec<(Style, String)> {
    db.schema
        .tables
        .iter()
        .filter(|t| t.kind == crate::engine::schema::TableKind::Table)
        .flat_map(|t| {
            t.columns
                .iter()
                .filter_map(move |c| Some((style_of(&c.name)?, format!("{}.{}", t.name, c.name))))
        })
        .collect()
}

pub fn naming_mixed(db: &Database) -> Option<Finding> {
    let cols = styled_columns(db);
    let of = |s: Style| {
        cols.iter()
            .filter(|(st, _)| *st == s)
            .map(|(_, n)| n)
            .collect::<Vec<_>>()
    };
    let snake = of(Style::Snake);
    let mut camel = of(Style::Camel);
    camel.extend(of(Style::Pascal));
    if snake.is_empty() || camel.is_empty() {
        return None;
    }
    let minority = snake.len().min(camel.len()) as u64;
    Some(
        Finding::new(
            "naming-mixed",
            &db.path,
            camel[0].clone(),
            format!(
                "{} snake_case columns (e.g. {}) and {} camelCase columns (e.g. {})",
                snake.len(),
                snake[0],
                camel.len(),
                camel[0]
            ),
        )
        .count(minority),
    )
}

/// Databases that evidently change over time (WAL mode) and carry no record of their schema
/// version.
pub fn no_tracking(db: &Database) -> Option<Finding> {
    if migrate::detect(&db.schema).is_some() || db.user_version.unwrap_or(0) != 0 {
        return None;
    }
    let live = db.journal_mode.as_deref() == Some("wal") || db.wal_bytes.is_some();
    live.then(|| {
        Finding::new(
            "no-migration-tracking",
            &db.path,
            &db.path,
            "no migration tracking table and user_version is 0".into(),
        )
        .fix("PRAGMA user_version = 1;   -- record the schema version this database is at")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_naming_styles_apart() {
        assert_eq!(style_of("deleted_at"), Some(Style::Snake));
        assert_eq!(style_of("deletedAt"), Some(Style::Camel));
        assert_eq!(style_of("CustomerId"), Some(Style::Pascal));
        assert_eq!(style_of("id"), None);
        assert_eq!(style_of("ID"), None);
        assert_eq!(style_of("Customer_Id"), None);
    }
}
