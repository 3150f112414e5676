//! Migrations (7): per database its tracking, the migrations folder matched with it (given with
//! `--migrations DIR`, or found beside it), every migration with its state in colour, and the
//! selected migration's SQL.
//!
//! Status is read by a job on the database's worker when the panel is first shown (for every
//! database read by then, and for each one read later), and again whenever the watched folder
//! changes (a new or edited file) or `r` re-reads everything. Enter (or →)
//! moves into the selected database's migrations, Esc (or ←) back; `y` copies the database's path,
//! or in the migrations the selected file's SQL.
//!
//! `p` previews the pending migrations: a dry run on a private copy (in memory when small), with
//! its lines and what it changed (tables, columns, rows) in the log.
//!
//! `u` applies the pending migrations and `d` rolls back the last applied one: a job plans the
//! run, a confirmation names the database, each migration, the tracking and the backup (and
//! warns of a file that asks for no transaction), then the run goes on the database's worker
//! with a line per migration under the SQL and the backup's gauge; Esc cancels it, rolling back
//! the migration under way. When it ends the database and its migrations are read again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{ListItem, Paragraph, Wrap};
use ratatui::Frame;

use super::{block, pick, render_list, step, DatabaseRows, Panel};
use crate::engine::discover::Found;
use crate::engine::error::Error;
use crate::engine::jobs::migrations::{DryRunJob, PlanRun, RunJob};
use crate::engine::jobs::{MigrationsJob, MigrationsRead};
use crate::engine::migrate::run::{Direction, Outcome, Plan};
use crate::engine::migrate::{Kind, Migration, State, StatusRow};
use crate::engine::names::escape_path;
use crate::engine::worker::JobId;
use crate::ui::action::{Action, PanelId};
use crate::ui::command::{Command, Ctx, Message};
use crate::ui::theme::Theme;
use crate::ui::view::{Db, View};
use crate::ui::widgets::confirm::Confirm;
use crate::ui::widgets::gauge::gauge;
use crate::ui::widgets::sql::highlight;

pub const ID: PanelId = PanelId("migrations");

/// What is known of one database's migrations.
enum Read {
    /// Asked, with no answer yet. (A database's jobs answer in order, so the last answer is the
    /// newest read.)
    Waiting,
    Done(MigrationsRead),
    Failed(String),
}

/// What a read of a database's migrations reads again.
#[derive(Clone, Copy)]
enum Again {
    /// The folder and the tracking: when first shown, and when the folder changed.
    All,
    /// The tracking alone, against the folder as last read: after the database was read again.
    Tracking,
}

#[derive(Default)]
pub struct Migrations {
    rows: DatabaseRows,
    reads: BTreeMap<usize, Read>,
    /// The folder each database was matched with, as watched (absolute).
    folders: BTreeMap<usize, PathBuf>,
    /// The selected migration of the selected database, while the migrations have the focus.
    migration: usize,
    in_list: bool,
    /// The panel has been shown: from then on every database read is followed by its migrations.
    /// Before, nothing is read, so that a workspace of thousands of databases starts as fast
    /// as without this panel.
    active: bool,
    /// The run under way, for its gauge.
    running: Option<JobId>,
    /// The lines of the last run, one per migration, or of the last dry run and what it changed.
    log: Vec<String>,
    /// Which of the two the log holds.
    log_title: &'static str,
}

impl Migrations {
    /// Reads database `db`'s migrations, its folder too unless `again` and the folder is
    /// known (see [`MigrationsJob::known`]); the answer replaces what is shown.
    fn read(&mut self, db: usize, again: Again, ctx: &mut Ctx) {
        if !ctx.view.dbs.get(db).is_some_and(|d| d.is_ok()) {
            return;
        }
        let known = match (again, self.reads.get(&db)) {
            (Again::Tracking, Some(Read::Done(read))) => read.folder.clone(),
            _ => None,
        };
        let job = MigrationsJob {
            dir: ctx.view.migrations.clone(),
            known,
        };
        ctx.send(db, job, move |panel: &mut Migrations, ctx, _, result| {
            panel.answered(db, result, ctx);
        });
        // What was read stays on screen until the new read replaces it.
        if !matches!(self.reads.get(&db), Some(Read::Done(_))) {
            self.reads.insert(db, Read::Waiting);
        }
    }

