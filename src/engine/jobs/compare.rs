//! The Schema panel's comparison: the worker's database (side A) against another database's
//! model (side B), over [`diff::compare`](crate::engine::diff::compare), with the SQL that turns
//! A's schema into B's ([`diff::sql::script`](crate::engine::diff::sql::script)).

use std::sync::Arc;

use crate::engine::database::Database;
use crate::engine::diff::{self, Diff};
use crate::engine::error::Error;
use crate::engine::worker::{Ctx, Job};

pub struct CompareJob {
    /// Side B, as the UI last read it (the model its worker keeps, shared).
    pub other: Arc<Database>,
}

/// What differs, and the SQL from A to B, or why there is none (a name SQL cannot hold).
#[derive(Debug, Clone)]
pub struct Compared {
    pub diff: Diff,
    pub sql: Result<String, String>,
}

impl Job for CompareJob {
    type Output = Compared;
    type Partial = ();

    fn label(&self) -> String {
        format!("comparing with {}", self.other.path)
    }

    fn run(&self, ctx: &mut Ctx<'_, ()>) -> Result<Compared, Error> {
        let a = ctx.session().model()?;
        let b = &self.other.schema;
        let diff = diff::compare(&a.schema, b);
        let sql = diff::sql::script(&a.schema, b, &diff).map_err(|e| e.to_string());
        Ok(Compared { diff, sql })
    }
}
