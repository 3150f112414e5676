//! Everything a key or a mouse event can ask for. The keymap turns keys into these; `App::update`
//! acts on those that concern the whole screen and hands the rest to the panel in front.

use serde::Deserialize;

/// A panel, by the name the config file calls it (`show_schema`). The panels and their order are
/// listed once, in `panels::REGISTRY`; an id says which one without depending on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PanelId(pub &'static str);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Quit,
    Help,
    NextPanel,
    PrevPanel,
    /// Named `show_<panel>` in the config; the keymap reads those names from the registry.
    #[serde(skip)]
    Show(PanelId),
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
    /// Query panel: the workload's statements with their marks (the --workload file, or the
    /// editor's statements), or back to the results.
    Workload,
    /// Schema panel: compare the selected database's schema with the next other database's.
    Compare,
    /// Findings panel: the next sort order. Data grid: sort by the selected column, ascending,
    /// then descending, then not.
    Sort,
    /// Findings panel: show only the next severity.
    Severity,
    /// Switch between the dark and light themes.
    Theme,
    /// Focus the previous / next database (Data and Query panels work on it).
    PrevDb,
    NextDb,
    /// Copy what is selected to the clipboard (OSC 52): a value, a DDL, a fix, results as CSV.
    Copy,
    /// Copy the selected row as JSON (Data and Query grids).
    CopyRow,
    /// Data grid: open the row the selected cell's foreign key refers to (Esc comes back).
    Follow,
    /// Backups panel: back up the selected database now.
    Backup,
    /// Backups panel: verify the selected backup against its database.
    Verify,
    /// Backups panel: remove all but the newest backups of the selected database.
    Prune,
    /// Backups panel: restore the selected backup over its database.
    Restore,
    /// Migrations panel: apply the selected database's pending migrations.
    MigrateUp,
    /// Migrations panel: roll back the selected database's last applied migration.
    MigrateDown,
    /// Migrations panel: apply the pending migrations to a private copy and show what changes.
    DryRun,
    /// Findings and Relations panels: apply the selected fix through the migrations runner. Query
    /// panel: show the plan with the next suggested index beside the plan without it (on the
    /// advisor's private copy).
    Apply,
}

/// The groups of the help screen, in the order it lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Group {
    Global,
    Move,
    Query,
    Findings,
    Migrations,
    Backups,
}

impl Group {
    pub fn title(self) -> &'static str {
        match self {
            Group::Global => "Global",
            Group::Move => "In every panel: lists, trees and grids",
            Group::Query => "Query (4)",
            Group::Findings => "Findings (5)",
            Group::Migrations => "Migrations (7)",
            Group::Backups => "Backups (8)",
        }
    }
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
            Action::Filter => "filter the list in focus (Data grid: rows, by WHERE)",
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
            Action::Workload => "workload: every statement with its marks / back to results",
            Action::Compare => "compare with the next database's schema (Schema)",
            Action::Sort => "sort (Findings; Data grid: by the column, up/down/off)",
            Action::Severity => "filter by severity (Findings)",
            Action::Theme => "switch dark / light theme",
            Action::PrevDb => "previous database",
            Action::NextDb => "next database",
            Action::Copy => "copy: value, DDL, fix, results as CSV",
            Action::CopyRow => "copy the selected row as JSON",
            Action::Follow => "follow the cell's foreign key to its row (Data; Esc back)",
            Action::Backup => "back up the selected database now (asks first)",
            Action::Verify => "verify the selected backup against its database",
            Action::Prune => "keep the newest backups, remove the rest (asks first)",
            Action::Restore => "restore the selected backup over its database (asks first)",
            Action::MigrateUp => "apply the pending migrations, backup first (asks first)",
            Action::MigrateDown => "roll back the last applied migration (asks first)",
            Action::DryRun => "dry run: the pending migrations on a private copy, and what changes",
            Action::Apply => {
                "apply the selected fix, backed up and recorded (asks first; also Relations); \
                 in Query: the plan with the next suggested index"
            }
        }
    }

    /// Where the help screen lists it.
    pub fn group(self) -> Group {
        match self {
            Action::Up
            | Action::Down
            | Action::Left
            | Action::Right
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom
            | Action::Enter
            | Action::Copy
            | Action::CopyRow
            | Action::Follow => Group::Move,
            Action::Run
            | Action::Edit
            | Action::HistoryPrev
            | Action::HistoryNext
            | Action::Workload => Group::Query,
            Action::Sort | Action::Severity | Action::Apply => Group::Findings,
            Action::MigrateUp | Action::MigrateDown | Action::DryRun => Group::Migrations,
            Action::Backup | Action::Verify | Action::Prune | Action::Restore => Group::Backups,
            _ => Group::Global,
        }
    }
}
