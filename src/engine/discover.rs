//! Finding database files under the paths a user names.
//!
//! A directory is walked recursively (not following symlinked directories, skipping `.git`,
//! `target` and `node_modules`). A regular file is kept when it starts with the SQLite magic, or
//! when its name says it should be a database (so that an empty or foreign `gateway.db` is
//! reported rather than silently skipped). Anything else named like a database (a FIFO, a socket,
//! a device, a broken symlink or a symlink loop) is kept too, and so is every subfolder that
//! cannot be read, listed as its path with a trailing `/`: each then gets a status saying what it
//! is ([`not_a_file`]) instead of going missing. Only regular files are ever opened: a FIFO can
//! block a reader forever and a device never ends, so the rest is told apart by metadata alone.
//! Nothing here opens a database; `inspect` does that.

use std::ffi::OsStr;
use std::fs::{self, FileType};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::backups;
use super::header::{sniff, Sniff};
use super::names::escape_path;

const SKIPPED_DIRS: &[&str] = &[".git", "target", "node_modules"];
const DB_EXTENSIONS: &[&str] = &["db", "sqlite", "sqlite3", "db3", "gpkg"];

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
/// A path that does not exist, or a folder that cannot be listed, is an error naming that path.
/// Anything else given by name is kept whatever it is (a FIFO, a broken symlink), to be given a
/// status.
pub fn discover(args: &[PathBuf]) -> Result<Vec<Found>> {
    let mut found = Vec::new();
    for arg in args {
        // lstat: a broken symlink given by name exists, and gets a status.
        fs::symlink_metadata(arg).with_context(|| escape_path(arg))?;
        if !arg.is_dir() {
            found.push(Found::given(arg));
            continue;
        }
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
    }
    Ok(found)
}

/// Collects every entry under `dir` that is not a folder, and every subfolder that cannot be read
/// (the rest of the tree still counts, and what the subfolder hides must not go unmentioned).
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let path = entry.path();
        if kind.is_dir() {
            let skipped = SKIPPED_DIRS.iter().any(|s| entry.file_name() == *s);
            if !skipped && walk(&path, out).is_err() {
                out.push(path);
            }
        } else if !(kind.is_symlink() && path.is_dir()) {
            out.push(path);
        }
    }
    Ok(())
}

/// `file` relative to `base`, escaped; a folder ends in `/`.
fn relative(file: &Path, base: &Path) -> String {
    let shown = escape_path(file.strip_prefix(base).unwrap_or(file));
    if file.is_dir() {
        shown + "/"
    } else {
        shown
    }
}

fn is_candidate(path: &Path) -> bool {
    match fs::metadata(path) {
        // The name is checked first: it costs no read, and most databases have one.
        Ok(m) if m.is_file() => {
            has_database_name(path)
                || matches!(sniff(path), Ok(Sniff::Sqlite(_) | Sniff::Truncated))
        }
        // `walk` keeps only the subfolders it could not read.
        Ok(m) if m.is_dir() => true,
        _ => has_database_name(path),
    }
}

/// Why `path` cannot be read as a database file, from metadata alone (a FIFO or a device is never
/// opened); `None` for a regular file, or a symlink to one.
pub fn not_a_file(path: &Path) -> Option<String> {
    let link = fs::symlink_metadata(path).is_ok_and(|m| m.is_symlink());
    let via = if link { "a symlink to " } else { "" };
    match fs::metadata(path) {
        Ok(m) if m.is_file() => None,
        Ok(m) if m.is_dir() => Some(match fs::read_dir(path) {
            Err(e) => format!("folder not readable: {}", io_cause(&e)),
            Ok(_) => format!("{via}a folder, not a database file"),
        }),
        Ok(m) => Some(format!(
            "not a regular file ({via}{})",
            special(m.file_type())
        )),
        Err(e) if link && e.kind() == io::ErrorKind::NotFound => {
            Some("broken symlink: its target does not exist".into())
        }
        Err(e) if link && e.raw_os_error() == Some(libc::ELOOP) => {
            Some("symlink loop: it leads back to itself".into())
        }
        Err(e) => Some(e.to_string()),
    }
}

fn special(kind: FileType) -> &'static str {
    if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "an unknown kind of file"
    }
}

/// An I/O error's cause in words, without its `(os error N)`: `permission denied`.
fn io_cause(e: &io::Error) -> String {
    let text = e.to_string();
    let cause = text.split(" (os error").next().unwrap_or(&text);
    cause.to_lowercase()
}

/// True for names like `app.db`, `x.sqlite3`, `gateway.db.backup`, or `app.bak` beside `app.db`.
/// The name is read as bytes: `café\xe9.db` is named like a database whatever its encoding.
pub fn has_database_name(path: &Path) -> bool {
    let Some(name) = path.file_name().map(OsStrExt::as_bytes) else {
        return false;
    };
    let Some((stem, ext)) = split_extension(name) else {
        return false;
    };
    let is_one_of =
        |list: &[&str], ext: &[u8]| list.iter().any(|e| e.as_bytes().eq_ignore_ascii_case(ext));
    if is_one_of(DB_EXTENSIONS, ext) {
        return true;
    }
    if !is_one_of(backups::EXTENSIONS, ext) {
        return false;
    }
    if split_extension(stem).is_some_and(|(_, e)| is_one_of(DB_EXTENSIONS, e)) {
        return true;
    }
    DB_EXTENSIONS.iter().any(|e| {
        let mut original = OsStr::from_bytes(stem).to_owned();
        original.push(format!(".{e}"));
        path.with_file_name(original).is_file()
    })
}

/// `(stem, extension)` of a file name, split at its last dot.
fn split_extension(name: &[u8]) -> Option<(&[u8], &[u8])> {
    let dot = name.iter().rposition(|&b| b == b'.')?;
    Some((&name[..dot], &name[dot + 1..]))
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
        assert!(has_database_name(Path::new(OsStr::from_bytes(
            b"caf\xe9.DB"
        ))));
        fs::write(dir.path().join(OsStr::from_bytes(b"\xff.sqlite")), b"").unwrap();
        assert!(has_database_name(
            &dir.path().join(OsStr::from_bytes(b"\xff.bak"))
        ));
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
