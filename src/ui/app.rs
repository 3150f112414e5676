//! The TUI's state and its one update function.
//!
//! Keys become [`Action`]s; [`App::update`] changes state and may send jobs to the databases'
//! workers; workers answer with events carrying their job's id, and answers to jobs nobody waits
//! for any more are dropped. Drawing (see `draw`) is a function of this state alone.

use std::collections::BTreeMap;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, MouseButton, MouseEventKind,
};
use ratatui::layout::Rect;

use super::action::{Action, Panel};
use super::config::History;
use super::keymap::Keymap;
use super::layout::Areas;
use super::panels::{data, findings, query, relations, schema, PanelState};
use super::theme::Theme;
use super::widgets::popup::Popup;
use crate::engine::database::Database;
use crate::engine::discover::Found;
use crate::engine::findings::{self as audit, Finding};
use crate::engine::jobs::{StageDone, StageJob};
use crate::engine::pipeline::{self, Stage};
use crate::engine::relations::Relation;
use crate::engine::worker::{self, Job, JobId, Payload, Report, Workers};

/// A job shows a spinner once it has run this long.
pub const SPINNER_AFTER: Duration = Duration::from_millis(200);

/// What wakes the event loop.
#[derive(Debug)]
pub enum Msg {
    /// A terminal event and when it was read.
    Input(Event, Instant),
    Worker(worker::Event),
}

/// One database of the workspace and what its worker has told about it so far.
pub struct Db {
    pub found: Found,
    pub model: Option<Database>,
    pub findings: Option<Vec<Finding>>,
    pub relations: Option<Vec<Relation>>,
}

impl Db {
    pub fn name(&self) -> &str {
        &self.found.display
    }
}

/// What to do with a job's result, and with what it reports as it runs.
type OnDone = Box<dyn FnOnce(&mut App, usize, JobId, Result<Payload, String>)>;
type OnPartial = Box<dyn FnMut(&mut App, JobId, Payload)>;

/// A job sent and not answered yet.
pub struct Running {
    pub db: usize,
    pub label: String,
    /// A pass that gives way to what the user asks for.
    pub background: bool,
    pub started: Instant,
    pub progress: Option<(usize, usize)>,
    on_done: Option<OnDone>,
    on_partial: Option<OnPartial>,
}

pub struct App {
    pub dbs: Vec<Db>,
    workers: Workers,
    tx: Sender<Msg>,
    rx: Receiver<Msg>,
    pub panel: Panel,
    /// The database in focus: the Overview's selection, the Query panel's target.
    pub db: usize,
    pub state: PanelState,
    pub popup: Option<Popup>,
    pub help: bool,
    /// `/` was pressed: keys edit the focused list's filter.
    pub typing_filter: bool,
    pub jobs: BTreeMap<JobId, Running>,
    next_job: JobId,
    pub message: Option<(String, bool)>,
    pub theme: Theme,
    pub keymap: Keymap,
    pub quit: bool,
    /// Findings that compare databases, recomputed when a model changes (see
    /// [`App::refresh_across`]).
    pub across: Vec<Finding>,
    across_stale: bool,
    /// Where the last frame put things, for mouse clicks.
    pub areas: Areas,
}

impl App {
    /// Starts a worker per database and asks each for its schema.
    pub fn new(found: Vec<Found>, theme: Theme, keymap: Keymap) -> App {
        let (tx, rx) = channel();
        let sink_tx = tx.clone();
        let sink: worker::Sink = Arc::new(move |e| {
            // Fails only once the UI has gone, when nobody waits for answers.
            let _ = sink_tx.send(Msg::Worker(e));
        });
        let workers = Workers::new(found.clone(), sink);
        let dbs = found
            .into_iter()
            .map(|found| Db {
                found,
                model: None,
                findings: None,
                relations: None,
            })
            .collect();
        let mut app = App {
            dbs,
            workers,
            tx,
            rx,
            panel: Panel::Overview,
            db: 0,
            state: PanelState::new(History::load()),
            popup: None,
            help: false,
            typing_filter: false,
            jobs: BTreeMap::new(),
            next_job: 1,
            message: None,
            theme,
            keymap,
            quit: false,
            across: Vec::new(),
            across_stale: false,
            areas: Areas::default(),
        };
        app.load_all();
        app
    }

    /// A sender for input events, for the thread that reads the terminal.
    pub fn sender(&self) -> Sender<Msg> {
        self.tx.clone()
    }

    /// Waits up to `timeout` for the next message.
    pub fn next_msg(&self, timeout: Option<Duration>) -> Option<Msg> {
        match timeout {
            Some(t) => self.rx.recv_timeout(t).ok(),
            None => self.rx.recv().ok(),
        }
    }

