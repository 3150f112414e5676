//! Pages of a table's rows by keyset, and the cell values they hold.
//!
//! A page starts after (or before) the key of the last row shown, never at an OFFSET, so the last
//! page of a 10-million-row table costs the same as the first: one B-tree descent. Rowid tables
//! page by rowid, WITHOUT ROWID tables by their primary key (compared as a row value). Views have
//! no key and page by OFFSET, which is the best SQLite offers for them.
//!
//! A [`Selection`] narrows and orders the rows: a WHERE expression the user typed, and one
//! column to sort by. A sorted page starts after the sort value and key of the last row shown,
//! so sorted pages cost one descent too where an index starts with the sort column.

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

/// Which rows pages hold, and in which order: by default every row, by key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selection {
    /// An SQL expression over the table's columns, as typed after WHERE.
    pub filter: Option<String>,
    pub sort: Option<Sort>,
}

/// One column to order rows by; the key breaks ties (and orders in the same direction).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sort {
    pub column: String,
    pub descending: bool,
}

/// A page of rows, with each row's key so that the next page can start after it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// Each row's place in the order: its sort value when sorted, then its key.
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

/// Reads one page of `name` (a table or view of `schema`) at `position`, of the rows `selection`
/// keeps, in its order.
pub fn page(
    db: &Connection,
    schema: &Schema,
    name: &str,
    at: (&Position, &Selection),
    limit: usize,
) -> rusqlite::Result<Page> {
    let (position, selection) = at;
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
        return offset_page(db, name, (offset, selection), limit);
    }
    let order = Order::new(&keys, selection.sort.as_ref());
    let filter = selection.filter.as_deref();
    let page = keyset_page(db, name, (&order, filter), position, limit)?;
    // Paging back into the first rows yields a short page; show a full first page instead.
    if matches!(position, Position::Before(_)) && page.at_start && page.rows.len() < limit {
        return keyset_page(db, name, (&order, filter), &Position::First, limit);
    }
    Ok(page)
}

/// The terms rows are ordered by: the sort column, if any, then the key.
struct Order {
    sort: Option<String>,
    keys: Vec<String>,
    descending: bool,
}

impl Order {
    fn new(keys: &[String], sort: Option<&Sort>) -> Order {
        let key_expr = |k: &String| if is_rowid(k) { k.clone() } else { ident(k) };
        Order {
            sort: sort.map(|s| ident(&s.column)),
            keys: keys.iter().map(key_expr).collect(),
            descending: sort.is_some_and(|s| s.descending),
        }
    }

    fn terms(&self) -> Vec<&str> {
        self.sort
            .iter()
            .chain(&self.keys)
            .map(String::as_str)
            .collect()
    }

    /// `ORDER BY`'s terms, going up (ascending) or down.
    fn by(&self, up: bool) -> String {
        let dir = if up { "ASC" } else { "DESC" };
        let terms: Vec<String> = self.terms().iter().map(|t| format!("{t} {dir}")).collect();
        terms.join(", ")
    }

    /// The rows past `at` (a row's sort value and key) going up or down, with the row itself
    /// when `inclusive`: conditions with their parameters, each a range of one index where an
    /// index starts with the sort column, whose rows come in this order. SQLite orders NULL
    /// first and never finds a comparison with NULL true, so a sort value's NULLs are a range of
    /// their own; one condition with OR would make SQLite scan from the start.
    fn past(&self, at: &[Value], up: bool, inclusive: bool) -> Vec<(Option<String>, Vec<Value>)> {
        let op = match (up, inclusive) {
            (true, false) => ">",
            (true, true) => ">=",
            (false, false) => "<",
            (false, true) => "<=",
        };
        let row = |terms: &[&str]| -> String {
            let marks = vec!["?"; terms.len()].join(", ");
            format!("({}) {op} ({marks})", terms.join(", "))
        };
        let keys: Vec<&str> = self.keys.iter().map(String::as_str).collect();
        let (Some(c), Some(value)) = (&self.sort, at.first()) else {
            return vec![(Some(row(&keys)), at.to_vec())];
        };
        let among_nulls = (
            Some(format!("{c} IS NULL AND {}", row(&keys))),
            at[1..].to_vec(),
        );
        match (value, up) {
            (Value::Null, true) => vec![among_nulls, (Some(format!("{c} IS NOT NULL")), vec![])],
            (Value::Null, false) => vec![among_nulls],
            (_, true) => vec![(Some(row(&self.terms())), at.to_vec())],
            (_, false) => vec![
                (Some(row(&self.terms())), at.to_vec()),
                (Some(format!("{c} IS NULL")), vec![]),
            ],
        }
    }
}

