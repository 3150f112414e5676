//! Rules that compare the databases of a workspace: conflicting tables, naming across services.

use std::collections::BTreeMap;

use super::schema_rules::{styled_columns, Style};
use super::Finding;
use crate::engine::backups::is_backup_name;
use crate::engine::database::Database;
use crate::engine::schema::{Column, Table, TableKind};

/// The databases to compare: readable, and not backups, which are expected to lag their source
/// (comparing the two would only report that).
fn live<'a>(dbs: &[&'a Database]) -> Vec<&'a Database> {
    dbs.iter()
        .copied()
        .filter(|d| d.is_ok() && !is_backup_name(&d.file))
        .collect()
}

pub fn schema_conflicts(dbs: &[&Database]) -> Vec<Finding> {
    let dbs = live(dbs);
    let mut by_name: BTreeMap<String, Vec<(&Database, &Table)>> = BTreeMap::new();
    for db in dbs {
        for t in db
            .schema
            .tables
            .iter()
            .filter(|t| t.kind == TableKind::Table)
        {
            by_name
                .entry(t.name.to_ascii_lowercase())
                .or_default()
                .push((db, t));
        }
    }
    let mut out = Vec::new();
    for owners in by_name.values() {
        for (i, (db_a, a)) in owners.iter().enumerate() {
            for (db_b, b) in &owners[i + 1..] {
                if let Some(diff) = column_differences(a, b) {
                    out.push(Finding::across(
                        "schema-conflict",
                        vec![db_a.path.clone(), db_b.path.clone()],
                        &a.name,
                        format!("{} differs: {diff}", a.name),
                    ));
                }
            }
        }
    }
    out
}

fn describe(c: &Column) -> String {
    let mut s = format!(
        "{} {}",
        c.decl_type,
        if c.notnull { "NOT NULL" } else { "NULL" }
    );
    if c.pk > 0 {
        s.push_str(" PK");
    }
    s.trim().to_string()
}

/// What differs between two tables' columns (by name, type, nullability, primary key).
fn column_differences(a: &Table, b: &Table) -> Option<String> {
    let find = |t: &Table, n: &str| {
        t.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(n))
            .cloned()
    };
    let only = |x: &Table, y: &Table| -> Vec<String> {
        x.columns
            .iter()
            .filter(|c| find(y, &c.name).is_none())
            .map(|c| c.name.clone())
            .collect()
    };
    let (only_a, only_b) = (only(a, b), only(b, a));
    let changed: Vec<String> = a
        .columns
        .iter()
        .filter_map(|ca| {
            let cb = find(b, &ca.name)?;
            let same = ca.decl_type.eq_ignore_ascii_case(&cb.decl_type)
                && ca.notnull == cb.notnull
                && (ca.pk > 0) == (cb.pk > 0);
            (!same).then(|| format!("{} ({} vs {})", ca.name, describe(ca), describe(&cb)))
        })
        .collect();
    let mut parts = Vec::new();
    if !only_a.is_empty() {
        parts.push(format!("only in the first: {}", only_a.join(", ")));
    }
    if !only_b.is_empty() {
        parts.push(format!("only in the second: {}", only_b.join(", ")));
    }
    if !changed.is_empty() {
        parts.push(format!("changed: {}", changed.join(", ")));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// One database all snake_case and another all camelCase: the workspace mixes styles even
/// where each database is consistent (mixing inside one database is reported per database).
pub fn naming_across(dbs: &[&Database]) -> Option<Finding> {
    let mut snake = Vec::new();
    let mut camel = Vec::new();
    for db in live(dbs) {
        let styles = styled_columns(db);
        let has = |s: Style| {
            styles
                .iter()
                .find(|(st, _)| *st == s)
                .map(|(_, n)| n.clone())
        };
        match (has(Style::Snake), has(Style::Camel)) {
            (Some(s), None) => snake.push((db.path.clone(), s)),
            (None, Some(c)) => camel.push((db.path.clone(), c)),
            _ => {}
        }
    }
    let (first_snake, first_camel) = (snake.first()?, camel.first()?);
    let mut paths: Vec<String> = snake.iter().chain(&camel).map(|(p, _)| p.clone()).collect();
    paths.sort();
    Some(Finding::across(
        "naming-mixed",
        paths,
        &first_camel.1,
        format!(
            "snake_case in {} (e.g. {}) and camelCase in {} (e.g. {})",
            first_snake.0, first_snake.1, first_camel.0, first_camel.1
        ),
    ))
}
