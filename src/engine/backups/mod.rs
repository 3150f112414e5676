//! Backups: what a backup copy is (its names, [`names`]), and making, checking, listing, pruning
//! and restoring them. Every file these write goes through the write path
//! ([`write`](crate::engine::write)); every database they read is opened read-only.
//!
//! A backup is `<dir>/<name>-<UTC time>.db` plus a manifest beside it (`….db.manifest.json`) that
//! records where it came from and what it held ([`manifest`]).

pub mod catalog;
pub mod create;
mod hash;
pub mod manifest;
mod names;
pub mod restore;
pub mod verify;

pub use crate::engine::clock::age_days;
pub use names::{is_backup_name, is_copy_of, sibling_copy, EXTENSIONS, FOLDER};

/// A newest backup older than this many days is stale.
pub const STALE_DAYS: u64 = 7;

/// The folder a database's backups go to unless another is given: `backups/` beside it.
pub fn default_dir(db: &std::path::Path) -> std::path::PathBuf {
    let parent = db.parent().filter(|p| !p.as_os_str().is_empty());
    parent
        .unwrap_or(std::path::Path::new("."))
        .join(names::FOLDER)
}
