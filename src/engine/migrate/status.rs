//! A database's migrations beside its folder's: every version with its state.
//!
//! * applied: recorded, and the file is there unchanged (or the tool keeps no checksum);
//! * pending: a file with no record;
//! * modified: recorded with a checksum the file no longer has (sqlx, Flyway, litescope);
//! * missing: recorded, with no file;
//! * failed: recorded as failed (sqlx's or Flyway's `success` false) or dirty (golang-migrate).
//!
//! [`read`] is the one entry point the CLI, the audit rules and the TUI's job share.

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::Connection;
use serde::Serialize;

use super::folder::{read_folder, Folder};
use super::records::{read_records, Record, Recorded};
use super::{tracking, Tracking, Version};
use crate::engine::error::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Applied,
    Pending,
    Modified,
    Missing,
    Failed,
}

impl State {
    pub fn label(self) -> &'static str {
        match self {
            State::Applied => "applied",
            State::Pending => "pending",
            State::Modified => "modified",
            State::Missing => "missing",
            State::Failed => "failed",
        }
    }

    pub const ALL: [State; 5] = [
        State::Applied,
        State::Pending,
        State::Modified,
        State::Missing,
        State::Failed,
    ];
}

/// One version's line of the status, in the contract's shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusRow {
    pub version: Version,
    pub name: String,
    pub state: State,
    pub applied_at: Option<String>,
    /// The recorded checksum, or where nothing is recorded the file's, in the tool's form.
    pub checksum: Option<String>,
    /// The migration's file, relative to the folder (none for a missing one).
    pub file: Option<String>,
}

/// A database's tracking and every version's state, by version.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub tracking: Tracking,
    pub migrations: Vec<StatusRow>,
}

impl Status {
    pub fn count(&self, state: State) -> usize {
        self.migrations.iter().filter(|r| r.state == state).count()
    }

    /// True when every migration is applied and clean.
    pub fn is_clean(&self) -> bool {
        self.migrations.iter().all(|r| r.state == State::Applied)
    }
}

/// Reads the folder `dir` and the tracking of the database behind `conn`, and compares them.
/// A folder that cannot be read fails with its path; so does a tracking table that cannot.
pub fn read(conn: &Connection, db_path: &Path, dir: &Path) -> Result<(Folder, Status), Error> {
    let folder = read_folder(dir)?;
    let status = read_against(conn, db_path, &folder)?;
    Ok((folder, status))
}

/// The tracking of the database behind `conn` compared with a folder read before, for work
/// that compares several databases with one folder.
pub fn read_against(conn: &Connection, db_path: &Path, folder: &Folder) -> Result<Status, Error> {
    let (tracking, recorded) = tracked(conn, db_path)?;
    Ok(Status {
        migrations: compare(folder, &tracking, &recorded),
        tracking,
    })
}

/// The database's tracking and what it records; a failure names the database.
fn tracked(conn: &Connection, db_path: &Path) -> Result<(Tracking, Recorded), Error> {
    let tracking = tracking(conn).map_err(|e| Error::invalid(db_path, e.to_string()))?;
    let recorded = read_records(conn, &tracking).map_err(|e| {
        let table = tracking.table.as_deref().unwrap_or("user_version");
        Error::invalid(db_path, format!("cannot read {table}: {e}"))
    })?;
    Ok((tracking, recorded))
}

/// The status of the database behind `conn` with no folder: what its tracking records, every
/// recorded version shown as missing a file.
pub fn read_tracking(conn: &Connection, db_path: &Path) -> Result<Status, Error> {
    let (tracking, recorded) = tracked(conn, db_path)?;
    Ok(Status {
        migrations: compare(&Folder::default(), &tracking, &recorded),
        tracking,
    })
}

/// Every version of `folder` and `recorded`, in order, with its state.
pub fn compare(folder: &Folder, tracking: &Tracking, recorded: &Recorded) -> Vec<StatusRow> {
    match recorded {
        Recorded::Each(records) => each(folder, tracking, records),
        Recorded::UpTo { version, dirty } => up_to(folder, version, *dirty),
    }
}

fn each(folder: &Folder, tracking: &Tracking, records: &[Record]) -> Vec<StatusRow> {
    let mut by_version: BTreeMap<&Version, &Record> =
        records.iter().map(|r| (&r.version, r)).collect();
    let mut rows = Vec::new();
    for m in &folder.migrations {
        let file_sum = m.checksum(tracking.kind);
        let record = by_version.remove(&m.version);
        let state = match record {
            None => State::Pending,
            Some(r) if r.failed => State::Failed,
            Some(r) if r.checksum.is_some() && file_sum.is_some() && r.checksum != file_sum => {
                State::Modified
            }
            Some(_) => State::Applied,
        };
        let checksum = record.and_then(|r| r.checksum.clone()).or(file_sum);
        rows.push(StatusRow {
            version: m.version.clone(),
            name: m.name.clone(),
            state,
            applied_at: record.and_then(|r| r.applied_at.clone()),
            checksum: checksum.map(|c| c.to_string()),
            file: Some(m.file_name(&folder.dir)),
        });
    }
    rows.extend(by_version.into_values().map(|r| StatusRow {
        version: r.version.clone(),
        name: r.name.clone().unwrap_or_default(),
        state: if r.failed {
            State::Failed
        } else {
            State::Missing
        },
        applied_at: r.applied_at.clone(),
        checksum: r.checksum.as_ref().map(|c| c.to_string()),
        file: None,
    }));
    rows.sort_by(|a, b| a.version.cmp(&b.version));
    rows
}

/// golang-migrate and `user_version`: everything up to `current` is applied; `dirty` marks
/// `current` itself as failed.
fn up_to(folder: &Folder, current: &Version, dirty: bool) -> Vec<StatusRow> {
    let mut rows: Vec<StatusRow> = folder
        .migrations
        .iter()
        .map(|m| StatusRow {
            version: m.version.clone(),
            name: m.name.clone(),
            state: match m.version.cmp(current) {
                std::cmp::Ordering::Less => State::Applied,
                std::cmp::Ordering::Equal if dirty => State::Failed,
                std::cmp::Ordering::Equal => State::Applied,
                std::cmp::Ordering::Greater => State::Pending,
            },
            applied_at: None,
            checksum: None,
            file: Some(m.file_name(&folder.dir)),
        })
        .collect();
    let zero = Version::new("0");
    if folder.get(current).is_none() && *current != zero {
        rows.push(StatusRow {
            version: current.clone(),
            name: String::new(),
            state: if dirty { State::Failed } else { State::Missing },
            applied_at: None,
            checksum: None,
            file: None,
        });
        rows.sort_by(|a, b| a.version.cmp(&b.version));
    }
    rows
}
