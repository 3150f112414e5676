//! The SQL that fixes a relation: cleaning its orphans, and the table rebuild that declares an
//! inferred FOREIGN KEY.

use super::*;

/// `FROM … WHERE …` selecting the orphans of `rel` as `c`, by a LEFT JOIN: SQLite builds an
/// automatic index when the parent column has none, where `NOT EXISTS` would scan every parent
/// for each child.
pub(super) fn orphans_from(rel: &Relation, schema: &str) -> String {
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
pub(super) fn clean_fix(child: &Table, rel: &Relation) -> String {
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
pub(super) fn declare_fix(schema: &Schema, child: &Table, rel: &Relation) -> Option<String> {
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
