//! Loading the schema model from a connection.
//!
//! The loader reads `sqlite_schema`, and takes columns, foreign keys and index keys from the
//! CREATE text (see [`ddl`](super::ddl)) wherever that reads them as the pragmas would. Each
//! pragma call prepares a statement inside SQLite, a tenth of a millisecond on a 10,000-table
//! schema, so the pragmas are asked only of the rest: tables and indexes whose text the reader
//! leaves, and tables with indexes made by constraints (`sqlite_autoindex_*`, and a WITHOUT ROWID
//! table's key, which has no entry in `sqlite_schema`), whose names, numbering and origin only
//! SQLite knows. Those are read by table-valued pragmas joined against `sqlite_schema` and picked
//! by rowid, a handful of statements rather than thousands. When a joined pragma fails (a virtual
//! table whose module this SQLite lacks), it falls back to one table at a time and leaves the
//! failing table's details empty.

use std::collections::HashMap;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, Row};

use super::ddl::{index_text, spell_as_declared, table_text, IndexText, TableText};
use super::text::{index_terms, table_options, virtual_module};
use super::*;
use crate::engine::names;
use crate::engine::quote::ident;

struct Entry {
    rowid: i64,
    kind: String,
    name: String,
    /// The raw name when it is not UTF-8 (`name` then holds it escaped).
    raw_name: Option<Vec<u8>>,
    table: String,
    sql: Option<String>,
    /// False when `sql` holds escapes for bytes that are not UTF-8, so is not the stored text.
    sql_exact: bool,
}

impl Entry {
    /// The stored SQL, when it and the name are exactly what SQLite holds.
    fn exact_sql(&self) -> Option<&str> {
        let exact = self.sql_exact && self.raw_name.is_none();
        self.sql.as_deref().filter(|_| exact)
    }
}

/// Reads the schema through `conn`.
pub fn load(conn: &Connection, detail: Detail) -> rusqlite::Result<Schema> {
    let entries = entries(conn)?;
    // `PRAGMA table_list` costs a lookup per table (a fifth of reading a 10,000-table schema);
    // only shadow tables need it, and those exist only beside a virtual table.
    let virtuals = entries
        .iter()
        .any(|e| e.sql.as_deref().and_then(virtual_module).is_some());
    let flags = match virtuals {
        true => table_flags(conn).unwrap_or_default(),
        false => Flags::default(),
    };
    let table_entries: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.kind == "table" && !is_catalog(&e.name))
        .collect();
    let mut tables: Vec<Table> = table_entries
        .iter()
        .map(|e| new_table(e, flags.get(&e.name)))
        .collect();
    mark_shadows(&mut tables, &flags);
    let full = detail == Detail::Full;
    let mut indexes = Vec::new();
    if full {
        let mut texts: Vec<Option<TableText>> = table_entries
            .iter()
            .map(|e| e.exact_sql().and_then(table_text))
            .collect();
        fill_columns(conn, &mut tables, &table_entries, &mut texts)?;
        fill_foreign_keys(conn, &mut tables, &table_entries, texts)?;
        indexes = load_indexes(conn, &tables, &entries)?;
    }
    let views = entries
        .iter()
        .filter(|e| e.kind == "view")
        .map(|e| match full {
            true => check_view(conn, e),
            false => View {
                name: e.name.clone(),
                sql: e.sql.clone().unwrap_or_default(),
                ok: true,
                error: e.raw_name.as_ref().map(|_| NAME_NOT_UTF8.to_string()),
                name_valid: e.raw_name.is_none(),
            },
        })
        .collect();
    let triggers = entries
        .iter()
        .filter(|e| e.kind == "trigger")
        .map(|e| Trigger {
            name: e.name.clone(),
            table: e.table.clone(),
            sql: e.sql.clone().unwrap_or_default(),
        })
        .collect();
    Ok(Schema::new(tables, indexes, views, triggers))
}

fn is_catalog(name: &str) -> bool {
    name.eq_ignore_ascii_case("sqlite_schema")
        || name.eq_ignore_ascii_case("sqlite_master")
        || name.eq_ignore_ascii_case("sqlite_temp_master")
}

