//! Findings (5): the audit of the whole workspace, sortable and filterable; Enter jumps to the
//! object in the Schema panel and shows the fix.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;

use super::{block, matches, pick, step, FilterMut, Panel};
use crate::engine::findings::{Finding, Severity};
use crate::engine::migrate::fix::Fix;
use crate::ui::action::{Action, PanelId};
use crate::ui::command::{Command, Ctx, Message};
use crate::ui::theme::Theme;
use crate::ui::view::View;
use crate::ui::widgets::cell::{fit, width as width_of};
use crate::ui::widgets::popup::Popup;
use crate::ui::widgets::sql::highlight;

pub const ID: PanelId = PanelId("findings");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Severity,
    Database,
    Rule,
}

#[derive(Default)]
pub struct Findings {
    pub selected: usize,
    pub filter: String,
    /// Only this severity, when set.
    pub severity: Option<Severity>,
    pub sort: Sort,
}

impl Findings {
    /// The findings as listed: filtered, then sorted.
    pub fn listed(&self, view: &View) -> Vec<Finding> {
        let mut list: Vec<Finding> = view
            .all_findings()
            .into_iter()
            .filter(|f| self.severity.is_none_or(|v| v == f.severity))
            .filter(|f| {
                let text = format!("{} {} {} {}", f.rule, f.database, f.object, f.message);
                matches(&self.filter, &text)
            })
            .collect();
        match self.sort {
            Sort::Severity => {}
            Sort::Database => list.sort_by(|a, b| {
                a.database
                    .cmp(&b.database)
                    .then(a.severity.cmp(&b.severity))
            }),
            Sort::Rule => list.sort_by(|a, b| a.rule.cmp(b.rule).then(a.database.cmp(&b.database))),
        }
        list
    }
}

impl Panel for Findings {
    fn handle(&mut self, action: Action, ctx: &mut Ctx) {
        let list = self.listed(ctx.view);
        if step(&mut self.selected, list.len(), action) {
            return;
        }
        match action {
            Action::Sort => {
                self.sort = match self.sort {
                    Sort::Severity => Sort::Database,
                    Sort::Database => Sort::Rule,
                    Sort::Rule => Sort::Severity,
                }
            }
            Action::Severity => {
                self.severity = match self.severity {
                    None => Some(Severity::Error),
                    Some(Severity::Error) => Some(Severity::Warning),
                    Some(Severity::Warning) => Some(Severity::Info),
                    Some(Severity::Info) => None,
                };
                self.selected = 0;
            }
            Action::Enter => {
                if let Some(f) = list.get(self.selected) {
                    jump(f, ctx);
                }
            }
            Action::Apply => {
                if let Some(f) = list.get(self.selected) {
                    apply(f, ctx);
                }
            }
            Action::Copy | Action::CopyRow => {
                if let Some(f) = list.get(self.selected) {
                    match &f.fix {
                        Some(fix) => ctx.copy(fix.clone(), format!("the fix for {}", f.rule)),
                        None => ctx.copy(f.message.clone(), format!("the message of {}", f.rule)),
                    }
                }
            }
            _ => {}
        }
    }

    fn filter(&self) -> Option<&str> {
        Some(&self.filter)
    }

    fn filter_mut(&mut self) -> Option<FilterMut<'_>> {
        Some(FilterMut {
            text: &mut self.filter,
            selected: &mut self.selected,
        })
    }

    /// The table has a header row under its border.
    fn click(&mut self, row: u16, height: u16, _ctx: &mut Ctx) {
        pick(&mut self.selected, row, height, 1);
    }

    fn draw(&self, frame: &mut Frame, area: Rect, view: &View) {
        draw(self, frame, area, view);
    }
}

/// The database a finding is about; of one across databases, the first it names.
fn database_of(f: &Finding, view: &View) -> Option<usize> {
    let first = f.databases.first()?;
    view.dbs.iter().position(|d| d.name() == first)
}

/// `a`: applies the finding's fix when it is SQL; a command or a note is the user's to run.
fn apply(f: &Finding, ctx: &mut Ctx) {
    let (Some(sql), Some(db)) = (
        f.fix.as_ref().filter(|_| f.fix_is_sql),
        database_of(f, ctx.view),
    ) else {
        let why = match &f.fix {
            Some(_) => "this fix is a command to run in a shell, not SQL: y copies it",
            None => "this finding has no fix to apply",
        };
        return ctx.message(Message::info(why));
    };
    let fix = Fix {
        name: format!("fix {} {}", f.rule, f.object),
        sql: sql.clone(),
    };
    crate::ui::fix::ask::<Findings>(db, fix, ctx);
}

