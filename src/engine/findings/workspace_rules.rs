//! Rules that compare the databases of a workspace: conflicting tables, naming across services.
//!
//! Only related databases are compared: two databases that merely happen to hold a table of one
//! name (Chinook's `Customer`, sakila's `customer`) are not meant to agree, and reporting them
//! would bury the conflicts that matter. Two databases are related when they are meant to share
//! their tables: the same file name in two places (`staging/app.db`, `prod/app.db`), a database
//! and its backup, or one table name whose columns mostly match once naming style is set aside
//! ([`overlapping`]). A migration tool's tracking table (`schema_migrations`) is the same in
//! every application that uses the tool, so it never makes two databases related by itself.
//!
//! The cost stays near linear in the number of tables, even for thousands of databases that all
//! hold one table name: tables are grouped by name, then by exact shape (tables of one shape
//! never conflict, and whether two shapes overlap is decided once for all their owners), and
//! files are matched by name through an index rather than pair by pair.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::schema_rules::{styled_columns, Style};
use super::Finding;
use crate::engine::backups::is_copy_of;
use crate::engine::database::Database;
use crate::engine::migrate;
use crate::engine::schema::{Column, Table, TableKind};

/// The databases that can be compared: those SQLite can read.
fn readable<'a>(dbs: &[&'a Database]) -> Vec<&'a Database> {
    dbs.iter().copied().filter(|d| d.is_ok()).collect()
}

/// A file name up to its first dot (`app` for `app.db.backup`).
fn stem(file: &Path) -> String {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.split('.').next().unwrap_or_default().to_string()
}

/// Related by their files alone: one file name in two places, or a database and its backup.
fn same_file(a: &Path, b: &Path) -> bool {
    a.file_name() == b.file_name() || is_copy_of(a, b) || is_copy_of(b, a)
}

/// A column name with its naming style set aside: `thread_id`, `threadId` and `ThreadID` are
/// all `threadid`.
fn normalised(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// A table of one database, with what comparing it needs computed once.
struct Owned<'a> {
    /// The database's place in the list the tables were gathered from.
    at: usize,
    db: &'a Database,
    table: &'a Table,
    /// Column names with naming style set aside, sorted.
    columns: Vec<String>,
    /// Whether this is the database's migration tracking table.
    tracking: bool,
}

impl<'a> Owned<'a> {
    fn new(at: usize, db: &'a Database, table: &'a Table, tracking: bool) -> Owned<'a> {
        let mut columns: Vec<String> = table.columns.iter().map(|c| normalised(&c.name)).collect();
        columns.sort();
        columns.dedup();
        Owned {
            at,
            db,
            table,
            columns,
            tracking,
        }
    }
}

/// A table's columns as [`column_differences`] compares them: two tables of one shape never
/// differ.
type Shape = Vec<(String, String, bool, bool)>;

fn shape_of(t: &Table) -> Shape {
    let mut shape: Shape = t
        .columns
        .iter()
        .map(|c| {
            (
                c.name.to_ascii_lowercase().to_string(),
                c.decl_type.to_ascii_lowercase().to_string(),
                c.notnull,
                c.pk > 0,
            )
        })
        .collect();
    shape.sort();
    shape
}

/// The owners of one table name, split by shape.
fn by_shape<'o, 'a>(owners: &'o [Owned<'a>]) -> Vec<Vec<&'o Owned<'a>>> {
    let mut shapes: BTreeMap<Shape, Vec<&Owned>> = BTreeMap::new();
    for o in owners {
        shapes.entry(shape_of(o.table)).or_default().push(o);
    }
    shapes.into_values().collect()
}

/// The first word of a file's name (`app` for `app.db` and `app-20261001.db`): a file and its
/// backup, or one file name in two places, share it, so files are matched through it.
fn name_word(file: &Path) -> String {
    let stem = stem(file);
    let word = stem.split(|c: char| !c.is_alphanumeric()).next();
    word.unwrap_or_default().to_string()
}

