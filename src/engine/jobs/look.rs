//! A [`look`](crate::engine::watch::look) for another process's commits as a job: the TUI sends
//! one when a database's files are touched.

use crate::engine::error::Error;
use crate::engine::watch::look::{self, Look};
use crate::engine::worker::{self, Ctx, Job, Queued};

pub struct LookJob;

impl Job for LookJob {
    type Output = Look;
    type Partial = ();

    fn label(&self) -> String {
        "looking for changes".into()
    }

    fn is_background(&self) -> bool {
        true
    }

    fn replaces(&self, older: &dyn Queued) -> bool {
        worker::is::<LookJob>(older)
    }

    fn run(&self, ctx: &mut Ctx<'_, ()>) -> Result<Look, Error> {
        look::look(ctx.session())
    }
}
