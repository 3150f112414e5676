//! The TUI's state and the one place it changes.
//!
//! `App` owns the shared [`View`] (databases, findings, jobs, focus, theme), the [`Panels`] with
//! their own state, and the workers. Keys become [`Action`]s; [`App::update`] acts on those that
//! concern the whole screen and hands the rest to the panel in front, which answers with
//! [`Command`]s that [`App::apply`] carries out. Jobs go to the databases' workers; their answers
//! come back as events carrying the job's id and go to the handler the sender registered (a
//! panel's, or the app's own for the loading pipeline); answers nobody waits for any more are
//! dropped. Drawing (see `draw`) is a function of this state alone.

mod jobs;
mod live;

use std::any::{Any, TypeId};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, MouseButton, MouseEventKind,
};
use ratatui::layout::Rect;

use super::action::{Action, PanelId};
use super::command::{typed, Command, Ctx, Message, Post, Request};
use super::config::History;
use super::keymap::Keymap;
use super::layout::Areas;
use super::panels::query;
use super::panels::schema::{self, Schema};
use super::panels::{Panel, Panels, Setup};
use super::theme::Theme;
use super::view::{JobInfo, View};
use super::watcher::{watch, Watcher};
use super::widgets::confirm::Confirm;
use super::widgets::popup::Popup;
use crate::engine::database::Database;
use crate::engine::discover::Found;
use crate::engine::error::Error;
use crate::engine::findings as audit;
use crate::engine::findings::stand_in::Role;
use crate::engine::jobs::{StageDone, StageJob};
use crate::engine::pipeline::{self, Stage};
use crate::engine::worker::{self, Job, JobId, Payload, Report, Workers};

/// What wakes the event loop.
#[derive(Debug)]
pub enum Msg {
    /// A terminal event and when it was read.
    Input(Event, Instant),
    Worker(worker::Event),
    /// Something changed under a watched folder (see `watcher`).
    Folder(PathBuf),
    /// A file of the database at this index was touched (see `live`).
    Touched(usize),
    /// The databases' files are watched now, or why they cannot be.
    Watching(Result<Box<notify::RecommendedWatcher>, Error>),
}

impl Msg {
    /// False for what only the watch hears, which draws nothing by itself (a watch that could
    /// not start says so on the status line).
    pub fn may_change_screen(&self) -> bool {
        !matches!(self, Msg::Touched(_) | Msg::Watching(Ok(_)))
    }
}

/// What to do with a job's result, and with what it reports as it runs.
type OnDone = Box<dyn FnOnce(&mut App, usize, JobId, Result<Payload, Error>)>;
type OnPartial = Box<dyn FnMut(&mut App, JobId, Payload)>;

/// The handlers of a job sent and not answered yet.
struct Handlers {
    on_done: Option<OnDone>,
    on_partial: Option<OnPartial>,
}

pub struct App {
    /// What panels read: databases, findings, jobs, focus, theme.
    pub view: View,
    pub panels: Panels,
    workers: Workers,
    tx: Sender<Msg>,
    rx: Receiver<Msg>,
    pub popup: Option<Popup>,
    /// A writing action waiting for the user's yes.
    pub confirm: Option<Confirm>,
    pub help: bool,
    /// `/` was pressed: keys edit the filter of the panel in front.
    pub typing_filter: bool,
    handlers: BTreeMap<JobId, Handlers>,
    next_job: JobId,
    pub message: Option<Message>,
    pub keymap: Keymap,
    pub quit: bool,
    /// A model changed since the findings across databases were computed (see
    /// [`App::refresh_across`]).
    across_stale: bool,
    /// Where the last frame put things, for mouse clicks.
    pub areas: Areas,
    /// Text to copy, for the loop to write to the terminal between frames (see `clipboard`).
    pub clipboard: Vec<String>,
    /// The folders panels asked to watch; started with the first.
    watcher: Option<Watcher>,
    /// The open databases' files, watched for other processes' commits.
    watch: live::Watch,
    /// A job the user waits for has answered since the last frame.
    answered: bool,
}

