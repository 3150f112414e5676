//! The panels as components: the [`Panel`] trait each implements in its own file, the
//! [`REGISTRY`] that lists them in tab order, and drawing helpers they share.
//!
//! A panel owns its state (selection, filter, open table, editor), draws itself from that state
//! and the read-only [`View`], and handles the actions of the keys pressed while it is in front.
//! Whatever reaches beyond it (another panel, the database in focus, a popup, a job) it asks for
//! with a [`Command`](super::command::Command) through its [`Ctx`]; it never sees `App`. This is
//! gitui's `Component` and rainfrog's components, with drawing kept as a function of state (a
//! `&self` draw) so that the screen cannot change while it is drawn.
//!
//! To add a panel: write its file (a state struct implementing [`Panel`], with an `ID`), and add
//! one line to [`REGISTRY`]. Nothing else lists panels: tabs, number keys, the config's
//! `show_<name>` actions and mouse clicks on tabs all read the registry.

pub mod backups;
pub mod data;
pub mod findings;
pub mod migrations;
pub mod overview;
pub mod query;
pub mod relations;
pub mod schema;

use std::any::{Any, TypeId};

use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::widgets::{Block, BorderType, List, ListItem, ListState};
use ratatui::Frame;

use super::action::{Action, PanelId};
use super::command::Ctx;
use super::config::History;
use super::theme::Theme;
use super::view::View;

/// What panels are built from at start: what was read from disk for them.
#[derive(Debug, Clone, Default)]
pub struct Setup {
    pub history: History,
}

/// One panel of the registry.
pub struct Entry {
    pub id: PanelId,
    /// The key that brings it to the front, as the config writes keys.
    pub key: &'static str,
    /// Its tab's title.
    pub title: &'static str,
    pub make: fn(&Setup) -> Box<dyn Panel>,
}

/// Every panel, in tab order.
pub const REGISTRY: &[Entry] = &[
    Entry {
        id: overview::ID,
        key: "1",
        title: "Overview",
        make: |_| Box::new(overview::Overview),
    },
    Entry {
        id: schema::ID,
        key: "2",
        title: "Schema",
        make: |_| Box::<schema::Schema>::default(),
    },
    Entry {
        id: data::ID,
        key: "3",
        title: "Data",
        make: |_| Box::<data::Data>::default(),
    },
    Entry {
        id: query::ID,
        key: "4",
        title: "Query",
        make: |setup| Box::new(query::Query::new(setup.history.clone())),
    },
    Entry {
        id: findings::ID,
        key: "5",
        title: "Findings",
        make: |_| Box::<findings::Findings>::default(),
    },
    Entry {
        id: relations::ID,
        key: "6",
        title: "Relations",
        make: |_| Box::<relations::Relations>::default(),
    },
    Entry {
        id: migrations::ID,
        key: "7",
        title: "Migrations",
        make: |_| Box::<migrations::Migrations>::default(),
    },
    Entry {
        id: backups::ID,
        key: "8",
        title: "Backups",
        make: |_| Box::<backups::Backups>::default(),
    },
];

/// The registry's entry for `id`.
pub fn entry(id: PanelId) -> Option<&'static Entry> {
    REGISTRY.iter().find(|e| e.id == id)
}

/// What `/` edits: a panel's filter, and the selection that goes back to the first row as the
/// filter changes.
pub struct FilterMut<'a> {
    pub text: &'a mut String,
    pub selected: &'a mut usize,
}

/// A list with one row per database of the workspace (the Migrations and Backups panels): the
/// selection moves over the databases, a click picks a row, and `y` copies the selected path.
#[derive(Default)]
pub struct DatabaseRows {
    pub selected: usize,
}

impl DatabaseRows {
    pub fn handle(&mut self, action: Action, ctx: &mut Ctx) {
        step(&mut self.selected, ctx.view.dbs.len(), action);
        if matches!(action, Action::Copy | Action::CopyRow) {
            ctx.copy_path(self.selected);
        }
    }

    pub fn click(&mut self, row: u16, height: u16) {
        pick(&mut self.selected, row, height, 0);
    }
}

/// A component of the screen's body. Every method but `handle` and `draw` has a default for the
/// panels that need none of it.
pub trait Panel: Any {
    /// Acts on `action`, a key's meaning, while the panel is in front.
    fn handle(&mut self, action: Action, ctx: &mut Ctx);

    /// Draws the panel into `area` from its own state and `view`.
    fn draw(&self, frame: &mut Frame, area: Rect, view: &View);

    /// Sees a key before the keymap does (with the action the keymap gives it, if any) and says
    /// whether it took it: an editor takes every key while it has the focus.
    fn input(&mut self, _key: KeyEvent, _action: Option<Action>, _ctx: &mut Ctx) -> bool {
        false
    }

