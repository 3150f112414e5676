//! Reading one side of a diff: a database file opened read-only as every inspection is (see
//! [`open_checked`]), its schema read once. A file that cannot be read fails with the one line
//! that names it and the cause.

use std::path::Path;

use crate::engine::connect::open_checked;
use crate::engine::error::Error;
use crate::engine::schema::{self, Detail, Schema};

/// `path`'s schema, read through a read-only connection that is closed before returning.
pub fn schema(path: &Path) -> Result<Schema, Error> {
    let conn = open_checked(path)?;
    let loaded = schema::load(&conn, Detail::Full);
    conn.end_transaction();
    loaded.map_err(|e| Error::invalid(path, e.to_string()))
}
