//! Query (4): a SQL editor with colouring, results streamed into a grid, the plan as a tree with
//! its costly steps marked and the indexes that would serve it ([`advice`]), a workload's
//! statements, and a history kept across runs. The session is read-only: SQLite itself refuses
//! writes.

pub mod advice;
pub mod complete;

use std::time::Instant;

use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Clear, List, ListItem, ListState, Paragraph};
use ratatui::Frame;
use tui_textarea::TextArea;
use unicode_width::UnicodeWidthChar;

use super::{block, step, Panel};
use crate::engine::browse::Cell;
use crate::engine::database::Database;
use crate::engine::error::Error;
use crate::engine::jobs::QueryJob;
use crate::engine::plan::PlanRow;
use crate::engine::query::QueryEvent;
use crate::engine::worker::JobId;
use crate::ui::action::{Action, PanelId};
use crate::ui::clipboard::csv;
use crate::ui::command::{Ctx, Message};
use crate::ui::config::History;
use crate::ui::theme::Theme;
use crate::ui::view::View;
use crate::ui::widgets::cell::{full, plain, row_json};
use crate::ui::widgets::grid::Grid;
use crate::ui::widgets::popup::Popup;
use crate::ui::widgets::sql::{style, tokens, Kind};
use crate::units;
use advice::Advice;
use complete::{complete, Completion};

pub const ID: PanelId = PanelId("query");

pub struct Query {
    pub editor: TextArea<'static>,
    pub editing: bool,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    pub plan: Vec<PlanRow>,
    pub row: usize,
    pub col: usize,
    /// First column shown; drawing keeps the selected column in view.
    pub first_col: std::cell::Cell<usize>,
    /// The last run's outcome: rows and time, or the error.
    pub outcome: Option<(String, bool)>,
    pub job: Option<JobId>,
    started: Option<Instant>,
    pub history: History,
    position: Option<usize>,
    /// The script of the last run, planned again for its advice once it ends.
    ran: String,
    pub advice: Advice,
    /// Completions offered for the word before the cursor (Tab), while they are.
    pub completion: Option<Completion>,
}

impl Query {
    /// An empty editor over `history`, read at start (see [`History::load`]).
    pub fn new(history: History) -> Query {
        let mut editor = TextArea::default();
        editor.set_cursor_line_style(ratatui::style::Style::default());
        editor.set_placeholder_text("SELECT … — press i to edit, F5 or ctrl-r to run");
        Query {
            editor,
            editing: false,
            columns: Vec::new(),
            rows: Vec::new(),
            plan: Vec::new(),
            row: 0,
            col: 0,
            first_col: Default::default(),
            outcome: None,
            job: None,
            started: None,
            history,
            position: None,
            ran: String::new(),
            advice: Advice::default(),
            completion: None,
        }
    }

    /// Acts on a key while completions are shown: moves among them, takes one (Tab, Enter) or
    /// closes them (Esc); false for any other key, which closes them and goes to the editor.
    fn choose(&mut self, mut c: Completion, code: KeyCode) -> bool {
        match code {
            KeyCode::Up => c.selected = c.selected.saturating_sub(1),
            KeyCode::Down => c.selected = (c.selected + 1).min(c.items.len() - 1),
            KeyCode::Tab | KeyCode::Enter => {
                self.replace_word(c.typed, &c.items[c.selected]);
                return true;
            }
            KeyCode::Esc => return true,
            _ => return false,
        }
        self.completion = Some(c);
        true
    }

    /// The text before the cursor on its line.
    fn before_cursor(&self) -> String {
        let at = self.editor.cursor();
        self.editor.lines()[at.0].chars().take(at.1).collect()
    }

