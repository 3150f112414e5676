//! `litescope backup create|verify|list|prune|restore`: consistent, verified backups and their
//! upkeep, over the engine's backups module. `prune` and `restore` destroy data, so on a terminal
//! they ask first; `--yes` answers for a script, and without either they refuse.

use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Result};
use serde_json::json;

use crate::engine::backups::create::{self, Check};
use crate::engine::backups::{catalog, restore, verify};
use crate::engine::connect;
use crate::engine::names::escape_path;
use crate::units;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Write a consistent, verified copy of DB into DIR (default: `backups/` beside DB).
    Create {
        db: PathBuf,
        #[arg(long)]
        out: Option<PathBuf>,
        /// Skip the check of the copy (integrity, schema, row counts, content hash).
        #[arg(long)]
        no_verify: bool,
        /// Check with `integrity_check` instead of `quick_check`.
        #[arg(long)]
        full: bool,
        #[arg(long)]
        json: bool,
    },
    /// Check BACKUP and compare it with DB; exit 1 on a mismatch.
    Verify {
        backup: PathBuf,
        #[arg(long)]
        against: PathBuf,
        /// Check with `integrity_check` instead of `quick_check`.
        #[arg(long)]
        full: bool,
        #[arg(long)]
        json: bool,
    },
    /// The backups in DIR, newest first.
    List {
        dir: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Keep the newest N backups of each source in DIR and remove the rest.
    Prune {
        dir: PathBuf,
        #[arg(long)]
        keep: usize,
        /// Show what would be removed, remove nothing.
        #[arg(long)]
        dry_run: bool,
        /// Do not ask.
        #[arg(long)]
        yes: bool,
        #[arg(long)]
        json: bool,
    },
    /// Replace DB with BACKUP, after checking it and saving the current DB as a backup.
    Restore {
        backup: PathBuf,
        db: PathBuf,
        /// Do not ask.
        #[arg(long)]
        yes: bool,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: &Args) -> Result<ExitCode> {
    match &args.command {
        Command::Create {
            db,
            out,
            no_verify,
            full,
            json,
        } => {
            let check = match (no_verify, full) {
                (true, _) => Check::None,
                (false, true) => Check::Full,
                (false, false) => Check::Quick,
            };
            create_one(db, out.as_deref(), check, *json)
        }
        Command::Verify {
            backup,
            against,
            full,
            json,
        } => verify_one(backup, against, *full, *json),
        Command::List { dir, json } => list(dir, *json),
        Command::Prune {
            dir,
            keep,
            dry_run,
            yes,
            json,
        } => prune(dir, *keep, *dry_run, *yes, *json),
        Command::Restore {
            backup,
            db,
            yes,
            json,
        } => restore_one(backup, db, *yes, *json),
    }
}

fn create_one(db: &Path, out: Option<&Path>, check: Check, json: bool) -> Result<ExitCode> {
    let plan = create::plan(db, out)?;
    let conn = connect::open(db).map_err(|e| anyhow::anyhow!("{}: {e}", escape_path(db)))?;
    let mut progress = Progress::new(!json, "copying");
    if plan.holds_read_lock && progress.on {
        eprintln!(
            "{}: rollback journal: the copy holds the read lock, so writers wait until it is done",
            escape_path(db)
        );
    }
    let made = create::create(&plan, &conn, check, &mut |d, t| progress.show(d, t))?;
    progress.clear();
    let m = &made.manifest;
    if json {
        super::print_json(&json!({
            "path": made.path, "source": db, "bytes": m.bytes, "seconds": made.seconds,
            "verified": m.verified, "content_hash": m.content_hash, "tables": m.tables,
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    let checked = match &m.check {
        Some(check) => format!(
            "verified: {check} ok, schema and content hash equal to the snapshot, {} counted",
            units::counted(m.tables.len() as u64, "table")
        ),
        None => "not verified (--no-verify)".into(),
    };
    super::print_text(&format!(
        "{}\n{} in {:.1} s; {checked}\n",
        escape_path(&made.path),
        units::bytes(m.bytes),
        made.seconds
    ));
    Ok(ExitCode::SUCCESS)
}

fn verify_one(backup: &Path, db: &Path, full: bool, json: bool) -> Result<ExitCode> {
    let verdict = verify::against(backup, db, full)?;
    if json {
        super::print_json(&verdict)?;
    } else {
        let text = verdict.lines(backup, db).join("\n") + "\n";
        super::print_text(&text);
    }
    Ok(if verdict.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn list(dir: &Path, json: bool) -> Result<ExitCode> {
    let entries = catalog::list(dir)?;
    if json {
        super::print_json(&json!({ "backups": entries }))?;
        return Ok(ExitCode::SUCCESS);
    }
    if entries.is_empty() {
        super::print_text(&format!("no backups in {}\n", escape_path(dir)));
    }
    let mut text = String::new();
    for e in &entries {
        let age = crate::engine::backups::age_days(e.time);
        let verified = if e.verified {
            "verified"
        } else {
            "not verified"
        };
        text += &format!(
            "{}  {}  {}  {}  {verified}\n",
            escape_path(&e.path),
            e.source,
            units::age_days(age),
            units::bytes(e.bytes)
        );
    }
    super::print_text(&text);
    Ok(ExitCode::SUCCESS)
}

fn prune(dir: &Path, keep: usize, dry_run: bool, yes: bool, json: bool) -> Result<ExitCode> {
    let plan = catalog::prune_plan(dir, keep)?;
    let listed = |paths: &[PathBuf]| {
        paths
            .iter()
            .map(|p| format!("  {}\n", escape_path(p)))
            .collect::<String>()
    };
    if !dry_run && !plan.removed.is_empty() {
        let question = format!(
            "remove {} backups (each with its manifest)?\n{}",
            plan.removed.len(),
            listed(&plan.removed)
        );
        confirm(&question, yes)?;
        catalog::prune(&plan)?;
    }
    if json {
        super::print_json(&plan)?;
    } else {
        let verb = if dry_run { "would remove" } else { "removed" };
        super::print_text(&format!(
            "{verb} {}:\n{}kept {}:\n{}",
            plan.removed.len(),
            listed(&plan.removed),
            plan.kept.len(),
            listed(&plan.kept)
        ));
    }
    Ok(ExitCode::SUCCESS)
}

fn restore_one(backup: &Path, db: &Path, yes: bool, json: bool) -> Result<ExitCode> {
    let plan = restore::plan(backup, db)?;
    confirm(&format!("{}\nrestore?", plan.describe()), yes)?;
    let mut progress = Progress::new(!json, "saving the current database");
    let done = restore::restore(&plan, &mut |d, t| progress.show(d, t))?;
    progress.clear();
    if json {
        super::print_json(&done)?;
    } else {
        let saved = done.saved_current.as_ref().map_or(String::new(), |p| {
            format!("; the previous database is saved as {}", escape_path(p))
        });
        super::print_text(&format!(
            "restored {} from {}{saved}\n",
            escape_path(db),
            escape_path(backup)
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// Asks `question` on the terminal; `yes` answers for the user, and with no terminal to ask on
/// the command refuses rather than guess.
pub(super) fn confirm(question: &str, yes: bool) -> Result<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        bail!("this destroys data and there is no terminal to ask: add --yes to go ahead");
    }
    eprint!("{question} [y/N] ");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    match answer.trim().eq_ignore_ascii_case("y") || answer.trim().eq_ignore_ascii_case("yes") {
        true => Ok(()),
        false => bail!("cancelled: nothing was changed"),
    }
}

/// A progress line on stderr, on a terminal only.
struct Progress {
    on: bool,
    what: &'static str,
    shown: u64,
}

impl Progress {
    fn new(wanted: bool, what: &'static str) -> Progress {
        Progress {
            on: wanted && std::io::stderr().is_terminal(),
            what,
            shown: u64::MAX,
        }
    }

    fn show(&mut self, done: u64, total: u64) {
        let percent = done * 100 / total.max(1);
        if self.on && percent != self.shown {
            self.shown = percent;
            eprint!(
                "\r{}: {percent}% of {} pages",
                self.what,
                units::count(total)
            );
            let _ = std::io::stderr().flush();
        }
    }

    fn clear(&self) {
        if self.on && self.shown != u64::MAX {
            eprint!("\r\x1b[K");
        }
    }
}
