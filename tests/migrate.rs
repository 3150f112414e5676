//! Migration status against the real folders of the shared corpus (copied to temp dirs) and
//! against folders and tracking tables built here, in every layout litescope reads.

mod common;

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use litescope::engine::connect;
use litescope::engine::migrate::{self, records, Kind, Layout, State, Status, Transaction};
use rusqlite::Connection;
use sha2::{Digest, Sha384};

use common::{build, corpus, corpus_copy, litescope, litescope_json};

/// The status of `db` against `dir`, read through litescope's read-only connection.
fn status(db: &Path, dir: &Path) -> Status {
    let conn = connect::open(db).unwrap();
    migrate::read(&conn, db, dir).unwrap().1
}

fn counts(s: &Status) -> [usize; 5] {
    State::ALL.map(|state| s.count(state))
}

#[test]
fn dbmate_sematic_shows_the_python_migrations_as_missing() {
    let (tmp, dir) = corpus_copy("migrations/dbmate-sematic");
    let db = tmp.path().join("sematic.db");
    let dump = corpus().join("migrations/_reference/dbmate-sematic.schema.sql.sqlite");
    build(&db, &std::fs::read_to_string(dump).unwrap());
    let s = status(&db, &dir);
    assert_eq!(s.tracking.kind, Kind::Dbmate);
    assert_eq!(s.tracking.table.as_deref(), Some("schema_migrations"));
    // applied, pending, modified, missing, failed
    assert_eq!(counts(&s), [41, 0, 0, 7, 0]);
    let missing: Vec<&str> = s
        .migrations
        .iter()
        .filter(|r| r.state == State::Missing)
        .map(|r| r.version.as_str())
        .collect();
    assert!(missing.contains(&"20220930014400"), "{missing:?}");
}

/// sqlx's own table, as `sqlx migrate run` creates it.
const SQLX_TABLE: &str = "CREATE TABLE _sqlx_migrations (
    version BIGINT PRIMARY KEY, description TEXT NOT NULL,
    installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL,
    checksum BLOB NOT NULL, execution_time BIGINT NOT NULL)";

/// Applies every file of an sqlx folder and records it as sqlx does: the description is the
/// name with underscores as spaces, the checksum the SHA-384 of the file's bytes.
fn sqlx_applied(db: &Path, dir: &Path) {
    let conn = Connection::open(db).unwrap();
    conn.execute_batch(SQLX_TABLE).unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        conn.execute_batch(std::str::from_utf8(&bytes).unwrap())
            .unwrap();
        let stem = f.file_stem().unwrap().to_str().unwrap();
        let (version, name) = stem.split_once('_').unwrap();
        conn.execute(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
             VALUES (?1, ?2, TRUE, ?3, 1234567)",
            rusqlite::params![
                version.parse::<i64>().unwrap(),
                name.replace('_', " "),
                Sha384::digest(&bytes).to_vec()
            ],
        )
        .unwrap();
    }
}

