//! The eight panels: each file draws one and handles its keys; this module holds what they share.

pub mod backups;
pub mod data;
pub mod findings;
pub mod migrations;
pub mod overview;
pub mod query;
pub mod relations;
pub mod schema;

use ratatui::layout::Rect;
use ratatui::widgets::{Block, BorderType, List, ListItem, ListState};
use ratatui::Frame;

use super::action::{Action, Panel};
use super::app::App;
use super::config::History;
use super::theme::Theme;

/// Every panel's own state.
pub struct PanelState {
    pub overview: usize,
    pub schema: schema::State,
    pub data: data::State,
    pub query: query::State,
    pub findings: findings::State,
    pub relations: relations::State,
    pub migrations: usize,
    pub backups: usize,
}

impl PanelState {
    /// Each panel's state at start; the Query panel gets the history read from disk.
    pub fn new(history: History) -> PanelState {
        PanelState {
            overview: 0,
            schema: schema::State::default(),
            data: data::State::default(),
            query: query::State::new(history),
            findings: findings::State::default(),
            relations: relations::State::default(),
            migrations: 0,
            backups: 0,
        }
    }

    pub fn filter(&self, panel: Panel) -> Option<String> {
        match panel {
            Panel::Schema => Some(self.schema.filter.clone()),
            Panel::Data => Some(self.data.filter.clone()),
            Panel::Findings => Some(self.findings.filter.clone()),
            Panel::Relations => Some(self.relations.filter.clone()),
            _ => None,
        }
    }

    pub fn has_filter(&self, panel: Panel) -> bool {
        self.filter(panel).is_some()
    }

    /// The filter being typed; panels without one get a scratch string.
    pub fn filter_mut(&mut self, panel: Panel) -> &mut String {
        match panel {
            Panel::Schema => &mut self.schema.filter,
            Panel::Data => &mut self.data.filter,
            Panel::Findings => &mut self.findings.filter,
            _ => &mut self.relations.filter,
        }
    }

    pub fn reset_selection(&mut self, panel: Panel) {
        match panel {
            Panel::Schema => self.schema.selected = 0,
            Panel::Data => self.data.list = 0,
            Panel::Findings => self.findings.selected = 0,
            Panel::Relations => self.relations.selected = 0,
            _ => {}
        }
    }

    /// A click on `line` of the panel's list (0 is the first row under its header).
    pub fn click(&mut self, panel: Panel, line: usize, visible: usize) {
        let pick = |sel: &mut usize| {
            let offset = sel.saturating_sub(visible.saturating_sub(1));
            *sel = offset + line;
        };
        match panel {
            Panel::Overview => pick(&mut self.overview),
            Panel::Schema => pick(&mut self.schema.selected),
            Panel::Data if !self.data.in_grid => pick(&mut self.data.list),
            Panel::Findings => pick(&mut self.findings.selected),
            Panel::Relations => pick(&mut self.relations.selected),
            Panel::Migrations => pick(&mut self.migrations),
            Panel::Backups => pick(&mut self.backups),
            _ => {}
        }
    }
}

/// Moves a list selection; `len` bounds it. Returns true when the action was a move.
pub fn step(sel: &mut usize, len: usize, action: Action) -> bool {
    let last = len.saturating_sub(1);
    *sel = match action {
        Action::Up => sel.saturating_sub(1),
        Action::Down => (*sel + 1).min(last),
        Action::PageUp => sel.saturating_sub(20),
        Action::PageDown => (*sel + 20).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        _ => return false,
    };
    true
}

/// A bordered block with a title, highlighted when it has the focus.
pub fn block(title: String, focused: bool, theme: &Theme) -> Block<'static> {
    Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(if focused {
            theme.border_focus
        } else {
            theme.border
        })
        .title(title)
}

/// A bordered list with its selection kept in view.
pub fn render_list(
    frame: &mut Frame,
    area: Rect,
    items: Vec<ListItem<'static>>,
    title: String,
    selected: usize,
    theme: &Theme,
) {
    let len = items.len();
    let list = List::new(items)
        .block(block(title, true, theme))
        .highlight_style(theme.selected);
    let mut state = ListState::default().with_selected(Some(selected.min(len.saturating_sub(1))));
    frame.render_stateful_widget(list, area, &mut state);
}

/// The rows of a list of `len` that a bordered `area` shows with `selected` in view, as the list
/// widget would scroll them: only these need building, however long the list.
pub fn visible(len: usize, selected: usize, area: Rect) -> std::ops::Range<usize> {
    let rows = usize::from(area.height.saturating_sub(2)).max(1);
    let start = selected.min(len.saturating_sub(1)).saturating_sub(rows - 1);
    start..len.min(start + rows)
}

/// Case-insensitive substring match; an empty filter matches everything.
pub fn matches(filter: &str, text: &str) -> bool {
    filter.is_empty() || text.to_lowercase().contains(&filter.to_lowercase())
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    match app.panel {
        Panel::Overview => overview::draw(frame, area, app),
        Panel::Schema => schema::draw(frame, area, app),
        Panel::Data => data::draw(frame, area, app),
        Panel::Query => query::draw(frame, area, app),
        Panel::Findings => findings::draw(frame, area, app),
        Panel::Relations => relations::draw(frame, area, app),
        Panel::Migrations => migrations::draw(frame, area, app),
        Panel::Backups => backups::draw(frame, area, app),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_rows_in_view_are_built() {
        let area = Rect::new(0, 0, 20, 6);
        assert_eq!(visible(10, 0, area), 0..4);
        assert_eq!(visible(10, 3, area), 0..4);
        assert_eq!(visible(10, 7, area), 4..8);
        assert_eq!(visible(10, 99, area), 6..10);
        assert_eq!(visible(0, 0, area), 0..0);
    }
}
