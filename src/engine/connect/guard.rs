//! The authorizer on every inspection connection: it refuses what a read-only open lets through.
//!
//! `SQLITE_OPEN_READONLY` stops writes to the database, but not `ATTACH` of another file (which is
//! how `VACUUM INTO` writes its copy: refusing the `ATTACH` it performs when it runs is what stops
//! it), nor pragmas that change a connection's or a file's state, nor loading an extension. The
//! refusal is recorded so that the user is told what was refused and how to write instead.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::sync::{Arc, Mutex};

use rusqlite::{ffi, Connection, ErrorCode};

use crate::engine::locks::lock;

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

/// The authorizer's state, owned by the connection's [`Conn`](super::Conn) and dropped after the
/// connection it is installed on.
pub struct Guard {
    refused: Refusals,
}

/// Installs the authorizer on `db`; the returned guard must outlive `db`.
///
/// rusqlite's own authorizer wrapper panics on a name that is not UTF-8 (a table named in
/// Latin-1), so the callback is installed through SQLite's C API and reads names as bytes.
pub fn install(db: &Connection) -> rusqlite::Result<(Box<Guard>, Refusals)> {
    let refused = Refusals::default();
    let guard = Box::new(Guard {
        refused: refused.clone(),
    });
    let data = &*guard as *const Guard as *mut c_void;
    // SAFETY: the handle is valid while `db` lives, and `data` points into the box, which the
    // caller keeps until after `db` is closed, so SQLite never calls back with a dangling pointer.
    let rc = unsafe { ffi::sqlite3_set_authorizer(db.handle(), Some(authorize), data) };
    match rc {
        ffi::SQLITE_OK => Ok((guard, refused)),
        code => Err(rusqlite::Error::SqliteFailure(ffi::Error::new(code), None)),
    }
}

/// Text of an authorizer argument, decoded for display whatever its bytes.
///
/// # Safety
/// `p` is null or a NUL-terminated string valid for the call.
unsafe fn arg(p: *const c_char) -> Option<String> {
    // SAFETY: as the caller promises.
    (!p.is_null()).then(|| String::from_utf8_lossy(unsafe { CStr::from_ptr(p) }.to_bytes()).into())
}

extern "C" fn authorize(
    data: *mut c_void,
    code: c_int,
    first: *const c_char,
    second: *const c_char,
    _database: *const c_char,
    _trigger: *const c_char,
) -> c_int {
    // SAFETY: SQLite passes the pointer given at install, which lives as long as the connection,
    // and NUL-terminated strings (or nulls) valid for this call.
    let (guard, first, second) = unsafe { (&*(data as *const Guard), arg(first), arg(second)) };
    match refuses(code, first.as_deref(), second.as_deref()) {
        Some(what) => {
            *lock(&guard.refused) = Some(what);
            ffi::SQLITE_DENY
        }
        None => ffi::SQLITE_OK,
    }
}

/// What the action `code` on `first` and `second` would do that inspection must not, if anything.
fn refuses(code: c_int, first: Option<&str>, second: Option<&str>) -> Option<String> {
    match (code, first, second) {
        (ffi::SQLITE_ATTACH, Some(""), _) => Some("VACUUM".into()),
        (ffi::SQLITE_ATTACH, file, _) => Some(format!(
            "attaching the file '{}' (ATTACH, or VACUUM INTO writing a copy)",
            file.unwrap_or_default()
        )),
        (ffi::SQLITE_DETACH, ..) => Some("DETACH".into()),
        (ffi::SQLITE_FUNCTION, _, Some("load_extension")) => Some("load_extension".into()),
        (ffi::SQLITE_PRAGMA, Some(name), value) => refused_pragma(name, value),
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

/// What the authorizer refused, when `err` is its refusal.
pub fn refusal(refused: &Refusals, err: &rusqlite::Error) -> Option<String> {
    let what = lock(refused).take()?;
    // A refused function is reported as a plain error, not as SQLITE_AUTH.
    let denied = err.sqlite_error_code() == Some(ErrorCode::AuthorizationForStatementDenied)
        || err.to_string().starts_with("not authorized");
    if !denied {
        return None;
    }
    Some(what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_pragmas_pass_and_changing_ones_are_refused() {
        let pragma = |name, value| refuses(ffi::SQLITE_PRAGMA, Some(name), value);
        assert_eq!(pragma("table_info", Some("t")), None);
        assert_eq!(pragma("journal_mode", None), None);
        assert_eq!(pragma("QUICK_CHECK", Some("t")), None);
        for (name, value) in [
            ("query_only", Some("0")),
            ("journal_mode", Some("DELETE")),
            ("wal_checkpoint", Some("TRUNCATE")),
            ("wal_checkpoint", None),
            ("writable_schema", Some("1")),
        ] {
            assert!(pragma(name, value).is_some(), "{name}");
        }
    }
}
