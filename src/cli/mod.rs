//! The command line: argument parsing and one module per command.
//!
//! Commands format what the engine returns; none of them holds SQL. Every failure ends as one
//! line on stderr, `litescope: <file>: <cause>`, and exit code 2.
//!
//! Everything a command prints goes out through [`print_text`] or [`print_failure`], which escape
//! control characters: names and messages from a database may hold any of them, and a table
//! named `evil\x1b]0;title\x07` must not retitle or clear the user's terminal. JSON is already
//! safe (serde escapes them) and passes through unchanged.

mod backup;
mod demo;
mod diff;
mod diff_data;
mod inspect;
pub mod migrate;
mod migrate_run;
mod orphans;
mod plan;
mod report;
mod watch;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::engine::names::printable;

#[derive(Parser, Debug)]
#[command(
    name = "litescope",
    version,
    about = "Look inside SQLite databases: files, schema, data, findings, relations.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Database files or folders to open in the TUI.
    paths: Vec<PathBuf>,
    /// Open the TUI on a generated demo workspace.
    #[arg(long)]
    demo: bool,
    /// The migrations folder the Migrations panel compares every database with (default: one
    /// found beside each database, such as migrations/ or db/migrations/).
    #[arg(long, value_name = "DIR")]
    migrations: Option<PathBuf>,
    /// A file of the application's SQL statements (separated by `;`) to open in the Query
    /// panel, each with its plan's marks and index suggestions.
    #[arg(long, value_name = "FILE")]
    workload: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Files, schema, sizes and settings of every database under the paths.
    Inspect(inspect::Args),
    /// The audit: findings with why they matter and how to fix them.
    Report(report::Args),
    /// The audit as a gate: exit 1 when a finding at or above --fail-on is found.
    Check(report::CheckArgs),
    /// Write the demo workspace into DIR and exit.
    Demo(demo::Args),
    /// Relations (declared and inferred) of one database and their orphaned rows.
    Orphans(orphans::Args),
    /// Query plans with their costly steps marked, and the indexes that would serve them.
    Plan(plan::Args),
    /// Two schemas compared (or a database and its migrations), the SQL from one to the other,
    /// and with --data their rows. Exit 1 when they differ.
    Diff(diff::Args),
    /// One line (or JSON object) per change committed to the databases by any process.
    Watch(watch::Args),
    /// Consistent, verified backups: create, verify, list, prune, restore.
    Backup(backup::Args),
    /// Migrations: status against a folder, the next migration file, up and down.
    Migrate(migrate::Args),
}

/// JSON for stdout: indented for a person at a terminal, compact for a pipe.
pub fn json_text<T: serde::Serialize>(value: &T) -> serde_json::Result<String> {
    if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    }
}

/// Prints `value` as JSON on a line of its own.
pub fn print_json<T: serde::Serialize>(value: &T) -> serde_json::Result<()> {
    print_text(&(json_text(value)? + "\n"));
    Ok(())
}

/// Appends one line of text output built from a database's names or values, a line break in
/// them escaped (see [`crate::engine::names::one_line`]).
pub fn put(out: &mut String, line: &str) {
    out.push_str(&crate::engine::names::one_line(line));
    out.push('\n');
}

/// Prints a command's output with control characters escaped. A reader that closed the pipe
/// (`litescope inspect | head -1`) has all it wanted: litescope exits 0 quietly, as `cat` does.
pub fn print_text(text: &str) {
    write_out(&printable(text));
}

/// Prints SQL for a shell to run. Tabs and carriage returns are white space to SQLite (a view's
/// text often holds them) and harmless on a terminal, so they stay as they are; any other
/// control character is escaped as [`print_text`] does, and the script then fails at that
/// point rather than reach the terminal.
pub fn print_sql(text: &str) {
    let harmless = !text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r'));
    match harmless {
        true => write_out(text),
        false => print_text(text),
    }
}

fn write_out(text: &str) {
    let mut out = std::io::stdout().lock();
    let written = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => {
            print_failure(&format!("standard output: {e}"));
            std::process::exit(2);
        }
    }
}

/// Stops with clap's usage error (exit 2) when the first argument reads as a subcommand that
/// does not exist: a bare lowercase word naming no file. Without this, `litescope migrate --help`
/// would take `migrate` for a PATH and print the top-level help, as if the command were there.
fn refuse_unknown_subcommand(args: impl Iterator<Item = std::ffi::OsString>) {
    use clap::CommandFactory as _;
    let Some(first) = args
        .into_iter()
        .find(|a| !a.to_string_lossy().starts_with('-'))
    else {
        return;
    };
    let Some(word) = first.to_str() else {
        return;
    };
    let bare = word
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && word.starts_with(|c: char| c.is_ascii_lowercase());
    let mut cmd = Cli::command();
    let known = word == "help" || cmd.find_subcommand(word).is_some();
    if !bare || known || std::path::Path::new(word).exists() {
        return;
    }
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    cmd.error(
        clap::error::ErrorKind::InvalidSubcommand,
        format!(
            "unrecognized subcommand '{word}' (the commands are {}; a PATH must exist)",
            names.join(", ")
        ),
    )
    .exit();
}

/// The paths as the user gave them, for a message about all of them.
/// The failure when `paths` hold no database: a script must not take it for a clean run. A command
/// asked for JSON prints its (empty) JSON first, so that every `--json` prints JSON.
pub fn none_found(paths: &[PathBuf]) -> anyhow::Error {
    anyhow::anyhow!("{}: no SQLite databases found", shown(paths))
}

pub fn shown(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(crate::engine::names::escape_path)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Prints the one-line `litescope: <file>: <cause>` failure to stderr, kept to one line.
pub fn print_failure(line: &str) {
    eprintln!("litescope: {}", printable(line).replace('\n', r"\x0a"));
}

/// Parses the arguments, runs the command, and turns its outcome into an exit code.
pub fn run() -> ExitCode {
    refuse_unknown_subcommand(std::env::args_os().skip(1));
    let cli = Cli::parse();
    crate::engine::limits::raise_open_files();
    let outcome = match cli.command {
        Some(Command::Inspect(args)) => inspect::run(&args),
        Some(Command::Report(args)) => report::run(&args),
        Some(Command::Check(args)) => report::run_check(&args),
        Some(Command::Orphans(args)) => orphans::run(&args),
        Some(Command::Plan(args)) => plan::run(&args),
        Some(Command::Diff(args)) => diff::run(&args),
        Some(Command::Watch(args)) => watch::run(&args),
        Some(Command::Demo(args)) => demo::run(&args),
        Some(Command::Backup(args)) => backup::run(&args),
        Some(Command::Migrate(args)) => migrate::run(&args),
        None => plan::workload_for_ui(cli.workload.as_deref()).and_then(|workload| {
            crate::ui::run(&cli.paths, cli.demo, cli.migrations.as_deref(), workload)
        }),
    };
    match outcome {
        Ok(code) => code,
        Err(err) => {
            print_failure(&format!("{err:#}"));
            ExitCode::from(2)
        }
    }
}
