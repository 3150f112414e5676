//! The app's side of the workers: sending jobs, the loading pipeline's stages, and handing each
//! answer to whoever waits for it.

use super::*;
use crate::engine::watch::since::Since;

impl App {
    pub(super) fn load_all(&mut self) {
        self.view.jobs.clear();
        self.handlers.clear();
        self.watch.reset();
        for db in &mut self.view.dbs {
            db.findings = None;
            db.relations = None;
        }
        for i in 0..self.view.dbs.len() {
            self.run_stage(i, Stage::Names);
        }
    }

    /// Reads database `db` again from its first stage, dropping what was known of it.
    pub(super) fn reload(&mut self, db: usize) {
        if let Some(d) = self.view.dbs.get_mut(db) {
            d.findings = None;
            d.relations = None;
            self.across_stale = true;
            self.run_stage(db, Stage::Names);
        }
    }

    /// Sends `job` to database `db`'s worker for the app itself (the loading pipeline); `done`
    /// receives its result when it ends. Panels send theirs with `Ctx::send`.
    pub(super) fn send<J: Job>(
        &mut self,
        db: usize,
        job: J,
        done: impl FnOnce(&mut App, usize, JobId, Result<J::Output, Error>) + 'static,
    ) -> JobId {
        let id = self.next_job;
        self.next_job += 1;
        let on_done: OnDone = Box::new(move |app, db, id, result| match typed(result) {
            Some(result) => done(app, db, id, result),
            None => app.fail(db, "a job answered with the wrong type"),
        });
        let info = self.job_info(db, job.label(), job.is_background());
        let post = Box::new(move |workers: &Workers, db, id| workers.send(db, id, job));
        let handlers = Handlers {
            on_done: Some(on_done),
            on_partial: None,
        };
        self.register(id, info, post, handlers);
        id
    }

    /// Sends a panel's job; its answers go to the panel that asked.
    pub(super) fn start(&mut self, request: Request) {
        let Request {
            db,
            id,
            label,
            background,
            target,
            post,
            on_done,
            on_partial,
        } = request;
        let on_done: OnDone = Box::new(move |app, _, id, result| {
            app.deliver(target, |panel, ctx| on_done(panel, ctx, id, result));
        });
        let on_partial = on_partial.map(|mut partial| -> OnPartial {
            Box::new(move |app, id, payload| {
                app.deliver(target, |panel, ctx| partial(panel, ctx, id, payload));
            })
        });
        let info = self.job_info(db, label, background);
        let handlers = Handlers {
            on_done: Some(on_done),
            on_partial,
        };
        self.register(id, info, post, handlers);
    }

    /// How the status line shows a job labelled `label` on database `db`.
    pub(super) fn job_info(&self, db: usize, label: String, background: bool) -> JobInfo {
        JobInfo {
            db,
            label: format!("{label} · {}", self.view.dbs[db].name()),
            background,
            started: Instant::now(),
            progress: None,
        }
    }

    /// Notes job `id` as running, with its handlers, and queues it.
    pub(super) fn register(&mut self, id: JobId, info: JobInfo, post: Post, handlers: Handlers) {
        let db = info.db;
        self.view.jobs.insert(id, info);
        self.handlers.insert(id, handlers);
        post(&self.workers, db, id);
    }

    /// Runs one stage of the pipeline on database `db`; each stage sends the next when it ends.
    pub(super) fn run_stage(&mut self, db: usize, stage: Stage) {
        let job = StageJob {
            stage,
            opts: pipeline::Options::default(),
        };
        self.send(db, job, move |app, db, _, result| match result {
            Ok(StageDone::Read(model)) => app.on_read(db, stage, model),
            Ok(StageDone::Recounted(model, since)) => app.on_recount(db, model, since),
            Ok(StageDone::Audited(audit)) => {
                app.view.dbs[db].findings = Some(audit.findings);
                app.view.dbs[db].relations = Some(audit.relations);
                app.refreshed(db);
            }
            Err(why) => {
                app.refreshed(db);
                app.fail(db, why);
            }
        });
    }

    pub(super) fn on_read(&mut self, i: usize, stage: Stage, model: Arc<Database>) {
        let next = stage.next(&model);
        self.view.dbs[i].model = Some(model);
        self.across_stale = true;
        if matches!(stage, Stage::Schema | Stage::Recount) {
            self.tell_panels(|panel, ctx| panel.schema_read(i, ctx));
        }
        match next {
            Some(Stage::Audit) if stage == Stage::Recount && !self.audit_after_refresh(i) => {
                self.refreshed(i);
            }
            Some(next) => self.run_stage(i, next),
            None => {}
        }
    }

    /// Database `db` read again after another process committed: the Overview shows what
    /// changed since opening.
    fn on_recount(&mut self, db: usize, model: Arc<Database>, since: Since) {
        let d = &mut self.view.dbs[db];
        d.last_commit = Some(std::time::SystemTime::now());
        d.since = Some(since);
        self.on_read(db, Stage::Recount, model);
    }

    /// Shows why a job on database `db` failed.
    pub(super) fn fail(&mut self, db: usize, why: impl std::fmt::Display) {
        let text = format!("{}: {why}", self.view.dbs[db].name());
        self.message = Some(Message::error(text));
    }

    pub(super) fn on_worker(&mut self, e: worker::Event) {
        match e.report {
            Report::Progress { done, total } => {
                if let Some(job) = self.view.jobs.get_mut(&e.job) {
                    job.progress = Some((done, total));
                }
            }
            Report::Partial(payload) => {
                let handler = self
                    .handlers
                    .get_mut(&e.job)
                    .and_then(|h| h.on_partial.take());
                if let Some(mut handler) = handler {
                    handler(self, e.job, payload);
                    if let Some(h) = self.handlers.get_mut(&e.job) {
                        h.on_partial = Some(handler);
                    }
                }
            }
            Report::Done(result) => {
                let job = self.view.jobs.remove(&e.job);
                self.answered |= job.is_some_and(|j| !j.background);
                if let Some(done) = self.handlers.remove(&e.job).and_then(|h| h.on_done) {
                    done(self, e.db, e.job, result);
                }
            }
            Report::Superseded => {
                self.view.jobs.remove(&e.job);
                self.handlers.remove(&e.job);
            }
        }
    }

    /// Recomputes the findings that compare databases once per batch of answers rather than per
    /// answer: with thousands of databases, per answer would cost quadratic time on the UI thread.
    pub fn refresh_across(&mut self) {
        if std::mem::take(&mut self.across_stale) {
            let (at, models): (Vec<usize>, Vec<&Database>) = self
                .view
                .dbs
                .iter()
                .enumerate()
                .filter_map(|(i, d)| Some((i, d.model.as_deref()?)))
                .unzip();
            let mut roles = vec![Role::Own; self.view.dbs.len()];
            for (i, role) in at.iter().zip(audit::stand_in::roles(&models)) {
                roles[*i] = match role {
                    Role::StandsIn(live) => Role::StandsIn(at[live]),
                    other => other,
                };
            }
            self.view.across = audit::across(&models);
            self.view.roles = roles;
        }
    }
}
