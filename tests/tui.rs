//! The TUI, drawn into ratatui's TestBackend: snapshots of every panel on a fixture built here,
//! and the state changes keys and clicks make. Workers are real threads on a real file.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use common::tui::{key, open, screen, type_text};
use common::*;
use litescope::engine::discover::discover;
use litescope::ui::action::Action;
use litescope::ui::app::{App, Msg};
use litescope::ui::command::Command;
use litescope::ui::draw::draw;
use litescope::ui::keymap::Keymap;
use litescope::ui::layout::Areas;
use litescope::ui::panels::data::Data;
use litescope::ui::panels::findings::Findings;
use litescope::ui::panels::query::Query;
use litescope::ui::panels::schema::Schema;
use litescope::ui::panels::{backups, findings, overview, query, schema};
use litescope::ui::theme::Theme;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{
    Event, KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::Rect;
use ratatui::Terminal;

const SHOP: &str = r#"
PRAGMA foreign_keys = OFF;
CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT UNIQUE, profile TEXT, avatar BLOB);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id),
    total REAL, note TEXT, created_at TEXT DEFAULT '2026-01-01');
CREATE TABLE order_items (order_id INTEGER REFERENCES orders(id), sku TEXT, qty INTEGER,
    PRIMARY KEY (order_id, sku)) WITHOUT ROWID;
CREATE TABLE reviews (id INTEGER PRIMARY KEY, customerId INTEGER, stars INTEGER);
CREATE INDEX orders_customer ON orders(customer_id);
CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100;
CREATE TRIGGER orders_touch AFTER UPDATE ON orders BEGIN SELECT 1; END;
CREATE VIRTUAL TABLE notes USING fts5(body);
INSERT INTO notes VALUES ('first note'), ('second note');
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20)
INSERT INTO customers SELECT i, 'Customer ' || i, 'c' || i || '@example.com',
    json_object('tier', i % 3, 'tags', json_array('a', 'b')), randomblob(0) || x'deadbeef' FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 450)
INSERT INTO orders SELECT i, 1 + i % 20, i * 1.5, CASE WHEN i = 2 THEN 'line one' || char(10) || 'line two' || char(27) || '[31m' END,
    '2026-02-' || printf('%02d', 1 + i % 28) FROM n;
INSERT INTO order_items VALUES (1, 'A-1', 2), (1, 'B-2', 1), (2, 'A-1', 5);
INSERT INTO reviews VALUES (1, 1, 5), (2, 2, 4), (3, 99, 1);
"#;

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    build(&dir.path().join("shop.db"), SHOP);
    dir
}

fn app_on(dir: &Path) -> App {
    let app = open(dir);
    assert!(!app.busy(), "jobs still running");
    app
}

fn data(app: &App) -> &Data {
    app.panels.get::<Data>().unwrap()
}

fn query(app: &App) -> &Query {
    app.panels.get::<Query>().unwrap()
}

fn snapshot(name: &str, app: &App) {
    let filters = vec![
        (r"\d+\.\d ms", "[ms]"),
        (r"\d{8}T\d{6}\.\d{3}Z", "[time]"),
        (r"/tmp/\.tmp\w+", "[dir]"),
    ];
    insta::with_settings!({filters => filters}, {
        insta::assert_snapshot!(name, screen(app));
    });
}

#[test]
fn every_panel_renders() {
    let dir = setup();
    let mut app = app_on(dir.path());
    snapshot("overview", &app);
    key(&mut app, KeyCode::Char('2'));
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Right);
    snapshot("schema_table_open", &app);
    for panel in ["5", "6", "7", "8"] {
        key(&mut app, KeyCode::Char(panel.chars().next().unwrap()));
        // The Migrations panel reads when first shown.
        app.settle(Duration::from_secs(20));
        snapshot(&format!("panel_{panel}"), &app);
    }
    key(&mut app, KeyCode::Char('?'));
    snapshot("help", &app);
}

#[test]
fn a_backup_from_the_panel_asks_first_then_writes_a_verified_copy() {
    let dir = setup();
    let mut app = app_on(dir.path());
    key(&mut app, KeyCode::Char('8'));
    app.settle(Duration::from_secs(20));
    assert!(screen(&app).contains("no backup"), "{}", screen(&app));
    key(&mut app, KeyCode::Char('b'));
    snapshot("backup_confirm", &app);
    let backups = dir.path().join("backups");
    key(&mut app, KeyCode::Char('n'));
    app.settle(Duration::from_secs(20));
    assert!(!backups.exists(), "a backup was written after no");
    key(&mut app, KeyCode::Char('b'));
    key(&mut app, KeyCode::Char('y'));
    app.settle(Duration::from_secs(20));
    let written: Vec<_> = std::fs::read_dir(&backups).unwrap().flatten().collect();
    assert_eq!(written.len(), 2, "the backup and its manifest");
    let text = screen(&app);
    assert!(
        text.contains("backed up to") && text.contains("verified"),
        "{text}"
    );
    assert!(text.contains("Backups (1)"), "{text}");
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Char('V'));
    app.settle(Duration::from_secs(20));
    let text = screen(&app);
    assert!(text.contains("ok: the backup matches"), "{text}");
}

#[test]
fn schema_shows_ddl_and_folds_shadow_tables() {
    let dir = setup();
    let mut app = app_on(dir.path());
    key(&mut app, KeyCode::Char('2'));
    let text = screen(&app);
    assert!(text.contains("notes"), "{text}");
    assert!(
        !text.contains("notes_data"),
        "shadow tables are folded: {text}"
    );
    // customers is the first table; Enter shows its DDL laid out one column per line.
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    let popup = app.popup.as_ref().expect("DDL popup");
    assert_eq!(popup.title, "table customers");
    assert!(screen(&app).contains("  name TEXT NOT NULL,"));
}

