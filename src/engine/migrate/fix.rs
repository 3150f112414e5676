//! Applying a fix (the SQL litescope prints for a finding or a relation) through the migrations
//! runner, so that it gets what a migration gets: a backup first, the write lock, one
//! transaction (or the fix's own), the checks after it, and a record.
//!
//! With a migrations folder the fix is first drafted as the folder's next migration, in its own
//! layout, and saved when the user confirms; the run then records it in the database's tracking
//! as the team's tool would, so that the team's history stays whole. A folder with pending
//! migrations is refused: the fix would jump ahead of them. With no folder the fix is recorded in
//! litescope's own `_litescope_migrations`, beside whatever tracking the database keeps.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::SystemTime;

use rusqlite::Connection;

use super::folder::{read_folder, Folder, Layout, Migration};
use super::new::{self, Draft};
use super::run::{self, Direction, Event, Outcome, Plan};
use super::{Kind, Version};
use crate::engine::clock;
use crate::engine::error::Error;

/// A fix to apply: a name for its record, and its SQL.
#[derive(Debug, Clone)]
pub struct Fix {
    pub name: String,
    pub sql: String,
}

impl Fix {
    /// The SQL a migration holds: the printed fix without the `sqlite3` shell's own commands
    /// (`.bail on`), which no migration tool runs and the runner does not need, since it stops
    /// at the first error itself.
    fn migration_sql(&self) -> String {
        let lines: Vec<&str> = self.sql.lines().filter(|l| !l.starts_with('.')).collect();
        lines.join("\n")
    }
}

/// What applying a fix will do, before anything is written.
#[derive(Debug, Clone)]
pub struct FixPlan {
    /// The run of exactly one migration: the fix.
    pub run: Plan,
    /// The migration to save in the folder first; none with no folder.
    pub draft: Option<Draft>,
}

/// Plans `fix` against the database behind `conn`, saved into the migrations folder `dir` when
/// there is one.
pub fn plan(
    conn: &Connection,
    db: &Path,
    fix: &Fix,
    dir: Option<&Path>,
    now: SystemTime,
) -> Result<FixPlan, Error> {
    let (folder, draft, kind) = match dir {
        Some(dir) => {
            let mut folder = read_folder(dir)?;
            let draft = new::draft(&folder, &fix.name, now, Some(&fix.migration_sql()))?;
            folder.migrations.push(draft.migration());
            (folder, Some(draft), None)
        }
        None => (unsaved(db, fix, now), None, Some(Kind::Litescope)),
    };
    let version = folder.migrations.last().map(|m| m.version.clone());
    let up = Direction::Up { to: version };
    let run = run::plan(conn, db, folder, up, kind, true)?;
    refuse_pending(db, &run)?;
    Ok(FixPlan { run, draft })
}

/// Saves the fix's migration (when it has a folder), then runs it, stopped by `cancel`, as
/// [`run::run`] runs (the caller's connections to the database closed). A fix that did not
/// apply takes its saved migration away again, so that the folder never holds a migration the
/// database refused.
pub fn apply(
    plan: &FixPlan,
    cancel: Arc<AtomicBool>,
    progress: &mut dyn FnMut(Event),
) -> Result<Outcome, Error> {
    let saved = match &plan.draft {
        Some(draft) => new::write(draft)?,
        None => Vec::new(),
    };
    let outcome = run::run(&plan.run, cancel, progress);
    if outcome.as_ref().map_or(true, |o| o.applied.is_empty()) {
        for path in saved.iter().rev() {
            let _ = std::fs::remove_file(path);
        }
        // Diesel's migration is a folder of its own.
        let own_dir = saved.first().and_then(|p| p.parent());
        if let Some(dir) = own_dir.filter(|d| *d != plan.run.folder.dir) {
            let _ = std::fs::remove_dir(dir);
        }
    }
    outcome
}

/// The run goes up to the fix: any step before it is a migration still pending, which the fix
/// would run ahead of.
fn refuse_pending(db: &Path, run: &Plan) -> Result<(), Error> {
    let pending = &run.steps[..run.steps.len().saturating_sub(1)];
    match pending.first() {
        Some(first) => Err(Error::invalid(
            db,
            format!(
                "{} migrations of {} are pending (first {}): apply them before a fix, which would \
                 otherwise run ahead of them",
                pending.len(),
                crate::engine::names::escape_path(&run.folder.dir),
                first.file
            ),
        )),
        None => Ok(()),
    }
}

/// A folder holding only the fix, as a migration that is never written: the run needs a folder,
/// and the record needs a version (the time, as sqlx's timestamps) and a checksum. The fix's
/// own `BEGIN … COMMIT`, if any, runs as written.
fn unsaved(db: &Path, fix: &Fix, now: SystemTime) -> Folder {
    let dir: PathBuf = db.parent().map(Path::to_path_buf).unwrap_or_default();
    let version = clock::compact(now);
    let slug = new::slug(&fix.name);
    let path = dir.join(format!("{version}_{slug}.sql"));
    let sql = fix.migration_sql();
    let migration = Migration::unsaved(Version::new(version), &slug, Layout::Plain, path, &sql);
    Folder {
        dir,
        migrations: vec![migration],
        skipped: Vec::new(),
    }
}
