//! Rules about a database's backups: none found, or only old ones.

use super::{Finding, Options};
use crate::engine::backups::{age_days, catalog, is_backup_name, STALE_DAYS};
use crate::engine::database::Database;
use crate::engine::names::escape_path;
use crate::units;

/// The backups of `db` when it is a live database that SQLite can read; `None` for the others
/// (a backup copy, an unreadable file), which no rule here is about.
fn backups(db: &Database, opts: &Options) -> Option<Vec<catalog::Entry>> {
    (db.is_ok() && !is_backup_name(&db.file))
        .then(|| catalog::backups_of(&db.file, opts.backups.as_deref()))
}

/// The file's own name, the object of these rules: the same however the database was reached.
fn file_name(db: &Database) -> String {
    db.file
        .file_name()
        .map_or_else(|| db.path.clone(), escape_path)
}

/// The command that makes a backup, quoted for a shell.
fn create_command(db: &Database) -> String {
    format!(
        "litescope backup create {}",
        super::files::shell_quote(&db.file)
    )
}

pub fn none(db: &Database, opts: &Options) -> Option<Finding> {
    if !backups(db, opts)?.is_empty() {
        return None;
    }
    let extra = opts
        .backups
        .as_ref()
        .map_or(String::new(), |d| format!(", {}", escape_path(d)));
    let message = format!(
        "no backup found (looked in backups/ beside it and up to two folders above{extra}, and \
         for .backup / .bak copies)"
    );
    Some(Finding::new("no-backup", &db.path, file_name(db), message).advice(create_command(db)))
}

pub fn stale(db: &Database, opts: &Options) -> Option<Finding> {
    let newest = backups(db, opts)?.into_iter().next()?;
    let days = age_days(newest.time);
    (days > STALE_DAYS).then(|| {
        let message = format!(
            "the newest backup, {}, was made {}",
            escape_path(&newest.path),
            units::age_days(days)
        );
        Finding::new("backup-stale", &db.path, file_name(db), message).advice(create_command(db))
    })
}
