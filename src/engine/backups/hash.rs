//! Content and schema hashes. xxHash3-128 detects damage and change at memory speed; nothing here
//! defends against a forger, which a backup's threat is not.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use rusqlite::Connection;
use xxhash_rust::xxh3::Xxh3;

use crate::engine::error::Error;
use crate::engine::quote::ident;

/// The hash of a stream of bytes, as hex.
pub struct Hash(Xxh3);

impl Hash {
    pub fn new() -> Hash {
        Hash(Xxh3::new())
    }

    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    pub fn hex(&self) -> String {
        format!("{:032x}", self.0.digest128())
    }
}

/// The hash of a file's bytes.
pub fn file(path: &Path) -> Result<String, Error> {
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hash = Hash::new();
    let mut buf = vec![0; 1 << 20];
    loop {
        match file.read(&mut buf).map_err(|e| Error::io(path, e))? {
            0 => return Ok(hash.hex()),
            n => hash.update(&buf[..n]),
        }
    }
}

/// The hash of the schema's text: every entry of `sqlite_schema`, in name order.
pub fn schema(conn: &Connection) -> rusqlite::Result<String> {
    let mut stmt = conn.prepare(
        "SELECT type, name, tbl_name, coalesce(sql, '') FROM main.sqlite_schema \
         ORDER BY type, name",
    )?;
    let mut rows = stmt.query([])?;
    let mut hash = Hash::new();
    while let Some(row) = rows.next()? {
        for i in 0..4 {
            hash.update(row.get_ref(i)?.as_str().unwrap_or_default().as_bytes());
            hash.update(&[0]);
        }
    }
    Ok(hash.hex())
}

/// A hash of a table's rows that does not depend on their order: the sum of each row's hash, so
/// that two files holding the same rows in different pages agree.
pub fn table_rows(conn: &Connection, table: &str) -> rusqlite::Result<String> {
    let mut stmt = conn.prepare(&format!("SELECT * FROM main.{}", ident(table)))?;
    let width = stmt.column_count();
    let mut rows = stmt.query([])?;
    let mut sum = 0u128;
    while let Some(row) = rows.next()? {
        let mut hash = Xxh3::new();
        for i in 0..width {
            value(&mut hash, row.get_ref(i)?);
        }
        sum = sum.wrapping_add(hash.digest128());
    }
    Ok(format!("{sum:032x}"))
}

/// Feeds one value with its type, so that `1`, `1.0` and `'1'` differ.
fn value(hash: &mut Xxh3, v: rusqlite::types::ValueRef<'_>) {
    use rusqlite::types::ValueRef::*;
    match v {
        Null => hash.update(&[0]),
        Integer(i) => {
            hash.update(&[1]);
            hash.update(&i.to_le_bytes());
        }
        Real(f) => {
            hash.update(&[2]);
            hash.update(&f.to_le_bytes());
        }
        Text(t) | Blob(t) => {
            hash.update(&[if matches!(v, Text(_)) { 3 } else { 4 }]);
            hash.update(&(t.len() as u64).to_le_bytes());
            hash.update(t);
        }
    }
}
