//! The backups in a folder: listed newest first with where each came from, and pruned to the
//! newest few per source.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Serialize;

use super::manifest::{self, Manifest};
use super::{default_dir, is_copy_of, sibling_copy, FOLDER};
use crate::engine::clock as stamp;
use crate::engine::discover::has_database_name;
use crate::engine::error::Error;
use crate::engine::header::{self, Sniff};
use crate::engine::write::fsync_dir;

/// One backup file.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub path: PathBuf,
    /// The database it was made from: its manifest's record, or the name before the time in the
    /// file's name when it has no manifest.
    pub source: String,
    /// RFC 3339 UTC: the manifest's time, or the file's modification time.
    pub created: String,
    pub bytes: u64,
    pub verified: bool,
    #[serde(skip)]
    pub time: SystemTime,
}

/// The backups in `dir`, newest first: files with a database-like name that hold a SQLite
/// database. Manifests, files being written and other files are not backups.
pub fn list(dir: &Path) -> Result<Vec<Entry>, Error> {
    let entries = fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut found: Vec<Entry> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| has_database_name(p) && p.is_file())
        .filter(|p| matches!(header::sniff(p), Ok(Sniff::Sqlite(_))))
        .map(entry)
        .collect();
    found.sort_by(|a, b| b.time.cmp(&a.time).then_with(|| b.path.cmp(&a.path)));
    Ok(found)
}

fn entry(path: PathBuf) -> Entry {
    let meta = fs::metadata(&path).ok();
    let bytes = meta.as_ref().map_or(0, |m| m.len());
    let manifest = manifest::read(&path);
    let time = manifest.as_ref().map_or_else(
        || {
            meta.and_then(|m| m.modified().ok())
                .unwrap_or(SystemTime::UNIX_EPOCH)
        },
        Manifest::created_at,
    );
    let source = manifest.as_ref().map_or_else(
        || source_from_name(&path),
        |m| m.source.display().to_string(),
    );
    Entry {
        source,
        created: stamp::rfc3339(time),
        bytes,
        verified: manifest.is_some_and(|m| m.verified),
        time,
        path,
    }
}

/// `app` for `app-20261122T231500.123Z.db` or `app.db.bak`: the name before a backup's time or
/// its first dot.
fn source_from_name(path: &Path) -> String {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let base = name.split('.').next().unwrap_or(&name);
    let is_time = |t: &str| {
        t.len() > 9 && t[..8].bytes().all(|b| b.is_ascii_digit()) && t.as_bytes()[8] == b'T'
    };
    match base.rfind('-') {
        Some(i) if is_time(&base[i + 1..]) => base[..i].to_string(),
        _ => base.to_string(),
    }
}

/// The backups of the database at `db`, newest first: in a `backups/` folder beside it or up to
/// two folders above it (a project's `backups/` beside its `data/`), and in `extra`, those whose
/// manifest names it or whose name says they are its copies (`backups/app-….db`); and its
/// siblings `X.backup` / `X.bak`.
pub fn backups_of(db: &Path, extra: Option<&Path>) -> Vec<Entry> {
    let me = std::path::absolute(db).unwrap_or_else(|_| db.to_path_buf());
    let above = me
        .parent()
        .into_iter()
        .flat_map(Path::ancestors)
        .skip(1)
        .take(2);
    let dirs = std::iter::once(default_dir(&me))
        .chain(above.map(|a| a.join(FOLDER)))
        .chain(extra.map(Path::to_path_buf));
    let in_dirs = dirs
        .flat_map(|d| list(&d).unwrap_or_default())
        .filter(|e| Path::new(&e.source) == me || is_copy_of(&e.path, db));
    let siblings = sibling_copy(db).map(|(path, _)| entry(path));
    let mut all: Vec<Entry> = in_dirs.chain(siblings).collect();
    all.sort_by_key(|e| std::cmp::Reverse(e.time));
    all.dedup_by(|a, b| a.path == b.path);
    all
}

/// What pruning removes and keeps.
#[derive(Debug, Default, Serialize)]
pub struct Pruned {
    pub removed: Vec<PathBuf>,
    pub kept: Vec<PathBuf>,
}

/// Which backups of `dir` pruning to the newest `keep` per source would remove.
pub fn prune_plan(dir: &Path, keep: usize) -> Result<Pruned, Error> {
    let mut pruned = Pruned::default();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for e in list(dir)? {
        let n = seen.entry(e.source.clone()).or_default();
        *n += 1;
        match *n <= keep {
            true => pruned.kept.push(e.path),
            false => pruned.removed.push(e.path),
        }
    }
    Ok(pruned)
}

/// Removes what `plan` says, each backup with its manifest.
pub fn prune(plan: &Pruned) -> Result<(), Error> {
    for path in &plan.removed {
        fs::remove_file(path).map_err(|e| Error::io(path, e))?;
        let _ = fs::remove_file(manifest::path_of(path));
    }
    match plan.removed.first() {
        Some(first) => fsync_dir(first),
        None => Ok(()),
    }
}
