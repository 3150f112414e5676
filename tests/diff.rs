//! The schema diff on real files: what it finds, and the `--sql` it prints applied with the
//! `sqlite3` shell to a copy of side A, after which A and B compare equal. Side B is built by
//! the test from A's own schema text with edits, so each pair differs in known ways.

mod common;

use std::path::Path;

use litescope::engine::diff::{self, Diff, Kind};
use rusqlite::Connection;

/// Creates `b` from `a`'s schema text (SQLite's own tables left out) with each `(from, to)`
/// edit made, then runs `extra` on it.
fn build_b(a: &Path, b: &Path, edits: &[(&str, &str)], extra: &str) {
    let source = Connection::open(a).unwrap();
    let mut stmt = source
        .prepare(
            "SELECT sql FROM sqlite_schema WHERE sql NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid",
        )
        .unwrap();
    let statements: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let target = Connection::open(b).unwrap();
    for mut sql in statements {
        for (from, to) in edits {
            sql = sql.replace(from, to);
        }
        target.execute_batch(&sql).unwrap();
    }
    target.execute_batch(extra).unwrap();
}

/// Runs `script` with the `sqlite3` shell on `db`; true when it ended without error.
fn run_shell(db: &Path, script: &str) -> (bool, String) {
    let (code, err) = common::sqlite3(db, script);
    (code == 0 && err.is_empty(), err)
}

fn compare(a: &Path, b: &Path) -> Diff {
    diff::compare(
        &diff::read::schema(a).unwrap(),
        &diff::read::schema(b).unwrap(),
    )
}

fn whats(d: &Diff, kind: Kind, name: &str) -> Vec<String> {
    let changed = d.changed(kind, name);
    changed
        .map(|c| c.changes.iter().map(|x| x.what.clone()).collect())
        .unwrap_or_default()
}

fn count(db: &Path, table: &str) -> i64 {
    let conn = Connection::open(db).unwrap();
    conn.query_row(&format!("SELECT count(*) FROM \"{table}\""), [], |r| {
        r.get(0)
    })
    .unwrap()
}

/// Applies the diff's script to `a` and checks that nothing differs afterwards.
fn apply_and_recompare(a: &Path, b: &Path) -> String {
    let (sa, sb) = (
        diff::read::schema(a).unwrap(),
        diff::read::schema(b).unwrap(),
    );
    let d = diff::compare(&sa, &sb);
    assert!(!d.is_empty());
    let script = diff::sql::script(&sa, &sb, &d).unwrap();
    let (ok, err) = run_shell(a, &script);
    assert!(ok, "{err}\n{script}");
    let again = compare(a, b);
    assert!(again.is_empty(), "{again:#?}\n{script}");
    let conn = Connection::open(a).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    script
}

#[test]
fn chinook_with_a_type_not_null_column_index_and_table_changed() {
    let (_dir, a) = common::corpus_copy("db/Chinook_Sqlite.sqlite");
    let b = a.with_file_name("b.db");
    build_b(
        &a,
        &b,
        &[
            ("[Composer] NVARCHAR(220)", "[Composer] TEXT"),
            (
                "[BillingCountry] NVARCHAR(40),",
                "[BillingCountry] NVARCHAR(40) NOT NULL,",
            ),
            ("[Fax] NVARCHAR(24),\n    [Email]", "[Email]"),
            (
                "ON [Track] ([GenreId])",
                "ON [Track] ([GenreId]) WHERE [GenreId] IS NOT NULL",
            ),
        ],
        "ALTER TABLE Customer ADD COLUMN Loyalty INTEGER DEFAULT 0; \
         DROP TABLE PlaylistTrack; \
         CREATE VIEW long_tracks AS SELECT Name FROM Track WHERE Milliseconds > 600000;",
    );
    let d = compare(&a, &b);
    assert_eq!(whats(&d, Kind::Table, "Track"), ["column Composer type"]);
    assert_eq!(
        whats(&d, Kind::Table, "Invoice"),
        ["column BillingCountry not null"]
    );
    let customer = whats(&d, Kind::Table, "Customer");
    assert!(customer.contains(&"column Fax".into()) && customer.contains(&"column Loyalty".into()));
    assert_eq!(whats(&d, Kind::Index, "IFK_TrackGenreId"), ["where"]);
    assert_eq!(d.only_in_a.len(), 3, "{:?}", d.only_in_a); // PlaylistTrack and its indexes
    let tracks = count(&a, "Track");
    let script = apply_and_recompare(&a, &b);
    assert!(script.contains("ALTER TABLE \"Customer\" ADD COLUMN Loyalty INTEGER DEFAULT 0;"));
    assert!(script.contains("ALTER TABLE \"Customer\" DROP COLUMN \"Fax\";"));
    assert!(script.contains("INSERT INTO \"Track_litescope_new\""));
    assert_eq!(count(&a, "Track"), tracks, "the rebuild keeps every row");
}