fn entries(conn: &Connection) -> rusqlite::Result<Vec<Entry>> {
    let mut stmt = conn.prepare(
        "SELECT type, name, tbl_name, sql, rowid FROM main.sqlite_schema ORDER BY rowid",
    )?;
    let rows = stmt.query_map([], |r| {
        let (name, raw_name) = names::name(r, 1)?;
        let sql_exact = match r.get_ref(3)? {
            ValueRef::Text(b) => std::str::from_utf8(b).is_ok(),
            _ => false,
        };
        Ok(Entry {
            rowid: r.get(4)?,
            kind: names::text(r, 0)?,
            name,
            raw_name,
            table: names::text(r, 2)?,
            sql: names::opt_text(r, 3)?,
            sql_exact,
        })
    })?;
    rows.collect()
}

/// `(type, without_rowid, strict)` per table from `PRAGMA table_list`.
type Flags = HashMap<String, (String, bool, bool)>;

fn table_flags(conn: &Connection) -> rusqlite::Result<Flags> {
    let mut stmt =
        conn.prepare("SELECT name, type, wr, strict FROM pragma_table_list WHERE schema = 'main'")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            names::text(r, 0)?,
            (names::text(r, 1)?, r.get(2)?, r.get(3)?),
        ))
    })?;
    rows.collect()
}

fn kind_of_module(module: &str) -> TableKind {
    match module {
        "fts3" | "fts4" | "fts5" => TableKind::Fts,
        "rtree" | "rtree_i32" | "geopoly" => TableKind::Rtree,
        _ => TableKind::Virtual,
    }
}

fn new_table(entry: &Entry, flags: Option<&(String, bool, bool)>) -> Table {
    let module = entry.sql.as_deref().and_then(virtual_module);
    let kind = match &module {
        Some(m) => kind_of_module(m),
        None if entry.name.to_ascii_lowercase().starts_with("sqlite_") => TableKind::System,
        None => TableKind::Table,
    };
    let (without_rowid, strict) = match flags {
        Some(f) => (f.1, f.2),
        None => entry.sql.as_deref().map(table_options).unwrap_or_default(),
    };
    Table {
        name: entry.name.as_str().into(),
        kind,
        rows: None,
        rows_exact: false,
        columns: Vec::new(),
        foreign_keys: Vec::new(),
        without_rowid,
        strict,
        bytes: None,
        module: module.map(String::into_boxed_str),
        shadow_of: None,
        sql: entry.sql.as_deref().map(Box::from),
        error: entry.raw_name.as_ref().map(|_| NAME_NOT_UTF8.into()),
        name_valid: entry.raw_name.is_none(),
    }
}

/// Marks shadow tables and ties each to its virtual table (the longest `name_` prefix).
///
/// SQLite flags shadow tables in `PRAGMA table_list`; where that pragma is unavailable, any
/// `vtab_suffix` table beside an FTS or R*Tree table is taken to be one of its shadows.
fn mark_shadows(tables: &mut [Table], flags: &Flags) {
    let owners: Vec<(String, TableKind)> = tables
        .iter()
        .filter(|t| t.module.is_some())
        .map(|t| (t.name.to_string(), t.kind))
        .collect();
    for table in tables.iter_mut().filter(|t| t.module.is_none()) {
        let owner = owners
            .iter()
            .filter(|(o, _)| {
                let prefix = format!("{}_", o.to_ascii_lowercase());
                table.name.to_ascii_lowercase().starts_with(&prefix)
            })
            .max_by_key(|(o, _)| o.len());
        let flagged = flags.get(table.name.as_str()).map(|f| f.0 == "shadow");
        let is_shadow = match flagged {
            Some(flag) => flag,
            None => owner.is_some_and(|(_, k)| *k != TableKind::Virtual),
        };
        if is_shadow {
            table.kind = TableKind::Shadow;
            table.shadow_of = owner.map(|(o, _)| o.as_str().into());
        }
    }
}

fn column_from(r: &Row, at: usize) -> rusqlite::Result<Column> {
    let (name, raw) = names::name(r, at)?;
    Ok(Column {
        name: name.into(),
        decl_type: names::text(r, at + 1)?.into(),
        notnull: r.get(at + 2)?,
        default: names::opt_text(r, at + 3)?.map(String::into_boxed_str),
        pk: r.get(at + 4)?,
        hidden: r.get::<_, i64>(at + 5)? != 0,
        name_valid: raw.is_none(),
    })
}

const XINFO: &str = "c.name, c.type, c.\"notnull\", c.dflt_value, c.pk, c.hidden";

