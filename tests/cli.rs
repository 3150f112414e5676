//! The command line as a new user meets it: folders for `orphans`, an empty folder, plurals,
//! unknown subcommands, the demo run twice, and every command a message or fix mentions.

mod common;

use std::path::{Path, PathBuf};

use common::*;

const SHOP: &str = "
    PRAGMA foreign_keys = OFF;
    CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);
    CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id));
    INSERT INTO customers VALUES (1, 'Ada');
    INSERT INTO orders VALUES (1, 1), (2, 9);
";

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn orphans_runs_on_every_database_of_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("b")).unwrap();
    build(&dir.path().join("a.db"), SHOP);
    build(&dir.path().join("b/shop.db"), SHOP);
    std::fs::write(dir.path().join("empty.db"), b"").unwrap();
    let json = litescope_json(&["orphans", s(dir.path()), "--json"]);
    let dbs = json["databases"].as_array().unwrap();
    let paths: Vec<&str> = dbs
        .iter()
        .map(|d| d["database"]["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["a.db", "b/shop.db", "empty.db"]);
    assert_eq!(dbs[0]["relations"][0]["orphans"], 1);
    assert_eq!(dbs[2]["database"]["status"], "empty");
    let (code, out, err) = litescope(&["orphans", s(dir.path())]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("b/shop.db  [ok]"), "{out}");
    assert!(
        out.contains("orders(customer_id) -> customers(id)"),
        "{out}"
    );
    // One file keeps its own shape.
    let one = litescope_json(&["orphans", s(&dir.path().join("a.db")), "--json"]);
    assert_eq!(one["database"]["path"], s(&dir.path().join("a.db")));
    assert_eq!(one["relations"][0]["orphans"], 1);
}

#[test]
fn a_folder_without_databases_fails_every_command_that_reads_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), b"hello").unwrap();
    for cmd in ["check", "report", "inspect", "orphans"] {
        let (code, out, err) = litescope(&[cmd, s(dir.path())]);
        assert_eq!(code, 2, "{cmd}: {out}");
        assert!(err.contains("no SQLite databases found"), "{cmd}: {err}");
        assert!(out.is_empty(), "{cmd}: {out}");
    }
    for args in [
        ["inspect", "--json"].as_slice(),
        &["orphans", "--json"],
        &["report", "--format=json"],
        &["check", "--format=sarif"],
    ] {
        let mut args = args.to_vec();
        args.push(s(dir.path()));
        let (code, out, err) = litescope(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        let json: serde_json::Value = serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("{args:?}: every --json prints JSON ({e}): {out}"));
        assert!(json.is_object(), "{args:?}");
    }
}

#[test]
fn check_names_a_file_once_and_counts_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("x.db");
    std::fs::write(&empty, b"").unwrap();
    let (code, out, _) = litescope(&["check", s(&empty)]);
    assert_eq!(code, 1);
    let line = out.lines().next().unwrap();
    assert_eq!(line.matches("x.db").count(), 1, "{out}");
    assert!(out.contains("1 finding, 1 at or above error"), "{out}");
    let one = dir.path().join("one.db");
    build(&one, "CREATE TABLE t(x); INSERT INTO t VALUES (1);");
    let (_, out, _) = litescope(&["inspect", s(&one)]);
    assert!(out.contains("(table, 1 row, "), "{out}");
}

#[test]
fn an_unknown_subcommand_is_a_usage_error() {
    for args in [
        &["frobnicate", "--help"][..],
        &["frobnicate"],
        &["upgrade", "x.db"],
    ] {
        let (code, out, err) = litescope(args);
        assert_eq!(code, 2, "{args:?}: {out}");
        assert!(err.contains("unrecognized subcommand"), "{args:?}: {err}");
        assert!(!out.contains("Usage"), "{args:?} printed help: {out}");
    }
    // A PATH that happens to be a bare word still opens as a path (here: not found).
    let dir = tempfile::tempdir().unwrap();
    build(&dir.path().join("inventory"), "CREATE TABLE t(x);");
    let (code, _, err) = litescope(&["check", s(&dir.path().join("inventory"))]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn the_demo_can_be_written_twice_into_one_folder() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    for _ in 0..2 {
        let (code, out, err) = litescope(&["demo", s(&demo)]);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("demo workspace written"), "{out}");
    }
    // A folder that holds anything else is left alone.
    std::fs::write(demo.join("mine.txt"), b"keep").unwrap();
    let (code, _, err) = litescope(&["demo", s(&demo)]);
    assert_eq!(code, 2);
    assert!(err.contains("mine.txt"), "{err}");
    assert!(demo.join("chat/app.db").is_file());
    let other = dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("x"), b"").unwrap();
    assert_eq!(litescope(&["demo", s(&other)]).0, 2);
}

