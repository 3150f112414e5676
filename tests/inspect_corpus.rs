//! `inspect` on the real databases of the shared corpus: the facts its README states.

mod common;

use common::*;
use serde_json::Value;

fn inspect_dir(rel: &str) -> (tempfile::TempDir, Value) {
    let (dir, path) = corpus_copy(rel);
    let json = litescope_json(&["inspect", "--json", path.to_str().unwrap()]);
    (dir, json)
}

fn database<'a>(json: &'a Value, path: &str) -> &'a Value {
    json["databases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["path"] == path)
        .unwrap_or_else(|| panic!("{path} not listed"))
}

fn user_tables(db: &Value) -> Vec<&Value> {
    db["tables"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] != "system")
        .collect()
}

fn fk_count(db: &Value) -> usize {
    user_tables(db)
        .iter()
        .map(|t| t["foreign_keys"].as_array().unwrap().len())
        .sum()
}

fn broken_views(db: &Value) -> Vec<&str> {
    db["views"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["ok"] == false)
        .map(|v| v["name"].as_str().unwrap())
        .collect()
}

#[test]
fn sample_databases_match_their_known_facts() {
    let (_dir, json) = inspect_dir("db");
    let chinook = database(&json, "Chinook_Sqlite.sqlite");
    assert_eq!(chinook["status"], "ok");
    assert_eq!(user_tables(chinook).len(), 11);
    assert_eq!(fk_count(chinook), 11);
    let employee = user_tables(chinook)
        .into_iter()
        .find(|t| t["name"] == "Employee")
        .unwrap();
    assert_eq!(employee["foreign_keys"][0]["parent"], "Employee");
    assert_eq!(
        employee["foreign_keys"][0]["parent_columns"][0],
        "EmployeeId"
    );

    let northwind = database(&json, "northwind.db");
    assert_eq!(user_tables(northwind).len(), 13);
    assert_eq!(fk_count(northwind), 13);
    assert_eq!(northwind["views"].as_array().unwrap().len(), 17);
    assert_eq!(broken_views(northwind), ["ProductDetails_V"]);
    assert!(user_tables(northwind)
        .iter()
        .any(|t| t["name"] == "Order Details" && t["rows_exact"] == true));

    let small = database(&json, "Northwind_small.sqlite");
    assert_eq!(small["page_size"], 1024);
    assert_eq!(fk_count(small), 0);

    let sakila = database(&json, "sakila.db");
    assert_eq!(user_tables(sakila).len(), 16);
    assert_eq!(fk_count(sakila), 22);
    assert_eq!(sakila["triggers"].as_array().unwrap().len(), 3);
    let mut broken = broken_views(sakila);
    broken.sort();
    assert_eq!(broken, ["actor_info", "nicer_but_slower_film_list"]);
}

#[test]
fn geopackage_groups_rtree_shadow_tables_under_their_virtual_table() {
    let (_dir, json) = inspect_dir("db");
    let gpkg = database(&json, "gdal_sample_v1.2_spi_nonlinear_webp_elevation.gpkg");
    assert_eq!(gpkg["user_version"], 10200);
    let tables = gpkg["tables"].as_array().unwrap();
    let rtrees: Vec<_> = tables.iter().filter(|t| t["kind"] == "rtree").collect();
    assert_eq!(rtrees.len(), 23);
    for shadow in tables.iter().filter(|t| t["kind"] == "shadow") {
        let owner = shadow["shadow_of"].as_str().unwrap();
        assert!(rtrees.iter().any(|r| r["name"] == owner), "{owner}");
    }
    assert_eq!(
        tables.iter().filter(|t| t["kind"] == "shadow").count(),
        23 * 3
    );
    assert_eq!(gpkg["triggers"].as_array().unwrap().len(), 178);
}

#[test]
fn hostile_files_get_the_right_status() {
    let (_dir, json) = inspect_dir("edge");
    let status = |p: &str| database(&json, p)["status"].as_str().unwrap().to_string();
    assert_eq!(status("sq-empty.db"), "empty");
    assert_eq!(status("litestream-short.db"), "not-sqlite");
    assert_eq!(status("litestream-invalid-header.db"), "not-sqlite");
    assert_eq!(status("sqlcipher/sqlcipher-3.0-testkey.db"), "not-sqlite");
    assert_eq!(status("sqlcipher/sqlcipher-4.0-testkey.db"), "not-sqlite");
    for corrupt in [
        "sqlite-corruptL-t9-freespace.db",
        "sqlite-altercorrupt-t1-freelist.db",
        "sqlite-corruptL-t5-ptrmap.db",
        "sqlite-corruptL-t2-malformed-schema.db",
    ] {
        assert_eq!(status(corrupt), "corrupt", "{corrupt}");
        let error = database(&json, corrupt)["error"].as_str().unwrap();
        assert!(!error.contains('\n'), "one line: {error}");
    }
    assert_eq!(status("emp ty.gpkg"), "ok");
    assert_eq!(fk_count(database(&json, "emp ty.gpkg")), 6);
    assert_eq!(status("ets-gpkg12-gpkg-test-5208-walheader.gpkg"), "ok");
    let whitespace = database(&json, "sakila_whitespace_derived.db");
    let film_actor = user_tables(whitespace)
        .into_iter()
        .find(|t| t["name"] == "film actor")
        .unwrap();
    assert_eq!(film_actor["rows"], 5462);
    assert_eq!(film_actor["rows_exact"], true);
}

#[test]
fn wal_rows_are_counted() {
    let (_dir, json) = inspect_dir("edge/litestream-wal");
    let db = database(&json, "db");
    assert_eq!(db["journal_mode"], "wal");
    assert!(db["wal_bytes"].as_u64().unwrap() > 0);
    assert_eq!(db["tables"][0]["name"], "t");
    assert_eq!(db["tables"][0]["rows"], 1);
}

#[test]
fn a_named_bad_file_exits_2_with_one_line_naming_it() {
    let (_dir, path) = corpus_copy("edge/sq-empty.db");
    let p = path.to_str().unwrap();
    let (code, _, err) = litescope(&["inspect", p]);
    assert_eq!(code, 2);
    assert_eq!(
        err.trim(),
        format!("litescope: {p}: file is not a database (it is empty)")
    );
    let (code, _, err) = litescope(&["inspect", "/no/such/file.db"]);
    assert_eq!(code, 2);
    assert_eq!(err.lines().count(), 1);
    assert!(err.starts_with("litescope: /no/such/file.db: "), "{err}");
}