/// Columns from each table's text where [`table_text`] reads them, else from the pragma;
/// `entries` and `texts` are the tables' own, in the same order.
fn fill_columns(
    conn: &Connection,
    tables: &mut [Table],
    entries: &[&Entry],
    texts: &mut [Option<TableText>],
) -> rusqlite::Result<()> {
    let mut unsure = Vec::new();
    let mut rest = Vec::new();
    for ((table, entry), text) in tables.iter_mut().zip(entries).zip(texts) {
        match text.as_mut().and_then(|t| t.columns.take()) {
            Some(cols) => table.columns = cols,
            None => {
                unsure.push(entry.rowid);
                rest.push(table);
            }
        }
    }
    if rest.is_empty() {
        return Ok(());
    }
    // Selected by rowid: a name that is not UTF-8 cannot be written into SQL.
    let joined = format!(
        "SELECT m.name, {XINFO} FROM main.sqlite_schema m, pragma_table_xinfo(m.name, 'main') c \
         WHERE m.type = 'table' AND m.rowid IN ({})",
        rowids(&unsure)
    );
    let all = query_grouped(conn, &joined, |r| column_from(r, 1));
    fill_each(conn, rest, all, |conn, t| {
        let sql = format!("SELECT {XINFO} FROM pragma_table_xinfo(?1, 'main') c ORDER BY c.cid");
        query_list(conn, &sql, &t.name, |r| column_from(r, 0))
    })
}

/// `rowids` as the list of an SQL `IN`.
fn rowids(rowids: &[i64]) -> String {
    let text: Vec<String> = rowids.iter().map(i64::to_string).collect();
    text.join(",")
}

/// Rows of `sql` grouped by their first column (a table name), in the order they came. The joined
/// pragma queries need no ORDER BY: each pragma yields its rows in order (column id, foreign key
/// id and sequence), and sorting 10,000 tables' rows would cost more than the rest of the query.
/// A table's rows come together, so its name is decoded and hashed once per table, not per row.
fn query_grouped<T>(
    conn: &Connection,
    sql: &str,
    item: impl Fn(&Row) -> rusqlite::Result<T>,
) -> rusqlite::Result<HashMap<String, Vec<T>>> {
    let mut stmt = conn.prepare(sql)?;
    let mut rows = stmt.query([])?;
    let mut out: HashMap<String, Vec<T>> = HashMap::new();
    let mut flush = |group: Option<(Vec<u8>, Vec<T>)>| {
        if let Some((key, items)) = group {
            out.entry(names::decode(&key)).or_default().extend(items);
        }
    };
    let mut group: Option<(Vec<u8>, Vec<T>)> = None;
    while let Some(r) = rows.next()? {
        let key = match r.get_ref(0)? {
            ValueRef::Text(b) | ValueRef::Blob(b) => b,
            _ => &[],
        };
        match &mut group {
            Some((current, items)) if current.as_slice() == key => items.push(item(r)?),
            _ => {
                let next = (key.to_vec(), vec![item(r)?]);
                flush(group.replace(next));
            }
        }
    }
    flush(group);
    Ok(out)
}

fn query_list<T>(
    conn: &Connection,
    sql: &str,
    arg: &str,
    item: impl Fn(&Row) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map([arg], item)?;
    rows.collect()
}

/// Puts each table's part of a joined result in place. A table missing from it, or all of them
/// when the joined query failed, is read on its own, and a failing table's error is recorded on
/// that table alone. Missing are tables with nothing to list, and, in a damaged `sqlite_schema`
/// whose rowids repeat, tables the joined query's rowid did not find.
fn fill_each<'t, T: FillTarget>(
    conn: &Connection,
    tables: impl IntoIterator<Item = &'t mut Table>,
    joined: rusqlite::Result<HashMap<String, Vec<T>>>,
    one: impl Fn(&Connection, &Table) -> rusqlite::Result<Vec<T>>,
) -> rusqlite::Result<()> {
    let mut all = joined.unwrap_or_default();
    for t in tables {
        match all.remove(t.name.as_str()) {
            Some(items) => T::put(t, items),
            // A name that is not UTF-8 cannot be bound as the pragma's argument.
            None if t.name_valid => match one(conn, t) {
                Ok(items) => T::put(t, items),
                Err(e) => t.error = Some(e.to_string().into()),
            },
            None => {}
        }
    }
    Ok(())
}

trait FillTarget: Sized {
    fn put(table: &mut Table, items: Vec<Self>);
}

impl FillTarget for Column {
    fn put(table: &mut Table, items: Vec<Self>) {
        if let Some(bad) = items.iter().find(|c| !c.name_valid) {
            table
                .error
                .get_or_insert_with(|| format!("column {}: {NAME_NOT_UTF8}", bad.name).into());
        }
        table.columns = items;
        // Read row by row, the list has room for up to twice its columns, kept with the model.
        table.columns.shrink_to_fit();
    }
}

