//! Backups against the truths they must keep: every committed row (the `-wal` included), one
//! consistent state under a steady writer, nothing left by a kill, damage found, restores that
//! refuse a database in use.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{litescope, litescope_json, wal_fixture};
use rusqlite::Connection;

fn count(db: &Path, table: &str) -> i64 {
    let conn = Connection::open(db).unwrap();
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

/// Creates a backup of `db` into `out` and returns its path.
fn backup(db: &Path, out: &Path) -> PathBuf {
    let made = litescope_json(&[
        "backup".as_ref(),
        "create".as_ref(),
        db.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--json".as_ref(),
    ]);
    assert_eq!(made["verified"], true, "{made}");
    PathBuf::from(made["path"].as_str().unwrap())
}

/// A WAL database of about `mb` megabytes in table `big`, plus an empty `counter` table.
fn sized(dir: &Path, mb: u32) -> PathBuf {
    let db = dir.join("big.db");
    let conn = Connection::open(&db).unwrap();
    conn.execute_batch(&format!(
        "PRAGMA journal_mode=WAL; CREATE TABLE big(id INTEGER PRIMARY KEY, b BLOB);
         CREATE TABLE counter(n INTEGER);
         WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {})
         INSERT INTO big SELECT i, randomblob(1000) FROM s;",
        mb * 1000
    ))
    .unwrap();
    db
}

#[test]
fn a_backup_holds_the_rows_still_in_the_wal() {
    let dir = tempfile::tempdir().unwrap();
    let db = wal_fixture(dir.path());
    let copy = backup(&db, &dir.path().join("b"));
    assert_eq!(count(&copy, "t"), 5);
    let names: Vec<String> = std::fs::read_dir(dir.path().join("b"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.iter().any(|n| n.ends_with(".db.manifest.json")));
}

#[test]
fn a_backup_under_a_steady_writer_holds_a_state_the_writer_committed() {
    let dir = tempfile::tempdir().unwrap();
    let db = sized(dir.path(), 200);
    let reached = Arc::new(Mutex::new(vec![0i64]));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (db, reached, stop) = (db.clone(), reached.clone(), stop.clone());
        std::thread::spawn(move || {
            let conn = Connection::open(&db).unwrap();
            conn.busy_timeout(Duration::from_secs(5)).unwrap();
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                conn.execute("INSERT INTO counter VALUES (?1)", [n])
                    .unwrap();
                reached.lock().unwrap().push(n);
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    std::thread::sleep(Duration::from_millis(100));
    let copy = backup(&db, &dir.path().join("b"));
    let during = reached.lock().unwrap().len();
    stop.store(true, Ordering::SeqCst);
    writer.join().unwrap();
    let rows = count(&copy, "counter");
    let reached = reached.lock().unwrap();
    assert!(
        reached.contains(&rows),
        "{rows} is no state the writer committed"
    );
    assert!(
        during > 6,
        "the writer committed only {during} times while the backup ran"
    );
    assert_eq!(count(&copy, "big"), 200_000);
}

#[test]
fn a_killed_backup_leaves_nothing_under_a_backup_name() {
    let dir = tempfile::tempdir().unwrap();
    let db = sized(dir.path(), 100);
    let out = dir.path().join("b");
    let mut child = Command::new(env!("CARGO_BIN_EXE_litescope"))
        .args([
            "backup".as_ref(),
            "create".as_ref(),
            db.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let partial = || {
        std::fs::read_dir(&out)
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| {
                e.file_name().to_string_lossy().ends_with(".partial")
                    && e.metadata().is_ok_and(|m| m.len() > 1 << 20)
            })
    };
    while !partial() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the backup ended before it was killed"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let listed = litescope_json(&[
        "backup".as_ref(),
        "list".as_ref(),
        out.as_os_str(),
        "--json".as_ref(),
    ]);
    assert_eq!(listed["backups"], serde_json::json!([]));
    let names = |dir: &Path| -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    assert!(
        names(&out).iter().all(|n| n.ends_with(".partial")),
        "{:?}",
        names(&out)
    );
    // The next backup sweeps what the killed one left.
    backup(&db, &out);
    assert!(
        names(&out).iter().all(|n| !n.ends_with(".partial")),
        "{:?}",
        names(&out)
    );
}

/// `backup verify COPY --against DB`: exit code and output.
fn verify(copy: &Path, db: &Path) -> (i32, String) {
    let args = [
        "backup".as_ref(),
        "verify".as_ref(),
        copy.as_os_str(),
        "--against".as_ref(),
        db.as_os_str(),
    ];
    let (code, out, _) = litescope(&args);
    (code, out)
}

/// A database whose `notes` rows hold a recognisable text.
fn notes(dir: &Path) -> PathBuf {
    let db = dir.join("notes.db");
    common::build(
        &db,
        "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT);
         CREATE TABLE tags(id INTEGER PRIMARY KEY, name TEXT);
         INSERT INTO notes(body) VALUES ('needle in a haystack'), ('second');
         INSERT INTO tags(name) VALUES ('a'), ('b');",
    );
    db
}

#[test]
fn a_flipped_byte_fails_verify_and_names_what_failed() {
    let dir = tempfile::tempdir().unwrap();
    let db = notes(dir.path());
    let copy = backup(&db, &dir.path().join("b"));
    let (code, out) = verify(&copy, &db);
    assert_eq!(code, 0, "{out}");
    let mut bytes = std::fs::read(&copy).unwrap();
    let at = bytes.windows(6).position(|w| w == b"needle").unwrap();
    bytes[at] = b'N';
    std::fs::write(&copy, bytes).unwrap();
    let (code, out) = verify(&copy, &db);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("bytes differ"), "{out}");
    assert!(out.contains("table notes"), "{out}");
    assert!(!out.contains("table tags"), "{out}");
}

#[test]
fn a_later_write_to_the_database_is_a_change_not_a_broken_backup() {
    let dir = tempfile::tempdir().unwrap();
    let db = notes(dir.path());
    let copy = backup(&db, &dir.path().join("b"));
    Connection::open(&db)
        .unwrap()
        .execute("INSERT INTO tags(name) VALUES ('c')", [])
        .unwrap();
    let (code, out) = verify(&copy, &db);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("has changed since"), "{out}");
    assert!(out.contains("changed: tags"), "{out}");
    // Without its manifest, the same difference cannot be told from a bad backup.
    std::fs::remove_file(common::sibling(&copy, ".manifest.json")).unwrap();
    let v = litescope_json(&[
        "backup".as_ref(),
        "verify".as_ref(),
        copy.as_os_str(),
        "--against".as_ref(),
        db.as_os_str(),
        "--json".as_ref(),
    ]);
    assert_eq!(v["ok"], false);
    assert_eq!(v["schema_match"], true);
    assert_eq!(v["content_match"], false);
}

