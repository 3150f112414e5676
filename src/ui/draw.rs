//! Drawing the whole screen from the app's state: header, tabs, the panel in front (which draws
//! itself), status line, popups.

use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::app::App;
use super::layout::{tab_label, Areas};
use super::panels::REGISTRY;
use super::view::SPINNER_AFTER;
use super::widgets::gauge::gauge;
use super::widgets::popup::Popup;
use crate::engine::database::Status;
use crate::units;

const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

pub fn draw(frame: &mut Frame, app: &App) {
    let areas = Areas::compute(frame.area());
    header(frame, areas.header, app);
    tabs(frame, &areas, app);
    app.panels.front().draw(frame, areas.body, &app.view);
    status(frame, areas.status, app);
    if let Some(popup) = &app.popup {
        popup.render(frame, &app.view.theme);
    }
    if let Some(confirm) = &app.confirm {
        confirm.render(frame, &app.view.theme);
    }
    if app.help {
        help(app).render(frame, &app.view.theme);
    }
}

fn header(frame: &mut Frame, area: Rect, app: &App) {
    let view = &app.view;
    let t = &view.theme;
    let mut spans = vec![
        Span::styled(" litescope ", t.title),
        Span::styled("│ ", t.dim),
    ];
    let focus = view
        .focused()
        .map_or("no database".to_string(), |d| d.name().to_string());
    spans.push(Span::styled(format!("{focus}  "), t.text));
    let read: Vec<Status> = view
        .dbs
        .iter()
        .filter_map(|d| d.model.as_ref().map(|m| m.status))
        .collect();
    let ok = read.iter().filter(|s| **s == Status::Ok).count();
    let bad = read.len() - ok;
    let size: u64 = view
        .dbs
        .iter()
        .filter_map(|d| d.model.as_ref().map(|m| m.size_bytes))
        .sum();
    spans.push(Span::styled(
        format!(
            "│ {}, {} ",
            units::counted(view.dbs.len() as u64, "database"),
            units::bytes(size)
        ),
        t.dim,
    ));
    spans.push(Span::styled(format!("{ok} ok "), t.ok));
    if bad > 0 {
        spans.push(Span::styled(format!("{bad} not ok "), t.error));
    }
    let unread = view.dbs.len() - read.len();
    if unread > 0 {
        spans.push(Span::styled(format!("{unread} reading "), t.dim));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn tabs(frame: &mut Frame, areas: &Areas, app: &App) {
    let t = &app.view.theme;
    let front = app.panel();
    let spans: Vec<Span> = REGISTRY
        .iter()
        .map(|e| {
            let style = if e.id == front { t.tab_active } else { t.tab };
            Span::styled(tab_label(e), style)
        })
        .collect();
    frame.render_widget(Paragraph::new(Line::from(spans)), areas.tabs_row);
}

fn status(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.view.theme;
    let mut spans = Vec::new();
    if app.typing_filter {
        let filter = app.panels.front().filter().unwrap_or_default();
        spans.push(Span::styled(format!(" filter: {filter}▏"), t.header));
        spans.push(Span::styled("  Enter keep · Esc clear", t.dim));
    } else if let Some(job) = app
        .view
        .jobs
        .values()
        .find(|j| j.started.elapsed() >= SPINNER_AFTER)
    {
        let tick = (job.started.elapsed().as_millis() / 100) as usize % SPINNER.len();
        spans.push(Span::styled(
            format!(" {} {}", SPINNER[tick], job.label),
            t.gauge,
        ));
        if let Some((done, total)) = job.progress {
            spans.push(Span::styled(
                format!(" {}", gauge(done, total, 12)),
                t.gauge,
            ));
        }
        let more = app.view.jobs.len().saturating_sub(1);
        if more > 0 {
            spans.push(Span::styled(format!(" (+{more} more)"), t.dim));
        }
        spans.push(Span::styled("  Esc cancel", t.dim));
    } else if let Some(message) = &app.message {
        spans.push(Span::styled(
            format!(" {}", message.text),
            if message.is_error { t.error } else { t.text },
        ));
    }
    let hints = " ? help · Tab panels · / filter · q quit ";
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    let pad = (area.width as usize).saturating_sub(used + hints.len());
    spans.push(Span::raw(" ".repeat(pad)));
    spans.push(Span::styled(hints, t.dim.add_modifier(Modifier::REVERSED)));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn help(app: &App) -> Popup {
    let t = &app.view.theme;
    let mut lines = vec![
        Line::styled(
            "Keys (remap them in the config file's [keys] table)",
            t.header,
        ),
        Line::raw(""),
    ];
    for (group, keys) in app.keymap.help() {
        lines.push(Line::styled(group.title(), t.header));
        for (keys, what) in keys {
            // Two spaces at least, however long the keys.
            lines.push(Line::from(vec![
                Span::styled(format!("  {keys:<20}  "), t.keyword),
                Span::styled(what, t.text),
            ]));
        }
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled("Query editor (after i or e): type SQL; F5 / ctrl-r run; ctrl-p / ctrl-n history; Esc leave", t.dim));
    lines.push(Line::styled(
        "Mouse: click a tab or a row; the wheel scrolls.",
        t.dim,
    ));
    Popup::new("Help", Text::from(lines))
}
