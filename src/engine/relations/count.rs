//! Counting orphans: parent keys read once into memory (kept for other children of the same
//! parent, on either counting connection), each child table read once for all its relations,
//! and a join where keys do not fit; in slices where a read lock delays writers.

use super::*;

/// One relation being counted during its child table's scan.
pub(super) struct Check {
    pub(super) rel: usize,
    /// Positions of the key columns in the scan's result.
    pub(super) cols: Vec<usize>,
    pub(super) aff: Vec<Affinity>,
    pub(super) keys: Arc<KeySet>,
    /// Taken on this pass's connection before the parent keys were read.
    pub(super) since: Snapshot,
    pub(super) orphans: u64,
    pub(super) nulls: u64,
    pub(super) checked: u64,
    pub(super) sample: Vec<Sample>,
}

/// What every count of a relation pass shares.
pub(super) struct Pass<'a> {
    pub(super) conn: &'a Conn,
    pub(super) pace: Pace,
    /// Time allowed per child table.
    pub(super) budget: Duration,
    pub(super) sample: usize,
    /// Parent keys held in memory before falling back to a join, and kept for reuse in all.
    pub(super) max_keys: u64,
    /// Shared by the passes counting side by side.
    pub(super) kept: &'a KeptKeys,
    /// Which of those passes this is (see [`Slot::Read`]).
    pub(super) reader: usize,
    /// Taken on `conn` before any pass side by side with this one read anything.
    pub(super) start: Snapshot,
}

/// Parent key sets already read, by parent table and columns, shared by the connections that
/// count side by side: a parent referenced from child tables counted on both (`users`) is read
/// once. A connection that needs a set another one is reading waits for it.
#[derive(Default)]
pub(super) struct KeptKeys {
    state: Mutex<Kept>,
    settled: Condvar,
}

#[derive(Default)]
struct Kept {
    sets: HashMap<KeySetId, Slot>,
    /// Keys held in all the kept sets.
    keys: u64,
}

/// A parent table and the columns of its key.
type KeySetId = (String, Vec<CompactString>);

enum Slot {
    /// Being read by one of the passes.
    Reading,
    /// Read by the pass `reader`, after the snapshot `since` of its connection. `PRAGMA
    /// data_version` is per connection: another pass judges the set by its own `start`.
    Read {
        keys: Arc<KeySet>,
        reader: usize,
        since: Snapshot,
    },
    /// More keys than a pass holds: never read again, the relations are counted another way.
    TooMany,
}

impl KeptKeys {
    /// How many sets are kept (read and held for other children).
    #[cfg(test)]
    pub(super) fn held(&self) -> usize {
        let kept = lock(&self.state);
        let read = kept
            .sets
            .values()
            .filter(|s| matches!(s, Slot::Read { .. }));
        read.count()
    }
}

/// A set one pass has undertaken to read; dropped unsettled (the read stopped), it is given up,
/// so that a waiting pass reads it itself.
struct Claim<'a> {
    kept: &'a KeptKeys,
    id: Option<KeySetId>,
}

impl Claim<'_> {
    fn settle(mut self, slot: Option<Slot>, count: u64) {
        let mut kept = lock(&self.kept.state);
        if let Some(id) = self.id.take() {
            match slot {
                Some(slot) => {
                    kept.keys += count;
                    kept.sets.insert(id, slot);
                }
                None => {
                    kept.sets.remove(&id);
                }
            }
        }
        self.kept.settled.notify_all();
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            lock(&self.kept.state).sets.remove(&id);
            self.kept.settled.notify_all();
        }
    }
}

