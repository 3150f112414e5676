//! The schema model (tables, columns, foreign keys, indexes, views, triggers) and its loader.
//!
//! The loader reads `sqlite_schema` and the table-valued pragmas joined against it, so that a
//! 10,000-table schema costs a handful of statements rather than tens of thousands. Each pragma
//! call still prepares a statement inside SQLite, so tables that cannot have foreign keys (no
//! `REFERENCES` in their SQL) or indexes (none in `sqlite_schema`, and not WITHOUT ROWID, whose key index has no entry there)
//! are not asked. When a joined
//! pragma fails (a virtual table whose module this SQLite lacks), it falls back to one table at a
//! time and leaves the failing table's details empty.
//!
//! Every name and SQL text is read as bytes and decoded by [`names::decode`]: a program may have
//! stored bytes that are not UTF-8, and one such byte must not make a healthy file unreadable. A
//! table, column or view whose name is not UTF-8 is shown escaped and flagged (`name_valid`),
//! because its escaped name is not its name: litescope never puts it into SQL, where it would
//! reach nothing, or worse, another object whose real name is the escaped text.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use rusqlite::{Connection, Row};
use serde::Serialize;

use super::names;
use super::quote::ident;

/// The note on an object whose name is not UTF-8.
pub const NAME_NOT_UTF8: &str = "name is not valid UTF-8: it cannot be queried by litescope";

/// What kind of table an entry of `sqlite_schema` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TableKind {
    Table,
    Virtual,
    Fts,
    Rtree,
    /// The internal storage of a virtual table (`x_data`, `x_node`, …).
    Shadow,
    /// SQLite's own tables: `sqlite_sequence`, `sqlite_stat1`, …
    System,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub decl_type: String,
    pub notnull: bool,
    /// Position in the primary key, 1-based; 0 when not part of it.
    pub pk: u32,
    pub default: Option<String>,
    /// True for generated columns and the hidden columns of virtual tables.
    pub hidden: bool,
    /// False when the name is not UTF-8 and `name` shows it escaped.
    #[serde(skip)]
    pub name_valid: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForeignKey {
    pub columns: Vec<String>,
    pub parent: String,
    /// The referenced columns; when the declaration names none, the parent's primary key.
    pub parent_columns: Vec<String>,
    pub on_delete: String,
    pub on_update: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    pub name: String,
    pub kind: TableKind,
    /// Row count, exact when `rows_exact`, otherwise an estimate; `None` when unknown.
    pub rows: Option<u64>,
    pub rows_exact: bool,
    pub columns: Vec<Column>,
    pub foreign_keys: Vec<ForeignKey>,
    pub without_rowid: bool,
    pub strict: bool,
    /// Bytes of the table's own b-tree (from `dbstat`); `None` when not measured.
    pub bytes: Option<u64>,
    /// The module of a virtual table (`fts5`, `rtree`, …).
    pub module: Option<String>,
    /// For a shadow table, the virtual table it belongs to.
    pub shadow_of: Option<String>,
    pub sql: Option<String>,
    /// Why the columns could not be read, or which name litescope cannot put into SQL.
    pub error: Option<String>,
    /// False when the name is not UTF-8 and `name` shows it escaped.
    #[serde(skip)]
    pub name_valid: bool,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// The primary key columns in key order; empty for a plain rowid table.
    pub fn primary_key(&self) -> Vec<String> {
        let mut pk: Vec<_> = self.columns.iter().filter(|c| c.pk > 0).collect();
        pk.sort_by_key(|c| c.pk);
        pk.into_iter().map(|c| c.name.clone()).collect()
    }

    /// True for the tables a user made: not virtual internals, not SQLite's own.
    pub fn is_user_table(&self) -> bool {
        matches!(
            self.kind,
            TableKind::Table | TableKind::Virtual | TableKind::Fts | TableKind::Rtree
        )
    }

    /// True when the table and every column can be named in SQL (their names are UTF-8).
    pub fn queryable(&self) -> bool {
        self.name_valid && self.columns.iter().all(|c| c.name_valid)
    }

    /// True when rows live in this table's own b-tree, so that `dbstat` can count them.
    pub fn has_btree(&self) -> bool {
        !matches!(
            self.kind,
            TableKind::Virtual | TableKind::Fts | TableKind::Rtree
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Index {
    pub name: String,
    pub table: String,
    /// Key columns in order; an expression key appears as its SQL text.
    pub columns: Vec<String>,
    pub unique: bool,
    pub partial: bool,
    pub expression: bool,
    /// `created` (CREATE INDEX), `primary-key` or `unique` (made by a constraint).
    pub origin: String,
    pub bytes: Option<u64>,
    pub sql: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct View {
    pub name: String,
    pub sql: String,
    /// True when the view still compiles against the current schema.
    pub ok: bool,
    pub error: Option<String>,
    /// False when the name is not UTF-8 and `name` shows it escaped.
    #[serde(skip)]
    pub name_valid: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trigger {
    pub name: String,
    pub table: String,
    pub sql: String,
}

/// Everything `sqlite_schema` describes.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Schema {
    pub tables: Vec<Table>,
    pub indexes: Vec<Index>,
    pub views: Vec<View>,
    pub triggers: Vec<Trigger>,
}

impl Schema {
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
    }

    pub fn indexes_of<'a>(&'a self, table: &'a str) -> impl Iterator<Item = &'a Index> + 'a {
        self.indexes
            .iter()
            .filter(move |i| i.table.eq_ignore_ascii_case(table))
    }

    /// False for a table or view whose name is not UTF-8: SQL cannot name it.
    pub fn queryable(&self, name: &str) -> bool {
        let view = || {
            self.views
                .iter()
                .find(|v| v.name.eq_ignore_ascii_case(name))
        };
        match self.table(name) {
            Some(t) => t.name_valid,
            None => view().is_none_or(|v| v.name_valid),
        }
    }

    /// The schema without the tables litescope cannot name in SQL (see [`Table::queryable`]) and
    /// without the foreign keys that point at them: what SQL-building passes such as relations
    /// may work on.
    pub fn queryable_part(&self) -> Cow<'_, Schema> {
        if self.tables.iter().all(Table::queryable) {
            return Cow::Borrowed(self);
        }
        let mut part = self.clone();
        let dropped: HashSet<String> = part
            .tables
            .iter()
            .filter(|t| !t.queryable())
            .map(|t| t.name.to_ascii_lowercase())
            .collect();
        part.tables.retain(Table::queryable);
        for t in &mut part.tables {
            t.foreign_keys
                .retain(|fk| !dropped.contains(&fk.parent.to_ascii_lowercase()));
        }
        Cow::Owned(part)
    }
}

struct Entry {
    kind: String,
    name: String,
    /// The raw name when it is not UTF-8 (`name` then holds it escaped).
    raw_name: Option<Vec<u8>>,
    table: String,
    sql: Option<String>,
}

/// How much of the schema to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Names and kinds of every object only: what a first screen needs, in one read of
    /// `sqlite_schema`. Columns, keys and indexes stay empty, and views are not compiled.
    Names,
    /// Everything.
    Full,
}

