//! `litescope migrate up|down`: applying and rolling back a folder's migrations through the
//! engine's runner, and `--dry-run` on a private copy. `down` destroys data, so on a terminal it
//! asks first, naming the database, the migrations and the backup; `--yes` answers for a script,
//! and with neither it refuses. `up` runs without asking, as the migration tools do.
//!
//! A migration that fails is reported (text or JSON) and the command exits 2.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Result};

use crate::engine::connect::{self, Conn};
use crate::engine::database::precheck;
use crate::engine::discover::Found;
use crate::engine::migrate::preview::{self, Preview};
use crate::engine::migrate::run::{self, Direction, Event, Outcome, Plan};
use crate::engine::migrate::{mend, read_folder, track, Kind, Version};
use crate::engine::names::escape_path;

#[derive(clap::Args, Debug)]
pub struct UpArgs {
    /// The database file.
    db: PathBuf,
    /// The migrations folder.
    #[arg(long)]
    dir: PathBuf,
    /// Apply pending migrations up to and including this version (default: all).
    #[arg(long)]
    to: Option<String>,
    /// The tracking to create when the database has none (sqlx, dbmate, golang-migrate, goose,
    /// diesel, user_version, litescope).
    #[arg(long)]
    kind: Option<String>,
    /// Apply to a private copy and show what would change; the database is not touched.
    #[arg(long)]
    dry_run: bool,
    /// Do not back the database up first.
    #[arg(long)]
    no_backup: bool,
    /// Print JSON: {"database","backup","tracking","applied","failed"}.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args, Debug)]
pub struct DownArgs {
    /// The database file.
    db: PathBuf,
    /// The migrations folder.
    #[arg(long)]
    dir: PathBuf,
    /// How many of the last applied migrations to roll back.
    #[arg(long, default_value_t = 1)]
    steps: usize,
    /// Roll back a private copy and show what would change; the database is not touched.
    #[arg(long)]
    dry_run: bool,
    /// Do not back the database up first.
    #[arg(long)]
    no_backup: bool,
    /// Do not ask.
    #[arg(long)]
    yes: bool,
    /// Print JSON: {"database","backup","tracking","applied","failed"}.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args, Debug)]
pub struct BaselineArgs {
    /// The database file.
    db: PathBuf,
    /// The migrations folder.
    #[arg(long)]
    dir: PathBuf,
    /// Record every migration up to and including this version.
    #[arg(long)]
    to: String,
    /// The tracking to create when the database has none.
    #[arg(long)]
    kind: Option<String>,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args, Debug)]
pub struct RepairArgs {
    /// The database file.
    db: PathBuf,
    /// The migrations folder.
    #[arg(long)]
    dir: PathBuf,
    #[arg(long)]
    json: bool,
}

/// What `up` and `down` share.
struct Request<'a> {
    db: &'a Path,
    dir: &'a Path,
    direction: Direction,
    kind: Option<Kind>,
    dry_run: bool,
    backup: bool,
    json: bool,
}

fn kind(name: Option<&str>) -> Result<Option<Kind>> {
    let Some(name) = name else {
        return Ok(None);
    };
    let kind = Kind::parse(name).filter(|k| track::writable(*k));
    kind.map(Some).ok_or_else(|| {
        anyhow!(
            "unknown --kind {name}: one of sqlx, dbmate, golang-migrate, goose, diesel, \
             user_version, litescope"
        )
    })
}

