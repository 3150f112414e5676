//! Statements planned with their index suggestions (see [`plan`](crate::engine::plan)): the
//! Query panel's plan marks and suggestions after a run, and a workload's list.

use crate::engine::error::Error;
use crate::engine::plan::{self, Analysis};
use crate::engine::worker::{Ctx, Job};

pub struct AdviseJob {
    /// The statements with the line each starts on.
    pub statements: Vec<(usize, String)>,
}

impl Job for AdviseJob {
    type Output = Analysis;
    type Partial = ();

    fn label(&self) -> String {
        match self.statements.len() {
            1 => "planning the statement and its indexes".into(),
            n => format!("planning {n} statements and their indexes"),
        }
    }

    fn run(&self, ctx: &mut Ctx<'_, ()>) -> Result<Analysis, Error> {
        let conn = ctx.conn()?;
        plan::analyse(conn, &self.statements).map_err(|e| conn.explain(e))
    }
}
