//! The command line: argument parsing and one module per command.
//!
//! Commands format what the engine returns; none of them holds SQL. Every failure ends as one
//! line on stderr, `litescope: <file>: <cause>`, and exit code 2.

mod inspect;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Files, schema, sizes and settings of every database under the paths.
    Inspect(inspect::Args),
}

/// Parses the arguments, runs the command, and turns its outcome into an exit code.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Some(Command::Inspect(args)) => inspect::run(&args),
        None => crate::ui::run(&cli.paths, cli.demo),
    };
    match outcome {
        Ok(code) => code,
        Err(err) => {
            eprintln!("litescope: {err:#}");
            ExitCode::from(2)
        }
    }
}