/// Counts every relation of one child table in a single pass over it.
pub(super) fn count_child(pass: &Pass, schema: &Schema, rels: &mut [Relation], members: &[usize]) {
    let Some(child) = schema.table(&rels[members[0]].child) else {
        return;
    };
    let deadline = Instant::now() + pass.budget;
    let result = count_members(pass, schema, child, rels, members, deadline);
    let failure = match result {
        Ok((checks, snapshot)) => {
            let one_snapshot =
                snapshot.held(pass.conn) && checks.iter().all(|c| c.since.held(pass.conn));
            for c in checks {
                let rel = &mut rels[c.rel];
                (rel.orphans, rel.nulls, rel.checked, rel.sample) =
                    (Some(c.orphans), Some(c.nulls), Some(c.checked), c.sample);
            }
            for &i in members {
                rels[i].one_snapshot = one_snapshot;
            }
            return;
        }
        Err(stopped) => stopped.describe("counting", pass.budget),
    };
    for &i in members {
        let rel = &mut rels[i];
        (rel.orphans, rel.nulls, rel.checked) = (None, None, None);
        rel.error.get_or_insert_with(|| failure.as_str().into());
    }
}

/// Reads each relation's parent keys (or joins, where they do not fit in memory), then the
/// child table once for all of them; also returns the snapshot taken before the first read.
pub(super) fn count_members(
    pass: &Pass,
    schema: &Schema,
    child: &Table,
    rels: &mut [Relation],
    members: &[usize],
    deadline: Instant,
) -> Result<(Vec<Check>, Snapshot), Stopped> {
    let snapshot = Snapshot::take(pass.conn);
    let mut columns: Vec<CompactString> = Vec::new();
    let mut checks = Vec::new();
    for &i in members {
        let rel = &mut rels[i];
        let Some(parent) = schema.table(&rel.parent) else {
            checks.push(no_parent(pass, rel, i, &mut columns));
            continue;
        };
        if let Some(why) = unresolved(parent, rel) {
            rel.error = Some(why.into());
            continue;
        }
        if collated(parent, rel) {
            // Keys in memory compare bytes; SQLite's join compares by the parent's collation.
            rel.method = Some(Method::Join);
            join_count(pass, schema, child, rel, deadline)?;
            continue;
        }
        let aff: Vec<Affinity> = rel
            .parent_columns
            .iter()
            .map(|c| {
                parent
                    .column(c)
                    .map_or(Affinity::Blob, |c| affinity(&c.decl_type))
            })
            .collect();
        match kept_parent_keys(pass, parent, rel, &aff, deadline)? {
            Some((keys, since)) => {
                let cols = rel
                    .columns
                    .iter()
                    .map(|c| position(&mut columns, c))
                    .collect();
                checks.push(Check {
                    rel: i,
                    cols,
                    aff,
                    keys,
                    since,
                    orphans: 0,
                    nulls: 0,
                    checked: 0,
                    sample: Vec::new(),
                });
            }
            None if pass.pace == Pace::Whole
                && indexable(schema, child, parent, rel, &aff)
                && index_count(pass, child, rel, deadline)? =>
            {
                rel.method = Some(Method::Index);
            }
            None => {
                rel.method = Some(Method::Join);
                join_count(pass, schema, child, rel, deadline)?
            }
        }
    }
    if !checks.is_empty() {
        scan_checks(pass, schema, child, rels, &columns, &mut checks, deadline)?;
    }
    Ok((checks, snapshot))
}

/// The check of a relation whose parent table does not exist: no key has a parent, so every row
/// with a complete key is an orphan, as `PRAGMA foreign_key_check` counts it.
fn no_parent(pass: &Pass, rel: &mut Relation, i: usize, columns: &mut Vec<CompactString>) -> Check {
    rel.parent_missing = true;
    Check {
        rel: i,
        cols: rel.columns.iter().map(|c| position(columns, c)).collect(),
        aff: vec![Affinity::Blob; rel.columns.len()],
        keys: Arc::new(KeySet::Keys(FxHashSet::default())),
        since: Snapshot::take(pass.conn),
        orphans: 0,
        nulls: 0,
        checked: 0,
        sample: Vec::new(),
    }
}

/// True when a parent key column declares a collation other than BINARY (`COLLATE NOCASE`): a
/// foreign key compares by it (`'abc'` has the parent `'Abc'`).
fn collated(parent: &Table, rel: &Relation) -> bool {
    let Some(def) = parent
        .sql
        .as_deref()
        .and_then(crate::engine::schema::definition)
    else {
        return false;
    };
    rel.parent_columns.iter().any(|c| {
        def.column(c)
            .and_then(|c| c.collation.as_deref())
            .is_some_and(|name| !name.eq_ignore_ascii_case("binary"))
    })
}

