//! The schema diff on real files: what it finds, and the `--sql` it prints applied with the
//! `sqlite3` shell to a copy of side A, after which A and B compare equal. Side B is built by
//! the test from A's own schema text with edits, so each pair differs in known ways.

mod common;

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

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
    let mut child = Command::new("sqlite3")
        .arg(db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the sqlite3 shell");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let ok = out.status.success() && out.stderr.is_empty();
    (ok, String::from_utf8_lossy(&out.stderr).into_owned())
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
