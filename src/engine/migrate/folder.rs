//! A migrations folder read into [`Migration`]s, whatever the tool's layout:
//!
//! * `<version>_<name>.sql`: the whole file is up (sqlx), or dbmate's `-- migrate:up` /
//!   `-- migrate:down` sections, or goose's `-- +goose Up` / `Down` annotations;
//! * `<version>_<name>.up.sql` / `.down.sql` pairs (golang-migrate, sqlx's reversible ones),
//!   including names with a doubled dot before `up` (`flags..up.sql` pairs with `flags.down.sql`);
//! * diesel's `<version>_<name>/up.sql` and `down.sql` folders (the version without its dashes,
//!   and `run_in_transaction = false` in `metadata.toml`);
//! * refinery and Flyway's `V<version>__<name>.sql` (and Flyway's `U<version>__` undo files).
//!
//! Files that fit none of these (a README, a `schema.sql`) are listed as skipped. Reading a file
//! that is not UTF-8, a down file with no up, or two migrations with one version fails, naming
//! the file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::checksum::{self, Checksum};
use super::sections::{self, Parts};
use super::{Kind, Version};
use crate::engine::error::Error;
use crate::engine::lexer;

/// How a folder lays its migrations out; each fits the tools of [`Layout::tools`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `<version>_<name>.sql`, the whole file up.
    Plain,
    Dbmate,
    Goose,
    /// `.up.sql` / `.down.sql` pairs.
    UpDown,
    Diesel,
    /// `V<version>__<name>.sql`.
    Versioned,
}

impl Layout {
    /// The tools whose folders look like this.
    pub fn tools(self) -> &'static [Kind] {
        match self {
            Layout::Plain => &[Kind::Sqlx],
            Layout::Dbmate => &[Kind::Dbmate],
            Layout::Goose => &[Kind::Goose],
            Layout::UpDown => &[Kind::GolangMigrate, Kind::Sqlx],
            Layout::Diesel => &[Kind::Diesel],
            Layout::Versioned => &[Kind::Refinery, Kind::Flyway],
        }
    }
}

/// How a migration wants its transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transaction {
    /// The runner wraps it in one (what every tool does by default).
    Runner,
    /// The file opens and commits its own (`BEGIN; … COMMIT;`): it runs as written.
    Own,
    /// It asks for none (`transaction:false`, `NO TRANSACTION`, `-- no-transaction`): it cannot
    /// be rolled back.
    None,
}

/// One migration of a folder.
#[derive(Debug, Clone)]
pub struct Migration {
    pub version: Version,
    pub name: String,
    pub layout: Layout,
    /// The file holding the up SQL.
    pub path: PathBuf,
    /// The file holding the down SQL, when it is a file of its own.
    pub down_path: Option<PathBuf>,
    pub up: String,
    pub down: Option<String>,
    pub transaction: Transaction,
    /// The up file's bytes, which sqlx checksums.
    bytes: Vec<u8>,
}

impl Migration {
    /// The checksum `kind` keeps of this migration, when it keeps one: sqlx (and litescope) the
    /// SHA-384 of the file's bytes, Flyway the CRC32 of its lines.
    pub fn checksum(&self, kind: Kind) -> Option<Checksum> {
        match kind {
            Kind::Sqlx | Kind::Litescope => Some(checksum::sha384(&self.bytes)),
            Kind::Flyway => Some(checksum::flyway_crc32(&self.up)),
            _ => None,
        }
    }

    /// The file a user opens for this migration, relative to the folder.
    pub fn file_name(&self, dir: &Path) -> String {
        let rel = self.path.strip_prefix(dir).unwrap_or(&self.path);
        crate::engine::names::escape_path(rel)
    }
}

/// A migrations folder as read.
#[derive(Debug, Clone, Default)]
pub struct Folder {
    pub dir: PathBuf,
    /// By version.
    pub migrations: Vec<Migration>,
    /// Names in the folder that are no migration of any layout.
    pub skipped: Vec<String>,
}

impl Folder {
    /// The tools every migration's layout fits: one, several, or none (an empty folder fits all).
    pub fn tools(&self) -> Vec<Kind> {
        let mut tools = vec![
            Kind::Sqlx,
            Kind::Dbmate,
            Kind::Goose,
            Kind::GolangMigrate,
            Kind::Diesel,
            Kind::Refinery,
            Kind::Flyway,
        ];
        tools.retain(|k| self.migrations.iter().all(|m| m.layout.tools().contains(k)));
        tools
    }

    /// The one layout all migrations share, if they share one.
    pub fn layout(&self) -> Option<Layout> {
        let first = self.migrations.first()?.layout;
        self.migrations
            .iter()
            .all(|m| m.layout == first)
            .then_some(first)
    }

    pub fn get(&self, version: &Version) -> Option<&Migration> {
        self.migrations.iter().find(|m| &m.version == version)
    }
}