#[test]
fn data_pages_by_key_and_shows_values_whole_and_safe() {
    let dir = setup();
    let mut app = app_on(dir.path());
    key(&mut app, KeyCode::Char('3'));
    key(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "orders");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    app.settle(Duration::from_secs(10));
    snapshot("data_orders", &app);
    let page = data(&app).page.clone().unwrap();
    assert_eq!(page.rows.len(), 200);
    assert!(page.at_start && !page.at_end);
    key(&mut app, KeyCode::Char('G'));
    app.settle(Duration::from_secs(10));
    let last = data(&app).page.clone().unwrap();
    assert!(last.at_end);
    assert_eq!(last.rows.len(), 200);
    assert!(screen(&app).contains("last page"));
    key(&mut app, KeyCode::Char('g'));
    app.settle(Duration::from_secs(10));
    key(&mut app, KeyCode::Down);
    for _ in 0..3 {
        key(&mut app, KeyCode::Right);
    }
    assert!(!screen(&app).contains('\u{1b}'));
    assert!(screen(&app).contains("line one↵line two␛[31m"));
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.popup.as_ref().unwrap().title, "note");
    snapshot("data_value_popup", &app);
}

#[test]
fn the_data_grid_sorts_by_a_column_and_filters_rows_by_a_where_expression() {
    let dir = setup();
    let mut app = app_on(dir.path());
    open_orders(&mut app);
    let ids = |app: &App| -> Vec<String> {
        let page = data(app).page.clone().unwrap();
        page.rows
            .iter()
            .take(3)
            .map(|r| format!("{:?}", r[0]))
            .collect()
    };
    // `total` is the third column; `s` sorts by it, down on the second press.
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Char('s'));
    key(&mut app, KeyCode::Char('s'));
    app.settle(Duration::from_secs(10));
    assert_eq!(ids(&app), ["Int(450)", "Int(449)", "Int(448)"]);
    assert!(screen(&app).contains("by total ↓"), "{}", screen(&app));

    key(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "customer_id = 3 -- one customer");
    assert!(screen(&app).contains("where customer_id = 3 -- one customer▏"));
    key(&mut app, KeyCode::Enter);
    app.settle(Duration::from_secs(10));
    let page = data(&app).page.clone().unwrap();
    assert_eq!(page.rows.len(), 23);
    assert!(page.at_start && page.at_end);
    assert_eq!(ids(&app), ["Int(442)", "Int(422)", "Int(402)"]);
    snapshot("data_sorted_and_filtered", &app);

    // A typo keeps the rows on screen and offers the expression again to mend.
    key(&mut app, KeyCode::Char('/'));
    for _ in 0.." -- one customer".len() {
        key(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, " AND totl > 0");
    key(&mut app, KeyCode::Enter);
    app.settle(Duration::from_secs(10));
    assert_eq!(data(&app).page.clone().unwrap().rows.len(), 23);
    assert_eq!(
        data(&app).typing.as_deref(),
        Some("customer_id = 3 AND totl > 0")
    );
    assert!(
        screen(&app).contains("no such column: totl"),
        "{}",
        screen(&app)
    );
    key(&mut app, KeyCode::Esc);
    assert_eq!(
        data(&app).selection.filter.as_deref(),
        Some("customer_id = 3 -- one customer")
    );

    // An empty expression shows every row again; a third `s` drops the sort.
    key(&mut app, KeyCode::Char('/'));
    for _ in 0.."customer_id = 3 -- one customer".len() {
        key(&mut app, KeyCode::Backspace);
    }
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('s'));
    app.settle(Duration::from_secs(10));
    assert_eq!(ids(&app), ["Int(1)", "Int(2)", "Int(3)"]);
    assert_eq!(data(&app).selection, Default::default());
}

#[test]
fn f_follows_a_foreign_key_to_its_row_and_esc_comes_back_to_the_same_place() {
    let dir = setup();
    let mut app = app_on(dir.path());
    open_orders(&mut app);
    key(&mut app, KeyCode::PageDown);
    app.settle(Duration::from_secs(10));
    for _ in 0..3 {
        key(&mut app, KeyCode::Down);
    }
    key(&mut app, KeyCode::Right);
    assert!(screen(&app).contains("f follow"), "{}", screen(&app));
    let row = data(&app).page.clone().unwrap().rows[3].clone();
    assert_eq!(row[0], litescope::engine::browse::Cell::Int(204));
    key(&mut app, KeyCode::Char('f'));
    app.settle(Duration::from_secs(10));
    let d = data(&app);
    assert_eq!(d.open.as_ref().unwrap().1, "customers");
    assert_eq!(d.selection.filter.as_deref(), Some("\"id\" = 5"));
    let page = d.page.clone().unwrap();
    assert_eq!(page.rows.len(), 1);
    assert_eq!(page.rows[0][0], litescope::engine::browse::Cell::Int(5));
    assert!(screen(&app).contains("1 matching"), "{}", screen(&app));
    assert!(screen(&app).contains("Esc back"));

    key(&mut app, KeyCode::Esc);
    app.settle(Duration::from_secs(10));
    let d = data(&app);
    assert_eq!(d.open.as_ref().unwrap().1, "orders");
    assert_eq!((d.row, d.col, d.page_no), (3, 1, Some(1)));
    assert_eq!(d.page.clone().unwrap().rows[3][0], row[0]);
    assert_eq!(d.selection, Default::default());
    key(&mut app, KeyCode::Esc);
    assert!(!data(&app).in_grid);

    // An inferred relation is followed too; an orphan finds nothing.
    key(&mut app, KeyCode::Char('/'));
    for _ in 0.."orders".len() {
        key(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "reviews");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    app.settle(Duration::from_secs(10));
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Char('f'));
    app.settle(Duration::from_secs(10));
    assert_eq!(data(&app).selection.filter.as_deref(), Some("\"id\" = 99"));
    assert!(screen(&app).contains("0 matching"), "{}", screen(&app));
    key(&mut app, KeyCode::Esc);
    app.settle(Duration::from_secs(10));
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Char('f'));
    assert!(screen(&app).contains("reviews.stars refers to no table"));
}

