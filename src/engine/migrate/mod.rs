//! Migrations: which tool's tracking a database carries.
//!
//! Status and runs of migration folders build on this; for now it recognises the tracking tables
//! of the tools named in the contract, plus the hand-made `schema_version` / `migration_history`
//! kind.

use serde::Serialize;

use super::schema::Schema;

/// A migration tracking table found in a database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tracking {
    /// The tool, as named in the contract (`sqlx`, `dbmate`, …, `custom`).
    pub kind: &'static str,
    pub table: String,
}

/// Tracking tables by name, most specific first. `schema_migrations` is shared by dbmate,
/// golang-migrate and rails; its columns tell them apart.
const TABLES: &[(&str, &str)] = &[
    ("_sqlx_migrations", "sqlx"),
    ("__diesel_schema_migrations", "diesel"),
    ("goose_db_version", "goose"),
    ("refinery_schema_history", "refinery"),
    ("flyway_schema_history", "flyway"),
    ("alembic_version", "alembic"),
    ("django_migrations", "django"),
    ("_prisma_migrations", "prisma"),
    ("knex_migrations", "knex"),
    ("SequelizeMeta", "sequelize"),
    ("atlas_schema_revisions", "atlas"),
    ("_litescope_migrations", "litescope"),
    ("schema_migrations", "dbmate"),
    ("migrations", "typeorm"),
    ("schema_version", "custom"),
    ("schema_versions", "custom"),
    ("migration_history", "custom"),
    ("migrations_history", "custom"),
];

/// The migration tracking table of `schema`, if it has one.
pub fn detect(schema: &Schema) -> Option<Tracking> {
    TABLES.iter().find_map(|(table, kind)| {
        let t = schema.table(table)?;
        let kind = match *kind {
            "dbmate" if t.column("dirty").is_some() => "golang-migrate",
            "dbmate" if schema.table("ar_internal_metadata").is_some() => "rails",
            other => other,
        };
        Some(Tracking {
            kind,
            table: t.name.clone(),
        })
    })
}
