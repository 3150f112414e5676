//! Data (3): browse any table or view, a page at a time by key, never by OFFSET (views aside).

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, ListState, Paragraph};
use ratatui::Frame;

use super::{block, matches, step};
use crate::engine::browse::{Page, Position};
use crate::engine::jobs::PageJob;
use crate::engine::worker::JobId;
use crate::ui::action::Action;
use crate::ui::app::App;
use crate::ui::widgets::cell::full;
use crate::ui::widgets::grid::Grid;
use crate::ui::widgets::popup::Popup;
use crate::units;

/// Rows fetched per page.
pub const PAGE_ROWS: usize = 200;

/// Where the cursor goes when a requested page arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Land {
    #[default]
    Top,
    Bottom,
}

#[derive(Default)]
pub struct State {
    pub list: usize,
    pub filter: String,
    pub in_grid: bool,
    /// The table shown: database index and name.
    pub open: Option<(usize, String)>,
    pub page: Option<Page>,
    pub row: usize,
    pub col: usize,
    pub first_col: usize,
    /// Pages from the first (Some) or the last (None) page.
    pub page_no: Option<i64>,
    pending: Option<(JobId, Land, Option<i64>)>,
}

/// (database, name, label) of the focused database's tables and views, filtered.
pub fn entries(app: &App) -> Vec<(usize, String, String)> {
    let f = &app.state.data.filter;
    let Some(m) = app
        .dbs
        .get(app.db)
        .and_then(|d| d.model.as_ref())
        .filter(|m| m.is_ok())
    else {
        return Vec::new();
    };
    let tables = m
        .schema
        .tables
        .iter()
        .filter(|t| t.is_user_table() && matches(f, &t.name));
    let views = m.schema.views.iter().filter(|v| matches(f, &v.name));
    tables
        .map(|t| {
            (
                app.db,
                t.name.clone(),
                format!("{}  {}", t.name, units::rows(t.rows, t.rows_exact)),
            )
        })
        .chain(views.map(|v| (app.db, v.name.clone(), format!("{}  view", v.name))))
        .collect()
}

fn request(app: &mut App, position: Position, land: Land, page_no: Option<i64>) {
    let Some((db, table)) = app.state.data.open.clone() else {
        return;
    };
    let job = PageJob {
        table: table.clone(),
        position,
        limit: PAGE_ROWS,
    };
    let id = app.send(db, job, move |app, db, id, result| match result {
        Ok(page) => on_page(app, id, db, table, page),
        Err(why) => app.fail(db, why),
    });
    app.state.data.pending = Some((id, land, page_no));
}

pub fn handle(app: &mut App, action: Action) {
    if !app.state.data.in_grid {
        let list = entries(app);
        if step(&mut app.state.data.list, list.len(), action) {
            return;
        }
        if matches!(action, Action::Enter | Action::Right) {
            if let Some((db, name, _)) = list.get(app.state.data.list).cloned() {
                open(app, db, &name);
            }
        }
        return;
    }
    grid_action(app, action);
}

/// Opens `table` of database `db` at its first page.
pub fn open(app: &mut App, db: usize, table: &str) {
    let s = &mut app.state.data;
    s.open = Some((db, table.to_string()));
    s.in_grid = true;
    s.page = None;
    (s.row, s.col, s.first_col) = (0, 0, 0);
    request(app, Position::First, Land::Top, Some(0));
}

