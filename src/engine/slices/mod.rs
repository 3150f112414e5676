//! Long reads run as many short statements, so that a rollback-journal database's writers never
//! wait long for litescope.
//!
//! In rollback-journal mode a reader's SHARED lock makes every other process's commit wait until
//! the read ends (in WAL mode readers and writers do not wait for each other). In autocommit mode
//! SQLite drops a connection's read lock as soon as its last statement ends, so in rollback mode
//! ([`Pace::Slices`]) a long pass runs as a series of statements, each ended after about
//! [`SLICE_TARGET`] and resumed by the next:
//!
//! * [`Scan`] reads a table in key order (rowid, or primary key for a WITHOUT ROWID table), each
//!   statement starting after the last key the one before returned;
//! * [`Count`] counts a rowid table the same way, with `count(*)` over a `LIMIT`ed range of
//!   rowids, which is about twice as fast as stepping every row into Rust;
//! * [`Each`] runs one statement per item (`quick_check` of one table, `dbstat` of one b-tree)
//!   where SQLite cannot resume within an item; an item that does not fit in a slice is skipped
//!   and listed, so that the caller can say what it left out.
//!
//! A statement's size is a row limit, scaled after each statement towards [`SLICE_TARGET`] by the
//! time it took. [`SLICE_MAX`] is enforced by SQLite's progress handler (the connection's
//! budget), so a misjudged statement still ends in time: a cut scan keeps the rows it read and
//! resumes after them; a cut count, whose result comes only at its end, runs again smaller.
//!
//! Connections opened beside each other (measuring and `quick_check` run side by side) take their
//! slices together, in one [`ReadWindow`], so that between windows the process holds no lock.
//!
//! Work spread over several statements is not one snapshot when another process commits in
//! between: [`Snapshot`] compares `PRAGMA data_version` before the first statement and after the
//! last, so that callers can mark such counts.
//!
//! In WAL mode, and on an immutable connection, which takes no lock at all, ([`Pace::Whole`]) the
//! same work runs as one statement with no limit and no order, as fast as SQLite can read it.

use std::ops::ControlFlow;
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection, Row};

use super::connect::{is_interrupt, Access, Conn};
use super::locks::lock;
use super::quote::ident;
use super::schema::Table;

mod index;
pub use index::IndexScan;

/// The time a statement of a sliced pass aims at.
pub const SLICE_TARGET: Duration = Duration::from_millis(100);
/// The longest a statement of a sliced pass holds the read lock: SQLite stops it there.
pub const SLICE_MAX: Duration = Duration::from_millis(200);
/// The largest file a whole-file pass (`dbstat`, `quick_check`) is tried on in one slice before
/// going table by table: a slice reads on the order of 100 MB, and a try that cannot finish costs
/// a whole slice.
const WHOLE_FILE_MAX: i64 = 64 << 20;
/// The number of b-trees from which a whole-file pass is tried whatever the file's size. Each
/// statement of a tree-by-tree pass costs a scan of `sqlite_schema` (`dbstat` finds its tree by
/// name, `quick_check(TABLE)` walks every table to pick one), so that pass grows with the square
/// of the tree count: on 16,000 trees it takes minutes where the whole file takes 50 ms. A try
/// that cannot finish costs one slice.
const MANY_TREES: usize = 1_000;
/// How long after a [`ReadWindow`] opens a statement may still join it.
const JOIN: Duration = Duration::from_millis(20);
/// Rows of the first statement, before any timing is known.
const FIRST_ROWS: u64 = 1_000;
/// The fewest rows a statement is asked for.
const MIN_ROWS: u64 = 16;
/// Most rows a statement is asked for: a bound on growth, far above any real slice.
const MAX_ROWS: u64 = 1 << 40;

/// How a connection must read a large amount of data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// In one statement: its read lock delays no one.
    Whole,
    /// In statements of one slice each: its read lock delays other processes' commits.
    Slices,
}

