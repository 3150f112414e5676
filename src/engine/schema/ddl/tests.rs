use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::*;

/// The columns [`table_text`] reads.
fn columns(sql: &str) -> Option<Vec<Column>> {
    table_text(sql).and_then(|t| t.columns)
}

fn pragma_columns(conn: &Connection, table: &str) -> Vec<Column> {
    let mut stmt = conn
        .prepare(
            "SELECT name, type, \"notnull\", dflt_value, pk, hidden \
             FROM pragma_table_xinfo(?1) ORDER BY cid",
        )
        .unwrap();
    let rows = stmt.query_map([table], |r| {
        Ok(Column {
            name: r.get::<_, String>(0)?.into(),
            decl_type: r.get::<_, String>(1)?.into(),
            notnull: r.get(2)?,
            default: r.get(3)?,
            pk: r.get(4)?,
            hidden: r.get::<_, i64>(5)? != 0,
            name_valid: true,
        })
    });
    rows.unwrap().collect::<Result<_, _>>().unwrap()
}

/// A foreign key row as `pragma_foreign_key_list` gives it: `(table, from, to, on_update,
/// on_delete)`.
type FkRow = (String, String, Option<String>, String, String);

/// The rows of `fks` in the pragma's order: the last declared first.
fn fk_rows(fks: &[ForeignKey]) -> Vec<FkRow> {
    let mut rows = Vec::new();
    for fk in fks.iter().rev() {
        for (i, from) in fk.columns.iter().enumerate() {
            let to = fk.parent_columns.get(i).cloned();
            let actions = (fk.on_update, fk.on_delete);
            let to = to.map(String::from);
            let actions = (actions.0.to_string(), actions.1.to_string());
            rows.push((
                fk.parent.to_string(),
                from.to_string(),
                to,
                actions.0,
                actions.1,
            ));
        }
    }
    rows
}

fn pragma_fk_rows(conn: &Connection, table: &str) -> Vec<FkRow> {
    let sql = "SELECT \"table\", \"from\", \"to\", on_update, on_delete \
               FROM pragma_foreign_key_list(?1) ORDER BY id, seq";
    let mut stmt = conn.prepare(sql).unwrap();
    let rows = stmt.query_map([table], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
    });
    rows.unwrap().collect::<Result<_, _>>().unwrap()
}

/// What [`compare`] found in one file.
#[derive(Default)]
struct Compared {
    /// Tables whose columns were read from their text.
    read: Vec<String>,
    /// Tables whose columns were left to the pragma.
    left: Vec<String>,
    /// Foreign key rows read from the text.
    fk_rows: usize,
}

/// Compares the text reader with the pragmas on every table it reads in `path`.
fn compare(path: &Path) -> Compared {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut stmt = conn
        .prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND sql NOT NULL")
        .unwrap();
    let tables: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut out = Compared::default();
    for (name, sql) in tables {
        let text = table_text(&sql);
        if let Some(text) = &text {
            let rows = fk_rows(&text.foreign_keys);
            assert_eq!(rows, pragma_fk_rows(&conn, &name), "{sql}");
            out.fk_rows += rows.len();
        }
        match text.and_then(|t| t.columns) {
            Some(cols) => {
                assert_eq!(cols, pragma_columns(&conn, &name), "{sql}");
                out.read.push(name);
            }
            None => out.left.push(name),
        }
    }
    out
}

#[test]
fn reads_the_corpus_tables_as_the_pragma_does() {
    let dir = tempfile::tempdir().unwrap();
    let files = crate::engine::test_corpus::readable_copies(dir.path());
    let compared: Vec<Compared> = files.iter().map(|path| compare(path)).collect();
    let read: usize = compared.iter().map(|c| c.read.len()).sum();
    assert!(read > 150, "only {read} corpus tables read from their text");
    let fk_rows: usize = compared.iter().map(|c| c.fk_rows).sum();
    assert!(
        fk_rows > 20,
        "only {fk_rows} corpus foreign key columns read from the text"
    );
}

