//! The set of databases a session works on: everything discovered under the user's paths, read
//! (and audited) through the [`pipeline`](super::pipeline).

use std::path::PathBuf;

use anyhow::Result;
use serde::Serialize;

use super::database::{Database, Depth};
use super::discover::discover;
use super::findings::{self, Finding};
use super::pipeline;

#[derive(Debug, Clone, Serialize)]
pub struct Workspace {
    pub databases: Vec<Database>,
}

impl Workspace {
    /// Discovers and reads every database under `paths`. Fails only when a path itself is
    /// missing or unreadable; a bad database file becomes that database's status.
    pub fn open(paths: &[PathBuf], depth: Depth) -> Result<Workspace> {
        let databases = discover(paths)?
            .iter()
            .map(|f| pipeline::run(f, depth, None).0)
            .collect();
        Ok(Workspace { databases })
    }

    /// [`Workspace::open`], then every rule on each database (on the connection that read it) and
    /// the rules that compare databases, sorted in the contract's order.
    pub fn audit(
        paths: &[PathBuf],
        depth: Depth,
        opts: &findings::Options,
    ) -> Result<(Workspace, Vec<Finding>)> {
        let mut own = Vec::new();
        let mut databases = Vec::new();
        for found in discover(paths)? {
            let (db, audit) = pipeline::run(&found, depth, Some(opts));
            own.push(audit.findings);
            databases.push(db);
        }
        let dbs: Vec<&Database> = databases.iter().collect();
        let roles = findings::stand_in::roles(&dbs);
        let mut all: Vec<Finding> = own
            .into_iter()
            .zip(&roles)
            .filter(|(_, role)| **role != findings::stand_in::Role::Covered)
            .flat_map(|(f, _)| f)
            .collect();
        all.extend(findings::across(&dbs));
        findings::sort(&mut all);
        Ok((Workspace { databases }, all))
    }
}
