//! The SQL that fixes a relation: cleaning its orphans, and the table rebuild (built by
//! [`crate::engine::rebuild`]) that declares inferred FOREIGN KEYs.

use super::*;
use crate::engine::rebuild::{self, NewKey};

/// `FROM … WHERE …` selecting the orphans of `rel` as `c`, by a LEFT JOIN: SQLite builds an
/// automatic index when the parent column has none, where `NOT EXISTS` would scan every parent
/// for each child.
pub(super) fn orphans_from(rel: &Relation, schema: &str) -> String {
    let (not_null, on) = key_conditions(rel, "c", "p");
    if rel.parent_missing {
        // No parent table, no parent key: every row with a complete key is an orphan.
        return format!("FROM {schema}{} AS c WHERE {not_null}", ident(&rel.child));
    }
    let first_parent = format!("p.{}", ident(&rel.parent_columns[0]));
    format!(
        "FROM {schema}{} AS c LEFT JOIN {schema}{} AS p ON {on} WHERE {not_null} AND {first_parent} IS NULL",
        ident(&rel.child),
        ident(&rel.parent)
    )
}

/// How the orphans of a relation from `columns` of `child` are cleaned (see [`clean_fix`]).
pub(super) fn clean_by(child: &Table, columns: &[CompactString]) -> Clean {
    Clean {
        rows_by: match child.without_rowid {
            true => child.primary_key().into_iter().map(Into::into).collect(),
            false => Vec::new(),
        },
        nullable: columns
            .iter()
            .all(|c| child.column(c).is_some_and(|c| !c.notnull && c.pk == 0)),
    }
}

/// `UPDATE … SET col = NULL` where the key columns may be NULL, otherwise `DELETE`; rows are
/// picked by rowid, or by primary key in a WITHOUT ROWID table.
pub(super) fn clean_fix(rel: &Relation) -> String {
    let quoted: Vec<String> = match rel.clean.rows_by.as_slice() {
        [] => vec!["rowid".into()],
        key => key
            .iter()
            .map(|k| {
                if k == "rowid" {
                    k.to_string()
                } else {
                    ident(k)
                }
            })
            .collect(),
    };
    let (list, picked) = (
        format!("({})", quoted.join(", ")),
        quoted
            .iter()
            .map(|k| format!("c.{k}"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    let missing = format!("{list} IN (SELECT {picked} {})", orphans_from(rel, ""));
    if rel.clean.nullable {
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

/// The table rebuild that declares, in one go, the FOREIGN KEY of every inferred relation of
/// `child` among `rels` (see [`rebuild`]): declaring them one rebuild at a time would make each
/// printed fix drop the keys the others declared, since each starts from today's CREATE TABLE.
pub(super) fn declare_fix(schema: &Schema, child: &Table, rels: &[&Relation]) -> Option<String> {
    let keys: Vec<NewKey> = rels
        .iter()
        .map(|r| NewKey {
            columns: r.columns.iter().map(ToString::to_string).collect(),
            parent: r.parent.to_string(),
            parent_columns: r.parent_columns.iter().map(ToString::to_string).collect(),
        })
        .collect();
    let script = rebuild::declare_foreign_keys(schema, child, &keys).ok()?;
    let orphaned: Vec<String> = rels
        .iter()
        .filter(|r| r.orphans.unwrap_or(0) > 0)
        .map(|r| r.columns.join(", "))
        .collect();
    if orphaned.is_empty() {
        return Some(script);
    }
    // The script checks the keys before COMMIT and stops there; say why up front.
    Some(format!(
        "-- Some rows of {} point at no parent ({}): run the orphan-rows fix first, or this\n\
         -- script stops before COMMIT and changes nothing.\n{script}",
        rebuild::comment(&child.name),
        rebuild::comment(&orphaned.join("; "))
    ))
}