impl Pace {
    /// The pace `conn` must read at: in slices unless the file is known to be in WAL mode or the
    /// connection takes no lock. Slicing is always safe, only slower, so a journal mode that
    /// cannot be read counts as rollback.
    pub fn of(conn: &Conn) -> Pace {
        if conn.access == Access::Immutable {
            return Pace::Whole;
        }
        match conn.query_row("PRAGMA main.journal_mode", [], |r| r.get::<_, String>(0)) {
            Ok(mode) if mode.eq_ignore_ascii_case("wal") => Pace::Whole,
            _ => Pace::Slices,
        }
    }

    /// The time one statement that cannot be resumed may take at this pace, out of `budget`.
    pub fn statement_budget(self, budget: Duration) -> Duration {
        match self {
            Pace::Whole => budget,
            Pace::Slices => budget.min(SLICE_MAX),
        }
    }
}

/// Gathers the sliced statements of connections opened beside each other into common windows.
///
/// SQLite's file locks belong to the process: a connection asking for a read lock that another
/// connection of this process holds gets it without waiting for a writer's pending lock, so two
/// connections slicing in turn would hold the lock without a break. Here a statement may start
/// only within [`JOIN`] of its window's opening, and the next window opens only once every
/// statement of the last one has ended. Between windows the process holds no lock, and the first
/// read lock of the next window waits for a writer's pending lock, so a writer waits at most
/// about [`JOIN`] + [`SLICE_MAX`].
#[derive(Debug, Default)]
pub struct ReadWindow {
    state: Mutex<WindowState>,
    closed: Condvar,
}

/// `opened` is set exactly while statements are inside.
#[derive(Debug, Default)]
struct WindowState {
    opened: Option<Instant>,
    inside: usize,
}

/// A statement inside a [`ReadWindow`]; it leaves when this is dropped.
pub struct Inside<'a>(&'a ReadWindow);

impl ReadWindow {
    /// Waits until a statement may start: in the open window while it is young, else in the next.
    pub fn enter(&self) -> Inside<'_> {
        let mut state = lock(&self.state);
        loop {
            match state.opened {
                Some(at) if at.elapsed() >= JOIN => {
                    state = self
                        .closed
                        .wait(state)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                Some(_) => break,
                None => {
                    state.opened = Some(Instant::now());
                    break;
                }
            }
        }
        state.inside += 1;
        Inside(self)
    }
}

impl Drop for Inside<'_> {
    fn drop(&mut self) {
        let mut state = lock(&self.0.state);
        state.inside = state.inside.saturating_sub(1);
        if state.inside == 0 {
            state.opened = None;
            self.0.closed.notify_all();
        }
    }
}

/// True when a whole-file pass over a file of `trees` b-trees is worth a slice's try: it may fit
/// (see [`WHOLE_FILE_MAX`]), the size is unknown, or going tree by tree would cost more than a
/// slice lost (see [`MANY_TREES`]).
pub fn whole_file_worth_trying(db: &Connection, trees: usize) -> bool {
    let get = |pragma: &str| {
        db.query_row(&format!("PRAGMA main.{pragma}"), [], |r| r.get::<_, i64>(0))
            .ok()
    };
    let bytes = get("page_count")
        .zip(get("page_size"))
        .map(|(n, s)| n.saturating_mul(s));
    worth_trying(bytes, trees)
}

fn worth_trying(bytes: Option<i64>, trees: usize) -> bool {
    trees >= MANY_TREES || bytes.is_none_or(|b| b <= WHOLE_FILE_MAX)
}

/// Why sliced work stopped before its end.
#[derive(Debug)]
pub enum Stopped {
    /// SQLite failed, or the user cancelled (see [`Stopped::is_interrupt`]).
    Sql(rusqlite::Error),
    /// The time budget ran out.
    OutOfTime,
    /// One statement could not be cut to fit in a slice.
    TooLong,
    /// A WITHOUT ROWID table whose primary key is unknown: there is no key to resume by.
    NoKey,
}

