//! The interactive terminal UI: panels over the shared engine, never blocking on a database.
//!
//! One thread reads the terminal and the engine's worker pool does database work (see
//! `engine::worker`); both send messages to this loop, which updates the state and redraws only
//! when something changed (or a spinner is turning).
//!
//! Layers, each using only those before it: `view` (the state every panel reads), `command`
//! (what a panel may ask for), `panels` (the components and their registry), then `app` (owns
//! them all and applies commands) and `draw`.

pub mod action;
pub mod app;
pub mod clipboard;
pub mod command;
pub mod config;
pub mod draw;
pub mod fix;
pub mod keymap;
pub mod layout;
pub mod panels;
pub mod terminal;
pub mod theme;
pub mod trace;
pub mod view;
pub mod watcher;
pub mod widgets;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use ratatui::crossterm::event;

use self::app::{App, Msg};
use self::config::Config;
use self::keymap::Keymap;
use self::layout::Areas;
use self::panels::query::advice::Workload;
use self::theme::Theme;
use crate::engine::discover::discover;

/// How often a running job's spinner turns.
const TICK: Duration = Duration::from_millis(100);
/// The longest the loop handles waiting messages before drawing.
const BATCH: Duration = Duration::from_millis(30);
/// Frames a second that answer no input, in the long run: a database written a hundred times a
/// second redraws ten times a second at most.
const FRAMES_PER_SECOND: f64 = 10.0;
/// Frames that answer no input drawn at once after a quiet moment.
const FRAME_BURST: f64 = 3.0;

/// Frames that answer no input, paced as a token bucket: [`FRAMES_PER_SECOND`] in the long run,
/// with a burst of [`FRAME_BURST`] after a quiet moment, so that the few frames at start (names,
/// then the schema) and a single change show at once.
struct Frames {
    tokens: f64,
    at: Instant,
}

impl Frames {
    fn new() -> Frames {
        Frames {
            tokens: FRAME_BURST,
            at: Instant::now(),
        }
    }

    fn tokens(&self) -> f64 {
        let refill = self.at.elapsed().as_secs_f64() * FRAMES_PER_SECOND;
        (self.tokens + refill).min(FRAME_BURST)
    }

    /// How long a frame that answers no input must wait.
    fn held(&self) -> Duration {
        Duration::from_secs_f64(((1.0 - self.tokens()) / FRAMES_PER_SECOND).max(0.0))
    }

    /// A frame was drawn; one `answering` input is not paced and uses no token.
    fn drawn(&mut self, answering: bool) {
        if !answering {
            self.tokens = self.tokens() - 1.0;
            self.at = Instant::now();
        }
    }
}

/// How long the loop may sleep: until the spinner turns, a frame `held` back is due, or the
/// watch must look again.
fn wait(app: &App, held: Option<Duration>) -> Duration {
    let now = Instant::now();
    let mut until = app.next_wakeup();
    if app.busy() {
        until = until.min(now + TICK);
    }
    if let Some(held) = held {
        until = until.min(now + held);
    }
    until.saturating_duration_since(now)
}

/// Opens the TUI on `paths`, or on a freshly written demo workspace.
pub fn run(
    paths: &[PathBuf],
    demo: bool,
    migrations: Option<&Path>,
    workload: Option<Workload>,
) -> Result<ExitCode> {
    let started = Instant::now();
    crate::engine::memory::settle_for_a_long_run();
    let config = Config::load()?;
    let keymap = Keymap::new(&config.keys)?;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme = Theme::choose(config.theme.as_deref(), no_color);
    let demo_dir =
        demo.then(|| std::env::temp_dir().join(format!("litescope-demo-{}", std::process::id())));
    if let Some(dir) = &demo_dir {
        crate::engine::demo::write(dir)?;
    }
    let paths: Vec<PathBuf> = demo_dir
        .iter()
        .cloned()
        .chain(paths.iter().cloned())
        .collect();
    if paths.is_empty() {
        bail!("no database given: litescope PATH... (files or folders), or litescope --demo");
    }
    let found = discover(&paths)?;
    let mut app = App::new(found, theme, keymap);
    if let Some(dir) = migrations {
        app.set_migrations(dir);
    }
    if let Some(workload) = workload {
        app.set_workload(workload);
    }
    let result = run_app(app, started);
    if let Some(dir) = demo_dir {
        let _ = std::fs::remove_dir_all(dir);
    }
    result
}

fn run_app(mut app: App, started: Instant) -> Result<ExitCode> {
    let mut terminal = terminal::enter()?;
    let input = app.sender();
    std::thread::spawn(move || {
        while let Ok(ev) = event::read() {
            if input.send(Msg::Input(ev, Instant::now())).is_err() {
                break;
            }
        }
    });
    let mut trace = trace::Trace::from_env(started);
    let outcome = (|| -> Result<()> {
        let mut dirty = true;
        let mut frames = Frames::new();
        // When each key or click handled since the last frame was read: the frame answers all.
        let mut waiting: Vec<Instant> = Vec::new();
        loop {
            if app.quit {
                return Ok(());
            }
            // A frame answers input at once; anything else waits for its turn (see FRAME).
            let answering = !waiting.is_empty() || app.take_answered();
            if dirty && (frames.held().is_zero() || answering) {
                app.refresh_across();
                let size = terminal.size()?;
                app.areas =
                    Areas::compute(ratatui::layout::Rect::new(0, 0, size.width, size.height));
                terminal.draw(|f| draw::draw(f, &app))?;
                trace.frame(&app, &std::mem::take(&mut waiting));
                frames.drawn(answering);
                dirty = false;
            }
            let msg = app.next_msg(Some(wait(&app, dirty.then(|| frames.held()))));
            app.tick(Instant::now());
            dirty |= app.spinning();
            if let Some(msg) = msg {
                if let Msg::Input(_, at) = &msg {
                    waiting.push(*at);
                }
                dirty |= msg.may_change_screen();
                app.handle(msg);
                waiting.extend(app.drain(BATCH));
            }
            // Copies go to the terminal between frames, never in the middle of one.
            for text in std::mem::take(&mut app.clipboard) {
                if let Err(e) = clipboard::copy(terminal.backend_mut(), &text) {
                    app.message = Some(command::Message::error(format!("copy failed: {e}")));
                }
            }
        }
    })();
    terminal::leave();
    outcome.map(|()| ExitCode::SUCCESS)
}
