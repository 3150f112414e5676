//! Pages of a table's rows by keyset, and the cell values they hold.
//!
//! A page starts after (or before) the key of the last row shown, never at an OFFSET, so the last
//! page of a 10-million-row table costs the same as the first: one B-tree descent. Rowid tables
//! page by rowid, WITHOUT ROWID tables by their primary key (compared as a row value). Views have
//! no key and page by OFFSET, which is the best SQLite offers for them.

use rusqlite::types::{Value, ValueRef};
use rusqlite::Connection;

use super::names;
use super::quote::ident;
use super::schema::{Schema, Table, NAME_NOT_UTF8};

/// Text kept per cell; longer values are cut here and their full length recorded.
pub const MAX_TEXT: usize = 64 * 1024;
/// Bytes of a BLOB kept for the hex preview.
pub const BLOB_HEAD: usize = 256;

/// One value as the UI shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Real(f64),
    /// Text up to [`MAX_TEXT`] bytes, with the value's full length in bytes.
    Text(String, usize),
    /// The first [`BLOB_HEAD`] bytes, with the full length.
    Blob(Vec<u8>, usize),
}

impl Cell {
    pub fn from_ref(v: ValueRef<'_>) -> Cell {
        match v {
            ValueRef::Null => Cell::Null,
            ValueRef::Integer(i) => Cell::Int(i),
            ValueRef::Real(f) => Cell::Real(f),
            ValueRef::Text(t) => {
                let mut end = t.len().min(MAX_TEXT);
                while end < t.len() && (t[end] & 0xC0) == 0x80 {
                    end -= 1;
                }
                Cell::Text(String::from_utf8_lossy(&t[..end]).into_owned(), t.len())
            }
            ValueRef::Blob(b) => Cell::Blob(b[..b.len().min(BLOB_HEAD)].to_vec(), b.len()),
        }
    }
}

/// Where a page starts.
#[derive(Debug, Clone, PartialEq)]
pub enum Position {
    First,
    Last,
    /// The page after the row with this key.
    After(Vec<Value>),
    /// The page from the row with this key on (or the next one, if it is gone): the page on
    /// screen, read again.
    From(Vec<Value>),
    /// The page before the row with this key.
    Before(Vec<Value>),
    /// For views, which have no key.
    Offset(u64),
}

/// A page of rows, with each row's key so that the next page can start after it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    pub keys: Vec<Vec<Value>>,
    /// True when no rows come before this page.
    pub at_start: bool,
    /// True when no rows come after it.
    pub at_end: bool,
    /// For pages of a view: the offset of the first row.
    pub offset: Option<u64>,
}

/// The columns that order and locate rows of `table`: a rowid name no column shadows, or the
/// primary key of a WITHOUT ROWID table. Empty for views.
pub fn key_columns(table: &Table) -> Vec<String> {
    if table.without_rowid {
        return table.primary_key();
    }
    ["rowid", "_rowid_", "oid"]
        .iter()
        .find(|k| table.column(k).is_none())
        .map(|k| vec![k.to_string()])
        .unwrap_or_default()
}

/// Reads one page of `name` (a table or view of `schema`) at `position`.
pub fn page(
    db: &Connection,
    schema: &Schema,
    name: &str,
    position: &Position,
    limit: usize,
) -> rusqlite::Result<Page> {
    if !schema.queryable(name) {
        let why = format!("{name}: {NAME_NOT_UTF8}");
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
            Some(why),
        ));
    }
    let keys = schema.table(name).map(key_columns).unwrap_or_default();
    if keys.is_empty() {
        let offset = match position {
            Position::Offset(n) => *n,
            _ => 0,
        };
        return offset_page(db, name, offset, limit);
    }
    let page = keyset_page(db, name, &keys, position, limit)?;
    // Paging back into the first rows yields a short page; show a full first page instead.
    if matches!(position, Position::Before(_)) && page.at_start && page.rows.len() < limit {
        return keyset_page(db, name, &keys, &Position::First, limit);
    }
    Ok(page)
}

fn keyset_page(
    db: &Connection,
    name: &str,
    keys: &[String],
    position: &Position,
    limit: usize,
) -> rusqlite::Result<Page> {
    let key_expr = |k: &String| if is_rowid(k) { k.clone() } else { ident(k) };
    let key_list: Vec<String> = keys.iter().map(key_expr).collect();
    let tuple = format!("({})", key_list.join(", "));
    let marks = format!("({})", vec!["?"; keys.len()].join(", "));
    let desc: Vec<String> = key_list.iter().map(|k| format!("{k} DESC")).collect();
    let (filter, order, backwards, bound) = match position {
        Position::First | Position::Offset(_) => (String::new(), key_list.join(", "), false, None),
        Position::Last => (String::new(), desc.join(", "), true, None),
        Position::After(k) => (
            format!("WHERE {tuple} > {marks}"),
            key_list.join(", "),
            false,
            Some(k),
        ),
        Position::From(k) => (
            format!("WHERE {tuple} >= {marks}"),
            key_list.join(", "),
            false,
            Some(k),
        ),
        Position::Before(k) => (
            format!("WHERE {tuple} < {marks}"),
            desc.join(", "),
            true,
            Some(k),
        ),
    };
    let sql = format!(
        "SELECT {}, * FROM main.{} {filter} ORDER BY {order} LIMIT {}",
        key_list.join(", "),
        ident(name),
        limit + 1
    );
    let mut stmt = db.prepare(&sql)?;
    let names: Vec<String> = names::column_names(db, &sql)?
        .into_iter()
        .skip(keys.len())
        .collect();
    let params = rusqlite::params_from_iter(bound.into_iter().flatten());
    let mut rows = stmt.query(params)?;
    let mut page = Page {
        columns: names,
        ..Page::default()
    };
    let mut more = false;
    while let Some(row) = rows.next()? {
        if page.rows.len() == limit {
            // The extra row only tells that more exist in this direction.
            more = true;
            break;
        }
        page.keys.push(
            (0..keys.len())
                .map(|i| row.get::<_, Value>(i))
                .collect::<rusqlite::Result<_>>()?,
        );
        page.rows.push(
            (0..page.columns.len())
                .map(|i| row.get_ref(keys.len() + i).map(Cell::from_ref))
                .collect::<rusqlite::Result<_>>()?,
        );
    }
    if backwards {
        page.rows.reverse();
        page.keys.reverse();
        page.at_start = !more;
        page.at_end = matches!(position, Position::Last);
    } else {
        page.at_start = matches!(position, Position::First | Position::Offset(_));
        page.at_end = !more;
    }
    Ok(page)
}