#[test]
fn restore_refuses_a_database_in_use_and_then_restores_the_backup() {
    let dir = tempfile::tempdir().unwrap();
    let db = wal_fixture(dir.path());
    let copy = backup(&db, &dir.path().join("b"));
    let app = Connection::open(&db).unwrap();
    app.execute("DELETE FROM t WHERE x > 2", []).unwrap();
    let restore = || {
        litescope(&[
            "backup".as_ref(),
            "restore".as_ref(),
            copy.as_os_str(),
            db.as_os_str(),
            "--yes".as_ref(),
        ])
    };
    let (code, _, err) = restore();
    assert_eq!(code, 2);
    assert!(err.contains("in use by another process"), "{err}");
    assert_eq!(count(&db, "t"), 2, "a refused restore changed the database");
    drop(app);
    let (code, out, err) = restore();
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("previous database is saved as"), "{out}");
    let conn = Connection::open(&db).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    assert_eq!(count(&db, "t"), 5);
    // The database as it was before the restore is itself a verified backup.
    let listed = litescope_json(&[
        "backup".as_ref(),
        "list".as_ref(),
        dir.path().join("backups").as_os_str(),
        "--json".as_ref(),
    ]);
    let saved = PathBuf::from(listed["backups"][0]["path"].as_str().unwrap());
    assert_eq!(count(&saved, "t"), 2);
}

