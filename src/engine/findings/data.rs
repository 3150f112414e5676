//! Rules that read rows: foreign-key violations, NULL foreign keys, JSON stored as TEXT, and the
//! inferred relations' orphans.

use std::time::Duration;

use super::{Finding, Options};
use crate::engine::connect::Conn;
use crate::engine::database::Database;
use crate::engine::quote::ident;
use crate::engine::relations::Relation;
use crate::engine::schema::{Column, Table};
use crate::engine::slices::Pace;
use crate::units;

/// Values sampled per TEXT column to decide whether it holds JSON.
const JSON_SAMPLE: i64 = 200;
/// Share of sampled values that must be JSON documents.
const JSON_SHARE: f64 = 0.8;
const JSON_MIN_VALUES: u64 = 5;

/// A relation's object (`child.col`) and what it points at (`parent(key)`), as findings name them.
fn names(rel: &Relation) -> (String, String) {
    let object = format!("{}.{}", rel.child, rel.columns.join(","));
    let target = format!("{}({})", rel.parent, rel.parent_columns.join(", "));
    (object, target)
}

/// Rows whose key has no parent: `fk-violation` for declared keys, which are broken;
/// `orphan-rows` for inferred ones, which merely point nowhere.
fn orphans(db: &Database, rels: &[Relation], declared: bool) -> Vec<Finding> {
    let rule = if declared {
        "fk-violation"
    } else {
        "orphan-rows"
    };
    rels.iter()
        .filter(|r| r.declared == declared && r.orphans.unwrap_or(0) > 0)
        .map(|rel| {
            let (object, target) = names(rel);
            let orphans = rel.orphans.unwrap_or(0);
            let rows = units::counted(orphans, "row");
            let message = match rel.parent_missing {
                true => format!(
                    "{rows} of {} point at {}, a table that does not exist",
                    rel.child, rel.parent
                ),
                false => format!(
                    "{rows} of {} point at {target} values that do not exist",
                    rel.child
                ),
            };
            Finding::new(rule, &db.path, &object, message)
                .count(orphans)
                .fix(rel.fix())
        })
        .collect()
}

pub fn fk_violations(db: &Database, _: &Conn, rels: &[Relation], _: &Options) -> Vec<Finding> {
    orphans(db, rels, true)
}

pub fn orphan_rows(db: &Database, _: &Conn, rels: &[Relation], _: &Options) -> Vec<Finding> {
    orphans(db, rels, false)
}

pub fn fk_missing(db: &Database, _: &Conn, rels: &[Relation], _: &Options) -> Vec<Finding> {
    let inferred: Vec<&Relation> = rels.iter().filter(|r| !r.declared).collect();
    inferred
        .iter()
        .map(|rel| {
            let (object, target) = names(rel);
            let mut message = format!(
                "{object} refers to {target} ({}) but no FOREIGN KEY is declared",
                rel.why
            );
            // The fix is the child table's one rebuild: say what else it declares.
            let others: Vec<String> = inferred
                .iter()
                .filter(|r| r.child == rel.child && !std::ptr::eq(**r, *rel))
                .map(|r| names(r).0)
                .collect();
            if rel.declare_fix.is_some() && !others.is_empty() {
                message.push_str(&format!(
                    "; the fix rebuilds {} once, declaring also {}",
                    rel.child,
                    others.join(", ")
                ));
            }
            let finding = Finding::new("fk-missing", &db.path, &object, message);
            match &rel.declare_fix {
                Some(fix) => finding.fix(fix.clone()),
                None => finding,
            }
        })
        .collect()
}

pub fn fk_nulls(db: &Database, _: &Conn, rels: &[Relation], _: &Options) -> Vec<Finding> {
    // A NULL parent in a self-reference marks the root of a hierarchy: expected, not a finding.
    rels.iter()
        .filter(|r| r.declared && r.nulls.unwrap_or(0) > 0)
        .filter(|r| !r.child.eq_ignore_ascii_case(&r.parent))
        .map(|rel| {
            let (object, _) = names(rel);
            let nulls = rel.nulls.unwrap_or(0);
            let message = format!(
                "{} of {} have no {} (NULL)",
                units::counted(nulls, "row"),
                rel.child,
                rel.parent
            );
            Finding::new("fk-null", &db.path, &object, message).count(nulls)
        })
        .collect()
}

pub fn json_columns(db: &Database, conn: &Conn, _: &[Relation], opts: &Options) -> Vec<Finding> {
    // A sample of a rollback-journal file that does not fit in one read-lock slice is given up:
    // the rule is a hint, not worth delaying an application's commits for.
    let budget = Pace::of(conn).statement_budget(opts.budget);
    let tables = db.schema.tables.iter();
    tables
        .filter(|t| t.is_user_table() && t.queryable())
        .flat_map(|t| t.columns.iter().filter(|c| is_text(c)).map(move |c| (t, c)))
        .filter_map(|(t, c)| json_in_text(db, conn, t, c, budget))
        .collect()
}

fn is_text(c: &Column) -> bool {
    let t = c.decl_type.to_ascii_uppercase();
    t.is_empty() || t.contains("TEXT") || t.contains("CHAR") || t.contains("CLOB") || t == "JSON"
}

fn json_in_text(
    db: &Database,
    conn: &Conn,
    table: &Table,
    column: &Column,
    budget: Duration,
) -> Option<Finding> {
    let col = ident(&column.name);
    let sql = format!(
        "SELECT count(*), coalesce(sum(json_valid(v) AND substr(ltrim(v), 1, 1) IN ('{{', '[')), 0) \
         FROM (SELECT {col} AS v FROM main.{} WHERE typeof({col}) = 'text' LIMIT {JSON_SAMPLE})",
        ident(&table.name)
    );
    let (sampled, json): (u64, u64) = conn
        .with_budget(budget, |db| {
            db.query_row(&sql, [], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))
            })
        })
        .ok()
        .flatten()?;
    let share = json as f64 / sampled.max(1) as f64;
    (json >= JSON_MIN_VALUES && share >= JSON_SHARE).then(|| {
        Finding::new(
            "json-in-text",
            &db.path,
            format!("{}.{}", table.name, column.name),
            format!(
                "{json} of {sampled} sampled values of {}.{} are JSON documents",
                table.name, column.name
            ),
        )
        .count(json)
        .advice(format!(
            "-- when the table is next rebuilt: {} {} CHECK (json_valid({col}))",
            col, column.decl_type
        ))
    })
}
