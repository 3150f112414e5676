//! Data (3): browse any table or view, a page at a time by key, never by OFFSET (views aside),
//! narrowed by a WHERE expression (`/` in the grid) and sorted by any column (`s`).

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, ListState, Paragraph};
use ratatui::Frame;

use super::{block, matches, pick, step, FilterMut, Panel};
use rusqlite::types::Value;

use crate::engine::browse::{Cell, Page, Position, Selection, Sort};
use crate::engine::diff::rows_sql::literal;
use crate::engine::jobs::PageJob;
use crate::engine::quote::ident;
use crate::engine::worker::JobId;
use crate::ui::action::{Action, PanelId};
use crate::ui::command::{Ctx, Message};
use crate::ui::view::View;
use crate::ui::widgets::cell::{full, plain, row_json};
use crate::ui::widgets::grid::Grid;
use crate::ui::widgets::popup::Popup;
use crate::units;

pub const ID: PanelId = PanelId("data");

/// Rows fetched per page.
pub const PAGE_ROWS: usize = 200;

/// Where the cursor goes when a requested page arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Land {
    #[default]
    Top,
    Bottom,
    /// Where it was: the page on screen read again.
    Keep,
}

#[derive(Default)]
pub struct Data {
    /// The selected row of the focused database's list of tables.
    pub list: usize,
    pub filter: String,
    pub in_grid: bool,
    /// The table shown: database index and name.
    pub open: Option<(usize, String)>,
    pub page: Option<Page>,
    pub row: usize,
    pub col: usize,
    /// First column shown; drawing keeps the selected column in view.
    pub first_col: std::cell::Cell<usize>,
    /// Pages from the first (Some) or the last (None) page.
    pub page_no: Option<i64>,
    /// The rows pages are asked for: a filter and a sort the user chose.
    pub selection: Selection,
    /// The selection of the page on screen, to go back to when a new one fails.
    shown: Selection,
    /// The WHERE expression being typed, while it is.
    pub typing: Option<String>,
    /// Where each foreign key followed (`f`) left from, for Esc to go back to.
    trail: Vec<Left>,
    pending: Option<(JobId, Land, Option<i64>)>,
}

/// A grid left by following a foreign key: its table, rows and place.
struct Left {
    table: String,
    selection: Selection,
    /// The key of the first row on screen; `None` at the first page.
    from: Option<Vec<Value>>,
    row: usize,
    col: usize,
    page_no: Option<i64>,
}

/// A foreign key of a table as pairs of (child column, parent column), to the parent table.
type Link = (String, Vec<(String, String)>);

/// (database, name, label) of the focused database's tables and views, filtered.
pub fn entries(filter: &str, view: &View) -> Vec<(usize, String, String)> {
    let f = filter;
    let Some(m) = view
        .focused()
        .filter(|d| d.is_readable())
        .and_then(|d| d.model.as_ref())
    else {
        return Vec::new();
    };
    let tables = m
        .schema
        .tables
        .iter()
        .filter(|t| t.is_user_table() && matches(f, &t.name));
    let views = m.schema.views.iter().filter(|v| matches(f, &v.name));
    let db = view.focus;
    tables
        .map(|t| {
            (
                db,
                t.name.to_string(),
                format!("{}  {}", t.name, units::rows(t.rows, t.rows_exact)),
            )
        })
        .chain(views.map(|v| (db, v.name.clone(), format!("{}  view", v.name))))
        .collect()
}

impl Panel for Data {
    /// While a WHERE expression is typed, every key edits it; Enter applies it, Esc leaves it.
    fn input(&mut self, key: KeyEvent, action: Option<Action>, ctx: &mut Ctx) -> bool {
        if let Some(text) = &mut self.typing {
            match key.code {
                KeyCode::Enter => {
                    let filter = text.trim().to_string();
                    self.typing = None;
                    self.selection.filter = Some(filter).filter(|f| !f.is_empty());
                    self.request(Position::First, Land::Top, Some(0), ctx);
                }
                KeyCode::Esc => self.typing = None,
                KeyCode::Backspace => {
                    text.pop();
                }
                // Control keys keep their meaning (ctrl-c quits).
                KeyCode::Char(_) if key.modifiers.contains(KeyModifiers::CONTROL) => return false,
                KeyCode::Char(c) => text.push(c),
                _ => {}
            }
            return true;
        }
        if self.in_grid && self.open.is_some() && action == Some(Action::Filter) {
            self.typing = Some(self.selection.filter.clone().unwrap_or_default());
            return true;
        }
        false
    }

