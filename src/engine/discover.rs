//! Finding database files under the paths a user names.
//!
//! A directory is walked recursively (not following symlinked directories, skipping `.git`,
//! `target` and `node_modules`). A file is kept when it starts with the SQLite magic, or when its
//! name says it should be a database (so that an empty or foreign `gateway.db` is reported rather
//! than silently skipped). Nothing here opens a database; `inspect` does that.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::header::{sniff, Sniff};
use super::names::escape_path;

const SKIPPED_DIRS: &[&str] = &[".git", "target", "node_modules"];
const DB_EXTENSIONS: &[&str] = &["db", "sqlite", "sqlite3", "db3", "gpkg"];
const BACKUP_EXTENSIONS: &[&str] = &["backup", "bak"];

/// A file to inspect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The path as printed: relative to the directory argument it was found under, or as given,
    /// through [`escape_path`] so that bytes that are not UTF-8 stay told apart.
    pub display: String,
    /// The path to open, in its raw bytes.
    pub path: PathBuf,
    /// True when the user named this file directly rather than a folder holding it.
    pub explicit: bool,
}

impl Found {
    /// A file the user named, printed as given.
    pub fn given(path: &Path) -> Found {
        Found {
            display: escape_path(path),
            path: path.to_path_buf(),
            explicit: true,
        }
    }
}

/// Resolves every argument to the database files it names, in a stable order.
///
/// A path that does not exist or cannot be listed is an error naming that path.
pub fn discover(args: &[PathBuf]) -> Result<Vec<Found>> {
    let mut found = Vec::new();
    for arg in args {
        let meta = fs::metadata(arg).with_context(|| escape_path(arg))?;
        if meta.is_dir() {
            let mut files = Vec::new();
            walk(arg, &mut files).with_context(|| escape_path(arg))?;
            files.sort();
            found.extend(
                files
                    .into_iter()
                    .filter(|f| is_candidate(f))
                    .map(|f| Found {
                        display: relative(&f, arg),
                        path: f,
                        explicit: false,
                    }),
            );
        } else if meta.is_file() {
            found.push(Found::given(arg));
        } else {
            bail!("{}: not a file or directory", escape_path(arg));
        }
    }
    Ok(found)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let path = entry.path();
        if kind.is_dir() {
            let skipped = SKIPPED_DIRS.iter().any(|s| entry.file_name() == *s);
            // A subfolder we may not read is skipped, not fatal: the rest of the tree still counts.
            if !skipped {
                let _ = walk(&path, out);
            }
        } else if kind.is_file() || (kind.is_symlink() && path.is_file()) {
            out.push(path);
        }
    }
    Ok(())
}

fn relative(file: &Path, base: &Path) -> String {
    escape_path(file.strip_prefix(base).unwrap_or(file))
}

fn is_candidate(path: &Path) -> bool {
    match sniff(path) {
        Ok(Sniff::Sqlite(_)) | Ok(Sniff::Truncated) => true,
        Ok(_) | Err(_) => has_database_name(path),
    }
}

fn extension_of(name: &str) -> Option<&str> {
    name.rsplit_once('.').map(|(_, ext)| ext)
}

/// True for a backup's name: `x.backup`, `x.bak`, or anything under a `backups` folder.
pub fn is_backup_name(path: &Path) -> bool {
    let in_backups = path
        .parent()
        .and_then(|p| p.file_name())
        .is_some_and(|n| n.eq_ignore_ascii_case("backups"));
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    in_backups || ext.is_some_and(|e| BACKUP_EXTENSIONS.contains(&e.as_str()))
}

/// True for names like `app.db`, `x.sqlite3`, `gateway.db.backup`, or `app.bak` beside `app.db`.
pub fn has_database_name(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let lower = name.to_ascii_lowercase();
    let Some((stem, ext)) = lower.rsplit_once('.') else {
        return false;
    };
    if DB_EXTENSIONS.contains(&ext) {
        return true;
    }
    if !BACKUP_EXTENSIONS.contains(&ext) {
        return false;
    }
    if extension_of(stem).is_some_and(|e| DB_EXTENSIONS.contains(&e)) {
        return true;
    }
    let original = &name[..stem.len()];
    DB_EXTENSIONS
        .iter()
        .any(|e| path.with_file_name(format!("{original}.{e}")).is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("app.db"), b"").unwrap();
        assert!(has_database_name(&dir.path().join("x.SQLITE3")));
        assert!(has_database_name(&dir.path().join("gateway.db.backup")));
        assert!(has_database_name(&dir.path().join("app.bak")));
        assert!(!has_database_name(&dir.path().join("notes.bak")));
        assert!(!has_database_name(&dir.path().join("readme.txt")));
        assert!(!has_database_name(&dir.path().join("app.db-wal")));
    }

    #[test]
    fn walks_folders_and_keeps_relative_paths() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("svc/.git")).unwrap();
        fs::create_dir_all(root.join("node_modules")).unwrap();
        fs::write(root.join("svc/gateway.db"), b"").unwrap();
        fs::write(root.join("svc/notes.txt"), b"hello").unwrap();
        fs::write(root.join("svc/.git/x.db"), b"").unwrap();
        fs::write(root.join("node_modules/y.db"), b"").unwrap();
        let mut magic = super::super::header::MAGIC.to_vec();
        magic.resize(100, 0);
        fs::write(root.join("svc/data.bin"), &magic).unwrap();
        let found = discover(&[root.to_path_buf()]).unwrap();
        let names: Vec<_> = found.iter().map(|f| f.display.as_str()).collect();
        assert_eq!(names, ["svc/data.bin", "svc/gateway.db"]);
        assert!(found.iter().all(|f| !f.explicit));
    }

    #[test]
    fn a_missing_path_is_an_error_naming_it() {
        let err = discover(&[PathBuf::from("/no/such/dir.db")]).unwrap_err();
        assert!(format!("{err:#}").starts_with("/no/such/dir.db: "));
    }
}