#[test]
fn northwind_foreign_keys_added_and_a_broken_view_kept() {
    let (_dir, a) = common::corpus_copy("db/Northwind_small.sqlite");
    let b = a.with_file_name("b.db");
    build_b(
        &a,
        &b,
        &[(
            "\"Discount\" DOUBLE NOT NULL \n)",
            "\"Discount\" DOUBLE NOT NULL, \n FOREIGN KEY (\"OrderId\") REFERENCES \"Order\"(\"Id\"), \
             FOREIGN KEY (\"ProductId\") REFERENCES \"Product\"(\"Id\")\n)",
        )],
        "",
    );
    let d = compare(&a, &b);
    assert_eq!(
        whats(&d, Kind::Table, "OrderDetail"),
        ["foreign key (OrderId)", "foreign key (ProductId)"]
    );
    apply_and_recompare(&a, &b);
}

#[test]
fn a_script_that_fails_changes_nothing() {
    // Order.CustomerId has 29 rows pointing at missing customers: the new key cannot hold.
    let (dir, a) = common::corpus_copy("db/Northwind_small.sqlite");
    let b = dir.path().join("b.db");
    build_b(
        &a,
        &b,
        &[(
            "\"Freight\" DECIMAL NOT NULL,",
            "\"Freight\" DECIMAL NOT NULL REFERENCES \"Customer\"(\"Id\"),",
        )],
        "",
    );
    let (sa, sb) = (
        diff::read::schema(&a).unwrap(),
        diff::read::schema(&b).unwrap(),
    );
    let d = diff::compare(&sa, &sb);
    let script = diff::sql::script(&sa, &sb, &d).unwrap();
    let before = std::fs::read(&a).unwrap();
    let (ok, err) = run_shell(&a, &script);
    assert!(!ok && err.contains("foreign key"), "{err}");
    assert_eq!(
        std::fs::read(&a).unwrap(),
        before,
        "the file is byte for byte as it was"
    );
}

#[test]
fn sakila_view_trigger_and_a_table_its_trigger_writes_into() {
    let (_dir, a) = common::corpus_copy("db/sakila.db");
    let b = a.with_file_name("b.db");
    build_b(
        &a,
        &b,
        &[
            ("title VARCHAR(255) NOT NULL", "title TEXT NOT NULL"),
            ("CONCAT(cu.first_name, ' ', cu.last_name) AS name", "cu.last_name AS name"),
        ],
        "ALTER TABLE film ADD COLUMN rating_note TEXT; \
         DROP TRIGGER del_film; \
         CREATE TRIGGER del_film AFTER DELETE ON film BEGIN DELETE FROM film_text WHERE film_id = old.film_id AND 1; END;",
    );
    let d = compare(&a, &b);
    assert!(whats(&d, Kind::Table, "film_text").contains(&"column title type".to_string()));
    assert_eq!(whats(&d, Kind::View, "customer_list"), ["definition"]);
    assert_eq!(whats(&d, Kind::Trigger, "del_film"), ["definition"]);
    let films = count(&a, "film_text");
    apply_and_recompare(&a, &b);
    assert_eq!(count(&a, "film_text"), films);
}

