//! Driving the TUI in-process, as the terminal loop does: an `App` on real files with real
//! workers, keys sent as terminal events, the screen drawn into ratatui's `TestBackend`.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use litescope::engine::discover::discover;
use litescope::ui::app::{App, Msg};
use litescope::ui::draw::draw;
use litescope::ui::keymap::Keymap;
use litescope::ui::layout::Areas;
use litescope::ui::theme::Theme;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::Terminal;

/// The screen size the tests draw at.
pub const WIDTH: u16 = 110;
pub const HEIGHT: u16 = 32;

/// The TUI on `path` (a file or a folder), with a config dir of the test run's own and default
/// keys, once every database has been read.
pub fn open(path: &Path) -> App {
    let config = std::env::temp_dir().join(format!("litescope-test-config-{}", std::process::id()));
    std::env::set_var("LITESCOPE_CONFIG_DIR", &config);
    let found = discover(&[path.to_path_buf()]).unwrap();
    let keymap = Keymap::new(&HashMap::new()).unwrap();
    let mut app = App::new(found, Theme::dark(), keymap);
    app.areas = Areas::compute(Rect::new(0, 0, WIDTH, HEIGHT));
    app.settle(Duration::from_secs(20));
    app
}

pub fn key(app: &mut App, code: KeyCode) {
    let event = Event::Key(KeyEvent::new(code, KeyModifiers::NONE));
    app.handle(Msg::Input(event, Instant::now()));
}

pub fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

/// The screen as text, drawn at `width` x `height`.
pub fn screen_sized(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| draw(f, app)).unwrap();
    terminal.backend().to_string()
}

pub fn screen(app: &App) -> String {
    screen_sized(app, WIDTH, HEIGHT)
}