/// Reads the schema through `conn`.
pub fn load(conn: &Connection, detail: Detail) -> rusqlite::Result<Schema> {
    let entries = entries(conn)?;
    let flags = table_flags(conn).unwrap_or_default();
    let mut tables: Vec<Table> = entries
        .iter()
        .filter(|e| e.kind == "table" && !is_catalog(&e.name))
        .map(|e| new_table(e, flags.get(&e.name)))
        .collect();
    mark_shadows(&mut tables, &flags);
    let full = detail == Detail::Full;
    let mut indexes = Vec::new();
    if full {
        fill_columns(conn, &mut tables)?;
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
    let mut stmt = conn.prepare("SELECT type, name, tbl_name, sql FROM main.sqlite_schema")?;
    let rows = stmt.query_map([], |r| {
        let (name, raw_name) = names::name(r, 1)?;
        Ok(Entry {
            kind: names::text(r, 0)?,
            name,
            raw_name,
            table: names::text(r, 2)?,
            sql: names::opt_text(r, 3)?,
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

/// The module name after `USING` in a `CREATE VIRTUAL TABLE` statement.
fn virtual_module(sql: &str) -> Option<String> {
    let upper = sql.to_ascii_uppercase();
    if !upper.trim_start().starts_with("CREATE VIRTUAL TABLE") {
        return None;
    }
    let at = upper.find(" USING ")? + " USING ".len();
    let module: String = sql[at..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    Some(module.to_ascii_lowercase())
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
    let (without_rowid, strict) = flags.map(|f| (f.1, f.2)).unwrap_or_default();
    Table {
        name: entry.name.clone(),
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
        .map(|t| (t.name.clone(), t.kind))
        .collect();
    for table in tables.iter_mut().filter(|t| t.module.is_none()) {
        let owner = owners
            .iter()
            .filter(|(o, _)| {
                let prefix = format!("{}_", o.to_ascii_lowercase());
                table.name.to_ascii_lowercase().starts_with(&prefix)
            })
            .max_by_key(|(o, _)| o.len());
        let flagged = flags.get(&table.name).map(|f| f.0 == "shadow");
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
        name,
        decl_type: names::text(r, at + 1)?,
        notnull: r.get(at + 2)?,
        default: names::opt_text(r, at + 3)?,
        pk: r.get(at + 4)?,
        hidden: r.get::<_, i64>(at + 5)? != 0,
        name_valid: raw.is_none(),
    })
}

const XINFO: &str = "c.name, c.type, c.\"notnull\", c.dflt_value, c.pk, c.hidden";

fn fill_columns(conn: &Connection, tables: &mut [Table]) -> rusqlite::Result<()> {
    let joined = format!(
        "SELECT m.name, {XINFO} FROM main.sqlite_schema m, pragma_table_xinfo(m.name, 'main') c \
         WHERE m.type = 'table'"
    );
    let all = query_grouped(conn, &joined, |r| column_from(r, 1));
    fill_each(conn, tables, all, |conn, t| {
        let sql = format!("SELECT {XINFO} FROM pragma_table_xinfo(?1, 'main') c ORDER BY c.cid");
        query_list(conn, &sql, &t.name, |r| column_from(r, 0))
    })
}

/// Rows of `sql` grouped by their first column (a table name), in the order they came. The joined
/// pragma queries need no ORDER BY: each pragma yields its rows in order (column id, foreign key
/// id and sequence), and sorting 10,000 tables' rows would cost more than the rest of the query.
fn query_grouped<T>(
    conn: &Connection,
    sql: &str,
    item: impl Fn(&Row) -> rusqlite::Result<T>,
) -> rusqlite::Result<HashMap<String, Vec<T>>> {
    let mut stmt = conn.prepare(sql)?;
    let mut rows = stmt.query([])?;
    let mut out: HashMap<String, Vec<T>> = HashMap::new();
    while let Some(r) = rows.next()? {
        out.entry(names::text(r, 0)?).or_default().push(item(r)?);
    }
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
fn fill_each<T: FillTarget>(
    conn: &Connection,
    tables: &mut [Table],
    joined: rusqlite::Result<HashMap<String, Vec<T>>>,
    one: impl Fn(&Connection, &Table) -> rusqlite::Result<Vec<T>>,
) -> rusqlite::Result<()> {
    match joined {
        Ok(mut all) => {
            for t in tables.iter_mut() {
                T::put(t, all.remove(&t.name).unwrap_or_default());
            }
        }
        Err(_) => {
            // A name that is not UTF-8 cannot be bound as the pragma's argument.
            for t in tables.iter_mut().filter(|t| t.name_valid) {
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
            if fks.last().map(|(id, _)| *id) != Some(p.id) {
                fks.push((
                    p.id,
                    ForeignKey {
                        columns: Vec::new(),
                        parent: p.parent.clone(),
                        parent_columns: Vec::new(),
                        on_delete: p.on_delete.clone(),
                        on_update: p.on_update.clone(),
                    },
                ));
            }
            let fk = &mut fks.last_mut().expect("pushed above").1;
            fk.columns.push(p.from);
            fk.parent_columns.extend(p.to);
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
    fill_each(conn, tables, all, |conn, t| {
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
        .map(|t| (t.name.to_ascii_lowercase(), t.primary_key()))
        .collect();
    for fk in tables.iter_mut().flat_map(|t| t.foreign_keys.iter_mut()) {
        if fk.parent_columns.is_empty() {
            if let Some(pk) = keys.get(&fk.parent.to_ascii_lowercase()) {
                fk.parent_columns = pk.clone();
            }
        }
    }
}

fn origin_name(code: &str) -> String {
    match code {
        "pk" => "primary-key",
        "u" => "unique",
        _ => "created",
    }
    .to_string()
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
    let mut out = Vec::new();
    for table in tables.iter().filter(|t| t.has_btree()) {
        for (name, unique, origin, partial) in lists.get(&table.name).into_iter().flatten() {
            // A WITHOUT ROWID table's key index has no sqlite_schema entry, so the joined query
            // above missed it.
            let key = match keys.get(name) {
                Some(k) => k.clone(),
                // Its name derives from the table's, so it is UTF-8 exactly when that is.
                None if table.name_valid => index_key(conn, name)?,
                None => Vec::new(),
            };
            let sql = sql_of.get(name.as_str()).copied().flatten();
            out.push(Index {
                name: name.clone(),
                table: table.name.clone(),
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
            t.name.clone(),
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
fn key_names(key: &[Option<String>], sql: Option<&str>) -> Vec<String> {
    let terms = sql.map(index_terms).unwrap_or_default();
    key.iter()
        .enumerate()
        .map(|(i, k)| match k {
            Some(name) => name.clone(),
            None => terms
                .get(i)
                .cloned()
                .unwrap_or_else(|| "<expr>".to_string()),
        })
        .collect()
}

/// The comma-separated terms inside the first parentheses after `ON table` in a CREATE INDEX.
fn index_terms(sql: &str) -> Vec<String> {
    let upper = sql.to_ascii_uppercase();
    let Some(on) = upper.find(" ON ") else {
        return Vec::new();
    };
    let Some(open) = sql[on..].find('(').map(|i| on + i) else {
        return Vec::new();
    };
    split_top_level(&sql[open + 1..])
}

/// Splits at top-level commas up to the closing parenthesis, respecting quotes and nesting.
fn split_top_level(text: &str) -> Vec<String> {
    let (mut depth, mut quote, mut terms, mut cur) = (0, None, Vec::new(), String::new());
    for c in text.chars() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"' | '`') => quote = Some(c),
            (None, '[') => quote = Some(']'),
            (None, '(') => depth += 1,
            (None, ')') if depth == 0 => break,
            (None, ')') => depth -= 1,
            (None, ',') if depth == 0 => {
                terms.push(cur.trim().to_string());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    terms.push(cur.trim().to_string());
    terms
}

/// A CREATE statement laid out for reading: one column or constraint per line.
pub fn pretty_ddl(sql: &str) -> String {
    let (Some(open), Some(close)) = (sql.find('('), sql.rfind(')')) else {
        return sql.to_string();
    };
    let head = sql[..open].trim_end();
    if !head.to_ascii_uppercase().contains("TABLE") || close < open {
        return sql.to_string();
    }
    let terms = split_top_level(&sql[open + 1..close + 1]);
    let body: Vec<String> = terms.iter().map(|t| format!("  {t}")).collect();
    format!("{head} (\n{}\n){}", body.join(",\n"), &sql[close + 1..])
}

fn check_view(conn: &Connection, entry: &Entry) -> View {
    let error = match &entry.raw_name {
        None => {
            let probe = format!("SELECT * FROM main.{} LIMIT 0", ident(&entry.name));
            conn.prepare(&probe).err().map(|e| e.to_string())
        }
        Some(raw) => compile_by_raw_name(conn, raw).err(),
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
fn compile_by_raw_name(conn: &Connection, raw: &[u8]) -> Result<(), String> {
    conn.query_row(
        "SELECT count(*) FROM main.sqlite_schema m, pragma_table_xinfo(m.name, 'main') \
         WHERE m.type = 'view' AND CAST(m.name AS BLOB) = ?1",
        [raw],
        |_| Ok(()),
    )
    .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_module_of_a_virtual_table() {
        assert_eq!(
            virtual_module("CREATE VIRTUAL TABLE t USING fts5(a, b)").as_deref(),
            Some("fts5")
        );
        assert_eq!(
            virtual_module("create virtual table \"x y\" using RTree(id, a, b)").as_deref(),
            Some("rtree")
        );
        assert_eq!(virtual_module("CREATE TABLE t(a)"), None);
    }

    #[test]
    fn lays_out_create_table_one_term_per_line() {
        let sql =
            "CREATE TABLE t (a INTEGER PRIMARY KEY,   b TEXT DEFAULT 'x,y', CHECK (a > 0)) STRICT";
        assert_eq!(
            pretty_ddl(sql),
            "CREATE TABLE t (\n  a INTEGER PRIMARY KEY,\n  b TEXT DEFAULT 'x,y',\n  CHECK (a > 0)\n) STRICT"
        );
        assert_eq!(
            pretty_ddl("CREATE INDEX i ON t(a)"),
            "CREATE INDEX i ON t(a)"
        );
    }

    #[test]
    fn splits_index_terms_at_top_level_commas() {
        let sql = "CREATE INDEX i ON t (lower(\"a,b\"), coalesce(x, 0), [c)d] DESC) WHERE x > 0";
        assert_eq!(
            index_terms(sql),
            ["lower(\"a,b\")", "coalesce(x, 0)", "[c)d] DESC"]
        );
    }
}