#[test]
fn sqlx_atuin_is_applied_until_one_file_changes() {
    let (tmp, dir) = corpus_copy("migrations/sqlx-atuin-client");
    let db = tmp.path().join("history.db");
    sqlx_applied(&db, &dir);
    let s = status(&db, &dir);
    assert_eq!(s.tracking.kind, Kind::Sqlx);
    assert_eq!(counts(&s), [12, 0, 0, 0, 0]);
    assert!(s.migrations.iter().all(|r| r.applied_at.is_some()));

    let edited = dir.join("20230319185725_deleted_at.sql");
    let mut text = std::fs::read_to_string(&edited).unwrap();
    text.push_str("\n-- a comment added later\n");
    std::fs::write(&edited, text).unwrap();
    let s = status(&db, &dir);
    assert_eq!(counts(&s), [11, 0, 1, 0, 0]);
    let modified: Vec<&str> = s
        .migrations
        .iter()
        .filter(|r| r.state == State::Modified)
        .map(|r| r.version.as_str())
        .collect();
    assert_eq!(modified, ["20230319185725"]);

    let (code, out, err) = litescope(&[
        "migrate".as_ref(),
        "status".as_ref(),
        db.as_os_str(),
        "--dir".as_ref(),
        dir.as_os_str(),
        "--check".as_ref(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("11 applied, 0 pending, 1 modified"), "{out}");
}

#[test]
fn golang_migrate_pocket_id_pairs_72_up_with_71_down() {
    let (_tmp, dir) = corpus_copy("migrations/golang-migrate-pocket-id");
    let folder = migrate::read_folder(&dir).unwrap();
    assert_eq!(folder.migrations.len(), 72);
    let downs = folder
        .migrations
        .iter()
        .filter(|m| m.down.is_some())
        .count();
    assert_eq!(downs, 71);
    assert_eq!(folder.layout(), Some(Layout::UpDown));
    assert_eq!(folder.tools(), [Kind::Sqlx, Kind::GolangMigrate]);
    let doubled = folder
        .get(&migrate::Version::new("20240813211251"))
        .unwrap();
    assert_eq!(doubled.name, "passkey_backup_flags");
    assert!(doubled.down_path.is_some());
    let init = folder.migrations.first().unwrap();
    assert!(init.down.is_none(), "the init migration has no down file");
    let own = folder
        .migrations
        .iter()
        .filter(|m| m.transaction == Transaction::Own)
        .count();
    assert_eq!(own, 71, "files that BEGIN and COMMIT themselves");
}

#[test]
fn golang_migrate_dirty_version_is_failed_and_later_ones_pending() {
    let (tmp, dir) = corpus_copy("migrations/golang-migrate-pocket-id");
    let db = tmp.path().join("pocket.db");
    build(
        &db,
        "CREATE TABLE schema_migrations (version uint64, dirty bool);
         INSERT INTO schema_migrations VALUES (20240813211251, 1);",
    );
    let s = status(&db, &dir);
    assert_eq!(s.tracking.kind, Kind::GolangMigrate);
    let applied = s.count(State::Applied);
    assert_eq!(s.count(State::Failed), 1);
    assert_eq!(applied + 1 + s.count(State::Pending), 72);
    let failed = s.migrations.iter().find(|r| r.state == State::Failed);
    assert_eq!(failed.unwrap().version.as_str(), "20240813211251");
}

/// Writes `files` (relative path, text) into a new folder `migrations` under `root`.
fn folder(root: &Path, files: &[(&str, &str)]) -> PathBuf {
    let dir = root.join("migrations");
    for (rel, text) in files {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

#[test]
fn goose_sections_and_log_table() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = folder(
        tmp.path(),
        &[
            (
                "00001_users.sql",
                "-- +goose Up\nCREATE TABLE users(id);\n-- +goose Down\nDROP TABLE users;\n",
            ),
            (
                "00002_vacuum.sql",
                "-- +goose NO TRANSACTION\n-- +goose Up\nVACUUM;\n",
            ),
            ("00003_posts.sql", "-- +goose Up\nCREATE TABLE posts(id);\n"),
        ],
    );
    let f = migrate::read_folder(&dir).unwrap();
    assert_eq!(f.tools(), [Kind::Goose]);
    assert_eq!(f.migrations[0].down.as_deref(), Some("DROP TABLE users;\n"));
    assert_eq!(f.migrations[1].transaction, Transaction::None);
    let db = tmp.path().join("app.db");
    build(
        &db,
        "CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY AUTOINCREMENT,
           version_id INTEGER NOT NULL, is_applied INTEGER NOT NULL,
           tstamp TIMESTAMP DEFAULT (datetime('now')));
         INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1), (1, 1), (2, 1), (2, 0);",
    );
    let s = status(&db, &dir);
    assert_eq!(counts(&s), [1, 2, 0, 0, 0], "version 2 was rolled back");
}

#[test]
fn diesel_folders_and_their_table() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = folder(
        tmp.path(),
        &[
            (
                "2024-01-02-030405_create_users/up.sql",
                "CREATE TABLE users(id);",
            ),
            (
                "2024-01-02-030405_create_users/down.sql",
                "DROP TABLE users;",
            ),
            (
                "2024-02-01-000000_concurrent/up.sql",
                "CREATE INDEX i ON users(id);",
            ),
            (
                "2024-02-01-000000_concurrent/metadata.toml",
                "run_in_transaction = false\n",
            ),
        ],
    );
    let f = migrate::read_folder(&dir).unwrap();
    assert_eq!(f.tools(), [Kind::Diesel]);
    assert_eq!(f.migrations[0].version.as_str(), "20240102030405");
    assert_eq!(f.migrations[0].down.as_deref(), Some("DROP TABLE users;"));
    assert_eq!(f.migrations[1].transaction, Transaction::None);
    let db = tmp.path().join("app.db");
    build(
        &db,
        "CREATE TABLE __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL,
           run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);
         INSERT INTO __diesel_schema_migrations (version) VALUES ('20240102030405'), ('20231231000000');",
    );
    let s = status(&db, &dir);
    assert_eq!(counts(&s), [1, 1, 0, 1, 0]);
}

