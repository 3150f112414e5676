//! Everything that touches a database, with no terminal UI in it.
//!
//! The CLI commands and the TUI's workers call the same functions here. Inspection is read-only
//! at the SQLite level (see [`connect`]); writing lives only in the modules that say so.

pub mod backups;
pub mod browse;
pub mod clock;
pub mod connect;
pub mod database;
pub mod demo;
pub mod diff;
pub mod discover;
pub mod error;
pub mod findings;
pub mod header;
pub mod hot_journal;
pub mod jobs;
pub mod lexer;
pub mod limits;
pub mod locks;
pub mod memory;
pub mod migrate;
pub mod names;
pub mod pipeline;
pub mod plan;
pub mod query;
pub mod quote;
pub mod rebuild;
pub mod relations;
pub mod schema;
pub mod session;
pub mod slices;
pub mod stats;
#[cfg(test)]
mod test_corpus;
pub mod watch;
pub mod worker;
pub mod workspace;
pub mod write;
