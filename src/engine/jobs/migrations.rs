//! The Migrations panel's work: a database's migration status against its folder (given, or
//! found beside it), over [`migrate::read`](crate::engine::migrate::read), and runs up and down,
//! planned and then run, over [`migrate::run`](crate::engine::migrate::run); and a fix applied
//! from Findings or Relations, planned and then run, over
//! [`migrate::fix`](crate::engine::migrate::fix).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use crate::engine::error::Error;
use crate::engine::migrate::fix::{self, Fix, FixPlan};
use crate::engine::migrate::preview::{self, Preview};
use crate::engine::migrate::run::{self, Direction, Event, Outcome};
use crate::engine::migrate::{self, Folder, Status};
use crate::engine::worker::{is, Ctx, Job, Queued};

pub struct MigrationsJob {
    /// The folder the user gave; none to look beside the database.
    pub dir: Option<PathBuf>,
    /// The folder as last read, when it has not changed since: after another process's commit
    /// only the tracking can have changed, and reading and hashing every file again would be
    /// wasted on a database written many times a second.
    pub known: Option<Arc<Folder>>,
}

/// The folder used and what it holds beside the database's status; no folder when none was
/// given and none is beside the database (the status then lists what the tracking records).
#[derive(Debug, Clone)]
pub struct MigrationsRead {
    pub folder: Option<Arc<Folder>>,
    pub status: Status,
}

impl Job for MigrationsJob {
    type Output = MigrationsRead;
    type Partial = ();

    fn label(&self) -> String {
        "reading migrations".into()
    }

    /// It gives way to what a user asks for, as the other passes over every database do: with
    /// thousands of databases there are thousands of these.
    fn is_background(&self) -> bool {
        true
    }

    /// Only the newest read of a database's migrations matters (a folder saved twice).
    fn replaces(&self, older: &dyn Queued) -> bool {
        is::<MigrationsJob>(older)
    }

    fn run(&self, ctx: &mut Ctx<'_, ()>) -> Result<MigrationsRead, Error> {
        let path = ctx.session().found.path.clone();
        let dir = match self.known {
            Some(_) => None,
            None => folder_for(self.dir.as_ref(), &path),
        };
        let conn = ctx.conn()?;
        let read = match (&self.known, &dir) {
            (Some(folder), _) => {
                migrate::read_against(conn, &path, folder).map(|status| MigrationsRead {
                    folder: Some(folder.clone()),
                    status,
                })
            }
            (None, Some(dir)) => {
                migrate::read(conn, &path, dir).map(|(folder, status)| MigrationsRead {
                    folder: Some(Arc::new(folder)),
                    status,
                })
            }
            (None, None) => migrate::read_tracking(conn, &path).map(|status| MigrationsRead {
                folder: None,
                status,
            }),
        };
        conn.end_transaction();
        read
    }
}

/// The migrations folder of the database at `db`: the one the user gave, else one beside it.
fn folder_for(given: Option<&PathBuf>, db: &std::path::Path) -> Option<PathBuf> {
    given.cloned().or_else(|| migrate::folder::find_beside(db))
}

/// Plans a run of the folder `dir` against the worker's database: what the confirmation names.
pub struct PlanRun {
    pub dir: PathBuf,
    pub direction: Direction,
}

impl Job for PlanRun {
    type Output = run::Plan;
    type Partial = ();

    fn label(&self) -> String {
        "planning migrations".into()
    }

    fn run(&self, ctx: &mut Ctx<'_, ()>) -> Result<run::Plan, Error> {
        let path = ctx.session().found.path.clone();
        let folder = migrate::read_folder(&self.dir)?;
        let conn = ctx.conn()?;
        let plan = run::plan(conn, &path, folder, self.direction.clone(), None, true);
        conn.end_transaction();
        plan
    }
}

/// Runs a confirmed plan: backup, then each migration; a line per migration as it goes, backup
/// pages as progress, Esc (the job's cancel) rolling back the migration under way.
pub struct RunJob {
    pub plan: run::Plan,
}

impl Job for RunJob {
    type Output = run::Outcome;
    type Partial = String;

    fn label(&self) -> String {
        format!("running {} migrations", self.plan.steps.len())
    }

    fn run(&self, ctx: &mut Ctx<'_, String>) -> Result<run::Outcome, Error> {
        let emitter = ctx.emitter();
        let cancel = ctx.session().close_for_writer();
        let total = self.plan.steps.len();
        run::run(&self.plan, cancel, &mut |event| {
            tell(&emitter, total, event)
        })
    }
}

/// Applies a plan to a private copy of the worker's database (the dry run): what would change.
pub struct DryRunJob {
    pub plan: run::Plan,
}

impl Job for DryRunJob {
    type Output = (Outcome, Preview);
    type Partial = String;

    fn label(&self) -> String {
        format!("dry run of {} migrations", self.plan.steps.len())
    }

    fn run(&self, ctx: &mut Ctx<'_, String>) -> Result<(Outcome, Preview), Error> {
        let emitter = ctx.emitter();
        let conn = ctx.conn()?;
        let total = self.plan.steps.len();
        preview::dry_run(&self.plan, conn, &mut |event| tell(&emitter, total, event))
    }
}

/// A run's event as the panels show it: backup pages as progress, a line per migration.
fn tell(emitter: &crate::engine::worker::Emitter<String>, total: usize, event: Event) {
    match event {
        Event::Backup(done, all) => emitter.progress(done as usize, all as usize),
        Event::Starting(i, p) => {
            emitter.progress(i, total);
            emitter.partial(format!("{}/{total} {} {} …", i + 1, p.version, p.name));
        }
        Event::Finished(d) => emitter.partial(format!(
            "done {} {} ({:.0} ms)",
            d.version, d.name, d.millis
        )),
    }
}

/// Plans a fix against the worker's database, saved into the migrations folder given (`dir`),
/// else the one found beside the database, else recorded in litescope's own log.
pub struct PlanFix {
    pub fix: Fix,
    pub dir: Option<PathBuf>,
}

impl Job for PlanFix {
    type Output = FixPlan;
    type Partial = ();

    fn label(&self) -> String {
        format!("planning the fix {}", self.fix.name)
    }

    fn run(&self, ctx: &mut Ctx<'_, ()>) -> Result<FixPlan, Error> {
        let path = ctx.session().found.path.clone();
        let dir = folder_for(self.dir.as_ref(), &path);
        let conn = ctx.conn()?;
        let plan = fix::plan(conn, &path, &self.fix, dir.as_deref(), SystemTime::now());
        conn.end_transaction();
        plan
    }
}

/// Applies a confirmed fix: saves its migration, backs up, runs it.
pub struct FixJob {
    pub plan: FixPlan,
}

impl Job for FixJob {
    type Output = Outcome;
    type Partial = String;

    fn label(&self) -> String {
        "applying a fix".into()
    }

    fn run(&self, ctx: &mut Ctx<'_, String>) -> Result<Outcome, Error> {
        let emitter = ctx.emitter();
        let cancel = ctx.session().close_for_writer();
        fix::apply(&self.plan, cancel, &mut |event| tell(&emitter, 1, event))
    }
}