/// The pairs, one owner from each side, whose files are related by name.
fn related_by_file<'o, 'a>(
    x: &[&'o Owned<'a>],
    y: &[&'o Owned<'a>],
) -> Vec<(&'o Owned<'a>, &'o Owned<'a>)> {
    let mut by_word: HashMap<String, Vec<&Owned>> = HashMap::new();
    for q in y {
        by_word.entry(name_word(&q.db.file)).or_default().push(q);
    }
    let mut out = Vec::new();
    for p in x {
        for q in by_word.get(&name_word(&p.db.file)).into_iter().flatten() {
            if same_file(&p.db.file, &q.db.file) {
                out.push((*p, *q));
            }
        }
    }
    out
}

/// True when at least two thirds of the smaller table's columns are the other's too, naming style
/// aside: tables meant to be one. Tracking tables never are (see the module doc).
fn overlapping(a: &Owned, b: &Owned) -> bool {
    if a.tracking || b.tracking {
        return false;
    }
    let (small, large) = if a.columns.len() <= b.columns.len() {
        (a, b)
    } else {
        (b, a)
    };
    let shared = small
        .columns
        .iter()
        .filter(|c| large.columns.binary_search(c).is_ok())
        .count();
    !small.columns.is_empty() && 3 * shared >= 2 * small.columns.len()
}

/// Every user table of `dbs`, grouped by name (case aside).
fn by_table_name<'a>(dbs: &[&'a Database]) -> BTreeMap<String, Vec<Owned<'a>>> {
    let mut by_name: BTreeMap<String, Vec<Owned>> = BTreeMap::new();
    for (at, &db) in dbs.iter().enumerate() {
        let tracking = migrate::detect(&db.schema).and_then(|t| t.table);
        for t in db
            .schema
            .tables
            .iter()
            .filter(|t| t.kind == TableKind::Table)
        {
            by_name
                .entry(t.name.to_ascii_lowercase().into())
                .or_default()
                .push(Owned::new(at, db, t, tracking.as_deref() == Some(&t.name)));
        }
    }
    by_name
}

pub fn schema_conflicts(dbs: &[&Database]) -> Vec<Finding> {
    let mut out = Vec::new();
    for owners in by_table_name(&readable(dbs)).values() {
        let shapes = by_shape(owners);
        for (i, x) in shapes.iter().enumerate() {
            for y in &shapes[i + 1..] {
                let pairs = if overlapping(x[0], y[0]) {
                    x.iter()
                        .flat_map(|p| y.iter().map(move |q| (*p, *q)))
                        .collect()
                } else {
                    related_by_file(x, y)
                };
                for (p, q) in pairs {
                    // In the order the databases were found, as the message says "first".
                    let (a, b) = if p.at < q.at { (p, q) } else { (q, p) };
                    if let Some(diff) = column_differences(a.table, b.table) {
                        out.push(Finding::across(
                            "schema-conflict",
                            vec![a.db.path.clone(), b.db.path.clone()],
                            a.table.name.as_str(),
                            format!("{} differs: {diff}", a.table.name),
                        ));
                    }
                }
            }
        }
    }
    out
}

fn describe(c: &Column) -> String {
    let mut s = format!(
        "{} {}",
        c.decl_type,
        if c.notnull { "NOT NULL" } else { "NULL" }
    );
    if c.pk > 0 {
        s.push_str(" PK");
    }
    s.trim().to_string()
}

