//! Migrations (7): which migration tool tracks each database, and its schema version.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::ListItem;
use ratatui::Frame;

use super::{render_list, step};
use crate::engine::migrate;
use crate::ui::action::Action;
use crate::ui::app::App;

pub fn handle(app: &mut App, action: Action) {
    step(&mut app.state.migrations, app.dbs.len(), action);
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let items: Vec<ListItem> = app
        .dbs
        .iter()
        .map(|db| {
            let Some(m) = db.model.as_ref().filter(|m| m.is_ok()) else {
                return ListItem::new(Line::from(vec![
                    Span::styled(db.name().to_string(), t.text),
                    Span::styled("  not readable", t.dim),
                ]));
            };
            let tracking = match migrate::detect(&m.schema) {
                Some(tr) => Span::styled(format!("  tracked by {} in {}", tr.kind, tr.table), t.ok),
                None => Span::styled("  no migration tracking table", t.warning),
            };
            let version = Span::styled(
                format!("  user_version {}", m.user_version.unwrap_or(0)),
                t.dim,
            );
            ListItem::new(Line::from(vec![
                Span::styled(db.name().to_string(), t.text),
                tracking,
                version,
            ]))
        })
        .collect();
    let title = " Migrations · tracking per database (status against a folder: litescope report --migrations, coming) ";
    render_list(frame, area, items, title.into(), app.state.migrations, t);
}