/// One row of `pragma_foreign_key_list`.
struct FkPart {
    id: i64,
    parent: String,
    from: String,
    to: Option<String>,
    on_update: String,
    on_delete: String,
}

impl FillTarget for FkPart {
    fn put(table: &mut Table, items: Vec<Self>) {
        let mut fks: Vec<(i64, ForeignKey)> = Vec::new();
        for p in items {
            match fks.last_mut() {
                Some((id, fk)) if *id == p.id => {
                    fk.columns.push(p.from.into());
                    fk.parent_columns.extend(p.to.map(Into::into));
                }
                _ => fks.push((
                    p.id,
                    ForeignKey {
                        columns: vec![p.from.into()],
                        parent: p.parent.into(),
                        parent_columns: p.to.into_iter().map(Into::into).collect(),
                        on_delete: fk_action(&p.on_delete),
                        on_update: fk_action(&p.on_update),
                    },
                )),
            }
        }
        // SQLite lists foreign keys last-declared first; show them in declaration order.
        table.foreign_keys = fks.into_iter().rev().map(|(_, fk)| fk).collect();
    }
}

const FK_COLUMNS: &str = "f.id, f.\"table\", f.\"from\", f.\"to\", f.on_update, f.on_delete";

fn fk_from(r: &Row, at: usize) -> rusqlite::Result<FkPart> {
    Ok(FkPart {
        id: r.get(at)?,
        parent: names::text(r, at + 1)?,
        from: names::text(r, at + 2)?,
        to: names::opt_text(r, at + 3)?,
        on_update: names::text(r, at + 4)?,
        on_delete: names::text(r, at + 5)?,
    })
}

/// Foreign keys from each table's text where [`table_text`] reads it, else from the pragma for
/// tables whose text names any `REFERENCES`; `entries` and `texts` are the tables' own.
fn fill_foreign_keys(
    conn: &Connection,
    tables: &mut [Table],
    entries: &[&Entry],
    texts: Vec<Option<TableText>>,
) -> rusqlite::Result<()> {
    let mut unsure = Vec::new();
    let mut rest = Vec::new();
    for ((table, entry), text) in tables.iter_mut().zip(entries).zip(texts) {
        match text {
            Some(text) => table.foreign_keys = text.foreign_keys,
            None if may_reference(entry) => {
                unsure.push(entry.rowid);
                rest.push(table);
            }
            None => {}
        }
    }
    if !rest.is_empty() {
        let joined = format!(
            "SELECT m.name, {FK_COLUMNS} FROM main.sqlite_schema m, \
             pragma_foreign_key_list(m.name, 'main') f \
             WHERE m.type = 'table' AND m.rowid IN ({})",
            rowids(&unsure)
        );
        let all = query_grouped(conn, &joined, |r| fk_from(r, 1));
        fill_each(conn, rest, all, |conn, t| {
            let sql = format!(
                "SELECT {FK_COLUMNS} FROM pragma_foreign_key_list(?1, 'main') f ORDER BY f.id, f.seq"
            );
            query_list(conn, &sql, &t.name, |r| fk_from(r, 0))
        })?;
    }
    resolve_implicit_parent_keys(tables);
    Ok(())
}

/// False only when the table's SQL cannot declare a foreign key.
fn may_reference(entry: &Entry) -> bool {
    let sql = entry.sql.as_deref().unwrap_or_default();
    sql.to_ascii_uppercase().contains("REFERENCES")
}

/// `REFERENCES parent` without columns means the parent's primary key.
fn resolve_implicit_parent_keys(tables: &mut [Table]) {
    let keys: HashMap<String, Vec<String>> = tables
        .iter()
        .map(|t| (t.name.to_ascii_lowercase().into(), t.primary_key()))
        .collect();
    for fk in tables.iter_mut().flat_map(|t| t.foreign_keys.iter_mut()) {
        if fk.parent_columns.is_empty() {
            if let Some(pk) = keys.get(fk.parent.to_ascii_lowercase().as_str()) {
                fk.parent_columns = pk.iter().map(Into::into).collect();
            }
        }
    }
}

fn origin_name(code: &str) -> &'static str {
    match code {
        "pk" => "primary-key",
        "u" => "unique",
        _ => "created",
    }
}

