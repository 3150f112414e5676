//! `litescope orphans`: every relation of one database, with its orphaned rows.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use serde_json::json;

use crate::engine::database::{Database, Depth};
use crate::engine::discover::Found;
use crate::engine::pipeline;
use crate::engine::relations::{self, Relation};
use crate::engine::session::Session;
use crate::units;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The database file.
    db: PathBuf,
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
    let mut session = Session::new(Found::given(&args.db));
    let mut db = Database::clone(&pipeline::read(&mut session, Depth::SCHEMA, false));
    let conn = match db.is_ok() {
        true => session.conn(false).map_err(|e| db.fail(&e)).ok(),
        false => None,
    };
    let Some(conn) = conn else {
        return failed(args, &db);
    };
    let budget = Duration::from_secs(args.budget);
    let schema = db.schema.queryable_part();
    let rels = relations::find_with(conn, &schema, budget, args.sample, &mut |_, _| {});
    if args.json {
        print_json(&db, &rels)?;
    } else {
        let note = db.error.as_ref().map(|e| format!("! {e}\n"));
        super::print_text(&(note.unwrap_or_default() + &render(&rels)));
    }
    Ok(ExitCode::SUCCESS)
}

/// A database that could not be read: its status as JSON when asked for (every `--json` prints
/// JSON), and the one line on stderr.
fn failed(args: &Args, db: &Database) -> Result<ExitCode> {
    if args.json {
        print_json(db, &[])?;
    }
    super::print_failure(&db.failure_line().unwrap_or_default());
    Ok(ExitCode::from(2))
}

/// `{"database": {"path", "status", "error"}, "relations": [...]}`.
fn print_json(db: &Database, rels: &[Relation]) -> Result<()> {
    let database = json!({"path": db.path, "status": db.status, "error": db.error});
    let text = super::json_text(&json!({"database": database, "relations": rels}))?;
    super::print_text(&(text + "\n"));
    Ok(())
}

fn render(rels: &[Relation]) -> String {
    let mut out = String::new();
    if rels.is_empty() {
        out.push_str("no relations found\n");
    }
    for r in rels {
        let kind = if r.declared { "declared" } else { "inferred" };
        let orphans = r.orphans.map_or("?".into(), units::count);
        let _ = writeln!(
            out,
            "{}({}) -> {}({})  [{kind}]  orphans {orphans}  nulls {}",
            r.child,
            r.columns.join(", "),
            r.parent,
            r.parent_columns.join(", "),
            r.nulls.map_or("?".into(), units::count),
        );
        if !r.declared {
            let _ = writeln!(out, "  why: {}", r.why);
        }
        if let Some(e) = &r.error {
            let _ = writeln!(out, "  ! {e}");
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
            let _ = writeln!(out, "  rowid {rowid}: {}", values.join(", "));
        }
        if r.orphans.unwrap_or(0) > 0 {
            let _ = writeln!(out, "  fix: {}", r.fix);
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
