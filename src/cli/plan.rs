//! `litescope plan`: a statement's or a workload's query plans, the costly steps marked, and the
//! indexes that would serve them, each proven by the plan it gives on a private copy.
//!
//! A workload file that cannot be read, a database that cannot be read, or a `--sql` statement
//! that SQLite cannot plan fails the command (exit 2). In a workload, a statement that cannot be
//! planned is listed with its error and the others go on: one stale query should not hide the
//! rest of an application's.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{anyhow, Result};

use super::put;

use crate::engine::database::Depth;
use crate::engine::discover::Found;
use crate::engine::names::escape_path;
use crate::engine::pipeline;
use crate::engine::plan::{self, timing, Analysis, PlanRow, Planned, Suggestion};
use crate::engine::session::Session;
use crate::ui::panels::query::advice::Workload;

/// How long the single `--sql` statement may run to be timed.
const RUN_BUDGET: Duration = Duration::from_secs(60);

#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["sql", "workload"])))]
pub struct Args {
    /// The database file.
    db: PathBuf,
    /// One statement (or several, separated by `;`) to plan; a single one that reads and takes
    /// no parameter is also run once, read-only, for its elapsed time.
    #[arg(long)]
    sql: Option<String>,
    /// A file of the application's statements, separated by `;` (comments allowed), planned
    /// and never run.
    #[arg(long, value_name = "FILE")]
    workload: Option<PathBuf>,
    /// Print JSON: `{"queries":[...],"indexes":[...],"unused_indexes":[...]}`.
    #[arg(long)]
    json: bool,
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let statements = statements(args)?;
    let mut session = Session::new(Found::given(&args.db));
    let db = pipeline::read(&mut session, Depth::SCHEMA, false);
    if let Some(line) = db.failure_line() {
        return Err(anyhow!(line));
    }
    let conn = session
        .conn(false)
        .map_err(|e| anyhow!("{}: {e}", db.path))?;
    let mut analysis = plan::analyse(conn, &statements).map_err(|e| anyhow!("{}: {e}", db.path))?;
    if args.workload.is_none() {
        analysis.unused_indexes.clear();
        if let [one] = analysis.queries.as_mut_slice() {
            let timed = conn.with_budget(RUN_BUDGET, |c| timing::elapsed(c, &one.sql));
            one.millis = timed
                .ok()
                .flatten()
                .flatten()
                .map(|d| d.as_secs_f64() * 1e3);
        }
    }
    if args.json {
        super::print_json(&analysis)?;
    } else {
        super::print_text(&render(&analysis, args.workload.is_some()));
    }
    match analysis
        .queries
        .iter()
        .find(|q| !q.ok)
        .filter(|_| args.sql.is_some())
    {
        Some(failed) => Err(anyhow!(
            "{}: {}",
            db.path,
            failed.error.as_deref().unwrap_or("cannot plan")
        )),
        None => Ok(ExitCode::SUCCESS),
    }
}

/// The statements to plan, from `--sql` or the workload file.
fn statements(args: &Args) -> Result<Vec<(usize, String)>> {
    let (text, origin) = match (&args.sql, &args.workload) {
        (Some(sql), _) => (sql.clone(), "--sql".to_string()),
        (None, Some(file)) => return Ok(plan::workload::read(file)?),
        (None, None) => return Err(anyhow!("give --sql or --workload")),
    };
    non_empty(plan::statements(&text), &origin)
}

/// The workload the TUI opens in the Query panel when started with `--workload FILE`.
pub fn workload_for_ui(file: Option<&Path>) -> Result<Option<Workload>> {
    let Some(file) = file else {
        return Ok(None);
    };
    Ok(Some(Workload {
        name: escape_path(file),
        statements: plan::workload::read(file)?,
    }))
}

fn non_empty(found: Vec<(usize, String)>, origin: &str) -> Result<Vec<(usize, String)>> {
    match found.is_empty() {
        true => Err(anyhow!("{origin}: holds no SQL statement")),
        false => Ok(found),
    }
}

fn render(analysis: &Analysis, workload: bool) -> String {
    let mut out = String::new();
    for q in &analysis.queries {
        query(&mut out, q, workload);
    }
    if workload {
        summary(&mut out, analysis);
    }
    out
}

fn query(out: &mut String, q: &Planned, workload: bool) {
    if workload {
        let _ = writeln!(out, "-- line {}", q.line);
    }
    let _ = writeln!(out, "{}", q.sql);
    if let Some(e) = &q.error {
        put(out, &format!("! cannot plan: {e}"));
        out.push('\n');
        return;
    }
    out.push_str(&tree(&q.plan, "  "));
    if let Some(ms) = q.millis {
        let _ = writeln!(
            out,
            "  ran in {ms:.1} ms (read-only, first {} rows at most)",
            timing::ROW_CAP
        );
    }
    for s in &q.suggestions {
        suggestion(out, s);
    }
    if q.is_costly() && q.suggestions.is_empty() {
        out.push_str("  no index would remove these steps\n");
    }
    out.push('\n');
}

fn suggestion(out: &mut String, s: &Suggestion) {
    let _ = writeln!(out, "  suggested:\n    {};", s.sql);
    if let Some(old) = &s.extends {
        put(
            out,
            &format!("    (extends index {old}: drop it once this one exists)"),
        );
    }
    out.push_str("    plan with it:\n");
    out.push_str(&tree(&s.plan, "      "));
}

/// The plan as an indented tree, each costly step marked with what it costs.
pub fn tree(rows: &[PlanRow], indent: &str) -> String {
    let mut out = String::new();
    for (row, depth) in rows.iter().zip(plan::depths(rows)) {
        let mark = plan::steps::cost(&row.detail)
            .map(|c| format!("   <- {}", c.label()))
            .unwrap_or_default();
        let line = format!("{indent}{}{}{mark}", "  ".repeat(depth), row.detail);
        put(&mut out, &line);
    }
    out
}

fn summary(out: &mut String, a: &Analysis) {
    let costly: Vec<String> = a
        .queries
        .iter()
        .filter(|q| q.is_costly())
        .map(|q| q.line.to_string())
        .collect();
    let failed = a.queries.iter().filter(|q| !q.ok).count();
    let _ = writeln!(
        out,
        "{} statements, {} scan or sort (lines {}), {failed} could not be planned",
        a.queries.len(),
        costly.len(),
        if costly.is_empty() {
            "-".to_string()
        } else {
            costly.join(", ")
        }
    );
    if a.indexes.is_empty() {
        out.push_str("no index to add\n");
    } else {
        out.push_str("indexes that serve the whole workload:\n");
    }
    for s in &a.indexes {
        let _ = writeln!(out, "  {};", s.sql);
    }
    for u in &a.unused_indexes {
        let line = format!(
            "unused by every statement: index {} on {}",
            u.index, u.table
        );
        put(out, &line);
    }
}
