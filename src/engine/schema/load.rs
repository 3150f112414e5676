//! Loading the schema model from a connection.
//!
//! The loader reads `sqlite_schema` and the table-valued pragmas joined against it, so that a
//! 10,000-table schema costs a handful of statements rather than tens of thousands. Each pragma
//! call still prepares a statement inside SQLite, so tables that cannot have foreign keys (no
//! `REFERENCES` in their SQL) or indexes (none in `sqlite_schema`, and not WITHOUT ROWID, whose
//! key index has no entry there) are not asked, and columns are read from the CREATE TABLE text
//! (see [`columns`](super::columns)) wherever that reads them as the pragma would. When a joined
//! pragma fails (a virtual table whose module this SQLite lacks), it falls back to one table at a
//! time and leaves the failing table's details empty.

use std::collections::HashMap;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, Row};

use super::columns::columns;
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
        fill_columns(conn, &mut tables, &table_entries)?;
        fill_foreign_keys(conn, &mut tables)?;
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
    Ok(Schema {
        tables,
        indexes,
        views,
        triggers,
    })
}

fn is_catalog(name: &str) -> bool {
    name.eq_ignore_ascii_case("sqlite_schema")
        || name.eq_ignore_ascii_case("sqlite_master")
        || name.eq_ignore_ascii_case("sqlite_temp_master")
}

fn entries(conn: &Connection) -> rusqlite::Result<Vec<Entry>> {
    let mut stmt =
        conn.prepare("SELECT type, name, tbl_name, sql, rowid FROM main.sqlite_schema")?;
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
        module,
        shadow_of: None,
        sql: entry.sql.clone(),
        error: entry.raw_name.as_ref().map(|_| NAME_NOT_UTF8.to_string()),
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
            table.shadow_of = owner.map(|(o, _)| o.clone());
        }
    }
}

fn column_from(r: &Row, at: usize) -> rusqlite::Result<Column> {
    let (name, raw) = names::name(r, at)?;
    Ok(Column {
        name: name.into(),
        decl_type: names::text(r, at + 1)?.into(),
        notnull: r.get(at + 2)?,
        default: names::opt_text(r, at + 3)?,
        pk: r.get(at + 4)?,
        hidden: r.get::<_, i64>(at + 5)? != 0,
        name_valid: raw.is_none(),
    })
}

const XINFO: &str = "c.name, c.type, c.\"notnull\", c.dflt_value, c.pk, c.hidden";

