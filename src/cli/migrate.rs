//! `litescope migrate`: migration status of a database against its folder, the next migration
//! file, and (in [`migrate_run`](super::migrate_run)) applying and rolling back.
//!
//! `status` reads through the read-only connection; `new` writes one new file into the folder
//! and nothing else; `up` and `down` write through the engine's runner.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::{anyhow, Result};
use clap::Subcommand;
use serde_json::json;

use crate::engine::connect;
use crate::engine::database::precheck;
use crate::engine::discover::Found;
use crate::engine::migrate::{self, Folder, State, Status};
use crate::engine::names::escape_path;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Subcommand, Debug)]
enum Sub {
    /// Every migration of the folder and of the database's tracking, with its state.
    Status(StatusArgs),
    /// Create the next migration file in the folder's own layout and numbering.
    New(NewArgs),
    /// Apply pending migrations (a backup first), each in its own transaction, recorded as the
    /// folder's tool records them.
    Up(super::migrate_run::UpArgs),
    /// Roll back the last applied migrations through their down SQL (asks first).
    Down(super::migrate_run::DownArgs),
    /// Record the migrations up to a version as applied without running them.
    Baseline(super::migrate_run::BaselineArgs),
    /// Clear a dirty or failed record once the schema shows where the database really is.
    Repair(super::migrate_run::RepairArgs),
}

#[derive(clap::Args, Debug)]
pub struct StatusArgs {
    /// The database file.
    db: PathBuf,
    /// The migrations folder.
    #[arg(long)]
    dir: PathBuf,
    /// Print JSON: {"tracking":{"kind","table"},"migrations":[...]}.
    #[arg(long)]
    json: bool,
    /// Exit 1 when any migration is pending, modified, missing or failed.
    #[arg(long)]
    check: bool,
}

#[derive(clap::Args, Debug)]
pub struct NewArgs {
    /// The migrations folder (created if missing).
    #[arg(long)]
    dir: PathBuf,
    /// What the migration does, e.g. add_users.
    name: String,
}

pub fn run(args: &Args) -> Result<ExitCode> {
    match &args.command {
        Sub::Status(a) => status(a),
        Sub::New(a) => new(a),
        Sub::Up(a) => super::migrate_run::up(a),
        Sub::Down(a) => super::migrate_run::down(a),
        Sub::Baseline(a) => super::migrate_run::baseline(a),
        Sub::Repair(a) => super::migrate_run::repair(a),
    }
}

/// Reads the database's tracking and the folder, read-only, and compares them. A database that
/// cannot be read, or a folder or file in it that cannot, ends with exit 2 and one line naming it.
pub fn read_status(db: &Path, dir: &Path) -> Result<(Folder, Status)> {
    let checked = precheck(&Found::given(db));
    if let Err(failed) = checked {
        return Err(anyhow!("{}", failed.failure_line().unwrap_or_default()));
    }
    let conn = connect::open(db).map_err(|e| anyhow!("{}: {e}", escape_path(db)))?;
    let read = migrate::read(&conn, db, dir);
    conn.end_transaction();
    Ok(read?)
}

fn status(args: &StatusArgs) -> Result<ExitCode> {
    let (folder, status) = read_status(&args.db, &args.dir)?;
    if args.json {
        let mut value = serde_json::to_value(&status)?;
        value["folder"] = json!({
            "path": escape_path(&args.dir),
            "tools": folder.tools().iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            "skipped": folder.skipped,
        });
        super::print_text(&(super::json_text(&value)? + "\n"));
    } else {
        super::print_text(&text(&args.dir, &folder, &status));
    }
    Ok(if args.check && !status.is_clean() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The summary line: `12 applied, 1 pending, …`.
pub fn summary(status: &Status) -> String {
    State::ALL
        .iter()
        .map(|s| format!("{} {}", status.count(*s), s.label()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn text(dir: &Path, folder: &Folder, status: &Status) -> String {
    let mut out = String::new();
    let t = &status.tracking;
    let table = t.table.as_deref().unwrap_or("PRAGMA user_version");
    let tracking = match t.kind {
        migrate::Kind::None => "none (no tracking table, user_version 0)".to_string(),
        kind => format!("{kind} ({table})"),
    };
    let _ = writeln!(out, "tracking: {tracking}");
    let tools: Vec<&str> = folder.tools().iter().map(|k| k.as_str()).collect();
    let fits = match tools.len() {
        0 => "no single tool's layout".to_string(),
        _ => tools.join(", "),
    };
    let _ = writeln!(out, "folder:   {} (layout of {fits})", escape_path(dir));
    for name in &folder.skipped {
        let _ = writeln!(
            out,
            "  ! skipped {name}: not a migration name of any layout"
        );
    }
    let width = status
        .migrations
        .iter()
        .map(|r| r.version.as_str().len())
        .max()
        .unwrap_or(7)
        .max(7);
    let _ = writeln!(
        out,
        "\n{:<width$}  {:<8}  {:<24}  name",
        "version", "state", "applied"
    );
    for r in &status.migrations {
        let _ = writeln!(
            out,
            "{:<width$}  {:<8}  {:<24}  {}",
            r.version.as_str(),
            r.state.label(),
            r.applied_at.as_deref().unwrap_or("-"),
            r.name
        );
    }
    let _ = writeln!(out, "\n{}", summary(status));
    out
}

fn new(args: &NewArgs) -> Result<ExitCode> {
    let written = migrate::new::create(&args.dir, &args.name, SystemTime::now(), None)?;
    let mut out = String::new();
    for path in written {
        let _ = writeln!(out, "created {}", escape_path(&path));
    }
    super::print_text(&out);
    Ok(ExitCode::SUCCESS)
}
