//! The demo workspace: a small chat product's databases with the problems litescope finds.
//!
//! Built from the SQL in `assets/demo/` (see its README for every planted problem and its exact
//! numbers). The chat database's schema comes from running its own migrations folder with the
//! migrations runner, leaving the last one pending, so that the demo's schema and its folder can
//! never disagree. This is one of the few places litescope writes, and it writes only into a
//! folder that does not exist yet or is empty.

use std::fs;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use anyhow::{bail, Context, Result};
use rusqlite::config::DbConfig;
use rusqlite::Connection;

use super::migrate::run::{self, Direction, Outcome};
use super::migrate::{read_folder, Version};
use super::names::escape_path;
use super::write::{Hold, Writer};

const CHAT_DATA: &str = include_str!("../../assets/demo/chat-data.sql");
const CHAT_WAL: &str = include_str!("../../assets/demo/chat-wal.sql");
const MEMORY: &str = include_str!("../../assets/demo/memory.sql");
const GATEWAY: &str = include_str!("../../assets/demo/gateway.sql");
const MIGRATIONS: &[(&str, &str)] = &[
    (
        "20260901120000_create_users.sql",
        include_str!("../../assets/demo/migrations/20260901120000_create_users.sql"),
    ),
    (
        "20260910120000_create_conversations_and_messages.sql",
        include_str!(
            "../../assets/demo/migrations/20260910120000_create_conversations_and_messages.sql"
        ),
    ),
    (
        "20260920120000_add_thread_summaries.sql",
        include_str!("../../assets/demo/migrations/20260920120000_add_thread_summaries.sql"),
    ),
    (
        "20261005120000_add_message_reactions.sql",
        include_str!("../../assets/demo/migrations/20261005120000_add_message_reactions.sql"),
    ),
];

/// Writes the demo workspace into `dir`, which must be missing or empty.
pub fn write(dir: &Path) -> Result<()> {
    let name = escape_path(dir);
    if dir.exists()
        && fs::read_dir(dir)
            .with_context(|| name.clone())?
            .next()
            .is_some()
    {
        bail!("{name}: folder is not empty; the demo is written only into a new or empty folder");
    }
    for sub in ["chat", "memory", "gateway", "migrations", "backups"] {
        fs::create_dir_all(dir.join(sub)).with_context(|| format!("{name}/{sub}"))?;
    }
    for (file, sql) in MIGRATIONS {
        fs::write(dir.join("migrations").join(file), sql)
            .with_context(|| format!("{name}/migrations/{file}"))?;
    }
    let older = dir.join("backups/app-20261001T000000Z.db");
    migrated(&older, &dir.join("migrations"), APPLIED)?;
    build(&older, &[CHAT_DATA], false)?;
    let chat = dir.join("chat/app.db");
    fs::copy(&older, &chat).with_context(|| escape_path(&chat))?;
    build(&chat, &["PRAGMA journal_mode=WAL;", CHAT_WAL], true)?;
    build(
        &dir.join("memory/memory.db"),
        &[MEMORY, "PRAGMA journal_mode=WAL;"],
        false,
    )?;
    build(&dir.join("gateway/gateway.db.backup"), &[GATEWAY], false)?;
    fs::write(dir.join("gateway/gateway.db"), b"").with_context(|| format!("{name}/gateway"))?;
    Ok(())
}

/// The last migration the demo's chat database has applied; the one after it stays pending.
const APPLIED: &str = "20260920120000";

/// Creates the database at `path` by running the migrations of `folder` up to version `to`.
fn migrated(path: &Path, folder: &Path, to: &str) -> Result<()> {
    let context = || escape_path(path);
    fs::write(path, b"").with_context(context)?;
    let writer = Writer::open(path, Hold::WriteLock)?;
    let up = Direction::Up {
        to: Some(Version::new(to)),
    };
    let plan = run::plan(writer.conn(), path, read_folder(folder)?, up, None, false)?;
    let mut outcome = Outcome::start(&plan);
    run::apply_all(
        &plan,
        writer.conn(),
        &AtomicBool::new(false),
        &mut outcome,
        &mut |_| {},
    )?;
    match outcome.failed {
        Some(failed) => bail!("{}: {failed}", context()),
        None => Ok(()),
    }
}

/// Runs `scripts` on a new database; with `keep_wal`, the last script's commits stay in the WAL.
fn build(path: &Path, scripts: &[&str], keep_wal: bool) -> Result<()> {
    let context = || escape_path(path);
    let conn = Connection::open(path).with_context(context)?;
    for sql in scripts {
        conn.execute_batch(sql).with_context(context)?;
    }
    if keep_wal {
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)
            .with_context(context)?;
    }
    conn.close().map_err(|(_, e)| e).with_context(context)?;
    Ok(())
}
