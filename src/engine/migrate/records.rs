//! What a database records as applied, read from its tracking table the way each tool writes it:
//!
//! * sqlx `_sqlx_migrations`: version, description, installed_on, success, checksum (SHA-384
//!   bytes), execution_time (nanoseconds);
//! * dbmate and rails `schema_migrations`: a version per row;
//! * golang-migrate `schema_migrations`: one row, the current version and `dirty`;
//! * goose `goose_db_version`: a log of version_id, is_applied, tstamp (the last row of a version
//!   says whether it is applied);
//! * diesel `__diesel_schema_migrations`: version, run_on;
//! * refinery and Flyway: version, name, applied time (and Flyway's CRC32 and success);
//! * litescope's own `_litescope_migrations` ([`LITESCOPE_TABLE`]);
//! * `PRAGMA user_version`: every version up to it;
//! * the others (custom tables, alembic, knex…): the version-like column's values.
//!
//! Only reads: a connection from `connect` is read-only, and nothing here writes.

use rusqlite::types::ValueRef;
use rusqlite::{Connection, Row};

use super::checksum::Checksum;
use super::{columns, select, Kind, Tracking, Version};

/// litescope's own tracking table, for a folder whose layout fits several tools or none: what the
/// runner creates, and what [`read_records`] reads.
pub const LITESCOPE_TABLE: &str = "CREATE TABLE IF NOT EXISTS _litescope_migrations (
    version TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    checksum TEXT,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    duration_ms INTEGER NOT NULL DEFAULT 0,
    success INTEGER NOT NULL DEFAULT 1
)";

/// One applied (or failed) migration as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub version: Version,
    pub name: Option<String>,
    pub applied_at: Option<String>,
    pub checksum: Option<Checksum>,
    /// Recorded as failed (sqlx's and Flyway's `success` false).
    pub failed: bool,
    pub millis: Option<f64>,
}

impl Record {
    fn new(version: String) -> Record {
        Record {
            version: Version::new(version),
            name: None,
            applied_at: None,
            checksum: None,
            failed: false,
            millis: None,
        }
    }
}

/// What a database records.
#[derive(Debug, Clone, PartialEq)]
pub enum Recorded {
    /// One record per applied migration.
    Each(Vec<Record>),
    /// Only the current version: every migration up to it counts as applied (golang-migrate,
    /// `user_version`); `dirty` marks that version as failed halfway.
    UpTo { version: Version, dirty: bool },
}

/// Reads what `tracking` records in the database behind `conn`.
pub fn read_records(conn: &Connection, tracking: &Tracking) -> rusqlite::Result<Recorded> {
    let Some(table) = tracking.table.as_deref() else {
        return user_version(conn, tracking.kind);
    };
    let each = match tracking.kind {
        Kind::GolangMigrate => return golang_migrate(conn, table),
        Kind::Goose => goose(conn, table)?,
        Kind::Sqlx => rows(
            conn,
            &select(
                "version, description, installed_on, success, checksum, execution_time",
                table,
            ),
            |r| {
                let mut rec = base(r, 0, Some(1), Some(2))?;
                rec.failed = !success(r, 3)?;
                rec.checksum = blob(r, 4)?.map(Checksum::Bytes);
                rec.millis = number(r, 5)?.map(|ns| ns / 1e6);
                Ok(rec)
            },
        )?,
        Kind::Dbmate | Kind::Rails => {
            rows(conn, &select("version", table), |r| base(r, 0, None, None))?
        }
        Kind::Diesel => rows(conn, &select("version, run_on", table), |r| {
            base(r, 0, None, Some(1))
        })?,
        Kind::Refinery => rows(conn, &select("version, name, applied_on", table), |r| {
            base(r, 0, Some(1), Some(2))
        })?,
        Kind::Flyway => flyway(conn, table)?,
        Kind::Litescope => litescope(conn, table)?,
        _ => generic(conn, table)?,
    };
    Ok(Recorded::Each(each))
}

fn user_version(conn: &Connection, kind: Kind) -> rusqlite::Result<Recorded> {
    if kind != Kind::UserVersion {
        return Ok(Recorded::Each(Vec::new()));
    }
    let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    Ok(Recorded::UpTo {
        version: Version::new(v.to_string()),
        dirty: false,
    })
}

fn golang_migrate(conn: &Connection, table: &str) -> rusqlite::Result<Recorded> {
    let sql = select("version, dirty", table) + " LIMIT 1";
    let mut stmt = conn.prepare(&sql)?;
    let mut found = stmt.query_map([], |r| Ok((text(r, 0)?, flag(r, 1)?.unwrap_or(false))))?;
    Ok(match found.next().transpose()? {
        Some((Some(version), dirty)) => Recorded::UpTo {
            version: Version::new(version),
            dirty,
        },
        _ => Recorded::Each(Vec::new()),
    })
}

/// The last row of each version says whether it is applied; version 0 is goose's own start.
fn goose(conn: &Connection, table: &str) -> rusqlite::Result<Vec<Record>> {
    let sql = select("version_id, is_applied, tstamp", table) + " ORDER BY id";
    let log = rows(conn, &sql, |r| {
        let rec = base(r, 0, None, Some(2))?;
        Ok((rec, success(r, 1)?))
    })?;
    let mut last: Vec<(Record, bool)> = Vec::new();
    for (rec, applied) in log {
        last.retain(|(r, _)| r.version != rec.version);
        last.push((rec, applied));
    }
    Ok(last
        .into_iter()
        .filter(|(r, applied)| *applied && r.version != Version::new("0"))
        .map(|(r, _)| r)
        .collect())
}