#[test]
fn flyway_versions_and_crc32_checksums() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = folder(
        tmp.path(),
        &[
            ("V1__init.sql", "CREATE TABLE a(x);\n"),
            ("V1_1__more.sql", "CREATE TABLE b(x);\n"),
            ("README.md", "not a migration"),
            ("schema.sql", "-- a dump"),
        ],
    );
    let f = migrate::read_folder(&dir).unwrap();
    assert_eq!(f.tools(), [Kind::Refinery, Kind::Flyway]);
    assert_eq!(f.migrations[1].version.as_str(), "1.1");
    assert_eq!(f.skipped, ["schema.sql"]);
    let sum = |m: usize| match f.migrations[m].checksum(Kind::Flyway) {
        Some(migrate::checksum::Checksum::Number(n)) => n,
        other => panic!("{other:?}"),
    };
    let db = tmp.path().join("app.db");
    build(
        &db,
        &format!(
            "CREATE TABLE flyway_schema_history (installed_rank INT PRIMARY KEY, version TEXT,
               description TEXT, type TEXT, script TEXT, checksum INT, installed_by TEXT,
               installed_on TEXT DEFAULT CURRENT_TIMESTAMP, execution_time INT, success BOOLEAN);
             INSERT INTO flyway_schema_history (installed_rank, version, description, checksum, success)
               VALUES (1, '1', 'init', {}, 1), (2, '1.1', 'more', {}, 1);",
            sum(0),
            sum(1) + 1
        ),
    );
    let s = status(&db, &dir);
    assert_eq!(counts(&s), [1, 0, 1, 0, 0]);
}

#[test]
fn litescope_user_version_and_custom_tracking() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = folder(
        tmp.path(),
        &[
            ("1_a.sql", "CREATE TABLE a(x);"),
            ("2_b.sql", "CREATE TABLE b(x);"),
            ("3_c.sql", "CREATE TABLE c(x);"),
        ],
    );
    let by_version = tmp.path().join("uv.db");
    build(&by_version, "PRAGMA user_version = 2;");
    let s = status(&by_version, &dir);
    assert_eq!(s.tracking.kind, Kind::UserVersion);
    assert_eq!(counts(&s), [2, 1, 0, 0, 0]);

    let custom = tmp.path().join("custom.db");
    build(
        &custom,
        "CREATE TABLE schema_version (version INTEGER, applied_at TEXT);
         INSERT INTO schema_version VALUES (1, '2024-01-01'), (3, '2024-01-02');",
    );
    let s = status(&custom, &dir);
    assert_eq!(s.tracking.kind, Kind::Custom);
    assert_eq!(counts(&s), [2, 1, 0, 0, 0]);

    let own = tmp.path().join("own.db");
    build(&own, records::LITESCOPE_TABLE);
    let f = migrate::read_folder(&dir).unwrap();
    let conn = Connection::open(&own).unwrap();
    let sum = f.migrations[0]
        .checksum(Kind::Litescope)
        .unwrap()
        .to_string();
    conn.execute(
        "INSERT INTO _litescope_migrations (version, name, checksum) VALUES ('1', 'a', ?1),
           ('2', 'b', 'ff'), ('3', 'c', NULL)",
        [sum],
    )
    .unwrap();
    conn.execute(
        "UPDATE _litescope_migrations SET success = 0 WHERE version = '3'",
        [],
    )
    .unwrap();
    let s = status(&own, &dir);
    assert_eq!(s.tracking.kind, Kind::Litescope);
    assert_eq!(counts(&s), [1, 0, 1, 0, 1]);
}

