//! Paths name one file each, and the rules that compare databases compare only related ones:
//! `report staging prod` with an `app.db` in each, and a folder of unrelated real databases.

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

fn report_json(args: &[&Path]) -> Value {
    let mut all: Vec<String> = vec!["report".into(), "--format".into(), "json".into()];
    all.extend(args.iter().map(|p| p.display().to_string()));
    litescope_json(&all)
}

fn findings_of<'a>(report: &'a Value, database: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["database"] == database)
        .collect()
}

fn by_rule<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

/// `(rule, object, count)` of each finding, for comparing two runs whose paths differ.
fn facts(found: &[&Value]) -> Vec<(String, String, String)> {
    let mut out: Vec<_> = found
        .iter()
        .map(|f| {
            (
                f["rule"].to_string(),
                f["object"].to_string(),
                f["count"].to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Chinook as `staging/app.db`, northwind as `prod/app.db`.
fn two_apps() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (sub, file) in [
        ("staging", "db/Chinook_Sqlite.sqlite"),
        ("prod", "db/northwind.db"),
    ] {
        std::fs::create_dir(dir.path().join(sub)).unwrap();
        std::fs::copy(corpus().join(file), dir.path().join(sub).join("app.db")).unwrap();
    }
    dir
}

#[test]
fn several_folders_print_their_files_under_the_folder_names() {
    let dir = two_apps();
    let (staging, prod) = (dir.path().join("staging"), dir.path().join("prod"));
    let both = report_json(&[&staging, &prod]);
    let paths: Vec<&str> = both["databases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["staging/app.db", "prod/app.db"]);
    // Each keeps exactly the findings it has alone: none is credited with the other's.
    for (folder, shown) in [(&staging, "staging/app.db"), (&prod, "prod/app.db")] {
        let alone = report_json(&[folder]);
        assert_eq!(
            facts(&findings_of(&both, shown)),
            facts(&findings_of(&alone, "app.db")),
            "{shown}"
        );
    }
    // The text report's summary names both, with different counts (northwind has warnings).
    let (code, out, err) =
        litescope(&["report", staging.to_str().unwrap(), prod.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let row = |name: &str| {
        out.lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no row for {name}:\n{out}"))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    assert_ne!(row("staging/app.db")[5], row("prod/app.db")[5], "{out}");
}

#[test]
fn a_conflict_between_two_folders_names_both_files() {
    let dir = tempfile::tempdir().unwrap();
    for (sub, sql) in [
        (
            "staging",
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);",
        ),
        (
            "prod",
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT);",
        ),
    ] {
        std::fs::create_dir(dir.path().join(sub)).unwrap();
        build(&dir.path().join(sub).join("app.db"), sql);
    }
    let report = report_json(&[&dir.path().join("staging"), &dir.path().join("prod")]);
    let conflict = by_rule(&report, "schema-conflict");
    assert_eq!(conflict.len(), 1, "{report}");
    assert_eq!(conflict[0]["database"], "staging/app.db <> prod/app.db");
}

#[test]
fn two_folders_of_one_name_keep_more_of_their_path() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = Vec::new();
    for sub in ["eu/data", "us/data"] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        build(&dir.path().join(sub).join("app.db"), "CREATE TABLE t(x);");
        args.push(dir.path().join(sub));
    }
    let report = report_json(&[&args[0], &args[1]]);
    let paths: Vec<&str> = report["databases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["eu/data/app.db", "us/data/app.db"]);
}

#[test]
fn unrelated_databases_sharing_a_table_name_do_not_conflict() {
    let dir = tempfile::tempdir().unwrap();
    for file in ["Chinook_Sqlite.sqlite", "sakila.db", "northwind.db"] {
        std::fs::copy(corpus().join("db").join(file), dir.path().join(file)).unwrap();
    }
    let report = report_json(&[dir.path()]);
    assert_eq!(by_rule(&report, "schema-conflict"), Vec::<&Value>::new());
    let (code, out, err) = litescope(&["check", dir.path().to_str().unwrap()]);
    assert!(!out.contains("schema-conflict"), "{out}");
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn related_databases_conflict_unrelated_ones_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("backups")).unwrap();
    let make = |file: &str, sql: &str| build(&root.join(file), sql);
    // A database and its backup.
    make(
        "app.db",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT);",
    );
    make(
        "app.db.backup",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);",
    );
    // Most columns in common once naming style is set aside.
    make(
        "worker.db",
        "CREATE TABLE threads (thread_id INTEGER, user_name TEXT, created_at TEXT);",
    );
    make(
        "api.db",
        "CREATE TABLE threads (threadId INTEGER, userName TEXT, createdAt INTEGER, title TEXT);",
    );
    // One column of three in common: two tables that only share a name.
    make(
        "shop.db",
        "CREATE TABLE customer (id INTEGER, first TEXT, last TEXT);",
    );
    make(
        "crm.db",
        "CREATE TABLE customer (id TEXT, region TEXT, since TEXT);",
    );
    let report = report_json(&[root]);
    let mut pairs: Vec<&str> = by_rule(&report, "schema-conflict")
        .iter()
        .map(|f| f["database"].as_str().unwrap())
        .collect();
    pairs.sort();
    // A backup of a sound database is not audited beside it: that its schema is older is
    // history, not a conflict between services.
    assert_eq!(pairs, ["api.db <> worker.db"]);
}

#[test]
fn naming_is_compared_across_related_databases_only() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let make = |file: &str, sql: &str| build(&root.join(file), sql);
    make(
        "worker.db",
        "CREATE TABLE threads (thread_id INTEGER, user_name TEXT, created_at TEXT);",
    );
    make(
        "api.db",
        "CREATE TABLE threads (threadId INTEGER, userName TEXT, createdAt TEXT);",
    );
    // One migration tool's tracking table in both relates nothing.
    make(
        "shop.db",
        "CREATE TABLE orders (order_id INTEGER, placed_at TEXT);
         CREATE TABLE schema_migrations (version TEXT PRIMARY KEY);",
    );
    make(
        "game.db",
        "CREATE TABLE scores (playerId INTEGER, bestScore INTEGER);
         CREATE TABLE schema_migrations (version TEXT PRIMARY KEY);",
    );
    let report = report_json(&[root]);
    let across: Vec<&str> = by_rule(&report, "naming-mixed")
        .iter()
        .map(|f| f["database"].as_str().unwrap())
        .collect();
    assert_eq!(across, ["api.db <> worker.db"]);
}
