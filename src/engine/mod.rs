//! Everything that touches a database, with no terminal UI in it.
//!
//! The CLI commands and the TUI's workers call the same functions here. Inspection is read-only
//! at the SQLite level (see [`connect`]); writing lives only in the modules that say so.

pub mod connect;
pub mod database;
pub mod discover;
pub mod header;
pub mod quote;
pub mod schema;
pub mod stats;
pub mod workspace;