/// What differs between two tables' columns (by name, type, nullability, primary key).
fn column_differences(a: &Table, b: &Table) -> Option<String> {
    let find = |t: &Table, n: &str| {
        t.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(n))
            .cloned()
    };
    let only = |x: &Table, y: &Table| -> Vec<String> {
        x.columns
            .iter()
            .filter(|c| find(y, &c.name).is_none())
            .map(|c| c.name.to_string())
            .collect()
    };
    let (only_a, only_b) = (only(a, b), only(b, a));
    let changed: Vec<String> = a
        .columns
        .iter()
        .filter_map(|ca| {
            let cb = find(b, &ca.name)?;
            let same = ca.decl_type.eq_ignore_ascii_case(&cb.decl_type)
                && ca.notnull == cb.notnull
                && (ca.pk > 0) == (cb.pk > 0);
            (!same).then(|| format!("{} ({} vs {})", ca.name, describe(ca), describe(&cb)))
        })
        .collect();
    let mut parts = Vec::new();
    if !only_a.is_empty() {
        parts.push(format!("only in the first: {}", only_a.join(", ")));
    }
    if !only_b.is_empty() {
        parts.push(format!("only in the second: {}", only_b.join(", ")));
    }
    if !changed.is_empty() {
        parts.push(format!("changed: {}", changed.join(", ")));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// Groups of related databases (see the module doc), as sets joined through any relation, so
/// that `a` related to `b` and `b` to `c` compare all three. Files are paired only within one
/// name word, tables by shape within one table name.
fn related_groups<'a>(dbs: &[&'a Database]) -> Vec<Vec<&'a Database>> {
    let dbs = readable(dbs);
    let mut groups = Groups::new(dbs.len());
    let mut by_stem: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, d) in dbs.iter().enumerate() {
        by_stem.entry(name_word(&d.file)).or_default().push(i);
    }
    for members in by_stem.values() {
        for (k, &i) in members.iter().enumerate() {
            for &j in &members[k + 1..] {
                if !groups.joined(i, j) && same_file(&dbs[i].file, &dbs[j].file) {
                    groups.join(i, j);
                }
            }
        }
    }
    for owners in by_table_name(&dbs).values() {
        let shapes = by_shape(owners);
        // One shape overlaps itself: its owners are related (unless it is a tracking table).
        for x in &shapes {
            for p in &x[1..] {
                if overlapping(x[0], p) {
                    groups.join(x[0].at, p.at);
                }
            }
        }
        for (k, x) in shapes.iter().enumerate() {
            for y in &shapes[k + 1..] {
                if !groups.joined(x[0].at, y[0].at) && overlapping(x[0], y[0]) {
                    groups.join(x[0].at, y[0].at);
                }
            }
        }
    }
    let mut out: BTreeMap<usize, Vec<&Database>> = BTreeMap::new();
    for (i, d) in dbs.iter().enumerate() {
        out.entry(groups.root(i)).or_default().push(d);
    }
    out.into_values().filter(|g| g.len() > 1).collect()
}

/// Disjoint sets over `0..n` (union by size, path halving).
struct Groups {
    parent: Vec<usize>,
    size: Vec<usize>,
}

impl Groups {
    fn new(n: usize) -> Groups {
        Groups {
            parent: (0..n).collect(),
            size: vec![1; n],
        }
    }

    fn root(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn joined(&mut self, i: usize, j: usize) -> bool {
        self.root(i) == self.root(j)
    }

    fn join(&mut self, i: usize, j: usize) {
        let (mut a, mut b) = (self.root(i), self.root(j));
        if a == b {
            return;
        }
        if self.size[a] < self.size[b] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b] = a;
        self.size[a] += self.size[b];
    }
}

/// Within each group of related databases, one all snake_case and another all camelCase: they
/// mix styles even where each database is consistent (mixing inside one database is reported per
/// database).
pub fn naming_across(dbs: &[&Database]) -> Vec<Finding> {
    related_groups(dbs)
        .iter()
        .filter_map(|g| naming_in_group(g))
        .collect()
}

fn naming_in_group(dbs: &[&Database]) -> Option<Finding> {
    let mut snake = Vec::new();
    let mut camel = Vec::new();
    for db in dbs {
        let styles = styled_columns(db);
        let has = |s: Style| {
            styles
                .iter()
                .find(|(st, _)| *st == s)
                .map(|(_, n)| n.clone())
        };
        match (has(Style::Snake), has(Style::Camel)) {
            (Some(s), None) => snake.push((db.path.clone(), s)),
            (None, Some(c)) => camel.push((db.path.clone(), c)),
            _ => {}
        }
    }
    let (first_snake, first_camel) = (snake.first()?, camel.first()?);
    let mut paths: Vec<String> = snake.iter().chain(&camel).map(|(p, _)| p.clone()).collect();
    paths.sort();
    Some(Finding::across(
        "naming-mixed",
        paths,
        &first_camel.1,
        format!(
            "snake_case in {} (e.g. {}) and camelCase in {} (e.g. {})",
            first_snake.0, first_snake.1, first_camel.0, first_camel.1
        ),
    ))
}
