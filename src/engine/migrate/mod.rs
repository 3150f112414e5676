//! Migrations: which tool's tracking a database carries, what a migrations folder holds, and how
//! the two compare. Reading only: nothing here writes to a database.
//!
//! The parts, each in its own file:
//! * [`folder`] reads a migrations folder in any of the layouts the tools use, into
//!   [`Migration`]s (version, name, up and down SQL, transaction mode, checksums);
//! * [`records`] reads what a database's tracking table (or `user_version`) says was applied;
//! * [`status`] puts the two side by side: applied, pending, modified, missing, failed;
//! * [`new`] writes the next migration file of a folder, in its own layout and numbering;
//! * [`run`] applies and rolls back migrations through the write path ([`apply`] runs one,
//!   [`track`] records it as its tool does, [`preview`] is the dry run on a private copy);
//! * [`mend`] changes only the record: `baseline` and `repair`.

mod apply;
pub mod checksum;
pub mod fix;
pub mod folder;
pub mod mend;
pub mod new;
pub mod preview;
pub mod records;
pub mod run;
mod sections;
pub mod status;
pub mod track;
pub mod version;

pub use apply::Failure;
pub use folder::{read_folder, Folder, Layout, Migration, Transaction};
pub use records::{read_records, Record, Recorded};
pub use status::{compare, read, read_against, read_tracking, State, Status, StatusRow};
pub use version::Version;

use std::fmt;

use rusqlite::Connection;
use serde::Serialize;

use super::quote::ident;
use super::schema::Schema;

/// A migration tool's way of tracking, as named in the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Sqlx,
    Diesel,
    Dbmate,
    Goose,
    GolangMigrate,
    Refinery,
    Flyway,
    Alembic,
    Django,
    Prisma,
    Knex,
    Rails,
    Sequelize,
    Typeorm,
    Atlas,
    Litescope,
    Custom,
    UserVersion,
    None,
}

const KINDS: &[(Kind, &str)] = &[
    (Kind::Sqlx, "sqlx"),
    (Kind::Diesel, "diesel"),
    (Kind::Dbmate, "dbmate"),
    (Kind::Goose, "goose"),
    (Kind::GolangMigrate, "golang-migrate"),
    (Kind::Refinery, "refinery"),
    (Kind::Flyway, "flyway"),
    (Kind::Alembic, "alembic"),
    (Kind::Django, "django"),
    (Kind::Prisma, "prisma"),
    (Kind::Knex, "knex"),
    (Kind::Rails, "rails"),
    (Kind::Sequelize, "sequelize"),
    (Kind::Typeorm, "typeorm"),
    (Kind::Atlas, "atlas"),
    (Kind::Litescope, "litescope"),
    (Kind::Custom, "custom"),
    (Kind::UserVersion, "user_version"),
    (Kind::None, "none"),
];

impl Kind {
    /// The contract's name for the kind.
    pub fn as_str(self) -> &'static str {
        KINDS
            .iter()
            .find(|(k, _)| *k == self)
            .map_or("none", |(_, name)| name)
    }

    /// The kind a user names (`--kind sqlx`).
    pub fn parse(name: &str) -> Option<Kind> {
        KINDS.iter().find(|(_, n)| *n == name).map(|(k, _)| *k)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// How a database tracks its migrations: the kind, and the table (none for `user_version` and
/// for a database with no tracking).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tracking {
    pub kind: Kind,
    pub table: Option<String>,
}

/// Tracking tables by name, most specific first. `schema_migrations` is shared by dbmate,
/// golang-migrate and rails; its columns tell them apart.
const TABLES: &[(&str, Kind)] = &[
    ("_sqlx_migrations", Kind::Sqlx),
    ("__diesel_schema_migrations", Kind::Diesel),
    ("goose_db_version", Kind::Goose),
    ("refinery_schema_history", Kind::Refinery),
    ("flyway_schema_history", Kind::Flyway),
    ("alembic_version", Kind::Alembic),
    ("django_migrations", Kind::Django),
    ("_prisma_migrations", Kind::Prisma),
    ("knex_migrations", Kind::Knex),
    ("SequelizeMeta", Kind::Sequelize),
    ("atlas_schema_revisions", Kind::Atlas),
    ("schema_migrations", Kind::Dbmate),
    ("migrations", Kind::Typeorm),
    ("schema_version", Kind::Custom),
    ("schema_versions", Kind::Custom),
    ("migration_history", Kind::Custom),
    ("migrations_history", Kind::Custom),
];

