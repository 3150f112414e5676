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

pub fn check(db: &Database, conn: &Conn, rels: &[Relation], opts: &Options) -> Vec<Finding> {
    let mut out = Vec::new();
    for rel in rels {
        out.extend(relation_findings(db, rel));
    }
    // A sample of a rollback-journal file that does not fit in one read-lock slice is given up:
    // the rule is a hint, not worth delaying an application's commits for.
    let budget = Pace::of(conn).statement_budget(opts.budget);
    for table in db
        .schema
        .tables
        .iter()
        .filter(|t| t.is_user_table() && t.queryable())
    {
        for column in table.columns.iter().filter(|c| is_text(c)) {
            out.extend(json_in_text(db, conn, table, column, budget));
        }
    }
    out
}

fn relation_findings(db: &Database, rel: &Relation) -> Vec<Finding> {
    let object = format!("{}.{}", rel.child, rel.columns.join(","));
    let target = format!("{}({})", rel.parent, rel.parent_columns.join(", "));
    let mut out = Vec::new();
    let orphans = rel.orphans.unwrap_or(0);
    if orphans > 0 {
        // Declared keys are broken (fk-violation); inferred ones merely point nowhere.
        let rule = if rel.declared {
            "fk-violation"
        } else {
            "orphan-rows"
        };
        out.push(
            Finding::new(
                rule,
                &db.path,
                &object,
                format!(
                    "{} of {} point at {target} values that do not exist",
                    units::counted(orphans, "row"),
                    rel.child
                ),
            )
            .count(orphans)
            .fix(rel.fix.clone()),
        );
    }
    if !rel.declared {
        out.push(
            Finding::new(
                "fk-missing",
                &db.path,
                &object,
                format!(
                    "{object} refers to {target} ({}) but no FOREIGN KEY is declared",
                    rel.why
                ),
            )
            .fix(rel.declare_fix.clone().unwrap_or_default()),
        );
    }
    let nulls = rel.nulls.unwrap_or(0);
    // A NULL parent in a self-reference marks the root of a hierarchy: expected, not a finding.
    if rel.declared && nulls > 0 && !rel.child.eq_ignore_ascii_case(&rel.parent) {
        out.push(
            Finding::new(
                "fk-null",
                &db.path,
                &object,
                format!(
                    "{} of {} have no {} (NULL)",
                    units::counted(nulls, "row"),
                    rel.child,
                    rel.parent
                ),
            )
            .count(nulls),
        );
    }
    out
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
        .fix(format!(
            "-- when the table is next rebuilt: {} {} CHECK (json_valid({col}))",
            col, column.decl_type
        ))
    })
}
