//! Backups (8): per database the age of its newest backup (red past a week) and its backups; `b`
//! backs up now, `V` verifies, `P` prunes and `R` restores, each writing action asking first and
//! naming every file it will write. Listing and every write run on the database's worker; Esc
//! cancels a backup under way, which leaves nothing behind.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::ListItem;
use ratatui::Frame;

use super::{render_list, step, visible, DatabaseRows, Panel};
use crate::engine::backups::catalog::{Entry, Pruned};
use crate::engine::backups::{age_days, create, default_dir, is_backup_name, restore, STALE_DAYS};
use crate::engine::error::Error;
use crate::engine::jobs::backups::{
    BackupJob, ListBackups, PruneJob, PrunePlan, RestoreJob, VerifyJob,
};
use crate::engine::names::escape_path;
use crate::engine::worker::JobId;
use crate::ui::action::{Action, PanelId};
use crate::ui::command::{Command, Ctx, Message};
use crate::ui::theme::Theme;
use crate::ui::view::View;
use crate::ui::widgets::confirm::Confirm;
use crate::ui::widgets::gauge::gauge;
use crate::ui::widgets::popup::Popup;
use crate::units;

pub const ID: PanelId = PanelId("backups");

/// How many backups per source `P` keeps.
const KEEP: usize = 5;

#[derive(Default)]
pub struct Backups {
    rows: DatabaseRows,
    /// Each database's backups as last listed, newest first.
    listed: HashMap<usize, Vec<Entry>>,
    /// The selected backup of the selected database.
    picked: usize,
    /// The backups list has the keys (Left/Right switch lists).
    in_backups: bool,
    /// The backup or restore running now, for its gauge.
    running: Option<JobId>,
    /// The backups folders asked to be watched.
    watched: Vec<PathBuf>,
}

impl Panel for Backups {
    fn handle(&mut self, action: Action, ctx: &mut Ctx) {
        let db = self.rows.selected;
        match action {
            Action::Left => self.in_backups = false,
            Action::Right => self.in_backups = true,
            Action::Backup => ask_backup(db, ctx),
            Action::Verify => self.verify(db, ctx),
            Action::Prune => plan_prune(db, ctx),
            Action::Restore => self.ask_restore(db, ctx),
            Action::Enter => self.show(db, ctx),
            _ if self.in_backups => {
                let len = self.listed.get(&db).map_or(0, Vec::len);
                step(&mut self.picked, len, action);
            }
            _ => {
                self.rows.handle(action, ctx);
                if self.rows.selected != db {
                    self.picked = 0;
                }
            }
        }
    }

    /// Lists each live database's backups the first time, then only the selected one's again:
    /// the others are listed anew after each write of this panel, and a folder of thousands of
    /// databases is not read again on every visit.
    fn shown(&mut self, ctx: &mut Ctx) {
        let selected = self.rows.selected;
        let due: Vec<usize> = (0..ctx.view.dbs.len())
            .filter(|&i| !is_backup_name(&ctx.view.dbs[i].found.path))
            .filter(|i| *i == selected || !self.listed.contains_key(i))
            .collect();
        for db in due {
            list(db, ctx);
        }
    }

    fn click(&mut self, row: u16, height: u16, _ctx: &mut Ctx) {
        self.rows.click(row, height);
    }

    /// A backups folder changed (a backup made or removed by another process): the databases
    /// backed up there are listed again.
    fn folder_changed(&mut self, dir: &Path, ctx: &mut Ctx) {
        let dbs: Vec<usize> = (0..ctx.view.dbs.len())
            .filter(|&db| self.listed.contains_key(&db))
            .filter(|&db| backups_dir(&ctx.view.dbs[db].found.path) == dir)
            .collect();
        for db in dbs {
            list(db, ctx);
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, view: &View) {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(40), Constraint::Fill(1)]).areas(area);
        self.draw_databases(frame, left, view);
        self.draw_backups(frame, right, view);
    }
}

/// Lists the backups of `db` again; the answer replaces what the panel knew, and the backups
/// folder, once there is one, is watched so that backups made by others show too.
fn list(db: usize, ctx: &mut Ctx) {
    let dir = ctx.view.dbs.get(db).map(|d| backups_dir(&d.found.path));
    ctx.send(
        db,
        ListBackups { extra: None },
        move |p: &mut Backups, ctx, _, result| {
            if let Ok(entries) = result {
                p.listed.insert(db, entries);
            }
            if let Some(dir) = dir.filter(|d| d.is_dir() && !p.watched.contains(d)) {
                p.watched.push(dir.clone());
                ctx.push(Command::Watch(dir));
            }
        },
    );
}

