use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use super::*;

fn corpus() -> PathBuf {
    let beside = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    std::env::var_os("LITESCOPE_CORPUS")
        .map(PathBuf::from)
        .into_iter()
        .chain([beside, PathBuf::from("/work/shared/corpus")])
        .find(|p| p.is_dir())
        .expect("the shared corpus: set LITESCOPE_CORPUS to its folder")
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

/// Compares the text reader with the pragma on every table it reads in `path`; returns the
/// tables it read and those it left to the pragma.
fn compare(path: &Path) -> (Vec<String>, Vec<String>) {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut stmt = conn
        .prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND sql NOT NULL")
        .unwrap();
    let tables: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let (mut read, mut left) = (Vec::new(), Vec::new());
    for (name, sql) in tables {
        match columns(&sql) {
            Some(cols) => {
                assert_eq!(cols, pragma_columns(&conn, &name), "{sql}");
                read.push(name);
            }
            None => left.push(name),
        }
    }
    (read, left)
}

#[test]
fn reads_the_corpus_tables_as_the_pragma_does() {
    let dir = tempfile::tempdir().unwrap();
    let mut read = 0;
    for sub in ["db", "edge"] {
        for entry in std::fs::read_dir(corpus().join(sub)).unwrap() {
            let src = entry.unwrap().path();
            if !src.is_file() {
                continue;
            }
            let path = dir.path().join(src.file_name().unwrap());
            std::fs::copy(&src, &path).unwrap();
            let readable = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)
                .and_then(|c| c.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(())));
            if readable.is_ok() {
                read += compare(&path).0.len();
            }
        }
    }
    assert!(read > 150, "only {read} corpus tables read from their text");
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
];

/// DDL this reader leaves to the pragma.
const LEFT: &[&str] = &[
    "CREATE TABLE t(a INT PRIMARY KEY, b) WITHOUT ROWID",
    "CREATE TABLE t(a TEXT PRIMARY KEY, b ANY) STRICT",
    "CREATE TABLE t(a INT, b INT GENERATED ALWAYS AS (a * 2) VIRTUAL, c AS (a + 1) STORED)",
    "CREATE TABLE t(a \"my type\")",
    "CREATE TABLE t(a DEFAULT \"q\")",
    "CREATE VIRTUAL TABLE t USING fts5(a, b)",
];

#[test]
fn reads_awkward_ddl_as_the_pragma_does_or_leaves_it() {
    let dir = tempfile::tempdir().unwrap();
    for (i, sql) in READ.iter().chain(LEFT).enumerate() {
        let path = dir.path().join(format!("{i}.db"));
        Connection::open(&path).unwrap().execute_batch(sql).unwrap();
        let (read, left) = compare(&path);
        // An FTS5 table's shadow tables are ordinary tables, read from their text.
        let table = if READ.contains(sql) { &read } else { &left };
        assert!(table.iter().any(|t| t == "t" || t == "wé"), "{sql}");
    }
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
