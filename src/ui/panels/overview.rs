//! Overview (1): every database's state at a glance, and the selected one in detail.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{ListItem, Paragraph, Wrap};
use ratatui::Frame;

use super::{block, pick, render_list, schema, step, visible, Panel};
use std::time::SystemTime;

use crate::engine::clock;
use crate::engine::database::{Database, Integrity, Status};
use crate::engine::diff::Diff;
use crate::engine::findings::stand_in::Role;
use crate::engine::findings::Severity;
use crate::ui::action::{Action, PanelId};
use crate::ui::command::{Command, Ctx};
use crate::ui::theme::Theme;
use crate::ui::view::{Db, View};
use crate::units;

pub const ID: PanelId = PanelId("overview");

/// The Overview keeps no state of its own: its selection is the database in focus.
pub struct Overview;

impl Panel for Overview {
    fn handle(&mut self, action: Action, ctx: &mut Ctx) {
        let mut selected = ctx.view.focus;
        if step(&mut selected, ctx.view.dbs.len(), action) {
            ctx.push(Command::Focus(selected));
        }
        if matches!(action, Action::Copy | Action::CopyRow) {
            ctx.copy_path(ctx.view.focus);
        }
        if action == Action::Enter {
            ctx.push(Command::Show(schema::ID));
        }
    }

    fn click(&mut self, row: u16, height: u16, ctx: &mut Ctx) {
        let mut selected = ctx.view.focus;
        pick(&mut selected, row, height, 0);
        if selected < ctx.view.dbs.len() {
            ctx.push(Command::Focus(selected));
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, view: &View) {
        draw(frame, area, view);
    }
}

fn status_style(db: &Db, t: &Theme) -> (String, ratatui::style::Style) {
    if db.gone.is_some() {
        return ("deleted".into(), t.error);
    }
    match db.model.as_ref().map(|m| m.status) {
        None => ("reading…".into(), t.dim),
        Some(Status::Ok) => ("ok".into(), t.ok),
        Some(s) => (s.label().into(), t.error),
    }
}

fn draw(frame: &mut Frame, area: Rect, view: &View) {
    let t = &view.theme;
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(35), Constraint::Fill(1)]).areas(area);
    let shown = visible(view.dbs.len(), view.focus, left);
    let items: Vec<ListItem> = view.dbs[shown.clone()]
        .iter()
        .zip(shown.clone())
        .map(|(db, i)| {
            let (label, style) = status_style(db, t);
            let size = db
                .model
                .as_ref()
                .map_or(String::new(), |m| units::bytes(m.size_bytes));
            let from_backup =
                stand_in_for(view, i).map_or(String::new(), |_| "  ⎘ from backup".into());
            ListItem::new(Line::from(vec![
                Span::styled(db.name().to_string(), t.text),
                Span::styled(format!("  {label}"), style),
                Span::styled(format!("  {size}"), t.dim),
                Span::styled(from_backup, t.info),
            ]))
        })
        .collect();
    let title = format!(" Databases ({}) ", view.dbs.len());
    let selected = view.focus.saturating_sub(shown.start);
    render_list(frame, left, items, title, selected, t);
    let detail = match view.focused() {
        Some(db) => details(view, db),
        None => vec![Line::styled(
            "No SQLite databases found under these paths.",
            t.dim,
        )],
    };
    let name = view
        .focused()
        .map_or(String::new(), |d| format!(" {} ", d.name()));
    frame.render_widget(
        Paragraph::new(detail)
            .block(block(name, false, t))
            .wrap(Wrap { trim: false }),
        right,
    );
}

fn details(view: &View, db: &Db) -> Vec<Line<'static>> {
    let t = &view.theme;
    let Some(m) = &db.model else {
        return vec![Line::styled("reading…", t.dim)];
    };
    let (label, style) = status_style(db, t);
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{label}  "), style),
        Span::styled(units::bytes(m.size_bytes), t.text),
        Span::styled(
            m.error.as_ref().map_or(String::new(), |e| format!("  {e}")),
            t.warning,
        ),
    ])];
    let m = match (m.page_size, stand_in_for(view, view.focus)) {
        (Some(_), _) => m,
        (None, Some(copy)) => {
            lines.push(Line::styled(
                format!(
                    "from backup {}: its newest readable backup stands in for it",
                    copy.name()
                ),
                t.info,
            ));
            match &copy.model {
                Some(model) => model,
                None => return lines,
            }
        }
        (None, None) => return lines,
    };
    lines.extend(facts(m, t));
    lines.extend(since_opened(db, t));
    lines.push(Line::raw(""));
    lines.extend(findings_summary(view, db));
    lines.push(Line::raw(""));
    lines.extend(largest(m, t));
    lines
}

