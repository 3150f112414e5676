//! Live watch: when another process commits to an open database, its panels refresh.
//!
//! notify reports each touch of a database, its `-wal` or its `-journal` ([`files::on_touch`]);
//! a touch is only a reason to look ([`LookJob`]: `PRAGMA data_version` on the worker's
//! connection, one short read). A confirmed change re-reads the database ([`Stage::Recount`]: counts and sizes,
//! no `quick_check`) and audits it again once writes pause. Per database one look or refresh
//! runs at a time and touches meanwhile make one more; after a refresh the next waits at least
//! as long as the refresh took, so that a database written a hundred times a second keeps its
//! worker busy half the time at most. The database in focus is also looked at once a second,
//! for file systems that send no events.

use std::time::SystemTime;

use notify::RecommendedWatcher;

use super::*;
use crate::engine::jobs::LookJob;
use crate::engine::watch::files;
use crate::engine::watch::look::Look;
use crate::ui::view::Db;

/// The shortest wait between a refresh and the next look.
const GAP: Duration = Duration::from_millis(250);
/// The waits before each new look while the files have moved and no commit shows: a WAL commit
/// shows once its writer has synced the WAL and written the index, a few milliseconds after its
/// last write on a quick disk, longer on a slow one.
const SETTLE: [Duration; 3] = [
    Duration::from_millis(20),
    Duration::from_millis(100),
    Duration::from_millis(400),
];

/// Where one database's watch stands.
#[derive(Default)]
struct Live {
    /// A look or a refresh is under way.
    busy: bool,
    /// Touched since the last look began: look again when free.
    again: bool,
    /// When the refresh under way started.
    refreshing: Option<Instant>,
    /// No look before this.
    not_before: Option<Instant>,
    /// Looks since the last touch that found the files moved and no commit.
    settling: usize,
}

/// The watch of every open database.
pub struct Watch {
    dbs: Vec<Live>,
    /// Kept so that the watch goes on; dropping it ends it.
    watcher: Option<Box<RecommendedWatcher>>,
    next_poll: Instant,
}

impl Watch {
    /// Starts watching the files of `dbs` on a thread of its own (10,000 databases take a few
    /// milliseconds to list, which the first frame does not wait for); the watcher comes back
    /// as [`Msg::Watching`] and sends [`Msg::Touched`] on `tx`.
    pub fn start(dbs: &[Db], tx: &Sender<Msg>) -> Watch {
        let paths: Vec<PathBuf> = dbs.iter().map(|d| d.found.path.clone()).collect();
        let tx = tx.clone();
        std::thread::spawn(move || {
            let touches = tx.clone();
            let watcher = files::on_touch(&paths, move |db| {
                // Fails only once the UI has gone.
                let _ = touches.send(Msg::Touched(db));
            });
            let _ = tx.send(Msg::Watching(watcher.map(Box::new)));
        });
        Watch {
            dbs: dbs.iter().map(|_| Live::default()).collect(),
            watcher: None,
            next_poll: Instant::now() + files::POLL,
        }
    }

    /// Forgets looks and refreshes under way (their jobs were dropped: `r` reads everything).
    pub fn reset(&mut self) {
        self.dbs.iter_mut().for_each(|l| *l = Live::default());
    }

    /// The soonest delayed look, or the next poll.
    fn next_wakeup(&self) -> Instant {
        self.dbs
            .iter()
            .filter(|l| l.again && !l.busy)
            .filter_map(|l| l.not_before)
            .fold(self.next_poll, Instant::min)
    }
}

impl App {
    /// The files are watched now, or cannot be: then say so.
    pub(super) fn watching(&mut self, watcher: Result<Box<RecommendedWatcher>, Error>) {
        match watcher {
            Ok(w) => self.watch.watcher = Some(w),
            Err(why) => {
                let text = format!("{why}: only the database in focus is followed, once a second");
                self.message = Some(Message::error(text));
            }
        }
    }

    /// When the loop must wake for the watch even if nothing else happens.
    pub fn next_wakeup(&self) -> Instant {
        self.watch.next_wakeup()
    }

    /// A file of database `db` was touched.
    pub(super) fn touched(&mut self, db: usize) {
        if let Some(live) = self.watch.dbs.get_mut(db) {
            live.again = true;
            live.settling = 0;
            self.look(db);
        }
    }

    /// Starts the looks that were waiting for their time, and polls the database in focus.
    pub fn tick(&mut self, now: Instant) {
        if now >= self.watch.next_poll {
            self.watch.next_poll = now + files::POLL;
            self.touched(self.view.focus);
        }
        let due: Vec<usize> = (0..self.watch.dbs.len())
            .filter(|&db| {
                let l = &self.watch.dbs[db];
                l.again && !l.busy && l.not_before.is_some_and(|t| t <= now)
            })
            .collect();
        for db in due {
            self.look(db);
        }
    }

    fn look(&mut self, db: usize) {
        let Some(live) = self.watch.dbs.get_mut(db) else {
            return;
        };
        let early = live.not_before.is_some_and(|t| Instant::now() < t);
        if live.busy || early || !live.again {
            return;
        }
        live.busy = true;
        live.again = false;
        self.send(db, LookJob, |app, db, _, result| app.looked(db, result));
    }

    fn looked(&mut self, db: usize, result: Result<Look, Error>) {
        self.watch.dbs[db].busy = false;
        match result {
            Ok(Look::Same) => self.look(db),
            Ok(Look::Settling) => self.settle_look(db),
            Ok(Look::Changed) => self.refresh(db),
            Ok(Look::Replaced) => {
                self.view.dbs[db].gone = None;
                let name = self.view.dbs[db].name().to_string();
                self.message = Some(Message::info(format!(
                    "{name}: the file was replaced; read afresh"
                )));
                self.reload(db);
            }
            Ok(Look::Deleted) => {
                self.view.dbs[db].gone = Some(SystemTime::now());
                let name = self.view.dbs[db].name().to_string();
                self.message = Some(Message::error(format!(
                    "{name}: the file was deleted; what is shown was read before"
                )));
            }
            Err(why) => self.fail(db, why),
        }
    }

    /// The files moved with no commit to see: looks again after each of [`SETTLE`], by when a
    /// commit under way has shown (a checkpoint, which changes nothing, is then let be).
    fn settle_look(&mut self, db: usize) {
        let live = &mut self.watch.dbs[db];
        if let Some(wait) = SETTLE.get(live.settling) {
            live.settling += 1;
            live.again = true;
            live.not_before = Some(Instant::now() + *wait);
        }
        self.look(db);
    }

    fn refresh(&mut self, db: usize) {
        let live = &mut self.watch.dbs[db];
        live.busy = true;
        live.refreshing = Some(Instant::now());
        self.run_stage(db, Stage::Recount);
    }

    /// A refresh read the database again: the audit follows only when no touch came meanwhile,
    /// so that a stream of commits is not audited after each one.
    pub(super) fn audit_after_refresh(&self, db: usize) -> bool {
        !self.watch.dbs.get(db).is_some_and(|l| l.again)
    }

    /// The refresh of `db` has ended (read, and audited if it was its turn).
    pub(super) fn refreshed(&mut self, db: usize) {
        let Some(live) = self.watch.dbs.get_mut(db) else {
            return;
        };
        let Some(started) = live.refreshing.take() else {
            return;
        };
        live.busy = false;
        live.not_before = Some(Instant::now() + started.elapsed().max(GAP));
    }
}