#[test]
fn tab_completes_names_from_the_schema_and_the_aliases_the_query_gives() {
    let dir = setup();
    let mut app = app_on(dir.path());
    key(&mut app, KeyCode::Char('4'));
    key(&mut app, KeyCode::Char('i'));
    let text = |app: &App| query(app).editor.lines().join("\n");
    type_text(&mut app, "SELECT * FROM ord");
    key(&mut app, KeyCode::Tab);
    let items = query(&app).completion.clone().unwrap().items;
    assert_eq!(items, ["orders", "order_items", "order"]);
    key(&mut app, KeyCode::Enter);
    assert_eq!(text(&app), "SELECT * FROM orders");
    // One column fits: it is written at once.
    type_text(&mut app, " o WHERE o.cu");
    key(&mut app, KeyCode::Tab);
    assert_eq!(text(&app), "SELECT * FROM orders o WHERE o.customer_id");
    // Several fit: they are shown, typing narrows them, Down and Enter take one.
    type_text(&mut app, " > 1 AND o.");
    key(&mut app, KeyCode::Tab);
    let items = query(&app).completion.clone().unwrap().items;
    assert_eq!(items, ["id", "customer_id", "total", "note", "created_at"]);
    snapshot("query_completion", &app);
    type_text(&mut app, "c");
    assert_eq!(
        query(&app).completion.clone().unwrap().items,
        ["customer_id", "created_at"]
    );
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    assert!(query(&app).completion.is_none());
    assert_eq!(
        text(&app),
        "SELECT * FROM orders o WHERE o.customer_id > 1 AND o.created_at"
    );
    // Esc closes the list and keeps the editor; Tab after a space indents as before.
    type_text(&mut app, " IS NOT NULL AND o.");
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Esc);
    assert!(query(&app).completion.is_none() && query(&app).editing);
    for _ in 0.."AND o.".len() {
        key(&mut app, KeyCode::Backspace);
    }
    key(&mut app, KeyCode::F(5));
    app.settle(Duration::from_secs(10));
    let want: Vec<i64> = common::query(
        &dir.path().join("shop.db"),
        "SELECT count(*) FROM orders WHERE customer_id > 1 AND created_at IS NOT NULL",
    );
    assert_eq!(query(&app).rows.len() as i64, want[0]);
}

fn run_query(app: &mut App, sql: &str) {
    key(app, KeyCode::Char('4'));
    key(app, KeyCode::Char('i'));
    type_text(app, sql);
    key(app, KeyCode::F(5));
    app.settle(Duration::from_secs(10));
}

#[test]
fn query_streams_results_with_plan_and_refuses_writes() {
    let dir = setup();
    let mut app = app_on(dir.path());
    let history = query(&app).history.len();
    run_query(
        &mut app,
        "SELECT customer_id, count(*) AS n FROM orders GROUP BY customer_id ORDER BY n DESC",
    );
    let s = query(&app);
    assert_eq!(s.columns, ["customer_id", "n"]);
    assert_eq!(s.rows.len(), 20);
    assert!(s.plan.iter().any(|p| p.detail.contains("orders_customer")));
    snapshot("query_results", &app);
    key(&mut app, KeyCode::Char('i'));
    for _ in 0..200 {
        key(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "DELETE FROM orders");
    key(&mut app, KeyCode::F(5));
    app.settle(Duration::from_secs(10));
    let (text, is_error) = query(&app).outcome.clone().unwrap();
    assert!(is_error && text.contains("read-only"), "{text}");
    assert_eq!(query(&app).history.len(), history + 2);
}

#[test]
fn findings_and_relations_come_from_the_audit() {
    let dir = setup();
    let mut app = app_on(dir.path());
    let rules: Vec<&str> = app.view.all_findings().iter().map(|f| f.rule).collect();
    assert!(rules.contains(&"naming-mixed"), "{rules:?}");
    assert!(rules.contains(&"json-in-text"), "{rules:?}");
    let rels = app.view.dbs[0].relations.clone().unwrap();
    let orders = rels.iter().find(|r| r.child == "orders").unwrap();
    assert_eq!(orders.orphans, Some(0));
    let reviews = rels.iter().find(|r| r.child == "reviews").unwrap();
    assert!(!reviews.declared);
    assert_eq!(reviews.orphans, Some(1));
    key(&mut app, KeyCode::Char('5'));
    key(&mut app, KeyCode::Char('v'));
    assert!(app.panels.get::<Findings>().unwrap().severity.is_some());
    key(&mut app, KeyCode::Char('v'));
    key(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "orphan");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.panel(), schema::ID, "Enter jumps to the object");
    assert!(app.popup.as_ref().unwrap().title.starts_with("orphan-rows"));
}

#[test]
fn keys_and_clicks_move_between_panels() {
    let dir = setup();
    let mut app = app_on(dir.path());
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.panel(), schema::ID);
    app.handle(Msg::Input(
        Event::Key(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT)),
        Instant::now(),
    ));
    app.handle(Msg::Input(
        Event::Key(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT)),
        Instant::now(),
    ));
    assert_eq!(app.panel(), backups::ID);
    let &(_, x, _) = app.areas.tabs.iter().find(|t| t.0 == query::ID).unwrap();
    let click = MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: x + 1,
        row: 1,
        modifiers: KeyModifiers::NONE,
    };
    app.handle(Msg::Input(Event::Mouse(click), Instant::now()));
    assert_eq!(app.panel(), query::ID);
    app.update(Action::Help);
    assert!(app.help);
    app.update(Action::Escape);
    assert!(!app.help);
    app.update(Action::Quit);
    assert!(app.quit);
}

#[test]
fn keys_are_answered_while_a_query_runs_and_esc_cancels_it() {
    let dir = setup();
    let mut app = app_on(dir.path());
    key(&mut app, KeyCode::Char('4'));
    key(&mut app, KeyCode::Char('i'));
    type_text(
        &mut app,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n",
    );
    key(&mut app, KeyCode::F(5));
    assert!(
        query(&app).job.is_some(),
        "the query runs in the background"
    );
    let started = Instant::now();
    key(&mut app, KeyCode::Char('5'));
    assert_eq!(app.panel(), findings::ID);
    key(&mut app, KeyCode::Char('4'));
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "keys do not wait for the query"
    );
    assert!(query(&app).job.is_some());
    key(&mut app, KeyCode::Esc);
    app.settle(Duration::from_secs(10));
    assert_eq!(query(&app).outcome, Some(("cancelled".to_string(), true)));
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// `shop.db` beside a smaller database that sorts before it, so that the first in focus is not
/// the one the findings are about.
fn two_databases() -> tempfile::TempDir {
    let dir = setup();
    build(
        &dir.path().join("aaa.db"),
        "CREATE TABLE things (id INTEGER PRIMARY KEY, label TEXT);",
    );
    dir
}

