//! `litescope diff`: two schemas compared (two databases, or a database and the schema its
//! migrations build), the SQL that turns one into the other, and with `--data` the rows of the
//! tables both hold.
//!
//! Exit codes as `diff(1)`: 0 when the sides are the same, 1 when they differ, 2 when an input
//! cannot be read. Both databases are opened read-only; `--out` writes one new migration file
//! into the folder and nothing else.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::{anyhow, Result};

use super::put;

use crate::engine::diff::{self, drift, Change, Diff};
use crate::engine::migrate;
use crate::engine::names::escape_path;
use crate::engine::schema::Schema;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Side A: a database file.
    a: PathBuf,
    /// Side B: the database file to compare A with (or use --migrations).
    #[arg(required_unless_present = "migrations", conflicts_with = "migrations")]
    b: Option<PathBuf>,
    /// Compare A with the schema this migrations folder builds (replayed in memory).
    #[arg(long, value_name = "DIR")]
    migrations: Option<PathBuf>,
    /// Compare the rows of the tables both sides hold, matched by primary key.
    #[arg(long, conflicts_with = "migrations")]
    data: bool,
    /// Print JSON: {"only_in_a","only_in_b","changed"} (with --data: {"tables","skipped"}).
    #[arg(long, conflicts_with = "sql")]
    json: bool,
    /// Print the SQL that turns A into B (run it with `sqlite3 A < file`).
    #[arg(long)]
    sql: bool,
    /// With --sql: save it as the next migration of this folder, in the folder's layout.
    #[arg(long, value_name = "DIR", requires = "sql", conflicts_with = "data")]
    out: Option<PathBuf>,
    /// With --data: keys shown per table and kind of difference.
    #[arg(long, default_value_t = 5)]
    sample: usize,
}

pub fn run(args: &Args) -> Result<ExitCode> {
    if args.data {
        return super::diff_data::run(&args.a, side_b(args)?, args.json, args.sql, args.sample);
    }
    let (a, b, note) = sides(args)?;
    let d = diff::compare(&a, &b);
    if args.sql {
        return sql(args, &a, &b, &d);
    }
    if args.json {
        super::print_json(&d)?;
    } else {
        let mut text = header(args, note.as_deref());
        text.push_str(&render(&d));
        super::print_text(&text);
    }
    Ok(exit(&d))
}

fn side_b(args: &Args) -> Result<&Path> {
    args.b
        .as_deref()
        .ok_or_else(|| anyhow!("diff --data compares two database files"))
}

/// Both schemas, and for drift the note on how B was built.
fn sides(args: &Args) -> Result<(Schema, Schema, Option<String>)> {
    let Some(dir) = &args.migrations else {
        // The two sides are read at once: each is one database's whole schema.
        let b_path = side_b(args)?;
        let (a, b) = std::thread::scope(|s| {
            let b = s.spawn(|| diff::read::schema(b_path));
            let a = diff::read::schema(&args.a);
            (a, b.join())
        });
        let b = b.map_err(|_| anyhow!("{}: reading failed", escape_path(b_path)))?;
        return Ok((a?, b?, None));
    };
    let mut a = diff::read::schema(&args.a)?;
    let conn = crate::engine::connect::open_checked(&args.a)?;
    let target = drift::target(&conn, dir, &mut a);
    conn.end_transaction();
    let target = target?;
    let note = match &target.baseline_missing {
        Some(failed) => format!(
            "the folder's first migration alters a table it never creates ({failed}): its \
             baseline is missing, so B is the database's own schema plus the {} migration(s) it \
             has not applied",
            target.replayed
        ),
        None => format!(
            "B is the schema {} builds ({} migration(s) replayed on an empty in-memory database)",
            escape_path(dir),
            target.replayed
        ),
    };
    Ok((a, target.schema, Some(note)))
}

fn exit(d: &Diff) -> ExitCode {
    match d.is_empty() {
        true => ExitCode::SUCCESS,
        false => ExitCode::from(1),
    }
}

fn sql(args: &Args, a: &Schema, b: &Schema, d: &Diff) -> Result<ExitCode> {
    let Some(dir) = &args.out else {
        super::print_sql(&diff::sql::script(a, b, d)?);
        return Ok(exit(d));
    };
    if d.is_empty() {
        super::print_text("no differences: no migration written\n");
        return Ok(exit(d));
    }
    let body = diff::sql::migration(a, b, d)?;
    let written = migrate::new::create(dir, "schema_diff", SystemTime::now(), Some(&body))?;
    let mut out = String::new();
    for path in written {
        put(&mut out, &format!("created {}", escape_path(&path)));
    }
    super::print_text(&out);
    Ok(exit(d))
}

fn header(args: &Args, note: Option<&str>) -> String {
    let b = match (&args.b, &args.migrations) {
        (Some(b), _) => escape_path(b),
        (None, Some(dir)) => format!("migrations in {}", escape_path(dir)),
        (None, None) => String::new(),
    };
    let mut out = format!("A: {}\nB: {b}\n", escape_path(&args.a));
    if let Some(note) = note {
        put(&mut out, &format!("note: {note}"));
    }
    out
}

/// The diff as text: objects on one side only, then each changed object's facts.
pub fn render(d: &Diff) -> String {
    let mut out = String::new();
    for (title, objects) in [("only in A", &d.only_in_a), ("only in B", &d.only_in_b)] {
        if !objects.is_empty() {
            let _ = writeln!(out, "\n{title}:");
        }
        for o in objects {
            put(&mut out, &format!("  {} {}", o.kind.label(), o.name));
        }
    }
    if !d.changed.is_empty() {
        let _ = writeln!(out, "\nchanged:");
    }
    for c in &d.changed {
        put(&mut out, &format!("  {} {}", c.kind.label(), c.name));
        for change in &c.changes {
            put(&mut out, &format!("    {}", change_line(change)));
        }
    }
    let count = d.only_in_a.len() + d.only_in_b.len() + d.changed.len();
    let _ = match count {
        0 => writeln!(out, "\nno differences"),
        1 => writeln!(out, "\n1 object differs"),
        n => writeln!(out, "\n{n} objects differ"),
    };
    out
}

fn change_line(c: &Change) -> String {
    let one = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    match (&c.a, &c.b) {
        (Some(a), Some(b)) => format!("{}: {} -> {}", c.what, one(a), one(b)),
        (Some(a), None) => format!("{}: only in A ({})", c.what, one(a)),
        (None, Some(b)) => format!("{}: only in B ({})", c.what, one(b)),
        (None, None) => c.what.clone(),
    }
}