impl App {
    /// Starts the workers, asks each database for its names, and builds the panels (the Query
    /// panel with the history read from the config dir).
    pub fn new(found: Vec<Found>, theme: Theme, keymap: Keymap) -> App {
        let found = super::view::in_order(found);
        let (tx, rx) = channel();
        let sink_tx = tx.clone();
        let sink: worker::Sink = Arc::new(move |e| {
            // Fails only once the UI has gone, when nobody waits for answers.
            let _ = sink_tx.send(Msg::Worker(e));
        });
        let workers = Workers::new(found.clone(), sink);
        let setup = Setup {
            history: History::load(),
        };
        let view = View::new(found, theme);
        let watch = live::Watch::start(&view.dbs, &tx);
        let mut app = App {
            view,
            panels: Panels::new(&setup),
            workers,
            tx,
            rx,
            popup: None,
            confirm: None,
            help: false,
            typing_filter: false,
            handlers: BTreeMap::new(),
            next_job: 1,
            message: None,
            keymap,
            quit: false,
            across_stale: false,
            areas: Areas::default(),
            clipboard: Vec::new(),
            watcher: None,
            watch,
            answered: false,
        };
        app.load_all();
        app
    }

    /// A sender for input events, for the thread that reads the terminal.
    pub fn sender(&self) -> Sender<Msg> {
        self.tx.clone()
    }

