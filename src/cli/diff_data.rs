//! `litescope diff A B --data`: the rows of the tables both databases hold, matched by primary
//! key. Text: per table, how many rows are only in A, only in B, or changed, with sample keys.
//! `--json`: `{"tables":[{"table","key","only_in_a","only_in_b","changed","samples"}],
//! "skipped":[{"table","why"}]}`. `--sql`: the INSERT/UPDATE/DELETE statements that turn A's
//! rows into B's, written out as the merge finds them. Exit 0 when no row differs, 1 when some
//! do, 2 when a file cannot be read.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;

use super::put;

use crate::engine::connect::open_checked;
use crate::engine::diff::data::{self, DataDiff, Row, Shape};
use crate::engine::diff::{read, rows_sql};
use crate::engine::names::escape_path;

pub fn run(a: &Path, b: &Path, json: bool, sql: bool, sample: usize) -> Result<ExitCode> {
    let (ca, cb) = (open_checked(a)?, open_checked(b)?);
    let (sa, sb) = (read::schema(a)?, read::schema(b)?);
    if sql {
        super::print_text(
            "-- litescope diff --data: the statements that turn A's rows into B's.\n\
             -- Run it with the sqlite3 shell on A: sqlite3 A.db < data.sql\n\
             .bail on\nBEGIN IMMEDIATE;\n",
        );
    }
    let mut on_row = |shape: &Shape, row: Row| {
        if sql {
            super::print_text(&(rows_sql::statement(shape, row) + "\n"));
        }
    };
    let compared = data::compare(&ca, &cb, &sa, &sb, sample, &mut on_row);
    ca.end_transaction();
    cb.end_transaction();
    let d =
        compared.map_err(|e| anyhow::anyhow!("{} <> {}: {e}", escape_path(a), escape_path(b)))?;
    if sql {
        super::print_text("COMMIT;\n");
    } else if json {
        super::print_json(&d)?;
    } else {
        super::print_text(&render(a, b, &d));
    }
    Ok(match d.is_empty() {
        true => ExitCode::SUCCESS,
        false => ExitCode::from(1),
    })
}

fn render(a: &Path, b: &Path, d: &DataDiff) -> String {
    let mut out = format!("A: {}\nB: {}\n", escape_path(a), escape_path(b));
    let keys = |k: &[Vec<serde_json::Value>]| {
        let shown: Vec<String> = k
            .iter()
            .map(|key| {
                key.iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .map(|key| format!("({key})"))
            .collect();
        shown.join(" ")
    };
    for t in d
        .tables
        .iter()
        .filter(|t| t.only_in_a + t.only_in_b + t.changed > 0)
    {
        let head = format!(
            "{}: {} only in A, {} only in B, {} changed",
            t.table, t.only_in_a, t.only_in_b, t.changed
        );
        put(&mut out, &head);
        for (label, sample) in [
            ("only in A", &t.samples.only_in_a),
            ("only in B", &t.samples.only_in_b),
            ("changed", &t.samples.changed),
        ] {
            if !sample.is_empty() {
                put(&mut out, &format!("  {label}: {}", keys(sample)));
            }
        }
    }
    for s in &d.skipped {
        put(&mut out, &format!("{}: skipped ({})", s.table, s.why));
    }
    let rows: u64 = d
        .tables
        .iter()
        .map(|t| t.only_in_a + t.only_in_b + t.changed)
        .sum();
    let tables = match d.tables.len() {
        1 => "1 table".to_string(),
        n => format!("{n} tables"),
    };
    let _ = match rows {
        0 => writeln!(out, "\nno rows differ in {tables} compared"),
        1 => writeln!(out, "\n1 row differs in {tables} compared"),
        n => writeln!(out, "\n{n} rows differ in {tables} compared"),
    };
    out
}
