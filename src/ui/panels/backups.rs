//! Backups (8): the backup copies found in the workspace, and the databases that have none.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::ListItem;
use ratatui::Frame;

use super::{render_list, DatabaseRows, Panel};
use crate::engine::backups::{is_backup_name, is_copy_of};
use crate::ui::action::{Action, PanelId};
use crate::ui::command::Ctx;
use crate::ui::view::{Db, View};
use crate::units;

pub const ID: PanelId = PanelId("backups");

/// The selected database's row.
#[derive(Default)]
pub struct Backups {
    rows: DatabaseRows,
}

impl Panel for Backups {
    fn handle(&mut self, action: Action, ctx: &mut Ctx) {
        self.rows.handle(action, ctx);
    }

    fn click(&mut self, row: u16, height: u16, _ctx: &mut Ctx) {
        self.rows.click(row, height);
    }

    fn draw(&self, frame: &mut Frame, area: Rect, view: &View) {
        draw(self.rows.selected, frame, area, view);
    }
}

/// The backups of `db` among the workspace's files.
fn backups_of<'a>(view: &'a View, db: &Db) -> Vec<&'a Db> {
    view.dbs
        .iter()
        .filter(|b| is_copy_of(&b.found.path, &db.found.path))
        .collect()
}

fn draw(selected: usize, frame: &mut Frame, area: Rect, view: &View) {
    let t = &view.theme;
    let items: Vec<ListItem> = view
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
            let copies = backups_of(view, db);
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
    let title = " Backups · copies found in the workspace, and databases with none ";
    render_list(frame, area, items, title.into(), selected, t);
}
