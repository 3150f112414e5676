//! Drift: the schema a migrations folder builds, to compare a database with. The folder's
//! migrations are replayed by the migrations module's own runner ([`run::apply_all`]) on a
//! private in-memory database, so a migration runs here as `migrate up` runs it; nothing is
//! written to any file.
//!
//! A folder whose first migration alters a table it never creates cannot start from an empty
//! database: its baseline (the schema before the first migration) is missing. Then the target is
//! the database's own schema plus the migrations it has not applied, replayed on an in-memory
//! copy of it, and [`Target::baseline_missing`] says so. The migration tracking tables of both
//! sides are bookkeeping, not the application's schema, and are left out of the comparison.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use rusqlite::backup::Backup;
use rusqlite::Connection;

use crate::engine::error::Error;
use crate::engine::migrate::run::{apply_all, plan, Direction, Outcome};
use crate::engine::migrate::{self, read_folder, Folder};
use crate::engine::schema::{self, Detail, Schema};

/// The schema the folder builds, and how it was built.
pub struct Target {
    pub schema: Schema,
    /// Set when the folder cannot start from an empty database: what failed there.
    pub baseline_missing: Option<String>,
    /// Migrations replayed to build the target.
    pub replayed: usize,
}

/// The schema `dir`'s migrations build, for the database read through `db`, whose schema is
/// `current`; the tracking tables are left out of both.
pub fn target(db: &Connection, dir: &Path, current: &mut Schema) -> Result<Target, Error> {
    let folder = read_folder(dir)?;
    let empty = Connection::open_in_memory()?;
    let first = replay(&empty, dir, &folder)?;
    let (conn, baseline_missing, replayed) = match first.failed {
        None => (empty, None, first.applied.len()),
        Some(f) if is_missing_baseline(&folder, &f) => {
            let copy = copy_of(db)?;
            let outcome = replay(&copy, dir, &folder)?;
            if let Some(f) = outcome.failed {
                return Err(Error::invalid(
                    dir,
                    format!("{f}: does not apply to the database"),
                ));
            }
            (copy, Some(f.to_string()), outcome.applied.len())
        }
        Some(f) => {
            let why = format!("{f}: the migrations do not replay on an empty database");
            return Err(Error::invalid(dir, why));
        }
    };
    let mut schema = schema::load(&conn, Detail::Full)?;
    for tracking in [migrate::tracking(db)?, migrate::tracking(&conn)?] {
        if let Some(table) = tracking.table {
            leave_out(current, &table);
            leave_out(&mut schema, &table);
        }
    }
    Ok(Target {
        schema,
        baseline_missing,
        replayed,
    })
}

/// Applies every pending migration of `folder` on `conn`, as `migrate up` does.
fn replay(conn: &Connection, dir: &Path, folder: &Folder) -> Result<Outcome, Error> {
    let up = Direction::Up { to: None };
    let plan = plan(conn, dir, folder.clone(), up, None, false)?;
    let mut outcome = Outcome::start(&plan);
    apply_all(
        &plan,
        conn,
        &AtomicBool::new(false),
        &mut outcome,
        &mut |_| {},
    )?;
    Ok(outcome)
}

/// The first migration failed on a table that does not exist: it alters what an earlier,
/// absent, migration created.
fn is_missing_baseline(folder: &Folder, failed: &migrate::Failure) -> bool {
    let first = folder.migrations.first().map(|m| &m.version);
    first == Some(&failed.version) && failed.error.starts_with("no such table")
}

/// An in-memory copy of the database `db` reads, through SQLite's backup API (one snapshot).
fn copy_of(db: &Connection) -> Result<Connection, Error> {
    let mut copy = Connection::open_in_memory()?;
    Backup::new(db, &mut copy)?.run_to_completion(1000, std::time::Duration::ZERO, None)?;
    Ok(copy)
}

fn leave_out(schema: &mut Schema, table: &str) {
    schema
        .tables
        .retain(|t| !t.name.eq_ignore_ascii_case(table));
    schema
        .indexes
        .retain(|i| !i.table.eq_ignore_ascii_case(table));
}
