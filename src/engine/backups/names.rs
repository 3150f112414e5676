//! What a backup copy is, defined once: the names that make a file a backup (`X.backup`,
//! `X.bak`, anything in a `backups` folder), which database a copy belongs to, and a readable
//! copy beside a database. Discovery, the audit and the Backups panel all ask here.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::engine::header::{self, Sniff};

/// Endings that make a file a backup copy of the database named before them.
pub const EXTENSIONS: &[&str] = &["backup", "bak"];

/// The folder name under which every file is a backup.
pub const FOLDER: &str = "backups";

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

/// True when `copy` is named as a backup of the database at `db`: its name up to the first dot
/// is `db`'s, or starts with it and then a separator (`app.db.backup`, `app.bak` beside
/// `app.db`, `backups/app-20261001.db`). Names are compared as bytes, never lossily.
pub fn is_copy_of(copy: &Path, db: &Path) -> bool {
    if !is_backup_name(copy) || is_backup_name(db) {
        return false;
    }
    let stem = |p: &Path| {
        let name = bytes(p.file_name());
        name.split(|b| *b == b'.')
            .next()
            .unwrap_or_default()
            .to_vec()
    };
    let (copy_stem, db_stem) = (stem(copy), stem(db));
    !db_stem.is_empty()
        && copy_stem
            .strip_prefix(db_stem.as_slice())
            .is_some_and(|rest| rest.first().is_none_or(|b| !b.is_ascii_alphanumeric()))
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
        assert!(is_copy_of(Path::new("/srv/app.bak"), db));
        assert!(!is_copy_of(Path::new("/srv/apple.db.backup"), db));
        assert!(!is_copy_of(Path::new("/srv/other.db.bak"), db));
        assert!(!is_copy_of(Path::new("/srv/app.db"), db));
        assert!(!is_copy_of(Path::new("/srv/backups/gateway.db"), db));
        assert!(is_backup_name(Path::new("/x/BACKUPS/y.db")));
        assert!(!is_backup_name(Path::new("/x/app.db")));
    }
}
