//! The Query panel's plans and index advice.
//!
//! After each run the editor's statements are planned again with their suggestions, as a job on
//! the database's worker like every database call (never on the UI thread). The plan pane marks
//! costly steps and lists the suggestions under the plan; `a` shows the plan with the next
//! suggestion beside the plan without it (the engine took that plan on its private in-memory copy
//! of the schema, never on the file); `y` then copies that `CREATE INDEX`. `w` lists a workload's
//! statements (the `--workload` file, or else the editor's statements) with their marks, and
//! Enter shows one's plan.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{ListItem, Paragraph};
use ratatui::Frame;

use super::Query;
use crate::engine::error::Error;
use crate::engine::jobs::AdviseJob;
use crate::engine::plan::{self, Analysis, PlanRow, Planned, Suggestion};
use crate::engine::worker::JobId;
use crate::ui::action::Action;
use crate::ui::command::{Ctx, Message};
use crate::ui::panels::{block, render_list, step};
use crate::ui::theme::Theme;
use crate::ui::widgets::plan::{suggestion, tree};

/// A workload file's statements, read from the `--workload` file the TUI was started with.
#[derive(Debug, Clone)]
pub struct Workload {
    pub name: String,
    pub statements: Vec<(usize, String)>,
}

#[derive(Default)]
pub struct Advice {
    /// The last run's statements, planned with their suggestions.
    pub run: Option<Analysis>,
    /// The workload's statements, planned.
    pub listed: Option<Analysis>,
    pub job: Option<JobId>,
    pub workload: Option<Workload>,
    /// The workload list is shown instead of the results.
    pub listing: bool,
    pub picked: usize,
    /// The workload statement whose plan is shown (Enter).
    pub opened: Option<usize>,
    /// The suggestion whose plan is shown beside the plan without it.
    pub applied: Option<usize>,
}

impl Advice {
    /// The statement whose plan the pane shows: the opened one of the workload, or the last
    /// statement run.
    pub fn shown(&self) -> Option<&Planned> {
        match self.listing {
            true => self.listed.as_ref()?.queries.get(self.opened?),
            false => self.run.as_ref()?.queries.last(),
        }
    }

    pub fn applied(&self) -> Option<&Suggestion> {
        self.shown()?.suggestions.get(self.applied?)
    }

    /// Esc has something to close: the plan beside, or the workload list.
    pub fn steps_back(&self) -> bool {
        self.applied.is_some() || self.listing
    }

    fn step_back(&mut self) {
        match self.applied {
            Some(_) => self.applied = None,
            None => self.listing = false,
        }
    }
}

/// The keys the advice takes; false for those it leaves to the rest of the panel.
pub fn handle(s: &mut Query, action: Action, ctx: &mut Ctx) -> bool {
    let a = &mut s.advice;
    match action {
        Action::Apply => apply_next(a, ctx),
        Action::Workload if a.listing => a.listing = false,
        Action::Workload => open_workload(s, ctx),
        Action::Escape if a.steps_back() => a.step_back(),
        Action::Copy if a.applied().is_some() => {
            if let Some(sugg) = a.applied() {
                let what = format!("CREATE INDEX {}", sugg.name);
                ctx.copy(format!("{};", sugg.sql), what);
            }
        }
        Action::Enter if a.listing => {
            a.opened = Some(a.picked);
            a.applied = None;
        }
        other if a.listing => {
            let len = a.listed.as_ref().map_or(0, |l| l.queries.len());
            step(&mut a.picked, len, other);
        }
        _ => return false,
    }
    true
}

/// Plans the statements of `sql` that just ran, for the plan pane's marks and suggestions.
pub fn after_run(s: &mut Query, sql: &str, ctx: &mut Ctx) {
    s.advice.applied = None;
    send(s, plan::statements(sql), false, ctx);
}

fn send(s: &mut Query, statements: Vec<(usize, String)>, listing: bool, ctx: &mut Ctx) {
    let job = AdviseJob { statements };
    let id = ctx.send(
        ctx.view.focus,
        job,
        move |s: &mut Query, ctx, id, result| done(s, ctx, id, result, listing),
    );
    s.advice.job = Some(id);
}

fn done(s: &mut Query, ctx: &mut Ctx, id: JobId, result: Result<Analysis, Error>, listing: bool) {
    if s.advice.job != Some(id) {
        return;
    }
    s.advice.job = None;
    match result {
        Ok(found) if listing => s.advice.listed = Some(found),
        Ok(found) => s.advice.run = Some(found),
        Err(Error::Cancelled) => {}
        Err(e) => ctx.fail(ctx.view.focus, e),
    }
}

/// `w`: the workload file's statements, or the editor's, planned and listed. An editor holding
/// `.read FILE` (as in the `sqlite3` shell) opens that file as the workload.
pub fn open_workload(s: &mut Query, ctx: &mut Ctx) {
    let text = s.editor.lines().join("\n");
    if let Some(file) = text.trim().strip_prefix(".read ") {
        let path = std::path::Path::new(file.trim());
        match plan::workload::read(path) {
            Ok(statements) => {
                let name = crate::engine::names::escape_path(path);
                s.advice.workload = Some(Workload { name, statements });
            }
            Err(e) => return ctx.message(Message::error(e.to_string())),
        }
    }
    let statements = match &s.advice.workload {
        Some(w) => w.statements.clone(),
        None => plan::statements(&text),
    };
    if statements.is_empty() {
        ctx.message(Message::info(
            "no workload: type statements (or .read FILE) and press w, or start with --workload FILE",
        ));
        return;
    }
    let a = &mut s.advice;
    (a.listing, a.picked, a.opened, a.applied) = (true, 0, None, None);
    send(s, statements, true, ctx);
}