    fn paste(&mut self, text: &str) {
        if let Some(typing) = &mut self.typing {
            typing.extend(text.chars().map(|c| if c.is_control() { ' ' } else { c }));
        }
    }

    fn handle(&mut self, action: Action, ctx: &mut Ctx) {
        if !self.in_grid {
            let list = entries(&self.filter, ctx.view);
            if step(&mut self.list, list.len(), action) {
                return;
            }
            if matches!(action, Action::Copy | Action::CopyRow) {
                if let Some((_, name, _)) = list.get(self.list) {
                    ctx.copy(name.clone(), format!("the name {name}"));
                }
            }
            if matches!(action, Action::Enter | Action::Right) {
                if let Some((db, name, _)) = list.get(self.list).cloned() {
                    self.open(db, &name, ctx);
                }
            }
            return;
        }
        self.grid_action(action, ctx);
    }

    fn filter(&self) -> Option<&str> {
        Some(&self.filter)
    }

    fn filter_mut(&mut self) -> Option<FilterMut<'_>> {
        Some(FilterMut {
            text: &mut self.filter,
            selected: &mut self.list,
        })
    }

    fn click(&mut self, row: u16, height: u16, _ctx: &mut Ctx) {
        if !self.in_grid {
            pick(&mut self.list, row, height, 0);
        }
    }

    fn steps_back(&self) -> bool {
        self.in_grid
    }

    /// The list is another database's now: its first table is selected.
    fn focus_moved(&mut self, _view: &View) {
        self.list = 0;
    }

    /// The database was read again (`r`, or another process committed): the page on screen is
    /// read again where it is, the cursor kept.
    fn schema_read(&mut self, db: usize, ctx: &mut Ctx) {
        let open_here = self.open.as_ref().is_some_and(|(d, _)| *d == db);
        let Some(page) = self
            .page
            .as_ref()
            .filter(|_| open_here && self.pending.is_none())
        else {
            return;
        };
        let position = match (&page.offset, page.keys.first()) {
            (Some(offset), _) => Position::Offset(*offset),
            (None, Some(key)) if !page.at_start => Position::From(key.clone()),
            _ => Position::First,
        };
        self.request(position, Land::Keep, self.page_no, ctx);
    }

    fn draw(&self, frame: &mut Frame, area: Rect, view: &View) {
        draw(self, frame, area, view);
    }
}

impl Data {
    /// Opens `table` of database `db` at its first page.
    pub fn open(&mut self, db: usize, table: &str, ctx: &mut Ctx) {
        self.trail.clear();
        self.show(db, table, Selection::default(), ctx);
    }

    fn show(&mut self, db: usize, table: &str, selection: Selection, ctx: &mut Ctx) {
        self.open = Some((db, table.to_string()));
        self.in_grid = true;
        self.page = None;
        self.selection = selection;
        (self.row, self.col) = (0, 0);
        self.first_col.set(0);
        self.request(Position::First, Land::Top, Some(0), ctx);
    }

    /// Opens the row the selected cell's foreign key refers to, in its table, remembering
    /// where the grid was.
    fn follow(&mut self, page: &Page, ctx: &mut Ctx) {
        let Some((db, table)) = self.open.clone() else {
            return;
        };
        let column = page.columns.get(self.col).cloned().unwrap_or_default();
        let Some((parent, pairs)) = links(ctx.view, db, &table)
            .into_iter()
            .find(|(_, pairs)| pairs.iter().any(|(c, _)| *c == column))
        else {
            ctx.message(Message::info(format!(
                "{table}.{column} refers to no table"
            )));
            return;
        };
        let filter = match parent_filter(page, self.row, &pairs) {
            Ok(filter) => filter,
            Err(why) => return ctx.message(Message::info(why)),
        };
        self.trail.push(Left {
            table,
            selection: self.shown.clone(),
            from: page.keys.first().filter(|_| !page.at_start).cloned(),
            row: self.row,
            col: self.col,
            page_no: self.page_no,
        });
        let selection = Selection {
            filter: Some(filter),
            sort: None,
        };
        self.show(db, &parent, selection, ctx);
    }

