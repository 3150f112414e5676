//! Names and text from outside litescope, read without loss and printed without harm.
//!
//! A Linux path is any bytes but `/` and NUL, and SQLite stores as TEXT whatever bytes a program
//! gave it, UTF-8 or not. litescope keeps the raw bytes wherever it opens or queries something
//! and turns them into strings only to show them:
//!
//! * a path through [`escape_path`]: a byte that is not UTF-8 becomes `\xNN`, a control character
//!   `\xNN` (C1: `\u{NN}`), and a backslash `\\`, so that two different paths never print alike
//!   and none of them can drive a terminal;
//! * text read from a database through [`decode`]: valid UTF-8 is kept as it is (a name must stay
//!   the name SQL reaches it by) and only bytes that are not UTF-8 become `\xNN`. Whether a name
//!   was valid is kept beside it (see `schema::Table::name_valid`), because an escaped name cannot
//!   be put back into SQL;
//! * text the CLI prints through [`printable`], which escapes control characters that reached it
//!   from a database (a table named `evil\x1b]0;title\x07` must not retitle the terminal).
//!
//! JSON needs none of this beyond [`escape_path`] and [`decode`]: serde escapes control characters.

use std::borrow::Cow;
use std::ffi::{c_int, CStr, OsStr};
use std::fmt::Write as _;
use std::os::unix::ffi::OsStrExt;

use rusqlite::types::ValueRef;
use rusqlite::{ffi, Connection, Row};

/// `path` for display: raw bytes kept apart from look-alikes, control characters made visible.
pub fn escape_path(path: impl AsRef<OsStr>) -> String {
    escape_with(path.as_ref().as_bytes(), |c, out| match c {
        '\\' => out.push_str("\\\\"),
        c if c.is_control() => push_control(c, out),
        c => out.push(c),
    })
}

/// Text from a database as a string: unchanged when it is UTF-8, else each invalid byte as `\xNN`.
pub fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => escape_with(bytes, |c, out| out.push(c)),
    }
}

/// `text` safe for a terminal: every control character but the line break shown as an escape.
pub fn printable(text: &str) -> Cow<'_, str> {
    // A byte scan first: the CLI passes whole reports through here, and decoding every char of
    // a 10,000-table report costs more than writing it. C1 controls all begin with 0xC2.
    let suspect = |b: &u8| (*b < 0x20 && *b != b'\n') || *b == 0x7f || *b == 0xc2;
    if !text.as_bytes().iter().any(suspect) || !text.chars().any(|c| c.is_control() && c != '\n') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push(c),
            c if c.is_control() => push_control(c, &mut out),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `text` kept on one line: a line break in it (from a name or a value in a database) shown as
/// `\x0a`. [`printable`] keeps line breaks, since the CLI passes whole reports through it, so
/// each line of text output built from a database's names goes through here first; otherwise
/// a table named `t\nFORGED` would print a line of its own.
pub fn one_line(text: &str) -> Cow<'_, str> {
    match text.contains('\n') {
        true => Cow::Owned(text.replace('\n', r"\x0a")),
        false => Cow::Borrowed(text),
    }
}

fn escape_with(bytes: &[u8], mut push: impl FnMut(char, &mut String)) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            push(c, &mut out);
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// C0 and DEL as `\xNN`; C1 as `\u{NN}`, so that it never reads like a stray byte `\x80`–`\x9f`.
fn push_control(c: char, out: &mut String) {
    let code = c as u32;
    if code < 0x80 {
        let _ = write!(out, "\\x{code:02x}");
    } else {
        let _ = write!(out, "\\u{{{code:x}}}");
    }
}