    fn answered(&mut self, db: usize, result: Result<MigrationsRead, Error>, ctx: &mut Ctx) {
        match result {
            Ok(read) => {
                if let Some(dir) = read.folder.as_ref().map(|f| absolute(&f.dir)) {
                    ctx.push(Command::Watch(dir.clone()));
                    self.folders.insert(db, dir);
                }
                self.reads.insert(db, Read::Done(read));
            }
            Err(Error::Cancelled) => {}
            Err(e) => {
                self.reads.insert(db, Read::Failed(e.to_string()));
            }
        }
    }

    /// The selected database's status, when read.
    fn selected(&self) -> Option<&MigrationsRead> {
        match self.reads.get(&self.rows.selected) {
            Some(Read::Done(read)) => Some(read),
            _ => None,
        }
    }

    fn selected_row(&self) -> Option<(&StatusRow, Option<&Migration>)> {
        let read = self.selected()?;
        let row = read.status.migrations.get(self.migration)?;
        let file = read.folder.as_ref().and_then(|f| f.get(&row.version));
        Some((row, file))
    }
}

/// A folder found beside a database, relative to the path the user gave (as the database's own
/// name is), so that `migrations` reads as such rather than as a long absolute path.
fn shown_folder(found: &Found, dir: &Path) -> String {
    let depth = Path::new(&found.display).components().count();
    let root = found.path.ancestors().nth(depth).map(absolute);
    let rel = root.and_then(|r| dir.strip_prefix(r).ok().map(Path::to_path_buf));
    match rel {
        Some(rel) if !rel.as_os_str().is_empty() => escape_path(rel),
        _ => escape_path(dir),
    }
}

fn absolute(dir: &Path) -> PathBuf {
    std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf())
}

impl Migrations {
    /// The selected database's migrations folder; without one, says so.
    fn folder_of_selected(&self, ctx: &mut Ctx) -> Option<PathBuf> {
        let dir = self
            .selected()
            .and_then(|r| r.folder.as_ref())
            .map(|f| f.dir.clone());
        if dir.is_none() {
            ctx.message(Message::info(
                "no migrations folder for this database (give one with --migrations DIR)",
            ));
        }
        dir
    }

    /// `u` / `d`: plans the run on the worker, then asks.
    fn ask_run(&mut self, direction: Direction, ctx: &mut Ctx) {
        let db = self.rows.selected;
        let Some(dir) = self.folder_of_selected(ctx) else {
            return;
        };
        ctx.send(
            db,
            PlanRun { dir, direction },
            move |_: &mut Migrations, ctx, _, result| match result {
                Ok(plan) if plan.steps.is_empty() => ctx.message(Message::info(
                    "nothing to run: no migration to apply or roll back",
                )),
                Ok(plan) => confirm_run(db, plan, ctx),
                Err(e) => ctx.fail(db, e),
            },
        );
    }

    /// `p`: plans the pending migrations, then applies them to a private copy (nothing to confirm:
    /// the database is only read) and shows what they change.
    fn ask_dry_run(&mut self, ctx: &mut Ctx) {
        let db = self.rows.selected;
        let Some(dir) = self.folder_of_selected(ctx) else {
            return;
        };
        let up = Direction::Up { to: None };
        ctx.send(
            db,
            PlanRun { dir, direction: up },
            move |p: &mut Migrations, ctx, _, result| match result {
                Ok(plan) if plan.steps.is_empty() => {
                    ctx.message(Message::info("nothing to preview: no migration is pending"))
                }
                Ok(plan) => p.start_dry_run(db, plan, ctx),
                Err(e) => ctx.fail(db, e),
            },
        );
    }

    fn start_dry_run(&mut self, db: usize, plan: Plan, ctx: &mut Ctx) {
        self.log.clear();
        self.log_title = " dry run on a private copy ";
        let id = ctx.send_streaming(
            db,
            DryRunJob { plan },
            |p: &mut Migrations, _, _, line: String| p.logged(line),
            move |p: &mut Migrations, ctx, _, result| {
                p.running = None;
                match result {
                    Ok((outcome, preview)) => match &outcome.failed {
                        Some(f) => p.log.push(format!("failed {f}")),
                        None => p.log.extend(preview.lines()),
                    },
                    Err(e) => ctx.fail(db, e),
                }
            },
        );
        self.running = Some(id);
    }