fn load_indexes(
    conn: &Connection,
    tables: &[Table],
    entries: &[Entry],
) -> rusqlite::Result<Vec<Index>> {
    let found = IndexEntries::new(tables, entries);
    let asked: Vec<&Table> = tables
        .iter()
        .filter(|t| t.has_btree() && found.listed_by_sqlite(t))
        .collect();
    let lists = index_lists(conn, &asked, &table_rowids(entries, &asked))?;
    let keys = index_keys(conn, &found.unread_rowids())?;
    let mut out = Vec::new();
    for table in tables.iter().filter(|t| t.has_btree()) {
        match lists.get(table.name.as_str()) {
            Some(list) => {
                for listed in list {
                    out.push(found.listed(conn, table, listed, &keys)?);
                }
            }
            None => out.extend(found.read_of(table)),
        }
    }
    // Grown by doubling, a 10,000-table schema's indexes would keep room for twice as many (a
    // megabyte) for as long as the model lives.
    out.shrink_to_fit();
    Ok(out)
}

/// The `sqlite_schema` rowids of `tables`.
fn table_rowids(entries: &[Entry], tables: &[&Table]) -> Vec<i64> {
    let rowid_of: HashMap<&str, i64> = entries
        .iter()
        .filter(|e| e.kind == "table")
        .map(|e| (e.name.as_str(), e.rowid))
        .collect();
    let rowid = |t: &&Table| rowid_of.get(t.name.as_str()).copied();
    tables.iter().filter_map(rowid).collect()
}

/// The index entries of `sqlite_schema`, by name and by table, and those read from their text.
struct IndexEntries<'e> {
    by_name: HashMap<&'e str, &'e Entry>,
    by_table: HashMap<&'e str, Vec<&'e Entry>>,
    read: HashMap<&'e str, IndexText>,
}

impl<'e> IndexEntries<'e> {
    fn new(tables: &[Table], entries: &'e [Entry]) -> Self {
        let table_of: HashMap<&str, &Table> = tables.iter().map(|t| (t.name.as_str(), t)).collect();
        let mut found = IndexEntries {
            by_name: HashMap::new(),
            by_table: HashMap::new(),
            read: HashMap::new(),
        };
        for e in entries.iter().filter(|e| e.kind == "index") {
            found.by_name.insert(&e.name, e);
            found.by_table.entry(&e.table).or_default().push(e);
            if let Some(text) = table_of
                .get(e.table.as_str())
                .and_then(|t| read_index(e, t))
            {
                found.read.insert(&e.name, text);
            }
        }
        found
    }

    /// True for a table with an index made by a constraint: SQLite lists its indexes, as it
    /// alone knows such an index's name and origin (a WITHOUT ROWID table's key has no entry).
    fn listed_by_sqlite(&self, table: &Table) -> bool {
        let unread = |es: &Vec<&Entry>| es.iter().any(|e| !self.read.contains_key(e.name.as_str()));
        table.without_rowid || self.by_table.get(table.name.as_str()).is_some_and(unread)
    }

    fn unread_rowids(&self) -> Vec<i64> {
        let unread = self
            .by_name
            .iter()
            .filter(|(n, _)| !self.read.contains_key(*n));
        unread.map(|(_, e)| e.rowid).collect()
    }

    /// The indexes of a table SQLite need not list, all read from their text, oldest first.
    fn read_of<'a>(&'a self, table: &Table) -> impl Iterator<Item = Index> + 'a {
        let entries = self.by_table.get(table.name.as_str()).into_iter().flatten();
        entries.filter_map(|e| Some(index_read(e, self.read.get(e.name.as_str())?)))
    }

    /// An index as SQLite lists it, its key from its text, the joined `keys`, or the pragma.
    fn listed(
        &self,
        conn: &Connection,
        table: &Table,
        (name, unique, origin, partial): &(String, bool, String, bool),
        keys: &HashMap<String, Vec<Option<String>>>,
    ) -> rusqlite::Result<Index> {
        let key = match (self.read.get(name.as_str()), keys.get(name)) {
            (Some(text), _) => text.key.iter().map(|k| Some(k.to_string())).collect(),
            (None, Some(k)) => k.clone(),
            (None, None) => unlisted_key(conn, table, name, origin)?,
        };
        let sql = self
            .by_name
            .get(name.as_str())
            .and_then(|e| e.sql.as_deref());
        Ok(Index {
            name: name.into(),
            table: table.name.clone(),
            columns: key_names(&key, sql),
            unique: *unique,
            partial: *partial,
            expression: key.iter().any(|k| k.is_none()),
            origin: origin_name(origin),
            bytes: None,
            sql: sql.map(Box::from),
        })
    }
}