/// The bytes of a value as SQLite would give them as text; `None` for NULL.
fn bytes_of(value: ValueRef<'_>) -> Option<Cow<'_, [u8]>> {
    match value {
        ValueRef::Null => None,
        ValueRef::Text(b) | ValueRef::Blob(b) => Some(Cow::Borrowed(b)),
        ValueRef::Integer(i) => Some(Cow::Owned(i.to_string().into_bytes())),
        ValueRef::Real(f) => Some(Cow::Owned(f.to_string().into_bytes())),
    }
}

/// Column `i` of `row` as text through [`decode`]; `None` for NULL. Unlike `row.get::<String>`,
/// a byte that is not UTF-8 does not fail the whole read.
pub fn opt_text(row: &Row, i: usize) -> rusqlite::Result<Option<String>> {
    Ok(bytes_of(row.get_ref(i)?).map(|b| decode(&b)))
}

/// [`opt_text`] with NULL as the empty string.
pub fn text(row: &Row, i: usize) -> rusqlite::Result<String> {
    Ok(opt_text(row, i)?.unwrap_or_default())
}

/// A name in column `i` of `row` through [`decode`], with its raw bytes when they are not UTF-8
/// (then litescope cannot put the name back into SQL).
pub fn name(row: &Row, i: usize) -> rusqlite::Result<(String, Option<Vec<u8>>)> {
    let bytes = bytes_of(row.get_ref(i)?).unwrap_or_default();
    let raw = std::str::from_utf8(&bytes).is_err().then(|| bytes.to_vec());
    Ok((decode(&bytes), raw))
}

/// The result column names of the first statement of `sql`, each through [`decode`].
///
/// rusqlite's `Statement::column_names` panics on a name that is not UTF-8 (`SELECT *` over a
/// table another program made, a view selecting such a literal), so the names are read through
/// SQLite's C API from a statement prepared here for that alone; preparing costs microseconds
/// next to running it.
pub fn column_names(db: &Connection, sql: &str) -> rusqlite::Result<Vec<String>> {
    let failure = |code| rusqlite::Error::SqliteFailure(ffi::Error::new(code), None);
    let len = c_int::try_from(sql.len()).map_err(|_| failure(ffi::SQLITE_TOOBIG))?;
    let mut stmt: *mut ffi::sqlite3_stmt = std::ptr::null_mut();
    // SAFETY: the handle lives as long as `db`; `sql` outlives the call and its length is given,
    // so it needs no NUL terminator; the statement is finalized below before returning.
    let rc = unsafe {
        ffi::sqlite3_prepare_v2(
            db.handle(),
            sql.as_ptr().cast(),
            len,
            &mut stmt,
            std::ptr::null_mut(),
        )
    };
    if rc != ffi::SQLITE_OK {
        return Err(failure(rc));
    }
    // SAFETY: `stmt` is a statement prepared above or NULL (SQL of only comments), which both
    // calls accept; a non-NULL name stays valid until the statement is finalized.
    let names = unsafe {
        let count = ffi::sqlite3_column_count(stmt);
        let names = (0..count)
            .map(|i| {
                let name = ffi::sqlite3_column_name(stmt, i);
                match name.is_null() {
                    true => String::new(),
                    false => decode(CStr::from_ptr(name).to_bytes()),
                }
            })
            .collect();
        ffi::sqlite3_finalize(stmt);
        names
    };
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_print_every_byte_apart_from_its_look_alikes() {
        let raw = OsStr::from_bytes(b"caf\xe9/\xff\\x.db");
        assert_eq!(escape_path(raw), r"caf\xe9/\xff\\x.db");
        assert_eq!(escape_path("café/データ.db"), "café/データ.db");
        assert_eq!(escape_path("a\u{1b}[2J\u{85}.db"), r"a\x1b[2J\u{85}.db");
        assert_ne!(
            escape_path(OsStr::from_bytes(b"a\xff")),
            escape_path(OsStr::from_bytes(b"a\xfe"))
        );
        assert_ne!(
            escape_path(OsStr::from_bytes(b"a\xff")),
            escape_path(r"a\xff")
        );
    }

    #[test]
    fn database_text_keeps_valid_utf8_as_it_is() {
        assert_eq!(decode(b"caf\xc3\xa9 \\ ok"), "café \\ ok");
        assert_eq!(decode(b"caf\xe9"), r"caf\xe9");
    }

    #[test]
    fn printable_text_keeps_lines_and_escapes_controls() {
        assert_eq!(printable("a\nb"), Cow::Borrowed("a\nb"));
        assert_eq!(
            printable("evil\u{1b}]0;PWNED\u{7}\u{1b}[2J\r\t\u{9b}"),
            r"evil\x1b]0;PWNED\x07\x1b[2J\x0d\x09\u{9b}"
        );
    }

    #[test]
    fn column_names_that_are_not_utf8_come_out_escaped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        Connection::open(&path)
            .unwrap()
            .execute_batch(
                "CREATE TABLE t(a); PRAGMA writable_schema = ON;
                 UPDATE sqlite_schema SET sql = 'CREATE TABLE t(a' || CAST(x'e9' AS TEXT) || ')';",
            )
            .unwrap();
        let db = Connection::open(&path).unwrap();
        assert_eq!(
            column_names(&db, "SELECT *, 1 AS b FROM t").unwrap(),
            [r"a\xe9", "b"]
        );
        assert!(column_names(&db, "SELECT nope FROM t").is_err());
        assert!(column_names(&db, "-- nothing").unwrap().is_empty());
    }
}
