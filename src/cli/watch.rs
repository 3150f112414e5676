//! `litescope watch PATH...`: one line per change committed to any database under the paths,
//! by any process, until interrupted. Text: time, database, table, rows now and the change
//! since the last line, and `schema changed`; `--json`: one object per line,
//! `{"time","database","table","rows","rows_delta","schema_changed","file"}` (`table` null for
//! a commit that changed no table's row count; `file` `"deleted"` or `"replaced"` when the path
//! no longer names the file watched until then, else null). No TUI; for logs and scripts.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use crate::engine::discover::discover;
use crate::engine::watch::files::Touches;
use crate::engine::watch::{Change, FileEvent, Watched};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Database files or folders (every database found under a folder).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// One JSON object per line.
    #[arg(long)]
    json: bool,
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let found = discover(&args.paths)?;
    let mut watched = Vec::new();
    for f in &found {
        match Watched::open(&f.path, f.display.clone()) {
            Ok(w) => watched.push(w),
            Err(e) if f.explicit => return Err(e.into()),
            // A file in a folder that is not a readable database is not watched.
            Err(_) => {}
        }
    }
    if watched.is_empty() {
        return Err(super::none_found(&args.paths));
    }
    let paths: Vec<PathBuf> = found.iter().map(|f| f.path.clone()).collect();
    let touches = Touches::watch(&paths)?;
    eprintln!(
        "litescope: watching {} database(s); Ctrl-C stops",
        watched.len()
    );
    loop {
        for i in touches.next() {
            let Some(w) = watched.get_mut(i) else {
                continue;
            };
            match w.check() {
                Ok(changes) => print(&changes, args.json)?,
                Err(e) => super::print_failure(&format!("{}: {e}", w.display)),
            }
        }
    }
}

fn print(changes: &[Change], json: bool) -> Result<()> {
    for c in changes {
        if json {
            super::print_text(&(serde_json::to_string(c)? + "\n"));
        } else {
            let mut text = String::new();
            super::put(&mut text, &line(c));
            super::print_text(&text);
        }
    }
    Ok(())
}

fn line(c: &Change) -> String {
    if c.file == Some(FileEvent::Deleted) {
        return format!("{}  {}  -  file deleted", c.time, c.database);
    }
    let rows = match (c.rows, c.rows_delta) {
        (Some(rows), Some(delta)) => format!("rows {rows} ({delta:+})"),
        (None, Some(delta)) => format!("dropped ({delta:+} rows)"),
        _ => "changed".to_string(),
    };
    let table = c.table.as_deref().unwrap_or("-");
    let schema = if c.schema_changed {
        "  schema changed"
    } else {
        ""
    };
    let file = match c.file {
        Some(FileEvent::Replaced) => "  file replaced",
        _ => "",
    };
    format!("{}  {}  {table}  {rows}{schema}{file}", c.time, c.database)
}