/// `a`: the next suggestion's plan beside the plan without it, then none again.
fn apply_next(a: &mut Advice, ctx: &mut Ctx) {
    let count = a.shown().map_or(0, |q| q.suggestions.len());
    if count == 0 {
        ctx.message(Message::info("no index to suggest for the statement shown"));
    }
    a.applied = match a.applied {
        None if count > 0 => Some(0),
        Some(i) if i + 1 < count => Some(i + 1),
        _ => None,
    };
}

/// The plan pane: the plan with its marks, then the suggestions.
pub fn draw_plan(s: &Query, frame: &mut Frame, area: Rect, t: &Theme) {
    let a = &s.advice;
    let shown = a.shown();
    let rows: &[PlanRow] = match (a.listing, shown) {
        (_, Some(q)) => &q.plan,
        (false, None) => &s.plan,
        (true, None) => &[],
    };
    let mut lines = tree(rows, t);
    if let Some(e) = shown.and_then(|q| q.error.as_ref()) {
        lines.push(Line::styled(format!("cannot plan: {e}"), t.error));
    }
    match shown {
        _ if a.job.is_some() => lines.push(Line::styled("planning indexes…", t.dim)),
        Some(q) if !q.suggestions.is_empty() => {
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "suggested (a: plan with it · y: copy)",
                t.title,
            ));
            for sugg in &q.suggestions {
                lines.extend(suggestion(sugg, false, t));
            }
        }
        Some(q) if q.is_costly() => {
            lines.push(Line::styled("no index would remove these steps", t.dim));
        }
        _ => {}
    }
    let title = if a.listing && a.opened.is_none() {
        " Query plan · Enter shows a statement's ".to_string()
    } else {
        " Query plan ".to_string()
    };
    let wrap = ratatui::widgets::Wrap { trim: false };
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(wrap)
            .block(block(title, false, t)),
        area,
    );
}

/// The plan without the applied suggestion and the plan with it, side by side.
pub fn draw_beside(s: &Query, frame: &mut Frame, area: Rect, t: &Theme) -> bool {
    let (Some(q), Some(sugg)) = (s.advice.shown(), s.advice.applied()) else {
        return false;
    };
    let [before, after] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(area);
    let wrap = ratatui::widgets::Wrap { trim: false };
    frame.render_widget(
        Paragraph::new(tree(&q.plan, t))
            .wrap(wrap)
            .block(block(" Plan now ".into(), false, t)),
        before,
    );
    let mut lines = suggestion(sugg, true, t);
    lines.push(Line::styled("y copy · a next · Esc close", t.dim));
    lines.push(Line::raw(""));
    lines.extend(tree(&sugg.plan, t));
    let title = format!(" Plan with {} ", sugg.name);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(wrap)
            .block(block(title, true, t)),
        after,
    );
    true
}

/// The workload's statements, each with its marks.
pub fn draw_list(s: &Query, frame: &mut Frame, area: Rect, t: &Theme) {
    let a = &s.advice;
    let name = a
        .workload
        .as_ref()
        .map_or("the editor's statements".to_string(), |w| w.name.clone());
    let Some(listed) = &a.listed else {
        let text = if a.job.is_some() { "planning…" } else { "" };
        let title = format!(" Workload · {name} ");
        frame.render_widget(Paragraph::new(text).block(block(title, true, t)), area);
        return;
    };
    let items: Vec<ListItem> = listed.queries.iter().map(|q| item(q, t)).collect();
    let costly = listed.queries.iter().filter(|q| q.is_costly()).count();
    let title = format!(
        " Workload · {name} · {} statements, {costly} scan or sort, {} indexes serve them · w results ",
        listed.queries.len(),
        listed.indexes.len()
    );
    render_list(frame, area, items, title, a.picked, t);
}

fn item(q: &Planned, t: &Theme) -> ListItem<'static> {
    let (marks, style) = match (q.ok, q.is_costly()) {
        (false, _) => ("error".to_string(), t.error),
        (true, true) => {
            let mut m = Vec::new();
            if !q.full_scans.is_empty() {
                m.push("scan");
            }
            if q.temp_btree {
                m.push("sort");
            }
            (m.join("+"), t.warning)
        }
        (true, false) => ("ok".to_string(), t.ok),
    };
    let idx = match q.suggestions.len() {
        0 => String::new(),
        n => format!("{n} idx"),
    };
    let sql: String = q.sql.split_whitespace().collect::<Vec<_>>().join(" ");
    let line = Line::from(vec![
        ratatui::text::Span::styled(format!("{:>5} ", q.line), t.dim),
        ratatui::text::Span::styled(format!("{marks:<10}"), style),
        ratatui::text::Span::styled(format!("{idx:<6}"), t.ok),
        ratatui::text::Span::styled(sql, t.text),
    ]);
    ListItem::new(line)
}