/// An index's text, its key spelled as the table's columns are; `None` where the text is left
/// to the pragmas or a term names no column (an expression, to SQLite).
fn read_index(entry: &Entry, table: &Table) -> Option<IndexText> {
    let mut text = index_text(entry.exact_sql()?)?;
    spell_as_declared(&mut text.key, &table.columns)?;
    Some(text)
}

fn index_read(entry: &Entry, text: &IndexText) -> Index {
    Index {
        name: entry.name.as_str().into(),
        table: entry.table.as_str().into(),
        columns: text.key.clone(),
        unique: text.unique,
        partial: text.partial,
        expression: false,
        origin: origin_name("c"),
        bytes: None,
        sql: entry.sql.as_deref().map(Box::from),
    }
}

/// The key of an index SQLite lists but `sqlite_schema` does not hold, or whose key the joined
/// query missed.
fn unlisted_key(
    conn: &Connection,
    table: &Table,
    name: &str,
    origin: &str,
) -> rusqlite::Result<Vec<Option<String>>> {
    // A WITHOUT ROWID table's key index has no sqlite_schema entry. Its key is the primary key,
    // whose columns `table_info` numbers by their place in that very index: read from the
    // columns, it costs no pragma call (a sixth of the indexes of an application's 10,000-table
    // schema are such keys).
    if table.name_valid && origin == "pk" && table.without_rowid {
        let pk = table.primary_key();
        if !pk.is_empty() {
            return Ok(pk.into_iter().map(Some).collect());
        }
    }
    // Its name derives from the table's, so it is UTF-8 exactly when that is.
    match table.name_valid {
        true => index_key(conn, name),
        false => Ok(Vec::new()),
    }
}

/// `(name, unique, origin, partial)` of each table's indexes, oldest first.
type IndexListing = HashMap<String, Vec<(String, bool, String, bool)>>;

/// The index lists of `tables`, whose `sqlite_schema` rowids are `rowids`.
fn index_lists(
    conn: &Connection,
    tables: &[&Table],
    rowids_of: &[i64],
) -> rusqlite::Result<IndexListing> {
    let item = |r: &Row, at: usize| {
        Ok((
            names::text(r, at)?,
            r.get(at + 1)?,
            names::text(r, at + 2)?,
            r.get(at + 3)?,
        ))
    };
    if tables.is_empty() {
        return Ok(HashMap::new());
    }
    // The pragma lists the newest index first.
    let joined = query_grouped(
        conn,
        &format!(
            "SELECT m.name, l.name, l.\"unique\", l.origin, l.partial FROM main.sqlite_schema m, \
             pragma_index_list(m.name, 'main') l WHERE m.type = 'table' AND m.rowid IN ({})",
            rowids(rowids_of)
        ),
        |r| item(r, 1),
    );
    let mut lists = joined.unwrap_or_default();
    lists.values_mut().for_each(|l| l.reverse());
    // Missing: the joined query failed, or its rowid did not find the table (see [`fill_each`]).
    let missing: Vec<&&Table> = tables
        .iter()
        .filter(|t| t.name_valid && !lists.contains_key(t.name.as_str()))
        .collect();
    for t in missing {
        let sql = "SELECT name, \"unique\", origin, partial FROM pragma_index_list(?1, 'main') ORDER BY seq DESC";
        let list = query_list(conn, sql, &t.name, |r| item(r, 0))?;
        lists.insert(t.name.to_string(), list);
    }
    Ok(lists)
}

/// Key columns per index name of the indexes whose `sqlite_schema` rowids are `rowids_of`;
/// `None` marks an expression.
fn index_keys(
    conn: &Connection,
    rowids_of: &[i64],
) -> rusqlite::Result<HashMap<String, Vec<Option<String>>>> {
    if rowids_of.is_empty() {
        return Ok(HashMap::new());
    }
    query_grouped(
        conn,
        &format!(
            "SELECT m.name, x.name, x.cid FROM main.sqlite_schema m, \
             pragma_index_xinfo(m.name, 'main') x \
             WHERE m.type = 'index' AND m.rowid IN ({}) AND x.key = 1",
            rowids(rowids_of)
        ),
        |r| {
            let cid: i64 = r.get(2)?;
            Ok(if cid == -2 {
                None
            } else {
                names::opt_text(r, 1)?
            })
        },
    )
}

fn index_key(conn: &Connection, index: &str) -> rusqlite::Result<Vec<Option<String>>> {
    let sql = "SELECT name, cid FROM pragma_index_xinfo(?1, 'main') WHERE key = 1 ORDER BY seqno";
    query_list(conn, sql, index, |r| {
        let cid: i64 = r.get(1)?;
        Ok(if cid == -2 {
            None
        } else {
            names::opt_text(r, 0)?
        })
    })
}

