//! One database file as litescope sees it: its state, its settings, and its schema.
//!
//! [`precheck`] and [`Database::read`] build a [`Database`] from a file without ever failing: whatever goes wrong becomes
//! the database's [`Status`] and a one-line reason, so a folder with one broken file still
//! reports the others.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use rusqlite::{Connection, ErrorCode};
use serde::Serialize;

use super::connect::{self, Access, Conn};
use super::discover::{not_a_file, Found};
use super::header::{self, Header, Sniff};
use super::names;
use super::schema::{self, Detail, Schema};
use super::slices::{self, Each, Pace, Stopped};
use super::stats::{self, Measured};

/// A file's state, as fixed in the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Ok,
    Empty,
    NotSqlite,
    Corrupt,
    Locked,
    Unreadable,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Empty => "empty",
            Status::NotSqlite => "not-sqlite",
            Status::Corrupt => "corrupt",
            Status::Locked => "locked",
            Status::Unreadable => "unreadable",
        }
    }
}

/// The outcome of `PRAGMA quick_check`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "result", content = "detail")]
pub enum Integrity {
    Ok,
    Problems(Vec<String>),
    /// Not run, or cut off by the time budget; the reason says which.
    Unchecked(String),
}

impl Integrity {
    /// The problems reported, one per line (`quick_check` may put several in one row, under a
    /// `*** in database main ***` line, which is not a problem): what a count of problems counts.
    pub fn problems(&self) -> Vec<&str> {
        match self {
            Integrity::Problems(p) => p
                .iter()
                .flat_map(|p| p.lines())
                .filter(|l| !l.starts_with("*** in database") && !l.trim().is_empty())
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// Everything litescope knows about one file.
#[derive(Debug, Clone, Serialize)]
pub struct Database {
    pub path: String,
    #[serde(skip)]
    pub file: PathBuf,
    /// True when the user named this file, rather than a folder holding it.
    #[serde(skip)]
    pub explicit: bool,
    pub status: Status,
    /// One line saying why the status is not `ok`, or what is hidden from view.
    pub error: Option<String>,
    pub size_bytes: u64,
    pub page_size: Option<u32>,
    pub page_count: Option<u64>,
    pub freelist_count: Option<u64>,
    /// `wal`, or `rollback` for the rollback journal modes (which one is a connection setting and
    /// is not stored in the file).
    pub journal_mode: Option<String>,
    pub user_version: Option<i64>,
    pub application_id: Option<i64>,
    pub sqlite_version_last_written: Option<String>,
    /// Size of the `-wal` file beside the database; `None` when there is none.
    pub wal_bytes: Option<u64>,
    /// Whether a `-shm` was beside the database before litescope opened it (reading a `-wal`
    /// creates one).
    #[serde(skip)]
    pub had_shm: bool,
    pub has_stat1: bool,
    pub encoding: Option<String>,
    pub auto_vacuum: Option<String>,
    pub access: Option<Access>,
    pub integrity: Integrity,
    /// Tables counted in slices (rollback journal) while another process committed, so that their
    /// counts mix snapshots.
    pub counts_not_one_snapshot: Vec<String>,
    #[serde(flatten)]
    pub schema: Schema,
}

/// How deep [`inspect`] goes.
#[derive(Debug, Clone, Copy)]
pub struct Depth {
    /// How much of the schema to read.
    pub detail: Detail,
    /// Measure bytes and exact row counts (one pass over the file).
    pub measure: bool,
    /// Run `PRAGMA quick_check`.
    pub integrity: bool,
    /// Time allowed for each of those two passes.
    pub budget: Duration,
}

impl Depth {
    /// Object names only, for a first screen.
    pub const NAMES: Depth = Depth {
        detail: Detail::Names,
        measure: false,
        integrity: false,
        budget: Duration::ZERO,
    };

    /// The schema with estimated counts: cheap on any size of file.
    pub const SCHEMA: Depth = Depth {
        detail: Detail::Full,
        measure: false,
        integrity: false,
        budget: Duration::ZERO,
    };

    pub fn full(budget: Duration) -> Depth {
        Depth {
            detail: Detail::Full,
            measure: true,
            integrity: true,
            budget,
        }
    }
}

impl Database {
    fn unopened(found: &Found, status: Status, error: String, size: u64) -> Database {
        Database {
            path: found.display.clone(),
            file: found.path.clone(),
            explicit: found.explicit,
            status,
            error: Some(error),
            size_bytes: size,
            page_size: None,
            page_count: None,
            freelist_count: None,
            journal_mode: None,
            user_version: None,
            application_id: None,
            sqlite_version_last_written: None,
            wal_bytes: connect::wal_len(&found.path),
            had_shm: connect::sibling(&found.path, "-shm").exists(),
            has_stat1: false,
            encoding: None,
            auto_vacuum: None,
            access: None,
            integrity: Integrity::Unchecked("not opened".into()),
            counts_not_one_snapshot: Vec::new(),
            schema: Schema::default(),
        }
    }

    fn from_header(found: &Found, size: u64, h: &Header) -> Database {
        let mut db = Database::unopened(found, Status::Ok, String::new(), size);
        db.error = None;
        db.page_size = Some(h.page_size);
        db.page_count = Some(h.page_count as u64);
        db.freelist_count = Some(h.freelist_count as u64);
        db.journal_mode = Some(if h.is_wal() { "wal" } else { "rollback" }.into());
        db.user_version = Some(h.user_version as i64);
        db.application_id = Some(h.application_id as i64);
        db.sqlite_version_last_written = h.sqlite_version_text();
        db
    }

    /// The `file: cause` line for a database that could not be inspected.
    pub fn failure_line(&self) -> Option<String> {
        (self.status != Status::Ok).then(|| {
            format!(
                "{}: {}",
                self.path,
                self.error.as_deref().unwrap_or(self.status.label())
            )
        })
    }

    pub fn is_ok(&self) -> bool {
        self.status == Status::Ok
    }

    /// True when SQLite could read the schema of a damaged file (`quick_check` fails but
    /// `sqlite_schema` reads): its tables may still be browsed, as the `sqlite3` shell would.
    pub fn is_damaged_but_readable(&self) -> bool {
        self.status == Status::Corrupt && !self.schema.tables.is_empty()
    }

    /// Free pages as the file can hold them: `freelist_count` is the header's word, which a
    /// damaged file can make larger than the file. `None` when unknown or impossible.
    pub fn free_pages(&self) -> Option<u64> {
        let free = self.freelist_count?;
        let pages = self
            .page_count
            .or_else(|| Some(self.size_bytes / u64::from(self.page_size?)))?;
        (free < pages.max(1)).then_some(free)
    }

    /// Free space in bytes: free pages × page size, never more than the file.
    pub fn free_bytes(&self) -> Option<u64> {
        let bytes = self.free_pages()? * u64::from(self.page_size?);
        Some(bytes.min(self.size_bytes))
    }

    /// True when every read of this file delays other processes' commits: a rollback-journal
    /// file on a connection that takes locks.
    pub fn readers_block_writers(&self) -> bool {
        self.journal_mode.as_deref() == Some("rollback") && self.access != Some(Access::Immutable)
    }

    /// Adds `line` to what the caveat line says is hidden from view.
    fn note(&mut self, line: String) {
        self.error = Some(match self.error.take() {
            Some(before) => format!("{before}; {line}"),
            None => line,
        });
    }

    /// Says what a sliced measuring pass could not give exactly.
    fn note_measured(&mut self, measured: Measured) {
        if !measured.straddled.is_empty() {
            self.note(format!(
                "rows of {} counted in slices while another process committed (rollback \
                 journal): not from one snapshot",
                listed(&measured.straddled)
            ));
        }
        if !measured.unmeasured.is_empty() {
            self.note(format!(
                "bytes of {} not shown: too large to measure within a {} ms read-lock slice \
                 (rollback journal)",
                listed(&measured.unmeasured),
                slices::SLICE_MAX.as_millis()
            ));
        }
        self.counts_not_one_snapshot = measured.straddled;
    }
}

/// The first few names of `names`, and how many more there are.
fn listed(names: &[String]) -> String {
    const SHOWN: usize = 3;
    let head = names[..names.len().min(SHOWN)].join(", ");
    match names.len().saturating_sub(SHOWN) {
        0 => head,
        more => format!("{head} and {more} more"),
    }
}

/// What can be known before SQLite reads the file: what kind of file it is, its size and header.
/// `Err` holds a database that cannot be opened at all (empty, not SQLite, not a regular file,
/// unreadable), with its status.
pub fn precheck(found: &Found) -> Result<Database, Box<Database>> {
    let fail =
        |status, why: String, size| Err(Box::new(Database::unopened(found, status, why, size)));
    // Decided from metadata: a FIFO or a device must never be opened for reading.
    if let Some(why) = not_a_file(&found.path) {
        return fail(Status::Unreadable, why, 0);
    }
    let size = match std::fs::metadata(&found.path) {
        Ok(m) => m.len(),
        Err(e) => return fail(Status::Unreadable, e.to_string(), 0),
    };
    match header::sniff(&found.path) {
        Ok(Sniff::Sqlite(h)) => match h.unreadable() {
            // Named here, so that every command says why, not SQLite's bare "not a database".
            Some(why) => {
                let mut db = Database::from_header(found, size, &h);
                db.status = match h.read_version > 2 {
                    true => Status::NotSqlite,
                    false => Status::Corrupt,
                };
                db.error = Some(format!("file is not a database ({why})"));
                Err(Box::new(db))
            }
            None => Ok(Database::from_header(found, size, &h)),
        },
        Ok(Sniff::Empty) => fail(
            Status::Empty,
            "file is not a database (it is empty)".into(),
            size,
        ),
        Ok(Sniff::Truncated) => fail(
            Status::NotSqlite,
            format!("file is not a database (truncated: {size} bytes, header needs 100)"),
            size,
        ),
        Ok(Sniff::NotSqlite) => fail(
            Status::NotSqlite,
            "file is not a database (no SQLite header: text, encrypted or another format)".into(),
            size,
        ),
        Err(e) => fail(Status::Unreadable, e.to_string(), size),
    }
}

impl Database {
    /// Reads schema and settings through `conn` to `depth`; a failure becomes the status.
    pub fn read(&mut self, conn: &Conn, depth: Depth) {
        self.read_then(conn, depth, |_, _| ());
    }

    /// [`Database::read`], running `then` on the model once it is measured, while `quick_check`
    /// may still run beside it (see [`read_into`]); `None` when the file could not be read that
    /// far, then the failure is the status.
    pub fn read_then<T>(
        &mut self,
        conn: &Conn,
        depth: Depth,
        then: impl FnOnce(&Database, &Conn) -> T,
    ) -> Option<T> {
        match read_into(self, conn, depth, then) {
            Ok(done) => Some(done),
            Err(e) => {
                self.fail(&e);
                None
            }
        }
    }

    /// A read without `quick_check` (a recount after another process's commit) keeps the last
    /// check's result rather than showing none.
    pub fn keep_check_of(&mut self, before: &Database) {
        if matches!(self.integrity, Integrity::Unchecked(_)) && self.status == Status::Ok {
            self.integrity = before.integrity.clone();
            self.note_integrity();
        }
    }

    /// A check that found problems makes the file's status corrupt.
    fn note_integrity(&mut self) {
        if let Integrity::Problems(p) = &self.integrity {
            self.status = Status::Corrupt;
            self.error = Some(format!("quick_check: {}", summary(p)));
        }
    }

    /// Records that SQLite refused the file.
    pub fn fail(&mut self, err: &rusqlite::Error) {
        self.status = status_of(err);
        self.error = Some(err.to_string());
        if matches!(self.status, Status::NotSqlite | Status::Corrupt) {
            self.name_header_cause(err);
        }
    }

    /// Adds the cause the header shows to SQLite's bare "file is not a database" or
    /// "malformed". A header with SQLite's magic that SQLite refuses for its page size or text
    /// encoding, or a file cut short, is damaged (`corrupt`); a newer file format stays
    /// `not-sqlite`, as SQLite reports it.
    fn name_header_cause(&mut self, err: &rusqlite::Error) {
        let Ok(Sniff::Sqlite(h)) = header::sniff(&self.file) else {
            return;
        };
        let Some(cause) = h.problem(self.size_bytes) else {
            return;
        };
        if h.read_version <= 2 {
            self.status = Status::Corrupt;
        }
        self.error = Some(format!("{err} ({cause})"));
    }
}

/// Reads settings and schema through an open connection, then measures to `depth` and runs
/// `then` on the measured model. `quick_check` reads the whole file as the measuring pass does:
/// where a second connection can be had it runs beside both, so that work done in `then` (the
/// audit's counting) costs no time of its own while the check is longer. Its verdict is applied
/// once both are done: a damaged file's status says so whatever `then` saw.
pub fn read_into<T>(
    db: &mut Database,
    conn: &Conn,
    depth: Depth,
    then: impl FnOnce(&Database, &Conn) -> T,
) -> rusqlite::Result<T> {
    db.access = Some(conn.access);
    db.error = conn.caveat.clone();
    read_settings(db, conn)?;
    db.schema = schema::load(conn, depth.detail)?;
    db.has_stat1 = db.schema.table("sqlite_stat1").is_some();
    let done;
    (db.integrity, done) = measure_and_check(db, conn, depth, then);
    db.note_integrity();
    Ok(done)
}

/// The measuring pass, then `then`, with `quick_check` beside them on a second connection where
/// one can be had: each pass reads the whole file, so side by side they cost the time of the
/// longer. In rollback mode the connections take their slices together (see
/// [`slices::ReadWindow`]), so that a writer still waits for one slice at most.
fn measure_and_check<T>(
    db: &mut Database,
    conn: &Conn,
    depth: Depth,
    then: impl FnOnce(&Database, &Conn) -> T,
) -> (Integrity, T) {
    let check = |conn: &Conn| match depth.integrity {
        true => quick_check(conn, depth.budget),
        false => Integrity::Unchecked("not requested".into()),
    };
    let measured = |db: &mut Database| {
        if depth.measure {
            let measured = stats::measure(conn, &mut db.schema, depth.budget);
            db.note_measured(measured);
        }
        stats::apply_estimates(conn, &mut db.schema);
        then(db, conn)
    };
    let beside = (depth.integrity && depth.measure)
        .then(|| connect::open_beside(conn))
        .flatten();
    match beside {
        Some(other) => std::thread::scope(|s| {
            let checking = s.spawn(move || check(&other));
            let done = measured(db);
            let verdict = checking
                .join()
                .unwrap_or_else(|_| Integrity::Unchecked("quick_check failed".into()));
            (verdict, done)
        }),
        None => {
            let done = measured(db);
            (check(conn), done)
        }
    }
}

fn pragma<T: rusqlite::types::FromSql>(db: &Connection, name: &str) -> rusqlite::Result<T> {
    db.pragma_query_value(Some("main"), name, |r| r.get(0))
}

fn read_settings(db: &mut Database, conn: &Connection) -> rusqlite::Result<()> {
    // Through the connection these include what the WAL holds, unlike the file header.
    db.page_count = Some(pragma::<i64>(conn, "page_count")? as u64);
    db.freelist_count = Some(pragma::<i64>(conn, "freelist_count")? as u64);
    db.user_version = Some(pragma(conn, "user_version")?);
    db.application_id = Some(pragma(conn, "application_id")?);
    db.page_size = Some(pragma(conn, "page_size")?);
    db.encoding = Some(pragma(conn, "encoding")?);
    db.auto_vacuum = Some(
        match pragma::<i64>(conn, "auto_vacuum")? {
            1 => "full",
            2 => "incremental",
            _ => "none",
        }
        .into(),
    );
    Ok(())
}

/// The first real problem line and how many follow, on one line.
fn summary(problems: &[String]) -> String {
    let integrity = Integrity::Problems(problems.to_vec());
    let lines = integrity.problems();
    match lines.as_slice() {
        [] => "failed".into(),
        [one] => one.to_string(),
        [first, rest @ ..] => format!("{first} (and {} more)", rest.len()),
    }
}

/// `PRAGMA quick_check` within `budget`, keeping the first problems it reports; in slices where
/// the connection's read lock delays writers.
pub fn quick_check(conn: &Conn, budget: Duration) -> Integrity {
    match Pace::of(conn) {
        Pace::Whole => quick_check_whole(conn, budget),
        Pace::Slices => quick_check_in_slices(conn, budget),
    }
}

fn quick_check_whole(conn: &Conn, budget: Duration) -> Integrity {
    let result = conn.with_budget(budget, |db| check_lines(db, None));
    match result {
        Ok(Some(lines)) if lines.is_empty() => Integrity::Ok,
        Ok(Some(lines)) => Integrity::Problems(lines),
        Ok(None) => Integrity::Unchecked(format!(
            "quick_check did not finish within {}s",
            budget.as_secs()
        )),
        Err(e) => from_error(e),
    }
}

/// The lines of `PRAGMA quick_check` other than `ok`, of the whole file or of one table.
fn check_lines(db: &Connection, table: Option<&str>) -> rusqlite::Result<Vec<String>> {
    // A pragma takes no bound parameters: the table name goes in as a quoted literal.
    let arg = table.map_or("20".into(), |t| format!("'{}'", t.replace('\'', "''")));
    let mut stmt = db.prepare(&format!("PRAGMA main.quick_check({arg})"))?;
    let rows = stmt.query_map([], |r| names::text(r, 0))?;
    let lines = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(lines.into_iter().filter(|l| l != "ok").collect())
}

fn from_error(e: rusqlite::Error) -> Integrity {
    if e.sqlite_error_code() == Some(ErrorCode::DatabaseCorrupt) {
        Integrity::Problems(vec![e.to_string()])
    } else {
        Integrity::Unchecked(e.to_string())
    }
}

/// The whole file within one slice where it fits: that also checks the freelist and finds pages
/// no table uses. Otherwise table by table (`PRAGMA quick_check(TABLE)`), which cannot see those,
/// and skips a table too large to check within a slice: SQLite cannot resume inside one.
fn quick_check_in_slices(conn: &Conn, budget: Duration) -> Integrity {
    let deadline = Instant::now() + budget;
    let tables = match checked_tables(conn) {
        Ok(tables) => tables,
        Err(e) => return from_error(e),
    };
    if slices::whole_file_worth_trying(conn, tables.len()) {
        let whole = check_each(conn, &[None], deadline);
        if whole.skipped.is_empty() {
            return whole.verdict(budget);
        }
    }
    table_by_table(conn, &tables, deadline, budget)
}

fn table_by_table(
    conn: &Conn,
    tables: &[Option<String>],
    deadline: Instant,
    budget: Duration,
) -> Integrity {
    check_each(conn, tables, deadline).verdict(budget)
}

/// `sqlite_schema` and every table with a b-tree of its own.
fn checked_tables(db: &Connection) -> rusqlite::Result<Vec<Option<String>>> {
    let sql = "SELECT name FROM main.sqlite_schema WHERE type = 'table' AND rootpage > 0";
    let mut stmt = db.prepare(sql)?;
    let names = stmt.query_map([], |r| r.get::<_, String>(0))?;
    std::iter::once(Ok(Some("sqlite_schema".into())))
        .chain(names.map(|n| n.map(Some)))
        .collect()
}

/// What a sliced `quick_check` found, skipped, and why it stopped early, if it did.
struct Checked {
    problems: Vec<String>,
    checked: usize,
    skipped: Vec<String>,
    stopped: Option<Stopped>,
}

fn check_each(conn: &Conn, targets: &[Option<String>], deadline: Instant) -> Checked {
    let (mut problems, mut checked) = (Vec::new(), 0);
    let mut check = |db: &Connection, table: &Option<String>| {
        problems.extend(check_lines(db, table.as_deref())?);
        checked += 1;
        Ok(())
    };
    let mut each = Each::new(targets, &mut check);
    let stopped = slices::run(conn, Pace::Slices, deadline, &mut each).err();
    let skipped = each.skipped.iter();
    let skipped = skipped.map(|&i| targets[i].clone().unwrap_or("the whole file".into()));
    let skipped = skipped.collect();
    Checked {
        problems,
        checked,
        skipped,
        stopped,
    }
}

impl Checked {
    fn verdict(mut self, budget: Duration) -> Integrity {
        if !self.problems.is_empty() {
            self.problems.truncate(20);
            return Integrity::Problems(self.problems);
        }
        match self.stopped {
            Some(Stopped::Sql(e)) => from_error(e),
            Some(stopped) => Integrity::Unchecked(stopped.describe("quick_check", budget)),
            None if self.skipped.is_empty() => Integrity::Ok,
            None => Integrity::Unchecked(format!(
                "quick_check passed {} tables but skipped {}: too large to check within a {} ms \
                 read-lock slice (rollback journal); run PRAGMA quick_check in the sqlite3 shell \
                 when writers can wait",
                self.checked,
                listed(&self.skipped),
                slices::SLICE_MAX.as_millis()
            )),
        }
    }
}

/// The status an SQLite error puts a file in.
pub fn status_of(err: &rusqlite::Error) -> Status {
    match err.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Status::Locked,
        Some(ErrorCode::NotADatabase) => Status::NotSqlite,
        Some(ErrorCode::DatabaseCorrupt) => Status::Corrupt,
        Some(ErrorCode::CannotOpen | ErrorCode::PermissionDenied) => Status::Unreadable,
        _ if err.to_string().contains("malformed") => Status::Corrupt,
        _ => Status::Unreadable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus_file(name: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        let corpus = crate::engine::test_corpus::dir();
        std::fs::copy(corpus.join("edge").join(name), &path).unwrap();
        (dir, path)
    }

    #[test]
    fn checking_table_by_table_finds_what_the_whole_file_check_finds() {
        for name in [
            "sqlite-altercorrupt-t1-freelist.db",
            "sqlite-corruptL-t5-ptrmap.db",
            "sqlite-corruptL-t9-freespace.db",
        ] {
            let (_dir, path) = corpus_file(name);
            let conn = connect::open(&path).unwrap();
            let budget = Duration::from_secs(10);
            let deadline = Instant::now() + budget;
            let tables = checked_tables(&conn).unwrap();
            let verdict = table_by_table(&conn, &tables, deadline, budget);
            assert!(
                matches!(verdict, Integrity::Problems(_)),
                "{name}: {verdict:?}"
            );
            assert!(matches!(
                quick_check_whole(&conn, budget),
                Integrity::Problems(_)
            ));
        }
    }

    #[test]
    fn a_healthy_file_passes_table_by_table() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ok.db");
        Connection::open(&path)
            .unwrap()
            .execute_batch(
                "CREATE TABLE \"it's\"(x PRIMARY KEY); INSERT INTO \"it's\" VALUES (1), (2);
                 CREATE TABLE k(a PRIMARY KEY, b) WITHOUT ROWID; CREATE VIRTUAL TABLE f USING fts5(x);",
            )
            .unwrap();
        let conn = connect::open(&path).unwrap();
        let budget = Duration::from_secs(10);
        let tables = checked_tables(&conn).unwrap();
        let verdict = table_by_table(&conn, &tables, Instant::now() + budget, budget);
        assert_eq!(verdict, Integrity::Ok);
        assert_eq!(quick_check(&conn, budget), Integrity::Ok);
    }
}
