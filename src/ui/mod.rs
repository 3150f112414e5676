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
        // When each key or click handled since the last frame was read: the frame answers all.
        let mut waiting: Vec<Instant> = Vec::new();
        loop {
            if app.quit {
                return Ok(());
            }
            if dirty {
                app.refresh_across();
                let size = terminal.size()?;
                app.areas =
                    Areas::compute(ratatui::layout::Rect::new(0, 0, size.width, size.height));
                terminal.draw(|f| draw::draw(f, &app))?;
                trace.frame(&app, &std::mem::take(&mut waiting));
            }
            let msg = app.next_msg(app.busy().then_some(TICK));
            dirty = msg.is_some() || app.busy();
            if let Some(msg) = msg {
                if let Msg::Input(_, at) = &msg {
                    waiting.push(*at);
                }
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