/// ` WHERE …` for the user's filter and the paging condition, either of which may be absent.
fn where_clause(filter: Option<&str>, past: Option<&str>) -> String {
    // The filter ends on a line of its own, so that a `--` comment in it ends there too.
    let filter = filter.map(|f| format!("({f}\n)"));
    let terms: Vec<&str> = filter.as_deref().into_iter().chain(past).collect();
    match terms.is_empty() {
        true => String::new(),
        false => format!(" WHERE {}", terms.join(" AND ")),
    }
}

fn keyset_page(
    db: &Connection,
    name: &str,
    (order, filter): (&Order, Option<&str>),
    position: &Position,
    limit: usize,
) -> rusqlite::Result<Page> {
    let backwards = matches!(position, Position::Last | Position::Before(_));
    let up = backwards == order.descending;
    let ranges = match position {
        Position::After(at) | Position::Before(at) => order.past(at, up, false),
        Position::From(at) => order.past(at, up, true),
        Position::First | Position::Last | Position::Offset(_) => vec![(None, Vec::new())],
    };
    let terms = order.terms();
    let mut page = Page::default();
    // One more row than the page holds tells whether more follow in this direction.
    let mut read = Vec::new();
    for (past, bound) in ranges {
        let sql = format!(
            "SELECT {}, * FROM main.{}{} ORDER BY {} LIMIT {}",
            terms.join(", "),
            ident(name),
            where_clause(filter, past.as_deref()),
            order.by(up),
            limit + 1 - read.len()
        );
        // Prepared by rusqlite first, which names what is wrong and refuses a second statement.
        read.extend(rows_with_keys(db, &sql, bound, terms.len())?);
        if page.columns.is_empty() {
            page.columns = names::column_names(db, &sql)?.split_off(terms.len());
        }
        if read.len() > limit {
            break;
        }
    }
    let more = read.len() > limit;
    read.truncate(limit);
    if backwards {
        read.reverse();
    }
    (page.keys, page.rows) = read.into_iter().unzip();
    if backwards {
        page.at_start = !more;
        page.at_end = matches!(position, Position::Last);
    } else {
        page.at_start = matches!(position, Position::First | Position::Offset(_));
        page.at_end = !more;
    }
    Ok(page)
}

/// Each row `sql` returns: its first `width` values (sort value and key), then its cells.
fn rows_with_keys(
    db: &Connection,
    sql: &str,
    bound: Vec<Value>,
    width: usize,
) -> rusqlite::Result<Vec<(Vec<Value>, Vec<Cell>)>> {
    let mut stmt = db.prepare(sql)?;
    let cells = stmt.column_count() - width;
    let rows = stmt.query_map(rusqlite::params_from_iter(bound), |row| {
        let key: rusqlite::Result<Vec<Value>> = (0..width).map(|i| row.get(i)).collect();
        let values: rusqlite::Result<Vec<Cell>> = (0..cells)
            .map(|i| row.get_ref(width + i).map(Cell::from_ref))
            .collect();
        Ok((key?, values?))
    })?;
    rows.collect()
}

fn is_rowid(k: &str) -> bool {
    matches!(k, "rowid" | "_rowid_" | "oid")
}

