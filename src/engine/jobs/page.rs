//! One page of a table's rows, by key (see [`browse`](crate::engine::browse)).

use crate::engine::browse::{self, Page, Position, Selection};
use crate::engine::error::Error;
use crate::engine::worker::{is, Ctx, Job, Queued};

pub struct PageJob {
    pub table: String,
    pub position: Position,
    pub selection: Selection,
    pub limit: usize,
}

impl Job for PageJob {
    type Output = Page;
    type Partial = ();

    fn label(&self) -> String {
        "reading rows".into()
    }

    /// Of several page requests queued for a database only the newest matters.
    fn replaces(&self, older: &dyn Queued) -> bool {
        is::<PageJob>(older)
    }

    fn run(&self, ctx: &mut Ctx<'_, ()>) -> Result<Page, Error> {
        let model = ctx.session().model()?;
        let conn = ctx.conn()?;
        browse::page(
            conn,
            &model.schema,
            &self.table,
            (&self.position, &self.selection),
            self.limit,
        )
        .map_err(|e| conn.explain(e))
    }
}