/// Why SQLite cannot resolve `rel`'s parent key ("foreign key mismatch", which it reports
/// for every write to the child), or `None`. Caught here so that the relation gets its own
/// error instead of a failed read that would stop its siblings on the same child table.
fn unresolved(parent: &Table, rel: &Relation) -> Option<String> {
    let mismatch = |why: String| {
        Some(format!(
            "foreign key mismatch: {}({}) references {}: {why}",
            rel.child,
            rel.columns.join(", "),
            rel.parent
        ))
    };
    if rel.parent_columns.is_empty() {
        return mismatch("it names no columns and the table has no PRIMARY KEY".into());
    }
    if rel.parent_columns.len() != rel.columns.len() {
        let verb = if rel.columns.len() == 1 {
            "references"
        } else {
            "reference"
        };
        let n = crate::units::counted(rel.columns.len() as u64, "column");
        let to = crate::units::counted(rel.parent_columns.len() as u64, "column");
        return mismatch(format!("{n} {verb} {to}"));
    }
    let absent = rel
        .parent_columns
        .iter()
        .find(|c| parent.column(c).is_none());
    absent.and_then(|c| mismatch(format!("no such column: {c}")))
}

/// Reads the child for the relations whose parent keys are in memory. Where every one of them
/// leads an index of its own, each is read alone from its index, a fraction of the table's bytes:
/// with no order where a read may last (WAL mode), so that SQLite picks the covering index; in
/// slices by [`IndexScan`] otherwise, where each relation has one column and an index on it alone
/// serves. Otherwise all share one pass over the table's rows, which costs little more than any
/// one of them.
fn scan_checks(
    pass: &Pass,
    schema: &Schema,
    child: &Table,
    rels: &mut [Relation],
    columns: &[CompactString],
    checks: &mut [Check],
    deadline: Instant,
) -> Result<(), Stopped> {
    let by_index = match pass.pace {
        Pace::Whole => checks
            .iter()
            .all(|c| an_index_leads(schema, child, &rels[c.rel].columns)),
        Pace::Slices => !child.without_rowid && all_served(pass, child, rels, checks)?,
    };
    let method = if by_index {
        Method::Index
    } else {
        Method::Pass
    };
    for c in checks.iter() {
        rels[c.rel].method = Some(method);
    }
    if !by_index {
        return scan_children(pass, child, columns, checks, deadline);
    }
    for check in checks.iter_mut() {
        let own: Vec<CompactString> = check.cols.iter().map(|&i| columns[i - 1].clone()).collect();
        check.cols = (1..=own.len()).collect();
        match pass.pace {
            Pace::Whole => scan_children(pass, child, &own, std::slice::from_mut(check), deadline)?,
            Pace::Slices => scan_index(pass, child, &own[0], check, deadline)?,
        }
    }
    Ok(())
}

