//! Rules from a migrations folder (`--migrations DIR`): migrations pending, modified since they
//! were applied, applied with no file, or recorded as failed, per database, as `migrate status`
//! sees them. Backup copies are left out: they are old on purpose; so are databases with no
//! tracking at all (no table, `user_version` 0): in a folder of several databases the migrations
//! are rarely theirs, and `no-migration-tracking` already says what they lack.

use super::Finding;
use crate::engine::backups::is_backup_name;
use crate::engine::connect::Conn;
use crate::engine::database::Database;
use crate::engine::migrate::{self, Folder, State, Status, StatusRow};
use crate::engine::names::escape_path;

/// The database's status against the folder, read once for the four rules; none for a backup
/// copy or a database with no tracking.
pub fn status(db: &Database, conn: &Conn, folder: &Folder) -> Option<Status> {
    if is_backup_name(&db.file) {
        return None;
    }
    // A tracking table that cannot be read is no finding of these rules (the folder was read,
    // or refused, by the command before the audit).
    let status = migrate::read_against(conn, &db.file, folder).ok()?;
    (status.tracking.kind != migrate::Kind::None).then_some(status)
}

/// The findings of the migrations in `state`.
pub fn of_state(db: &Database, status: &Status, folder: &Folder, state: State) -> Vec<Finding> {
    let dir = escape_path(&folder.dir);
    let kind = status.tracking.kind;
    status
        .migrations
        .iter()
        .filter(|r| r.state == state)
        .filter_map(|r| finding(db, r, &dir, kind))
        .collect()
}

fn object(row: &StatusRow) -> String {
    match row.file.as_deref() {
        Some(file) => file.to_string(),
        None if row.name.is_empty() => row.version.to_string(),
        None => format!("{}_{}", row.version, row.name),
    }
}

/// The finding about one migration; none for an applied one.
fn finding(db: &Database, row: &StatusRow, dir: &str, kind: migrate::Kind) -> Option<Finding> {
    let object = object(row);
    let (rule, message) = match row.state {
        State::Pending => (
            "migration-pending",
            format!("migration {object} is not applied ({kind} tracking)"),
        ),
        State::Modified => (
            "migration-modified",
            format!("migration {object} changed after it was applied: its checksum differs from the one recorded"),
        ),
        State::Missing => (
            "migration-missing",
            format!("version {} is recorded as applied but {dir} has no file for it", row.version),
        ),
        State::Failed => (
            "migration-failed",
            format!("migration {object} is recorded as failed or dirty: the schema may be half-changed"),
        ),
        State::Applied => return None,
    };
    // The fixes (`migrate up`, `migrate repair`) come with the commands that write.
    Some(Finding::new(rule, &db.path, object, message))
}
