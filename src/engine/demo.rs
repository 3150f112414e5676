//! The demo workspace: a small chat product's databases with the problems litescope finds.
//!
//! Built from the SQL in `assets/demo/` (see its README for every planted problem and its exact
//! numbers). This is one of the few places litescope writes, and it writes only into a folder
//! that does not exist yet or is empty.

use std::fs;
use std::path::Path;

use anyhow::{bail, Context, Result};
use rusqlite::config::DbConfig;
use rusqlite::Connection;

use super::names::escape_path;

const CHAT: &str = include_str!("../../assets/demo/chat.sql");
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
    build(
        &dir.join("chat/app.db"),
        &[CHAT, "PRAGMA journal_mode=WAL;", CHAT_WAL],
        true,
    )?;
    build(
        &dir.join("memory/memory.db"),
        &[MEMORY, "PRAGMA journal_mode=WAL;"],
        false,
    )?;
    build(&dir.join("gateway/gateway.db.backup"), &[GATEWAY], false)?;
    fs::write(dir.join("gateway/gateway.db"), b"").with_context(|| format!("{name}/gateway"))?;
    build(&dir.join("backups/app-20261001T000000Z.db"), &[CHAT], false)?;
    for (file, sql) in MIGRATIONS {
        fs::write(dir.join("migrations").join(file), sql)
            .with_context(|| format!("{name}/migrations/{file}"))?;
    }
    Ok(())
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
