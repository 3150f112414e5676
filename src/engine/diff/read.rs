//! Opening one side of a diff: a database file, read-only as every inspection is (see
//! [`connect`]), its schema read once. A file that cannot be read fails with the one line that
//! names it and the cause.

use std::path::Path;

use crate::engine::connect::{self, Conn};
use crate::engine::database::precheck;
use crate::engine::discover::Found;
use crate::engine::error::Error;
use crate::engine::schema::{self, Detail, Schema};

/// A read-only connection to `path`, after the checks every command makes (a FIFO, an empty
/// file or one that is not SQLite is refused before SQLite opens it).
pub fn open(path: &Path) -> Result<Conn, Error> {
    if let Err(failed) = precheck(&Found::given(path)) {
        let why = failed.error.clone();
        return Err(Error::invalid(
            path,
            why.unwrap_or_else(|| failed.status.label().to_string()),
        ));
    }
    connect::open(path).map_err(|e| Error::invalid(path, e.to_string()))
}

/// `path`'s schema, read through a read-only connection that is closed before returning.
pub fn schema(path: &Path) -> Result<Schema, Error> {
    let conn = open(path)?;
    let loaded = schema::load(&conn, Detail::Full);
    conn.end_transaction();
    loaded.map_err(|e| Error::invalid(path, e.to_string()))
}