/// Asks for the finding's object in the Schema panel, with the fix in a popup over it. Of a
/// finding across databases, the first it names is the one to show.
fn jump(f: &Finding, ctx: &mut Ctx) {
    if let Some(db) = database_of(f, ctx.view) {
        ctx.push(Command::Jump {
            db,
            object: f.object.clone(),
        });
    }
    let mut popup = Popup::new(
        format!("{} · {}", f.rule, f.object),
        detail(f, &ctx.view.theme),
    );
    if let Some(fix) = &f.fix {
        popup = popup.copying(fix.clone(), format!("the fix for {}", f.rule));
    }
    ctx.popup(popup);
}

fn severity_style(s: Severity, t: &Theme) -> ratatui::style::Style {
    match s {
        Severity::Error => t.error,
        Severity::Warning => t.warning,
        Severity::Info => t.info,
    }
}

fn detail(f: &Finding, t: &Theme) -> Text<'static> {
    let mut lines = vec![
        Line::from(vec![
            Span::styled(
                format!("{} ", f.severity.label()),
                severity_style(f.severity, t),
            ),
            Span::styled(f.rule, t.keyword),
            Span::styled(format!("  {}", f.database), t.dim),
        ]),
        Line::styled(f.message.clone(), t.text),
        Line::styled(format!("Why: {}", f.why), t.dim),
    ];
    if let Some(fix) = &f.fix {
        lines.push(Line::styled("Fix:", t.header));
        lines.extend(highlight(fix, t));
    }
    Text::from(lines)
}

/// Widths of the database, object and message columns in a table `width` wide. The message
/// comes first: it gets at least half of what the fixed columns leave (or all it needs), and the
/// database and object columns share the rest, each at most as wide as its widest entry.
pub fn column_widths(list: &[Finding], width: u16) -> (usize, usize, usize) {
    // Borders, severity (8), rule (22) and the four gaps between five columns.
    let rest = usize::from(width).saturating_sub(2 + 8 + 22 + 4);
    let widest = |f: fn(&Finding) -> usize| list.iter().map(f).max().unwrap_or(0);
    let db_need = widest(|f| width_of(&f.database)).clamp(8, 30);
    let obj_need = widest(|f| width_of(&f.object)).clamp(6, 30);
    let msg_need = widest(|f| width_of(&f.message)).max(7);
    let msg = msg_need
        .min(rest / 2)
        .max(rest.saturating_sub(db_need + obj_need));
    let left = rest.saturating_sub(msg);
    let db = db_need.min(left.saturating_sub(left.min(obj_need).min(left / 2)));
    let obj = left.saturating_sub(db).min(obj_need);
    (db, obj, rest.saturating_sub(db + obj))
}

fn draw(s: &Findings, frame: &mut Frame, area: Rect, view: &View) {
    let t = &view.theme;
    let list = s.listed(view);
    let [top, bottom] = Layout::vertical([Constraint::Fill(2), Constraint::Fill(1)]).areas(area);
    let (db_w, obj_w, msg_w) = column_widths(&list, top.width);
    let rows = list.iter().map(|f| {
        Row::new(vec![
            Line::styled(f.severity.label(), severity_style(f.severity, t)),
            Line::styled(fit(f.rule, 22), t.keyword),
            Line::styled(fit(&f.database, db_w), t.dim),
            Line::styled(fit(&f.object, obj_w), t.text),
            Line::styled(fit(&f.message, msg_w), t.text),
        ])
    });
    let auditing = view.dbs.iter().filter(|d| d.findings.is_none()).count();
    let pending = if auditing > 0 {
        format!(" · auditing {auditing} more…")
    } else {
        String::new()
    };
    let only = s
        .severity
        .map_or(String::new(), |v| format!(" · only {}", v.label()));
    let filter = if s.filter.is_empty() {
        String::new()
    } else {
        format!(" · filter: {}", s.filter)
    };
    let title = format!(
        " Findings ({}){only}{filter}{pending} · s sort: {:?} · v severity · Enter fix ",
        list.len(),
        s.sort
    );
    let header = Row::new(["severity", "rule", "database", "object", "message"]).style(t.header);
    let widths = [
        Constraint::Length(8),
        Constraint::Length(22),
        Constraint::Length(db_w as u16),
        Constraint::Length(obj_w as u16),
        Constraint::Fill(1),
    ];
    let table = Table::new(rows, widths)
        .header(header)
        .block(block(title, true, t))
        .row_highlight_style(t.selected);
    let mut state =
        TableState::default().with_selected(Some(s.selected.min(list.len().saturating_sub(1))));
    frame.render_stateful_widget(table, top, &mut state);
    let body = list
        .get(s.selected)
        .map_or(Text::styled("No findings.", t.dim), |f| detail(f, t));
    frame.render_widget(
        Paragraph::new(body)
            .wrap(Wrap { trim: false })
            .block(block(" Finding ".into(), false, t)),
        bottom,
    );
}
