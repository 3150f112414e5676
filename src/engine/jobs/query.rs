//! A user's SQL script, its statements' columns, plans and rows streamed as they come (see
//! [`query`](crate::engine::query)).

use crate::engine::error::Error;
use crate::engine::query::{self, QueryEvent};
use crate::engine::worker::{Ctx, Job};

pub struct QueryJob {
    pub sql: String,
}

impl Job for QueryJob {
    /// Statements run.
    type Output = usize;
    type Partial = QueryEvent;

    fn label(&self) -> String {
        "running query".into()
    }

    fn run(&self, ctx: &mut Ctx<'_, QueryEvent>) -> Result<usize, Error> {
        let emitter = ctx.emitter();
        let conn = ctx.conn()?;
        query::run_script(conn, &self.sql, &mut |e| emitter.partial(e)).map_err(|e| conn.explain(e))
    }
}
