//! `litescope inspect`: files, schema, sizes and settings, as text or JSON.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;

use super::put;

use crate::engine::database::{Database, Depth, Integrity};
use crate::engine::schema::{Index, Table};
use crate::engine::workspace::Workspace;
use crate::units;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Database files or folders.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Print JSON (the shape is fixed in the README).
    #[arg(long)]
    json: bool,
    /// Schema and estimated row counts only: skip the pass that measures sizes, exact counts and
    /// quick_check.
    #[arg(long)]
    fast: bool,
    /// Seconds each measuring pass may take per database before it falls back to estimates.
    #[arg(long, default_value_t = 30)]
    budget: u64,
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let depth = if args.fast {
        Depth::SCHEMA
    } else {
        Depth::full(Duration::from_secs(args.budget))
    };
    let ws = Workspace::open(&args.paths, depth)?;
    if args.json {
        super::print_json(&ws)?;
    } else if !ws.databases.is_empty() {
        super::print_text(&render(&ws));
    }
    if ws.databases.is_empty() {
        return Err(super::none_found(&args.paths));
    }
    // A file the user named that could not be inspected is a failed operation.
    let failures: Vec<String> = ws
        .databases
        .iter()
        .filter(|d| d.explicit)
        .filter_map(Database::failure_line)
        .collect();
    for line in &failures {
        super::print_failure(line);
    }
    Ok(if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// The text report of a whole workspace.
pub fn render(ws: &Workspace) -> String {
    let mut out = String::new();
    for db in &ws.databases {
        render_database(&mut out, db);
    }
    out
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map_or("?".into(), T::to_string)
}

fn render_database(out: &mut String, db: &Database) {
    put(
        out,
        &format!(
            "{}  [{}]  {}",
            db.path,
            db.status.label(),
            units::bytes(db.size_bytes)
        ),
    );
    if let Some(err) = &db.error {
        put(out, &format!("  ! {err}"));
    }
    if db.page_size.is_none() {
        out.push('\n');
        return;
    }
    let wal = db
        .wal_bytes
        .map_or(String::new(), |b| format!(" (-wal {})", units::bytes(b)));
    put(
        out,
        &format!(
            "  pages {} x {} ({} free) · journal {}{} · user_version {} · application_id {}",
            opt(&db.page_count),
            opt(&db.page_size),
            opt(&db.freelist_count),
            opt(&db.journal_mode),
            wal,
            opt(&db.user_version),
            opt(&db.application_id),
        ),
    );
    let integrity = match &db.integrity {
        Integrity::Ok => "ok".to_string(),
        Integrity::Problems(p) => units::counted(p.len() as u64, "problem"),
        Integrity::Unchecked(why) => format!("not checked ({why})"),
    };
    put(
        out,
        &format!(
            "  last written by SQLite {} · sqlite_stat1 {} · quick_check {}",
            opt(&db.sqlite_version_last_written),
            if db.has_stat1 { "yes" } else { "no" },
            integrity
        ),
    );
    for table in &db.schema.tables {
        render_table(out, table, db.schema.indexes_of(&table.name));
    }
    for view in &db.schema.views {
        let state = match (view.ok, view.error.as_deref()) {
            (false, e) => format!("BROKEN: {}", e.unwrap_or("does not compile")),
            (true, Some(note)) => format!("ok ({note})"),
            (true, None) => "ok".into(),
        };
        put(out, &format!("  view {}  {}", view.name, state));
    }
    for trigger in &db.schema.triggers {
        put(
            out,
            &format!("  trigger {} on {}", trigger.name, trigger.table),
        );
    }
    out.push('\n');
}

fn render_table<'a>(out: &mut String, t: &Table, indexes: impl Iterator<Item = &'a Index>) {
    let mut traits = vec![format!("{:?}", t.kind).to_lowercase()];
    traits.extend(t.module.as_ref().map(|m| format!("using {m}")));
    traits.extend(t.shadow_of.as_ref().map(|o| format!("of {o}")));
    traits.push(match (t.rows, t.rows_exact) {
        (Some(n), true) => units::counted(n, "row"),
        _ => format!("{} rows", units::rows(t.rows, t.rows_exact)),
    });
    traits.extend(t.bytes.map(units::bytes));
    traits.extend(t.without_rowid.then(|| "without rowid".to_string()));
    traits.extend(t.strict.then(|| "strict".to_string()));
    put(out, &format!("  table {}  ({})", t.name, traits.join(", ")));
    if let Some(err) = &t.error {
        put(out, &format!("    ! {err}"));
    }
    for c in &t.columns {
        let mut col = format!("    {} {}", c.name, c.decl_type);
        if c.pk > 0 {
            col.push_str(" PRIMARY KEY");
        }
        if c.notnull {
            col.push_str(" NOT NULL");
        }
        if let Some(d) = &c.default {
            let _ = write!(col, " DEFAULT {d}");
        }
        put(out, col.trim_end());
    }
    for fk in &t.foreign_keys {
        put(
            out,
            &format!(
                "    foreign key ({}) -> {}({}) on delete {} on update {}",
                fk.columns.join(", "),
                fk.parent,
                fk.parent_columns.join(", "),
                fk.on_delete,
                fk.on_update
            ),
        );
    }
    for i in indexes {
        let mut traits = vec![i.origin.to_string()];
        // A UNIQUE constraint's index has `unique` as its origin already.
        traits.extend((i.unique && i.origin != "unique").then(|| "unique".to_string()));
        traits.extend(i.partial.then(|| "partial".to_string()));
        traits.extend(i.expression.then(|| "expression".to_string()));
        traits.extend(i.bytes.map(units::bytes));
        put(
            out,
            &format!(
                "    index {} ({})  {}",
                i.name,
                i.columns.join(", "),
                traits.join(", ")
            ),
        );
    }
}
