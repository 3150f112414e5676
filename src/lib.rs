//! litescope: a terminal inspector and auditor for SQLite databases.
//!
//! [`engine`] holds everything that touches a database; [`cli`] and [`ui`] are thin layers over
//! it.

pub mod cli;
pub mod engine;
pub mod ui;
pub mod units;