/// The backup standing in for the database at `i`, which is empty or unreadable.
fn stand_in_for(view: &View, i: usize) -> Option<&Db> {
    let at = view.roles.iter().position(|r| *r == Role::StandsIn(i))?;
    view.dbs.get(at)
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map_or("?".into(), T::to_string)
}

/// Free pages and bytes, or why they cannot be told: a damaged header can claim more free pages
/// than the file has.
fn free(m: &Database) -> String {
    match (m.free_pages(), m.free_bytes(), m.freelist_count) {
        (Some(pages), Some(bytes), _) => {
            format!(
                "{} ({})",
                units::counted(pages, "page"),
                units::bytes(bytes)
            )
        }
        (None, _, Some(claimed)) => format!(
            "? (the header claims {} free pages; the file has {})",
            units::count(claimed),
            opt(&m.page_count)
        ),
        _ => "?".into(),
    }
}

fn facts(m: &Database, t: &Theme) -> Vec<Line<'static>> {
    let kv = |k: &str, v: String| {
        vec![
            Span::styled(format!("{k} "), t.dim),
            Span::styled(format!("{v}   "), t.text),
        ]
    };
    let wal = m
        .wal_bytes
        .map_or(String::new(), |b| format!(" (-wal {})", units::bytes(b)));
    let s = &m.schema;
    let user_tables = s.tables.iter().filter(|x| x.is_user_table()).count();
    let integrity = match &m.integrity {
        Integrity::Ok => "ok".to_string(),
        Integrity::Problems(_) => units::counted(m.integrity.problems().len() as u64, "problem"),
        Integrity::Unchecked(_) => "pending".to_string(),
    };
    vec![
        Line::from(
            [
                kv("journal", format!("{}{wal}", opt(&m.journal_mode))),
                kv(
                    "pages",
                    format!("{} × {}", opt(&m.page_count), opt(&m.page_size)),
                ),
                kv("free", free(m)),
            ]
            .concat(),
        ),
        Line::from(
            [
                kv("user_version", opt(&m.user_version)),
                kv("application_id", opt(&m.application_id)),
                kv("written by SQLite", opt(&m.sqlite_version_last_written)),
            ]
            .concat(),
        ),
        Line::from(
            [
                kv("tables", user_tables.to_string()),
                kv("indexes", s.indexes.len().to_string()),
                kv("views", s.views.len().to_string()),
                kv("triggers", s.triggers.len().to_string()),
            ]
            .concat(),
        ),
        Line::from(
            [
                kv(
                    "sqlite_stat1",
                    if m.has_stat1 { "yes" } else { "no" }.into(),
                ),
                kv("quick_check", integrity),
            ]
            .concat(),
        ),
    ]
}

/// How many changes of each kind "Since opened" lists before summing up the rest.
const SINCE_SHOWN: usize = 5;

/// What other processes changed since litescope opened the file: rows per table and schema.
fn since_opened(db: &Db, t: &Theme) -> Vec<Line<'static>> {
    let clock = |at: SystemTime| format!("{} UTC", &clock::rfc3339(at)[11..19]);
    let mut lines = Vec::new();
    if let Some(at) = db.gone {
        let text = format!(
            "the file was deleted at {}; what is shown was read before",
            clock(at)
        );
        lines.push(Line::styled(text, t.error));
    }
    let (Some(since), Some(at)) = (&db.since, db.last_commit) else {
        return lines;
    };
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::styled("Since opened  ", t.header),
        Span::styled(format!("last commit read {}", clock(at)), t.dim),
    ]));
    if since.is_empty() {
        lines.push(Line::styled("  no change in rows or schema", t.dim));
    }
    let rows = since.rows.iter().map(|r| {
        let now = r
            .now
            .map_or("table gone".into(), |n| units::counted(n, "row"));
        let noun = if r.delta().abs() == 1 { "row" } else { "rows" };
        format!("{}  {:+} {noun} ({now})", r.table, r.delta())
    });
    let d = &since.schema;
    let schema_count = d.only_in_a.len() + d.only_in_b.len() + d.changed.len();
    // Only the lines shown are built: a schema rewritten wholesale changes thousands of objects.
    let parts: [(&str, Box<dyn Iterator<Item = String>>, usize); 2] = [
        ("", Box::new(rows), since.rows.len()),
        ("schema: ", Box::new(schema_changes(d)), schema_count),
    ];
    for (kind, all, count) in parts {
        for text in all.take(SINCE_SHOWN) {
            lines.push(Line::styled(format!("  {kind}{text}"), t.text));
        }
        if count > SINCE_SHOWN {
            let more = format!("  … and {} more", count - SINCE_SHOWN);
            lines.push(Line::styled(more, t.dim));
        }
    }
    lines
}