fn offset_page(
    db: &Connection,
    name: &str,
    (offset, selection): (u64, &Selection),
    limit: usize,
) -> rusqlite::Result<Page> {
    let order = match &selection.sort {
        Some(s) => format!(
            " ORDER BY {} {}",
            ident(&s.column),
            if s.descending { "DESC" } else { "ASC" }
        ),
        None => String::new(),
    };
    let sql = format!(
        "SELECT * FROM main.{}{}{order} LIMIT {} OFFSET {offset}",
        ident(name),
        where_clause(selection.filter.as_deref(), None),
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

    const ALL: Selection = Selection {
        filter: None,
        sort: None,
    };

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
        let first = page(&db, &s, "t", (&Position::First, &ALL), 10).unwrap();
        assert_eq!(ints(&first, 1), (1..=10).collect::<Vec<_>>());
        assert!(first.at_start && !first.at_end);
        assert_eq!(first.columns, ["rowid", "v"]);
        let next = page(
            &db,
            &s,
            "t",
            (&Position::After(first.keys[9].clone()), &ALL),
            10,
        )
        .unwrap();
        assert_eq!(ints(&next, 1), (11..=20).collect::<Vec<_>>());
        let again = page(
            &db,
            &s,
            "t",
            (&Position::From(next.keys[0].clone()), &ALL),
            10,
        )
        .unwrap();
        assert_eq!(ints(&again, 1), (11..=20).collect::<Vec<_>>());
        assert!(!again.at_start && !again.at_end);
        let last = page(&db, &s, "t", (&Position::Last, &ALL), 10).unwrap();
        assert_eq!(ints(&last, 1), (16..=25).collect::<Vec<_>>());
        assert!(last.at_end && !last.at_start);
        let back = page(
            &db,
            &s,
            "t",
            (&Position::Before(next.keys[0].clone()), &ALL),
            10,
        )
        .unwrap();
        assert_eq!(ints(&back, 1), (1..=10).collect::<Vec<_>>());
        let short = page(
            &db,
            &s,
            "t",
            (&Position::Before(first.keys[5].clone()), &ALL),
            10,
        )
        .unwrap();
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
        let first = page(&db, &s, "w", (&Position::First, &ALL), 2).unwrap();
        assert_eq!(ints(&first, 1), [9, 1]);
        let next = page(
            &db,
            &s,
            "w",
            (&Position::After(first.keys[1].clone()), &ALL),
            2,
        )
        .unwrap();
        assert_eq!(ints(&next, 1), [2, 1]);
        assert!(next.at_end);
        let view = page(&db, &s, "v", (&Position::Offset(2), &ALL), 10).unwrap();
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

    /// Every row's first column, paging forward from the first page and back from the last,
    /// three rows at a time.
    fn walk(db: &Connection, s: &Schema, name: &str, sel: &Selection) -> (Vec<Value>, Vec<Value>) {
        let firsts = |p: &Page| -> Vec<Value> {
            p.rows
                .iter()
                .map(|r| match &r[0] {
                    Cell::Int(i) => Value::Integer(*i),
                    Cell::Text(t, _) => Value::Text(t.clone()),
                    other => panic!("{other:?}"),
                })
                .collect()
        };
        let mut p = page(db, s, name, (&Position::First, sel), 3).unwrap();
        let mut forward = firsts(&p);
        while !p.at_end {
            let at = Position::After(p.keys.last().unwrap().clone());
            p = page(db, s, name, (&at, sel), 3).unwrap();
            forward.extend(firsts(&p));
        }
        p = page(db, s, name, (&Position::Last, sel), 3).unwrap();
        let mut back = firsts(&p);
        while !p.at_start {
            let at = Position::Before(p.keys[0].clone());
            p = page(db, s, name, (&at, sel), 3).unwrap();
            let mut earlier = firsts(&p);
            earlier.retain(|v| !back.contains(v));
            back.splice(0..0, earlier);
        }
        (forward, back)
    }

    fn column(db: &Connection, sql: &str) -> Vec<Value> {
        let mut stmt = db.prepare(sql).unwrap();
        let rows = stmt.query_map([], |r| r.get(0)).unwrap();
        rows.collect::<Result<_, _>>().unwrap()
    }

    const SORTABLE: &str = "CREATE TABLE t(id INTEGER PRIMARY KEY, v, tag TEXT);
        INSERT INTO t VALUES (1, 3, 'a'), (2, NULL, 'b'), (3, 1, 'a'), (4, 3, 'b'), (5, NULL, 'a'),
          (6, 'x', 'b'), (7, 2.5, 'a'), (8, 1, 'b'), (9, NULL, 'b'), (10, x'00', 'a'), (11, 3, 'a');
        CREATE TABLE w(b INTEGER, a TEXT, v, PRIMARY KEY (a, b)) WITHOUT ROWID;
        INSERT INTO w SELECT id, tag, v FROM t;";

    #[test]
    fn sorted_and_filtered_pages_hold_every_row_once_in_sqlites_order() {
        let (db, s) = fixture(SORTABLE);
        for descending in [false, true] {
            for filter in [None, Some("v IS NULL OR v > 1")] {
                let sel = Selection {
                    filter: filter.map(str::to_string),
                    sort: Some(Sort {
                        column: "v".into(),
                        descending,
                    }),
                };
                let dir = if descending { "DESC" } else { "ASC" };
                let cond = filter.map_or(String::new(), |f| format!("WHERE {f}"));
                for (table, first, key) in [("t", "id", "id"), ("w", "b", "a, b")] {
                    let keys: Vec<String> = key.split(", ").map(|k| format!("{k} {dir}")).collect();
                    let want = column(
                        &db,
                        &format!(
                            "SELECT {first} FROM {table} {cond} ORDER BY v {dir}, {}",
                            keys.join(", ")
                        ),
                    );
                    let (forward, back) = walk(&db, &s, table, &sel);
                    assert_eq!(forward, want, "{table} {dir} {filter:?}");
                    assert_eq!(back, want, "{table} {dir} {filter:?}");
                }
            }
        }
    }

    #[test]
    fn a_filter_is_one_expression_and_may_end_in_a_comment() {
        let (db, s) = fixture(SORTABLE);
        let sel = |f: &str| Selection {
            filter: Some(f.into()),
            sort: None,
        };
        let commented = page(&db, &s, "t", (&Position::First, &sel("v = 1 -- ones")), 10).unwrap();
        assert_eq!(commented.rows.len(), 2);
        for (bad, why) in [
            ("1); DELETE FROM t; --", "syntax error"),
            // A second statement is refused, whatever rusqlite says of it.
            ("1) LIMIT 1; DELETE FROM t; SELECT (1", ""),
            ("no_such_column = 1", "no such column: no_such_column"),
            ("v =", "syntax error"),
        ] {
            let err = page(&db, &s, "t", (&Position::First, &sel(bad)), 10).unwrap_err();
            assert!(err.to_string().contains(why), "{bad}: {err}");
        }
        assert_eq!(column(&db, "SELECT count(*) FROM t"), [Value::Integer(11)]);
    }

    #[test]
    fn views_are_filtered_and_sorted_by_offset() {
        let (db, s) = fixture(&format!(
            "{SORTABLE} CREATE VIEW tv AS SELECT id, v FROM t;"
        ));
        let sel = Selection {
            filter: Some("v IS NOT NULL".into()),
            sort: Some(Sort {
                column: "id".into(),
                descending: true,
            }),
        };
        let first = page(&db, &s, "tv", (&Position::Offset(0), &sel), 3).unwrap();
        let ids: Vec<i64> = ints(&first, 0);
        assert_eq!(ids, [11, 10, 8]);
        let next = page(&db, &s, "tv", (&Position::Offset(3), &sel), 3).unwrap();
        assert_eq!(ints(&next, 0), [7, 6, 4]);
    }
}