#[test]
fn every_flag_has_help_text() {
    for cmd in ["inspect", "report", "check", "orphans", "demo"] {
        let (code, out, _) = litescope(&[cmd, "--help"]);
        assert_eq!(code, 0);
        for line in out.lines().map(str::trim).filter(|l| l.starts_with("--")) {
            let described = line
                .split_once("  ")
                .is_some_and(|(_, d)| !d.trim().is_empty());
            assert!(described, "{cmd}: {line:?} has no help text");
        }
    }
}

/// Rust source files under `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

/// The subcommand words the contract names; prose such as "litescope inspects read-only" is not
/// a command.
const COMMANDS: &[&str] = &[
    "inspect", "report", "check", "orphans", "plan", "diff", "watch", "migrate", "backup", "demo",
];

/// `litescope WORD [WORD] [--flag...]` as written in messages and fixes, outside comments.
fn mentioned_commands(text: &str) -> Vec<Vec<String>> {
    let code: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = Vec::new();
    for (at, _) in code.match_indices("litescope ") {
        let rest = &code[at + "litescope ".len()..];
        let mut words: Vec<String> = Vec::new();
        for token in rest.split(|c: char| c.is_whitespace() || c == '`' || c == '"') {
            // A word may end a clause: `litescope inspect, then …`.
            let word = token.trim_end_matches([',', '.', ';', ':', ')']);
            let plain = !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !plain {
                break;
            }
            words.push(word.to_string());
            if word.len() != token.len() {
                break;
            }
        }
        let Some(first) = words.first() else { continue };
        if first.starts_with('-') || COMMANDS.contains(&first.as_str()) {
            out.push(words);
        }
    }
    out
}

#[test]
fn every_command_a_message_mentions_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    sources(&root.join("src"), &mut files);
    let mut checked = 0;
    for file in files {
        let rel = file
            .strip_prefix(root)
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let text = std::fs::read_to_string(&file).unwrap();
        for words in mentioned_commands(&text) {
            let shown = words.join(" ");
            // Subcommand words first, then their flags, then --help: clap refuses what is unknown.
            let mut args: Vec<&str> = words.iter().map(String::as_str).collect();
            args.push("--help");
            let (code, out, err) = litescope(&args);
            assert_eq!(code, 0, "{rel}: `litescope {shown}`: {err}");
            let top = litescope(&["--help"]).1;
            let is_top = words[0].starts_with('-');
            assert!(
                is_top || out != top,
                "{rel}: `litescope {shown}` is not a command"
            );
            for flag in words.iter().filter(|w| w.starts_with("--")) {
                assert!(
                    out.contains(flag.as_str()),
                    "{rel}: `litescope {shown}`: no {flag}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 2, "only {checked} commands found in src/");
}

#[test]
fn inspect_text_names_each_index_trait_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("idx.db");
    build(
        &path,
        "CREATE TABLE t(a PRIMARY KEY, b UNIQUE, c); CREATE UNIQUE INDEX ic ON t(c);",
    );
    let (code, out, err) = litescope(&["inspect", "--fast", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let line = |name: &str| {
        out.lines()
            .find(|l| l.trim_start().starts_with(&format!("index {name} ")))
            .unwrap_or_else(|| panic!("{name}: {out}"))
            .to_string()
    };
    assert!(
        line("sqlite_autoindex_t_1").contains("primary-key, unique"),
        "{out}"
    );
    assert!(
        !line("sqlite_autoindex_t_2").contains("unique, unique"),
        "{out}"
    );
    assert!(line("sqlite_autoindex_t_2").contains("unique"), "{out}");
    assert!(line("ic").contains("created, unique"), "{out}");
}