fn header(app: &App) -> String {
    screen(app).lines().next().unwrap_or_default().to_string()
}

#[test]
fn a_jump_from_findings_puts_its_database_in_focus() {
    let dir = two_databases();
    let mut app = app_on(dir.path());
    assert!(header(&app).contains("aaa.db"), "{}", header(&app));
    key(&mut app, KeyCode::Char('5'));
    key(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "orphan");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.panel(), schema::ID);
    key(&mut app, KeyCode::Esc);
    assert!(header(&app).contains("shop.db"), "{}", header(&app));
    let tree = schema::nodes(app.panels.get::<Schema>().unwrap(), &app.view);
    let selected = app.panels.get::<Schema>().unwrap().selected;
    assert_eq!(tree[selected].key, "d1/t/reviews");
    // Data lists the tables of the database jumped to.
    key(&mut app, KeyCode::Char('3'));
    let text = screen(&app);
    assert!(
        text.contains("orders") && !text.contains("things"),
        "{text}"
    );
}

#[test]
fn a_jump_command_reveals_an_index_under_its_table_or_moves_nothing() {
    let dir = two_databases();
    let mut app = app_on(dir.path());
    app.apply(Command::Jump {
        db: 1,
        object: "no_such_table".into(),
    });
    assert_eq!(app.panel(), overview::ID, "an unknown object moves nothing");
    assert_eq!(app.view.focus, 0);
    app.apply(Command::Jump {
        db: 1,
        object: "orders_customer".into(),
    });
    assert_eq!(app.panel(), schema::ID);
    assert_eq!(app.view.focus, 1);
    let tree = schema::nodes(app.panels.get::<Schema>().unwrap(), &app.view);
    let selected = app.panels.get::<Schema>().unwrap().selected;
    assert_eq!(tree[selected].key, "d1/t/orders");
}

#[test]
fn a_message_about_the_database_in_focus_goes_when_the_focus_moves() {
    let dir = setup();
    std::fs::write(dir.path().join("aaa.db"), b"").unwrap();
    let mut app = app_on(dir.path());
    assert!(header(&app).contains("aaa.db"), "{}", header(&app));
    run_query(&mut app, "SELECT 1");
    let refused = "the database in focus cannot be queried";
    assert!(screen(&app).contains(refused), "{}", screen(&app));
    key(&mut app, KeyCode::Esc);
    assert!(
        screen(&app).contains(refused),
        "leaving the editor keeps it"
    );
    key(&mut app, KeyCode::Char(']'));
    assert!(header(&app).contains("shop.db"), "{}", header(&app));
    assert!(!screen(&app).contains(refused), "{}", screen(&app));
    // The same through the Overview.
    key(&mut app, KeyCode::Char('1'));
    key(&mut app, KeyCode::Up);
    run_query(&mut app, "SELECT 1");
    assert!(screen(&app).contains(refused));
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('1'));
    key(&mut app, KeyCode::Down);
    assert!(!screen(&app).contains(refused), "{}", screen(&app));
    // A message about no database in particular stays.
    key(&mut app, KeyCode::Char('r'));
    key(&mut app, KeyCode::Char('['));
    let text = app.message.as_ref().map(|m| m.text.as_str());
    assert_eq!(text, Some("re-reading every database"));
    app.settle(Duration::from_secs(20));
}

fn buffer(app: &App, width: u16, height: u16) -> ratatui::buffer::Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| draw(f, app)).unwrap();
    terminal.backend().buffer().clone()
}

/// The text of line `y` of a buffer.
fn line(buf: &ratatui::buffer::Buffer, y: u16) -> String {
    (0..buf.area.width)
        .map(|x| buf[(x, y)].symbol().to_string())
        .collect()
}

/// Where `text` starts on line `y`, in columns.
fn column_of(buf: &ratatui::buffer::Buffer, y: u16, text: &str) -> Option<u16> {
    let l = line(buf, y);
    let at = l.find(text)?;
    Some(l[..at].chars().count() as u16)
}

fn open_orders(app: &mut App) {
    key(app, KeyCode::Char('3'));
    key(app, KeyCode::Char('/'));
    type_text(app, "orders");
    key(app, KeyCode::Enter);
    key(app, KeyCode::Enter);
    app.settle(Duration::from_secs(10));
}

#[test]
fn the_grid_shows_its_selected_cell_and_scrolls_only_when_it_must() {
    let dir = setup();
    let mut app = app_on(dir.path());
    open_orders(&mut app);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Right);
    let buf = buffer(&app, 110, 32);
    let theme = Theme::dark();
    // Line 3 is the header, line 5 the second row, selected.
    let x = column_of(&buf, 3, "customer_id").unwrap();
    assert_eq!(
        buf[(x + 10, 5)].bg,
        theme.selected_cell.bg.unwrap(),
        "the cell"
    );
    let id = column_of(&buf, 3, "id ").unwrap();
    assert_eq!(
        buf[(id, 5)].bg,
        theme.selected.bg.unwrap(),
        "the rest of the row"
    );
    assert_ne!(buf[(id, 5)].bg, buf[(x + 10, 5)].bg);
    // Every column fits at 110: moving to the last scrolls nothing away.
    for _ in 0..3 {
        key(&mut app, KeyCode::Right);
    }
    assert_eq!(data(&app).col, 4);
    let header = line(&buffer(&app, 110, 32), 3);
    assert!(header.contains("│id  customer_id"), "{header}");
    assert!(!header.contains("columns"), "{header}");
    // At 60 columns, some are out of view and the grid says so.
    for _ in 0..4 {
        key(&mut app, KeyCode::Left);
    }
    let buf = buffer(&app, 60, 20);
    let bottom = line(&buf, 18);
    assert!(bottom.contains("columns 1–"), "{bottom}");
    assert!(bottom.contains("of 5 ›"), "{bottom}");
    assert!(
        line(&buf, 3).trim_end().ends_with("›│"),
        "{}",
        line(&buf, 3)
    );
    // The selected column stays in view however narrow.
    for _ in 0..4 {
        key(&mut app, KeyCode::Right);
    }
    let buf = buffer(&app, 60, 20);
    assert!(line(&buf, 3).contains("created_at"), "{}", line(&buf, 3));
    assert!(line(&buf, 18).contains("‹ columns"), "{}", line(&buf, 18));
}

