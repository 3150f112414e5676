//! The interactive terminal UI.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};

/// Opens the TUI on `paths` (or on the demo workspace).
pub fn run(paths: &[PathBuf], demo: bool) -> Result<ExitCode> {
    let _ = (paths, demo);
    bail!("the TUI is not built yet; use `litescope inspect PATH...`")
}
