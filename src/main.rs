//! litescope: look inside SQLite databases from a terminal.

fn main() -> std::process::ExitCode {
    litescope::cli::run()
}
