//! Where the parts of the screen go, as a pure function of its size, so that drawing and mouse
//! clicks agree.

use ratatui::layout::Rect;

use super::action::PanelId;
use super::panels::{Entry, REGISTRY};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Areas {
    pub header: Rect,
    pub tabs_row: Rect,
    /// Each panel's tab as (panel, first column, column after the last).
    pub tabs: Vec<(PanelId, u16, u16)>,
    pub body: Rect,
    pub status: Rect,
}

/// The text of a panel's tab: its key and title.
pub fn tab_label(panel: &Entry) -> String {
    format!(" {} {} ", panel.key, panel.title)
}

impl Areas {
    pub fn compute(area: Rect) -> Areas {
        let line = |y: u16| Rect::new(area.x, y, area.width, 1.min(area.height));
        let body_height = area.height.saturating_sub(3);
        let mut x = area.x;
        let tabs = REGISTRY
            .iter()
            .map(|p| {
                let w = tab_label(p).chars().count() as u16;
                let tab = (p.id, x, x + w);
                x += w;
                tab
            })
            .collect();
        Areas {
            header: line(area.y),
            tabs_row: line(area.y + 1),
            tabs,
            body: Rect::new(area.x, area.y + 2, area.width, body_height),
            status: line(area.y + area.height.saturating_sub(1)),
        }
    }

    pub fn tab_at(&self, col: u16, row: u16) -> Option<PanelId> {
        (row == self.tabs_row.y)
            .then(|| {
                self.tabs
                    .iter()
                    .find(|(_, a, b)| (*a..*b).contains(&col))
                    .map(|t| t.0)
            })
            .flatten()
    }
}
