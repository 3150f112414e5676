//! The Backups panel's work: listing a database's backups, making one (progress, cancel),
//! verifying, pruning and restoring, over [`backups`](crate::engine::backups).

use std::path::PathBuf;

use crate::engine::backups::catalog::{self, Entry, Pruned};
use crate::engine::backups::create::{self, Check, Created};
use crate::engine::backups::restore::{self, Restored};
use crate::engine::backups::verify::{self, Verdict};
use crate::engine::error::Error;
use crate::engine::worker::{Ctx, Job};

/// The backups of the worker's database, newest first.
pub struct ListBackups {
    /// A folder of backups given on the command line, besides the database's own.
    pub extra: Option<PathBuf>,
}

impl Job for ListBackups {
    type Output = Vec<Entry>;
    type Partial = ();

    fn label(&self) -> String {
        "listing backups".into()
    }

    fn run(&self, ctx: &mut Ctx<'_, ()>) -> Result<Vec<Entry>, Error> {
        let db = ctx.session().found.path.clone();
        Ok(catalog::backups_of(&db, self.extra.as_deref()))
    }
}

/// Makes the backup `plan` names, verified; progress is pages copied.
pub struct BackupJob {
    pub plan: create::Plan,
}

impl Job for BackupJob {
    type Output = Created;
    type Partial = ();

    fn label(&self) -> String {
        self.plan.describe()
    }

    fn run(&self, ctx: &mut Ctx<'_, ()>) -> Result<Created, Error> {
        let emitter = ctx.emitter();
        let conn = ctx.conn()?;
        create::create(&self.plan, conn, Check::Quick, &mut |done, total| {
            emitter.progress(done as usize, total as usize)
        })
    }
}

/// Checks a backup of the worker's database against it.
pub struct VerifyJob {
    pub backup: PathBuf,
}

impl Job for VerifyJob {
    type Output = Verdict;
    type Partial = ();

    fn label(&self) -> String {
        format!("verifying {}", self.backup.display())
    }

    fn run(&self, ctx: &mut Ctx<'_, ()>) -> Result<Verdict, Error> {
        let db = ctx.session().found.path.clone();
        verify::against(&self.backup, &db, false)
    }
}

/// What keeping the newest `keep` backups per source in `dir` would remove.
pub struct PrunePlan {
    pub dir: PathBuf,
    pub keep: usize,
}

impl Job for PrunePlan {
    type Output = Pruned;
    type Partial = ();

    fn label(&self) -> String {
        format!("reading {}", self.dir.display())
    }

    fn run(&self, _ctx: &mut Ctx<'_, ()>) -> Result<Pruned, Error> {
        catalog::prune_plan(&self.dir, self.keep)
    }
}

/// Removes the backups a [`PrunePlan`] chose, each with its manifest.
pub struct PruneJob {
    pub plan: Pruned,
}

impl Job for PruneJob {
    type Output = usize;
    type Partial = ();

    fn label(&self) -> String {
        format!("removing {} backups", self.plan.removed.len())
    }

    fn run(&self, _ctx: &mut Ctx<'_, ()>) -> Result<usize, Error> {
        catalog::prune(&self.plan).map(|()| self.plan.removed.len())
    }
}

/// Restores a backup over the worker's database. The worker's own connection is closed first,
/// so that the only process holding the file open is one that should stop.
pub struct RestoreJob {
    pub plan: restore::Plan,
}

impl Job for RestoreJob {
    type Output = Restored;
    type Partial = ();

    fn label(&self) -> String {
        format!("restoring {}", self.plan.backup.display())
    }

    fn run(&self, ctx: &mut Ctx<'_, ()>) -> Result<Restored, Error> {
        ctx.session().close();
        let emitter = ctx.emitter();
        restore::restore(&self.plan, &mut |done, total| {
            emitter.progress(done as usize, total as usize)
        })
    }
}