pub fn baseline(args: &BaselineArgs) -> Result<ExitCode> {
    checked(&args.db)?;
    let folder = read_folder(&args.dir)?;
    let to = Version::new(args.to.clone());
    let outcome = mend::baseline(&args.db, folder, to, kind(args.kind.as_deref())?)?;
    if args.json {
        super::print_json(&outcome)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = String::new();
    for d in &outcome.applied {
        let _ = writeln!(out, "recorded {} {} (not run)", d.version, d.name);
    }
    let t = &outcome.tracking;
    let _ = writeln!(
        out,
        "{} recorded as applied in {} ({})",
        crate::units::counted(outcome.applied.len() as u64, "migration"),
        t.kind,
        t.table.as_deref().unwrap_or("PRAGMA user_version")
    );
    super::print_text(&out);
    Ok(ExitCode::SUCCESS)
}

pub fn repair(args: &RepairArgs) -> Result<ExitCode> {
    checked(&args.db)?;
    let folder = read_folder(&args.dir)?;
    let (tracking, repaired) = mend::repair(&args.db, &folder)?;
    if args.json {
        super::print_json(&serde_json::json!({
            "database": args.db, "tracking": tracking, "repaired": repaired,
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = String::new();
    for r in &repaired {
        let _ = writeln!(
            out,
            "version {}: the schema is {}; record cleared",
            r.version,
            match r.now {
                "applied" => "at this version: recorded as applied",
                _ => "at the version before: the record removed",
            }
        );
    }
    if repaired.is_empty() {
        out.push_str("nothing to repair: no dirty or failed record\n");
    }
    super::print_text(&out);
    Ok(ExitCode::SUCCESS)
}

/// Stops with the database's one-line failure when it cannot be read at all.
fn checked(db: &Path) -> Result<()> {
    if let Err(failed) = precheck(&Found::given(db)) {
        bail!("{}", failed.failure_line().unwrap_or_default());
    }
    Ok(())
}

pub fn up(args: &UpArgs) -> Result<ExitCode> {
    let kind = kind(args.kind.as_deref())?;
    let request = Request {
        db: &args.db,
        dir: &args.dir,
        direction: Direction::Up {
            to: args.to.clone().map(Version::new),
        },
        kind,
        dry_run: args.dry_run,
        backup: !args.no_backup,
        json: args.json,
    };
    let (plan, conn) = planned(&request)?;
    execute(&request, &plan, conn)
}

pub fn down(args: &DownArgs) -> Result<ExitCode> {
    let request = Request {
        db: &args.db,
        dir: &args.dir,
        direction: Direction::Down { steps: args.steps },
        kind: None,
        dry_run: args.dry_run,
        backup: !args.no_backup,
        json: args.json,
    };
    let (plan, conn) = planned(&request)?;
    if !args.dry_run && !plan.steps.is_empty() {
        super::backup::confirm(&question(&plan), args.yes)?;
    }
    execute(&request, &plan, conn)
}

/// The database opened read-only and the run planned against it.
fn planned(r: &Request) -> Result<(Plan, Conn)> {
    checked(r.db)?;
    let folder = read_folder(r.dir)?;
    let conn = connect::open(r.db).map_err(|e| anyhow!("{}: {e}", escape_path(r.db)))?;
    let backup = r.backup && !r.dry_run;
    let plan = run::plan(&conn, r.db, folder, r.direction.clone(), r.kind, backup);
    conn.end_transaction();
    Ok((plan?, conn))
}

/// `roll back 2 migrations of app.db (…, …); backup to backups/…`, asked before a `down`.
fn question(plan: &Plan) -> String {
    let names: Vec<String> = plan
        .steps
        .iter()
        .map(|s| format!("{} {}", s.version, s.name))
        .collect();
    let backup = match &plan.backup {
        Some(b) => format!("backup first to {}", escape_path(&b.target)),
        None => "NO backup (--no-backup)".into(),
    };
    format!(
        "roll back {} of {} ({}); {backup}. Data these migrations hold is lost. Go ahead?",
        crate::units::counted(plan.steps.len() as u64, "migration"),
        escape_path(&plan.db),
        names.join(", ")
    )
}

fn execute(r: &Request, plan: &Plan, conn: Conn) -> Result<ExitCode> {
    let mut progress = Progress::new(!r.json);
    let mut on_event = |e: Event| progress.show(&e);
    let (outcome, preview) = match r.dry_run {
        true => {
            let (o, p) = preview::dry_run(plan, &conn, &mut on_event)?;
            (o, Some(p))
        }
        false => {
            // The run needs the file to itself in WAL mode: this connection closes first.
            let cancel = conn.cancel_flag();
            drop(conn);
            (run::run(plan, cancel, &mut on_event)?, None)
        }
    };
    if r.json {
        print_json(plan, &outcome, preview.as_ref(), r.dry_run)?;
    } else {
        super::print_text(&text(plan, &outcome, preview.as_ref()));
    }
    match &outcome.failed {
        Some(f) => {
            super::print_failure(&format!("{}: {f}", escape_path(r.db)));
            Ok(ExitCode::from(2))
        }
        None => Ok(ExitCode::SUCCESS),
    }
}

fn print_json(
    plan: &Plan,
    outcome: &Outcome,
    preview: Option<&Preview>,
    dry_run: bool,
) -> Result<()> {
    let mut value = serde_json::to_value(outcome)?;
    value["tracking"]["chosen"] = plan.chosen.describe().into();
    value["dry_run"] = dry_run.into();
    if let Some(p) = preview {
        value["preview"] = serde_json::to_value(p)?;
    }
    super::print_json(&value)?;
    Ok(())
}

fn text(plan: &Plan, outcome: &Outcome, preview: Option<&Preview>) -> String {
    let mut out = String::new();
    let t = &outcome.tracking;
    let table = t.table.as_deref().unwrap_or("PRAGMA user_version");
    let created = if plan.creates_tracking {
        ", created"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "tracking: {} ({table}{created}): {}",
        t.kind,
        plan.chosen.describe()
    );
    if let Some(b) = &outcome.backup {
        let _ = writeln!(out, "backup:   {}", escape_path(b));
    }
    let verb = match plan.direction {
        Direction::Up { .. } => "applied",
        Direction::Down { .. } => "rolled back",
    };
    for d in &outcome.applied {
        let _ = writeln!(out, "{verb} {} {} ({:.0} ms)", d.version, d.name, d.millis);
    }
    if let Some(f) = &outcome.failed {
        let _ = writeln!(out, "failed  {} {}: {f}", f.version, f.name);
        let after = match (f.rolled_back, &outcome.backup) {
            (true, _) => "it was rolled back: the database stays at the last good version".into(),
            (false, Some(b)) => format!(
                "it could not be rolled back: the backup is {}",
                escape_path(b)
            ),
            (false, None) => "it could not be rolled back".to_string(),
        };
        let _ = writeln!(out, "{after}");
    }
    let what = match preview {
        Some(_) => format!("{verb} on a private copy (dry run; the database is untouched)"),
        None => verb.to_string(),
    };
    let _ = writeln!(
        out,
        "{} {what}",
        crate::units::counted(outcome.applied.len() as u64, "migration")
    );
    if let Some(p) = preview {
        for line in p.lines() {
            let _ = writeln!(out, "{line}");
        }
    }
    out
}

/// One line per migration on stderr, on a terminal only.
struct Progress {
    on: bool,
}

impl Progress {
    fn new(wanted: bool) -> Progress {
        Progress {
            on: wanted && std::io::stderr().is_terminal(),
        }
    }

    fn show(&mut self, event: &Event) {
        if !self.on {
            return;
        }
        match event {
            Event::Backup(done, total) => {
                eprint!("\rbacking up: {}%", done * 100 / (*total).max(1));
            }
            Event::Starting(i, p) => eprint!("\r\x1b[K{} {} {} ...", i + 1, p.version, p.name),
            Event::Finished(_) => eprint!("\r\x1b[K"),
        }
        let _ = std::io::stderr().flush();
    }
}