#[test]
fn help_groups_keys_by_panel_with_room_between_keys_and_labels() {
    let keymap = Keymap::new(&HashMap::new()).unwrap();
    let groups: Vec<&str> = keymap.help().iter().map(|(g, _)| g.title()).collect();
    assert_eq!(groups[0], "Global", "{groups:?}");
    assert!(groups.iter().any(|g| g.starts_with("Query")), "{groups:?}");
    assert!(
        groups.iter().any(|g| g.starts_with("Findings")),
        "{groups:?}"
    );
    let dir = setup();
    let mut app = app_on(dir.path());
    key(&mut app, KeyCode::Char('?'));
    let text = (0..60)
        .map(|y| line(&buffer(&app, 110, 80), y))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        text.contains("8                     go to Backups"),
        "{text}"
    );
    assert!(!text.contains("Backupsgo"), "{text}");
    let at = |s: &str| {
        text.find(s)
            .unwrap_or_else(|| panic!("{s} missing: {text}"))
    };
    assert!(at("Global") < at("quit") && at("quit") < at("In every panel"));
    assert!(at("In every panel") < at("move down") && at("move down") < at("Query (4)"));
    assert!(at("Query (4)") < at("run the query") && at("run the query") < at("Findings (5)"));
    assert!(at("  y                     copy") > at("In every panel"));
}

/// What the app queued for the clipboard last, and what the status line says of it.
fn copied(app: &App) -> (String, String) {
    let text = app.clipboard.last().cloned().unwrap_or_default();
    let said = app
        .message
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default();
    (text, said)
}

#[test]
fn y_copies_what_is_selected_in_every_panel() {
    let dir = setup();
    let mut app = app_on(dir.path());
    key(&mut app, KeyCode::Char('y'));
    let (text, said) = copied(&app);
    assert!(
        text.ends_with("shop.db"),
        "Overview copies the path: {text}"
    );
    assert!(said.starts_with("copied the path of shop.db"), "{said}");
    for panel in ['7', '8'] {
        key(&mut app, KeyCode::Char(panel));
        app.clipboard.clear();
        key(&mut app, KeyCode::Char('y'));
        assert!(
            copied(&app).0.ends_with("shop.db"),
            "panel {panel}: {:?}",
            copied(&app)
        );
    }
    // Data: a value, and the row as JSON.
    open_orders(&mut app);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Char('y'));
    assert_eq!(
        copied(&app),
        ("3".to_string(), "copied 1 value (1 byte)".to_string())
    );
    key(&mut app, KeyCode::Char('Y'));
    let (text, said) = copied(&app);
    assert!(
        text.starts_with(r#"{"id":2,"customer_id":3,"total":3.0,"note":"line one\nline two"#),
        "{text}"
    );
    assert!(said.starts_with("copied 1 row as JSON ("), "{said}");
    // In the value popup, the value.
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('y'));
    let (text, said) = copied(&app);
    assert_eq!(text, "line one\nline two\u{1b}[31m", "the value as stored");
    assert_eq!(said, "copied 1 value (22 bytes)");
    key(&mut app, KeyCode::Esc);
    // Schema: the DDL.
    key(&mut app, KeyCode::Char('2'));
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char('y'));
    let (text, said) = copied(&app);
    assert!(text.contains("CREATE TABLE customers"), "{text}");
    assert!(said.contains("DDL"), "{said}");
    // Findings: a fix.
    key(&mut app, KeyCode::Char('5'));
    key(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "orphan");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('y'));
    let (text, said) = copied(&app);
    assert!(text.contains("reviews"), "{text}");
    assert!(said.starts_with("copied the fix for orphan-rows"), "{said}");
    // Relations: the fix and the rebuild.
    key(&mut app, KeyCode::Char('6'));
    key(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "reviews");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('y'));
    assert!(copied(&app).0.contains("reviews"), "{:?}", copied(&app));
    // Query: the results as CSV.
    run_query(&mut app, "SELECT id, name FROM customers WHERE id <= 2");
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('y'));
    let (text, said) = copied(&app);
    assert_eq!(text, "id,name\r\n1,Customer 1\r\n2,Customer 2\r\n");
    assert_eq!(said, "copied 2 rows as CSV (37 bytes)");
}

#[test]
fn long_text_ends_in_an_ellipsis_and_the_message_column_keeps_its_room() {
    let dir = setup();
    let mut app = app_on(dir.path());
    key(&mut app, KeyCode::Char('5'));
    let list = app.panels.get::<Findings>().unwrap().listed(&app.view);
    let (_, _, message) = findings::column_widths(&list, 90);
    assert!(
        message >= 25,
        "the message column is {message} wide at 90 columns"
    );
    let buf = buffer(&app, 90, 30);
    let text: Vec<String> = (0..30).map(|y| line(&buf, y)).collect();
    assert!(text.iter().any(|l| l.contains('…')), "{}", text.join("\n"));
    // Relations: a name too long for its column keeps its end as `…`, and Enter shows it whole.
    key(&mut app, KeyCode::Char('6'));
    key(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "reviews");
    key(&mut app, KeyCode::Enter);
    let buf = buffer(&app, 60, 30);
    let row = line(&buf, 4);
    assert!(
        row.contains("reviews(customerId) → custo…"),
        "{}",
        (0..30)
            .map(|y| line(&buf, y))
            .collect::<Vec<_>>()
            .join("\n")
    );
    key(&mut app, KeyCode::Enter);
    let popup = app.popup.as_ref().expect("Enter opens the relation");
    assert_eq!(popup.title, "reviews(customerId) → customers(id)");
    let body: String = popup
        .body
        .lines
        .iter()
        .map(|l| l.to_string() + "\n")
        .collect();
    assert!(
        body.contains("CREATE TABLE"),
        "the rebuild is all there: {body}"
    );
}

