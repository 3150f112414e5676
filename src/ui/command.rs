//! What a panel may ask for: the [`Command`]s it pushes while it handles a key or a job's answer,
//! through the [`Ctx`] it is handed, and that `App::apply` carries out in one place.
//!
//! This is gitui's queue of internal events in a smaller form: a panel never calls another panel
//! or changes shared state itself. It says "jump to this object in that database" or "run this job
//! and give me its answer", and the app does it. A panel pushes into a context rather than
//! returning one command because a key often asks for two things (jump, then show the fix), and
//! because a job's id must be known at once, to drop the answers of jobs superseded since.

use std::any::{Any, TypeId};

use super::action::PanelId;
use super::view::View;
use super::widgets::confirm::Confirm;
use super::widgets::popup::Popup;
use crate::engine::error::Error;
use crate::engine::worker::{Job, JobId, Payload, Workers};

/// A line for the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub text: String,
    pub is_error: bool,
    /// The database in focus the message is about: it goes when the focus moves elsewhere, where
    /// it would no longer be true.
    pub about: Option<usize>,
}

impl Message {
    pub fn info(text: impl Into<String>) -> Message {
        Message {
            text: text.into(),
            is_error: false,
            about: None,
        }
    }

    pub fn error(text: impl Into<String>) -> Message {
        Message {
            is_error: true,
            ..Message::info(text)
        }
    }

    /// The same message, cleared once database `db` is no longer in focus.
    pub fn about(self, db: usize) -> Message {
        Message {
            about: Some(db),
            ..self
        }
    }
}

/// What a panel asks the app to do.
pub enum Command {
    /// Put database `db` in focus: the header names it, Data and Query work on it.
    Focus(usize),
    /// Show `object` (a table, `table.column`, or an index) of database `db` in the Schema panel,
    /// with `db` in focus; nothing moves when the database has no such object.
    Jump {
        db: usize,
        object: String,
    },
    /// Bring a panel to the front.
    Show(PanelId),
    Popup(Popup),
    /// Ask before writing; the action runs only on yes.
    Confirm(Confirm),
    /// Read database `db` again from the start: after a write replaced or changed it.
    Reload(usize),
    /// Hand the panel of type `target` a step to take: what a confirmed action does next.
    Deliver {
        target: TypeId,
        act: Act,
    },
    Message(Message),
    /// Copy `text` to the clipboard; `what` says what it is ("1 value", "the DDL of orders").
    Copy {
        text: String,
        what: String,
    },
    /// Run a job; its answer goes back to the panel that sent it (see [`Ctx::send`]).
    Send(Request),
    /// Watch a folder: a change under it comes back to every panel's `folder_changed`.
    Watch(std::path::PathBuf),
}

/// A step for a panel to take, whatever its type.
pub type Act = Box<dyn FnOnce(&mut dyn Any, &mut Ctx)>;

/// A job's answer, handed back to the panel of type `target`.
pub type OnDone = Box<dyn FnOnce(&mut dyn Any, &mut Ctx, JobId, Result<Payload, Error>)>;
/// A job's partial results as they come, handed to the same panel.
pub type OnPartial = Box<dyn FnMut(&mut dyn Any, &mut Ctx, JobId, Payload)>;

/// Queues a job, whatever its type, on the worker pool: for database `db`, as job `id`.
pub type Post = Box<dyn FnOnce(&Workers, usize, JobId)>;

/// A job on its way to a database's worker, with the handlers of the panel that sent it.
pub struct Request {
    pub db: usize,
    pub id: JobId,
    /// What the status line says while it runs: the job's own label.
    pub label: String,
    pub background: bool,
    /// The type of the panel that receives the answer.
    pub target: TypeId,
    pub post: Post,
    pub on_done: OnDone,
    pub on_partial: Option<OnPartial>,
}

/// A job's result typed again as what the job said it returns; `None` only if the worker
/// handed back another type than the job's, which is a bug, not a state.
pub fn typed<T: 'static>(result: Result<Payload, Error>) -> Option<Result<T, Error>> {
    match result {
        Ok(out) => out.downcast::<T>().ok().map(|out| Ok(*out)),
        Err(e) => Some(Err(e)),
    }
}

/// What a panel is handed while it handles a key or a job's answer: the shared state to read,
/// and where its commands go.
pub struct Ctx<'a> {
    pub view: &'a View,
    commands: Vec<Command>,
    next_job: &'a mut JobId,
}

