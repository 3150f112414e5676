//! A hot rollback journal: a writer crashed mid-transaction and left a `-journal` that the next
//! writer must play back (<https://www.sqlite.org/atomiccommit.html>, "hot journals").
//!
//! Until then the database file may hold half of the crashed transaction. SQLite rolls a hot
//! journal back the first time anyone reads the file, which is a write, so a read-only connection
//! fails with `SQLITE_READONLY_ROLLBACK`. litescope never writes a user's files, nor creates one
//! beside them: [`connect`](super::connect) then copies the database and its journal into a
//! private temporary folder, lets SQLite roll the journal back there, and reads the copy, which
//! shows the database as it was before the crashed transaction, as the next writer will restore
//! it. The copy is removed when the last connection reading it closes. Past [`MAX_COPY`] nothing
//! is copied and nothing is shown.
//!
//! Whether a journal is hot is SQLite's call, since it also checks that no live writer holds the
//! RESERVED lock and that a super-journal still exists.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::SystemTime;

use anyhow::{bail, Result};
use rusqlite::{ffi, Connection, OpenFlags};

use super::connect::{cannot_open, sibling, PrivateCopy};
use crate::units;

/// What a hot journal means for the user, when nothing can be shown.
pub const NEEDS_RECOVERY: &str = "a hot rollback journal: a writer crashed mid-transaction; the \
    file needs recovery by a writer (open it once with sqlite3)";

/// The caveat on a database read from its rolled-back private copy.
pub const SHOWN_FROM_COPY: &str = "a hot rollback journal: a writer crashed mid-transaction; the \
    file needs recovery by a writer (open it once with sqlite3); until then litescope shows the \
    state before the crashed transaction from a private copy";

/// The most that is copied (database and journal together).
const MAX_COPY: u64 = 2 << 30;

/// True when `err` is SQLite refusing to read a file until its hot journal is rolled back.
pub fn is_rollback_refusal(err: &rusqlite::Error) -> bool {
    err.sqlite_error()
        .is_some_and(|e| e.extended_code == ffi::SQLITE_READONLY_ROLLBACK)
}

/// Copies the database at `path` (`size` bytes) and its journal into a private folder and rolls
/// the journal back there. `Err` says why nothing can be shown (the file is then unreadable).
pub fn private_copy(path: &Path, size: u64) -> rusqlite::Result<PrivateCopy> {
    let journal = sibling(path, "-journal");
    let total = size + fs::metadata(&journal).map_or(0, |m| m.len());
    if total > MAX_COPY {
        return Err(cannot_open(format!(
            "{NEEDS_RECOVERY}; at {} it is too large for litescope to roll back a private copy, \
             so nothing is shown",
            units::bytes(total)
        )));
    }
    copy_and_roll_back(path, &journal).map_err(|e| {
        cannot_open(format!(
            "{NEEDS_RECOVERY}; rolling back a private copy failed: {e:#}"
        ))
    })
}

fn copy_and_roll_back(path: &Path, journal: &Path) -> Result<PrivateCopy> {
    let before = stamps(path, journal)?;
    let dir = tempfile::Builder::new().prefix("litescope-").tempdir()?;
    let copy = dir.path().join("db");
    copy_private(path, &copy)?;
    copy_private(journal, &sibling(&copy, "-journal"))?;
    // A writer that recovered the file meanwhile would have left a torn pair.
    if stamps(path, journal)? != before {
        bail!("the file changed while it was copied; try again");
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(&copy, flags)?;
    // The first read of a file with a hot journal plays the journal back.
    conn.query_row("SELECT count(*) FROM main.sqlite_schema", [], |_| Ok(()))?;
    conn.close().map_err(|(_, e)| e)?;
    Ok(PrivateCopy::new(dir, copy))
}

fn stamps(path: &Path, journal: &Path) -> std::io::Result<[(u64, SystemTime); 2]> {
    let stamp = |p: &Path| fs::metadata(p).and_then(|m| Ok((m.len(), m.modified()?)));
    Ok([stamp(path)?, stamp(journal)?])
}

/// Copies `from` to `to`, writable by its owner alone whatever `from`'s mode was, since SQLite
/// must write the copy to roll it back.
fn copy_private(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::copy(from, to)?;
    fs::set_permissions(to, fs::Permissions::from_mode(0o600))
}