impl From<rusqlite::Error> for Stopped {
    fn from(e: rusqlite::Error) -> Stopped {
        Stopped::Sql(e)
    }
}

impl Stopped {
    /// True when the user cancelled, or an interactive job preempted this one.
    pub fn is_interrupt(&self) -> bool {
        matches!(self, Stopped::Sql(e) if is_interrupt(e))
    }

    /// A line for the user; `budget` is the time that ran out, for [`Stopped::OutOfTime`].
    pub fn describe(&self, what: &str, budget: Duration) -> String {
        match self {
            Stopped::Sql(e) => e.to_string(),
            Stopped::OutOfTime => format!("{what} did not finish within {}s", budget.as_secs()),
            Stopped::TooLong => format!(
                "{what} stopped: one read took over {} ms, the longest litescope holds the read \
                 lock of a rollback-journal database",
                SLICE_MAX.as_millis()
            ),
            Stopped::NoKey => format!("{what} stopped: the table's primary key is unknown"),
        }
    }
}

/// Work that runs as a series of statements and can stop after any of them.
pub trait Resumable {
    /// Runs one statement of at most `rows` rows (`None`: no limit, no order needed) from where
    /// the last one stopped; returns true when the work is done.
    fn step(&mut self, db: &Connection, rows: Option<u64>) -> rusqlite::Result<bool>;

    /// The statement asked for `rows` rows was stopped at the end of its slice. Returns false
    /// when the work cannot be cut finer.
    fn cut(&mut self, rows: u64) -> bool {
        rows > MIN_ROWS
    }
}

/// Runs `work` to its end, statement by statement at `pace`, unless `deadline` passes first.
pub fn run(
    conn: &Conn,
    pace: Pace,
    deadline: Instant,
    work: &mut dyn Resumable,
) -> Result<(), Stopped> {
    let mut rows = FIRST_ROWS;
    loop {
        let _inside = (pace == Pace::Slices).then(|| conn.window().enter());
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Stopped::OutOfTime);
        }
        let (slice, limit) = match pace {
            Pace::Whole => (left, None),
            Pace::Slices => (left.min(SLICE_MAX), Some(rows)),
        };
        let start = Instant::now();
        match conn.with_budget(slice, |db| work.step(db, limit))? {
            Some(true) => return Ok(()),
            Some(false) => rows = resize(rows, start.elapsed()),
            None if pace == Pace::Whole || slice < SLICE_MAX => return Err(Stopped::OutOfTime),
            None if work.cut(rows) => rows = (rows / 4).max(MIN_ROWS),
            None => return Err(Stopped::TooLong),
        }
    }
}

/// The row limit that would have made a statement of `rows` rows taking `took` last
/// [`SLICE_TARGET`], changed by at most four times at once so that one odd timing cannot swing it.
fn resize(rows: u64, took: Duration) -> u64 {
    let scale = SLICE_TARGET.as_secs_f64() / took.as_secs_f64().max(1e-6);
    ((rows as f64 * scale.clamp(0.25, 4.0)) as u64).clamp(MIN_ROWS, MAX_ROWS)
}

fn limit(rows: u64) -> i64 {
    i64::try_from(rows).unwrap_or(i64::MAX)
}

/// `PRAGMA data_version` when work began; it changes when another connection commits.
#[derive(Debug, Clone)]
pub struct Snapshot(Option<i64>);

impl Snapshot {
    pub fn take(db: &Connection) -> Snapshot {
        Snapshot(data_version(db))
    }

    /// True when no other connection committed since [`Snapshot::take`]; false when unknown.
    pub fn held(&self, db: &Connection) -> bool {
        self.0.is_some() && self.0 == data_version(db)
    }
}

