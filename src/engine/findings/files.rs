//! Rules about the file itself: empty, not SQLite, corrupt, WAL size, journal mode, free pages.

use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::Finding;
use crate::engine::backups::sibling_copy;
use crate::engine::connect;
use crate::engine::database::{Database, Status};
use crate::engine::migrate;
use crate::engine::names::escape_path;
use crate::units;

/// Free pages above this share of the file are worth a VACUUM.
const FREELIST_SHARE: f64 = 0.20;
/// Below this many pages the bytes a VACUUM would reclaim are not worth a finding.
const FREELIST_MIN_PAGES: u64 = 64;
/// A WAL beyond this size means checkpoints are not keeping up.
const WAL_LARGE_BYTES: u64 = 64 * 1024 * 1024;

pub fn not_sqlite(db: &Database) -> Option<Finding> {
    (db.status == Status::NotSqlite).then(|| {
        Finding::new("file-not-sqlite", &db.path, &db.path, reason(db)).advice(format!(
            "file {}   # see what the file holds",
            shell_quote(&db.file)
        ))
    })
}

fn reason(db: &Database) -> String {
    db.error.clone().unwrap_or_else(|| db.status.label().into())
}

/// `path` quoted for a shell: `'…'`, or bash's `$'…'` where it holds bytes that are not UTF-8 or
/// control characters, which `'…'` would carry raw into the terminal (or, lossily decoded, turn
/// into a name that does not exist).
pub fn shell_quote(path: &Path) -> String {
    let bytes = path.as_os_str().as_bytes();
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.chars().any(char::is_control) => {
            format!("'{}'", text.replace('\'', r"'\''"))
        }
        _ => {
            let mut out = String::from("$'");
            for chunk in bytes.utf8_chunks() {
                for c in chunk.valid().chars() {
                    match c {
                        '\'' | '\\' => out.extend(['\\', c]),
                        c if c.is_control() => hex_bytes(&mut out, c.encode_utf8(&mut [0; 4])),
                        c => out.push(c),
                    }
                }
                hex_bytes(&mut out, chunk.invalid());
            }
            out + "'"
        }
    }
}

fn hex_bytes(out: &mut String, bytes: impl AsRef<[u8]>) {
    for b in bytes.as_ref() {
        out.push_str(&format!("\\x{b:02x}"));
    }
}

pub fn empty(db: &Database) -> Option<Finding> {
    if db.status != Status::Empty {
        return None;
    }
    let base = format!("{} is 0 bytes", db.path);
    Some(match sibling_copy(&db.file) {
        Some((copy, size)) => {
            let name = copy.file_name().map_or(String::new(), escape_path);
            Finding::new(
                "file-empty",
                &db.path,
                &db.path,
                format!(
                    "{base}; {name} beside it is a SQLite database of {}",
                    units::bytes(size)
                ),
            )
            .advice(format!(
                "litescope backup restore {} {} --yes",
                shell_quote(&copy),
                shell_quote(&db.file)
            ))
        }
        None => Finding::new(
            "file-empty",
            &db.path,
            &db.path,
            format!("{base}, and no copy was found beside it"),
        ),
    })
}

pub fn corrupt(db: &Database) -> Option<Finding> {
    let file = shell_quote(&db.file);
    (db.status == Status::Corrupt).then(|| {
        Finding::new("file-corrupt", &db.path, &db.path, reason(db)).advice(format!(
            "sqlite3 {file} .recover | sqlite3 {}",
            shell_quote(&connect::sibling(&db.file, ".recovered"))
        ))
    })
}

/// Un-checkpointed frames in the WAL according to the `-shm` header (native byte order, as the
/// WAL index is), or `None` when there is no usable `-shm`.
fn pending_frames(db: &Database) -> Option<u32> {
    let shm = std::fs::read(connect::sibling(&db.file, "-shm")).ok()?;
    let word = |at: usize| Some(u32::from_ne_bytes(shm.get(at..at + 4)?.try_into().ok()?));
    let max_frame = word(16)?;
    let backfilled = word(96)?;
    Some(max_frame.saturating_sub(backfilled))
}

/// A `-wal` that is no WAL, or a header alone, holds no commit to checkpoint: SQLite ignores it.
fn wal_holds_frames(db: &Database) -> bool {
    let wal = crate::engine::connect::sibling(&db.file, "-wal");
    crate::engine::header::wal_may_hold_frames(&wal)
}

pub fn wal_large(db: &Database) -> Option<Finding> {
    let wal = db.wal_bytes.filter(|b| *b > 0)?;
    let message = if wal > db.size_bytes {
        format!(
            "the -wal ({}) is larger than the database ({})",
            units::bytes(wal),
            units::bytes(db.size_bytes)
        )
    } else if wal > WAL_LARGE_BYTES && pending_frames(db).is_some_and(|f| f > 0) {
        format!(
            "the -wal is {} and holds un-checkpointed commits",
            units::bytes(wal)
        )
    } else if !db.had_shm && wal_holds_frames(db) {
        format!(
            "the -wal ({}) holds commits but no process has the database open (no -shm): they \
             were never checkpointed",
            units::bytes(wal)
        )
    } else {
        return None;
    };
    Some(
        Finding::new("wal-large", &db.path, &db.path, message)
            .count(wal)
            .advice(format!(
                "sqlite3 {} 'PRAGMA wal_checkpoint(TRUNCATE);'",
                shell_quote(&db.file)
            )),
    )
}

/// Only databases an application evidently writes: a rollback journal is fine for a file that
/// nobody writes while others read, such as a shipped sample or reference database.
pub fn journal_mode(db: &Database) -> Option<Finding> {
    let rollback = db.journal_mode.as_deref() == Some("rollback");
    let hot_journal = connect::sibling(&db.file, "-journal").exists();
    let tracked = migrate::detect(&db.schema);
    let written_by_app = hot_journal || tracked.is_some();
    (rollback && written_by_app).then(|| {
        let evidence = match &tracked {
            Some(t) => format!("it tracks {} migrations", t.kind),
            None => "a -journal beside it shows a writer".into(),
        };
        Finding::new(
            "journal-mode",
            &db.path,
            &db.path,
            format!("rollback journal mode on an application database ({evidence})"),
        )
        .advice(format!(
            "sqlite3 {} 'PRAGMA journal_mode=WAL;'   # persistent; stop writers first",
            shell_quote(&db.file)
        ))
    })
}

pub fn freelist(db: &Database) -> Option<Finding> {
    let (free, pages) = (db.freelist_count?, db.page_count?);
    let share = free as f64 / pages.max(1) as f64;
    (share > FREELIST_SHARE && pages >= FREELIST_MIN_PAGES).then(|| {
        let size = free * db.page_size.unwrap_or(4096) as u64;
        Finding::new(
            "freelist-bloat",
            &db.path,
            &db.path,
            format!(
                "{} of {} pages are free ({:.0}%); VACUUM would reclaim {}",
                units::count(free),
                units::count(pages),
                share * 100.0,
                units::bytes(size)
            ),
        )
        .count(free)
        .advice(format!("sqlite3 {} 'VACUUM;'", shell_quote(&db.file)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn shell_quoting_keeps_every_byte_and_no_raw_control() {
        assert_eq!(shell_quote(Path::new("it's.db")), r"'it'\''s.db'");
        assert_eq!(shell_quote(Path::new("café.db")), "'café.db'");
        let raw = Path::new(OsStr::from_bytes(b"a\xff\x1b'\\.db"));
        assert_eq!(shell_quote(raw), r"$'a\xff\x1b\'\\.db'");
    }
}