/// litescope's own log. It comes after every other tool's table and after `user_version`: it
/// may only record fixes applied beside the tracking the application keeps.
const LITESCOPE: (&str, Kind) = ("_litescope_migrations", Kind::Litescope);

/// What detection needs to know of a table: its name as stored, and whether it has a `dirty`
/// column (golang-migrate's mark).
struct Found {
    name: String,
    has_dirty: bool,
}

/// The tracking table among the tables `lookup` finds, `ar_internal_metadata` telling rails;
/// litescope's own log only with `with_own`.
fn classify(
    lookup: impl Fn(&str) -> Option<Found>,
    has_rails_meta: bool,
    with_own: bool,
) -> Option<Tracking> {
    let own = with_own.then_some(&LITESCOPE);
    TABLES.iter().chain(own).find_map(|(table, kind)| {
        let t = lookup(table)?;
        let kind = match kind {
            Kind::Dbmate if t.has_dirty => Kind::GolangMigrate,
            Kind::Dbmate if has_rails_meta => Kind::Rails,
            other => *other,
        };
        Some(Tracking {
            kind,
            table: Some(t.name),
        })
    })
}

/// The migration tracking table of `schema`, if it has one.
pub fn detect(schema: &Schema) -> Option<Tracking> {
    let lookup = |name: &str| {
        schema.table(name).map(|t| Found {
            name: t.name.to_string(),
            has_dirty: t.column("dirty").is_some(),
        })
    };
    classify(lookup, schema.table("ar_internal_metadata").is_some(), true)
}

/// How the database behind `conn` tracks its migrations: a tracking table, else a non-zero
/// `user_version`, else none. Reads only `sqlite_schema` and two pragmas, so that it is fast on
/// any size of schema.
pub fn tracking(conn: &Connection) -> rusqlite::Result<Tracking> {
    let mut stmt = conn.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'")?;
    let names: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<_>>()?;
    let has = |name: &str| names.iter().find(|n| n.eq_ignore_ascii_case(name));
    let lookup = |name: &str| {
        let stored = has(name)?;
        Some(Found {
            name: stored.clone(),
            has_dirty: has_column(conn, stored, "dirty"),
        })
    };
    let rails = has("ar_internal_metadata").is_some();
    if let Some(found) = classify(lookup, rails, false) {
        return Ok(found);
    }
    let user_version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if user_version != 0 {
        return Ok(Tracking {
            kind: Kind::UserVersion,
            table: None,
        });
    }
    Ok(classify(lookup, rails, true).unwrap_or(Tracking {
        kind: Kind::None,
        table: None,
    }))
}

/// True when `table` has a column named `column` (any case).
pub fn has_column(conn: &Connection, table: &str, column: &str) -> bool {
    columns(conn, table)
        .iter()
        .any(|c| c.eq_ignore_ascii_case(column))
}

/// The column names of `table`; none when it cannot be read.
pub fn columns(conn: &Connection, table: &str) -> Vec<String> {
    let Ok(mut stmt) = conn.prepare("SELECT name FROM pragma_table_info(?1)") else {
        return Vec::new();
    };
    stmt.query_map([table], |r| r.get::<_, String>(0))
        .and_then(|rows| rows.collect())
        .unwrap_or_default()
}

/// The tracking table's name, quoted for SQL.
fn quote_table(tracking: &Tracking) -> String {
    ident(tracking.table.as_deref().unwrap_or_default())
}

/// `SELECT columns FROM table`, the table quoted.
fn select(columns: &str, table: &str) -> String {
    format!("SELECT {columns} FROM {}", ident(table))
}
