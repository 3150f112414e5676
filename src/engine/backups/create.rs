//! Making a backup: one consistent snapshot of a database, copied page for page.
//!
//! The copy reads every page of the snapshot through SQLite (`sqlite_dbpage`) inside one read
//! transaction, so it holds every committed row, those still in the `-wal` included, and nothing
//! a writer commits while it runs. In WAL mode that transaction never blocks the application; in
//! rollback mode it holds the read lock, and writers wait until the copy ends (the plan says so).
//! Unlike SQLite's online backup API it never restarts when another process writes, and unlike
//! `VACUUM INTO` it does not rebuild the file, so it runs at the speed of a file copy. The bytes
//! are hashed on the way, which is what verification compares the written file with.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use super::manifest::{self, Manifest};
use super::{default_dir, hash, verify};
use crate::engine::clock as stamp;
use crate::engine::connect::Conn;
use crate::engine::error::Error;
use crate::engine::header::{self, Sniff};
use crate::engine::names::escape_path;
use crate::engine::write::{sweep_partials, AtomicFile};

/// Where a backup of one database will be written, and what it costs the application: what a
/// confirmation names before anything is written.
#[derive(Debug, Clone)]
pub struct Plan {
    pub source: PathBuf,
    pub target: PathBuf,
    /// The database is in rollback mode: the copy holds its read lock while it runs.
    pub holds_read_lock: bool,
}

impl Plan {
    /// `back up app.db to backups/app-….db` and, in rollback mode, what writers will see.
    pub fn describe(&self) -> String {
        let lock = match self.holds_read_lock {
            true => " (rollback journal: writers wait until the copy is done)",
            false => "",
        };
        format!(
            "back up {} to {}{lock}",
            escape_path(&self.source),
            escape_path(&self.target)
        )
    }
}

/// How a new backup is checked before it counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    None,
    /// `quick_check`, schema, row counts and content hash.
    Quick,
    /// The same with `integrity_check`.
    Full,
}

/// A backup written.
#[derive(Debug)]
pub struct Created {
    pub path: PathBuf,
    pub seconds: f64,
    pub manifest: Manifest,
}

/// Plans a backup of `source` into `out`, or its default `backups/` folder. The name carries the
/// UTC time to the millisecond and a `-2`, `-3`… when that name is taken.
pub fn plan(source: &Path, out: Option<&Path>) -> Result<Plan, Error> {
    let holds_read_lock = match header::sniff(source).map_err(|e| Error::io(source, e))? {
        Sniff::Sqlite(h) => match h.unreadable() {
            Some(why) => {
                return Err(Error::invalid(
                    source,
                    format!("file is not a database ({why})"),
                ))
            }
            None => !h.is_wal(),
        },
        Sniff::Empty => {
            return Err(Error::invalid(
                source,
                "the file is empty: nothing to back up",
            ))
        }
        _ => return Err(Error::invalid(source, "file is not a database")),
    };
    let dir = out.map_or_else(|| default_dir(source), Path::to_path_buf);
    let stem = source.file_stem().unwrap_or(source.as_os_str());
    let time = stamp::for_name(SystemTime::now());
    let target = (1..)
        .map(|n| {
            let suffix = if n == 1 {
                String::new()
            } else {
                format!("-{n}")
            };
            let mut name = stem.to_owned();
            name.push(format!("-{time}{suffix}.db"));
            dir.join(name)
        })
        .find(|p| !p.exists() && !manifest::path_of(p).exists())
        .unwrap_or_default();
    Ok(Plan {
        source: source.to_path_buf(),
        target,
        holds_read_lock,
    })
}

/// What the snapshot held, read while it was copied.
pub(super) struct Snapshot {
    pub page_size: u64,
    pub page_count: u64,
    pub schema_hash: String,
    pub content_hash: String,
}

/// Writes the backup `plan` names from `conn` (a read-only connection to its source), checks it
/// as `check` says, and writes its manifest. `progress` hears pages copied out of all. A cancel
/// (the connection's interrupt) or a failed check leaves no file behind.
pub fn create(
    plan: &Plan,
    conn: &Conn,
    check: Check,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Created, Error> {
    let (started, now) = (Instant::now(), SystemTime::now());
    let dir = plan.target.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    sweep_partials(dir);
    let mut out = AtomicFile::create(&plan.target)?;
    let snapshot =
        copy(conn, out.file(), &plan.target, progress).map_err(|e| e.of(&plan.source))?;
    // Checked under its temporary name: a backup's name is only ever given to a verified copy.
    let tables = match check {
        Check::None => Vec::new(),
        _ => verify::fresh_copy(
            out.path(),
            &plan.target,
            &snapshot,
            check == Check::Full,
            conn,
        )?,
    };
    out.commit(false)?;
    let manifest = Manifest {
        source: std::path::absolute(&plan.source).unwrap_or_else(|_| plan.source.clone()),
        created: stamp::rfc3339(now),
        created_unix_ms: stamp::unix_ms(now),
        bytes: snapshot.page_size * snapshot.page_count,
        page_size: snapshot.page_size,
        page_count: snapshot.page_count,
        schema_hash: snapshot.schema_hash,
        content_hash: snapshot.content_hash,
        tables,
        verified: check != Check::None,
        check: match check {
            Check::None => None,
            Check::Quick => Some("quick_check".into()),
            Check::Full => Some("integrity_check".into()),
        },
    };
    manifest::write(&plan.target, &manifest)?;
    Ok(Created {
        path: plan.target.clone(),
        seconds: started.elapsed().as_secs_f64(),
        manifest,
    })
}

/// Copies the snapshot into `file` inside one read transaction, ending it whatever happens.
fn copy(
    conn: &Conn,
    file: &mut File,
    target: &Path,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Snapshot, Error> {
    conn.execute_batch("BEGIN")?;
    let copied = copy_pages(conn, file, target, progress);
    conn.end_transaction();
    copied
}

fn copy_pages(
    conn: &Conn,
    file: &mut File,
    target: &Path,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Snapshot, Error> {
    // The schema is read first: that read starts the snapshot every later read sees.
    let schema_hash = hash::schema(conn).map_err(|e| conn.explain(e))?;
    let page_size = conn.query_row("PRAGMA main.page_size", [], |r| r.get::<_, i64>(0))? as u64;
    let page_count = conn.query_row("PRAGMA main.page_count", [], |r| r.get::<_, i64>(0))? as u64;
    let mut stmt = conn.prepare("SELECT data FROM sqlite_dbpage('main')")?;
    let mut rows = stmt.query([])?;
    let mut content = hash::Hash::new();
    let io = |e| Error::io(target, e);
    // Page 1 is written last, so a file cut short never starts with a database header.
    let first: Vec<u8> = match rows.next()? {
        Some(row) => row.get(0)?,
        None => Vec::new(),
    };
    content.update(&first);
    file.seek(SeekFrom::Start(page_size)).map_err(io)?;
    let mut out = BufWriter::with_capacity(1 << 20, &mut *file);
    let mut done = 1;
    while let Some(row) = rows.next()? {
        let page = row.get_ref(0)?.as_blob().unwrap_or_default();
        content.update(page);
        out.write_all(page).map_err(io)?;
        done += 1;
        if done % 4096 == 0 {
            progress(done, page_count);
        }
    }
    out.flush().map_err(io)?;
    drop(out);
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    file.write_all(&first).map_err(io)?;
    progress(done, page_count);
    Ok(Snapshot {
        page_size,
        page_count,
        schema_hash,
        content_hash: content.hex(),
    })
}