#[test]
fn status_json_follows_the_contract() {
    let (tmp, dir) = corpus_copy("migrations/sqlx-atuin-client");
    let db = tmp.path().join("history.db");
    sqlx_applied(&db, &dir);
    let v = litescope_json(&[
        "migrate".as_ref(),
        "status".as_ref(),
        db.as_os_str(),
        "--dir".as_ref(),
        dir.as_os_str(),
        "--json".as_ref(),
    ]);
    assert_eq!(v["tracking"]["kind"], "sqlx");
    assert_eq!(v["tracking"]["table"], "_sqlx_migrations");
    let rows = v["migrations"].as_array().unwrap();
    assert_eq!(rows.len(), 12);
    for key in ["version", "name", "state", "applied_at", "checksum"] {
        assert!(rows[0].get(key).is_some(), "{key} missing: {}", rows[0]);
    }
    assert_eq!(rows[0]["state"], "applied");
    assert_eq!(rows[0]["checksum"].as_str().unwrap().len(), 96);
}

#[test]
fn bad_input_is_one_line_naming_the_file_and_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = folder(tmp.path(), &[("2_b.down.sql", "DROP TABLE b;")]);
    let db = tmp.path().join("app.db");
    build(&db, "CREATE TABLE t(x);");
    let run = |db: &Path, dir: &Path| {
        litescope(&[
            "migrate".as_ref(),
            "status".as_ref(),
            db.as_os_str(),
            "--dir".as_ref(),
            dir.as_os_str(),
        ])
    };
    let (code, _, err) = run(&db, &dir);
    assert_eq!(code, 2);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("2_b.down.sql: a down migration with no up file"),
        "{err}"
    );
    let (code, _, err) = run(&db, &tmp.path().join("nowhere"));
    assert_eq!(code, 2);
    assert!(err.contains("nowhere"), "{err}");
    let empty = tmp.path().join("empty.db");
    std::fs::write(&empty, "").unwrap();
    let (code, _, err) = run(&empty, &dir);
    assert_eq!(code, 2);
    assert!(err.contains("empty.db: file is not a database"), "{err}");
}

#[test]
fn status_never_changes_the_database() {
    let (tmp, dir) = corpus_copy("migrations/sqlx-atuin-client");
    let db = tmp.path().join("history.db");
    sqlx_applied(&db, &dir);
    let before = common::hash_tree(tmp.path());
    status(&db, &dir);
    assert_eq!(common::hash_tree(tmp.path()), before);
}

/// Files of a folder: relative path and text.
type Files<'a> = &'a [(&'a str, &'a str)];

#[test]
fn new_follows_each_layout_and_numbering() {
    let tmp = tempfile::tempdir().unwrap();
    let now = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_722_457_016);
    let cases: &[(&str, Files, &[&str])] = &[
        ("empty", &[], &["20240731201656_add_users.sql"]),
        (
            "sequence",
            &[("0009_a.up.sql", ""), ("0009_a.down.sql", "")],
            &["0010_add_users.up.sql", "0010_add_users.down.sql"],
        ),
        (
            "dbmate",
            &[("20990101000000_a.sql", "-- migrate:up\n")],
            &["20990101000001_add_users.sql"],
        ),
        ("flyway", &[("V7__a.sql", "")], &["V8__add_users.sql"]),
        (
            "diesel",
            &[("2024-01-01-000000_a/up.sql", "")],
            &[
                "2024-07-31-201656_add_users/up.sql",
                "2024-07-31-201656_add_users/down.sql",
            ],
        ),
    ];
    for (name, files, expected) in cases {
        let root = tmp.path().join(name);
        let dir = folder(&root, files);
        let written = migrate::new::create(&dir, "add users", now, None).unwrap();
        let rel: Vec<String> = written
            .iter()
            .map(|p| p.strip_prefix(&dir).unwrap().display().to_string())
            .collect();
        assert_eq!(&rel, expected, "{name}");
        let f = migrate::read_folder(&dir).unwrap();
        assert_eq!(f.migrations.len(), files.len().min(1) + 1, "{name}");
        assert!(f.migrations.last().unwrap().name.contains("add_users"));
    }
    let dbmate = tmp
        .path()
        .join("dbmate/migrations/20990101000001_add_users.sql");
    assert!(std::fs::read_to_string(dbmate)
        .unwrap()
        .contains("-- migrate:down"));
}

