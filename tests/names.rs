//! Names from outside litescope: file and folder names in any bytes, schema text that is not
//! UTF-8, and control characters, none of which may make a healthy file unreadable or reach the
//! terminal raw.

mod common;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use common::*;
use litescope::engine::browse::{self, Position};
use litescope::engine::database::{Depth, Status};
use litescope::engine::discover::Found;
use litescope::engine::pipeline;
use litescope::engine::query::{self, QueryEvent};
use litescope::engine::{connect, schema};
use rusqlite::Connection;
use serde_json::Value;

fn raw(bytes: &[u8]) -> &Path {
    Path::new(OsStr::from_bytes(bytes))
}

/// A database of `n` rows in table `t` at `path`, its folders made first.
fn rows_db(path: &Path, n: u32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    build(
        path,
        &format!(
            "CREATE TABLE t(x);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n})
             INSERT INTO t SELECT i FROM n;"
        ),
    );
}

/// `path -> (status, rows of t)` from `inspect --json`.
fn listed(json: &Value) -> BTreeMap<String, (String, u64)> {
    json["databases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let rows = d["tables"][0]["rows"].as_u64().unwrap_or(0);
            let status = d["status"].as_str().unwrap().to_string();
            (d["path"].as_str().unwrap().to_string(), (status, rows))
        })
        .collect()
}

#[test]
fn file_and_folder_names_in_any_bytes_open_and_print_apart() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let files: [(&[u8], &str, u32); 6] = [
        ("répertoire/café.db".as_bytes(), "répertoire/café.db", 1),
        ("データ.db".as_bytes(), "データ.db", 2),
        (b"bad\xff.db", r"bad\xff.db", 3),
        (b"bad\xfe.db", r"bad\xfe.db", 4),
        (b"dir\xe9/x.db", r"dir\xe9/x.db", 5),
        (br"bad\xff.db", r"bad\\xff.db", 6),
    ];
    for (name, _, n) in files {
        rows_db(&root.join(raw(name)), n);
    }
    // Found by its name alone, which must be read as bytes too.
    std::fs::write(root.join(raw(b"empty\xe9.db")), b"").unwrap();
    let json = litescope_json(&[
        OsStr::new("inspect"),
        OsStr::new("--json"),
        root.as_os_str(),
    ]);
    let mut expected: BTreeMap<String, (String, u64)> = files
        .iter()
        .map(|(_, shown, n)| (shown.to_string(), ("ok".to_string(), *n as u64)))
        .collect();
    expected.insert(r"empty\xe9.db".into(), ("empty".into(), 0));
    assert_eq!(listed(&json), expected);

    let given = root.join(raw(b"bad\xff.db"));
    let json = litescope_json(&[
        OsStr::new("inspect"),
        OsStr::new("--json"),
        given.as_os_str(),
    ]);
    let db = &json["databases"][0];
    assert_eq!(db["status"], "ok", "{db}");
    assert!(db["path"].as_str().unwrap().ends_with(r"/bad\xff.db"));

    let (code, text, err) = litescope(&[OsStr::new("inspect"), root.as_os_str()]);
    assert_eq!(code, 0, "{err}");
    assert!(text.contains(r"bad\xff.db  [ok]"), "{text}");
    assert!(text.contains(r"bad\xfe.db  [ok]"), "{text}");
    assert!(!text.contains('\u{fffd}'), "{text}");
}

/// A database whose schema holds the Latin-1 byte 0xE9 (not UTF-8) in a table name, a column
/// name, a DEFAULT, an index name, and view SQL; `QQ` in `sql` marks where it goes. The sqlite3
/// shell reads such a file; so must litescope.
fn latin1_db(path: &Path, sql: &str) {
    build(path, sql);
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(
        "PRAGMA writable_schema = ON;
         UPDATE sqlite_schema SET name = replace(name, 'QQ', CAST(x'e9' AS TEXT)),
           tbl_name = replace(tbl_name, 'QQ', CAST(x'e9' AS TEXT)),
           sql = replace(sql, 'QQ', CAST(x'e9' AS TEXT));
         PRAGMA writable_schema = OFF;",
    )
    .unwrap();
    drop(conn);
    let check: String = Connection::open(path)
        .unwrap()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}

