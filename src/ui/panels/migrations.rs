//! Migrations (7): which migration tool tracks each database, and its schema version.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::ListItem;
use ratatui::Frame;

use super::{render_list, DatabaseRows, Panel};
use crate::engine::migrate;
use crate::ui::action::{Action, PanelId};
use crate::ui::command::Ctx;
use crate::ui::view::View;

pub const ID: PanelId = PanelId("migrations");

/// The selected database's row.
#[derive(Default)]
pub struct Migrations {
    rows: DatabaseRows,
}

impl Panel for Migrations {
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

fn draw(selected: usize, frame: &mut Frame, area: Rect, view: &View) {
    let t = &view.theme;
    let items: Vec<ListItem> = view
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
                Some(tr) => Span::styled(
                    format!(
                        "  tracked by {} in {}",
                        tr.kind,
                        tr.table.unwrap_or_default()
                    ),
                    t.ok,
                ),
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
    let title = " Migrations · the tracking table or user_version of each database ";
    render_list(frame, area, items, title.into(), selected, t);
}