    /// A line of a run as it goes: a migration's line says it runs, then is replaced by how it
    /// ended.
    fn logged(&mut self, line: String) {
        if self.log.last().is_some_and(|l| l.ends_with('…')) {
            self.log.pop();
        }
        self.log.push(line);
    }

    fn start_run(&mut self, db: usize, plan: Plan, ctx: &mut Ctx) {
        self.log.clear();
        self.log_title = " last run ";
        let id = ctx.send_streaming(
            db,
            RunJob { plan },
            |p: &mut Migrations, _, _, line: String| p.logged(line),
            move |p: &mut Migrations, ctx, _, result| {
                p.running = None;
                match result {
                    Ok(outcome) => p.finished(db, &outcome, ctx),
                    Err(crate::engine::error::Error::Cancelled) => {
                        ctx.message(Message::info("cancelled before any migration ran"))
                    }
                    Err(e) => ctx.fail(db, e),
                }
                ctx.push(Command::Reload(db));
                p.read(db, Again::Tracking, ctx);
            },
        );
        self.running = Some(id);
    }

    fn finished(&mut self, db: usize, outcome: &Outcome, ctx: &mut Ctx) {
        let backup = outcome
            .backup
            .as_ref()
            .map_or(String::new(), |b| format!("; backup {}", escape_path(b)));
        let done = format!("{} migrations run{backup}", outcome.applied.len());
        match &outcome.failed {
            Some(f) => {
                self.log.push(format!("failed {f}"));
                let kept = match f.rolled_back {
                    true => "rolled back, the database stays at the last good version",
                    false => "it could not be rolled back: restore the backup (R in Backups)",
                };
                ctx.fail(db, format!("{done}; {f}; {kept}"));
            }
            None => ctx.message(Message::info(done)),
        }
    }
}

/// The confirmation of a planned run: the database, each migration, the tracking, the backup.
fn confirm_run(db: usize, plan: Plan, ctx: &mut Ctx) {
    let name = ctx
        .view
        .dbs
        .get(db)
        .map_or(String::new(), |d| d.name().to_string());
    let n = plan.steps.len();
    let (verb, title) = match plan.direction {
        Direction::Up { .. } => ("apply", format!("Apply {n} migrations to {name}?")),
        Direction::Down { .. } => ("roll back", format!("Roll back {n} migrations of {name}?")),
    };
    let mut changes: Vec<String> = plan
        .steps
        .iter()
        .map(|s| format!("{verb} {} {} ({})", s.version, s.name, s.file))
        .collect();
    let t = &plan.tracking;
    changes.push(format!(
        "record in {} ({}): {}",
        t.kind,
        t.table.as_deref().unwrap_or("PRAGMA user_version"),
        plan.chosen.describe()
    ));
    changes.push(match &plan.backup {
        Some(b) => format!("back up first to {}", escape_path(&b.target)),
        None => "no backup".into(),
    });
    let no_tx: Vec<String> = plan
        .steps
        .iter()
        .filter(|s| s.no_transaction)
        .map(|s| s.file.clone())
        .collect();
    let down = matches!(plan.direction, Direction::Down { .. });
    let on_yes = Box::new(move |ctx: &mut Ctx| {
        ctx.to_panel(move |p: &mut Migrations, ctx| p.start_run(db, plan, ctx))
    });
    let mut confirm = Confirm::new(title, changes, on_yes);
    if !no_tx.is_empty() {
        confirm = confirm.caveat(format!(
            "{} asks for no transaction: if it fails it cannot be rolled back, only restored from \
             the backup",
            no_tx.join(", ")
        ));
    } else if down {
        confirm = confirm.caveat("rolling back drops what these migrations added, data included");
    }
    ctx.confirm(confirm);
}