    /// Esc after following a foreign key: the grid it was followed from, where it was.
    fn back(&mut self, ctx: &mut Ctx) -> bool {
        let (Some(left), Some((db, _))) = (self.trail.pop(), self.open.clone()) else {
            return false;
        };
        self.open = Some((db, left.table));
        self.page = None;
        self.selection = left.selection;
        (self.row, self.col) = (left.row, left.col);
        let position = left.from.map_or(Position::First, Position::From);
        self.request(position, Land::Keep, left.page_no, ctx);
        true
    }

    fn request(&mut self, position: Position, land: Land, page_no: Option<i64>, ctx: &mut Ctx) {
        let Some((db, table)) = self.open.clone() else {
            return;
        };
        let selection = self.selection.clone();
        let job = PageJob {
            table: table.clone(),
            position,
            selection: selection.clone(),
            limit: PAGE_ROWS,
        };
        let id = ctx.send(
            db,
            job,
            move |data: &mut Data, ctx, id, result| match result {
                Ok(page) => data.on_page(id, db, table, (page, selection)),
                Err(why) => {
                    data.refused(id, &selection);
                    ctx.fail(db, why)
                }
            },
        );
        self.pending = Some((id, land, page_no));
    }

    fn grid_action(&mut self, action: Action, ctx: &mut Ctx) {
        let Some(page) = self.page.clone() else {
            if action == Action::Escape {
                self.in_grid = false;
            }
            return;
        };
        let rows = page.rows.len();
        // Relative moves count from the page on screen: while one is on its way, further ones
        // wait.
        let waiting = self.pending.is_some();
        let next_no = self.page_no.map(|n| n + 1);
        let prev_no = self.page_no.map(|n| n - 1);
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
        let at_edge = (action == Action::Down && self.row + 1 >= rows)
            || (action == Action::Up && self.row == 0);
        match action {
            Action::PageDown | Action::PageUp if waiting => {}
            Action::Up | Action::Down if waiting && at_edge => {}
            Action::Down if self.row + 1 >= rows && !page.at_end => {
                self.request(after(&page), Land::Top, next_no, ctx)
            }
            Action::Up if self.row == 0 && !page.at_start => {
                self.request(before(&page), Land::Bottom, prev_no, ctx)
            }
            Action::PageDown if !page.at_end => self.request(after(&page), Land::Top, next_no, ctx),
            Action::PageUp if !page.at_start => {
                self.request(before(&page), Land::Top, prev_no, ctx)
            }
            Action::Top => self.request(Position::First, Land::Top, Some(0), ctx),
            Action::Bottom => self.request(Position::Last, Land::Bottom, None, ctx),
            Action::Up | Action::Down => {
                step(&mut self.row, rows, action);
            }
            Action::Left => self.col = self.col.saturating_sub(1),
            Action::Right => self.col = (self.col + 1).min(page.columns.len().saturating_sub(1)),
            Action::Enter => {
                if let Some(cell) = page.rows.get(self.row).and_then(|r| r.get(self.col)) {
                    let title = page.columns.get(self.col).cloned().unwrap_or_default();
                    ctx.popup(Popup::new(title, full(cell)).copying(plain(cell), "1 value"));
                }
            }
            Action::Copy => {
                if let Some(cell) = page.rows.get(self.row).and_then(|r| r.get(self.col)) {
                    ctx.copy(plain(cell), "1 value");
                }
            }
            Action::CopyRow => {
                if let Some(row) = page.rows.get(self.row) {
                    ctx.copy(row_json(&page.columns, row), "1 row as JSON");
                }
            }
            Action::Sort => {
                if let Some(column) = page.columns.get(self.col) {
                    self.selection.sort = next_sort(self.selection.sort.take(), column);
                    self.request(Position::First, Land::Top, Some(0), ctx);
                }
            }
            Action::Follow => self.follow(&page, ctx),
            // Back along the foreign keys followed, else out of the grid.
            Action::Escape => self.in_grid = self.back(ctx),
            _ => {}
        }
    }