#[test]
fn reversed_pair_turns_b_back_into_a() {
    let (dir, a) = common::corpus_copy("db/Chinook_Sqlite.sqlite");
    let b = dir.path().join("b.db");
    build_b(
        &a,
        &b,
        &[("[Composer] NVARCHAR(220)", "[Composer] TEXT")],
        "ALTER TABLE Album ADD COLUMN Year INTEGER; DROP TABLE PlaylistTrack; \
         CREATE UNIQUE INDEX genre_name ON Genre(Name);",
    );
    apply_and_recompare(&b, &a);
}

fn shell_ok(db: &Path, sql: &str) {
    let (ok, err) = run_shell(db, sql);
    assert!(ok, "{err}");
}

#[test]
fn cli_exit_codes_json_and_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.db"), dir.path().join("b.db"));
    common::build(&a, "CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT);");
    common::build(
        &b,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, x INT NOT NULL);",
    );
    let hashes = common::hash_tree(dir.path());
    let (code, out, _) = common::litescope(&["diff".as_ref(), a.as_os_str(), a.as_os_str()]);
    assert_eq!(
        (code, out.trim_end().ends_with("no differences")),
        (0, true)
    );
    let json = common::litescope_json(&[
        "diff".as_ref(),
        a.as_os_str(),
        b.as_os_str(),
        "--json".as_ref(),
    ]);
    assert_eq!(json["changed"][0]["type"], "table");
    let whats: Vec<&str> = json["changed"][0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["what"].as_str().unwrap())
        .collect();
    assert_eq!(whats, ["column x type", "column x not null"]);
    assert_eq!(json["changed"][0]["changes"][0]["a"], "TEXT");
    let (code, _, _) = common::litescope(&["diff".as_ref(), a.as_os_str(), b.as_os_str()]);
    assert_eq!(code, 1);
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    for bad in [empty.clone(), dir.path().join("missing.db")] {
        let (code, out, err) =
            common::litescope(&["diff".as_ref(), a.as_os_str(), bad.as_os_str()]);
        assert_eq!(code, 2);
        assert!(out.is_empty() && err.lines().count() == 1, "{err}");
        assert!(
            err.contains(bad.file_name().unwrap().to_str().unwrap()),
            "{err}"
        );
    }
    std::fs::remove_file(&empty).unwrap();
    assert_eq!(common::hash_tree(dir.path()), hashes, "diff never writes");
}

#[test]
fn cli_sql_as_printed_runs_in_the_shell() {
    // sakila's views hold tabs: the printed script must keep them as white space.
    let (dir, a) = common::corpus_copy("db/sakila.db");
    let b = dir.path().join("b.db");
    build_b(
        &a,
        &b,
        &[("IF(cu.active, 'active','') AS notes", "cu.active AS notes")],
        "CREATE INDEX film_title ON film(title);",
    );
    let (code, script, err) = common::litescope(&[
        "diff".as_ref(),
        a.as_os_str(),
        b.as_os_str(),
        "--sql".as_ref(),
    ]);
    assert_eq!(code, 1, "{err}");
    shell_ok(&a, &script);
    let (code, out, _) = common::litescope(&["diff".as_ref(), a.as_os_str(), b.as_os_str()]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn cli_sql_out_saves_the_next_migration_in_the_folders_layout() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, migrations) = (
        dir.path().join("a.db"),
        dir.path().join("b.db"),
        dir.path().join("migrations"),
    );
    common::build(&a, "CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT);");
    common::build(
        &b,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT, y INT);",
    );
    std::fs::create_dir(&migrations).unwrap();
    std::fs::write(migrations.join("0001_first.up.sql"), "SELECT 1;").unwrap();
    std::fs::write(migrations.join("0001_first.down.sql"), "SELECT 1;").unwrap();
    let args = [
        "diff".as_ref(),
        a.as_os_str(),
        b.as_os_str(),
        "--sql".as_ref(),
        "--out".as_ref(),
        migrations.as_os_str(),
    ];
    let (code, out, err) = common::litescope(&args);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("0002_schema_diff.up.sql"), "{out}");
    let up = std::fs::read_to_string(migrations.join("0002_schema_diff.up.sql")).unwrap();
    assert!(
        up.contains("ALTER TABLE \"t\" ADD COLUMN y INT;") && !up.contains("BEGIN"),
        "{up}"
    );
    assert!(migrations.join("0002_schema_diff.down.sql").exists());
    shell_ok(&a, &up);
    let (code, _, _) = common::litescope(&["diff".as_ref(), a.as_os_str(), b.as_os_str()]);
    assert_eq!(code, 0);
}

