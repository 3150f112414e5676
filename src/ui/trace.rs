//! Timings for the benchmark runner: with `LITESCOPE_TRACE=FILE`, the loop appends when table
//! names first appear on screen, how long each key or mouse event took to reach the screen, and
//! when each frame was drawn (to count redraws while another process writes).

use std::fs::File;
use std::io::Write as _;
use std::time::Instant;

use super::app::App;

pub struct Trace {
    file: Option<File>,
    start: Instant,
    ready: bool,
}

impl Trace {
    /// A trace whose times count from `start` (when litescope began).
    pub fn from_env(start: Instant) -> Trace {
        let file = std::env::var_os("LITESCOPE_TRACE").and_then(|p| File::create(p).ok());
        Trace {
            file,
            start,
            ready: false,
        }
    }

    /// Called after each frame; `inputs` are when the events it answers were read.
    pub fn frame(&mut self, app: &App, inputs: &[Instant]) {
        let Some(file) = &mut self.file else { return };
        let at = self.start.elapsed().as_secs_f64() * 1000.0;
        let _ = writeln!(file, "frame_ms {at:.3}");
        if !self.ready && app.view.dbs.iter().any(|d| d.model.is_some()) {
            self.ready = true;
            let _ = writeln!(
                file,
                "ready_ms {:.3}",
                self.start.elapsed().as_secs_f64() * 1000.0
            );
        }
        for at in inputs {
            let _ = writeln!(file, "lag_ms {:.3}", at.elapsed().as_secs_f64() * 1000.0);
        }
    }
}