    /// The panel in front.
    pub fn panel(&self) -> PanelId {
        self.panels.front_id()
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
        while self.busy() {
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
    /// Returns when each input it handled was read.
    pub fn drain(&mut self, budget: Duration) -> Vec<Instant> {
        let until = Instant::now() + budget;
        let mut inputs = Vec::new();
        while !self.quit && Instant::now() < until {
            match self.rx.try_recv() {
                Ok(msg) => {
                    if let Msg::Input(_, at) = &msg {
                        inputs.push(*at);
                    }
                    self.handle(msg);
                }
                Err(_) => break,
            }
        }
        inputs
    }

    /// Any message: a terminal event or a worker's answer.
    pub fn handle(&mut self, msg: Msg) {
        let front = self.panels.front_id();
        match msg {
            Msg::Input(Event::Key(key), _) if key.kind != KeyEventKind::Release => self.on_key(key),
            Msg::Input(Event::Mouse(m), _) => self.on_mouse(m.kind, m.column, m.row),
            Msg::Input(Event::Paste(text), _) => self.panels.front_mut().paste(&text),
            Msg::Input(..) => {}
            Msg::Worker(e) => self.on_worker(e),
            Msg::Folder(dir) => self.tell_panels(|panel, ctx| panel.folder_changed(&dir, ctx)),
            Msg::Touched(db) => self.touched(db),
            Msg::Watching(watcher) => self.watching(watcher),
        }
        if self.panels.front_id() != front {
            self.in_front(|panel, ctx| panel.shown(ctx));
        }
    }

    /// Opens `workload` in the Query panel, brought to the front; its statements are planned
    /// once the database in focus has been read.
    pub fn set_workload(&mut self, workload: query::advice::Workload) {
        if let Some(panel) = self.panels.get_mut::<query::Query>() {
            panel.advice.workload = Some(workload);
        }
        self.panels.show(query::ID);
    }

    /// The migrations folder the user gave (`--migrations DIR`), for every database.
    pub fn set_migrations(&mut self, dir: &Path) {
        self.view.migrations = Some(dir.to_path_buf());
    }

    /// Lets every panel act on an event with a context, then applies what they asked for.
    fn tell_panels(&mut self, act: impl Fn(&mut dyn Panel, &mut Ctx)) {
        let mut ctx = Ctx::new(&self.view, &mut self.next_job);
        for panel in self.panels.iter_mut() {
            act(panel, &mut ctx);
        }
        for command in ctx.into_commands() {
            self.apply(command);
        }
    }

    fn on_key(&mut self, key: KeyEvent) {
        if let Some(confirm) = self.confirm.take() {
            self.answer(confirm, key);
            return;
        }
        if self.typing_filter {
            self.type_filter(key);
            return;
        }
        let action = self.keymap.action(&key);
        if self.popup.is_none() && !self.help {
            let mut taken = false;
            self.in_front(|panel, ctx| taken = panel.input(key, action, ctx));
            if taken {
                return;
            }
        }
        if let Some(action) = action {
            self.update(action);
        }
    }

    /// The user's answer to a confirmation: `y` or Enter goes ahead, `n`, Esc or `q` leaves
    /// everything as it is; any other key keeps the question open.
    fn answer(&mut self, confirm: Confirm, key: KeyEvent) {
        match key.code {
            KeyCode::Char('y' | 'Y') | KeyCode::Enter => {
                let mut ctx = Ctx::new(&self.view, &mut self.next_job);
                confirm.accept(&mut ctx);
                for command in ctx.into_commands() {
                    self.apply(command);
                }
            }
            KeyCode::Char('n' | 'N' | 'q') | KeyCode::Esc => {
                self.message = Some(Message::info("cancelled: nothing was written"));
            }
            _ => self.confirm = Some(confirm),
        }
    }

    fn type_filter(&mut self, key: KeyEvent) {
        let Some(filter) = self.panels.front_mut().filter_mut() else {
            self.typing_filter = false;
            return;
        };
        match key.code {
            KeyCode::Enter => self.typing_filter = false,
            KeyCode::Esc => {
                filter.text.clear();
                self.typing_filter = false;
            }
            KeyCode::Backspace => {
                filter.text.pop();
            }
            KeyCode::Char(c) => filter.text.push(c),
            _ => {}
        }
        *filter.selected = 0;
    }

    /// Acts on an action: those that concern the whole screen here, the rest in the panel in
    /// front.
    pub fn update(&mut self, action: Action) {
        if self.help {
            self.help = !matches!(action, Action::Escape | Action::Help | Action::Quit);
            return;
        }
        if let Some(popup) = &mut self.popup {
            match action {
                Action::Escape | Action::Enter | Action::Quit => self.popup = None,
                Action::Copy | Action::CopyRow if popup.copy.is_some() => {
                    if let Some((text, what)) = popup.copy.clone() {
                        self.apply(Command::Copy { text, what });
                    }
                }
                Action::Copy | Action::CopyRow => {
                    let text = popup
                        .body
                        .lines
                        .iter()
                        .map(|l| {
                            l.spans
                                .iter()
                                .map(|s| s.content.as_ref())
                                .collect::<String>()
                        })
                        .collect::<Vec<_>>()
                        .join("\n");
                    let what = format!("\"{}\"", popup.title);
                    self.apply(Command::Copy { text, what });
                }
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
            Action::NextPanel => self.panels.step(1),
            Action::PrevPanel => self.panels.step(-1),
            Action::Show(p) => self.panels.show(p),
            Action::Filter if self.panels.front().filter().is_some() => self.typing_filter = true,
            Action::Refresh => {
                self.message = Some(Message::info("re-reading every database"));
                self.load_all();
            }
            Action::Escape => self.escape(),
            Action::PrevDb | Action::NextDb => {
                let n = self.view.dbs.len().max(1);
                let by = if action == Action::NextDb { 1 } else { n - 1 };
                self.set_focus((self.view.focus + by) % n);
            }
            Action::Theme => {
                self.view.theme = if self.view.theme.name == "dark" {
                    Theme::light()
                } else {
                    Theme::dark()
                };
            }
            other => self.in_front(|panel, ctx| panel.handle(other, ctx)),
        }
    }

    /// The one place a panel's commands take effect.
    pub fn apply(&mut self, command: Command) {
        match command {
            Command::Focus(db) => self.set_focus(db),
            Command::Jump { db, object } => {
                let view = &self.view;
                let shown = self
                    .panels
                    .get_mut::<Schema>()
                    .is_some_and(|s| s.reveal(db, &object, view));
                if shown {
                    // The header, Data and Query follow what is shown, not what was in focus.
                    self.set_focus(db);
                    self.panels.show(schema::ID);
                }
            }
            Command::Show(panel) => self.panels.show(panel),
            Command::Popup(popup) => self.popup = Some(popup),
            Command::Confirm(confirm) => self.confirm = Some(confirm),
            Command::Reload(db) => self.reload(db),
            Command::Deliver { target, act } => self.deliver(target, act),
            Command::Message(message) => self.message = Some(message),
            Command::Copy { text, what } => {
                let bytes = crate::units::counted(text.len() as u64, "byte");
                self.message = Some(Message::info(format!("copied {what} ({bytes})")));
                self.clipboard.push(text);
            }
            Command::Send(request) => self.start(request),
            Command::Watch(dir) => {
                if !watch(&mut self.watcher, &self.tx, &dir) {
                    let shown = crate::engine::names::escape_path(&dir);
                    let text = format!("{shown}: cannot be watched; r re-reads it");
                    self.message = Some(Message::error(text));
                }
            }
        }
    }

    /// Puts database `db` in focus, drops a message about the one focused before, and tells the
    /// panels.
    fn set_focus(&mut self, db: usize) {
        if db >= self.view.dbs.len() || db == self.view.focus {
            return;
        }
        self.view.focus = db;
        if self
            .message
            .as_ref()
            .is_some_and(|m| m.about.is_some_and(|about| about != db))
        {
            self.message = None;
        }
        for panel in self.panels.iter_mut() {
            panel.focus_moved(&self.view);
        }
    }

    /// Lets the panel in front act with a context, then applies what it asked for.
    fn in_front(&mut self, act: impl FnOnce(&mut dyn Panel, &mut Ctx)) {
        let mut ctx = Ctx::new(&self.view, &mut self.next_job);
        act(self.panels.front_mut(), &mut ctx);
        for command in ctx.into_commands() {
            self.apply(command);
        }
    }

    /// Hands a job's answer to the panel of type `target`, then applies what it asked for.
    fn deliver(&mut self, target: TypeId, act: impl FnOnce(&mut dyn Any, &mut Ctx)) {
        let mut ctx = Ctx::new(&self.view, &mut self.next_job);
        if let Some(panel) = self.panels.by_type_mut(target) {
            act(panel as &mut dyn Any, &mut ctx);
        }
        for command in ctx.into_commands() {
            self.apply(command);
        }
    }

    /// Esc: cancels what the user is waiting for first (a page, a query), then steps back in the
    /// panel, and only then cancels background work.
    fn escape(&mut self) {
        let interactive = |(_, j): &(&JobId, &JobInfo)| !j.background;
        let job = self.view.jobs.iter().rev().find(interactive).or_else(|| {
            let stepping_back = self.panels.front().steps_back();
            (!stepping_back)
                .then(|| self.view.jobs.iter().next_back())
                .flatten()
        });
        match job {
            Some((&id, job)) => {
                self.workers.cancel(job.db, id);
                self.message = Some(Message::info(format!("cancelled: {}", job.label)));
            }
            None => {
                self.message = None;
                self.in_front(|panel, ctx| panel.handle(Action::Escape, ctx));
            }
        }
    }

    fn on_mouse(&mut self, kind: MouseEventKind, col: u16, row: u16) {
        let at = Rect::new(col, row, 1, 1);
        match kind {
            MouseEventKind::Down(MouseButton::Left) => {
                let body = self.areas.body;
                if let Some(p) = self.areas.tab_at(col, row) {
                    self.panels.show(p);
                } else if body.intersects(at) {
                    let row = row - body.y;
                    self.in_front(|panel, ctx| panel.click(row, body.height, ctx));
                }
            }
            MouseEventKind::ScrollDown => self.update(Action::Down),
            MouseEventKind::ScrollUp => self.update(Action::Up),
            _ => {}
        }
    }

    /// True while a job runs: the loop then wakes regularly to turn the spinner.
    pub fn busy(&self) -> bool {
        !self.view.jobs.is_empty()
    }

    /// True while a job has run long enough to show its spinner, which then needs frames.
    pub fn spinning(&self) -> bool {
        self.view
            .jobs
            .values()
            .any(|j| j.started.elapsed() >= super::view::SPINNER_AFTER)
    }

    /// True once after a job the user waits for (a page, a query) has answered: its frame is
    /// drawn at once, as a key's is.
    pub fn take_answered(&mut self) -> bool {
        std::mem::take(&mut self.answered)
    }
}
