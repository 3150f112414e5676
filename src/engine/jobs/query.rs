//! A user's SQL script, its statements' columns, plans and rows streamed as they come (see
//! [`query`](crate::engine::query)).

use crate::engine::error::Error;
use crate::engine::query::{self, QueryEvent};
use crate::engine::worker::{Ctx, Job};

pub struct QueryJob {
    pub sql: String,
    /// The database is in rollback-journal mode, where a read delays every writer's commit for
    /// as long as it runs (see `Database::readers_block_writers`).
    pub holds_read_lock: bool,
}

impl Job for QueryJob {
    /// Statements run.
    type Output = usize;
    type Partial = QueryEvent;

    fn label(&self) -> String {
        match self.holds_read_lock {
            true => "running query · holding the read lock: writers wait while this runs \
                     (rollback journal)"
                .into(),
            false => "running query".into(),
        }
    }

    fn run(&self, ctx: &mut Ctx<'_, QueryEvent>) -> Result<usize, Error> {
        let emitter = ctx.emitter();
        let conn = ctx.conn()?;
        query::run_script(conn, &self.sql, &mut |e| emitter.partial(e)).map_err(|e| conn.explain(e))
    }
}
