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
//!
//! Files are told apart by their real path (a file reached twice, through two arguments or
//! twice the same one, is kept once). The printed path is made so that it names one file too:
//! with several arguments, a path found under a folder starts with that folder's name
//! (`staging/app.db`, `prod/app.db`), and where two folders share a name more of their path is
//! kept until the names differ ([`labels`]). Code keys databases by [`Found::path`]; the display
//! string is for people, and is unique only because it is built this way.

use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::fs::{self, FileType};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result};

use super::backups;
use super::error::io_cause;
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
    let prefixes = labels(args);
    let mut seen = HashSet::new();
    for (arg, prefix) in args.iter().zip(&prefixes) {
        // lstat: a broken symlink given by name exists, and gets a status.
        fs::symlink_metadata(arg).with_context(|| escape_path(arg))?;
        if !arg.is_dir() {
            if seen.insert(identity(arg)) {
                found.push(Found::given(arg));
            }
            continue;
        }
        let mut files = Vec::new();
        walk(arg, &mut files).with_context(|| escape_path(arg))?;
        files.sort();
        for f in files.into_iter().filter(|f| is_candidate(f)) {
            if !seen.insert(identity(&f)) {
                continue;
            }
            let display = match prefix {
                Some(p) => format!("{p}/{}", relative(&f, arg)),
                None => relative(&f, arg),
            };
            found.push(Found {
                display,
                path: f,
                explicit: false,
            });
        }
    }
    disambiguate(&mut found);
    Ok(found)
}

/// A file named directly can still print like one found under a folder (`staging/app.db` given,
/// beside a folder `/srv/staging` holding another `app.db`): those print as their whole path.
fn disambiguate(found: &mut [Found]) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for f in found.iter() {
        *seen.entry(f.display.as_str()).or_default() += 1;
    }
    let clashing: HashSet<String> = seen
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(d, _)| d.to_string())
        .collect();
    for f in found.iter_mut().filter(|f| clashing.contains(&f.display)) {
        f.display = escape_path(&f.path);
    }
}

/// What tells a file apart from every other: its device and inode (one `stat`, where resolving
/// the canonical path costs one per path component: 10,000 files made it most of discovery), or
/// the path itself when it cannot be resolved (a broken symlink is still one file).
#[derive(PartialEq, Eq, Hash)]
enum Identity {
    Inode(u64, u64),
    Path(PathBuf),
}

fn identity(path: &Path) -> Identity {
    match fs::metadata(path) {
        Ok(m) => Identity::Inode(m.dev(), m.ino()),
        Err(_) => Identity::Path(path.to_path_buf()),
    }
}

/// The prefix each folder argument's paths print under: none with a single argument (paths are
/// relative to it), else the folder's name, lengthened by one parent at a time for as long as
/// another folder argument ends the same way. Files named directly print as given.
fn labels(args: &[PathBuf]) -> Vec<Option<String>> {
    let names: Vec<Option<Vec<String>>> = args
        .iter()
        .map(|a| (args.len() > 1 && a.is_dir()).then(|| name_parts(a)))
        .collect();
    let ids: Vec<Identity> = args.iter().map(|a| identity(a)).collect();
    let mut depth = vec![1usize; args.len()];
    let label = |i: usize, depth: &[usize]| {
        names[i].as_ref().map(|parts| {
            let keep = depth[i].min(parts.len());
            parts[parts.len() - keep..].join("/")
        })
    };
    // Each round lengthens every label that still collides with another folder's; it ends when
    // none does, or when the colliding ones cannot grow. One folder given twice is no collision.
    loop {
        let current: Vec<Option<String>> = (0..args.len()).map(|i| label(i, &depth)).collect();
        let mut grew = false;
        for i in 0..args.len() {
            let clashes = current[i].is_some()
                && (0..args.len()).any(|j| ids[j] != ids[i] && current[j] == current[i]);
            let room = names[i].as_ref().is_some_and(|p| depth[i] < p.len());
            if clashes && room {
                depth[i] += 1;
                grew = true;
            }
        }
        if !grew {
            return current;
        }
    }
}

/// The components a folder argument is named by, escaped: as given, unless the path ends in `.`
/// or `..` (then its resolved path, so that `.` prints as the folder's name).
fn name_parts(arg: &Path) -> Vec<String> {
    let plain = |p: &Path| -> Vec<String> {
        p.components()
            .filter_map(|c| match c {
                Component::Normal(n) => Some(escape_path(n)),
                _ => None,
            })
            .collect()
    };
    let ends_plain = matches!(arg.components().next_back(), Some(Component::Normal(_)));
    let parts = if ends_plain {
        plain(arg)
    } else {
        plain(&fs::canonicalize(arg).unwrap_or_else(|_| arg.to_path_buf()))
    };
    if parts.is_empty() {
        // The root folder: `/` is its only name.
        vec![String::new()]
    } else {
        parts
    }
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

    fn displays(args: &[PathBuf]) -> Vec<String> {
        discover(args)
            .unwrap()
            .into_iter()
            .map(|f| f.display)
            .collect()
    }

    #[test]
    fn several_folders_print_under_their_names() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for sub in ["staging", "prod", "x/svc", "y/svc"] {
            fs::create_dir_all(root.join(sub)).unwrap();
            fs::write(root.join(sub).join("app.db"), b"").unwrap();
        }
        let staging = root.join("staging");
        assert_eq!(displays(std::slice::from_ref(&staging)), ["app.db"]);
        assert_eq!(
            displays(&[staging.clone(), root.join("prod")]),
            ["staging/app.db", "prod/app.db"]
        );
        // Two arguments with one name keep more of their path; one folder twice is one file.
        assert_eq!(
            displays(&[root.join("x/svc"), root.join("y/svc"), root.join("x/svc")]),
            ["x/svc/app.db", "y/svc/app.db"]
        );
        // A file named directly prints as given, and is not listed again under its folder.
        let file = staging.join("app.db");
        let shown = displays(&[file.clone(), staging.clone(), root.join("prod")]);
        assert_eq!(shown, [escape_path(&file), "prod/app.db".to_string()]);
        // `.` prints as the folder's name.
        let dot = staging.join(".");
        assert_eq!(
            displays(&[dot, root.join("prod")]),
            ["staging/app.db", "prod/app.db"]
        );
    }

    #[test]
    fn a_file_and_a_folder_printing_alike_print_whole() {
        // `staging/app.db` named directly, beside a folder `/srv/staging` holding an `app.db`.
        let mut list = vec![
            Found::given(Path::new("staging/app.db")),
            Found {
                display: "staging/app.db".into(),
                path: PathBuf::from("/srv/staging/app.db"),
                explicit: false,
            },
        ];
        disambiguate(&mut list);
        let shown: Vec<_> = list.iter().map(|f| f.display.as_str()).collect();
        assert_eq!(shown, ["staging/app.db", "/srv/staging/app.db"]);
    }

    #[test]
    fn a_missing_path_is_an_error_naming_it() {
        let err = discover(&[PathBuf::from("/no/such/dir.db")]).unwrap_err();
        assert!(format!("{err:#}").starts_with("/no/such/dir.db: "));
    }
}