fn flyway(conn: &Connection, table: &str) -> rusqlite::Result<Vec<Record>> {
    let sql = select(
        "version, description, installed_on, checksum, success, execution_time",
        table,
    ) + " WHERE version IS NOT NULL ORDER BY installed_rank";
    rows(conn, &sql, |r| {
        let mut rec = base(r, 0, Some(1), Some(2))?;
        rec.checksum = integer(r, 3)?.map(Checksum::Number);
        rec.failed = !success(r, 4)?;
        rec.millis = number(r, 5)?;
        Ok(rec)
    })
}

fn litescope(conn: &Connection, table: &str) -> rusqlite::Result<Vec<Record>> {
    let sql = select(
        "version, name, applied_at, checksum, success, duration_ms",
        table,
    );
    rows(conn, &sql, |r| {
        let mut rec = base(r, 0, Some(1), Some(2))?;
        rec.checksum = text(r, 3)?.and_then(|h| from_hex(&h)).map(Checksum::Bytes);
        rec.failed = !success(r, 4)?;
        rec.millis = number(r, 5)?;
        Ok(rec)
    })
}

/// Column names that hold a version, and an applied time, in the tables of tools litescope has
/// no reader of its own for, most telling first.
const VERSION_COLUMNS: &[&str] = &[
    "version",
    "version_num",
    "version_id",
    "timestamp",
    "migration_name",
    "name",
    "id",
];
const TIME_COLUMNS: &[&str] = &[
    "applied_at",
    "installed_on",
    "applied_on",
    "applied",
    "run_on",
    "migration_time",
    "finished_at",
];

/// A custom table: its version-like column, read as versions (a name such as
/// `20240101_init.js` gives its leading digits).
fn generic(conn: &Connection, table: &str) -> rusqlite::Result<Vec<Record>> {
    let cols = columns(conn, table);
    let pick = |wanted: &[&str]| {
        wanted
            .iter()
            .find_map(|w| cols.iter().find(|c| c.eq_ignore_ascii_case(w)))
            .cloned()
    };
    let Some(version) = pick(VERSION_COLUMNS) else {
        return Ok(Vec::new());
    };
    let time = pick(TIME_COLUMNS);
    let quote = crate::engine::quote::ident;
    let list = match &time {
        Some(t) => format!("{}, {}", quote(&version), quote(t)),
        None => format!("{}, NULL", quote(&version)),
    };
    rows(conn, &select(&list, table), |r| {
        let mut rec = base(r, 0, None, Some(1))?;
        let digits: String = rec
            .version
            .0
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if !digits.is_empty() && digits != rec.version.0 {
            rec.name = Some(rec.version.0.clone());
            rec.version = Version::new(digits);
        }
        Ok(rec)
    })
}

/// Every row of `sql` mapped by `f`, rows without a version left out.
fn rows<T>(
    conn: &Connection,
    sql: &str,
    f: impl FnMut(&Row) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    let mut stmt = conn.prepare(sql)?;
    let mapped = stmt.query_map([], f)?;
    mapped.collect()
}

/// A record from the version column and, where the table has them, name and time columns.
fn base(
    r: &Row,
    version: usize,
    name: Option<usize>,
    time: Option<usize>,
) -> rusqlite::Result<Record> {
    let mut rec = Record::new(text(r, version)?.unwrap_or_default());
    if let Some(i) = name {
        rec.name = text(r, i)?;
    }
    if let Some(i) = time {
        rec.applied_at = text(r, i)?;
    }
    Ok(rec)
}

/// A value as text, whatever its storage class (versions are INTEGER in some tools, TEXT in
/// others).
fn text(r: &Row, i: usize) -> rusqlite::Result<Option<String>> {
    Ok(match r.get_ref(i)? {
        ValueRef::Null => None,
        ValueRef::Integer(n) => Some(n.to_string()),
        ValueRef::Real(x) => Some(x.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
    })
}

fn blob(r: &Row, i: usize) -> rusqlite::Result<Option<Vec<u8>>> {
    Ok(match r.get_ref(i)? {
        ValueRef::Blob(b) | ValueRef::Text(b) => Some(b.to_vec()),
        _ => None,
    })
}

fn number(r: &Row, i: usize) -> rusqlite::Result<Option<f64>> {
    Ok(match r.get_ref(i)? {
        ValueRef::Integer(n) => Some(n as f64),
        ValueRef::Real(x) => Some(x),
        _ => None,
    })
}

fn integer(r: &Row, i: usize) -> rusqlite::Result<Option<i64>> {
    Ok(match r.get_ref(i)? {
        ValueRef::Integer(n) => Some(n),
        _ => None,
    })
}

/// A boolean column: `1`, `true` or `t` (as tools write booleans into SQLite) is true.
fn flag(r: &Row, i: usize) -> rusqlite::Result<Option<bool>> {
    Ok(match r.get_ref(i)? {
        ValueRef::Null => None,
        ValueRef::Integer(n) => Some(n != 0),
        ValueRef::Real(x) => Some(x != 0.0),
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(matches!(
            t.to_ascii_lowercase().as_slice(),
            b"1" | b"true" | b"t"
        )),
    })
}

/// A success column; NULL counts as success, since only a recorded false marks a failure.
fn success(r: &Row, i: usize) -> rusqlite::Result<bool> {
    Ok(flag(r, i)?.unwrap_or(true))
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}
