//! Findings (5): the audit of the whole workspace, sortable and filterable; Enter jumps to the
//! object in the Schema panel and shows the fix.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;

use super::{block, matches, schema, step};
use crate::engine::findings::{Finding, Severity};
use crate::ui::action::Action;
use crate::ui::app::App;
use crate::ui::theme::Theme;
use crate::ui::widgets::cell::fit;
use crate::ui::widgets::popup::Popup;
use crate::ui::widgets::sql::highlight;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Severity,
    Database,
    Rule,
}

#[derive(Default)]
pub struct State {
    pub selected: usize,
    pub filter: String,
    /// Only this severity, when set.
    pub severity: Option<Severity>,
    pub sort: Sort,
}

/// The findings as listed: filtered, then sorted.
pub fn listed(app: &App) -> Vec<Finding> {
    let s = &app.state.findings;
    let mut list: Vec<Finding> = app
        .all_findings()
        .into_iter()
        .filter(|f| s.severity.is_none_or(|v| v == f.severity))
        .filter(|f| {
            let text = format!("{} {} {} {}", f.rule, f.database, f.object, f.message);
            matches(&s.filter, &text)
        })
        .collect();
    match s.sort {
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

pub fn handle(app: &mut App, action: Action) {
    let list = listed(app);
    let s = &mut app.state.findings;
    if step(&mut s.selected, list.len(), action) {
        return;
    }
    match action {
        Action::Sort => {
            s.sort = match s.sort {
                Sort::Severity => Sort::Database,
                Sort::Database => Sort::Rule,
                Sort::Rule => Sort::Severity,
            }
        }
        Action::Severity => {
            s.severity = match s.severity {
                None => Some(Severity::Error),
                Some(Severity::Error) => Some(Severity::Warning),
                Some(Severity::Warning) => Some(Severity::Info),
                Some(Severity::Info) => None,
            };
            s.selected = 0;
        }
        Action::Enter => {
            if let Some(f) = list.get(s.selected) {
                jump(app, f);
            }
        }
        _ => {}
    }
}

/// Shows the finding's table in the Schema panel, with the fix in a popup over it.
fn jump(app: &mut App, f: &Finding) {
    let table = f.object.split('.').next().unwrap_or_default().to_string();
    let db = app
        .dbs
        .iter()
        .position(|d| f.databases.first().is_some_and(|first| first == d.name()));
    if let Some(db) = db {
        let known = app.dbs[db].model.as_ref().is_some_and(|m| {
            m.schema.table(&table).is_some() || m.schema.indexes.iter().any(|i| i.name == f.object)
        });
        if known {
            let table = app.dbs[db]
                .model
                .as_ref()
                .and_then(|m| {
                    m.schema
                        .indexes
                        .iter()
                        .find(|i| i.name == f.object)
                        .map(|i| i.table.clone())
                })
                .unwrap_or(table);
            schema::focus(app, db, &table);
        }
    }
    app.popup = Some(Popup::new(
        format!("{} · {}", f.rule, f.object),
        detail(f, &app.theme),
    ));
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

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let s = &app.state.findings;
    let list = listed(app);
    let [top, bottom] = Layout::vertical([Constraint::Fill(2), Constraint::Fill(1)]).areas(area);
    let rows = list.iter().map(|f| {
        Row::new(vec![
            Line::styled(f.severity.label(), severity_style(f.severity, t)),
            Line::styled(f.rule, t.keyword),
            Line::styled(fit(&f.database, 30), t.dim),
            Line::styled(fit(&f.object, 30), t.text),
            Line::styled(f.message.clone(), t.text),
        ])
    });
    let auditing = app.dbs.iter().filter(|d| d.findings.is_none()).count();
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
        Constraint::Length(24),
        Constraint::Length(26),
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
