//! `litescope report` and `litescope check`: the audit as a report, or as a CI gate.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{anyhow, Result};

use super::put;
use serde_json::json;

use crate::engine::database::{Database, Depth};
use crate::engine::findings::{self, Finding, Severity};
use crate::engine::workspace::Workspace;
use crate::units;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Md,
    Json,
    Sarif,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Database files or folders.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Seconds each data-reading pass may take per database.
    #[arg(long, default_value_t = 30)]
    budget: u64,
    /// A folder of backups to look in, besides each database's `backups/` folder and siblings.
    #[arg(long, value_name = "DIR")]
    backups: Option<PathBuf>,
    /// A migrations folder: adds the migration-* rules (pending, modified, missing, failed).
    #[arg(long, value_name = "DIR")]
    migrations: Option<PathBuf>,
    /// A file of the application's SQL statements: adds index-suggested and index-unused.
    #[arg(long, value_name = "FILE")]
    workload: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    report: Args,
    /// Exit 1 when a finding at or above this severity is found.
    #[arg(long, default_value = "error", value_parser = ["error", "warning", "info"])]
    fail_on: String,
}

/// The audit of every database under the paths. Finding none is a failed operation, as for
/// `inspect`: a gate that audited nothing must not pass as if all were well; JSON and SARIF
/// still print their empty report first.
fn audit(args: &Args) -> Result<(Workspace, Vec<Finding>)> {
    let budget = Duration::from_secs(args.budget);
    // A folder that cannot be read fails the command before anything is audited; it is read
    // here once for every database.
    let migrations = match &args.migrations {
        Some(dir) => Some(crate::engine::migrate::read_folder(dir)?),
        None => None,
    };
    // So does a workload file that cannot be read; it is read here once for every database.
    let workload = match &args.workload {
        Some(file) => Some(findings::Workload {
            file: file.clone(),
            statements: crate::engine::plan::workload::read(file)?,
        }),
        None => None,
    };
    let opts = findings::Options {
        budget,
        backups: args.backups.clone(),
        migrations,
        workload,
    };
    let (ws, found) = Workspace::audit(&args.paths, Depth::full(budget), &opts)?;
    if ws.databases.is_empty() {
        if matches!(args.format, Format::Json | Format::Sarif) {
            super::print_text(&render(args.format, &ws, &found)?);
        }
        return Err(super::none_found(&args.paths));
    }
    Ok((ws, found))
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let (ws, found) = audit(args)?;
    super::print_text(&render(args.format, &ws, &found)?);
    Ok(ExitCode::SUCCESS)
}

