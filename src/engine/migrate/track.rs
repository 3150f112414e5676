//! Writing a tracking table the way its tool writes it, so that the team's own tool agrees with
//! what litescope applied:
//!
//! * sqlx `_sqlx_migrations`: version, description (the name, `_` as spaces), success, the
//!   SHA-384 of the file's bytes, execution time in nanoseconds; a revert deletes the row;
//! * dbmate `schema_migrations`, diesel `__diesel_schema_migrations`, litescope's own: a row per
//!   applied version, deleted on revert;
//! * goose `goose_db_version`: a log that starts with goose's own version 0 row; a revert deletes
//!   the version's rows, as goose 3 does;
//! * golang-migrate `schema_migrations`: one row, the current version and `dirty`;
//! * `PRAGMA user_version`: the current version as a number.
//!
//! The runner calls these inside the migration's own transaction. The other tools' tables
//! (Flyway, refinery, alembic, a custom table…) are read but never written: [`writable`] says so.

use rusqlite::{params, Connection};

use super::checksum::Checksum;
use super::folder::Migration;
use super::quote_table;
use super::records::LITESCOPE_TABLE;
use super::{Kind, Tracking, Version};

/// True when litescope can record in `kind`'s tracking exactly as the tool does.
pub fn writable(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Sqlx
            | Kind::Dbmate
            | Kind::GolangMigrate
            | Kind::Goose
            | Kind::Diesel
            | Kind::UserVersion
            | Kind::Litescope
    )
}

/// The tracking a database gets when it has none yet: the tool's table name.
pub fn new_tracking(kind: Kind) -> Tracking {
    let table = match kind {
        Kind::Sqlx => Some("_sqlx_migrations"),
        Kind::Dbmate | Kind::GolangMigrate => Some("schema_migrations"),
        Kind::Goose => Some("goose_db_version"),
        Kind::Diesel => Some("__diesel_schema_migrations"),
        Kind::Litescope => Some("_litescope_migrations"),
        _ => None,
    };
    Tracking {
        kind,
        table: table.map(str::to_string),
    }
}

/// Creates the tracking table as its tool creates it (goose with its version 0 row).
pub fn create(conn: &Connection, tracking: &Tracking) -> rusqlite::Result<()> {
    let sql = match tracking.kind {
        Kind::Sqlx => {
            "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    success BOOLEAN NOT NULL,
    checksum BLOB NOT NULL,
    execution_time BIGINT NOT NULL
)"
        }
        Kind::Dbmate => {
            "CREATE TABLE IF NOT EXISTS \"schema_migrations\" (version varchar(128) primary key)"
        }
        Kind::GolangMigrate => {
            "CREATE TABLE IF NOT EXISTS schema_migrations (version uint64,dirty bool);
CREATE UNIQUE INDEX IF NOT EXISTS version_unique ON schema_migrations (version)"
        }
        Kind::Goose => {
            "CREATE TABLE goose_db_version (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    version_id INTEGER NOT NULL,
    is_applied INTEGER NOT NULL,
    tstamp TIMESTAMP DEFAULT (datetime('now'))
);
INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1)"
        }
        Kind::Diesel => {
            "CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (
    version VARCHAR(50) PRIMARY KEY NOT NULL,
    run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
)"
        }
        Kind::Litescope => LITESCOPE_TABLE,
        _ => return Ok(()),
    };
    conn.execute_batch(sql)
}

/// A version as the integer the tools that store one keep (sqlx, goose, golang-migrate,
/// user_version); text that is no integer stays text.
fn number_or_text(v: &Version) -> rusqlite::types::Value {
    match v.number() {
        Some(n) => n.into(),
        None => v.as_str().to_string().into(),
    }
}

/// Records `m` as applied, `millis` after it started.
pub fn applied(
    conn: &Connection,
    tracking: &Tracking,
    m: &Migration,
    millis: f64,
) -> rusqlite::Result<()> {
    let table = quote_table(tracking);
    let insert = |columns: &str, values: &[&dyn rusqlite::ToSql]| {
        let marks: Vec<String> = (1..=values.len()).map(|i| format!("?{i}")).collect();
        let sql = format!(
            "INSERT INTO {table} ({columns}) VALUES ({})",
            marks.join(", ")
        );
        conn.execute(&sql, values).map(drop)
    };
    match tracking.kind {
        Kind::GolangMigrate | Kind::UserVersion => {
            set_current(conn, tracking, Some(&m.version), false)
        }
        Kind::Sqlx => {
            let checksum = match m.checksum(Kind::Sqlx) {
                Some(Checksum::Bytes(bytes)) => bytes,
                _ => Vec::new(),
            };
            let description = m.name.replace('_', " ");
            let nanos = (millis * 1e6) as i64;
            let columns = "version, description, success, checksum, execution_time";
            let version = number_or_text(&m.version);
            insert(
                columns,
                params![version, description, true, checksum, nanos],
            )
        }
        Kind::Goose => insert(
            "version_id, is_applied",
            params![number_or_text(&m.version), true],
        ),
        Kind::Litescope => {
            let checksum = m.checksum(Kind::Litescope).map(|c| c.to_string());
            let ms = millis.round() as i64;
            let columns = "version, name, checksum, duration_ms";
            insert(columns, params![m.version.as_str(), m.name, checksum, ms])
        }
        // dbmate and diesel keep the version as the text of the file name.
        _ => insert("version", params![m.version.as_str()]),
    }
}

/// Records `m` as reverted; `previous` is the version the database is at afterwards (for the
/// tools that keep only the current one).
pub fn reverted(
    conn: &Connection,
    tracking: &Tracking,
    m: &Migration,
    previous: Option<&Version>,
) -> rusqlite::Result<()> {
    let table = quote_table(tracking);
    let (column, version) = match tracking.kind {
        Kind::GolangMigrate | Kind::UserVersion => {
            return set_current(conn, tracking, previous, false)
        }
        Kind::Sqlx => ("version", number_or_text(&m.version)),
        Kind::Goose => ("version_id", number_or_text(&m.version)),
        _ => ("version", m.version.as_str().to_string().into()),
    };
    conn.execute(
        &format!("DELETE FROM {table} WHERE {column} = ?1"),
        [version],
    )?;
    Ok(())
}

/// golang-migrate's one row (none below the first version) and `user_version`: the version the
/// database is at, and whether a migration to it is under way.
pub fn set_current(
    conn: &Connection,
    tracking: &Tracking,
    version: Option<&Version>,
    dirty: bool,
) -> rusqlite::Result<()> {
    if tracking.kind == Kind::UserVersion {
        let n = version.and_then(Version::number).unwrap_or(0);
        return conn.execute_batch(&format!("PRAGMA user_version = {n}"));
    }
    let table = quote_table(tracking);
    conn.execute(&format!("DELETE FROM {table}"), [])?;
    if let Some(v) = version {
        conn.execute(
            &format!("INSERT INTO {table} (version, dirty) VALUES (?1, ?2)"),
            params![number_or_text(v), dirty],
        )?;
    }
    Ok(())
}
