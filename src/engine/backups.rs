//! What a backup copy is, defined once: the names that make a file a backup (`X.backup`,
//! `X.bak`, anything in a `backups` folder), which database a copy belongs to, and a readable
//! copy beside a database. Discovery, the audit and the Backups panel all ask here.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::header::{self, Sniff};

/// Endings that make a file a backup copy of the database named before them.
pub const EXTENSIONS: &[&str] = &["backup", "bak"];

/// The folder name under which every file is a backup.
const FOLDER: &str = "backups";

/// True for a backup's name: `x.backup`, `x.bak`, or anything under a `backups` folder.
pub fn is_backup_name(path: &Path) -> bool {
    let in_folder = path
        .parent()
        .and_then(|p| p.file_name())
        .is_some_and(|n| n.eq_ignore_ascii_case(FOLDER));
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    in_folder || ext.is_some_and(|e| EXTENSIONS.contains(&e.as_str()))
}

/// True when `copy` is a backup of the database at `db`: `db`'s name with a backup ending beside
/// it (`app.db.backup`), or a file in another folder (a `backups` folder) whose name starts with
/// `db`'s stem (`app-2026-11-01.db`). Names are compared as bytes, never lossily.
pub fn is_copy_of(copy: &Path, db: &Path) -> bool {
    if !is_backup_name(copy) || copy == db {
        return false;
    }
    let (copy_name, name) = (bytes(copy.file_name()), bytes(db.file_name()));
    let beside = copy.parent() == db.parent()
        && copy_name.len() > name.len()
        && copy_name.starts_with(name)
        && copy_name[name.len()] == b'.';
    let stem = bytes(db.file_stem());
    let elsewhere = copy.parent() != db.parent() && !stem.is_empty() && copy_name.starts_with(stem);
    beside || elsewhere
}

fn bytes(name: Option<&OsStr>) -> &[u8] {
    name.map(OsStrExt::as_bytes).unwrap_or_default()
}

/// A readable SQLite copy beside `path` (`X.backup`, `X.bak`) and its size.
pub fn sibling_copy(path: &Path) -> Option<(PathBuf, u64)> {
    EXTENSIONS.iter().find_map(|ext| {
        let mut name = path.as_os_str().to_owned();
        name.push(format!(".{ext}"));
        let candidate = PathBuf::from(name);
        // Only a regular file is read: a FIFO named like a backup would block the read.
        let size = candidate.metadata().ok().filter(|m| m.is_file())?.len();
        matches!(header::sniff(&candidate), Ok(Sniff::Sqlite(_))).then_some((candidate, size))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_which_database_a_copy_belongs_to() {
        let db = Path::new("/srv/app.db");
        assert!(is_copy_of(Path::new("/srv/app.db.backup"), db));
        assert!(is_copy_of(Path::new("/srv/backups/app-2026-11-01.db"), db));
        assert!(!is_copy_of(Path::new("/srv/app.dbx.backup"), db));
        assert!(!is_copy_of(Path::new("/srv/other.db.bak"), db));
        assert!(!is_copy_of(Path::new("/srv/app.db"), db));
        assert!(!is_copy_of(Path::new("/srv/backups/gateway.db"), db));
        assert!(is_backup_name(Path::new("/x/BACKUPS/y.db")));
        assert!(!is_backup_name(Path::new("/x/app.db")));
    }
}