const LATIN1: &str = "PRAGMA foreign_keys = OFF;
CREATE TABLE cafQQ (id INTEGER PRIMARY KEY, colQQ TEXT DEFAULT 'vQQ');
INSERT INTO cafQQ VALUES (1, 'a'), (2, 'b');
CREATE TABLE plain (id INTEGER PRIMARY KEY, n TEXT DEFAULT 'xQQ', p INTEGER REFERENCES parent(id));
CREATE TABLE parent (id INTEGER PRIMARY KEY);
INSERT INTO parent VALUES (1);
INSERT INTO plain VALUES (1, 'a', 1), (2, 'b', 1), (3, 'c', 9);
CREATE INDEX idxQQ ON plain(n);
CREATE VIEW v AS SELECT 'cafQQ' AS x;
CREATE VIEW w AS SELECT 'eQQ';
CREATE VIEW gQQ AS SELECT n FROM plain;
CREATE VIEW bQQ AS SELECT nosuch FROM plain;
";

#[test]
fn schema_text_that_is_not_utf8_is_read_and_shown_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latin1.db");
    latin1_db(&path, LATIN1);
    let json = litescope_json(&["inspect", "--json", path.to_str().unwrap()]);
    let db = &json["databases"][0];
    assert_eq!(db["status"], "ok", "{db}");
    assert_eq!(db["error"], Value::Null);
    let table = |name: &str| {
        db["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap_or_else(|| panic!("{name} not listed: {db}"))
            .clone()
    };
    let cafe = table(r"caf\xe9");
    assert_eq!(cafe["rows"], 2, "counted without naming it in SQL");
    assert!(cafe["error"].as_str().unwrap().contains("not valid UTF-8"));
    assert_eq!(cafe["columns"][1]["name"], r"col\xe9");
    assert_eq!(cafe["columns"][1]["default"], r"'v\xe9'");
    let plain = table("plain");
    assert_eq!(plain["rows"], 3);
    assert_eq!(plain["columns"][1]["default"], r"'x\xe9'");
    assert_eq!(plain["error"], Value::Null);
    let view = |name: &str| {
        let views = db["views"].as_array().unwrap();
        views.iter().find(|v| v["name"] == name).unwrap().clone()
    };
    assert_eq!(view("v")["ok"], true);
    assert!(view("v")["sql"].as_str().unwrap().contains(r"'caf\xe9'"));
    assert_eq!(view("w")["ok"], true);
    assert_eq!(view(r"g\xe9")["ok"], true, "compiled by its raw name");
    let broken = view(r"b\xe9");
    assert_eq!(broken["ok"], false);
    let why = broken["error"].as_str().unwrap();
    assert!(
        why.contains("not valid UTF-8") && why.contains("no such column"),
        "{why}"
    );
    assert!(db["indexes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["name"] == r"idx\xe9"));

    let report = litescope_json(&["report", "--format", "json", path.to_str().unwrap()]);
    assert_eq!(report["databases"][0]["status"], "ok", "{report}");
    let rels = litescope_json(&["orphans", "--json", path.to_str().unwrap()]);
    let plain_p = rels["relations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["child"] == "plain")
        .unwrap();
    assert_eq!(plain_p["orphans"], 1);
}

#[test]
fn result_columns_that_are_not_utf8_are_shown_escaped_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latin1.db");
    latin1_db(&path, LATIN1);
    let (db, _) = pipeline::run(&Found::given(&path), Depth::SCHEMA, None);
    assert_eq!(db.status, Status::Ok, "{:?}", db.error);
    let conn = connect::open(&path).unwrap();
    let page = browse::page(
        &conn,
        &db.schema,
        "w",
        (&Position::First, &Default::default()),
        10,
    )
    .unwrap();
    assert_eq!(page.columns, [r"'e\xe9'"]);
    let mut columns = Vec::new();
    let ran = query::run_script(&conn, "SELECT * FROM w; SELECT * FROM plain", &mut |e| {
        if let QueryEvent::Started { columns: c, .. } = e {
            columns.push(c);
        }
    });
    assert_eq!(ran, Ok(2));
    assert_eq!(columns[0], [r"'e\xe9'"]);
    assert_eq!(columns[1], ["id", "n", "p"]);
}

#[test]
fn a_name_that_is_not_utf8_is_never_queried_under_another_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latin1.db");
    // A table literally named `caf\xe9` (ASCII backslash) beside one named with the byte: the
    // escaped form of the second is the first's name, and must not reach its rows.
    latin1_db(
        &path,
        r#"CREATE TABLE cafQQ (x); INSERT INTO cafQQ VALUES (1);
           CREATE TABLE "caf\xe9" (y); INSERT INTO "caf\xe9" VALUES (2), (3);"#,
    );
    let (db, _) = pipeline::run(
        &Found::given(&path),
        Depth::full(std::time::Duration::from_secs(10)),
        None,
    );
    assert_eq!(db.status, Status::Ok, "{:?}", db.error);
    let tables: Vec<&schema::Table> = db.schema.tables.iter().collect();
    assert_eq!(tables.len(), 2);
    assert!(tables.iter().all(|t| t.name == r"caf\xe9"));
    let byte = tables.iter().find(|t| t.error.is_some()).unwrap();
    assert_eq!(byte.columns[0].name, "x");
    assert_eq!(byte.rows, Some(1));
    let conn = connect::open(&path).unwrap();
    let err = browse::page(
        &conn,
        &db.schema,
        &byte.name,
        (&Position::First, &Default::default()),
        10,
    )
    .unwrap_err();
    assert!(err.to_string().contains("not valid UTF-8"), "{err}");
}

const EVIL: &str = "evil\u{1b}]0;PWNED\u{7}\u{1b}[2J";

#[test]
fn control_characters_from_a_database_never_reach_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("evil.db");
    build(
        &path,
        &format!(
            "PRAGMA foreign_keys = OFF;
             CREATE TABLE \"{EVIL}\" (id INTEGER PRIMARY KEY, \"c{EVIL}\" TEXT,
               ref_id INTEGER REFERENCES ref(id));
             CREATE TABLE ref (id INTEGER PRIMARY KEY);
             INSERT INTO \"{EVIL}\" VALUES (1, 'x', 7);
             CREATE VIEW \"v{EVIL}\" AS SELECT nosuch FROM ref;"
        ),
    );
    let p = path.to_str().unwrap();
    let runs: [&[&str]; 5] = [
        &["inspect", p],
        &["report", p],
        &["report", "--format", "md", p],
        &["check", p, "--fail-on", "info"],
        &["orphans", p],
    ];
    for args in runs {
        let (_, out, err) = litescope_raw(args);
        assert!(
            out.len() > 20,
            "{args:?}: {}",
            String::from_utf8_lossy(&out)
        );
        for stream in [&out, &err] {
            assert!(
                !stream.iter().any(|b| *b == 0x1b || *b == 0x07),
                "{args:?}: {}",
                String::from_utf8_lossy(stream)
            );
        }
    }
    let (_, out, _) = litescope(&["inspect", p]);
    assert!(out.contains(r"table evil\x1b]0;PWNED\x07\x1b[2J"), "{out}");
}

