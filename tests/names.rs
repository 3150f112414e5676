//! Names from outside litescope: file and folder names in any bytes, schema text that is not
//! UTF-8, and control characters, none of which may make a healthy file unreadable or reach the
//! terminal raw.

mod common;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

fn raw(bytes: &[u8]) -> &Path {
    Path::new(OsStr::from_bytes(bytes))
}

/// A database of `n` rows in table `t` at `path`, its folders made first.
fn rows_db(path: &Path, n: u32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    build(
        path,
        &format!(
            "CREATE TABLE t(x);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n})
             INSERT INTO t SELECT i FROM n;"
        ),
    );
}

/// `path -> (status, rows of t)` from `inspect --json`.
fn listed(json: &Value) -> BTreeMap<String, (String, u64)> {
    json["databases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let rows = d["tables"][0]["rows"].as_u64().unwrap_or(0);
            let status = d["status"].as_str().unwrap().to_string();
            (d["path"].as_str().unwrap().to_string(), (status, rows))
        })
        .collect()
}

#[test]
fn file_and_folder_names_in_any_bytes_open_and_print_apart() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let files: [(&[u8], &str, u32); 6] = [
        ("répertoire/café.db".as_bytes(), "répertoire/café.db", 1),
        ("データ.db".as_bytes(), "データ.db", 2),
        (b"bad\xff.db", r"bad\xff.db", 3),
        (b"bad\xfe.db", r"bad\xfe.db", 4),
        (b"dir\xe9/x.db", r"dir\xe9/x.db", 5),
        (br"bad\xff.db", r"bad\\xff.db", 6),
    ];
    for (name, _, n) in files {
        rows_db(&root.join(raw(name)), n);
    }
    let json = litescope_json(&[
        OsStr::new("inspect"),
        OsStr::new("--json"),
        root.as_os_str(),
    ]);
    let expected: BTreeMap<String, (String, u64)> = files
        .iter()
        .map(|(_, shown, n)| (shown.to_string(), ("ok".to_string(), *n as u64)))
        .collect();
    assert_eq!(listed(&json), expected);

    let given = root.join(raw(b"bad\xff.db"));
    let json = litescope_json(&[
        OsStr::new("inspect"),
        OsStr::new("--json"),
        given.as_os_str(),
    ]);
    let db = &json["databases"][0];
    assert_eq!(db["status"], "ok", "{db}");
    assert!(db["path"].as_str().unwrap().ends_with(r"/bad\xff.db"));

    let (code, text, err) = litescope(&[OsStr::new("inspect"), root.as_os_str()]);
    assert_eq!(code, 0, "{err}");
    assert!(text.contains(r"bad\xff.db  [ok]"), "{text}");
    assert!(text.contains(r"bad\xfe.db  [ok]"), "{text}");
    assert!(!text.contains('\u{fffd}'), "{text}");
}

const EVIL: &str = "evil\u{1b}]0;PWNED\u{7}\u{1b}[2J";

#[test]
fn a_failure_line_naming_control_characters_stays_one_escaped_line() {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join(format!("{EVIL}\r.db"));
    std::fs::write(&path, b"").unwrap();
    let (code, _, err) = litescope_raw(&[OsStr::new("inspect"), path.as_os_str()]);
    assert_eq!(code, 2);
    assert!(!err.iter().any(|b| *b == 0x1b || *b == 0x07 || *b == b'\r'));
    let err = String::from_utf8(err).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(r"evil\x1b]0;PWNED\x07\x1b[2J\x0d.db: "),
        "{err}"
    );
}
