//! Backups (8): the backup copies found in the workspace, and the databases that have none.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::ListItem;
use ratatui::Frame;

use super::{render_list, step};
use crate::engine::discover::is_backup_name;
use crate::ui::action::Action;
use crate::ui::app::{App, Db};
use crate::units;

pub fn handle(app: &mut App, action: Action) {
    step(&mut app.state.backups, app.dbs.len(), action);
}

/// The backups of `db`: files named `X.backup`/`X.bak` beside it, or under a `backups` folder
/// with its stem in their name.
fn backups_of<'a>(app: &'a App, db: &Db) -> Vec<&'a Db> {
    let stem = db
        .found
        .path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let name = db
        .found
        .path
        .file_name()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    app.dbs
        .iter()
        .filter(|b| is_backup_name(&b.found.path))
        .filter(|b| {
            let bname = b
                .found
                .path
                .file_name()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
            bname.starts_with(&format!("{name}."))
                || (b.found.path.parent() != db.found.path.parent() && bname.starts_with(&stem))
        })
        .collect()
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let items: Vec<ListItem> = app
        .dbs
        .iter()
        .map(|db| {
            let size = db.model.as_ref().map_or(String::new(), |m| {
                format!("  {}", units::bytes(m.size_bytes))
            });
            if is_backup_name(&db.found.path) {
                let status = db
                    .model
                    .as_ref()
                    .map_or("…".to_string(), |m| m.status.label().to_string());
                return ListItem::new(Line::from(vec![
                    Span::styled(format!("⎘ {}", db.name()), t.info),
                    Span::styled(format!("{size}  backup copy, {status}"), t.dim),
                ]));
            }
            let copies = backups_of(app, db);
            let state = if copies.is_empty() {
                Span::styled("  no backup found", t.warning)
            } else {
                let names: Vec<&str> = copies.iter().map(|c| c.name()).collect();
                Span::styled(format!("  backups: {}", names.join(", ")), t.ok)
            };
            ListItem::new(Line::from(vec![
                Span::styled(db.name().to_string(), t.text),
                Span::styled(size, t.dim),
                state,
            ]))
        })
        .collect();
    let title = " Backups · copies found in the workspace (verified backups: coming) ";
    render_list(frame, area, items, title.into(), app.state.backups, t);
}