/// One file or folder's part in a migration, before up and down halves are paired.
struct Piece {
    version: Version,
    name: String,
    layout: Layout,
    is_down: bool,
    path: PathBuf,
}

/// Reads every migration under `dir`.
pub fn read_folder(dir: &Path) -> Result<Folder, Error> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::invalid(dir, e.to_string()))?;
    let mut names: Vec<PathBuf> = entries
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()
        .map_err(|e| Error::invalid(dir, e.to_string()))?;
    names.sort();
    let mut pieces = Vec::new();
    let mut skipped = Vec::new();
    for path in names {
        match piece(&path)? {
            Some(p) => pieces.push(p),
            None if is_sql(&path) || path.is_dir() => skipped.push(file_name(&path)),
            None => {}
        }
    }
    let migrations = pair(pieces)?;
    Ok(Folder {
        dir: dir.to_path_buf(),
        migrations,
        skipped,
    })
}

fn is_sql(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("sql"))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(crate::engine::names::escape_path)
        .unwrap_or_default()
}

/// What `path` is in a migrations folder, if anything.
fn piece(path: &Path) -> Result<Option<Piece>, Error> {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return Ok(None);
    };
    if path.is_dir() {
        return Ok(diesel_dir(path, name));
    }
    if !is_sql(path) {
        return Ok(None);
    }
    let stem = &name[..name.len() - 4];
    let make = |version: String, name: &str, layout, is_down| Piece {
        version: Version::new(version),
        name: name.to_string(),
        layout,
        is_down,
        path: path.to_path_buf(),
    };
    if let Some((v, n, is_down)) = versioned(stem) {
        return Ok(Some(make(v, n, Layout::Versioned, is_down)));
    }
    for (suffix, is_down) in [(".up", false), (".down", true)] {
        if let Some(base) = stem.strip_suffix(suffix) {
            let base = base.trim_end_matches('.');
            return Ok(numbered(base).map(|(v, n)| make(v, n, Layout::UpDown, is_down)));
        }
    }
    let Some((v, n)) = numbered(stem) else {
        return Ok(None);
    };
    let text = read_text(path)?;
    let layout = if sections::is_dbmate(&text) {
        Layout::Dbmate
    } else if sections::is_goose(&text) {
        Layout::Goose
    } else {
        Layout::Plain
    };
    Ok(Some(make(v, n, layout, false)))
}

/// `<digits>_<name>` split into version and name.
fn numbered(stem: &str) -> Option<(String, &str)> {
    let digits = stem.bytes().take_while(u8::is_ascii_digit).count();
    let name = stem.get(digits..)?.strip_prefix('_')?;
    (digits > 0).then(|| (stem[..digits].to_string(), name))
}

/// Flyway's `V1_1__name` (version `1.1`) and `U1_1__name` (its undo).
fn versioned(stem: &str) -> Option<(String, &str, bool)> {
    let (is_down, rest) = match stem.as_bytes().first()? {
        b'V' => (false, &stem[1..]),
        b'U' => (true, &stem[1..]),
        _ => return None,
    };
    let (version, name) = rest.split_once("__")?;
    let ok = !version.is_empty()
        && version.starts_with(|c: char| c.is_ascii_digit())
        && version
            .bytes()
            .all(|c| c.is_ascii_digit() || c == b'.' || c == b'_');
    ok.then(|| (version.replace('_', "."), name, is_down))
}

/// Diesel's `2024-01-01-000000_create_users/` holding `up.sql`.
fn diesel_dir(path: &Path, name: &str) -> Option<Piece> {
    let (version, rest) = name.split_once('_')?;
    let digits = version.bytes().all(|c| c.is_ascii_digit() || c == b'-');
    let up = path.join("up.sql");
    (digits && version.starts_with(|c: char| c.is_ascii_digit()) && up.is_file()).then(|| Piece {
        version: Version::new(version.replace('-', "")),
        name: rest.to_string(),
        layout: Layout::Diesel,
        is_down: false,
        path: up,
    })
}

fn read_bytes(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| Error::invalid(path, e.to_string()))
}

fn read_text(path: &Path) -> Result<String, Error> {
    String::from_utf8(read_bytes(path)?)
        .map_err(|_| Error::invalid(path, "not UTF-8 text: a migration must be SQL text"))
}

