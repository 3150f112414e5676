//! `litescope orphans`: every relation of a database, with its orphaned rows.
//!
//! Given a file, it prints that database's relations (`{"database", "relations"}` in JSON). Given
//! a folder, it does the same for every database found under it, one after the other, and the
//! JSON is `{"databases": [{"database", "relations"}, ...]}` whatever the folder holds, so that a
//! script knows the shape from what it passed. A file named directly that cannot be read fails
//! the command (exit 2); one found in a folder only gets its status, as with `inspect`.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;

use super::put;
use serde_json::json;

use crate::engine::database::{Database, Depth};
use crate::engine::discover::{discover, Found};
use crate::engine::pipeline;
use crate::engine::relations::{self, Relation};
use crate::engine::session::Session;
use crate::units;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The database file, or a folder: every database found under it.
    db: PathBuf,
    /// Print JSON: `{"database","relations"}` for a file, `{"databases":[...]}` of those for a
    /// folder.
    #[arg(long)]
    json: bool,
    /// Orphan rows to show per relation.
    #[arg(long, default_value_t = relations::DEFAULT_SAMPLE)]
    sample: usize,
    /// Seconds counting may take per relation.
    #[arg(long, default_value_t = 300)]
    budget: u64,
}

pub fn run(args: &Args) -> Result<ExitCode> {
    if !args.db.is_dir() {
        let (db, rels) = relations_of(&Found::given(&args.db), args);
        let Some(rels) = rels else {
            return failed(args, &db);
        };
        if args.json {
            super::print_json(&one_json(&db, &rels))?;
        } else {
            super::print_text(&(note(&db) + &render(&rels)));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let found = discover(std::slice::from_ref(&args.db))?;
    if found.is_empty() {
        if args.json {
            super::print_json(&json!({ "databases": [] }))?;
        }
        return Err(super::none_found(std::slice::from_ref(&args.db)));
    }
    let mut all = Vec::new();
    let mut text = String::new();
    for f in &found {
        let (db, rels) = relations_of(f, args);
        let rels = rels.unwrap_or_default();
        if args.json {
            all.push(one_json(&db, &rels));
        } else {
            let _ = writeln!(text, "{}  [{}]", db.path, db.status.label());
            let body = note(&db)
                + &if db.is_ok() {
                    render(&rels)
                } else {
                    String::new()
                };
            text.push_str(&indent(&body));
            text.push('\n');
        }
    }
    if args.json {
        super::print_json(&json!({"databases": all}))?;
    } else {
        super::print_text(&text);
    }
    Ok(ExitCode::SUCCESS)
}

/// The relations of one database, counted; `None` when it cannot be read (its status says why).
fn relations_of(found: &Found, args: &Args) -> (Database, Option<Vec<Relation>>) {
    let mut session = Session::new(found.clone());
    let mut db = Database::clone(&pipeline::read(&mut session, Depth::SCHEMA, false));
    let conn = match db.is_ok() {
        true => session.conn(false).map_err(|e| db.fail(&e)).ok(),
        false => None,
    };
    let Some(conn) = conn else {
        return (db, None);
    };
    let budget = Duration::from_secs(args.budget);
    let schema = db.schema.queryable_part();
    let rels = relations::find_with(conn, &schema, budget, args.sample, &mut |_, _| {});
    (db, Some(rels))
}

/// The database's one-line reason or caveat, if it has one.
fn note(db: &Database) -> String {
    db.error
        .as_ref()
        .map(|e| format!("! {e}\n"))
        .unwrap_or_default()
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}

/// A database that could not be read: its status as JSON when asked for (every `--json` prints
/// JSON), and the one line on stderr.
fn failed(args: &Args, db: &Database) -> Result<ExitCode> {
    if args.json {
        super::print_json(&one_json(db, &[]))?;
    }
    super::print_failure(&db.failure_line().unwrap_or_default());
    Ok(ExitCode::from(2))
}

/// `{"database": {"path", "status", "error"}, "relations": [...]}`.
fn one_json(db: &Database, rels: &[Relation]) -> serde_json::Value {
    let database = json!({"path": db.path, "status": db.status, "error": db.error});
    json!({"database": database, "relations": rels})
}

fn render(rels: &[Relation]) -> String {
    let mut out = String::new();
    if rels.is_empty() {
        out.push_str("no relations found\n");
    }
    for r in rels {
        let kind = if r.declared { "declared" } else { "inferred" };
        let orphans = r.orphans.map_or("?".into(), units::count);
        let head = format!(
            "{}({}) -> {}({})  [{kind}]  orphans {orphans}  nulls {}",
            r.child,
            r.columns.join(", "),
            r.parent,
            r.parent_columns.join(", "),
            r.nulls.map_or("?".into(), units::count),
        );
        put(&mut out, &head);
        if !r.declared {
            put(&mut out, &format!("  why: {}", r.why));
        }
        if let Some(e) = &r.error {
            put(&mut out, &format!("  ! {e}"));
        }
        if r.orphans.is_some() && !r.one_snapshot {
            let _ = writeln!(
                out,
                "  ! counted while another process committed: not from one snapshot"
            );
        }
        for s in &r.sample {
            let values: Vec<String> = s.values.iter().map(|v| v.to_string()).collect();
            let rowid = s.rowid.map_or("-".into(), |r| r.to_string());
            put(&mut out, &format!("  rowid {rowid}: {}", values.join(", ")));
        }
        if r.orphans.unwrap_or(0) > 0 {
            // SQL stays as it runs: a line break inside a quoted name continues, indented.
            for (i, l) in r.fix().lines().enumerate() {
                let _ = writeln!(out, "  {} {l}", if i == 0 { "fix:" } else { "    " });
            }
        }
        if let Some(fix) = r.declare_fix.as_ref().filter(|_| r.orphans == Some(0)) {
            let _ = writeln!(
                out,
                "  declare:\n{}",
                fix.lines()
                    .map(|l| format!("    {l}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
    }
    out
}
