//! The Schema panel's comparison (`c`): the selected database's schema beside another's, what
//! only one side has and what differs column by column, coloured; `c` again compares with the
//! next database, `y` copies the SQL that turns the first into the second, Esc goes back to the
//! tree. The comparison runs as a job on the first database's worker.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::engine::diff::Diff;
use crate::engine::jobs::compare::{CompareJob, Compared};
use crate::ui::action::Action;
use crate::ui::command::{Ctx, Message};
use crate::ui::panels::block;
use crate::ui::theme::Theme;
use crate::ui::view::View;

/// A comparison on screen: database `a` against database `b`.
pub struct Compare {
    pub a: usize,
    pub b: usize,
    /// None while the job runs.
    pub result: Option<Result<Compared, String>>,
    pub scroll: usize,
}

/// The database after `after` (cycling) other than `a` whose schema has been read.
fn next_other(view: &View, a: usize, after: usize) -> Option<usize> {
    let n = view.dbs.len();
    (1..=n)
        .map(|k| (after + k) % n)
        .find(|&i| i != a && view.dbs[i].is_readable())
}

/// Starts comparing database `a` with the next database after `after`; None when there is no
/// other to compare with.
pub fn start(a: usize, after: usize, ctx: &mut Ctx) -> Option<Compare> {
    let Some(b) = next_other(ctx.view, a, after) else {
        ctx.message(Message::info(
            "open two or more databases to compare schemas",
        ));
        return None;
    };
    let other = ctx.view.dbs[b].model.clone()?;
    ctx.send(
        a,
        CompareJob { other },
        move |panel: &mut super::Schema, _, _, result| {
            if let Some(c) = panel.compare.as_mut().filter(|c| c.a == a && c.b == b) {
                c.result = Some(result.map_err(|e| e.to_string()));
            }
        },
    );
    Some(Compare {
        a,
        b,
        result: None,
        scroll: 0,
    })
}

impl Compare {
    /// Handles a key while the comparison is shown; false when it is closed.
    pub fn handle(&mut self, action: Action, ctx: &mut Ctx) -> bool {
        match action {
            Action::Escape | Action::Left => return false,
            Action::Up => self.scroll = self.scroll.saturating_sub(1),
            Action::Down => self.scroll += 1,
            Action::PageUp => self.scroll = self.scroll.saturating_sub(20),
            Action::PageDown => self.scroll += 20,
            Action::Top => self.scroll = 0,
            Action::Copy | Action::CopyRow => match &self.result {
                Some(Ok(c)) => match &c.sql {
                    Ok(sql) => ctx.copy(sql.clone(), "the SQL from the first schema to the second"),
                    Err(why) => ctx.message(Message::error(why.clone())),
                },
                _ => ctx.message(Message::info("the comparison is not ready")),
            },
            _ => {}
        }
        true
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, view: &View) {
        let t = &view.theme;
        let name = |i: usize| view.dbs.get(i).map_or("", |d| d.name()).to_string();
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(area);
        let (a_lines, b_lines) = match &self.result {
            None => (vec![Line::styled("comparing…", t.dim)], Vec::new()),
            Some(Err(why)) => (vec![Line::styled(why.clone(), t.error)], Vec::new()),
            Some(Ok(c)) if c.diff.is_empty() => (
                vec![Line::styled("the schemas are the same", t.ok)],
                Vec::new(),
            ),
            Some(Ok(c)) => sides(&c.diff, t),
        };
        let title_a = format!(" A: {} · c next · y copy SQL A→B · Esc back ", name(self.a));
        let title_b = format!(" B: {} ", name(self.b));
        let scroll = u16::try_from(self.scroll).unwrap_or(u16::MAX);
        for (lines, title, area) in [(a_lines, title_a, left), (b_lines, title_b, right)] {
            let text = Paragraph::new(lines)
                .scroll((scroll, 0))
                .block(block(title, true, t));
            frame.render_widget(text, area);
        }
    }
}

/// The two columns, line for line: what only A has in red, what only B has in green, and each
/// changed object with its facts on either side in yellow.
fn sides(diff: &Diff, t: &Theme) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    let mut a = Vec::new();
    let mut b = Vec::new();
    let mut row = |left: String, ls: Style, right: String, rs: Style| {
        a.push(Line::styled(left, ls));
        b.push(Line::styled(right, rs));
    };
    for o in &diff.only_in_a {
        let text = format!("- {} {}", o.kind.label(), o.name);
        row(text, t.error, String::new(), t.dim);
    }
    for o in &diff.only_in_b {
        let text = format!("+ {} {}", o.kind.label(), o.name);
        row(String::new(), t.dim, text, t.ok);
    }
    for c in &diff.changed {
        let head = format!("~ {} {}", c.kind.label(), c.name);
        row(head.clone(), t.warning, head, t.warning);
        for ch in &c.changes {
            let side = |v: &Option<String>| match v {
                Some(v) => format!("    {}: {v}", ch.what),
                None => format!("    {}: —", ch.what),
            };
            row(side(&ch.a), t.text, side(&ch.b), t.text);
        }
    }
    (a, b)
}