/// Up and down pieces joined into migrations, by version; a version used by two migrations, or
/// a down with no up, is refused.
fn pair(pieces: Vec<Piece>) -> Result<Vec<Migration>, Error> {
    let mut ups: BTreeMap<Version, Piece> = BTreeMap::new();
    let mut downs: Vec<Piece> = Vec::new();
    for p in pieces {
        if p.is_down {
            downs.push(p);
        } else if let Some(other) = ups.get(&p.version) {
            let why = format!(
                "version {} is also used by {}",
                p.version,
                file_name(&other.path)
            );
            return Err(Error::invalid(&p.path, why));
        } else {
            ups.insert(p.version.clone(), p);
        }
    }
    let mut down_of: BTreeMap<Version, PathBuf> = BTreeMap::new();
    for d in downs {
        if !ups.contains_key(&d.version) {
            return Err(Error::invalid(&d.path, "a down migration with no up file"));
        }
        down_of.insert(d.version, d.path);
    }
    ups.into_values()
        .map(|p| {
            let down = down_of.remove(&p.version);
            migration(p, down)
        })
        .collect()
}

/// Reads a migration's files into one [`Migration`].
fn migration(p: Piece, down_path: Option<PathBuf>) -> Result<Migration, Error> {
    let bytes = read_bytes(&p.path)?;
    let text = String::from_utf8(bytes.clone())
        .map_err(|_| Error::invalid(&p.path, "not UTF-8 text: a migration must be SQL text"))?;
    let diesel_down = (p.layout == Layout::Diesel)
        .then(|| p.path.with_file_name("down.sql"))
        .filter(|d| d.is_file());
    let down_path = down_path.or(diesel_down);
    let down = down_path.as_deref().map(read_text).transpose()?;
    let no_transaction = p.layout == Layout::Diesel && diesel_without_transaction(&p.path);
    let mut m = Migration::of_text(p, &text, down, no_transaction);
    m.down_path = down_path;
    Ok(m)
}

impl Migration {
    /// The migration an up file holding `text` makes, with `down` from a file of its own.
    fn of_text(p: Piece, text: &str, down: Option<String>, no_transaction: bool) -> Migration {
        let mut parts: Parts = match p.layout {
            Layout::Dbmate => sections::dbmate(text),
            Layout::Goose => sections::goose(text),
            _ => sections::whole(text),
        };
        if down.is_some() {
            parts.down = down;
        }
        parts.no_transaction |= no_transaction;
        Migration {
            version: p.version,
            name: p.name,
            layout: p.layout,
            path: p.path,
            down_path: None,
            transaction: transaction_of(&parts),
            up: parts.up,
            down: parts.down,
            bytes: text.as_bytes().to_vec(),
        }
    }

    /// A migration not saved yet: what reading `path` will give once `text` is written there.
    pub fn unsaved(
        version: Version,
        name: &str,
        layout: Layout,
        path: PathBuf,
        text: &str,
    ) -> Self {
        let p = Piece {
            version,
            name: name.to_string(),
            layout,
            is_down: false,
            path,
        };
        Migration::of_text(p, text, None, false)
    }
}

/// Diesel's `metadata.toml` beside `up.sql` saying `run_in_transaction = false`.
fn diesel_without_transaction(up: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(up.with_file_name("metadata.toml")) else {
        return false;
    };
    let value: Option<toml::Table> = toml::from_str(&text).ok();
    value.and_then(|t| t.get("run_in_transaction").and_then(|v| v.as_bool())) == Some(false)
}

fn transaction_of(parts: &Parts) -> Transaction {
    if parts.no_transaction {
        return Transaction::None;
    }
    let own = lexer::heads(&parts.up)
        .iter()
        .any(|h| h.word == "BEGIN" || h.word == "COMMIT");
    if own {
        Transaction::Own
    } else {
        Transaction::Runner
    }
}

/// Where teams keep migrations, relative to a database's folder or one of its parents.
const USUAL_FOLDERS: &[&str] = &[
    "migrations",
    "db/migrations",
    "database/migrations",
    "sql/migrations",
    "src/migrations",
    "migrations/sqlite",
    "db/migrations/sqlite",
    "resources/migrations",
    "resources/migrations/sqlite",
    "schema/migrations",
];

/// How many folders up from a database's own to look (`data/app.db` beside a repository's
/// `migrations/`).
const LEVELS_UP: usize = 2;

/// The migrations folder beside the database at `db`: the first of the usual names, in the
/// database's folder or up to [`LEVELS_UP`] above it, that holds a migration. The search stops at
/// a repository's root (a folder holding `.git`) and never reaches `/`.
pub fn find_beside(db: &Path) -> Option<PathBuf> {
    let start = std::path::absolute(db).ok()?;
    let mut dirs = Vec::new();
    for dir in start.ancestors().skip(1).take(LEVELS_UP + 1) {
        if dir.parent().is_none() {
            break;
        }
        dirs.push(dir);
        if dir.join(".git").exists() {
            break;
        }
    }
    dirs.into_iter().find_map(|dir| {
        USUAL_FOLDERS
            .iter()
            .map(|rel| dir.join(rel))
            .find(|candidate| {
                candidate.is_dir() && read_folder(candidate).is_ok_and(|f| !f.migrations.is_empty())
            })
    })
}