/// Columns from each table's text where [`columns`] reads it, else from the pragma; `entries`
/// are the tables' own, in the same order.
fn fill_columns(
    conn: &Connection,
    tables: &mut [Table],
    entries: &[&Entry],
) -> rusqlite::Result<()> {
    let parsed: Vec<Option<Vec<Column>>> = entries
        .iter()
        .map(|e| e.exact_sql().and_then(columns))
        .collect();
    let unsure: Vec<String> = entries
        .iter()
        .zip(&parsed)
        .filter(|(_, cols)| cols.is_none())
        .map(|(e, _)| e.rowid.to_string())
        .collect();
    let mut rest = Vec::new();
    for (table, cols) in tables.iter_mut().zip(parsed) {
        match cols {
            Some(cols) => table.columns = cols,
            None => rest.push(table),
        }
    }
    if rest.is_empty() {
        return Ok(());
    }
    // Selected by rowid: a name that is not UTF-8 cannot be written into SQL.
    let joined = format!(
        "SELECT m.name, {XINFO} FROM main.sqlite_schema m, pragma_table_xinfo(m.name, 'main') c \
         WHERE m.type = 'table' AND m.rowid IN ({})",
        unsure.join(",")
    );
    let all = query_grouped(conn, &joined, |r| column_from(r, 1));
    fill_each(conn, rest, all, |conn, t| {
        let sql = format!("SELECT {XINFO} FROM pragma_table_xinfo(?1, 'main') c ORDER BY c.cid");
        query_list(conn, &sql, &t.name, |r| column_from(r, 0))
    })
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

/// Puts each table's part of a joined result in place, or, when the joined query failed, reads
/// table by table and records a failing table's error on that table alone.
fn fill_each<'t, T: FillTarget>(
    conn: &Connection,
    tables: impl IntoIterator<Item = &'t mut Table>,
    joined: rusqlite::Result<HashMap<String, Vec<T>>>,
    one: impl Fn(&Connection, &Table) -> rusqlite::Result<Vec<T>>,
) -> rusqlite::Result<()> {
    match joined {
        Ok(mut all) => {
            for t in tables {
                T::put(t, all.remove(t.name.as_str()).unwrap_or_default());
            }
        }
        Err(_) => {
            // A name that is not UTF-8 cannot be bound as the pragma's argument.
            for t in tables.into_iter().filter(|t| t.name_valid) {
                match one(conn, t) {
                    Ok(items) => T::put(t, items),
                    Err(e) => t.error = Some(e.to_string()),
                }
            }
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
                .get_or_insert_with(|| format!("column {}: {NAME_NOT_UTF8}", bad.name));
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
                        on_delete: p.on_delete.into(),
                        on_update: p.on_update.into(),
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

fn fill_foreign_keys(conn: &Connection, tables: &mut [Table]) -> rusqlite::Result<()> {
    let joined = format!(
        "SELECT m.name, {FK_COLUMNS} FROM main.sqlite_schema m, \
         pragma_foreign_key_list(m.name, 'main') f \
         WHERE m.type = 'table' AND m.sql LIKE '%REFERENCES%'"
    );
    let all = query_grouped(conn, &joined, |r| fk_from(r, 1));
    fill_each(conn, tables.iter_mut(), all, |conn, t| {
        let sql = format!(
            "SELECT {FK_COLUMNS} FROM pragma_foreign_key_list(?1, 'main') f ORDER BY f.id, f.seq"
        );
        query_list(conn, &sql, &t.name, |r| fk_from(r, 0))
    })?;
    resolve_implicit_parent_keys(tables);
    Ok(())
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
    let sql_of: HashMap<&str, Option<&str>> = entries
        .iter()
        .filter(|e| e.kind == "index")
        .map(|e| (e.name.as_str(), e.sql.as_deref()))
        .collect();
    let keys = index_keys(conn)?;
    let lists = index_lists(conn, tables)?;
    // Sized up front: grown by doubling, a 10,000-table schema's indexes would keep room for
    // twice as many (a megabyte) for as long as the model lives.
    let mut out = Vec::with_capacity(lists.values().map(Vec::len).sum());
    for table in tables.iter().filter(|t| t.has_btree()) {
        for (name, unique, origin, partial) in lists.get(table.name.as_str()).into_iter().flatten()
        {
            // A WITHOUT ROWID table's key index has no sqlite_schema entry, so the joined query
            // above missed it. Its key is the primary key, whose columns `table_info` numbers by
            // their place in that very index: read from the columns, it costs no pragma call
            // (a sixth of the indexes of an application's 10,000-table schema are such keys).
            let key = match keys.get(name) {
                Some(k) => k.clone(),
                None if table.name_valid && origin == "pk" && table.without_rowid => {
                    match table.primary_key() {
                        pk if pk.is_empty() => index_key(conn, name)?,
                        pk => pk.into_iter().map(Some).collect(),
                    }
                }
                // Its name derives from the table's, so it is UTF-8 exactly when that is.
                None if table.name_valid => index_key(conn, name)?,
                None => Vec::new(),
            };
            let sql = sql_of.get(name.as_str()).copied().flatten();
            out.push(Index {
                name: name.into(),
                table: table.name.as_str().into(),
                columns: key_names(&key, sql),
                unique: *unique,
                partial: *partial,
                expression: key.iter().any(|k| k.is_none()),
                origin: origin_name(origin),
                bytes: None,
                sql: sql.map(str::to_string),
            });
        }
    }
    Ok(out)
}

/// `(name, unique, origin, partial)` of each table's indexes, oldest first.
type IndexListing = HashMap<String, Vec<(String, bool, String, bool)>>;

fn index_lists(conn: &Connection, tables: &[Table]) -> rusqlite::Result<IndexListing> {
    let item = |r: &Row, at: usize| {
        Ok((
            names::text(r, at)?,
            r.get(at + 1)?,
            names::text(r, at + 2)?,
            r.get(at + 3)?,
        ))
    };
    let joined = query_grouped(
        conn,
        "SELECT m.name, l.name, l.\"unique\", l.origin, l.partial FROM main.sqlite_schema m, \
         pragma_index_list(m.name, 'main') l WHERE m.type = 'table' \
         AND (m.name IN (SELECT tbl_name FROM main.sqlite_schema WHERE type = 'index') \
              OR m.sql LIKE '%WITHOUT%ROWID%') \
         ORDER BY m.name, l.seq DESC",
        |r| item(r, 1),
    );
    if joined.is_ok() {
        return joined;
    }
    let mut out = HashMap::new();
    for t in tables.iter().filter(|t| t.has_btree() && t.name_valid) {
        let sql = "SELECT name, \"unique\", origin, partial FROM pragma_index_list(?1, 'main') ORDER BY seq DESC";
        out.insert(
            t.name.to_string(),
            query_list(conn, sql, &t.name, |r| item(r, 0))?,
        );
    }
    Ok(out)
}

/// Key columns per index name; `None` marks an expression.
fn index_keys(conn: &Connection) -> rusqlite::Result<HashMap<String, Vec<Option<String>>>> {
    query_grouped(
        conn,
        "SELECT m.name, x.name, x.cid FROM main.sqlite_schema m, pragma_index_xinfo(m.name, 'main') x \
         WHERE m.type = 'index' AND x.key = 1 ORDER BY m.name, x.seqno",
        |r| {
            let cid: i64 = r.get(2)?;
            Ok(if cid == -2 { None } else { names::opt_text(r, 1)? })
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