#[test]
fn a_failure_line_naming_control_characters_stays_one_escaped_line() {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join(format!("{EVIL}\r.db"));
    std::fs::write(&path, b"").unwrap();
    let (code, _, err) = litescope_raw(&[OsStr::new("inspect"), path.as_os_str()]);
    assert_eq!(code, 2);
    assert!(!err.iter().any(|b| *b == 0x1b || *b == 0x07 || *b == b'\r'));
    let err = String::from_utf8(err).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(r"evil\x1b]0;PWNED\x07\x1b[2J\x0d.db: "),
        "{err}"
    );
}

#[test]
fn a_line_break_in_a_name_or_value_cannot_forge_a_line_of_text_output() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lines.db");
    build(
        &path,
        "PRAGMA foreign_keys = OFF;
         CREATE TABLE ref (id TEXT PRIMARY KEY);
         CREATE TABLE \"t\nFORGED table\" (id INTEGER PRIMARY KEY, \"c\nFORGED column\" TEXT,
           ref_id TEXT REFERENCES ref(id));
         CREATE INDEX \"i\nFORGED index\" ON \"t\nFORGED table\"(ref_id);
         CREATE VIEW \"v\nFORGED view\" AS SELECT 1;
         CREATE VIEW plain AS SELECT * FROM \"t\nFORGED table\" WHERE id > 0 ORDER BY ref_id;
         INSERT INTO \"t\nFORGED table\" VALUES (1, 'x', 'gone\nFORGED value');",
    );
    let empty = dir.path().join("empty.db");
    build(&empty, "CREATE TABLE ref (id TEXT PRIMARY KEY);");
    let other = dir.path().join("other.db");
    std::fs::copy(&path, &other).unwrap();
    build(
        &other,
        "UPDATE \"t\nFORGED table\" SET \"c\nFORGED column\" = 'y';",
    );
    let (p, e) = (path.to_str().unwrap(), empty.to_str().unwrap());
    let o = other.to_str().unwrap();
    let runs: [&[&str]; 8] = [
        &["diff", p, o, "--data"],
        &["inspect", p],
        &["plan", p, "--sql", "SELECT * FROM plain"],
        &["report", p],
        &["check", p, "--fail-on", "info"],
        &["orphans", p],
        &["diff", p, e],
        &["diff", e, p],
    ];
    for args in runs {
        let (_, out, err) = litescope(args);
        assert!(out.contains(r"\x0aFORGED"), "{args:?}: {out}");
        for line in out.lines().chain(err.lines()) {
            assert!(!line.starts_with("FORGED"), "{args:?}: {out}");
        }
    }
}