/// True when every relation of `checks` has one column and an index serves an [`IndexScan`] of it.
fn all_served(
    pass: &Pass,
    child: &Table,
    rels: &[Relation],
    checks: &[Check],
) -> Result<bool, Stopped> {
    for c in checks {
        let [column] = rels[c.rel].columns.as_slice() else {
            return Ok(false);
        };
        let mut nothing = |_: &Row| Ok(ControlFlow::Continue(()));
        if !IndexScan::new(child, column, &mut nothing).served(pass.conn)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Reads `column` of the child through its index in slices for one relation.
fn scan_index(
    pass: &Pass,
    child: &Table,
    column: &str,
    check: &mut Check,
    deadline: Instant,
) -> Result<(), Stopped> {
    let mut tally = |row: &Row| probe(row, std::slice::from_mut(check), pass.sample);
    let mut scan = IndexScan::new(child, column, &mut tally);
    slices::run(pass.conn, pass.pace, deadline, &mut scan)
}

/// Index of `name` in `columns`, adding it when new (1-based: column 0 is the rowid).
pub(super) fn position(columns: &mut Vec<CompactString>, name: &str) -> usize {
    let at = columns.iter().position(|c| c == name).unwrap_or_else(|| {
        columns.push(name.into());
        columns.len() - 1
    });
    at + 1
}

/// `c."name"` for each of `names`: columns of the table a [`Scan`] reads, aliased `c`.
pub(super) fn on_c(names: &[CompactString]) -> impl Iterator<Item = String> + '_ {
    names.iter().map(|n| format!("c.{}", ident(n)))
}

/// The parent's keys as kept from an earlier child (of either pass), or read now (and kept
/// while the total allows), with a snapshot of this pass's connection taken before they were
/// read; `None` when there are more than `pass.max_keys`.
pub(super) fn kept_parent_keys(
    pass: &Pass,
    parent: &Table,
    rel: &Relation,
    aff: &[Affinity],
    deadline: Instant,
) -> Result<Option<(Arc<KeySet>, Snapshot)>, Stopped> {
    let id = (parent.name.to_string(), rel.parent_columns.clone());
    let claim = {
        let mut kept = lock(&pass.kept.state);
        loop {
            match kept.sets.get(&id) {
                Some(Slot::Reading) => {
                    kept = pass
                        .kept
                        .settled
                        .wait(kept)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                Some(Slot::Read {
                    keys,
                    reader,
                    since,
                }) => {
                    let since = if *reader == pass.reader {
                        since.clone()
                    } else {
                        pass.start.clone()
                    };
                    return Ok(Some((keys.clone(), since)));
                }
                Some(Slot::TooMany) => return Ok(None),
                None => {
                    kept.sets.insert(id.clone(), Slot::Reading);
                    break Claim {
                        kept: pass.kept,
                        id: Some(id),
                    };
                }
            }
        }
    };
    let since = Snapshot::take(pass.conn);
    let Some((keys, count)) = parent_keys(pass, parent, rel, aff, deadline)? else {
        claim.settle(Some(Slot::TooMany), 0);
        return Ok(None);
    };
    let keys = Arc::new(keys);
    let fits = lock(&pass.kept.state).keys + count <= pass.max_keys;
    let slot = fits.then(|| Slot::Read {
        keys: keys.clone(),
        reader: pass.reader,
        since: since.clone(),
    });
    claim.settle(slot, count);
    Ok(Some((keys, since)))
}

/// The parent's keys and how many, or `None` when there are more than `pass.max_keys`.
pub(super) fn parent_keys(
    pass: &Pass,
    parent: &Table,
    rel: &Relation,
    aff: &[Affinity],
    deadline: Instant,
) -> Result<Option<(KeySet, u64)>, Stopped> {
    let cols: Vec<usize> = (0..aff.len()).collect();
    let mut keys = Keys::default();
    let mut too_many = false;
    let mut collect = |row: &Row| {
        if keys.len() as u64 >= pass.max_keys {
            too_many = true;
            return Ok(ControlFlow::Break(()));
        }
        if let Some(key) = key_at(row, &cols, aff)? {
            keys.push(key);
        }
        Ok(ControlFlow::Continue(()))
    };
    let extra: Vec<String> = on_c(&rel.parent_columns).collect();
    let mut scan = Scan::new(parent, &extra, &mut collect)?;
    slices::run(pass.conn, pass.pace, deadline, &mut scan)?;
    let count = keys.len() as u64;
    Ok((!too_many).then(|| (keys.build(), count)))
}

pub(super) fn scan_children(
    pass: &Pass,
    child: &Table,
    columns: &[CompactString],
    checks: &mut [Check],
    deadline: Instant,
) -> Result<(), Stopped> {
    let rowid = if child.without_rowid { "NULL" } else { "rowid" };
    let extra: Vec<String> = std::iter::once(rowid.to_string())
        .chain(on_c(columns))
        .collect();
    let mut check = |row: &Row| probe(row, checks, pass.sample);
    let mut scan = Scan::new(child, &extra, &mut check)?;
    slices::run(pass.conn, pass.pace, deadline, &mut scan)
}

/// Checks one child row (rowid at 0) against each relation's parent keys, keeping up to
/// `sample` orphans of each.
fn probe(row: &Row, checks: &mut [Check], sample: usize) -> rusqlite::Result<ControlFlow<()>> {
    for c in checks.iter_mut() {
        let Some(key) = key_at(row, &c.cols, &c.aff)? else {
            c.nulls += 1;
            continue;
        };
        c.checked += 1;
        if !c.keys.contains(&key) {
            c.orphans += 1;
            if c.sample.len() < sample {
                c.sample.push(sample_at(row, &c.cols)?);
            }
        }
    }
    Ok(ControlFlow::Continue(()))
}

/// The sample of an orphan row whose rowid is column 0 and key columns are `cols`.
pub(super) fn sample_at(row: &Row, cols: &[usize]) -> rusqlite::Result<Sample> {
    let values = cols
        .iter()
        .map(|&i| row.get_ref(i).map(json_value))
        .collect::<rusqlite::Result<_>>()?;
    Ok(Sample {
        rowid: row.get(0)?,
        values,
    })
}

pub(super) fn key_conditions(rel: &Relation, child: &str, parent: &str) -> (String, String) {
    let not_null = rel
        .columns
        .iter()
        .map(|c| format!("{child}.{} IS NOT NULL", ident(c)))
        .collect::<Vec<_>>()
        .join(" AND ");
    let joined = rel
        .columns
        .iter()
        .zip(&rel.parent_columns)
        .map(|(c, p)| format!("{parent}.{} = {child}.{}", ident(p), ident(c)))
        .collect::<Vec<_>>()
        .join(" AND ");
    (not_null, joined)
}

/// The fallback when parent keys do not fit in memory: a join, in one statement or per slice of
/// child rows.
pub(super) fn join_count(
    pass: &Pass,
    schema: &Schema,
    child: &Table,
    rel: &mut Relation,
    deadline: Instant,
) -> Result<(), Stopped> {
    match pass.pace {
        Pace::Whole => {
            let left = deadline.saturating_duration_since(Instant::now());
            let joined = pass
                .conn
                .with_budget(left, |db| join_whole(db, rel, pass.sample));
            joined?.ok_or(Stopped::OutOfTime)
        }
        Pace::Slices if parent_indexed(schema, rel) => join_in_slices(pass, child, rel, deadline),
        Pace::Slices => {
            let why = format!(
                "not counted: {} has over {} keys and no index on ({}), so a join would hold the \
                 read lock of this rollback-journal database for a whole pass; an index on them \
                 would let litescope count in short slices",
                rel.parent,
                pass.max_keys,
                rel.parent_columns.join(", ")
            );
            rel.error = Some(why.into());
            Ok(())
        }
    }
}

/// True when SQLite finds a parent key by the rowid or an index, so that a slice of the join
/// costs only its own child rows.
pub(super) fn parent_indexed(schema: &Schema, rel: &Relation) -> bool {
    schema
        .table(&rel.parent)
        .is_some_and(|parent| leads_an_index(schema, parent, &rel.parent_columns))
}

/// True when `columns` (in any order) are the rowid alias of `table` or lead one of its full
/// indexes, so that SQLite finds a row by them without a scan.
pub(super) fn leads_an_index(schema: &Schema, table: &Table, columns: &[CompactString]) -> bool {
    let rowid_alias = !table.without_rowid
        && matches!(table.primary_key().as_slice(), [pk] if columns.len() == 1
            && pk.eq_ignore_ascii_case(&columns[0])
            && table.column(pk).is_some_and(|c| c.decl_type.eq_ignore_ascii_case("INTEGER")));
    rowid_alias || indexes_led_by(schema, table, columns).next().is_some()
}

/// True when `columns` lead an index of `table` other than the table's own b-tree (a WITHOUT
/// ROWID table's primary key): reading them from it costs a fraction of reading the rows.
pub(super) fn an_index_leads(schema: &Schema, table: &Table, columns: &[CompactString]) -> bool {
    indexes_led_by(schema, table, columns)
        .any(|i| !(table.without_rowid && i.origin == "primary-key"))
}

/// The full (not partial) indexes of `table` whose first columns are `columns`, in any order.
fn indexes_led_by<'a>(
    schema: &'a Schema,
    table: &'a Table,
    columns: &'a [CompactString],
) -> impl Iterator<Item = &'a Index> + 'a {
    let n = columns.len();
    let wanted = move |c: &CompactString| columns.iter().any(|p| p.eq_ignore_ascii_case(c));
    schema
        .indexes_of(&table.name)
        .filter(move |i| !i.partial && i.columns.len() >= n && i.columns[..n].iter().all(wanted))
}

/// The join per slice of child rows: for each, whether its key is NULL, and whether a parent
/// row has it (`NOT EXISTS`, one index lookup).
pub(super) fn join_in_slices(
    pass: &Pass,
    child: &Table,
    rel: &mut Relation,
    deadline: Instant,
) -> Result<(), Stopped> {
    let (_, on) = key_conditions(rel, "c", "p");
    let missing = format!(
        "NOT EXISTS (SELECT 1 FROM main.{} AS p WHERE {on})",
        ident(&rel.parent)
    );
    let rowid = if child.without_rowid { "NULL" } else { "rowid" };
    let extra: Vec<String> = std::iter::once(rowid.to_string())
        .chain(on_c(&rel.columns))
        .chain([missing])
        .collect();
    let cols: Vec<usize> = (1..=rel.columns.len()).collect();
    let (mut orphans, mut nulls, mut checked, mut sample) = (0, 0, 0, Vec::new());
    let mut tally = |row: &Row| {
        if cols
            .iter()
            .any(|&i| matches!(row.get_ref(i), Ok(ValueRef::Null)))
        {
            nulls += 1;
            return Ok(ControlFlow::Continue(()));
        }
        checked += 1;
        if row.get::<_, bool>(cols.len() + 1)? {
            orphans += 1;
            if sample.len() < pass.sample {
                sample.push(sample_at(row, &cols)?);
            }
        }
        Ok(ControlFlow::Continue(()))
    };
    let mut scan = Scan::new(child, &extra, &mut tally)?;
    slices::run(pass.conn, pass.pace, deadline, &mut scan)?;
    (rel.orphans, rel.nulls, rel.checked) = (Some(orphans), Some(nulls), Some(checked));
    rel.sample = sample;
    Ok(())
}

/// The join in one statement per figure: SQLite builds an automatic index when the parent has
/// none.
pub(super) fn join_whole(
    db: &Connection,
    rel: &mut Relation,
    sample: usize,
) -> rusqlite::Result<()> {
    let (not_null, _) = key_conditions(rel, "c", "p");
    let from = orphans_from(rel, "main.");
    let total: i64 = db.query_row(
        &format!("SELECT count(*) FROM main.{}", ident(&rel.child)),
        [],
        |r| r.get(0),
    )?;
    let orphans: i64 = db.query_row(&format!("SELECT count(*) {from}"), [], |r| r.get(0))?;
    let checked: i64 = db.query_row(
        &format!(
            "SELECT count(*) FROM main.{} AS c WHERE {not_null}",
            ident(&rel.child)
        ),
        [],
        |r| r.get(0),
    )?;
    let mut stmt = db.prepare(&format!(
        "SELECT c.rowid, {} {from} LIMIT {sample}",
        rel.columns
            .iter()
            .map(|c| format!("c.{}", ident(c)))
            .collect::<Vec<_>>()
            .join(", ")
    ))?;
    let n = rel.columns.len();
    rel.sample = stmt
        .query_map([], |r| {
            Ok(Sample {
                rowid: r.get(0).ok(),
                values: (1..=n)
                    .map(|i| r.get_ref(i).map(json_value))
                    .collect::<rusqlite::Result<_>>()?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    rel.orphans = Some(orphans as u64);
    rel.checked = Some(checked as u64);
    rel.nulls = Some((total - checked) as u64);
    Ok(())
}
