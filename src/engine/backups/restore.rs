//! Restoring a backup over a database: the backup is checked first, the current database saved
//! as a backup of its own, and the file replaced in one rename while no other process has it
//! open.

use std::fs::File;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::create::{self, Check};
use super::verify;
use crate::engine::connect::{self, sibling};
use crate::engine::error::Error;
use crate::engine::header::{self, Sniff};
use crate::engine::names::escape_path;
use crate::engine::write::{AtomicFile, Hold, Writer};

/// What a restore will change: what a confirmation names.
#[derive(Debug, Clone)]
pub struct Plan {
    pub backup: PathBuf,
    pub db: PathBuf,
    /// Where the current database is saved first; `None` when there is nothing to save.
    pub save: Option<create::Plan>,
}

impl Plan {
    /// Every file the restore changes, one per line.
    pub fn describe(&self) -> String {
        let mut lines = vec![format!(
            "replace {} (and remove its -wal and -shm) with {}",
            escape_path(&self.db),
            escape_path(&self.backup)
        )];
        if let Some(save) = &self.save {
            lines.push(format!(
                "first save the current database to {}",
                escape_path(&save.target)
            ));
        }
        lines.join("\n")
    }
}

/// What a restore did.
#[derive(Debug, Serialize)]
pub struct Restored {
    pub restored: PathBuf,
    pub saved_current: Option<PathBuf>,
}

/// Plans restoring `backup` over `db`; `db` may be missing or empty.
pub fn plan(backup: &Path, db: &Path) -> Result<Plan, Error> {
    match header::sniff(backup).map_err(|e| Error::io(backup, e))? {
        Sniff::Sqlite(_) => {}
        _ => {
            return Err(Error::invalid(
                backup,
                "file is not a database: nothing to restore",
            ))
        }
    }
    let has_data = std::fs::metadata(db).is_ok_and(|m| m.len() > 0);
    let save = match has_data {
        true => Some(create::plan(db, None)?),
        false => None,
    };
    Ok(Plan {
        backup: backup.to_path_buf(),
        db: db.to_path_buf(),
        save,
    })
}

/// Restores as `plan` says: refuses a backup that fails its check or a database another process
/// has open, saves the current database, then puts the backup in its place.
pub fn restore(plan: &Plan, progress: &mut dyn FnMut(u64, u64)) -> Result<Restored, Error> {
    check_backup(&plan.backup)?;
    // Checked before the save too, so a busy database is refused before anything is written.
    let writer = lock(&plan.db)?;
    drop(writer);
    let saved_current = match &plan.save {
        Some(save) => {
            let conn =
                connect::open(&plan.db).map_err(|e| Error::invalid(&plan.db, e.to_string()))?;
            Some(create::create(save, &conn, Check::Quick, progress)?.path)
        }
        None => None,
    };
    let writer = lock(&plan.db)?;
    if let Some(w) = &writer {
        w.fold_wal()?;
    }
    replace(&plan.backup, &plan.db)?;
    drop(writer);
    Ok(Restored {
        restored: plan.db.clone(),
        saved_current,
    })
}

/// The backup's own check: integrity, and its bytes against its manifest when it has one.
fn check_backup(backup: &Path) -> Result<(), Error> {
    let problems = verify::alone(backup)?;
    match problems.is_empty() {
        true => Ok(()),
        false => Err(Error::invalid(
            backup,
            format!(
                "not restored: the backup fails its check: {}",
                problems.join("; ")
            ),
        )),
    }
}

/// Takes the whole of `db`, proving no other process has it open (an empty file too: an
/// application may hold it open, about to write); `None` when there is no file to lock.
fn lock(db: &Path) -> Result<Option<Writer>, Error> {
    match db.exists() {
        true => Writer::open(db, Hold::Everything).map(Some),
        false => Ok(None),
    }
}

/// Copies the backup beside `db` under a temporary name, then renames it over `db`. Nothing may
/// be left beside the new file that belonged to the old one: a stale `-wal` would be replayed
/// onto it.
fn replace(backup: &Path, db: &Path) -> Result<(), Error> {
    let mut out = AtomicFile::create(db)?;
    let mut from = File::open(backup).map_err(|e| Error::io(backup, e))?;
    std::io::copy(&mut from, out.file()).map_err(|e| Error::io(db, e))?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let extra = sibling(db, suffix);
        match std::fs::remove_file(&extra) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(Error::io(&extra, e)),
            _ => {}
        }
    }
    out.commit(true)
}