impl Panel for Migrations {
    fn handle(&mut self, action: Action, ctx: &mut Ctx) {
        match action {
            Action::MigrateUp => return self.ask_run(Direction::Up { to: None }, ctx),
            Action::MigrateDown => return self.ask_run(Direction::Down { steps: 1 }, ctx),
            Action::DryRun => return self.ask_dry_run(ctx),
            _ => {}
        }
        if !self.in_list {
            let before = self.rows.selected;
            self.rows.handle(action, ctx);
            if before != self.rows.selected {
                self.migration = 0;
            }
            self.in_list = matches!(action, Action::Enter | Action::Right)
                && self
                    .selected()
                    .is_some_and(|r| !r.status.migrations.is_empty());
            return;
        }
        let len = self.selected().map_or(0, |r| r.status.migrations.len());
        if step(&mut self.migration, len, action) {
            return;
        }
        match action {
            Action::Escape | Action::Left => self.in_list = false,
            Action::Copy | Action::CopyRow => {
                if let Some((row, Some(m))) = self.selected_row() {
                    ctx.copy(m.up.clone(), format!("the SQL of {}", row.version));
                }
            }
            _ => {}
        }
    }

    fn click(&mut self, row: u16, height: u16, ctx: &mut Ctx) {
        let top = top_height(ctx.view.dbs.len(), height);
        if row < top {
            self.in_list = false;
            self.rows.click(row, top);
            self.migration = 0;
        } else {
            self.in_list = true;
            pick(&mut self.migration, row - top, height - top, 0);
        }
    }

    fn steps_back(&self) -> bool {
        self.in_list
    }

    fn shown(&mut self, ctx: &mut Ctx) {
        if std::mem::replace(&mut self.active, true) {
            return;
        }
        for db in 0..ctx.view.dbs.len() {
            self.read(db, Again::All, ctx);
        }
    }

    fn schema_read(&mut self, db: usize, ctx: &mut Ctx) {
        if self.active {
            self.read(db, Again::Tracking, ctx);
        }
    }

    fn folder_changed(&mut self, dir: &Path, ctx: &mut Ctx) {
        let dbs: Vec<usize> = self
            .folders
            .iter()
            .filter(|(_, f)| f.as_path() == dir)
            .map(|(db, _)| *db)
            .collect();
        for db in dbs {
            self.read(db, Again::All, ctx);
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, view: &View) {
        let top = top_height(view.dbs.len(), area.height);
        let [dbs, below] =
            Layout::vertical([Constraint::Length(top), Constraint::Min(0)]).areas(area);
        let [list, sql] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(below);
        self.draw_databases(frame, dbs, view);
        self.draw_migrations(frame, list, view);
        let sql = self.draw_log(frame, sql, view);
        self.draw_sql(frame, sql, &view.theme);
    }
}

/// The databases' list: one row each, at most a third of the panel.
fn top_height(dbs: usize, height: u16) -> u16 {
    let wanted = u16::try_from(dbs).unwrap_or(u16::MAX).saturating_add(2);
    wanted.min(height / 3).max(3.min(height))
}

fn state_style(state: State, t: &Theme) -> ratatui::style::Style {
    match state {
        State::Applied => t.ok,
        State::Pending | State::Missing => t.warning,
        State::Modified | State::Failed => t.error,
    }
}

impl Migrations {
    fn database_line(&self, i: usize, db: &Db, t: &Theme) -> Line<'static> {
        let mut spans = vec![Span::styled(db.name().to_string(), t.text)];
        match self.reads.get(&i) {
            None => {
                let why = match &db.model {
                    Some(m) if !m.is_ok() => {
                        format!("  {}: no migrations to read", m.status.label())
                    }
                    _ => "  not read yet".into(),
                };
                spans.push(Span::styled(why, t.dim));
            }
            Some(Read::Waiting) => spans.push(Span::styled("  reading…", t.dim)),
            Some(Read::Failed(why)) => spans.push(Span::styled(format!("  {why}"), t.error)),
            Some(Read::Done(read)) => spans.extend(summary(read, t)),
        }
        Line::from(spans)
    }

    fn draw_databases(&self, frame: &mut Frame, area: Rect, view: &View) {
        let t = &view.theme;
        let items: Vec<ListItem> = view
            .dbs
            .iter()
            .enumerate()
            .map(|(i, db)| ListItem::new(self.database_line(i, db, t)))
            .collect();
        let title = " Migrations · tracking, folder and state of each database ";
        render_list(frame, area, items, title.into(), self.rows.selected, t);
    }

