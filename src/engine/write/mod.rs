//! The one path by which litescope writes. Inspection never writes (see
//! [`connect`](super::connect)); the operations that do (backups, restores, migrations) write only
//! through here:
//!
//! * a new or replaced file goes through [`AtomicFile`]: written under a temporary name beside
//!   its target that no listing takes for a database, synced, renamed into place, and the folder
//!   synced, so a crash or a kill leaves either the old state or the new, never a partial file
//!   under the real name;
//! * a database is changed through a [`Writer`]: its own read-write connection for one operation,
//!   with the write lock taken up front and held, foreign keys off as the `sqlite3` shell has
//!   them, and a clear refusal naming the file when another process holds it.
//!
//! Every writing operation runs as a job (progress, cancel) and asks the user first, naming what
//! it will write; the UI's confirmation and the CLI's `--yes` sit in front of these calls.

mod file;
mod writer;

pub use file::{fsync_dir, sweep_partials, AtomicFile};
pub use writer::{Hold, Writer};
