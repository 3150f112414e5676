//! A [`pipeline`](crate::engine::pipeline) stage as a job: read to a depth, or audit.

use std::sync::Arc;

use crate::engine::database::Database;
use crate::engine::error::Error;
use crate::engine::pipeline::{self, Audit, Options, Stage};
use crate::engine::watch::since::Since;
use crate::engine::worker::{Ctx, Job};

/// Runs one stage of the pipeline on a database.
pub struct StageJob {
    pub stage: Stage,
    pub opts: Options,
}

/// What a stage left: the database as read, or the audit's findings and relations.
#[derive(Debug)]
pub enum StageDone {
    /// The model the session keeps, shared rather than copied, so that the UI and the worker
    /// hold one model of each database between them.
    Read(Arc<Database>),
    /// Read again after another process committed, with what changed since opening.
    Recounted(Arc<Database>, Since),
    Audited(Audit),
}

impl Job for StageJob {
    type Output = StageDone;
    type Partial = ();

    fn label(&self) -> String {
        self.stage.label().to_string()
    }

    fn is_background(&self) -> bool {
        self.stage.is_background()
    }

    fn run(&self, ctx: &mut Ctx<'_, ()>) -> Result<StageDone, Error> {
        let cancelled = ctx.cancelled();
        if self.stage.starts_afresh() {
            ctx.session().close();
        }
        match self.stage.depth(&self.opts) {
            Some(depth) if self.stage == Stage::Recount => {
                let (db, since) = pipeline::recount(ctx.session(), depth, cancelled);
                Ok(StageDone::Recounted(db, since))
            }
            Some(depth) => Ok(StageDone::Read(pipeline::read(
                ctx.session(),
                depth,
                cancelled,
            ))),
            None => {
                let emitter = ctx.emitter();
                let mut progress = |done, total| emitter.progress(done, total);
                pipeline::audit(ctx.session(), &self.opts.audit, cancelled, &mut progress)
                    .map(StageDone::Audited)
            }
        }
    }
}
