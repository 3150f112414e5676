//! The schema model (tables, columns, foreign keys, indexes, views, triggers), on its own so that
//! the audit, diff and the advisor can use it; [`load`] reads it from a connection, [`text`] lays
//! out its SQL.
//!
//! Every name and SQL text is read as bytes and decoded by [`names::decode`]: a program may have
//! stored bytes that are not UTF-8, and one such byte must not make a healthy file unreadable. A
//! table, column or view whose name is not UTF-8 is shown escaped and flagged (`name_valid`),
//! because its escaped name is not its name: litescope never puts it into SQL, where it would
//! reach nothing, or worse, another object whose real name is the escaped text.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::OnceLock;

use compact_str::CompactString;
use serde::Serialize;

mod ddl;
mod load;
mod text;

pub use ddl::{definition, normalized};
pub use load::load;
pub use text::pretty_ddl;

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

/// Names and types are held inline up to 24 bytes ([`CompactString`]): a 10,000-table schema has
/// some 33,000 columns, whose two short strings each would otherwise cost an allocation, for as
/// long as the model is kept.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Column {
    pub name: CompactString,
    #[serde(rename = "type")]
    pub decl_type: CompactString,
    pub notnull: bool,
    /// Position in the primary key, 1-based; 0 when not part of it.
    pub pk: u32,
    pub default: Option<Box<str>>,
    /// True for generated columns and the hidden columns of virtual tables.
    pub hidden: bool,
    /// False when the name is not UTF-8 and `name` shows it escaped.
    #[serde(skip)]
    pub name_valid: bool,
}

/// What a CREATE TABLE's text says that the columns pragma does not, read by [`definition`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Definition {
    pub columns: Vec<ColumnText>,
    /// The table-level CHECK expressions, [`normalized`].
    pub checks: Vec<String>,
}

impl Definition {
    pub fn column(&self, name: &str) -> Option<&ColumnText> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }
}

/// One column as its CREATE TABLE text declares it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ColumnText {
    pub name: String,
    /// The definition as written, from the name to the last constraint.
    pub text: String,
    pub collation: Option<String>,
    /// The column's CHECK expressions, [`normalized`].
    pub checks: Vec<String>,
    pub unique: bool,
    /// It declares a foreign key itself (`REFERENCES`).
    pub references: bool,
    /// Its DEFAULT is an expression in parentheses or `CURRENT_*`, which `ADD COLUMN` refuses.
    pub default_varies: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForeignKey {
    pub columns: Vec<CompactString>,
    pub parent: CompactString,
    /// The referenced columns; when the declaration names none, the parent's primary key.
    pub parent_columns: Vec<CompactString>,
    /// One of [`FK_ACTIONS`]: five spellings, kept as constants rather than one string per key.
    pub on_delete: &'static str,
    pub on_update: &'static str,
}

/// Every foreign key action, spelled as `pragma_foreign_key_list` spells it.
pub const FK_ACTIONS: [&str; 5] = [
    "NO ACTION",
    "RESTRICT",
    "SET NULL",
    "SET DEFAULT",
    "CASCADE",
];

/// `text` as one of [`FK_ACTIONS`]; `NO ACTION` for anything else, which SQLite never reports.
pub fn fk_action(text: &str) -> &'static str {
    FK_ACTIONS
        .into_iter()
        .find(|a| a.eq_ignore_ascii_case(text))
        .unwrap_or(FK_ACTIONS[0])
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    /// Inline up to 24 bytes, as a column's name (see [`Column`]).
    pub name: CompactString,
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
    pub module: Option<Box<str>>,
    /// For a shadow table, the virtual table it belongs to.
    pub shadow_of: Option<Box<str>>,
    /// Boxed, as the other texts a table is kept with: 8 bytes less each, on 10,000 tables.
    pub sql: Option<Box<str>>,
    /// Why the columns could not be read, or which name litescope cannot put into SQL.
    pub error: Option<Box<str>>,
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
        pk.into_iter().map(|c| c.name.to_string()).collect()
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
    pub name: CompactString,
    pub table: CompactString,
    /// Key columns in order; an expression key appears as its SQL text.
    pub columns: Vec<CompactString>,
    pub unique: bool,
    pub partial: bool,
    pub expression: bool,
    /// `created` (CREATE INDEX), `primary-key` or `unique` (made by a constraint).
    pub origin: &'static str,
    pub bytes: Option<u64>,
    pub sql: Option<Box<str>>,
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
    #[serde(skip)]
    lookup: Lookup,
}

/// Tables and indexes in the order of their names, built on the first lookup. Rules, relations
/// and the diff ask for tables by name in loops over the tables, which a search each time would
/// make grow with the square of a 10,000-table schema; a binary search through positions costs
/// four bytes per object, where maps of names would hold a megabyte more for as long as the model
/// lives. It is never compared, cloned or printed: it only answers lookups, and a clone whose
/// tables then change builds its own.
#[derive(Default)]
struct Lookup(OnceLock<Order>);

struct Order {
    /// The address and length of the vectors the order was taken from: a schema whose tables or
    /// indexes were added or removed since is searched instead.
    built_from: [usize; 4],
    /// Positions of the tables by name, ignoring ASCII case as SQLite does.
    tables: Vec<u32>,
    /// Positions of the indexes by their table's name, each table's in their own order.
    indexes: Vec<u32>,
}