/// Index key names, with each expression replaced by its text from the CREATE INDEX statement.
fn key_names(key: &[Option<String>], sql: Option<&str>) -> Vec<CompactString> {
    let terms = sql.map(index_terms).unwrap_or_default();
    key.iter()
        .enumerate()
        .map(|(i, k)| match k {
            Some(name) => name.into(),
            None => terms.get(i).map_or("<expr>".into(), Into::into),
        })
        .collect()
}

fn check_view(conn: &Connection, entry: &Entry) -> View {
    let error = match &entry.raw_name {
        None => {
            let probe = format!("SELECT * FROM main.{} LIMIT 0", ident(&entry.name));
            conn.prepare(&probe).err().map(|e| e.to_string())
        }
        Some(raw) => compile_by_raw_name(conn, raw).err().map(|e| e.to_string()),
    };
    let note = entry.raw_name.as_ref().map(|_| NAME_NOT_UTF8.to_string());
    View {
        name: entry.name.clone(),
        sql: entry.sql.clone().unwrap_or_default(),
        ok: error.is_none(),
        error: match (note, error) {
            (Some(note), Some(e)) => Some(format!("{note}; {e}")),
            (note, e) => e.or(note),
        },
        name_valid: entry.raw_name.is_none(),
    }
}

/// Compiles a view that SQL cannot name: `pragma_table_xinfo` takes the name from
/// `sqlite_schema` itself, matched by its bytes, and fails as a `SELECT` would.
fn compile_by_raw_name(conn: &Connection, raw: &[u8]) -> rusqlite::Result<()> {
    conn.query_row(
        "SELECT count(*) FROM main.sqlite_schema m, pragma_table_xinfo(m.name, 'main') \
         WHERE m.type = 'view' AND CAST(m.name AS BLOB) = ?1",
        [raw],
        |_| Ok(()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The key of each table's primary-key index as `pragma_index_xinfo` gives it.
    fn pragma_key(conn: &Connection, table: &str) -> Vec<String> {
        let index: String = conn
            .query_row(
                "SELECT name FROM pragma_index_list(?1) WHERE origin = 'pk'",
                [table],
                |r| r.get(0),
            )
            .unwrap();
        let mut stmt = conn
            .prepare("SELECT name FROM pragma_index_xinfo(?1) WHERE key = 1 ORDER BY seqno")
            .unwrap();
        let names = stmt.query_map([index], |r| r.get(0)).unwrap();
        names.collect::<rusqlite::Result<_>>().unwrap()
    }

    /// An index as `pragma_index_list` and `pragma_index_xinfo` give it: name, unique, origin,
    /// partial, and the key, `None` for an expression.
    type IndexRow = (String, bool, String, bool, Vec<Option<String>>);

    fn pragma_indexes(conn: &Connection, table: &str) -> Vec<IndexRow> {
        let sql = "SELECT l.name, l.\"unique\", l.origin, l.partial, x.name, x.cid \
                   FROM pragma_index_list(?1) l, pragma_index_xinfo(l.name) x \
                   WHERE x.key = 1 ORDER BY l.seq DESC, x.seqno";
        let mut stmt = conn.prepare(sql).unwrap();
        let mut rows = stmt.query([table]).unwrap();
        let mut out: Vec<IndexRow> = Vec::new();
        while let Some(r) = rows.next().unwrap() {
            let name: String = r.get(0).unwrap();
            let cid: i64 = r.get(5).unwrap();
            let key = (cid != -2).then(|| r.get(4).unwrap());
            match out.last_mut() {
                Some(last) if last.0 == name => last.4.push(key),
                _ => out.push((
                    name,
                    r.get(1).unwrap(),
                    origin_name(&r.get::<_, String>(2).unwrap()).to_string(),
                    r.get(3).unwrap(),
                    vec![key],
                )),
            }
        }
        out
    }

    /// The loaded indexes of `table` as [`pragma_indexes`] gives them; an expression's text
    /// becomes `None`.
    fn loaded_indexes(schema: &Schema, table: &str, pragma: &[IndexRow]) -> Vec<IndexRow> {
        let of_table = schema.indexes.iter().filter(|i| i.table == table);
        let row = |i: &Index| {
            let key = pragma.iter().find(|p| p.0 == i.name).map(|p| &p.4);
            let key = i.columns.iter().enumerate().map(|(at, c)| {
                let expression = key.is_some_and(|k| k.get(at).is_some_and(Option::is_none));
                (!expression).then(|| c.to_string())
            });
            let (unique, origin) = (i.unique, i.origin.to_string());
            (i.name.to_string(), unique, origin, i.partial, key.collect())
        };
        of_table.map(row).collect()
    }

    /// Asserts that every table's indexes in the loaded model are what the pragmas say; returns
    /// how many indexes it compared.
    fn assert_indexes_as_the_pragmas_give(conn: &Connection) -> usize {
        let schema = load(conn, Detail::Full).unwrap();
        let mut compared = 0;
        for table in schema
            .tables
            .iter()
            .filter(|t| t.has_btree() && t.name_valid)
        {
            let pragma = pragma_indexes(conn, &table.name);
            let loaded = loaded_indexes(&schema, &table.name, &pragma);
            assert_eq!(loaded, pragma, "{}", table.name);
            let expression = |i: &Index| i.expression == pragma_has_expression(&pragma, &i.name);
            assert!(schema
                .indexes
                .iter()
                .filter(|i| i.table == table.name)
                .all(expression));
            compared += pragma.len();
        }
        compared
    }

    fn pragma_has_expression(pragma: &[IndexRow], index: &str) -> bool {
        let row = pragma.iter().find(|p| p.0 == index);
        row.is_some_and(|p| p.4.iter().any(Option::is_none))
    }

    #[test]
    fn indexes_read_from_their_text_are_the_ones_the_pragmas_give() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE c(ID INTEGER PRIMARY KEY, PId, k2, x, \"a b\" TEXT UNIQUE);
             CREATE INDEX i1 ON c(id);
             CREATE INDEX i3 ON c(\"PID\" COLLATE nocase DESC, k2);
             CREATE UNIQUE INDEX IF NOT EXISTS main.i4 ON c(k2) WHERE k2 > 0;
             CREATE INDEX i5 ON c('k2');
             CREATE INDEX i6 ON c(\"nosuch\");
             CREATE INDEX i7 ON c(lower(k2), [X]);
             CREATE INDEX \"i 8\" ON \"c\" (`A B`, x ASC);
             CREATE TABLE r(a, b, c, PRIMARY KEY(b, a, b), UNIQUE(c), UNIQUE(c), UNIQUE(a, c));
             CREATE INDEX ri ON r(c, a);
             CREATE TABLE n(a, rowid); CREATE INDEX ni ON n(RowId, a);
             CREATE TABLE only_created(a, b); CREATE INDEX oc2 ON only_created(b);
             CREATE INDEX oc1 ON only_created(a); DROP INDEX oc2; CREATE INDEX oc2 ON only_created(b, a);
             CREATE TABLE w(a, b, PRIMARY KEY(b)) WITHOUT ROWID; CREATE INDEX wi ON w(a);
             CREATE TABLE g(a INT, b AS (a * 2)); CREATE INDEX gi ON g(b);",
        )
        .unwrap();
        assert_eq!(assert_indexes_as_the_pragmas_give(&conn), 18);
    }

    #[test]
    fn the_corpus_indexes_are_the_ones_the_pragmas_give() {
        let dir = tempfile::tempdir().unwrap();
        let files = crate::engine::test_corpus::readable_copies(dir.path());
        let compared: usize = files
            .iter()
            .filter_map(|f| Connection::open(f).ok())
            .map(|conn| assert_indexes_as_the_pragmas_give(&conn))
            .sum();
        assert!(compared > 50, "only {compared} corpus indexes compared");
    }

    #[test]
    fn a_without_rowid_key_read_from_the_columns_is_the_one_the_pragma_gives() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE w (a, b, c, PRIMARY KEY (c, a)) WITHOUT ROWID;
             CREATE TABLE w_dup (a, b, PRIMARY KEY (b, a, b)) WITHOUT ROWID;
             CREATE TABLE w_col (k TEXT PRIMARY KEY COLLATE NOCASE, v) WITHOUT ROWID;",
        )
        .unwrap();
        let schema = load(&conn, Detail::Full).unwrap();
        for table in ["w", "w_dup", "w_col"] {
            let index = schema
                .indexes
                .iter()
                .find(|i| i.table == table && i.origin == "primary-key")
                .unwrap_or_else(|| panic!("no key index of {table}"));
            assert_eq!(index.columns, pragma_key(&conn, table), "{table}");
        }
        let w = schema.indexes.iter().find(|i| i.table == "w").unwrap();
        assert_eq!(w.columns, ["c", "a"]);
    }
}
