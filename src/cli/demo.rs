//! `litescope demo DIR`: write the demo workspace and exit.
//!
//! The README tells a new user to run `litescope demo /tmp/litescope-demo`; running it a second
//! time must work too. So the demo leaves a marker file in DIR, and a folder holding that marker
//! is taken for a previous demo: the parts the demo writes are removed and written afresh. A
//! folder without the marker is never touched unless it is empty (it may hold anything).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};

use crate::engine::demo;
use crate::engine::names::escape_path;

/// The file that marks a folder as written by `litescope demo`.
const MARKER: &str = ".litescope-demo";

/// What the demo writes at the top of DIR, besides the marker.
const PARTS: &[&str] = &["chat", "memory", "gateway", "migrations", "backups"];

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Folder to write into: missing, empty, or holding a previous demo (which is replaced).
    dir: PathBuf,
}

pub fn run(args: &Args) -> Result<ExitCode> {
    if args.dir.join(MARKER).is_file() {
        clear_previous(&args.dir)?;
    }
    demo::write(&args.dir)?;
    let dir = escape_path(&args.dir);
    fs::write(
        args.dir.join(MARKER),
        "written by `litescope demo`; running it again replaces this folder's demo\n",
    )
    .with_context(|| format!("{dir}/{MARKER}"))?;
    super::print_text(&format!(
        "demo workspace written to {dir}; try: litescope report {dir}\n"
    ));
    Ok(ExitCode::SUCCESS)
}

/// Removes a previous demo from `dir`, refusing when the folder holds anything the demo did not
/// write there (that is the user's, and stays).
fn clear_previous(dir: &Path) -> Result<()> {
    let name = escape_path(dir);
    let entries = fs::read_dir(dir).with_context(|| name.clone())?;
    for entry in entries {
        let entry = entry.with_context(|| name.clone())?;
        let file = entry.file_name();
        let ours = file == MARKER || PARTS.iter().any(|p| file == *p);
        if !ours {
            bail!(
                "{name}: holds a previous demo and also {}; the demo is written only into a new \
                 or empty folder, or one holding nothing but a previous demo",
                escape_path(&file)
            );
        }
    }
    for part in PARTS {
        let path = dir.join(part);
        if path.exists() {
            fs::remove_dir_all(&path).with_context(|| format!("{name}/{part}"))?;
        }
    }
    fs::remove_file(dir.join(MARKER)).with_context(|| format!("{name}/{MARKER}"))?;
    Ok(())
}
