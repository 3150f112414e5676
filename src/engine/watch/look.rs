//! Whether another process has committed to a database since a [`Session`] last read it: what
//! the TUI asks each time one of the database's files is touched.
//!
//! `PRAGMA data_version` on the session's connection says whether another connection has
//! committed since the read (one short read, as any reader's; in rollback mode a shared lock for
//! that statement alone). The files' state ([`header::commit_mark`]: the database, its `-wal`
//! and the header's change counter) cannot say it alone: in WAL mode a commit becomes visible
//! when its writer updates the WAL index (`-shm`, mapped, so notify says nothing) after writing
//! its frames, so a read can start after the files moved and still not see the commit. It serves
//! where the connection cannot tell: closed or reopened since the read (the pool bounds open
//! connections), or not following changes (immutable); then files that moved mean a change.
//! Files that moved with no commit to see are a checkpoint or a commit still being written: the
//! caller looks once more a moment later ([`Look::Settling`]).

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
    if file.is_none() {
        return Ok(Look::Same);
    }
    // The mark stays as the read left it: a commit under way moves the files before it shows,
    // and a look that took its mark as the new basis would never see it land.
    let moved = header::commit_mark(&path).ok() != seen.mark;
    let before = seen.data_version;
    let now = match (before, session.open_conn()) {
        (Some(_), Some(conn)) if !conn.is_stale(&path) => {
            let v = data_version(conn);
            conn.end_transaction();
            Some(v?)
        }
        _ => None,
    };
    Ok(match (now, moved) {
        (Some(now), _) if Some(now) != before => Look::Changed,
        (Some(_), true) => Look::Settling,
        (None, true) => Look::Changed,
        (_, false) => Look::Same,
    })
}
