//! Backups in a workspace are part of the picture, not noise. A backup of a live database that
//! SQLite reads fine repeats that database's findings, so it is not audited a second time. Where
//! the live file is empty or unreadable, its newest readable backup stands in for it in the rules
//! that compare databases: it is the best record of what that service's tables look like.

use std::collections::HashMap;
use std::os::unix::ffi::OsStrExt;
use std::time::SystemTime;

use crate::engine::backups::{is_backup_name, is_copy_of};
use crate::engine::database::Database;

/// What a database is in the audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Audited as itself: a live database, a backup whose database is not in the workspace, or
    /// a backup SQLite cannot read (its damage is worth a finding of its own).
    Own,
    /// A backup of a database in the workspace that speaks for itself, or an older backup of
    /// one that does not: left out.
    Covered,
    /// The newest readable backup of the database at this index, which is empty or unreadable.
    StandsIn(usize),
}

/// The role of each of `dbs`. Cost is linear in the databases: live ones are found by name.
pub fn roles(dbs: &[&Database]) -> Vec<Role> {
    let mut live: HashMap<&[u8], usize> = HashMap::new();
    for (i, d) in dbs
        .iter()
        .enumerate()
        .filter(|(_, d)| !is_backup_name(&d.file))
    {
        live.entry(stem(d)).or_insert(i);
    }
    let mut roles = vec![Role::Own; dbs.len()];
    let mut newest: HashMap<usize, usize> = HashMap::new();
    let readable_copies = dbs
        .iter()
        .enumerate()
        .filter(|(_, d)| is_backup_name(&d.file) && d.is_ok());
    for (i, copy) in readable_copies {
        let Some(&j) = prefixes(stem(copy)).find_map(|p| {
            live.get(p)
                .filter(|&&j| is_copy_of(&copy.file, &dbs[j].file))
        }) else {
            continue;
        };
        roles[i] = Role::Covered;
        if !dbs[j].is_ok() {
            let best = newest.entry(j).or_insert(i);
            if modified(copy) > modified(dbs[*best]) {
                *best = i;
            }
        }
    }
    for (j, i) in newest {
        roles[i] = Role::StandsIn(j);
    }
    roles
}

/// A file name up to its first dot.
fn stem(d: &Database) -> &[u8] {
    let name = d.file.file_name().map_or(&[][..], |n| n.as_bytes());
    name.split(|b| *b == b'.').next().unwrap_or_default()
}

/// `name` cut before each character that is not a letter or digit, and whole: the live names a
/// backup's name can start with (`app` and `app-2026` for `app-2026-11-01`).
fn prefixes(name: &[u8]) -> impl Iterator<Item = &[u8]> {
    let cuts = name
        .iter()
        .enumerate()
        .filter(|(_, b)| !b.is_ascii_alphanumeric());
    cuts.map(|(i, _)| &name[..i]).chain([name])
}

fn modified(d: &Database) -> Option<SystemTime> {
    std::fs::metadata(&d.file).and_then(|m| m.modified()).ok()
}