#[test]
fn drift_against_the_schema_the_migrations_build() {
    let (dir, folder) = common::corpus_copy("migrations/sqlx-atuin-client");
    let db = dir.path().join("app.db");
    let mut files: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    for f in &files {
        shell_ok(&db, &std::fs::read_to_string(f).unwrap());
    }
    let args = |db: &Path| {
        [
            "diff".into(),
            db.as_os_str().to_owned(),
            "--migrations".into(),
            folder.as_os_str().to_owned(),
        ]
    };
    let (code, out, err) = common::litescope(&args(&db));
    assert_eq!(code, 0, "{out}{err}");
    shell_ok(
        &db,
        "ALTER TABLE history ADD COLUMN by_hand TEXT; DROP INDEX idx_history_timestamp;",
    );
    let (code, out, _) = common::litescope(&args(&db));
    assert_eq!(code, 1);
    assert!(
        out.contains("column by_hand: only in A") && out.contains("index idx_history_timestamp"),
        "{out}"
    );
}

#[test]
fn drift_when_the_baseline_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let (db, folder) = (dir.path().join("app.db"), dir.path().join("migrations"));
    common::build(
        &db,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);",
    );
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(
        folder.join("20240101000000_add_email.sql"),
        "ALTER TABLE users ADD COLUMN email TEXT;",
    )
    .unwrap();
    let (code, out, err) = common::litescope(&[
        "diff".as_ref(),
        db.as_os_str(),
        "--migrations".as_ref(),
        folder.as_os_str(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains("baseline is missing") && out.contains("column email: only in B"),
        "{out}"
    );
}

#[test]
fn data_diff_streams_rows_and_its_sql_makes_a_equal_to_b() {
    let (dir, a) = common::corpus_copy("db/Chinook_Sqlite.sqlite");
    let b = dir.path().join("b.db");
    std::fs::copy(&a, &b).unwrap();
    shell_ok(
        &b,
        "UPDATE Artist SET Name = 'tab\there' WHERE ArtistId = 3; DELETE FROM InvoiceLine WHERE InvoiceLineId < 11; \
         INSERT INTO Genre VALUES (99, 'Gamelan'); UPDATE Track SET UnitPrice = 0.1 WHERE TrackId = 1;",
    );
    let data = |extra: &str| {
        let mut args = vec![
            "diff".as_ref(),
            a.as_os_str(),
            b.as_os_str(),
            "--data".as_ref(),
        ];
        if !extra.is_empty() {
            args.push(extra.as_ref());
        }
        common::litescope(&args)
    };
    let (code, out, _) = data("--json");
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let table = |name: &str| {
        json["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["table"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(table("InvoiceLine")["only_in_a"], 10);
    assert_eq!(
        table("InvoiceLine")["samples"]["only_in_a"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    assert_eq!(table("Genre")["only_in_b"], 1);
    assert_eq!(table("Artist")["changed"], 1);
    assert_eq!(table("Track")["changed"], 1);
    let (_, script, _) = data("--sql");
    shell_ok(&a, &script);
    let (code, out, _) = data("");
    assert_eq!(code, 0, "{out}");
}

#[test]
fn data_diff_resumes_across_chunks_past_null_and_composite_keys() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.db"), dir.path().join("b.db"));
    common::build(
        &a,
        // WAL: each side is read in one read transaction (the Chinook test reads in rollback
        // mode, a statement per chunk).
        "PRAGMA journal_mode = WAL; CREATE TABLE n (k TEXT PRIMARY KEY, v); \
         CREATE TABLE c (x INT, y TEXT, v, PRIMARY KEY (x, y)) WITHOUT ROWID; \
         WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 1500) \
           INSERT INTO n SELECT NULL, i FROM r; \
         WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 2500) \
           INSERT INTO n SELECT printf('%05d', i), i FROM r; \
         WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 3000) \
           INSERT INTO c SELECT i / 2, 'y' || (i % 2), i FROM r;",
    );
    std::fs::copy(&a, &b).unwrap();
    shell_ok(
        &b,
        // A NULL-keyed row past the first chunk: seen only when the read resumes by rowid too.
        "UPDATE n SET v = -5 WHERE k IS NULL AND v = 1200; \
         UPDATE n SET v = -1 WHERE k = '02400'; DELETE FROM n WHERE k = '01999'; \
         DELETE FROM c WHERE x = 1400; INSERT INTO c VALUES (9999, 'z', 1); \
         UPDATE c SET v = 0 WHERE x = 1234 AND y = 'y1';",
    );
    let args = [
        "diff".as_ref(),
        a.as_os_str(),
        b.as_os_str(),
        "--data".as_ref(),
        "--json".as_ref(),
    ];
    let json = common::litescope_json(&args);
    let counts = |t: usize| {
        let t = &json["tables"][t];
        (
            t["only_in_a"].as_u64(),
            t["only_in_b"].as_u64(),
            t["changed"].as_u64(),
        )
    };
    assert_eq!(json["tables"][0]["table"], "n");
    assert_eq!(counts(0), (Some(1), Some(0), Some(2)), "{json}");
    assert_eq!(counts(1), (Some(2), Some(1), Some(1)), "{json}");
    assert_eq!(
        json["tables"][1]["samples"]["only_in_b"][0],
        serde_json::json!([9999, "z"])
    );
}

#[test]
fn a_renamed_column_keeps_its_values_by_alter_and_through_a_rebuild() {
    let (dir, a) = common::corpus_copy("db/Chinook_Sqlite.sqlite");
    let b = dir.path().join("b.db");
    build_b(
        &a,
        &b,
        &[
            ("[Composer] NVARCHAR(220)", "[Author] NVARCHAR(220)"),
            ("[Bytes] INTEGER", "[Bytes] BIGINT"),
        ],
        "ALTER TABLE Artist RENAME COLUMN Name TO ArtistName;",
    );
    let d = compare(&a, &b);
    assert_eq!(whats(&d, Kind::Table, "Artist"), ["column Name renamed"]);
    let track = whats(&d, Kind::Table, "Track");
    assert!(
        track.contains(&"column Composer renamed".into()),
        "{track:?}"
    );
    let non_null = |db: &Path, sql: &str| -> i64 {
        Connection::open(db)
            .unwrap()
            .query_row(sql, [], |r| r.get(0))
            .unwrap()
    };
    let composers = non_null(&a, "SELECT count(Composer) FROM Track");
    let script = apply_and_recompare(&a, &b);
    assert!(script.contains("ALTER TABLE \"Artist\" RENAME COLUMN \"Name\" TO \"ArtistName\";"));
    assert!(
        script.contains("INSERT INTO \"Track_litescope_new\""),
        "{script}"
    );
    assert_eq!(non_null(&a, "SELECT count(ArtistName) FROM Artist"), 275);
    assert_eq!(non_null(&a, "SELECT count(Author) FROM Track"), composers);
}

#[test]
fn a_table_rebuilt_with_no_column_in_common_keeps_its_rows_or_none() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.db"), dir.path().join("b.db"));
    common::build(
        &a,
        "CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, v); INSERT INTO t(v) VALUES (1), (2);
         CREATE TABLE w(k PRIMARY KEY, v) WITHOUT ROWID; INSERT INTO w VALUES (1, 2);",
    );
    common::build(
        &b,
        "CREATE TABLE t(a, b, c); CREATE TABLE w(x PRIMARY KEY) WITHOUT ROWID;",
    );
    apply_and_recompare(&a, &b);
    // The rowids carry over: a rowid table keeps its rows, each column NULL.
    assert_eq!(count(&a, "t"), 2);
    assert_eq!(count(&a, "w"), 0);
}