pub fn run_check(args: &CheckArgs) -> Result<ExitCode> {
    let threshold = Severity::parse(&args.fail_on)
        .ok_or_else(|| anyhow!("unknown severity {}", args.fail_on))?;
    let (ws, found) = audit(&args.report)?;
    if args.report.format == Format::Text {
        super::print_text(&check_text(&found, threshold));
    } else {
        super::print_text(&render(args.report.format, &ws, &found)?);
    }
    let fail = found.iter().any(|f| f.severity <= threshold);
    Ok(if fail {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// One line per finding and a count, for a CI log. A finding about a whole database has that
/// database as its object, and its message often opens with its path: the path is printed once.
fn check_text(found: &[Finding], threshold: Severity) -> String {
    let mut out = String::new();
    for f in found {
        let what = if f.object != f.database {
            format!("{}: {}: {}", f.database, f.object, f.message)
        } else if f.message.starts_with(&format!("{} ", f.database)) {
            f.message.clone()
        } else {
            format!("{}: {}", f.database, f.message)
        };
        let line = format!("{:<7} {:<22} {what}", f.severity.label(), f.rule);
        put(&mut out, &line);
    }
    let failing = found.iter().filter(|f| f.severity <= threshold).count();
    let _ = writeln!(
        out,
        "{}, {failing} at or above {}",
        units::counted(found.len() as u64, "finding"),
        threshold.label()
    );
    out
}

/// The report in the requested format.
pub fn render(format: Format, ws: &Workspace, found: &[Finding]) -> Result<String> {
    Ok(match format {
        Format::Text => text(ws, found),
        Format::Md => markdown(ws, found),
        Format::Json => serde_json::to_string_pretty(&json_report(ws, found))? + "\n",
        Format::Sarif => serde_json::to_string_pretty(&sarif(found))? + "\n",
    })
}

fn json_report(ws: &Workspace, found: &[Finding]) -> serde_json::Value {
    let dbs: Vec<_> = ws
        .databases
        .iter()
        .map(|d| json!({"path": d.path, "status": d.status, "error": d.error}))
        .collect();
    json!({"databases": dbs, "findings": found})
}

/// Findings that concern `db` (cross-database findings appear under each database involved).
fn concerning<'a>(db: &'a Database, found: &'a [Finding]) -> impl Iterator<Item = &'a Finding> {
    found.iter().filter(move |f| f.concerns(&db.path))
}

fn counts(db: &Database, found: &[Finding]) -> [usize; 3] {
    let mut n = [0; 3];
    for f in concerning(db, found) {
        n[f.severity as usize] += 1;
    }
    n
}

fn summary_row(db: &Database, found: &[Finding]) -> [String; 7] {
    let user = db.schema.tables.iter().filter(|t| t.is_user_table());
    let rows: u64 = user.clone().filter_map(|t| t.rows).sum();
    let exact = user.clone().all(|t| t.rows_exact);
    let [e, w, i] = counts(db, found);
    [
        db.path.clone(),
        db.status.label().into(),
        user.count().to_string(),
        units::rows(Some(rows), exact),
        e.to_string(),
        w.to_string(),
        i.to_string(),
    ]
}

const SUMMARY_HEAD: [&str; 7] = [
    "database", "status", "tables", "rows", "errors", "warnings", "info",
];

fn text(ws: &Workspace, found: &[Finding]) -> String {
    let rows: Vec<[String; 7]> = ws.databases.iter().map(|d| summary_row(d, found)).collect();
    let mut widths = SUMMARY_HEAD.map(str::len);
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: &[String]| {
        cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let _ = writeln!(out, "{}", line(&SUMMARY_HEAD.map(String::from)));
    for r in &rows {
        let _ = writeln!(out, "{}", line(r));
    }
    for (path, note) in notes(ws) {
        let _ = writeln!(out, "  ! {path}: {note}");
    }
    for (database, group) in group_by_database(found) {
        let _ = writeln!(out, "\n{database}");
        for f in group {
            let head = format!(
                "  {} {}  {}",
                f.severity.label().to_uppercase(),
                f.rule,
                f.object
            );
            put(&mut out, &head);
            put(&mut out, &format!("    {}", f.message));
            let _ = writeln!(out, "    why: {}", f.why);
            if let Some(fix) = &f.fix {
                for (i, l) in fix.lines().enumerate() {
                    let _ = writeln!(out, "    {} {l}", if i == 0 { "fix:" } else { "    " });
                }
            }
        }
    }
    if found.is_empty() {
        out.push_str("\nno findings\n");
    }
    out
}

/// Each database's one-line reason or caveat (why it is not ok, what is hidden from view).
fn notes(ws: &Workspace) -> impl Iterator<Item = (&str, &str)> {
    ws.databases
        .iter()
        .filter_map(|d| Some((d.path.as_str(), d.error.as_deref()?)))
}

fn group_by_database(found: &[Finding]) -> BTreeMap<&str, Vec<&Finding>> {
    let mut groups: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in found {
        groups.entry(f.database.as_str()).or_default().push(f);
    }
    for g in groups.values_mut() {
        g.sort_by_key(|f| (f.severity, f.rule, f.object.clone()));
    }
    groups
}

fn md_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn markdown(ws: &Workspace, found: &[Finding]) -> String {
    let mut out = String::from("# litescope report\n\n");
    let _ = writeln!(out, "| {} |", SUMMARY_HEAD.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(SUMMARY_HEAD.len()));
    for db in &ws.databases {
        let cells = summary_row(db, found).map(|c| md_cell(&c));
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    for (path, note) in notes(ws) {
        let _ = writeln!(out, "\n> **{}**: {}", md_cell(path), md_cell(note));
    }
    for (database, group) in group_by_database(found) {
        let _ = writeln!(out, "\n## {}\n", md_cell(database));
        for f in group {
            let _ = writeln!(
                out,
                "- **{}** `{}` `{}`: {}  \n  _Why:_ {}",
                f.severity.label(),
                f.rule,
                md_cell(&f.object),
                md_cell(&f.message),
                f.why
            );
            if let Some(fix) = &f.fix {
                let _ = writeln!(out, "\n  ```sql\n{}\n  ```", indent(fix, "  "));
            }
        }
    }
    if found.is_empty() {
        out.push_str("\nNo findings.\n");
    }
    out
}

fn indent(text: &str, pad: &str) -> String {
    text.lines()
        .map(|l| format!("{pad}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn sarif(found: &[Finding]) -> serde_json::Value {
    let mut rule_ids: Vec<&str> = found.iter().map(|f| f.rule).collect();
    rule_ids.sort();
    rule_ids.dedup();
    let rules: Vec<_> = rule_ids
        .iter()
        .filter_map(|id| findings::rule(id))
        .map(|r| {
            json!({"id": r.id, "shortDescription": {"text": r.why},
                   "defaultConfiguration": {"level": sarif_level(r.severity)}})
        })
        .collect();
    let results: Vec<_> = found
        .iter()
        .map(|f| {
            let locations: Vec<_> = f
                .databases
                .iter()
                .map(|p| {
                    json!({"physicalLocation": {"artifactLocation": {"uri": p}},
                               "logicalLocations": [{"fullyQualifiedName": f.object}]})
                })
                .collect();
            json!({"ruleId": f.rule, "level": sarif_level(f.severity),
                   "message": {"text": f.message}, "locations": locations,
                   "properties": {"object": f.object, "count": f.count, "fix": f.fix}})
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "litescope", "version": env!("CARGO_PKG_VERSION"),
                                "informationUri": "https://github.com/litescope/litescope",
                                "rules": rules}},
            "results": results
        }]
    })
}