/// The folder `db`'s backups go to, as the watcher names it.
fn backups_dir(db: &Path) -> PathBuf {
    let dir = default_dir(db);
    std::path::absolute(&dir).unwrap_or(dir)
}

fn ask_backup(db: usize, ctx: &mut Ctx) {
    let Some(d) = ctx.view.dbs.get(db) else {
        return;
    };
    let plan = match create::plan(&d.found.path, None) {
        Ok(plan) => plan,
        Err(e) => return ctx.fail(db, e),
    };
    let name = plan.target.file_name().map_or(String::new(), escape_path);
    let changes = vec![
        format!("new file {}", escape_path(&plan.target)),
        format!("and its manifest beside it, {name}.manifest.json"),
    ];
    let lock = plan.holds_read_lock;
    let on_yes = Box::new(move |ctx: &mut Ctx| {
        ctx.to_panel(move |p: &mut Backups, ctx| p.start_backup(db, plan, ctx))
    });
    let mut confirm = Confirm::new(format!("Back up {}?", d.name()), changes, on_yes);
    if lock {
        confirm = confirm.caveat(
            "rollback-journal database: the copy holds its read lock, so its writers wait until \
             the copy is done (a few seconds per GB)",
        );
    }
    ctx.confirm(confirm);
}

fn plan_prune(db: usize, ctx: &mut Ctx) {
    let Some(d) = ctx.view.dbs.get(db) else {
        return;
    };
    let dir = default_dir(&d.found.path);
    ctx.send(
        db,
        PrunePlan { dir, keep: KEEP },
        move |_: &mut Backups, ctx, _, result| match result {
            Ok(plan) if plan.removed.is_empty() => ctx.message(Message::info(format!(
                "nothing to prune: at most {KEEP} backups per source"
            ))),
            Ok(plan) => ask_prune(db, plan, ctx),
            Err(e) => ctx.fail(db, e),
        },
    );
}

fn ask_prune(db: usize, plan: Pruned, ctx: &mut Ctx) {
    let changes = plan
        .removed
        .iter()
        .map(|p| format!("remove {} and its manifest", escape_path(p)))
        .collect();
    let title = format!(
        "Remove {} old backups, keep the newest {KEEP}?",
        plan.removed.len()
    );
    let on_yes = Box::new(move |ctx: &mut Ctx| {
        ctx.send(
            db,
            PruneJob { plan },
            move |_: &mut Backups, ctx, _, result| {
                match result {
                    Ok(n) => ctx.message(Message::info(format!("removed {n} backups"))),
                    Err(e) => ctx.fail(db, e),
                }
                list(db, ctx);
            },
        );
    });
    ctx.confirm(Confirm::new(title, changes, on_yes));
}

impl Backups {
    fn picked_backup(&self, db: usize) -> Option<&Entry> {
        self.listed.get(&db)?.get(self.picked)
    }

    fn start_backup(&mut self, db: usize, plan: create::Plan, ctx: &mut Ctx) {
        let id = ctx.send(
            db,
            BackupJob { plan },
            move |p: &mut Backups, ctx, _, result| {
                p.running = None;
                match result {
                    Ok(made) => ctx.message(Message::info(format!(
                        "backed up to {} ({}, verified)",
                        escape_path(&made.path),
                        units::bytes(made.manifest.bytes)
                    ))),
                    Err(Error::Cancelled) => {
                        ctx.message(Message::info("backup cancelled: nothing was left behind"))
                    }
                    Err(e) => ctx.fail(db, e),
                }
                list(db, ctx);
            },
        );
        self.running = Some(id);
    }

    fn verify(&self, db: usize, ctx: &mut Ctx) {
        let (Some(d), Some(backup)) = (ctx.view.dbs.get(db), self.picked_backup(db)) else {
            return ctx.message(Message::info("no backup selected (→ moves to the backups)"));
        };
        let (path, backup) = (d.found.path.clone(), backup.path.clone());
        let job = VerifyJob {
            backup: backup.clone(),
        };
        ctx.send(
            db,
            job,
            move |_: &mut Backups, ctx, _, result| match result {
                Ok(verdict) => {
                    let text = verdict.lines(&backup, &path).join("\n");
                    ctx.popup(Popup::new("Verify", text));
                }
                Err(e) => ctx.fail(db, e),
            },
        );
    }

    fn ask_restore(&mut self, db: usize, ctx: &mut Ctx) {
        let (Some(d), Some(backup)) = (ctx.view.dbs.get(db), self.picked_backup(db)) else {
            return ctx.message(Message::info("no backup selected (→ moves to the backups)"));
        };
        let plan = match restore::plan(&backup.path, &d.found.path) {
            Ok(plan) => plan,
            Err(e) => return ctx.fail(db, e),
        };
        let changes = plan.describe().lines().map(String::from).collect();
        let on_yes = Box::new(move |ctx: &mut Ctx| {
            ctx.to_panel(move |p: &mut Backups, ctx| p.start_restore(db, plan, ctx))
        });
        let confirm = Confirm::new(format!("Restore {}?", d.name()), changes, on_yes)
            .caveat("stop every program using the database first: a restore refuses a file in use");
        ctx.confirm(confirm);
    }

