//! A database's migration status against its folder (given, or found beside it), for the
//! Migrations panel; the engine operation is [`migrate::read`](crate::engine::migrate::read).

use std::path::PathBuf;

use crate::engine::error::Error;
use crate::engine::migrate::{self, Folder, Status};
use crate::engine::worker::{is, Ctx, Job, Queued};

pub struct MigrationsJob {
    /// The folder the user gave; none to look beside the database.
    pub dir: Option<PathBuf>,
}

/// The folder used and what it holds beside the database's status; no folder when none was
/// given and none is beside the database (the status then lists what the tracking records).
#[derive(Debug, Clone)]
pub struct MigrationsRead {
    pub folder: Option<Folder>,
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
        let dir = self
            .dir
            .clone()
            .or_else(|| migrate::folder::find_beside(&path));
        let conn = ctx.conn()?;
        let read = match &dir {
            Some(dir) => migrate::read(conn, &path, dir).map(|(folder, status)| MigrationsRead {
                folder: Some(folder),
                status,
            }),
            None => migrate::read_tracking(conn, &path).map(|status| MigrationsRead {
                folder: None,
                status,
            }),
        };
        conn.end_transaction();
        read
    }
}