#[test]
fn report_and_check_take_a_migrations_folder() {
    let (tmp, dir) = corpus_copy("migrations/sqlx-atuin-client");
    let db = tmp.path().join("history.db");
    sqlx_applied(&db, &dir);
    std::fs::remove_file(dir.join("20230315220114_drop-events.sql")).unwrap();
    std::fs::write(dir.join("20230319185725_deleted_at.sql"), "-- edited\n").unwrap();
    std::fs::write(
        dir.join("20990101000000_later.sql"),
        "CREATE TABLE later(x);\n",
    )
    .unwrap();
    let v = litescope_json(&[
        "report".as_ref(),
        db.as_os_str(),
        "--migrations".as_ref(),
        dir.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    let found: Vec<(String, String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"].as_str().unwrap().starts_with("migration-"))
        .map(|f| {
            let text = |k: &str| f[k].as_str().unwrap().to_string();
            (text("rule"), text("severity"), text("object"))
        })
        .collect();
    let expect = |rule: &str, sev: &str, object: &str| (rule.into(), sev.into(), object.into());
    assert_eq!(
        found,
        [
            expect(
                "migration-modified",
                "error",
                "20230319185725_deleted_at.sql"
            ),
            expect("migration-missing", "warning", "20230315220114_drop-events"),
            expect("migration-pending", "warning", "20990101000000_later.sql"),
        ]
    );
    let (code, _, err) = litescope(&[
        "check".as_ref(),
        db.as_os_str(),
        "--migrations".as_ref(),
        dir.as_os_str(),
    ]);
    assert_eq!(code, 1, "a modified migration is an error: {err}");
    let (code, _, err) = litescope(&[
        "check".as_ref(),
        db.as_os_str(),
        "--migrations".as_ref(),
        tmp.path().join("nowhere").as_os_str(),
    ]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn the_demo_has_one_pending_migration_and_untracked_databases_are_left_out() {
    let tmp = tempfile::tempdir().unwrap();
    let demo = tmp.path().join("demo");
    let (code, _, err) = litescope(&["demo".as_ref(), demo.as_os_str()]);
    assert_eq!(code, 0, "{err}");
    let migrations = demo.join("migrations");
    let v = litescope_json(&[
        "report".as_ref(),
        demo.as_os_str(),
        "--migrations".as_ref(),
        migrations.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    let found: Vec<(&str, &str)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"].as_str().unwrap().starts_with("migration-"))
        .map(|f| (f["rule"].as_str().unwrap(), f["database"].as_str().unwrap()))
        .collect();
    assert_eq!(found, [("migration-pending", "chat/app.db")]);
}

#[test]
fn migrate_new_prints_what_it_created_and_refuses_an_empty_name() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = folder(tmp.path(), &[("0001_init.sql", "CREATE TABLE a(x);")]);
    let run = |name: &str| {
        litescope(&[
            "migrate".as_ref(),
            "new".as_ref(),
            "--dir".as_ref(),
            dir.as_os_str(),
            name.as_ref(),
        ])
    };
    let (code, out, err) = run("add users");
    assert_eq!(code, 0, "{err}");
    assert!(out.trim_end().ends_with("0002_add_users.sql"), "{out}");
    assert!(dir.join("0002_add_users.sql").is_file());
    let (code, _, err) = run("!!!");
    assert_eq!(code, 2);
    assert!(
        err.contains("a migration name needs a letter or a digit"),
        "{err}"
    );
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(left.len(), 2, "no temporary file is left behind");
}