fn data_version(db: &Connection) -> Option<i64> {
    db.query_row("PRAGMA main.data_version", [], |r| r.get(0))
        .ok()
}

/// The expressions a table's rows are ordered and resumed by, on alias `c`: its rowid (under a
/// name no column hides), or its primary key.
fn key_columns(table: &Table) -> Result<Vec<String>, Stopped> {
    if !table.without_rowid {
        let free = ["rowid", "_rowid_", "oid"]
            .into_iter()
            .find(|name| table.column(name).is_none())
            .unwrap_or("rowid");
        return Ok(vec![format!("c.{free}")]);
    }
    let key = table.primary_key();
    if key.is_empty() {
        return Err(Stopped::NoKey);
    }
    Ok(key.iter().map(|k| format!("c.{}", ident(k))).collect())
}

/// The three forms of a keyset statement: whole (no limit, no order), first slice, next slice.
/// `?1` is the row limit, `?2…` the last key read.
struct Keyset {
    whole: String,
    first: String,
    next: String,
}

impl Keyset {
    /// `whole` and `sliced` are select lists; the sliced one ends with the key. The whole
    /// statement has no order, so SQLite may read a smaller covering index instead of the table.
    fn new(whole: &str, sliced: &str, table: &Table, key: &[String]) -> Keyset {
        let from = format!("FROM main.{} AS c", ident(&table.name));
        let order = key.join(", ");
        let after = (2..key.len() + 2)
            .map(|i| format!("?{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        Keyset {
            whole: format!("SELECT {whole} {from}"),
            first: format!("SELECT {sliced} {from} ORDER BY {order} LIMIT ?1"),
            next: format!(
                "SELECT {sliced} {from} WHERE ({order}) > ({after}) ORDER BY {order} LIMIT ?1"
            ),
        }
    }

    fn pick(&self, rows: Option<u64>, resuming: bool) -> &str {
        match (rows, resuming) {
            (None, _) => &self.whole,
            (Some(_), false) => &self.first,
            (Some(_), true) => &self.next,
        }
    }
}

/// Called with each row a [`Scan`] reads; `Break` ends the scan early.
pub type OnRow<'a> = dyn FnMut(&Row) -> rusqlite::Result<ControlFlow<()>> + 'a;

/// Reads a table: in key order when sliced, in any order when whole. Each row holds the `extra`
/// expressions at positions `0..extra.len()` (then, when sliced, the key); expressions name the
/// table as `c`.
pub struct Scan<'a> {
    sql: Keyset,
    extra: usize,
    keys: usize,
    last: Option<Vec<Value>>,
    moved: bool,
    on_row: &'a mut OnRow<'a>,
}

impl<'a> Scan<'a> {
    pub fn new(
        table: &Table,
        extra: &[String],
        on_row: &'a mut OnRow<'a>,
    ) -> Result<Scan<'a>, Stopped> {
        let key = key_columns(table)?;
        let whole = if extra.is_empty() {
            "1".to_string()
        } else {
            extra.join(", ")
        };
        let sliced = [extra, &key].concat().join(", ");
        Ok(Scan {
            sql: Keyset::new(&whole, &sliced, table, &key),
            extra: extra.len(),
            keys: key.len(),
            last: None,
            moved: false,
            on_row,
        })
    }

    fn remember(&mut self, row: &Row) -> rusqlite::Result<()> {
        let last = self.last.get_or_insert_with(Vec::new);
        last.clear();
        for i in self.extra..self.extra + self.keys {
            last.push(row.get(i)?);
        }
        Ok(())
    }
}

