//! The authorizer on every inspection connection: it refuses what a read-only open lets through.
//!
//! `SQLITE_OPEN_READONLY` stops writes to the database, but not `ATTACH` of another file (which is
//! how `VACUUM INTO` writes its copy: refusing the `ATTACH` it performs when it runs is what stops
//! it), nor pragmas that change a connection's or a file's state, nor loading an extension. The
//! refusal is recorded so that the user is told what was refused and how to write instead.

use std::sync::{Arc, Mutex};

use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::{Connection, ErrorCode};

/// The last thing the authorizer refused on a connection.
pub type Refusals = Arc<Mutex<Option<String>>>;

/// Pragmas that take an argument and only read: the schema and integrity pragmas.
const READING_PRAGMAS: &[&str] = &[
    "foreign_key_check",
    "foreign_key_list",
    "index_info",
    "index_list",
    "index_xinfo",
    "integrity_check",
    "quick_check",
    "table_info",
    "table_list",
    "table_xinfo",
];

/// Pragmas that act even without an argument.
const ACTING_PRAGMAS: &[&str] = &[
    "incremental_vacuum",
    "optimize",
    "shrink_memory",
    "wal_checkpoint",
];

/// Installs the authorizer on `db` and returns where its refusals are recorded.
pub fn install(db: &mut Connection) -> rusqlite::Result<Refusals> {
    let refused: Refusals = Arc::default();
    let record = refused.clone();
    db.authorizer(Some(move |ctx: AuthContext<'_>| {
        match refuses(&ctx.action) {
            Some(what) => {
                *record.lock().unwrap_or_else(|p| p.into_inner()) = Some(what);
                Authorization::Deny
            }
            None => Authorization::Allow,
        }
    }))?;
    Ok(refused)
}

/// What `action` would do that inspection must not, if anything.
fn refuses(action: &AuthAction<'_>) -> Option<String> {
    match *action {
        AuthAction::Attach { filename: "" } => Some("VACUUM".into()),
        AuthAction::Attach { filename } => Some(format!(
            "attaching the file '{filename}' (ATTACH, or VACUUM INTO writing a copy)"
        )),
        AuthAction::Detach { .. } => Some("DETACH".into()),
        AuthAction::Function {
            function_name: "load_extension",
        } => Some("load_extension".into()),
        AuthAction::Pragma {
            pragma_name,
            pragma_value,
        } => refused_pragma(pragma_name, pragma_value),
        _ => None,
    }
}

fn refused_pragma(name: &str, value: Option<&str>) -> Option<String> {
    let name = name.to_ascii_lowercase();
    let allowed = match value {
        Some(_) => READING_PRAGMAS.contains(&name.as_str()),
        None => !ACTING_PRAGMAS.contains(&name.as_str()),
    };
    (!allowed).then(|| match value {
        Some(v) => format!("PRAGMA {name} = {v}"),
        None => format!("PRAGMA {name}"),
    })
}

/// The message for `err` when it is the authorizer's refusal.
pub fn refusal(refused: &Refusals, err: &rusqlite::Error) -> Option<String> {
    let what = refused.lock().unwrap_or_else(|p| p.into_inner()).take()?;
    // A refused function is reported as a plain error, not as SQLITE_AUTH.
    let denied = err.sqlite_error_code() == Some(ErrorCode::AuthorizationForStatementDenied)
        || err.to_string().starts_with("not authorized");
    if !denied {
        return None;
    }
    Some(format!(
        "litescope refused {what}: inspection is read-only and never writes, attaches or \
         converts a file. To write, use the sqlite3 shell (sqlite3 FILE 'SQL')"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_pragmas_pass_and_changing_ones_are_refused() {
        let pragma = |name, value| AuthAction::Pragma {
            pragma_name: name,
            pragma_value: value,
        };
        assert_eq!(refuses(&pragma("table_info", Some("t"))), None);
        assert_eq!(refuses(&pragma("journal_mode", None)), None);
        assert_eq!(refuses(&pragma("QUICK_CHECK", Some("t"))), None);
        for (name, value) in [
            ("query_only", Some("0")),
            ("journal_mode", Some("DELETE")),
            ("wal_checkpoint", Some("TRUNCATE")),
            ("wal_checkpoint", None),
            ("writable_schema", Some("1")),
        ] {
            assert!(refuses(&pragma(name, value)).is_some(), "{name}");
        }
    }
}