fn is_rowid(k: &str) -> bool {
    matches!(k, "rowid" | "_rowid_" | "oid")
}

fn offset_page(db: &Connection, name: &str, offset: u64, limit: usize) -> rusqlite::Result<Page> {
    let sql = format!(
        "SELECT * FROM main.{} LIMIT {} OFFSET {offset}",
        ident(name),
        limit + 1
    );
    let mut stmt = db.prepare(&sql)?;
    let columns = names::column_names(db, &sql)?;
    let width = columns.len();
    let mut rows: Vec<Vec<Cell>> = stmt
        .query_map([], |r| {
            (0..width)
                .map(|i| r.get_ref(i).map(Cell::from_ref))
                .collect()
        })?
        .collect::<rusqlite::Result<_>>()?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    Ok(Page {
        columns,
        keys: Vec::new(),
        rows,
        at_start: offset == 0,
        at_end: !more,
        offset: Some(offset),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::schema;

    fn fixture(sql: &str) -> (Connection, Schema) {
        let db = Connection::open_in_memory().unwrap();
        db.execute_batch(sql).unwrap();
        let s = schema::load(&db, schema::Detail::Full).unwrap();
        (db, s)
    }

    fn ints(page: &Page, col: usize) -> Vec<i64> {
        page.rows
            .iter()
            .map(|r| match r[col] {
                Cell::Int(i) => i,
                _ => panic!("not an int"),
            })
            .collect()
    }

    const ROWS: &str = "CREATE TABLE t(\"rowid\" TEXT, v INTEGER);
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 25)
        INSERT INTO t SELECT 'r' || i, i FROM n;";

    #[test]
    fn pages_forward_backward_and_to_the_end_by_key() {
        let (db, s) = fixture(ROWS);
        assert_eq!(key_columns(s.table("t").unwrap()), ["_rowid_"]);
        let first = page(&db, &s, "t", &Position::First, 10).unwrap();
        assert_eq!(ints(&first, 1), (1..=10).collect::<Vec<_>>());
        assert!(first.at_start && !first.at_end);
        assert_eq!(first.columns, ["rowid", "v"]);
        let next = page(&db, &s, "t", &Position::After(first.keys[9].clone()), 10).unwrap();
        assert_eq!(ints(&next, 1), (11..=20).collect::<Vec<_>>());
        let again = page(&db, &s, "t", &Position::From(next.keys[0].clone()), 10).unwrap();
        assert_eq!(ints(&again, 1), (11..=20).collect::<Vec<_>>());
        assert!(!again.at_start && !again.at_end);
        let last = page(&db, &s, "t", &Position::Last, 10).unwrap();
        assert_eq!(ints(&last, 1), (16..=25).collect::<Vec<_>>());
        assert!(last.at_end && !last.at_start);
        let back = page(&db, &s, "t", &Position::Before(next.keys[0].clone()), 10).unwrap();
        assert_eq!(ints(&back, 1), (1..=10).collect::<Vec<_>>());
        let short = page(&db, &s, "t", &Position::Before(first.keys[5].clone()), 10).unwrap();
        assert_eq!(
            ints(&short, 1),
            (1..=10).collect::<Vec<_>>(),
            "refilled from the start"
        );
    }

    #[test]
    fn without_rowid_tables_page_by_primary_key_and_views_by_offset() {
        let (db, s) = fixture(
            "CREATE TABLE w(a TEXT, b INTEGER, PRIMARY KEY (a, b)) WITHOUT ROWID;
             INSERT INTO w VALUES ('x', 2), ('x', 1), ('y', 1), ('a', 9);
             CREATE VIEW v AS SELECT b FROM w;",
        );
        let first = page(&db, &s, "w", &Position::First, 2).unwrap();
        assert_eq!(ints(&first, 1), [9, 1]);
        let next = page(&db, &s, "w", &Position::After(first.keys[1].clone()), 2).unwrap();
        assert_eq!(ints(&next, 1), [2, 1]);
        assert!(next.at_end);
        let view = page(&db, &s, "v", &Position::Offset(2), 10).unwrap();
        assert_eq!(view.rows.len(), 2);
        assert_eq!(view.offset, Some(2));
    }

    #[test]
    fn cells_keep_bounded_text_and_blob_heads() {
        let long = "é".repeat(MAX_TEXT);
        let cell = Cell::from_ref(ValueRef::Text(long.as_bytes()));
        let Cell::Text(kept, len) = cell else {
            panic!()
        };
        assert_eq!(len, long.len());
        assert!(kept.len() <= MAX_TEXT && kept.chars().all(|c| c == 'é'));
        let blob = Cell::from_ref(ValueRef::Blob(&[7u8; 1000]));
        assert_eq!(blob, Cell::Blob(vec![7u8; BLOB_HEAD], 1000));
    }
}