#[test]
fn backups_are_listed_after_the_database_they_copy_and_a_live_one_is_in_focus() {
    let dir = setup();
    std::fs::create_dir(dir.path().join("backups")).unwrap();
    std::fs::copy(
        dir.path().join("shop.db"),
        dir.path().join("backups/shop-20261001T000000Z.db"),
    )
    .unwrap();
    std::fs::copy(
        dir.path().join("shop.db"),
        dir.path().join("shop.db.backup"),
    )
    .unwrap();
    build(&dir.path().join("zeta.db"), "CREATE TABLE z (id INTEGER);");
    let app = app_on(dir.path());
    let names: Vec<&str> = app.view.dbs.iter().map(|d| d.name()).collect();
    assert_eq!(
        names,
        [
            "shop.db",
            "backups/shop-20261001T000000Z.db",
            "shop.db.backup",
            "zeta.db"
        ]
    );
    assert!(header(&app).contains("│ shop.db "), "{}", header(&app));
}

#[test]
fn a_damaged_file_shows_consistent_facts_and_what_can_be_read() {
    let (dir, _) = corpus_copy("edge/sqlite-altercorrupt-t1-freelist.db");
    std::env::set_var(
        "LITESCOPE_CONFIG_DIR",
        std::env::temp_dir().join(format!("litescope-test-config-{}", std::process::id())),
    );
    let mut app = app_on(dir.path());
    let m = app.view.dbs[0].model.clone().unwrap();
    let problems = m.integrity.problems().len();
    let text = screen(&app);
    // The count shown is the one the summary counts: the first and "(and N more)".
    assert!(
        text.contains(&format!("quick_check {problems} problems")),
        "{text}"
    );
    let summary = m.error.clone().unwrap_or_default();
    assert!(
        summary.contains(&format!("(and {} more)", problems - 1)),
        "{summary}"
    );
    assert!(!text.contains("389120"), "{text}");
    assert!(
        m.free_bytes().is_none_or(|b| b <= m.size_bytes),
        "{:?}",
        m.free_bytes()
    );
    assert!(text.contains("the header claims 389,120"), "{text}");
    // Schema shows what SQLite could read, marked as from a damaged file.
    key(&mut app, KeyCode::Char('2'));
    let text = screen(&app);
    assert!(text.contains("damaged file"), "{text}");
    assert!(text.contains("t1"), "{text}");
    // Data lists the tables and reads t1's 10 rows, as the sqlite3 shell does.
    key(&mut app, KeyCode::Char('3'));
    let text = screen(&app);
    assert!(text.contains("This file is damaged"), "{text}");
    key(&mut app, KeyCode::Enter);
    app.settle(Duration::from_secs(10));
    let page = data(&app).page.clone().expect("t1 reads");
    assert_eq!(data(&app).open.as_ref().unwrap().1, "t1");
    assert_eq!(page.rows.len(), 10);
    assert!(
        screen(&app).contains("t1 · damaged file"),
        "{}",
        screen(&app)
    );
}

#[test]
fn the_query_grid_highlights_its_selected_cell_too() {
    let dir = setup();
    let mut app = app_on(dir.path());
    run_query(&mut app, "SELECT id, name, email FROM customers");
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Right);
    let buf = buffer(&app, 110, 32);
    let theme = Theme::dark();
    let y = (0..32)
        .find(|&y| line(&buf, y).contains("│id"))
        .expect("the results header");
    let x = column_of(&buf, y, "name").unwrap();
    assert_eq!(buf[(x, y + 1)].bg, theme.selected_cell.bg.unwrap());
    assert_eq!(buf[(x - 3, y + 1)].bg, theme.selected.bg.unwrap());
}

#[test]
fn a_file_with_nothing_readable_says_why_in_schema_and_data() {
    let (dir, _) = corpus_copy("edge/sqlite-corruptL-t2-malformed-schema.db");
    let mut app = app_on(dir.path());
    key(&mut app, KeyCode::Char('2'));
    let text = screen(&app);
    assert!(
        text.contains("corrupt: malformed database schema"),
        "{text}"
    );
    key(&mut app, KeyCode::Char('3'));
    let text = screen(&app);
    assert!(
        text.contains("Nothing can be read from this file"),
        "{text}"
    );
    assert!(text.contains("malformed database schema"), "{text}");
}

/// A dbmate project: `data/app.db` records versions 1 and 2 and a version 0 whose file is gone;
/// `migrations/` holds 1, 2 and a pending 3.
fn dbmate_project() -> tempfile::TempDir {
    let dir = setup();
    std::fs::remove_file(dir.path().join("shop.db")).unwrap();
    let migrations = dir.path().join("migrations");
    std::fs::create_dir_all(&migrations).unwrap();
    let files = [
        ("1_users.sql", "-- migrate:up\nCREATE TABLE users (id INTEGER PRIMARY KEY);\n\n-- migrate:down\nDROP TABLE users;\n"),
        ("2_posts.sql", "-- migrate:up\nCREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER);\n\n-- migrate:down\nDROP TABLE posts;\n"),
        ("3_tags.sql", "-- migrate:up\nCREATE TABLE tags (name TEXT);\n\n-- migrate:down\nDROP TABLE tags;\n"),
    ];
    for (name, text) in files {
        std::fs::write(migrations.join(name), text).unwrap();
    }
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    build(
        &dir.path().join("data/app.db"),
        "CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY);
         INSERT INTO schema_migrations VALUES ('0'), ('1'), ('2');
         CREATE TABLE users (id INTEGER PRIMARY KEY);
         CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER);",
    );
    std::fs::write(dir.path().join("data/broken.db"), "").unwrap();
    dir
}

/// Handles messages until `done` holds, for up to 20 s (a watcher's event has no job to wait on).
fn wait_until(app: &mut App, done: impl Fn(&App) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done(app) && Instant::now() < deadline {
        if let Some(msg) = app.next_msg(Some(Duration::from_millis(100))) {
            app.handle(msg);
        }
    }
    app.settle(Duration::from_secs(20));
}