    /// A page arrived: shown if it is the one asked for last, for the table still open.
    fn on_page(
        &mut self,
        job: JobId,
        db: usize,
        table: String,
        (page, selection): (Page, Selection),
    ) {
        let Some((id, land, page_no)) = self.pending else {
            return;
        };
        if id != job || self.open != Some((db, table)) {
            return;
        }
        self.pending = None;
        self.shown = selection;
        let last = page.rows.len().saturating_sub(1);
        self.row = match land {
            Land::Top => 0,
            Land::Bottom => last,
            Land::Keep => self.row.min(last),
        };
        self.col = self.col.min(page.columns.len().saturating_sub(1));
        self.page_no = if page.at_start { Some(0) } else { page_no };
        self.page = Some(page);
    }

    /// The page asked for last failed: with a new filter or sort (a typo in the WHERE
    /// expression), the page on screen keeps its own, and a refused filter is offered again
    /// for editing.
    fn refused(&mut self, job: JobId, asked: &Selection) {
        if self.pending.is_none_or(|(id, _, _)| id != job) {
            return;
        }
        self.pending = None;
        if *asked != self.shown {
            if asked.filter != self.shown.filter {
                self.typing = asked.filter.clone();
            }
            self.selection = self.shown.clone();
        }
    }
}

/// The foreign keys of `table` in database `db`: the relations the audit found (declared and
/// inferred) once it has run, the declared ones until then.
fn links(view: &View, db: usize, table: &str) -> Vec<Link> {
    let d = &view.dbs[db];
    let pairs = |cs: &[compact_str::CompactString], ps: &[compact_str::CompactString]| {
        cs.iter()
            .zip(ps)
            .map(|(c, p)| (c.to_string(), p.to_string()))
            .collect()
    };
    if let Some(relations) = &d.relations {
        return relations
            .iter()
            .filter(|r| r.child == table)
            .map(|r| (r.parent.to_string(), pairs(&r.columns, &r.parent_columns)))
            .collect();
    }
    let declared = d.model.as_ref().and_then(|m| m.schema.table(table));
    declared.map_or(Vec::new(), |t| {
        t.foreign_keys
            .iter()
            .map(|fk| {
                (
                    fk.parent.to_string(),
                    pairs(&fk.columns, &fk.parent_columns),
                )
            })
            .collect()
    })
}

/// The WHERE that finds the parent of row `row`: each parent column equal to its child's value.
fn parent_filter(page: &Page, row: usize, pairs: &[(String, String)]) -> Result<String, String> {
    let mut terms = Vec::new();
    for (child, parent) in pairs {
        let at = page.columns.iter().position(|c| c == child);
        let cell = at.and_then(|i| page.rows.get(row)?.get(i));
        let value = match cell {
            Some(Cell::Null) => return Err(format!("{child} is NULL: it refers to no row")),
            Some(Cell::Int(i)) => Value::Integer(*i),
            Some(Cell::Real(f)) => Value::Real(*f),
            Some(Cell::Text(t, len)) if t.len() == *len => Value::Text(t.clone()),
            Some(Cell::Blob(b, len)) if b.len() == *len => Value::Blob(b.clone()),
            _ => return Err(format!("{child}: the value is too long to follow")),
        };
        terms.push(format!("{} = {}", ident(parent), literal(&value)));
    }
    Ok(terms.join(" AND "))
}

/// The sort after `s` on `column`: up, then down, then none; another column starts up.
fn next_sort(sort: Option<Sort>, column: &str) -> Option<Sort> {
    match sort {
        Some(s) if s.column == column && !s.descending => Some(Sort {
            descending: true,
            ..s
        }),
        Some(s) if s.column == column => None,
        _ => Some(Sort {
            column: column.to_string(),
            descending: false,
        }),
    }
}