/// One line per object of a schema diff, opened side first.
fn schema_changes(diff: &Diff) -> impl Iterator<Item = String> + '_ {
    let added = diff.only_in_b.iter().map(|o| (o, "added"));
    let dropped = diff.only_in_a.iter().map(|o| (o, "dropped"));
    let changed = diff.changed.iter().map(|c| {
        let what: Vec<&str> = c.changes.iter().map(|x| x.what.as_str()).collect();
        format!("{} {} changed: {}", c.kind.label(), c.name, what.join(", "))
    });
    added
        .chain(dropped)
        .map(|(o, how)| format!("{} {} {how}", o.kind.label(), o.name))
        .chain(changed)
}

fn findings_summary(view: &View, db: &Db) -> Vec<Line<'static>> {
    let t = &view.theme;
    let all = view.all_findings();
    let mine: Vec<_> = all.iter().filter(|f| f.concerns(db.name())).collect();
    if db.findings.is_none() {
        return vec![Line::styled("Findings: auditing…", t.dim)];
    }
    let count = |s: Severity| mine.iter().filter(|f| f.severity == s).count() as u64;
    let mut lines = vec![Line::from(vec![
        Span::styled("Findings  ", t.header),
        Span::styled(
            format!("{}  ", units::counted(count(Severity::Error), "error")),
            t.error,
        ),
        Span::styled(
            format!("{}  ", units::counted(count(Severity::Warning), "warning")),
            t.warning,
        ),
        Span::styled(format!("{} info", count(Severity::Info)), t.info),
    ])];
    for f in mine.iter().take(4) {
        let style = match f.severity {
            Severity::Error => t.error,
            Severity::Warning => t.warning,
            Severity::Info => t.info,
        };
        lines.push(Line::from(vec![
            Span::styled(format!("  {:<8}", f.severity.label()), style),
            Span::styled(format!("{} ", f.rule), t.keyword),
            Span::styled(f.message.clone(), t.text),
        ]));
    }
    lines
}

fn largest(m: &Database, t: &Theme) -> Vec<Line<'static>> {
    let mut by_bytes: Vec<_> = m
        .schema
        .tables
        .iter()
        .filter(|x| x.is_user_table() || x.kind == crate::engine::schema::TableKind::Shadow)
        .collect();
    by_bytes.sort_by_key(|x| std::cmp::Reverse(x.bytes.unwrap_or(0)));
    let mut by_rows: Vec<_> = m
        .schema
        .tables
        .iter()
        .filter(|x| x.is_user_table())
        .collect();
    by_rows.sort_by_key(|x| std::cmp::Reverse(x.rows.unwrap_or(0)));
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{:<40}", "Largest by bytes"), t.header),
        Span::styled("Largest by rows", t.header),
    ])];
    for i in 0..5.min(by_rows.len().max(by_bytes.len())) {
        let left = by_bytes.get(i).map_or(String::new(), |x| {
            format!("{} {}", x.name, x.bytes.map_or("?".into(), units::bytes))
        });
        let right = by_rows.get(i).map_or(String::new(), |x| {
            format!("{} {}", x.name, units::rows(x.rows, x.rows_exact))
        });
        lines.push(Line::from(vec![
            Span::styled(
                format!("  {:<38}", crate::ui::widgets::cell::fit(&left, 36)),
                t.text,
            ),
            Span::styled(format!("  {right}"), t.text),
        ]));
    }
    lines
}
