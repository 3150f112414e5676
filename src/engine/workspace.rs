//! The set of databases a session works on: everything discovered under the user's paths.

use std::path::PathBuf;

use anyhow::Result;
use serde::Serialize;

use super::database::{inspect, Database, Depth};
use super::discover::discover;

#[derive(Debug, Clone, Serialize)]
pub struct Workspace {
    pub databases: Vec<Database>,
}

impl Workspace {
    /// Discovers and inspects every database under `paths`. Fails only when a path itself is
    /// missing or unreadable; a bad database file becomes that database's status.
    pub fn open(paths: &[PathBuf], depth: Depth) -> Result<Workspace> {
        let databases = discover(paths)?.iter().map(|f| inspect(f, depth)).collect();
        Ok(Workspace { databases })
    }
}