/// The grid's title: the table, its rows, the selection shown, where the page is, and keys.
fn grid_title(s: &Data, name: &str, count: String, mark: &str, linked: bool) -> String {
    if let Some(text) = &s.typing {
        return format!(" {name} · where {text}▏ · Enter apply · Esc cancel ");
    }
    let filter = s.shown.filter.as_ref();
    let where_ = match (&s.page, s.page_no) {
        (None, _) => "loading…".to_string(),
        (Some(p), _) if p.at_start && p.at_end && filter.is_some() => {
            format!("{} matching", units::count(p.rows.len() as u64))
        }
        (Some(p), _) if p.at_start && p.at_end => "all rows".into(),
        (Some(_), Some(n)) => format!("page {}", n + 1),
        (Some(_), None) => "last page".into(),
    };
    let sort = s.shown.sort.as_ref().map_or(String::new(), |o| {
        format!(" · by {} {}", o.column, arrow(o))
    });
    let filter = filter.map_or(String::new(), |f| format!(" · where {f}"));
    let follow = if linked { " · f follow" } else { "" };
    let back = if s.trail.is_empty() {
        ""
    } else {
        " · Esc back"
    };
    format!(
        " {name}{mark} · {count} · {where_}{sort}{filter}{follow}{back} · Enter value · / where · s sort "
    )
}

fn arrow(sort: &Sort) -> &'static str {
    if sort.descending {
        "↓"
    } else {
        "↑"
    }
}

/// The page's column names, the sorted one marked with its direction.
fn headers(page: &Page, sort: Option<&Sort>) -> Vec<String> {
    let mut names = page.columns.clone();
    if let Some(s) = sort {
        if let Some(name) = names.iter_mut().find(|n| **n == s.column) {
            name.push(' ');
            name.push_str(arrow(s));
        }
    }
    names
}

fn draw(s: &Data, frame: &mut Frame, area: Rect, view: &View) {
    let t = &view.theme;
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(25), Constraint::Fill(1)]).areas(area);
    let list = entries(&s.filter, view);
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
    let damaged = view
        .focused()
        .and_then(|d| d.model.as_ref())
        .filter(|m| !m.is_ok());
    let Some((db, name)) = &s.open else {
        let hint = match damaged {
            Some(m) if m.is_damaged_but_readable() => Paragraph::new(vec![
                Line::styled(
                    "This file is damaged: its tables are listed as far as SQLite can read them, \
                     and a table may stop early or fail with an error.",
                    t.warning,
                ),
                Line::styled(m.error.clone().unwrap_or_default(), t.dim),
                Line::styled("Choose a table and press Enter.", t.dim),
            ]),
            Some(m) => Paragraph::new(vec![
                Line::styled(
                    format!("Nothing can be read from this file ({}).", m.status.label()),
                    t.error,
                ),
                Line::styled(m.error.clone().unwrap_or_default(), t.dim),
            ]),
            None => Paragraph::new(Line::styled("Choose a table and press Enter.", t.dim)),
        }
        .wrap(ratatui::widgets::Wrap { trim: false });
        frame.render_widget(hint.block(block(" Rows ".into(), false, t)), right);
        return;
    };
    let table = view.dbs[*db]
        .model
        .as_ref()
        .and_then(|m| m.schema.table(name));
    let count = table.map_or("view".to_string(), |tb| {
        let est = if tb.rows_exact { "" } else { " (estimated)" };
        format!("{} rows{est}", units::rows(tb.rows, tb.rows_exact))
    });
    let mark = if damaged.is_some() {
        " · damaged file"
    } else {
        ""
    };
    let selected = s.page.as_ref().and_then(|p| p.columns.get(s.col));
    let linked = selected.is_some_and(|c| {
        let links = links(view, *db, name);
        links
            .iter()
            .any(|(_, pairs)| pairs.iter().any(|(child, _)| child == c))
    });
    let title = grid_title(s, name, count, mark, linked);
    let Some(page) = &s.page else {
        frame.render_widget(
            Paragraph::new(Line::from(vec![Span::styled("reading rows…", t.dim)]))
                .block(block(title, s.in_grid, t)),
            right,
        );
        return;
    };
    let headers = headers(page, s.shown.sort.as_ref());
    let grid = Grid {
        columns: &headers,
        rows: &page.rows,
        selected: Some(s.row),
        first_col: &s.first_col,
        selected_col: Some(s.col),
    };
    grid.render(frame, right, block(title, s.in_grid, t), t);
}
