//! The user's config file: `config.toml` in the config dir (`~/.config/litescope/` on Linux).
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
