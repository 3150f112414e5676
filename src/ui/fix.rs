//! `a` on a fix, in Findings and Relations: the fix is planned on the database's worker (saved as
//! the next migration of its folder, or recorded in litescope's own log), a confirmation shows
//! its SQL, where it is saved and recorded, and the backup, and on yes the migrations runner
//! applies it (see [`migrate::fix`](crate::engine::migrate::fix)). When it ends the database is
//! read again, which audits it again.

use std::any::Any;

use crate::engine::error::Error;
use crate::engine::jobs::migrations::{FixJob, PlanFix};
use crate::engine::migrate::fix::{Fix, FixPlan};
use crate::engine::migrate::run::Outcome;
use crate::engine::names::escape_path;
use crate::ui::command::{Command, Ctx, Message};
use crate::ui::widgets::confirm::Confirm;

/// The lines of a fix's SQL the confirmation shows; the rest is counted.
const SHOWN_LINES: usize = 12;

/// Plans `fix` on database `db`, then asks; `P` is the panel asking.
pub fn ask<P: Any>(db: usize, fix: Fix, ctx: &mut Ctx) {
    ctx.message(Message::info(format!("planning the fix {}…", fix.name)));
    let job = PlanFix {
        fix: fix.clone(),
        dir: ctx.view.migrations.clone(),
    };
    ctx.send(db, job, move |_: &mut P, ctx, _, result| match result {
        Ok(plan) => confirm::<P>(db, &fix, plan, ctx),
        Err(e) => ctx.fail(db, e),
    });
}

fn confirm<P: Any>(db: usize, fix: &Fix, plan: FixPlan, ctx: &mut Ctx) {
    let name = ctx
        .view
        .dbs
        .get(db)
        .map_or(String::new(), |d| d.name().to_string());
    let mut changes: Vec<String> = fix
        .sql
        .lines()
        .take(SHOWN_LINES)
        .map(str::to_string)
        .collect();
    let more = fix.sql.lines().count().saturating_sub(SHOWN_LINES);
    if more > 0 {
        changes.push(format!(
            "… {more} more lines (y in the panel copies all of it)"
        ));
    }
    changes.push(match &plan.draft {
        Some(d) => format!("save as {} first", escape_path(&d.files[0].0)),
        None => "no migrations folder: record it in _litescope_migrations".into(),
    });
    let t = &plan.run.tracking;
    changes.push(format!(
        "record in {} ({})",
        t.kind,
        t.table.as_deref().unwrap_or("PRAGMA user_version")
    ));
    changes.push(match &plan.run.backup {
        Some(b) => format!("back up first to {}", escape_path(&b.target)),
        None => "no backup".into(),
    });
    let title = format!("Apply this fix to {name}?");
    let on_yes = Box::new(move |ctx: &mut Ctx| start::<P>(db, plan, ctx));
    let confirm = Confirm::new(title, changes, on_yes)
        .caveat("it runs in one transaction: if it fails, or leaves a broken key, nothing changes");
    ctx.confirm(confirm);
}

fn start<P: Any>(db: usize, plan: FixPlan, ctx: &mut Ctx) {
    ctx.send(db, FixJob { plan }, move |_: &mut P, ctx, _, result| {
        finished(db, result, ctx);
        ctx.push(Command::Reload(db));
    });
}

fn finished(db: usize, result: Result<Outcome, Error>, ctx: &mut Ctx) {
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(e) => return ctx.fail(db, e),
    };
    let backup = outcome
        .backup
        .as_ref()
        .map_or(String::new(), |b| format!("; backup {}", escape_path(b)));
    match (&outcome.failed, outcome.applied.first()) {
        (Some(f), _) => ctx.fail(db, format!("the fix was not applied: {f}{backup}")),
        (None, Some(done)) => ctx.message(Message::info(format!(
            "fix applied and recorded as {} {} ({:.0} ms){backup}",
            done.version, done.name, done.millis
        ))),
        (None, None) => ctx.message(Message::info("nothing was applied")),
    }
}
