//! The kinds of work the TUI sends to a database's worker, one file each. Each wraps an engine
//! operation that the CLI calls directly (see `gitui`'s split of `sync` operations and their
//! async jobs): the operation lives with its module, the job only adapts it to the worker.

pub mod advise;
pub mod backups;
pub mod compare;
pub mod look;
pub mod migrations;
pub mod page;
pub mod query;
pub mod stage;

pub use advise::AdviseJob;
pub use look::LookJob;
pub use migrations::{MigrationsJob, MigrationsRead};
pub use page::PageJob;
pub use query::QueryJob;
pub use stage::{StageDone, StageJob};
