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
use super::keymap::Keymap;
use super::layout::Areas;
use super::panels::{data, findings, query, relations, schema, PanelState};
use super::theme::Theme;
use super::widgets::popup::Popup;
use crate::engine::database::{Database, Depth};
use crate::engine::discover::Found;
use crate::engine::findings::{self as audit, Finding};
use crate::engine::relations::Relation;
use crate::engine::worker::{self, Job, JobId, Output, Worker};

/// Time a measuring pass may take per database before it falls back to estimates.
pub const MEASURE_BUDGET: Duration = Duration::from_secs(60);
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// Names for the first screen, then the whole schema.
    Names,
    Load,
    Measure,
    Audit,
    Page,
    Query,
}

/// A job sent and not answered yet.
#[derive(Debug, Clone)]
pub struct Running {
    pub db: usize,
    pub kind: JobKind,
    pub label: String,
    pub started: Instant,
    pub progress: Option<(usize, usize)>,
}

pub struct App {
    pub dbs: Vec<Db>,
    workers: Vec<Worker>,
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
    /// Findings that compare databases, recomputed when a model changes.
    pub across: Vec<Finding>,
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
        let workers = found
            .iter()
            .enumerate()
            .map(|(i, f)| Worker::spawn(i, f.clone(), sink.clone()))
            .collect();
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
            state: PanelState::default(),
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
                Err(_) => return,
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
            self.send(i, JobKind::Names, Job::Inspect(Depth::NAMES));
        }
    }

    /// Sends a job to database `db`'s worker and remembers it.
    pub fn send(&mut self, db: usize, kind: JobKind, job: Job) -> JobId {
        let id = self.next_job;
        self.next_job += 1;
        let label = match kind {
            JobKind::Names => "reading names",
            JobKind::Load => "reading schema",
            JobKind::Measure => "measuring sizes and rows",
            JobKind::Audit => "auditing",
            JobKind::Page => "reading rows",
            JobKind::Query => "running query",
        };
        let mut label = format!("{label} · {}", self.dbs[db].name());
        let model = self.dbs[db].model.as_ref();
        if kind == JobKind::Query && model.is_some_and(Database::readers_block_writers) {
            // litescope's own passes go in short slices; a user's query cannot be cut.
            label.push_str(
                " · holding the read lock: writers wait while this runs (rollback journal)",
            );
        }
        self.jobs.insert(
            id,
            Running {
                db,
                kind,
                label,
                started: Instant::now(),
                progress: None,
            },
        );
        self.workers[db].send(id, job);
        id
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
        let interactive =
            |(_, j): &(&JobId, &Running)| matches!(j.kind, JobKind::Page | JobKind::Query);
        let job = self.jobs.iter().rev().find(interactive).or_else(|| {
            let stepping_back = self.panel == Panel::Data && self.state.data.in_grid;
            (!stepping_back)
                .then(|| self.jobs.iter().next_back())
                .flatten()
        });
        match job {
            Some((&id, job)) => {
                self.workers[job.db].cancel(id);
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
        if let Output::Progress { done, total } = e.output {
            if let Some(job) = self.jobs.get_mut(&e.job) {
                job.progress = Some((done, total));
            }
            return;
        }
        if let Output::Query(event) = e.output {
            if self.jobs.contains_key(&e.job) {
                query::on_event(self, e.job, event);
            }
            return;
        }
        let Some(job) = self.jobs.remove(&e.job) else {
            return;
        };
        match e.output {
            Output::Inspected(model) => self.on_inspected(e.db, job.kind, *model),
            Output::Audit {
                findings,
                relations,
            } => {
                self.dbs[e.db].findings = Some(findings);
                self.dbs[e.db].relations = Some(relations);
            }
            Output::Page { table, page } => data::on_page(self, e.job, e.db, table, page),
            Output::QueryDone(result) => query::on_done(self, e.job, result),
            Output::Failed(why) => {
                self.message = Some((format!("{}: {why}", self.dbs[e.db].name()), true))
            }
            Output::Query(_) | Output::Progress { .. } | Output::Superseded => {}
        }
    }

    fn on_inspected(&mut self, i: usize, kind: JobKind, model: Database) {
        let ok = model.is_ok();
        self.dbs[i].model = Some(model);
        let models: Vec<&Database> = self.dbs.iter().filter_map(|d| d.model.as_ref()).collect();
        self.across = audit::across(&models);
        match kind {
            JobKind::Names if ok => {
                self.send(i, JobKind::Load, Job::Inspect(Depth::SCHEMA));
            }
            JobKind::Load if ok => {
                self.send(
                    i,
                    JobKind::Measure,
                    Job::Inspect(Depth::full(MEASURE_BUDGET)),
                );
            }
            JobKind::Names | JobKind::Load => {
                self.send(i, JobKind::Audit, Job::Audit(audit::Options::default()));
            }
            JobKind::Measure => {
                self.send(i, JobKind::Audit, Job::Audit(audit::Options::default()));
            }
            _ => {}
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