    /// True when the cursor follows a word or a `name.`, which Tab completes; elsewhere Tab
    /// indents.
    fn word_before_cursor(&self) -> bool {
        self.before_cursor()
            .ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '.')
    }

    /// Completes the word before the cursor from the focused database's schema: at once when
    /// one item fits, else by showing the items.
    fn offer(&mut self, view: &View) {
        let Some(model) = view.focused().and_then(|d| d.model.as_ref()) else {
            return;
        };
        let sql = self.editor.lines().join("\n");
        match complete(&model.schema, &sql, &self.before_cursor()) {
            Some(c) if c.items.len() == 1 => self.replace_word(c.typed, &c.items[0]),
            offered => self.completion = offered,
        }
    }

    fn replace_word(&mut self, typed: usize, item: &str) {
        for _ in 0..typed {
            self.editor.delete_char();
        }
        self.editor.insert_str(item);
    }

    fn set_text(&mut self, text: &str) {
        self.editor = TextArea::new(text.lines().map(String::from).collect());
        self.editor
            .set_cursor_line_style(ratatui::style::Style::default());
        self.editor.move_cursor(tui_textarea::CursorMove::Bottom);
        self.editor.move_cursor(tui_textarea::CursorMove::End);
    }
}

impl Panel for Query {
    /// While the editor has the focus it takes every key but run, history and Esc (leave).
    fn input(&mut self, key: KeyEvent, action: Option<Action>, ctx: &mut Ctx) -> bool {
        if !self.editing {
            return false;
        }
        let offered = self.completion.is_some();
        if let Some(c) = self.completion.take() {
            if self.choose(c, key.code) {
                return true;
            }
        }
        match action {
            Some(a @ (Action::Run | Action::HistoryPrev | Action::HistoryNext)) => {
                self.handle(a, ctx)
            }
            _ if key.code == KeyCode::Esc => self.editing = false,
            _ if key.code == KeyCode::Tab && self.word_before_cursor() => self.offer(ctx.view),
            _ => {
                self.editor.input(key);
                // Typing on with completions shown narrows them.
                if offered && self.word_before_cursor() {
                    self.offer(ctx.view);
                }
            }
        }
        true
    }

    fn paste(&mut self, text: &str) {
        self.editor.insert_str(text);
    }

