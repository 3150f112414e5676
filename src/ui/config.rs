//! The user's config file, `config.toml` in the config dir (`~/.config/litescope/` on Linux), and
//! the query history kept beside it.
//!
//! ```toml
//! theme = "light"            # or "dark"
//! [keys]
//! run = ["f5", "ctrl-r"]     # action name = keys; replaces that action's default keys
//! ```

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{Context, Result};
use serde::Deserialize;

use crate::engine::names::escape_path;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub theme: Option<String>,
    #[serde(default)]
    pub keys: HashMap<String, Vec<String>>,
}

/// Where the config and the query history live: `$LITESCOPE_CONFIG_DIR`, else the platform's
/// config dir.
pub fn dir() -> Option<PathBuf> {
    std::env::var_os("LITESCOPE_CONFIG_DIR")
        .map(PathBuf::from)
        .or_else(|| dirs::config_dir().map(|d| d.join("litescope")))
}

impl Config {
    /// Reads the config file; a missing file is the defaults, a broken one an error naming it.
    pub fn load() -> Result<Config> {
        let Some(path) = dir().map(|d| d.join("config.toml")) else {
            return Ok(Config::default());
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).with_context(|| escape_path(&path)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(e).with_context(|| escape_path(&path)),
        }
    }
}

/// Queries kept in the history file.
const HISTORY_MAX: usize = 500;

/// The queries run, oldest first, kept across runs in `history.jsonl` in the config dir (one JSON
/// string a line). Read once at start and handed to the Query panel, so that building a panel
/// never touches the disk.
#[derive(Debug, Clone, Default)]
pub struct History {
    pub entries: Vec<String>,
    /// Where new entries are appended; none keeps them in memory only.
    path: Option<PathBuf>,
}

impl History {
    /// The history in the config dir; a missing or unreadable file is an empty history.
    pub fn load() -> History {
        let path = dir().map(|d| d.join("history.jsonl"));
        let text = path
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default();
        let mut entries: Vec<String> = text
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        let excess = entries.len().saturating_sub(HISTORY_MAX);
        entries.drain(..excess);
        History { entries, path }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds `sql` unless it repeats the last entry, and appends it to the file; a failure to
    /// write only costs the history.
    pub fn push(&mut self, sql: &str) {
        if self.entries.last().map(String::as_str) == Some(sql) {
            return;
        }
        self.entries.push(sql.to_string());
        let Some(path) = &self.path else { return };
        let _ = path.parent().map(std::fs::create_dir_all);
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            use std::io::Write as _;
            let _ = writeln!(f, "{}", serde_json::Value::String(sql.to_string()));
        }
    }
}