fn grid_action(app: &mut App, action: Action) {
    let s = &app.state.data;
    let Some(page) = s.page.clone() else {
        if action == Action::Escape {
            app.state.data.in_grid = false;
        }
        return;
    };
    let rows = page.rows.len();
    // Relative moves count from the page on screen: while one is on its way, further ones wait.
    let waiting = s.pending.is_some();
    let next_no = s.page_no.map(|n| n + 1);
    let prev_no = s.page_no.map(|n| n - 1);
    let after = |p: &Page| match p.offset {
        Some(o) => Position::Offset(o + rows as u64),
        None => p
            .keys
            .last()
            .map_or(Position::Last, |k| Position::After(k.clone())),
    };
    let before = |p: &Page| match p.offset {
        Some(o) => Position::Offset(o.saturating_sub(PAGE_ROWS as u64)),
        None => p
            .keys
            .first()
            .map_or(Position::First, |k| Position::Before(k.clone())),
    };
    let at_edge =
        (action == Action::Down && s.row + 1 >= rows) || (action == Action::Up && s.row == 0);
    match action {
        Action::PageDown | Action::PageUp if waiting => {}
        Action::Up | Action::Down if waiting && at_edge => {}
        Action::Down if s.row + 1 >= rows && !page.at_end => {
            request(app, after(&page), Land::Top, next_no)
        }
        Action::Up if s.row == 0 && !page.at_start => {
            request(app, before(&page), Land::Bottom, prev_no)
        }
        Action::PageDown if !page.at_end => request(app, after(&page), Land::Top, next_no),
        Action::PageUp if !page.at_start => request(app, before(&page), Land::Top, prev_no),
        Action::Top => request(app, Position::First, Land::Top, Some(0)),
        Action::Bottom => request(app, Position::Last, Land::Bottom, None),
        Action::Up | Action::Down => {
            step(&mut app.state.data.row, rows, action);
        }
        Action::Left => {
            let s = &mut app.state.data;
            s.col = s.col.saturating_sub(1);
            s.first_col = s.first_col.min(s.col);
        }
        Action::Right => {
            let s = &mut app.state.data;
            s.col = (s.col + 1).min(page.columns.len().saturating_sub(1));
            if s.col > s.first_col + 3 {
                s.first_col = s.col - 3;
            }
        }
        Action::Enter => {
            if let Some(cell) = page.rows.get(s.row).and_then(|r| r.get(s.col)) {
                let title = page.columns.get(s.col).cloned().unwrap_or_default();
                app.popup = Some(Popup::new(title, full(cell)));
            }
        }
        Action::Escape => app.state.data.in_grid = false,
        _ => {}
    }
}

fn on_page(app: &mut App, job: JobId, db: usize, table: String, page: Page) {
    let s = &mut app.state.data;
    let Some((id, land, page_no)) = s.pending else {
        return;
    };
    if id != job || s.open != Some((db, table)) {
        return;
    }
    s.pending = None;
    s.row = match land {
        Land::Top => 0,
        Land::Bottom => page.rows.len().saturating_sub(1),
    };
    s.col = s.col.min(page.columns.len().saturating_sub(1));
    s.page_no = if page.at_start { Some(0) } else { page_no };
    s.page = Some(page);
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let s = &app.state.data;
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(25), Constraint::Fill(1)]).areas(area);
    let list = entries(app);
    let items: Vec<ListItem> = list
        .iter()
        .map(|(_, _, label)| ListItem::new(label.clone()))
        .collect();
    let title = if s.filter.is_empty() {
        " Tables ".to_string()
    } else {
        format!(" Tables · {} ", s.filter)
    };
    let widget = List::new(items)
        .block(block(title, !s.in_grid, t))
        .highlight_style(t.selected);
    let mut state =
        ListState::default().with_selected(Some(s.list.min(list.len().saturating_sub(1))));
    frame.render_stateful_widget(widget, left, &mut state);
    let Some((db, name)) = &s.open else {
        let hint = Paragraph::new(Line::styled("Choose a table and press Enter.", t.dim));
        frame.render_widget(hint.block(block(" Rows ".into(), false, t)), right);
        return;
    };
    let table = app.dbs[*db]
        .model
        .as_ref()
        .and_then(|m| m.schema.table(name));
    let count = table.map_or("view".to_string(), |tb| {
        let est = if tb.rows_exact { "" } else { " (estimated)" };
        format!("{} rows{est}", units::rows(tb.rows, tb.rows_exact))
    });
    let where_ = match (&s.page, s.page_no) {
        (None, _) => "loading…".to_string(),
        (Some(p), _) if p.at_start && p.at_end => "all rows".into(),
        (Some(_), Some(n)) => format!("page {}", n + 1),
        (Some(_), None) => "last page".into(),
    };
    let title = format!(" {name} · {count} · {where_} · Enter value · PgDn/PgUp · g/G ");
    let Some(page) = &s.page else {
        frame.render_widget(
            Paragraph::new(Line::from(vec![Span::styled("reading rows…", t.dim)]))
                .block(block(title, s.in_grid, t)),
            right,
        );
        return;
    };
    let grid = Grid {
        columns: &page.columns,
        rows: &page.rows,
        selected: Some(s.row),
        first_col: s.first_col,
        selected_col: Some(s.col),
    };
    grid.render(frame, right, block(title, s.in_grid, t), t);
}