impl Resumable for Scan<'_> {
    fn step(&mut self, db: &Connection, rows: Option<u64>) -> rusqlite::Result<bool> {
        self.moved = false;
        let mut stmt = db.prepare_cached(self.sql.pick(rows, self.last.is_some()))?;
        let params: Vec<Value> = rows
            .map(|n| Value::Integer(limit(n)))
            .into_iter()
            .chain(self.last.iter().flatten().cloned())
            .collect();
        let mut found = stmt.query(params_from_iter(params))?;
        let mut read = 0;
        while let Some(row) = found.next()? {
            if (self.on_row)(row)?.is_break() {
                return Ok(true);
            }
            if rows.is_some() {
                self.remember(row)?;
            }
            self.moved = true;
            read += 1;
        }
        Ok(rows.is_none_or(|n| read < n))
    }

    /// Rows read before the cut are kept, so a cut scan goes on from there.
    fn cut(&mut self, rows: u64) -> bool {
        self.moved || rows > MIN_ROWS
    }
}

/// Counts a rowid table's rows, a range of rowids per statement.
struct Count {
    sql: Keyset,
    after: Option<i64>,
    rows: u64,
}

impl Count {
    fn new(table: &Table, key: &str) -> Count {
        let k = format!("{key} AS k");
        let inner = Keyset::new(&k, &k, table, &[key.to_string()]);
        let outer = |sql: &str| format!("SELECT count(*), max(k) FROM ({sql})");
        Count {
            sql: Keyset {
                whole: format!("SELECT count(*), NULL FROM main.{}", ident(&table.name)),
                first: outer(&inner.first),
                next: outer(&inner.next),
            },
            after: None,
            rows: 0,
        }
    }
}

impl Resumable for Count {
    fn step(&mut self, db: &Connection, rows: Option<u64>) -> rusqlite::Result<bool> {
        let mut stmt = db.prepare_cached(self.sql.pick(rows, self.after.is_some()))?;
        let params: Vec<i64> = rows.map(limit).into_iter().chain(self.after).collect();
        let (n, last) = stmt.query_row(params_from_iter(params), |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?))
        })?;
        self.rows += n.max(0) as u64;
        self.after = last.or(self.after);
        Ok(rows.is_none_or(|l| n < limit(l)))
    }
}

/// Counts `table`'s rows at `pace`: by rowid ranges, or by primary key for a WITHOUT ROWID table.
pub fn count(conn: &Conn, pace: Pace, table: &Table, deadline: Instant) -> Result<u64, Stopped> {
    let key = key_columns(table)?;
    if !table.without_rowid {
        let mut work = Count::new(table, &key[0]);
        run(conn, pace, deadline, &mut work)?;
        return Ok(work.rows);
    }
    let mut rows = 0u64;
    let mut tally = |_: &Row| {
        rows += 1;
        Ok(ControlFlow::Continue(()))
    };
    run(
        conn,
        pace,
        deadline,
        &mut Scan::new(table, &[], &mut tally)?,
    )?;
    Ok(rows)
}

/// One statement per item, for work SQLite cannot resume within an item. An item whose
/// statement does not fit in a slice is skipped; `skipped` lists their positions.
pub struct Each<'a, T> {
    items: &'a [T],
    next: usize,
    pub skipped: Vec<usize>,
    work: &'a mut dyn FnMut(&Connection, &T) -> rusqlite::Result<()>,
}

impl<'a, T> Each<'a, T> {
    pub fn new(
        items: &'a [T],
        work: &'a mut dyn FnMut(&Connection, &T) -> rusqlite::Result<()>,
    ) -> Each<'a, T> {
        Each {
            items,
            next: 0,
            skipped: Vec::new(),
            work,
        }
    }
}

impl<T> Resumable for Each<'_, T> {
    fn step(&mut self, db: &Connection, _rows: Option<u64>) -> rusqlite::Result<bool> {
        if let Some(item) = self.items.get(self.next) {
            (self.work)(db, item)?;
            self.next += 1;
        }
        Ok(self.next >= self.items.len())
    }

    fn cut(&mut self, _rows: u64) -> bool {
        self.skipped.push(self.next);
        self.next += 1;
        true
    }
}

#[cfg(test)]
mod tests;
