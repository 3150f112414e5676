//! The manifest beside a backup (`<backup>.manifest.json`): where the copy came from, when, and
//! what it held, so that a later check can tell a damaged backup from a database that moved on.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::engine::clock as stamp;
use crate::engine::connect::sibling;
use crate::engine::error::Error;
use crate::engine::write::AtomicFile;

const SUFFIX: &str = ".manifest.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// The database copied, as an absolute path.
    pub source: PathBuf,
    /// When the snapshot was read, RFC 3339 UTC.
    pub created: String,
    pub created_unix_ms: u64,
    pub bytes: u64,
    pub page_size: u64,
    pub page_count: u64,
    pub schema_hash: String,
    /// xxHash3-128 of the file's bytes: those of the snapshot, page for page.
    pub content_hash: String,
    /// Rows per table, counted on the copy when it was verified.
    pub tables: Vec<TableRows>,
    pub verified: bool,
    /// `quick_check` or `integrity_check`, when verified.
    pub check: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableRows {
    pub name: String,
    pub rows: u64,
}

impl Manifest {
    pub fn created_at(&self) -> SystemTime {
        stamp::from_unix_ms(self.created_unix_ms)
    }
}

/// Where the manifest of `backup` lives.
pub fn path_of(backup: &Path) -> PathBuf {
    sibling(backup, SUFFIX)
}

/// True for a manifest's file name.
pub fn is_manifest(path: &Path) -> bool {
    path.to_string_lossy().ends_with(SUFFIX)
}

/// The manifest of `backup`, if it has a readable one.
pub fn read(backup: &Path) -> Option<Manifest> {
    let text = std::fs::read(path_of(backup)).ok()?;
    serde_json::from_slice(&text).ok()
}

/// Writes the manifest of `backup`, whole or not at all.
pub fn write(backup: &Path, manifest: &Manifest) -> Result<(), Error> {
    let path = path_of(backup);
    let text =
        serde_json::to_vec_pretty(manifest).map_err(|e| Error::invalid(&path, e.to_string()))?;
    let mut file = AtomicFile::create(&path)?;
    file.file()
        .write_all(&text)
        .map_err(|e| Error::io(&path, e))?;
    file.commit(true)
}
