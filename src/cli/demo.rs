//! `litescope demo DIR`: write the demo workspace and exit.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use crate::engine::demo;
use crate::engine::names::escape_path;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Folder to create (must be missing or empty).
    dir: PathBuf,
}

pub fn run(args: &Args) -> Result<ExitCode> {
    demo::write(&args.dir)?;
    let dir = escape_path(&args.dir);
    super::print_text(&format!(
        "demo workspace written to {dir}; try: litescope report {dir}\n"
    ));
    Ok(ExitCode::SUCCESS)
}