    fn start_restore(&mut self, db: usize, plan: restore::Plan, ctx: &mut Ctx) {
        let id = ctx.send(
            db,
            RestoreJob { plan },
            move |p: &mut Backups, ctx, _, result| {
                p.running = None;
                match result {
                    Ok(done) => {
                        let saved = done.saved_current.map_or(String::new(), |s| {
                            format!("; the previous database is saved as {}", escape_path(&s))
                        });
                        ctx.message(Message::info(format!("restored{saved}")));
                        ctx.push(Command::Reload(db));
                    }
                    Err(e) => ctx.fail(db, e),
                }
                list(db, ctx);
            },
        );
        self.running = Some(id);
    }

    /// Enter: the selected backup's manifest, or what is known of a backup without one.
    fn show(&self, db: usize, ctx: &mut Ctx) {
        let Some(e) = self.picked_backup(db) else {
            return;
        };
        let manifest = crate::engine::backups::manifest::read(&e.path);
        let body = match &manifest {
            Some(m) => serde_json::to_string_pretty(m).unwrap_or_default(),
            None => format!(
                "{}\nno manifest: made by another tool, or by hand; V checks it against the \
                 database",
                escape_path(&e.path)
            ),
        };
        ctx.popup(Popup::new(format!("Backup {}", escape_path(&e.path)), body));
    }

    fn draw_databases(&self, frame: &mut Frame, area: Rect, view: &View) {
        let t = &view.theme;
        let shown = visible(view.dbs.len(), self.rows.selected, area);
        let items: Vec<ListItem> = shown
            .clone()
            .map(|i| {
                let db = &view.dbs[i];
                let mut spans = vec![Span::styled(db.name().to_string(), t.text)];
                if is_backup_name(&db.found.path) {
                    spans.push(Span::styled("  backup copy", t.dim));
                } else {
                    spans.push(newest(self.listed.get(&i), t));
                }
                ListItem::new(Line::from(spans))
            })
            .collect();
        let title = " Databases · newest backup · b back up now ".to_string();
        let selected = self.rows.selected.saturating_sub(shown.start);
        render_list(frame, area, items, title, selected, t);
    }

    fn draw_backups(&self, frame: &mut Frame, area: Rect, view: &View) {
        let t = &view.theme;
        let db = self.rows.selected;
        let entries = self.listed.get(&db).map_or(&[][..], Vec::as_slice);
        let mut items: Vec<ListItem> = entries
            .iter()
            .map(|e| {
                let name = e.path.file_name().map_or(String::new(), escape_path);
                let (mark, style) = match e.verified {
                    true => ("verified", t.ok),
                    false => ("not verified", t.warning),
                };
                ListItem::new(Line::from(vec![
                    Span::styled(name, t.text),
                    Span::styled(
                        format!(
                            "  {}  {}  ",
                            units::age_days(age_days(e.time)),
                            units::bytes(e.bytes)
                        ),
                        t.dim,
                    ),
                    Span::styled(mark, style),
                ]))
            })
            .collect();
        if items.is_empty() && self.listed.contains_key(&db) {
            let hint =
                "no backups yet: b writes a verified copy into the backups/ folder beside it";
            items.push(ListItem::new(Line::styled(hint, t.dim)));
        }
        let running = self.running.and_then(|id| view.jobs.get(&id));
        let area = match running {
            Some(job) => {
                let [list, bar] =
                    Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(area);
                let (done, total) = job.progress.unwrap_or((0, 0));
                let line = format!(" {} · Esc cancels", gauge(done, total, 30));
                frame.render_widget(Line::styled(line, t.info), bar);
                list
            }
            None => area,
        };
        let title = format!(
            " Backups ({}) · V verify · P prune · R restore · Enter manifest ",
            entries.len()
        );
        render_list(frame, area, items, title, self.picked, t);
    }
}

/// The age of the newest backup, red past [`STALE_DAYS`]; `no backup` in the warning colour.
fn newest(listed: Option<&Vec<Entry>>, t: &Theme) -> Span<'static> {
    match listed.map(|l| l.first()) {
        None => Span::styled("  …", t.dim),
        Some(None) => Span::styled("  no backup", t.warning),
        Some(Some(e)) => {
            let days = age_days(e.time);
            let style = if days > STALE_DAYS { t.error } else { t.ok };
            Span::styled(format!("  {}", units::age_days(days)), style)
        }
    }
}
