//! Whether another process has committed to a database since a [`Session`] last read it: what
//! the TUI asks each time one of the database's files is touched.
//!
//! Most looks end at the file: when the database, its `-wal` and its header's change counter
//! are as they were ([`header::commit_mark`]), nothing was committed, and the look takes no lock
//! at all. When they moved, `PRAGMA data_version` on the session's connection confirms it, since
//! the automatic (passive) checkpoint writes the file without changing the data; a connection
//! that was closed or reopened since the read cannot tell, so the look then says the data
//! changed. Files that moved with no commit to see may also be a commit under way: in WAL mode
//! the commit becomes visible when the WAL index (`-shm`, mapped, so notify says nothing) is
//! written after the last frame, so the caller looks once more a moment later
//! ([`Look::Settling`]).

use std::path::Path;

use rusqlite::Connection;

use super::identity;
use crate::engine::error::Error;
use crate::engine::header::{self, CommitMark};
use crate::engine::session::Session;

/// What a read saw of the file: the basis of the next look.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Device and inode of the file read; None when there was none.
    file: Option<(u64, u64)>,
    mark: Option<CommitMark>,
    /// `PRAGMA data_version` on the session's connection, while that connection lives.
    pub data_version: Option<i64>,
}

/// What a look found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Look {
    Same,
    /// The files moved but no commit is visible: a checkpoint, or a commit still being written.
    Settling,
    /// Another connection committed: read it again.
    Changed,
    /// The path names no file any more.
    Deleted,
    /// The path names another file than the one read (or one again, after a delete).
    Replaced,
}

impl Seen {
    /// The file at `path` as it is now, taken before a read starts, so that a commit landing
    /// during the read makes the next look say so rather than be missed.
    pub fn now(path: &Path) -> Seen {
        Seen {
            file: identity(path),
            mark: header::commit_mark(path).ok(),
            data_version: None,
        }
    }
}

/// `PRAGMA data_version` of `conn`: changes exactly when another connection commits.
pub fn data_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA data_version", [], |r| r.get(0))
}

/// Whether the session's file changed since its last read (see the module docs).
pub fn look(session: &mut Session) -> Result<Look, Error> {
    let path = session.found.path.clone();
    let Some(seen) = session.seen() else {
        return Ok(Look::Changed);
    };
    let file = identity(&path);
    if file != seen.file {
        seen.file = file;
        return Ok(if file.is_none() {
            Look::Deleted
        } else {
            Look::Replaced
        });
    }
    let mark = header::commit_mark(&path).ok();
    if file.is_none() || mark == seen.mark {
        return Ok(Look::Same);
    }
    let Some(before) = seen.data_version else {
        return Ok(Look::Changed);
    };
    let now = match session.open_conn() {
        Some(conn) if !conn.is_stale(&path) => {
            let v = data_version(conn);
            conn.end_transaction();
            v?
        }
        _ => return Ok(Look::Changed),
    };
    // The mark stays as the read left it: a commit under way moves the files before it shows,
    // and a look that took its mark as the new basis would never see it land.
    Ok(if now == before {
        Look::Settling
    } else {
        Look::Changed
    })
}