#[test]
fn migrations_show_each_state_the_sql_and_follow_the_folder() {
    let dir = dbmate_project();
    let mut app = app_on(dir.path());
    key(&mut app, KeyCode::Char('7'));
    app.settle(Duration::from_secs(20));
    let shown = screen(&app);
    assert!(
        shown.contains("dbmate (schema_migrations) · 2 applied · 1 pending · 1 missing"),
        "{shown}"
    );
    assert!(
        shown.contains("broken.db  empty: no migrations to read"),
        "{shown}"
    );
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Down);
    snapshot("migrations_sql", &app);

    std::fs::write(
        dir.path().join("migrations/4_more.sql"),
        "-- migrate:up\nCREATE TABLE more (x);\n",
    )
    .unwrap();
    wait_until(&mut app, |app| screen(app).contains("2 pending"));
    assert!(screen(&app).contains("2 applied · 2 pending · 1 missing"));
    key(&mut app, KeyCode::Char('y'));
    let (text, what) = copied(&app);
    assert!(text.contains("CREATE TABLE users"), "{what}: {text}");
}

#[test]
fn migrations_from_the_panel_ask_first_then_run_and_are_read_again() {
    let _config = setup();
    let dir = tempfile::tempdir().unwrap();
    build(
        &dir.path().join("app.db"),
        "PRAGMA user_version = 0; VACUUM;",
    );
    let folder = dir.path().join("migrations");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(
        folder.join("1_users.sql"),
        "CREATE TABLE users(id INTEGER PRIMARY KEY);\n",
    )
    .unwrap();
    std::fs::write(
        folder.join("2_posts.sql"),
        "CREATE TABLE posts(id INTEGER PRIMARY KEY);\n",
    )
    .unwrap();
    let mut app = app_on(dir.path());
    key(&mut app, KeyCode::Char('7'));
    app.settle(Duration::from_secs(20));
    assert!(screen(&app).contains("2 pending"), "{}", screen(&app));
    key(&mut app, KeyCode::Char('p'));
    app.settle(Duration::from_secs(20));
    let text = screen(&app);
    assert!(text.contains("dry run on a private copy"), "{text}");
    assert!(
        text.contains("+ table posts") && text.contains("users: - -> 0"),
        "{text}"
    );
    assert!(
        text.contains("2 pending"),
        "the dry run wrote nothing: {text}"
    );
    assert!(
        !dir.path().join("backups").exists(),
        "a dry run takes no backup"
    );
    key(&mut app, KeyCode::Char('u'));
    app.settle(Duration::from_secs(20));
    let text = screen(&app);
    assert!(text.contains("Apply 2 migrations to app.db?"), "{text}");
    assert!(
        text.contains("apply 1 users") && text.contains("back up first to"),
        "{text}"
    );
    key(&mut app, KeyCode::Char('n'));
    app.settle(Duration::from_secs(20));
    assert!(!dir.path().join("backups").exists(), "written after no");

    key(&mut app, KeyCode::Char('u'));
    app.settle(Duration::from_secs(20));
    key(&mut app, KeyCode::Char('y'));
    app.settle(Duration::from_secs(20));
    let text = screen(&app);
    assert!(
        text.contains("2 migrations run") && text.contains("2 applied"),
        "{text}"
    );
    assert!(text.contains("done 2 posts"), "{text}");
    let conn = rusqlite::Connection::open(dir.path().join("app.db")).unwrap();
    let n: i64 = conn
        .query_row("SELECT count(*) FROM _sqlx_migrations", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 2);
}

#[test]
fn a_fix_applied_from_findings_asks_first_then_is_backed_up_applied_and_audited_again() {
    // WAL mode: the worker's idle connection must make way for the writer's exclusive lock.
    let _config = setup();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    build(
        &db,
        "PRAGMA journal_mode=WAL;
         CREATE TABLE users(id INTEGER PRIMARY KEY);
         CREATE TABLE posts(id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id));
         INSERT INTO users VALUES (1); INSERT INTO posts VALUES (1, 1);",
    );
    let mut app = app_on(dir.path());
    key(&mut app, KeyCode::Char('5'));
    key(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "fk-missing-index");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('a'));
    app.settle(Duration::from_secs(20));
    let text = screen(&app);
    assert!(text.contains("Apply this fix to app.db?"), "{text}");
    assert!(
        text.contains("CREATE INDEX \"idx_posts_user_id\""),
        "{text}"
    );
    assert!(
        text.contains("record it in _litescope_migrations"),
        "{text}"
    );
    key(&mut app, KeyCode::Char('n'));
    app.settle(Duration::from_secs(20));
    assert!(!dir.path().join("backups").exists(), "written after no");

    key(&mut app, KeyCode::Char('a'));
    app.settle(Duration::from_secs(20));
    key(&mut app, KeyCode::Char('y'));
    app.settle(Duration::from_secs(20));
    let text = screen(&app);
    assert!(text.contains("fix applied and recorded"), "{text}");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let index: String = conn
        .query_row("SELECT name FROM pragma_index_list('posts')", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(index, "idx_posts_user_id");
    assert!(dir.path().join("backups").is_dir());
    let rules: Vec<&str> = app.view.all_findings().iter().map(|f| f.rule).collect();
    assert!(
        !rules.contains(&"fk-missing-index"),
        "audited again: {rules:?}"
    );
}