    /// Handles every message until no job is running or `timeout` passes (for tests and scripts).
    pub fn settle(&mut self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while !self.jobs.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(msg) => self.handle(msg),
                Err(_) => break,
            }
        }
        self.refresh_across();
    }

    /// Handles every message already waiting, for up to `budget`, so that a flood of answers
    /// costs one frame rather than one per answer; stops at once when the user quits.
    pub fn drain(&mut self, budget: Duration) {
        let until = Instant::now() + budget;
        while !self.quit && Instant::now() < until {
            match self.rx.try_recv() {
                Ok(msg) => self.handle(msg),
                Err(_) => break,
            }
        }
    }

    fn load_all(&mut self) {
        self.jobs.clear();
        for db in &mut self.dbs {
            db.findings = None;
            db.relations = None;
        }
        for i in 0..self.dbs.len() {
            self.run_stage(i, Stage::Names);
        }
    }

    /// Sends `job` to database `db`'s worker; `done` receives its result when it ends.
    pub fn send<J: Job>(
        &mut self,
        db: usize,
        job: J,
        done: impl FnOnce(&mut App, usize, JobId, Result<J::Output, String>) + 'static,
    ) -> JobId {
        let on_done: OnDone = Box::new(move |app, db, id, result| {
            let typed = result.and_then(|out| {
                out.downcast::<J::Output>()
                    .map(|out| *out)
                    .map_err(|_| "a job answered with the wrong type".to_string())
            });
            done(app, db, id, typed)
        });
        let id = self.next_job;
        self.next_job += 1;
        self.jobs.insert(
            id,
            Running {
                db,
                label: format!("{} · {}", job.label(), self.dbs[db].name()),
                background: job.is_background(),
                started: Instant::now(),
                progress: None,
                on_done: Some(on_done),
                on_partial: None,
            },
        );
        self.workers.send(db, id, job);
        id
    }

    /// [`App::send`] for a job that reports partial results: `partial` receives each.
    pub fn send_streaming<J: Job>(
        &mut self,
        db: usize,
        job: J,
        mut partial: impl FnMut(&mut App, JobId, J::Partial) + 'static,
        done: impl FnOnce(&mut App, usize, JobId, Result<J::Output, String>) + 'static,
    ) -> JobId {
        let id = self.send(db, job, done);
        let on_partial: OnPartial = Box::new(move |app, id, payload| {
            if let Ok(p) = payload.downcast::<J::Partial>() {
                partial(app, id, *p);
            }
        });
        if let Some(running) = self.jobs.get_mut(&id) {
            running.on_partial = Some(on_partial);
        }
        id
    }

    /// Runs one stage of the pipeline on database `db`; each stage sends the next when it ends.
    fn run_stage(&mut self, db: usize, stage: Stage) {
        let job = StageJob {
            stage,
            opts: pipeline::Options::default(),
        };
        self.send(db, job, move |app, db, _, result| match result {
            Ok(StageDone::Read(model)) => app.on_read(db, stage, *model),
            Ok(StageDone::Audited(audit)) => {
                app.dbs[db].findings = Some(audit.findings);
                app.dbs[db].relations = Some(audit.relations);
            }
            Err(why) => app.fail(db, &why),
        });
    }

    fn on_read(&mut self, i: usize, stage: Stage, model: Database) {
        let next = stage.next(&model);
        self.dbs[i].model = Some(model);
        self.across_stale = true;
        if let Some(next) = next {
            self.run_stage(i, next);
        }
    }

    /// Shows why a job on database `db` failed.
    pub fn fail(&mut self, db: usize, why: &str) {
        self.message = Some((format!("{}: {why}", self.dbs[db].name()), true));
    }

    /// Any message: a terminal event or a worker's answer.
    pub fn handle(&mut self, msg: Msg) {
        match msg {
            Msg::Input(Event::Key(key), _) if key.kind != KeyEventKind::Release => self.on_key(key),
            Msg::Input(Event::Mouse(m), _) => self.on_mouse(m.kind, m.column, m.row),
            Msg::Input(Event::Paste(text), _) if self.panel == Panel::Query => {
                self.state.query.editor.insert_str(text);
            }
            Msg::Input(..) => {}
            Msg::Worker(e) => self.on_worker(e),
        }
    }

    fn on_key(&mut self, key: KeyEvent) {
        if self.typing_filter {
            self.type_filter(key);
            return;
        }
        if self.panel == Panel::Query
            && self.state.query.editing
            && self.popup.is_none()
            && !self.help
        {
            if let Some(action) = query::editor_key(self, key) {
                self.update(action);
            }
            return;
        }
        if let Some(action) = self.keymap.action(&key) {
            self.update(action);
        }
    }

    fn type_filter(&mut self, key: KeyEvent) {
        let filter = self.state.filter_mut(self.panel);
        match key.code {
            KeyCode::Enter => self.typing_filter = false,
            KeyCode::Esc => {
                filter.clear();
                self.typing_filter = false;
            }
            KeyCode::Backspace => {
                filter.pop();
            }
            KeyCode::Char(c) => filter.push(c),
            _ => {}
        }
        self.state.reset_selection(self.panel);
    }

    /// The one place actions take effect.
    pub fn update(&mut self, action: Action) {
        if self.help {
            self.help = !matches!(action, Action::Escape | Action::Help | Action::Quit);
            return;
        }
        if let Some(popup) = &mut self.popup {
            match action {
                Action::Escape | Action::Enter | Action::Quit => self.popup = None,
                Action::Up => popup.scroll_by(-1),
                Action::Down => popup.scroll_by(1),
                Action::PageUp => popup.scroll_by(-10),
                Action::PageDown => popup.scroll_by(10),
                _ => {}
            }
            return;
        }
        match action {
            Action::Quit => self.quit = true,
            Action::Help => self.help = true,
            Action::NextPanel => self.panel = self.panel.offset(1),
            Action::PrevPanel => self.panel = self.panel.offset(-1),
            Action::Show(p) => self.panel = p,
            Action::Filter if self.state.has_filter(self.panel) => self.typing_filter = true,
            Action::Refresh => {
                self.message = Some(("re-reading every database".into(), false));
                self.load_all();
            }
            Action::Escape => self.escape(),
            Action::PrevDb | Action::NextDb => {
                let n = self.dbs.len().max(1);
                let by = if action == Action::NextDb { 1 } else { n - 1 };
                self.db = (self.db + by) % n;
                self.state.overview = self.db;
                self.state.data.list = 0;
            }
            Action::Theme => {
                self.theme = if self.theme.name == "dark" {
                    Theme::light()
                } else {
                    Theme::dark()
                };
            }
            other => self.panel_action(other),
        }
    }

    fn panel_action(&mut self, action: Action) {
        match self.panel {
            Panel::Overview => super::panels::overview::handle(self, action),
            Panel::Schema => schema::handle(self, action),
            Panel::Data => data::handle(self, action),
            Panel::Query => query::handle(self, action),
            Panel::Findings => findings::handle(self, action),
            Panel::Relations => relations::handle(self, action),
            Panel::Migrations => super::panels::migrations::handle(self, action),
            Panel::Backups => super::panels::backups::handle(self, action),
        }
    }

    /// Esc: cancels what the user is waiting for first (a page, a query), then steps back in the
    /// panel, and only then cancels background work.
    fn escape(&mut self) {
        let interactive = |(_, j): &(&JobId, &Running)| !j.background;
        let job = self.jobs.iter().rev().find(interactive).or_else(|| {
            let stepping_back = self.panel == Panel::Data && self.state.data.in_grid;
            (!stepping_back)
                .then(|| self.jobs.iter().next_back())
                .flatten()
        });
        match job {
            Some((&id, job)) => {
                self.workers.cancel(job.db, id);
                self.message = Some((format!("cancelled: {}", job.label), false));
            }
            None => {
                self.message = None;
                self.panel_action(Action::Escape);
            }
        }
    }

    fn on_mouse(&mut self, kind: MouseEventKind, col: u16, row: u16) {
        let at = Rect::new(col, row, 1, 1);
        match kind {
            MouseEventKind::Down(MouseButton::Left) => {
                if let Some(p) = self.areas.tab_at(col, row) {
                    self.panel = p;
                } else if self.areas.body.intersects(at) {
                    // Tables have a header row under the border; lists do not.
                    let header =
                        u16::from(matches!(self.panel, Panel::Findings | Panel::Relations)) + 1;
                    let top = self.areas.body.y + header;
                    let visible = self.areas.body.height.saturating_sub(header + 1) as usize;
                    if row >= top {
                        self.state.click(self.panel, (row - top) as usize, visible);
                    }
                }
            }
            MouseEventKind::ScrollDown => self.update(Action::Down),
            MouseEventKind::ScrollUp => self.update(Action::Up),
            _ => {}
        }
    }

    fn on_worker(&mut self, e: worker::Event) {
        match e.report {
            Report::Progress { done, total } => {
                if let Some(job) = self.jobs.get_mut(&e.job) {
                    job.progress = Some((done, total));
                }
            }
            Report::Partial(payload) => {
                let handler = self.jobs.get_mut(&e.job).and_then(|j| j.on_partial.take());
                if let Some(mut handler) = handler {
                    handler(self, e.job, payload);
                    if let Some(job) = self.jobs.get_mut(&e.job) {
                        job.on_partial = Some(handler);
                    }
                }
            }
            Report::Done(result) => {
                if let Some(done) = self.jobs.remove(&e.job).and_then(|j| j.on_done) {
                    done(self, e.db, e.job, result);
                }
            }
            Report::Superseded => {
                self.jobs.remove(&e.job);
            }
        }
    }

    /// Recomputes the findings that compare databases once per batch of answers rather than per
    /// answer: with thousands of databases, per answer would cost quadratic time on the UI thread.
    pub fn refresh_across(&mut self) {
        if std::mem::take(&mut self.across_stale) {
            let models: Vec<&Database> = self.dbs.iter().filter_map(|d| d.model.as_ref()).collect();
            self.across = audit::across(&models);
        }
    }

    /// Every finding of the workspace known so far, in the contract's order.
    pub fn all_findings(&self) -> Vec<Finding> {
        let mut all: Vec<Finding> = self
            .dbs
            .iter()
            .flat_map(|d| d.findings.iter().flatten().cloned())
            .chain(self.across.iter().cloned())
            .collect();
        audit::sort(&mut all);
        all
    }

    /// True while a job runs: the loop then wakes regularly to turn the spinner.
    pub fn busy(&self) -> bool {
        !self.jobs.is_empty()
    }
}