    fn draw_migrations(&self, frame: &mut Frame, area: Rect, view: &View) {
        let t = &view.theme;
        let Some(read) = self.selected() else {
            let text = Paragraph::new("no migrations read for this database").style(t.dim);
            frame.render_widget(text.block(block(" migrations ".into(), false, t)), area);
            return;
        };
        let items: Vec<ListItem> = read
            .status
            .migrations
            .iter()
            .map(|r| {
                ListItem::new(Line::from(vec![
                    Span::styled(format!("{:<9}", r.state.label()), state_style(r.state, t)),
                    Span::styled(format!("{}  ", r.version), t.text),
                    Span::styled(r.name.clone(), t.dim),
                ]))
            })
            .collect();
        let title = match (&read.folder, view.dbs.get(self.rows.selected)) {
            (Some(f), Some(db)) => format!(" {} ", shown_folder(&db.found, &f.dir)),
            _ => " no folder found (--migrations DIR) ".into(),
        };
        let selected = if self.in_list {
            self.migration
        } else {
            usize::MAX
        };
        if self.in_list {
            render_list(frame, area, items, title, selected, t);
        } else {
            let list = ratatui::widgets::List::new(items).block(block(title, false, t));
            frame.render_widget(list, area);
        }
    }

    /// The last run's lines at the foot of `area`, with the gauge while it runs; returns what is
    /// left above.
    fn draw_log(&self, frame: &mut Frame, area: Rect, view: &View) -> Rect {
        let running = self.running.and_then(|id| view.jobs.get(&id));
        if self.log.is_empty() && running.is_none() {
            return area;
        }
        let t = &view.theme;
        let wanted = u16::try_from(self.log.len())
            .unwrap_or(u16::MAX)
            .saturating_add(3);
        let [above, below] = Layout::vertical([
            Constraint::Fill(1),
            Constraint::Length(wanted.min(area.height / 2)),
        ])
        .areas(area);
        let keep = usize::from(below.height.saturating_sub(3));
        let mut lines: Vec<Line> = self.log[self.log.len().saturating_sub(keep)..]
            .iter()
            .map(|l| {
                Line::styled(
                    l.clone(),
                    if l.starts_with("failed") {
                        t.error
                    } else {
                        t.text
                    },
                )
            })
            .collect();
        let title = match running {
            Some(job) => {
                let (done, total) = job.progress.unwrap_or((0, 0));
                lines.push(Line::styled(
                    format!("{} · Esc cancels", gauge(done, total, 20)),
                    t.info,
                ));
                " run "
            }
            None => self.log_title,
        };
        frame.render_widget(
            Paragraph::new(lines).block(block(title.into(), false, t)),
            below,
        );
        above
    }

    fn draw_sql(&self, frame: &mut Frame, area: Rect, t: &Theme) {
        let (title, lines) = match self.selected_row() {
            Some((row, Some(m))) => {
                let mut lines = highlight(&m.up, t);
                if let Some(down) = &m.down {
                    lines.push(Line::styled("-- down", t.dim));
                    lines.extend(highlight(down, t));
                }
                (format!(" {} ", row.file.clone().unwrap_or_default()), lines)
            }
            Some((row, None)) => (
                format!(" {} ", row.version),
                vec![Line::styled(
                    "recorded as applied; no file in the folder",
                    t.dim,
                )],
            ),
            None => (" SQL ".into(), Vec::new()),
        };
        let text = Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block(title, false, t));
        frame.render_widget(text, area);
    }
}

/// `sqlx (_sqlx_migrations) · 12 applied · 1 pending`, counts in their state's colour.
fn summary(read: &MigrationsRead, t: &Theme) -> Vec<Span<'static>> {
    let tracking = &read.status.tracking;
    let kind = match tracking.kind {
        Kind::None => "no tracking table, user_version 0".to_string(),
        k => match &tracking.table {
            Some(table) => format!("{k} ({table})"),
            None => k.to_string(),
        },
    };
    let mut spans = vec![Span::styled(format!("  {kind}"), t.info)];
    for state in State::ALL {
        let n = read.status.count(state);
        if n > 0 {
            spans.push(Span::styled(
                format!(" · {n} {}", state.label()),
                state_style(state, t),
            ));
        }
    }
    if read.folder.is_none() {
        spans.push(Span::styled("  no folder", t.dim));
    }
    spans
}