#[test]
fn the_plan_marks_costly_steps_and_shows_a_suggestion_beside_it() {
    let dir = setup();
    let mut app = app_on(dir.path());
    run_query(
        &mut app,
        "SELECT id, total FROM orders WHERE note = 'x' ORDER BY created_at DESC",
    );
    let advice = &query(&app).advice;
    let shown = advice.shown().expect("the run was planned again");
    assert_eq!(shown.full_scans, ["orders"]);
    assert!(shown.temp_btree);
    assert_eq!(shown.suggestions[0].columns, ["note", "created_at"]);
    let text = screen(&app);
    assert!(text.contains("! full scan"), "{text}");
    assert!(text.contains("USE TEMP B-TREE FOR ORDER BY  !"), "{text}");
    snapshot("query_plan_advice", &app);
    key(&mut app, KeyCode::Char('a'));
    assert_eq!(query(&app).advice.applied, Some(0));
    let text = screen(&app);
    assert!(
        text.contains("Plan now") && text.contains("Plan with idx_orders_note_created_at_desc")
    );
    assert!(text.contains("SEARCH orders USING INDEX"), "{text}");
    snapshot("query_plan_beside", &app);
    key(&mut app, KeyCode::Char('y'));
    let (copied_text, said) = copied(&app);
    assert_eq!(
        copied_text,
        r#"CREATE INDEX "idx_orders_note_created_at_desc" ON "orders"("note", "created_at" DESC);"#
    );
    assert!(
        said.contains("CREATE INDEX idx_orders_note_created_at_desc"),
        "{said}"
    );
    key(&mut app, KeyCode::Esc);
    assert_eq!(query(&app).advice.applied, None);
    // The suggestion was proven on a private copy: the file has no such index.
    let conn = rusqlite::Connection::open(dir.path().join("shop.db")).unwrap();
    let n: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name LIKE 'idx_%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 0);
}

#[test]
fn a_workload_opens_as_a_list_of_statements_and_enter_shows_a_plan() {
    use litescope::ui::panels::query::advice::Workload;
    let dir = setup();
    let found = discover(&[dir.path().to_path_buf()]).unwrap();
    let mut app = App::new(found, Theme::dark(), Keymap::new(&HashMap::new()).unwrap());
    app.areas = Areas::compute(Rect::new(0, 0, 110, 32));
    let text = "SELECT * FROM orders WHERE customer_id = ?;\n\
                SELECT * FROM customers WHERE name = :name;\n\
                DELETE FROM reviews WHERE stars < 2;\nSELECT * FROM nowhere";
    app.set_workload(Workload {
        name: "app.sql".into(),
        statements: litescope::engine::plan::statements(text),
    });
    app.settle(Duration::from_secs(20));
    assert_eq!(app.panel(), query::ID);
    let listed = query(&app)
        .advice
        .listed
        .as_ref()
        .expect("planned at start");
    assert_eq!(listed.queries.len(), 4);
    assert!(!listed.queries[0].is_costly());
    assert_eq!(listed.queries[1].suggestions[0].columns, ["name"]);
    assert!(!listed.queries[3].ok);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    assert_eq!(query(&app).advice.opened, Some(1));
    let text = screen(&app);
    assert!(text.contains("SCAN customers"), "{text}");
    snapshot("query_workload", &app);
    // w goes back to the results, and again to the list; Esc leaves it.
    key(&mut app, KeyCode::Char('w'));
    assert!(!query(&app).advice.listing);
    key(&mut app, KeyCode::Char('w'));
    app.settle(Duration::from_secs(20));
    assert!(query(&app).advice.listing);
    key(&mut app, KeyCode::Esc);
    assert!(!query(&app).advice.listing);
}

#[test]
fn schema_compares_the_selected_database_with_the_next_and_copies_the_sql() {
    let dir = setup();
    build(
        &dir.path().join("shop2.db"),
        &SHOP
            .replace("email TEXT", "email TEXT NOT NULL DEFAULT ''")
            .replace("CREATE VIEW big_orders", "CREATE VIEW big_orders2"),
    );
    let mut app = app_on(dir.path());
    key(&mut app, KeyCode::Char('2'));
    key(&mut app, KeyCode::Char('c'));
    app.settle(Duration::from_secs(20));
    let text = screen(&app);
    assert!(
        text.contains("A: shop.db") && text.contains("B: shop2.db"),
        "{text}"
    );
    assert!(
        text.contains("- view big_orders") && text.contains("+ view big_orders2"),
        "{text}"
    );
    assert!(text.contains("~ table customers"), "{text}");
    snapshot("schema_compare", &app);
    key(&mut app, KeyCode::Char('y'));
    let (sql, what) = copied(&app);
    assert!(what.contains("SQL from the first schema"), "{what}");
    assert!(
        sql.contains("CREATE VIEW") && sql.contains("\"customers\""),
        "{sql}"
    );
    // The copied SQL turns the first schema into the second (run on a copy, as printed).
    let copy = dir.path().join("copy.db");
    std::fs::copy(dir.path().join("shop.db"), &copy).unwrap();
    let (code, err) = sqlite3(&copy, &sql);
    assert_eq!(code, 0, "{err}");
    let b = dir.path().join("shop2.db");
    let (code, out, _) = litescope(&["diff".as_ref(), copy.as_os_str(), b.as_os_str()]);
    assert_eq!(code, 0, "the schemas are the same after the SQL: {out}");
    key(&mut app, KeyCode::Esc);
    assert!(app.panels.get::<Schema>().unwrap().compare.is_none());
    assert!(screen(&app).contains("c compare"));
}

#[test]
fn dot_read_in_the_editor_opens_a_workload_file_from_the_panel() {
    let dir = setup();
    let file = dir.path().join("app.sql");
    std::fs::write(
        &file,
        "-- the app's queries\nSELECT * FROM customers WHERE name = ?;\nSELECT * FROM orders WHERE id = ?;\n",
    )
    .unwrap();
    let mut app = app_on(dir.path());
    key(&mut app, KeyCode::Char('4'));
    key(&mut app, KeyCode::Char('i'));
    type_text(&mut app, &format!(".read {}", file.display()));
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('w'));
    app.settle(Duration::from_secs(20));
    let advice = &query(&app).advice;
    assert!(advice.listing);
    let listed = advice
        .listed
        .as_ref()
        .expect("the file's statements, planned");
    assert_eq!(listed.queries.len(), 2);
    assert_eq!(listed.queries[0].suggestions[0].columns, ["name"]);
    assert!(screen(&app).contains("app.sql"), "{}", screen(&app));

    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('i'));
    type_text(&mut app, "x");
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('w'));
    let text = screen(&app);
    assert!(
        text.contains("app.sqlx: no such file"),
        "one line naming the file: {text}"
    );
}
