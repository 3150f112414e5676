//! `litescope orphans`: every relation of one database, with its orphaned rows.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Result};
use serde_json::json;

use crate::engine::connect;
use crate::engine::database::{inspect, Depth};
use crate::engine::discover::Found;
use crate::engine::relations::{self, Relation};
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
    let found = Found {
        display: args.db.display().to_string(),
        path: args.db.clone(),
        explicit: true,
    };
    if !args.db.is_file() {
        bail!("{}: no such file", found.display);
    }
    let db = inspect(&found, Depth::SCHEMA);
    if let Some(line) = db.failure_line() {
        bail!(line);
    }
    let conn = connect::open(&args.db).map_err(|e| anyhow::anyhow!("{}: {e}", found.display))?;
    let budget = Duration::from_secs(args.budget);
    let rels = relations::find_with(&conn, &db.schema, budget, args.sample, &mut |_, _| {});
    if args.json {
        println!("{}", super::json_text(&json!({ "relations": rels }))?);
    } else {
        print!("{}", render(&rels));
    }
    Ok(ExitCode::SUCCESS)
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
