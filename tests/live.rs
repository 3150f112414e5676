//! The TUI's live watch: another connection commits to an open database and the panels follow,
//! cursor kept, with what changed since opening on the Overview; litescope's own reads set off
//! nothing; a deleted file is said and read again when it comes back; a backup another process
//! makes shows in the Backups panel; and a writer is never refused meanwhile. Real workers, real
//! files, real notify events.

mod common;

use std::time::{Duration, Instant};

use common::tui::{key, open, screen};
use litescope::engine::browse::Cell;
use litescope::ui::app::App;
use litescope::ui::command::Command;
use litescope::ui::panels::data::Data;
use litescope::ui::panels::schema::{nodes, Schema};
use ratatui::crossterm::event::KeyCode;
use rusqlite::Connection;

const ITEMS: &str = "CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
    INSERT INTO items SELECT i, 'item ' || i FROM n;";

/// Runs the app's loop as the terminal does (messages, then the watch's timers) until `done`
/// holds; false when `limit` passes first.
fn run_until(app: &mut App, limit: Duration, done: impl Fn(&App) -> bool) -> bool {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if let Some(msg) = app.next_msg(Some(Duration::from_millis(20))) {
            app.handle(msg);
        }
        app.tick(Instant::now());
        app.refresh_across();
        if done(app) {
            return true;
        }
    }
    false
}

fn rows_of(app: &App, table: &str) -> Option<u64> {
    let model = app.view.dbs[0].model.as_ref()?;
    model.schema.table(table)?.rows
}

fn label_at(data: &Data, row: usize) -> Option<String> {
    match data.page.as_ref()?.rows.get(row)?.get(1)? {
        Cell::Text(text, _) => Some(text.clone()),
        _ => None,
    }
}

/// Opens `items` in the Data panel and moves the cursor to its sixth row.
fn open_items(app: &mut App) {
    key(app, KeyCode::Char('3'));
    key(app, KeyCode::Enter);
    app.settle(Duration::from_secs(10));
    for _ in 0..5 {
        key(app, KeyCode::Down);
    }
    let data = app.panels.get::<Data>().unwrap();
    assert_eq!(label_at(data, data.row).as_deref(), Some("item 6"));
}

fn commits_refresh_the_panels(mode: &str) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    common::build(&db, &format!("PRAGMA journal_mode = {mode}; {ITEMS}"));
    let mut app = open(&db);
    open_items(&mut app);
    let other = Connection::open(&db).unwrap();
    other
        .execute_batch(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50)
             INSERT INTO items (label) SELECT 'new ' || i FROM n;
             UPDATE items SET label = 'changed' WHERE id = 6;
             CREATE TABLE audit_log (id INTEGER PRIMARY KEY, at TEXT);",
        )
        .unwrap();
    let seen = run_until(&mut app, Duration::from_secs(5), |app| {
        let data = app.panels.get::<Data>().unwrap();
        rows_of(app, "items") == Some(350) && label_at(data, data.row).as_deref() == Some("changed")
    });
    assert!(seen, "{mode}: the commit shows within 5 s");
    assert_eq!(app.panels.get::<Data>().unwrap().row, 5, "the cursor stays");
    key(&mut app, KeyCode::Char('1'));
    let shown = screen(&app);
    assert!(shown.contains("Since opened"), "{shown}");
    assert!(shown.contains("items  +50 rows (350 rows)"), "{shown}");
    assert!(shown.contains("schema: table audit_log added"), "{shown}");
    assert!(!shown.contains("audit_log  +0"), "{shown}");
}

#[test]
fn another_connections_commit_refreshes_the_panels_in_wal_mode() {
    commits_refresh_the_panels("wal");
}

#[test]
fn another_connections_commit_refreshes_the_panels_in_rollback_mode() {
    commits_refresh_the_panels("delete");
}

#[test]
fn litescopes_own_reads_set_off_no_refresh() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    common::build(&db, &format!("PRAGMA journal_mode = wal; {ITEMS}"));
    let mut app = open(&db);
    open_items(&mut app);
    key(&mut app, KeyCode::Char('G'));
    key(&mut app, KeyCode::Char('g'));
    // Over a second: the database in focus is polled once in that time too.
    let refreshed = run_until(&mut app, Duration::from_millis(1500), |app| {
        app.view.dbs[0].last_commit.is_some()
    });
    assert!(!refreshed, "a refresh with no other connection");
    let other = Connection::open(&db).unwrap();
    other
        .execute_batch("DELETE FROM items WHERE id = 1")
        .unwrap();
    let seen = run_until(&mut app, Duration::from_secs(5), |app| {
        app.view.dbs[0].last_commit.is_some()
    });
    assert!(seen, "and one after another connection's commit");
}

#[test]
fn a_deleted_file_is_said_and_read_again_when_it_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    common::build(&db, ITEMS);
    let mut app = open(&db);
    let kept = dir.path().join("kept.db");
    std::fs::rename(&db, &kept).unwrap();
    let said = run_until(&mut app, Duration::from_secs(5), |app| {
        app.view.dbs[0].gone.is_some()
    });
    assert!(said, "the delete shows");
    let shown = screen(&app);
    assert!(shown.contains("deleted"), "{shown}");
    assert_eq!(rows_of(&app, "items"), Some(300), "what was read stays");
    Connection::open(&kept)
        .unwrap()
        .execute_batch("DELETE FROM items WHERE id > 100")
        .unwrap();
    std::fs::rename(&kept, &db).unwrap();
    let back = run_until(&mut app, Duration::from_secs(5), |app| {
        app.view.dbs[0].gone.is_none() && rows_of(app, "items") == Some(100)
    });
    assert!(back, "the file is read again");
}