/// DDL this reader must read as the pragma does.
const READ: &[&str] = &[
    "CREATE TABLE t(a, b, c)",
    "CREATE TABLE IF NOT EXISTS main.t (id integer primary key autoincrement, name text not null)",
    "create table t(\"a \"\"q\"\" b\" Int, [c d] VarChar ( 10 ), `e``f` unsigned big int, 'g' blob)",
    "CREATE TABLE t(a DECIMAL(10, 5) NOT NULL ON CONFLICT REPLACE, b NUMERIC(+3,-2) UNIQUE)",
    "CREATE TABLE t(a DEFAULT 'x,y', b DEFAULT -  1.5e3, c DEFAULT ( 1 + 2 ), d DEFAULT x'0aFF', \
     e DEFAULT CURRENT_TIMESTAMP, f DEFAULT NULL, g DEFAULT true, h DEFAULT +7, i DEFAULT (('a')))",
    "CREATE TABLE t(a TEXT COLLATE NOCASE CHECK (a <> ')') CONSTRAINT c1 NOT NULL, b /* note, ( */ INT -- x\n)",
    "CREATE TABLE t(a, b, c, CONSTRAINT pk PRIMARY KEY (c COLLATE nocase, \"A\" DESC) ON CONFLICT IGNORE, \
     UNIQUE (b) CHECK (b > 0) FOREIGN KEY (b) REFERENCES p (x) ON DELETE SET NULL ON UPDATE NO ACTION \
     MATCH full DEFERRABLE INITIALLY DEFERRED)",
    "CREATE TABLE t(a INT REFERENCES p NOT DEFERRABLE NOT NULL, b REFERENCES p(id) ON DELETE CASCADE)",
    "CREATE TABLE t(a INTEGER PRIMARY KEY DESC, b ANY, c text)",
    "CREATE TABLE t(a DEFAULT 0x1F, b DEFAULT .5, c DEFAULT 'it''s', d DEFAULT abc)",
    "CREATE TABLE \"wé\"(é TEXT, \"名前\" TEXT DEFAULT '名')",
    "CREATE TABLE s(a INT, \"b c\" TEXT, d); CREATE TABLE t AS SELECT * FROM s",
    "CREATE TABLE t(a); ALTER TABLE t ADD COLUMN b TEXT NOT NULL DEFAULT 'x'; \
     ALTER TABLE t RENAME COLUMN a TO \"new a\"",
    "CREATE TABLE t(a INTEGER, b TEXT, PRIMARY KEY(b, a))",
    "CREATE TABLE p(Id INTEGER PRIMARY KEY, k TEXT UNIQUE); CREATE TABLE t(ID INTEGER PRIMARY KEY, \
     PId REFERENCES P, k2, x references p(id) match full deferrable initially deferred, \
     FOREIGN KEY (pid, K2) REFERENCES \"P\"(\"ID\", [k]) ON DELETE CASCADE \
     ON UPDATE SET NULL ON DELETE RESTRICT, CONSTRAINT f FOREIGN KEY (x) REFERENCES p ON UPDATE SET DEFAULT)",
];

/// DDL this reader leaves to the pragma.
const LEFT: &[&str] = &[
    "CREATE TABLE t(a INT PRIMARY KEY, b) WITHOUT ROWID",
    "CREATE TABLE t(a INT PRIMARY KEY, b INT REFERENCES t(a) ON UPDATE CASCADE) STRICT, WITHOUT ROWID",
    "CREATE TABLE t(a TEXT PRIMARY KEY, b ANY) STRICT",
    "CREATE TABLE t(a INT, b INT GENERATED ALWAYS AS (a * 2) VIRTUAL, c AS (a + 1) STORED)",
    "CREATE TABLE t(a \"my type\")",
    "CREATE TABLE t(a DEFAULT \"q\")",
    "CREATE VIRTUAL TABLE t USING fts5(a, b)",
];

#[test]
fn reads_awkward_ddl_as_the_pragma_does_or_leaves_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut fk_rows = 0;
    for (i, sql) in READ.iter().chain(LEFT).enumerate() {
        let path = dir.path().join(format!("{i}.db"));
        Connection::open(&path).unwrap().execute_batch(sql).unwrap();
        let compared = compare(&path);
        // An FTS5 table's shadow tables are ordinary tables, read from their text.
        let table = match READ.contains(sql) {
            true => &compared.read,
            false => &compared.left,
        };
        assert!(table.iter().any(|t| t == "t" || t == "wé"), "{sql}");
        fk_rows += compared.fk_rows;
    }
    assert_eq!(
        fk_rows, 9,
        "every foreign key column of the DDL above, read from its text"
    );
}

#[test]
fn definition_reads_what_the_pragma_never_says() {
    let sql = "CREATE TABLE t (a TEXT COLLATE NOCASE CHECK (length(a) >  2), \
               b INT UNIQUE REFERENCES p(id) DEFAULT (1 + 1), c TEXT DEFAULT CURRENT_TIMESTAMP, \
               CHECK (b <> 0)) STRICT, WITHOUT ROWID";
    let d = definition(sql).unwrap();
    let a = d.column("A").unwrap();
    assert_eq!(a.collation.as_deref(), Some("NOCASE"));
    assert_eq!(a.checks, ["length ( a ) > 2"]);
    assert_eq!(a.text, "a TEXT COLLATE NOCASE CHECK (length(a) >  2)");
    let b = d.column("b").unwrap();
    assert!(b.unique && b.references && b.default_varies);
    assert!(d.column("c").unwrap().default_varies);
    assert_eq!(d.checks, ["b < > 0"]);
    assert_eq!(
        columns(sql),
        None,
        "options leave the columns to the pragma"
    );
    assert_eq!(definition("CREATE TABLE t (a) STRICT garbage"), None);
    assert_eq!(
        normalized("create table \"T\" ( a  /* x */ int )"),
        normalized("CREATE TABLE t(a INT)")
    );
}