    fn handle(&mut self, action: Action, ctx: &mut Ctx) {
        let s = self;
        if advice::handle(s, action, ctx) {
            return;
        }
        match action {
            Action::Edit | Action::Enter if s.rows.is_empty() || action == Action::Edit => {
                s.editing = true
            }
            Action::Enter => {
                if let Some(cell) = s.rows.get(s.row).and_then(|r| r.get(s.col)) {
                    let title = s.columns.get(s.col).cloned().unwrap_or_default();
                    ctx.popup(Popup::new(title, full(cell)).copying(plain(cell), "1 value"));
                }
            }
            Action::Run => run(s, ctx),
            Action::Copy if !s.columns.is_empty() => {
                let rows = s.rows.iter().map(|r| r.iter().map(plain).collect());
                let what = format!("{} as CSV", units::counted(s.rows.len() as u64, "row"));
                ctx.copy(csv(&s.columns, rows), what);
            }
            Action::CopyRow => {
                if let Some(row) = s.rows.get(s.row) {
                    ctx.copy(row_json(&s.columns, row), "1 row as JSON");
                }
            }
            Action::HistoryPrev | Action::HistoryNext => {
                browse_history(s, action == Action::HistoryPrev)
            }
            Action::Left => s.col = s.col.saturating_sub(1),
            Action::Right => s.col = (s.col + 1).min(s.columns.len().saturating_sub(1)),
            other => {
                step(&mut s.row, s.rows.len(), other);
            }
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, view: &View) {
        draw(self, frame, area, view);
    }

    fn steps_back(&self) -> bool {
        self.advice.steps_back()
    }

    /// A workload given at start is planned once the database in focus has been read.
    fn schema_read(&mut self, db: usize, ctx: &mut Ctx) {
        let a = &self.advice;
        let waiting = a.workload.is_some() && a.listed.is_none() && a.job.is_none();
        if waiting && db == ctx.view.focus {
            advice::open_workload(self, ctx);
        }
    }
}

fn browse_history(s: &mut Query, back: bool) {
    if s.history.is_empty() {
        return;
    }
    let last = s.history.len() - 1;
    let at = match (s.position, back) {
        (None, true) => last,
        (None, false) => return,
        (Some(p), true) => p.saturating_sub(1),
        (Some(p), false) if p >= last => return,
        (Some(p), false) => p + 1,
    };
    s.position = Some(at);
    let text = s.history.entries[at].clone();
    s.set_text(&text);
}

fn run(s: &mut Query, ctx: &mut Ctx) {
    let sql = s.editor.lines().join("\n");
    if sql.trim().is_empty() {
        ctx.message(Message::info("nothing to run: press i and type SQL"));
        return;
    }
    // A damaged file whose schema reads is queried as the sqlite3 shell would; errors say where
    // it is damaged.
    let readable = ctx.view.focused().is_some_and(|d| d.is_readable());
    if !readable {
        let why = "the database in focus cannot be queried; choose another in Overview or with [ ]";
        ctx.message(Message::error(why).about(ctx.view.focus));
        return;
    }
    s.history.push(&sql);
    s.ran = sql.clone();
    (s.advice.run, s.advice.listing) = (None, false);
    s.position = None;
    s.editing = false;
    (s.columns, s.rows, s.plan, s.outcome) = (Vec::new(), Vec::new(), Vec::new(), None);
    (s.row, s.col) = (0, 0);
    s.first_col.set(0);
    s.started = Some(Instant::now());
    let db = ctx.view.focus;
    // litescope's own passes go in short slices; a user's query cannot be cut, and says so.
    let holds_read_lock = ctx
        .view
        .focused()
        .and_then(|d| d.model.as_deref())
        .is_some_and(Database::readers_block_writers);
    let job = QueryJob {
        sql,
        holds_read_lock,
    };
    s.job = Some(ctx.send_streaming(db, job, on_event, on_done));
}

fn on_event(s: &mut Query, _: &mut Ctx, job: JobId, event: QueryEvent) {
    if s.job != Some(job) {
        return;
    }
    match event {
        QueryEvent::Started { columns, plan, .. } => {
            (s.columns, s.plan, s.rows) = (columns, plan, Vec::new());
            s.row = 0;
        }
        QueryEvent::Rows(rows) => s.rows.extend(rows),
        QueryEvent::Finished {
            index,
            rows,
            truncated,
            elapsed,
        } => {
            let cut = if truncated {
                format!(" (first {} kept)", s.rows.len())
            } else {
                String::new()
            };
            let ms = elapsed.as_secs_f64() * 1000.0;
            let which = if index > 0 {
                format!("statement {}: ", index + 1)
            } else {
                String::new()
            };
            let rows = units::counted(rows as u64, "row");
            s.outcome = Some((format!("{which}{rows}{cut} in {ms:.1} ms"), false));
        }
    }
}

fn on_done(s: &mut Query, ctx: &mut Ctx, job: JobId, result: Result<usize, Error>) {
    if s.job != Some(job) {
        return;
    }
    s.job = None;
    if result.is_ok() {
        let sql = std::mem::take(&mut s.ran);
        advice::after_run(s, &sql, ctx);
    }
    let total = s
        .started
        .map_or(0.0, |t| t.elapsed().as_secs_f64() * 1000.0);
    match result {
        Ok(0) => s.outcome = Some(("no statement to run".into(), false)),
        Ok(1) => {}
        Ok(n) => {
            let last = s
                .outcome
                .take()
                .map_or(String::new(), |(text, _)| format!(" · last {text}"));
            s.outcome = Some((format!("{n} statements in {total:.1} ms{last}"), false));
        }
        Err(e) => s.outcome = Some((e.to_string(), true)),
    }
}

fn draw(s: &Query, frame: &mut Frame, area: Rect, view: &View) {
    let t = &view.theme;
    let target = view
        .focused()
        .map_or("no database".to_string(), |d| d.name().to_string());
    let [top, bottom] = Layout::vertical([Constraint::Length(9), Constraint::Fill(1)]).areas(area);
    let mode = if s.editing {
        "editing · Tab complete · F5/ctrl-r run · Esc leave"
    } else {
        "i edit · F5 run · ctrl-p/n history · w workload"
    };
    let editor_block = block(
        format!(" Query · {target} · read-only · {mode} "),
        s.editing,
        t,
    );
    let inner = editor_block.inner(top);
    frame.render_widget(editor_block, top);
    frame.render_widget(&s.editor, inner);
    colour_editor(frame, inner, &s.editor, t);
    if let Some(c) = &s.completion {
        draw_completion(frame, inner, s, c, t);
    }
    if advice::draw_beside(s, frame, bottom, t) {
        return;
    }
    let [results, plan] =
        Layout::horizontal([Constraint::Fill(2), Constraint::Fill(1)]).areas(bottom);
    advice::draw_plan(s, frame, plan, t);
    if s.advice.listing {
        advice::draw_list(s, frame, results, t);
        return;
    }
    let (outcome, is_error) = match (&s.outcome, s.job) {
        (_, Some(_)) => (format!("running… {} rows so far", s.rows.len()), false),
        (Some((text, e)), None) => (text.clone(), *e),
        (None, None) => ("no query run yet".into(), false),
    };
    let title = format!(" Results · {outcome} ");
    if is_error {
        let msg = Paragraph::new(Line::styled(outcome.clone(), t.error))
            .wrap(ratatui::widgets::Wrap { trim: false });
        frame.render_widget(
            msg.block(block(" Results · error ".into(), !s.editing, t)),
            results,
        );
    } else {
        let grid = Grid {
            columns: &s.columns,
            rows: &s.rows,
            selected: Some(s.row),
            first_col: &s.first_col,
            selected_col: Some(s.col),
        };
        grid.render(frame, results, block(title, !s.editing, t), t);
    }
}

/// The completions in a list under the word being completed, kept on screen.
fn draw_completion(frame: &mut Frame, editor: Rect, s: &Query, c: &Completion, t: &Theme) {
    let row = s.editor.cursor().0;
    let (top, left) = s.editor.scroll_offset();
    let typed_from = s.before_cursor().chars().count().saturating_sub(c.typed);
    let line = &s.editor.lines()[row];
    let x: usize = line
        .chars()
        .take(typed_from)
        .map(|ch| ch.width().unwrap_or(0))
        .sum();
    let x = editor.x + (x as u16).saturating_sub(left);
    let y = editor.y + (row as u16).saturating_sub(top) + 1;
    let widest = c.items.iter().map(|i| i.chars().count()).max().unwrap_or(0);
    let screen = frame.area();
    let width = (widest as u16 + 2).min(screen.width);
    let height = (c.items.len() as u16).min(8) + 2;
    let area = Rect {
        x: x.min(screen.right().saturating_sub(width)),
        y: y.min(screen.bottom().saturating_sub(height)),
        width,
        height: height.min(screen.height),
    };
    let items: Vec<ListItem> = c.items.iter().map(|i| ListItem::new(i.as_str())).collect();
    let list = List::new(items)
        .block(block(String::new(), true, t))
        .highlight_style(t.selected);
    frame.render_widget(Clear, area);
    frame.render_stateful_widget(
        list,
        area,
        &mut ListState::default().with_selected(Some(c.selected)),
    );
}

/// Colours the SQL the text area drew, over its own cells.
fn colour_editor(frame: &mut Frame, area: Rect, editor: &TextArea, theme: &Theme) {
    let (top, left) = editor.scroll_offset();
    let mut in_comment = false;
    let buf = frame.buffer_mut();
    for (row, line) in editor.lines().iter().enumerate() {
        let toks = tokens(line, &mut in_comment);
        let Some(y) = (row as u16).checked_sub(top).filter(|y| *y < area.height) else {
            continue;
        };
        let mut col = 0u16;
        for (kind, text) in toks {
            for c in text.chars() {
                let w = c.width().unwrap_or(0) as u16;
                if kind != Kind::Plain && col >= left && col - left < area.width {
                    if let Some(fg) = style(kind, theme).fg {
                        buf[(area.x + col - left, area.y + y)].set_fg(fg);
                    }
                }
                col += w;
            }
        }
    }
}