#[test]
fn prune_keeps_the_newest_per_source_and_refuses_without_a_terminal_or_yes() {
    let dir = tempfile::tempdir().unwrap();
    let db = notes(dir.path());
    let out = dir.path().join("b");
    let made: Vec<PathBuf> = (0..3).map(|_| backup(&db, &out)).collect();
    let (code, _, err) = litescope(&[
        "backup".as_ref(),
        "prune".as_ref(),
        out.as_os_str(),
        "--keep".as_ref(),
        "1".as_ref(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("--yes"), "{err}");
    let dry = litescope_json(&[
        "backup".as_ref(),
        "prune".as_ref(),
        out.as_os_str(),
        "--keep".as_ref(),
        "1".as_ref(),
        "--dry-run".as_ref(),
        "--json".as_ref(),
    ]);
    assert_eq!(dry["removed"].as_array().unwrap().len(), 2);
    assert!(made.iter().all(|p| p.exists()));
    let done = litescope_json(&[
        "backup".as_ref(),
        "prune".as_ref(),
        out.as_os_str(),
        "--keep".as_ref(),
        "1".as_ref(),
        "--yes".as_ref(),
        "--json".as_ref(),
    ]);
    assert_eq!(
        done["kept"][0].as_str().map(PathBuf::from),
        Some(made[2].clone())
    );
    assert!(!made[0].exists() && !made[1].exists() && made[2].exists());
    assert!(!common::sibling(&made[0], ".manifest.json").exists());
}

#[test]
fn bad_input_is_one_line_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("gateway.db");
    std::fs::write(&empty, b"").unwrap();
    let (code, _, err) = litescope(&["backup".as_ref(), "create".as_ref(), empty.as_os_str()]);
    assert_eq!(code, 2);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("gateway.db") && err.contains("empty"), "{err}");
    assert!(!dir.path().join("backups").exists());
}

#[test]
fn a_cancelled_backup_leaves_nothing_behind() {
    use litescope::engine::backups::create::{self, Check};
    let dir = tempfile::tempdir().unwrap();
    let db = sized(dir.path(), 20);
    let out = dir.path().join("b");
    let plan = create::plan(&db, Some(&out)).unwrap();
    let conn = litescope::engine::connect::open(&db).unwrap();
    let flag = conn.cancel_flag();
    let mut pages = 0;
    let result = create::create(&plan, &conn, Check::Quick, &mut |done, _| {
        pages = done;
        flag.store(true, Ordering::SeqCst);
    });
    assert!(
        matches!(result, Err(litescope::engine::error::Error::Cancelled)),
        "{result:?}"
    );
    assert!(pages > 0, "the copy was under way when it was cancelled");
    let left: Vec<_> = std::fs::read_dir(&out).unwrap().flatten().collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_copy_too_damaged_to_check_is_named_in_the_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("damaged.db");
    common::build(
        &db,
        "CREATE TABLE t(id INTEGER PRIMARY KEY, v);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
         INSERT INTO t SELECT i, randomblob(100) FROM n;
         CREATE INDEX iv ON t(v);",
    );
    let mut bytes = std::fs::read(&db).unwrap();
    bytes[4096 * 3..4096 * 3 + 300].fill(0xab);
    std::fs::write(&db, bytes).unwrap();
    let out = dir.path().join("out");
    let (code, _, err) = litescope(&[
        "backup",
        "create",
        db.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    // The copy's check is what fails: the line names the backup that was not kept.
    assert!(err.starts_with("litescope: "), "{err}");
    assert!(err.contains("/damaged-"), "{err}");
    assert!(
        err.contains("failed verification (database disk image is malformed)"),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0, "nothing kept");
}

#[test]
fn verify_names_the_side_that_cannot_be_read() {
    let dir = tempfile::tempdir().unwrap();
    let (good, damaged) = (dir.path().join("good.db"), dir.path().join("damaged.db"));
    for db in [&good, &damaged] {
        common::build(
            db,
            "CREATE TABLE t(id INTEGER PRIMARY KEY, v);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
             INSERT INTO t SELECT i, randomblob(100) FROM n;
             CREATE INDEX iv ON t(v);",
        );
    }
    let mut bytes = std::fs::read(&damaged).unwrap();
    bytes[4096 * 3..4096 * 3 + 300].fill(0xab);
    std::fs::write(&damaged, bytes).unwrap();
    for (backup, db, named) in [
        (&damaged, &good, "damaged.db: "),
        (&good, &damaged, "damaged.db: "),
    ] {
        let (code, _, err) = litescope(&[
            "backup",
            "verify",
            backup.to_str().unwrap(),
            "--against",
            db.to_str().unwrap(),
        ]);
        assert_eq!(code, 2, "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(named), "{err}");
        assert!(err.contains("malformed"), "{err}");
    }
}