impl<'a> Ctx<'a> {
    /// A context reading `view`, numbering jobs from `next_job`.
    pub fn new(view: &'a View, next_job: &'a mut JobId) -> Ctx<'a> {
        Ctx {
            view,
            commands: Vec::new(),
            next_job,
        }
    }

    /// The commands pushed, in order, for the app to apply.
    pub fn into_commands(self) -> Vec<Command> {
        self.commands
    }

    pub fn push(&mut self, command: Command) {
        self.commands.push(command);
    }

    /// Copies `text` to the clipboard; the status line says `copied {what} (N bytes)`.
    pub fn copy(&mut self, text: impl Into<String>, what: impl Into<String>) {
        self.push(Command::Copy {
            text: text.into(),
            what: what.into(),
        });
    }

    /// Copies the path of database `db`, which the Overview, Migrations and Backups panels offer.
    pub fn copy_path(&mut self, db: usize) {
        if let Some(db) = self.view.dbs.get(db) {
            let path = db.found.path.display().to_string();
            let what = format!("the path of {}", db.name());
            self.copy(path, what);
        }
    }

    /// Asks `confirm`'s question; its action runs only if the user says yes.
    pub fn confirm(&mut self, confirm: Confirm) {
        self.push(Command::Confirm(confirm));
    }

    /// Runs `act` on the panel of type `P` once the commands pushed so far are applied: how a
    /// confirmation's yes reaches the panel that asked.
    pub fn to_panel<P: Any>(&mut self, act: impl FnOnce(&mut P, &mut Ctx) + 'static) {
        self.push(Command::Deliver {
            target: TypeId::of::<P>(),
            act: Box::new(move |panel, ctx| {
                if let Some(panel) = panel.downcast_mut::<P>() {
                    act(panel, ctx);
                }
            }),
        });
    }

    pub fn popup(&mut self, popup: Popup) {
        self.push(Command::Popup(popup));
    }

    pub fn message(&mut self, message: Message) {
        self.push(Command::Message(message));
    }

    /// Says why a job on database `db` failed.
    pub fn fail(&mut self, db: usize, why: impl std::fmt::Display) {
        let name = self.view.dbs.get(db).map_or("", |d| d.name());
        self.message(Message::error(format!("{name}: {why}")));
    }

    /// Sends `job` to database `db`'s worker; `done` receives its result, with the panel that
    /// sent it (`P`), when it ends. The id is known at once, for the panel to tell a stale
    /// answer from the one it waits for.
    pub fn send<P: Any, J: Job>(
        &mut self,
        db: usize,
        job: J,
        done: impl FnOnce(&mut P, &mut Ctx, JobId, Result<J::Output, Error>) + 'static,
    ) -> JobId {
        let id = *self.next_job;
        *self.next_job += 1;
        let on_done: OnDone = Box::new(move |panel, ctx, id, result| {
            match (panel.downcast_mut::<P>(), typed(result)) {
                (Some(panel), Some(result)) => done(panel, ctx, id, result),
                (_, None) => ctx.message(Message::error("a job answered with the wrong type")),
                (None, _) => {}
            }
        });
        self.push(Command::Send(Request {
            db,
            id,
            label: job.label(),
            background: job.is_background(),
            target: TypeId::of::<P>(),
            post: Box::new(move |workers, db, id| workers.send(db, id, job)),
            on_done,
            on_partial: None,
        }));
        id
    }

    /// [`Ctx::send`] for a job that reports partial results: `partial` receives each.
    pub fn send_streaming<P: Any, J: Job>(
        &mut self,
        db: usize,
        job: J,
        mut partial: impl FnMut(&mut P, &mut Ctx, JobId, J::Partial) + 'static,
        done: impl FnOnce(&mut P, &mut Ctx, JobId, Result<J::Output, Error>) + 'static,
    ) -> JobId {
        let id = self.send(db, job, done);
        let on_partial: OnPartial = Box::new(move |panel, ctx, id, payload| {
            if let (Some(panel), Ok(p)) =
                (panel.downcast_mut::<P>(), payload.downcast::<J::Partial>())
            {
                partial(panel, ctx, id, *p);
            }
        });
        // `send` has just pushed the request: it is the last command.
        if let Some(Command::Send(request)) = self.commands.last_mut() {
            request.on_partial = Some(on_partial);
        }
        id
    }
}