#[test]
fn a_backup_made_by_another_process_shows_in_the_backups_panel() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    common::build(&db, ITEMS);
    std::fs::create_dir(dir.path().join("backups")).unwrap();
    let mut app = open(&db);
    key(&mut app, KeyCode::Char('8'));
    app.settle(Duration::from_secs(10));
    assert!(screen(&app).contains("Backups (0)"), "{}", screen(&app));
    let (code, _, err) = common::litescope(&["backup".as_ref(), "create".as_ref(), db.as_os_str()]);
    assert_eq!(code, 0, "{err}");
    let listed = run_until(&mut app, Duration::from_secs(5), |app| {
        screen(app).contains("Backups (1)")
    });
    assert!(listed, "{}", screen(&app));
}

#[test]
fn a_writer_is_never_refused_while_the_tui_follows_its_commits() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    common::build(&db, ITEMS);
    let mut app = open(&db);
    let path = db.clone();
    let writer = std::thread::spawn(move || {
        let conn = Connection::open(&path).unwrap();
        conn.busy_timeout(Duration::from_secs(1)).unwrap();
        for i in 0..200 {
            conn.execute("INSERT INTO items (label) VALUES (?1)", [i])
                .map_err(|e| format!("commit {i}: {e}"))?;
            std::thread::sleep(Duration::from_millis(5));
        }
        Ok::<(), String>(())
    });
    let done = run_until(&mut app, Duration::from_secs(20), |app| {
        rows_of(app, "items") == Some(500)
    });
    assert_eq!(writer.join().unwrap(), Ok(()), "rollback-journal mode");
    assert!(done, "every commit read: {:?}", rows_of(&app, "items"));
}

#[test]
fn the_schema_tree_keeps_its_selection_when_lines_above_it_go() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    common::build(
        &db,
        &format!("PRAGMA journal_mode = wal; CREATE TABLE early (x); {ITEMS}"),
    );
    let mut app = open(&db);
    app.apply(Command::Jump {
        db: 0,
        object: "items".into(),
    });
    let selected = |app: &App| {
        let schema = app.panels.get::<Schema>().unwrap();
        nodes(schema, &app.view)[schema.selected].key.clone()
    };
    let before = selected(&app);
    assert!(before.ends_with("/t/items"), "{before}");
    let line = app.panels.get::<Schema>().unwrap().selected;
    Connection::open(&db)
        .unwrap()
        .execute_batch("DROP TABLE early")
        .unwrap();
    let seen = run_until(&mut app, Duration::from_secs(5), |app| {
        app.view.dbs[0].last_commit.is_some()
    });
    assert!(seen, "the drop is read");
    assert_eq!(selected(&app), before, "the selection follows items");
    assert_eq!(app.panels.get::<Schema>().unwrap().selected, line - 1);
}

#[test]
fn a_migration_another_process_records_shows_as_applied() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("migrations");
    std::fs::create_dir(&folder).unwrap();
    for (name, table) in [("1_users.sql", "users"), ("2_tags.sql", "tags")] {
        let text = format!("-- migrate:up\nCREATE TABLE {table} (id INTEGER PRIMARY KEY);\n");
        std::fs::write(folder.join(name), text).unwrap();
    }
    let db = dir.path().join("app.db");
    common::build(
        &db,
        "PRAGMA journal_mode = WAL;
         CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY);
         INSERT INTO schema_migrations VALUES ('1');
         CREATE TABLE users (id INTEGER PRIMARY KEY);",
    );
    let mut app = open(&db);
    key(&mut app, KeyCode::Char('7'));
    app.settle(Duration::from_secs(10));
    assert!(
        screen(&app).contains("1 applied · 1 pending"),
        "{}",
        screen(&app)
    );
    let other = Connection::open(&db).unwrap();
    other
        .execute_batch(
            "BEGIN; CREATE TABLE tags (id INTEGER PRIMARY KEY);
             INSERT INTO schema_migrations VALUES ('2'); COMMIT;",
        )
        .unwrap();
    let seen = run_until(&mut app, Duration::from_secs(5), |app| {
        let shown = screen(app);
        shown.contains("dbmate (schema_migrations) · 2 applied")
            && shown.contains("applied  2  tags")
    });
    assert!(seen, "{}", screen(&app));
}

#[test]
fn the_overview_lists_the_first_changes_since_opening_and_counts_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    common::build(&db, &format!("PRAGMA journal_mode = WAL; {ITEMS}"));
    let mut app = open(&db);
    app.settle(Duration::from_secs(10));
    let created: String = (1..=8)
        .map(|k| format!("CREATE TABLE added_{k} (x);"))
        .collect();
    let other = Connection::open(&db).unwrap();
    other.execute_batch(&created).unwrap();
    let seen = run_until(&mut app, Duration::from_secs(5), |app| {
        screen(app).contains("… and 3 more")
    });
    let shown = screen(&app);
    assert!(seen, "{shown}");
    assert_eq!(shown.matches("schema: table added_").count(), 5, "{shown}");
}