    /// Text pasted into the terminal while the panel is in front.
    fn paste(&mut self, _text: &str) {}

    /// The filter `/` edits, for a panel that has one.
    fn filter(&self) -> Option<&str> {
        None
    }

    fn filter_mut(&mut self) -> Option<FilterMut<'_>> {
        None
    }

    /// A click on line `row` of the panel's area (0 is its top border), `height` lines high.
    fn click(&mut self, _row: u16, _height: u16, _ctx: &mut Ctx) {}

    /// True when Esc has something to leave in the panel (an open grid): then Esc does that rather
    /// than cancel background work.
    fn steps_back(&self) -> bool {
        false
    }

    /// The database in focus changed (it is `view.focus` now).
    fn focus_moved(&mut self, _view: &View) {}
    /// The panel came to the front: it may ask for what it shows (the Migrations and Backups
    /// panels read their folders then, not at start).
    fn shown(&mut self, _ctx: &mut Ctx) {}

    /// Database `db`'s schema has been read (at start, and again after `r`).
    fn schema_read(&mut self, _db: usize, _ctx: &mut Ctx) {}

    /// Something changed under `dir`, a folder this panel asked to watch.
    fn folder_changed(&mut self, _dir: &std::path::Path, _ctx: &mut Ctx) {}
}

/// The panels, built from the registry, and which is in front.
pub struct Panels {
    list: Vec<Box<dyn Panel>>,
    front: usize,
}

impl Panels {
    pub fn new(setup: &Setup) -> Panels {
        Panels {
            list: REGISTRY.iter().map(|e| (e.make)(setup)).collect(),
            front: 0,
        }
    }

    pub fn front(&self) -> &dyn Panel {
        self.list[self.front].as_ref()
    }

    pub fn front_mut(&mut self) -> &mut dyn Panel {
        self.list[self.front].as_mut()
    }

    /// The id of the panel in front.
    pub fn front_id(&self) -> PanelId {
        REGISTRY[self.front].id
    }

    pub fn show(&mut self, id: PanelId) {
        if let Some(i) = REGISTRY.iter().position(|e| e.id == id) {
            self.front = i;
        }
    }

    /// Brings the panel `by` tabs away to the front, wrapping around.
    pub fn step(&mut self, by: isize) {
        let n = self.list.len() as isize;
        self.front = (self.front as isize + by).rem_euclid(n) as usize;
    }

    /// The panel of type `P`, to read its state (tests, the app's own commands).
    pub fn get<P: Panel>(&self) -> Option<&P> {
        self.list
            .iter()
            .find_map(|p| (p.as_ref() as &dyn Any).downcast_ref::<P>())
    }

    pub fn get_mut<P: Panel>(&mut self) -> Option<&mut P> {
        self.list
            .iter_mut()
            .find_map(|p| (p.as_mut() as &mut dyn Any).downcast_mut::<P>())
    }

    /// The panel whose concrete type is `target`, as a job's handler receives it.
    pub fn by_type_mut(&mut self, target: TypeId) -> Option<&mut dyn Panel> {
        self.list
            .iter_mut()
            .find(|p| (p.as_ref() as &dyn Any).type_id() == target)
            .map(|p| p.as_mut())
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut dyn Panel> {
        self.list.iter_mut().map(|p| p.as_mut() as &mut dyn Panel)
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

/// A click on line `row` of a bordered list `height` lines high, under `header` lines of column
/// titles: selects the row clicked, as the list scrolled to keep `sel` in view shows it.
pub fn pick(sel: &mut usize, row: u16, height: u16, header: u16) {
    let top = header + 1;
    let Some(line) = row.checked_sub(top) else {
        return;
    };
    let visible = usize::from(height.saturating_sub(top + 1));
    let offset = sel.saturating_sub(visible.saturating_sub(1));
    *sel = offset + usize::from(line);
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

    #[test]
    fn the_registry_names_each_panel_and_key_once() {
        for (i, e) in REGISTRY.iter().enumerate() {
            assert!(
                REGISTRY[i + 1..]
                    .iter()
                    .all(|o| o.id != e.id && o.key != e.key),
                "{} is listed twice",
                e.id.0
            );
        }
    }

    #[test]
    fn a_click_selects_the_row_under_it() {
        // Rows 0 and 1 are the border and a table's header; 20 lines leave 17 rows in view.
        let mut sel = 0;
        pick(&mut sel, 1, 20, 1);
        assert_eq!(sel, 0, "a click on the header selects nothing");
        pick(&mut sel, 5, 20, 1);
        assert_eq!(sel, 3);
        let mut scrolled = 30;
        pick(&mut scrolled, 2, 20, 1);
        assert_eq!(scrolled, 14, "the list shows rows 14..=30 with 30 selected");
    }
}