impl Order {
    fn of(schema: &Schema) -> Order {
        Order {
            built_from: Order::shape(schema),
            tables: by_name(schema.tables.len(), |i| &schema.tables[i].name),
            indexes: by_name(schema.indexes.len(), |i| &schema.indexes[i].table),
        }
    }

    fn shape(schema: &Schema) -> [usize; 4] {
        let (t, i) = (&schema.tables, &schema.indexes);
        [t.as_ptr() as usize, t.len(), i.as_ptr() as usize, i.len()]
    }

    /// The run of `order` whose names equal `name`, ignoring ASCII case.
    fn run<'a>(order: &'a [u32], name: &str, name_at: impl Fn(usize) -> &'a str) -> &'a [u32] {
        let first = order.partition_point(|&i| caseless(name_at(i as usize), name).is_lt());
        let len = order[first..]
            .iter()
            .take_while(|&&i| caseless(name_at(i as usize), name).is_eq())
            .count();
        &order[first..first + len]
    }
}

/// Positions `0..len` in the order of `name` at each. Stable: of two names alike but for case the
/// first stays first, as a search from the start would find it.
fn by_name<'a>(len: usize, name: impl Fn(usize) -> &'a str) -> Vec<u32> {
    let mut at: Vec<u32> = (0..len as u32).collect();
    at.sort_by(|&a, &b| caseless(name(a as usize), name(b as usize)));
    at
}

/// `a` against `b` as SQLite compares names: ASCII letters without regard to case.
fn caseless(a: &str, b: &str) -> std::cmp::Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

impl Clone for Lookup {
    fn clone(&self) -> Self {
        Lookup::default()
    }
}

impl PartialEq for Lookup {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for Lookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Lookup")
    }
}

impl Schema {
    pub fn new(
        tables: Vec<Table>,
        indexes: Vec<Index>,
        views: Vec<View>,
        triggers: Vec<Trigger>,
    ) -> Schema {
        Schema {
            tables,
            indexes,
            views,
            triggers,
            lookup: Lookup::default(),
        }
    }

    /// The order, unless the tables or indexes changed since it was taken.
    fn order(&self) -> Option<&Order> {
        let order = self.lookup.0.get_or_init(|| Order::of(self));
        (order.built_from == Order::shape(self)).then_some(order)
    }

    /// The table named `name`, in any case, as SQLite matches names.
    pub fn table(&self, name: &str) -> Option<&Table> {
        match self.order() {
            Some(order) => {
                let run = Order::run(&order.tables, name, |i| &self.tables[i].name);
                run.first().map(|&i| &self.tables[i as usize])
            }
            None => self
                .tables
                .iter()
                .find(|t| t.name.eq_ignore_ascii_case(name)),
        }
    }

    pub fn indexes_of<'a>(&'a self, table: &'a str) -> impl Iterator<Item = &'a Index> + 'a {
        let of_table: Vec<&Index> = match self.order() {
            Some(order) => Order::run(&order.indexes, table, |i| &self.indexes[i].table)
                .iter()
                .map(|&i| &self.indexes[i as usize])
                .collect(),
            None => self
                .indexes
                .iter()
                .filter(|i| i.table.eq_ignore_ascii_case(table))
                .collect(),
        };
        of_table.into_iter()
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
            .map(|t| t.name.to_ascii_lowercase().into())
            .collect();
        part.tables.retain(Table::queryable);
        for t in &mut part.tables {
            t.foreign_keys
                .retain(|fk| !dropped.contains(fk.parent.to_ascii_lowercase().as_str()));
        }
        Cow::Owned(part)
    }
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

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;

    fn schema(sql: &str) -> Schema {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(sql).unwrap();
        load(&conn, Detail::Full).unwrap()
    }

    #[test]
    fn lookups_match_names_in_any_case_and_follow_changes_to_the_tables() {
        let mut s = schema(
            "CREATE TABLE Users(id INTEGER PRIMARY KEY, email TEXT UNIQUE);
             CREATE TABLE posts(id INTEGER PRIMARY KEY, user_id INT);
             CREATE INDEX posts_user ON posts(user_id);",
        );
        assert_eq!(s.table("USERS").map(|t| t.name.as_str()), Some("Users"));
        assert!(s.table("nobody").is_none());
        let names = |s: &Schema, t: &str| -> Vec<String> {
            s.indexes_of(t).map(|i| i.name.to_string()).collect()
        };
        assert_eq!(names(&s, "Posts"), ["posts_user"]);
        assert_eq!(names(&s, "users"), ["sqlite_autoindex_Users_1"]);

        let mut clone = s.clone();
        clone.tables.retain(|t| t.name != "Users");
        assert!(clone.table("users").is_none());
        assert_eq!(clone.table("posts").map(|t| t.name.as_str()), Some("posts"));

        let mut added = s.tables[1].clone();
        added.name = "later".into();
        s.tables.push(added);
        s.indexes.clear();
        assert_eq!(s.table("LATER").map(|t| t.name.as_str()), Some("later"));
        assert!(names(&s, "posts").is_empty());
    }

    #[test]
    fn foreign_key_actions_keep_their_spelling_in_any_case() {
        for a in FK_ACTIONS {
            assert_eq!(fk_action(a), a);
            assert_eq!(fk_action(&a.to_lowercase()), a);
        }
        assert_eq!(fk_action("SET  NULL"), "NO ACTION");
    }
}
