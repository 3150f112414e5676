//! Everything a key or a mouse event can ask for. The keymap turns keys into these; `App::update`
//! is the only place that acts on them.

use serde::Deserialize;

/// The eight panels, in the contract's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Panel {
    Overview,
    Schema,
    Data,
    Query,
    Findings,
    Relations,
    Migrations,
    Backups,
}

impl Panel {
    pub const ALL: [Panel; 8] = [
        Panel::Overview,
        Panel::Schema,
        Panel::Data,
        Panel::Query,
        Panel::Findings,
        Panel::Relations,
        Panel::Migrations,
        Panel::Backups,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Panel::Overview => "Overview",
            Panel::Schema => "Schema",
            Panel::Data => "Data",
            Panel::Query => "Query",
            Panel::Findings => "Findings",
            Panel::Relations => "Relations",
            Panel::Migrations => "Migrations",
            Panel::Backups => "Backups",
        }
    }

    pub fn index(self) -> usize {
        Panel::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }

    pub fn offset(self, by: isize) -> Panel {
        let n = Panel::ALL.len() as isize;
        Panel::ALL[((self.index() as isize + by).rem_euclid(n)) as usize]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Quit,
    Help,
    NextPanel,
    PrevPanel,
    Show(Panel),
    Filter,
    Refresh,
    /// Close a popup, leave a mode, or cancel the running job.
    Escape,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Enter,
    /// Query panel: run the editor's SQL.
    Run,
    /// Query panel: start typing in the editor.
    Edit,
    HistoryPrev,
    HistoryNext,
    /// Findings panel: the next sort order.
    Sort,
    /// Findings panel: show only the next severity.
    Severity,
    /// Switch between the dark and light themes.
    Theme,
    /// Focus the previous / next database (Data and Query panels work on it).
    PrevDb,
    NextDb,
}

impl Action {
    /// What the help screen says of it.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Help => "this help",
            Action::NextPanel => "next panel",
            Action::PrevPanel => "previous panel",
            Action::Show(_) => "go to panel",
            Action::Filter => "filter the list in focus",
            Action::Refresh => "re-read the databases",
            Action::Escape => "close popup / leave editor / cancel the running job",
            Action::Up => "move up",
            Action::Down => "move down",
            Action::Left => "left / collapse / previous column",
            Action::Right => "right / expand / next column",
            Action::PageUp => "previous page",
            Action::PageDown => "next page",
            Action::Top => "first row / first page",
            Action::Bottom => "last row / last page",
            Action::Enter => "open: DDL, table, full value, fix",
            Action::Run => "run the query (Query panel)",
            Action::Edit => "edit the query (Query panel)",
            Action::HistoryPrev => "previous query from history",
            Action::HistoryNext => "next query from history",
            Action::Sort => "change sort order (Findings)",
            Action::Severity => "filter by severity (Findings)",
            Action::Theme => "switch dark / light theme",
            Action::PrevDb => "previous database",
            Action::NextDb => "next database",
        }
    }
}
