//! The SQL that turns side A's schema into side B's, safe to run as printed: one transaction
//! with foreign keys off (so that dropping a parent does not cascade), stopped at the first
//! error with nothing changed (`.bail on` in the `sqlite3` shell).
//!
//! A table changes by `ALTER TABLE` where SQLite allows it, and otherwise by the documented
//! table rebuild ([`rebuild::steps`], the one the fixes use); a column the diff reads as renamed
//! is renamed first (`RENAME COLUMN`) in either case, so that its values are kept:
//! - `ADD COLUMN` when the column is no key, not UNIQUE, its default is a constant, and NOT NULL
//!   comes with a default (<https://www.sqlite.org/lang_altertable.html#alter_table_add_column>);
//! - `DROP COLUMN` when the column is in no key, UNIQUE, index, CHECK or foreign key, and no view
//!   or trigger that stays names the table (SQLite re-reads the whole schema on a drop, so every
//!   view must compile too);
//! - the rebuild for everything else (a type, NOT NULL, default, collation, CHECK, key or order
//!   change), which keeps rows and rowids, recreates B's indexes of the table and checks new
//!   foreign keys before committing.
//!
//! Views and triggers that change are dropped first and created last, from B's text; indexes
//! likewise. Objects with names that are not UTF-8 are refused, since SQL cannot name them.

use std::collections::HashSet;

use anyhow::{bail, Result};

use super::{normal, ordinary, Change, Column, Diff, Kind};
use crate::engine::quote::ident;
use crate::engine::rebuild::{self, NewKey};
use crate::engine::schema::{definition, Definition, Schema, Table};

/// Columns renamed, from the first name to the second.
type Renames = Vec<(String, String)>;

/// How one changed table is brought to B's definition. Renamed columns are renamed first
/// (`RENAME COLUMN`, which keeps their values and rewrites what names them), in either plan.
enum Plan<'s> {
    Alter {
        table: &'s Table,
        renames: Renames,
        add: Vec<String>,
        drop: Vec<String>,
    },
    Rebuild {
        a: &'s Table,
        b: &'s Table,
        renames: Renames,
    },
    /// A virtual table: dropped and created again (its module owns its rows).
    Recreate { a: &'s Table, b: &'s Table },
}

/// The script for the `sqlite3` shell: `sqlite3 A.db < diff.sql`.
pub fn script(a: &Schema, b: &Schema, diff: &Diff) -> Result<String> {
    let mut out = vec![
        "-- litescope diff: the SQL that turns schema A into schema B.".to_string(),
        "-- Run it with the sqlite3 shell on A: sqlite3 A.db < diff.sql. Stop every program that"
            .into(),
        "-- writes to the database first, and take a backup. `.bail on` stops the shell at the first"
            .into(),
        "-- error; the transaction is then rolled back and the file left as it was. Another client"
            .into(),
        "-- must turn foreign keys off before BEGIN and stop at the first error the same way.".into(),
        ".bail on".into(),
        "PRAGMA foreign_keys = OFF;".into(),
        "BEGIN IMMEDIATE;".into(),
    ];
    out.extend(statements(a, b, diff)?);
    out.push("COMMIT;".into());
    out.push("PRAGMA foreign_keys = ON;".into());
    Ok(out.join("\n") + "\n")
}

/// The body of a migration file: the tool runs it in its own transaction, so no `BEGIN`,
/// `COMMIT` or shell command; foreign keys go off first (litescope's runner and most tools run
/// leading pragmas before their transaction; inside one, SQLite ignores it).
pub fn migration(a: &Schema, b: &Schema, diff: &Diff) -> Result<String> {
    let mut out = vec![
        "-- litescope diff: turns the database's schema into the target schema.".to_string(),
        "-- foreign_keys must be off while tables are rebuilt; SQLite ignores the pragma inside a"
            .into(),
        "-- transaction, so run this where the tool applies leading pragmas before its own.".into(),
        "PRAGMA foreign_keys = OFF;".into(),
    ];
    out.extend(statements(a, b, diff)?);
    Ok(out.join("\n"))
}

/// The statements between `BEGIN` and `COMMIT`, in an order that works: drop what goes or
/// changes, create tables, alter and rebuild, then create indexes, views and triggers.
pub fn statements(a: &Schema, b: &Schema, diff: &Diff) -> Result<Vec<String>> {
    refuse_unnamable(a, b, diff)?;
    let plans = plans(a, b, diff);
    let rebuilt: HashSet<String> = plans
        .iter()
        .filter_map(|p| match p {
            Plan::Rebuild { a, .. } | Plan::Recreate { a, .. } => {
                Some(a.name.to_ascii_lowercase().into())
            }
            Plan::Alter { .. } => None,
        })
        .collect();
    let goes = |kind: Kind, name: &str| {
        diff.only_in_a
            .iter()
            .any(|o| o.kind == kind && o.name.eq_ignore_ascii_case(name))
            || diff.changed(kind, name).is_some()
    };
    let comes = |kind: Kind, name: &str| {
        diff.only_in_b
            .iter()
            .any(|o| o.kind == kind && o.name.eq_ignore_ascii_case(name))
            || diff.changed(kind, name).is_some()
    };
    let mut out = Vec::new();
    for t in a.triggers.iter().filter(|t| goes(Kind::Trigger, &t.name)) {
        out.push(format!("DROP TRIGGER {};", ident(&t.name)));
    }
    for v in a.views.iter().filter(|v| goes(Kind::View, &v.name)) {
        out.push(format!("DROP VIEW {};", ident(&v.name)));
    }
    for i in a.indexes.iter().filter(|i| i.origin == "created") {
        if goes(Kind::Index, &i.name) {
            out.push(format!("DROP INDEX {};", ident(&i.name)));
        }
    }
    for t in a.tables.iter().filter(|t| goes(Kind::Table, &t.name)) {
        if diff.changed(Kind::Table, &t.name).is_none() {
            out.push(format!("DROP TABLE {};", ident(&t.name)));
        }
    }
    for t in b.tables.iter().filter(|t| comes(Kind::Table, &t.name)) {
        if diff.changed(Kind::Table, &t.name).is_none() {
            out.push(format!("{};", t.sql.as_deref().unwrap_or_default()));
        }
    }
    let context = rebuild_context(a, b, &rebuilt);
    for plan in &plans {
        out.extend(apply(&context, plan)?);
    }
    let created_by_rebuild = |table: &str| rebuilt.contains(&table.to_ascii_lowercase());
    for i in b.indexes.iter().filter(|i| i.origin == "created") {
        if comes(Kind::Index, &i.name) && !created_by_rebuild(&i.table) {
            out.push(format!("{};", i.sql.as_deref().unwrap_or_default()));
        }
    }
    for v in b.views.iter().filter(|v| comes(Kind::View, &v.name)) {
        out.push(format!("{};", v.sql));
    }
    for t in &b.triggers {
        if comes(Kind::Trigger, &t.name) || created_by_rebuild(&t.table) {
            out.push(format!("{};", t.sql));
        }
    }
    Ok(out)
}

fn refuse_unnamable(a: &Schema, b: &Schema, diff: &Diff) -> Result<()> {
    let named = diff
        .only_in_a
        .iter()
        .chain(&diff.only_in_b)
        .map(|o| &o.name)
        .chain(diff.changed.iter().map(|c| &c.name));
    for name in named {
        let bad = [a, b].iter().any(|s| !s.queryable(name));
        if bad {
            bail!("{name}: its name is not UTF-8, so no SQL can name it");
        }
    }
    Ok(())
}

/// The plan of every changed table, in B's order.
fn plans<'s>(a: &'s Schema, b: &'s Schema, diff: &Diff) -> Vec<Plan<'s>> {
    let mut out = Vec::new();
    for tb in &b.tables {
        let (Some(changed), Some(ta)) = (diff.changed(Kind::Table, &tb.name), a.table(&tb.name))
        else {
            continue;
        };
        let renames: Renames = changed
            .changes
            .iter()
            .filter_map(|c| match &c.column {
                Some(Column::Renamed(old, new)) => Some((old.clone(), new.clone())),
                _ => None,
            })
            .collect();
        let plan = match (ordinary(ta), ordinary(tb)) {
            (true, true) => {
                alter(a, diff, ta, tb, &changed.changes, &renames).unwrap_or(Plan::Rebuild {
                    a: ta,
                    b: tb,
                    renames,
                })
            }
            _ => Plan::Recreate { a: ta, b: tb },
        };
        out.push(plan);
    }
    out
}

/// An `ALTER TABLE` plan, when every change is a column that SQLite can add or drop.
fn alter<'s>(
    a: &Schema,
    diff: &Diff,
    ta: &'s Table,
    tb: &Table,
    changes: &[Change],
    renames: &Renames,
) -> Option<Plan<'s>> {
    let da = definition(ta.sql.as_deref()?)?;
    let db = definition(tb.sql.as_deref()?)?;
    let (mut add, mut drop) = (Vec::new(), Vec::new());
    for change in changes {
        match &change.column {
            Some(Column::Added(col)) => add.push(addable(tb, &db, col)?),
            Some(Column::Dropped(col)) => drop.push(droppable(a, diff, ta, &da, col)?),
            Some(Column::Renamed(..)) => {}
            None if comes_with_added_column(change, &db, changes) => {}
            None => return None,
        }
    }
    Some(Plan::Alter {
        table: ta,
        renames: renames.clone(),
        add,
        drop,
    })
}

/// A foreign key added by the `REFERENCES` of a column being added: `ADD COLUMN` brings it.
fn comes_with_added_column(change: &Change, db: &Definition, changes: &[Change]) -> bool {
    changes.iter().any(|c| {
        let Some(Column::Added(col)) = &c.column else {
            return false;
        };
        change.what == format!("foreign key ({col})")
            && db.column(col).is_some_and(|x| x.references)
    })
}

/// The column's definition for `ADD COLUMN`, when SQLite allows adding it.
fn addable(tb: &Table, db: &Definition, col: &str) -> Option<String> {
    let c = tb.column(col)?;
    let text = db.column(col)?;
    let null_default = c
        .default
        .as_deref()
        .is_none_or(|d| d.eq_ignore_ascii_case("NULL"));
    let refused = c.pk > 0 || text.unique || text.default_varies || (c.notnull && null_default);
    (!refused).then(|| text.text.clone())
}

/// The column's name for `DROP COLUMN`, when SQLite will drop it (see the module docs).
fn droppable(a: &Schema, diff: &Diff, ta: &Table, da: &Definition, col: &str) -> Option<String> {
    let c = ta.column(col)?;
    let text = da.column(col)?;
    let lower = col.to_ascii_lowercase();
    let in_key = c.pk > 0 || text.unique || text.references;
    let indexed = a
        .indexes_of(&ta.name)
        .any(|i| i.origin != "created" && i.columns.iter().any(|k| k.eq_ignore_ascii_case(col)));
    let checked = da
        .checks
        .iter()
        .chain(da.columns.iter().flat_map(|c| &c.checks))
        .any(|check| check.contains(&lower));
    let in_fk = ta
        .foreign_keys
        .iter()
        .any(|fk| fk.columns.iter().any(|k| k.eq_ignore_ascii_case(col)));
    let table = ta.name.to_ascii_lowercase().to_string();
    let stays = |kind: Kind, name: &str| {
        !diff
            .only_in_a
            .iter()
            .any(|o| o.kind == kind && o.name.eq_ignore_ascii_case(name))
            && diff.changed(kind, name).is_none()
    };
    let named_by_other = a
        .views
        .iter()
        .filter(|v| stays(Kind::View, &v.name))
        .any(|v| !v.ok || normal(&v.sql).contains(&table))
        || a.triggers
            .iter()
            .filter(|t| stays(Kind::Trigger, &t.name))
            .any(|t| normal(&t.sql).contains(&table));
    let refused = in_key || indexed || checked || in_fk || named_by_other;
    (!refused).then(|| c.name.to_string())
}

/// The schema the rebuilds read: A's, with B's indexes on the tables being rebuilt (the rebuild
/// recreates its table's indexes from it) and no triggers (B's are created after every table is
/// in place).
fn rebuild_context(a: &Schema, b: &Schema, rebuilt: &HashSet<String>) -> Schema {
    if rebuilt.is_empty() {
        return Schema::default();
    }
    let on_rebuilt = |table: &str| rebuilt.contains(&table.to_ascii_lowercase());
    let indexes = a
        .indexes
        .iter()
        .filter(|i| !on_rebuilt(&i.table))
        .chain(b.indexes.iter().filter(|i| on_rebuilt(&i.table)))
        .cloned()
        .collect();
    Schema::new(a.tables.clone(), indexes, a.views.clone(), Vec::new())
}

fn apply(context: &Schema, plan: &Plan) -> Result<Vec<String>> {
    Ok(match plan {
        Plan::Alter {
            table,
            renames,
            add,
            drop,
        } => {
            let name = ident(&table.name);
            let adds = add
                .iter()
                .map(|text| format!("ALTER TABLE {name} ADD COLUMN {text};"));
            let drops = drop
                .iter()
                .map(|col| format!("ALTER TABLE {name} DROP COLUMN {};", ident(col)));
            rename_statements(table, renames)
                .chain(adds)
                .chain(drops)
                .collect()
        }
        Plan::Rebuild {
            a: ta,
            b: tb,
            renames,
        } => rename_statements(ta, renames)
            .chain(rebuild_steps(context, ta, tb, renames)?)
            .collect(),
        Plan::Recreate { a: ta, b: tb } => vec![
            format!(
                "-- {}: a virtual table is dropped and created again; its rows are not kept.",
                rebuild::comment(&ta.name)
            ),
            format!("DROP TABLE {};", ident(&ta.name)),
            format!("{};", tb.sql.as_deref().unwrap_or_default()),
        ],
    })
}

fn rename_statements<'a>(
    table: &'a Table,
    renames: &'a Renames,
) -> impl Iterator<Item = String> + 'a {
    renames.iter().map(move |(old, new)| {
        format!(
            "ALTER TABLE {} RENAME COLUMN {} TO {};",
            ident(&table.name),
            ident(old),
            ident(new)
        )
    })
}

/// The rebuild of `ta` into `tb`, after `renames` have run: the copy goes through the new names.
fn rebuild_steps(
    context: &Schema,
    ta: &Table,
    tb: &Table,
    renames: &Renames,
) -> Result<Vec<String>> {
    let Some(create) = tb.sql.as_deref() else {
        bail!("{}: side B has no CREATE TABLE text", tb.name);
    };
    let mut table = ta.clone();
    // A table that becomes WITHOUT ROWID has no rowid to copy into.
    table.without_rowid |= tb.without_rowid;
    for (old, new) in renames {
        let column = table
            .columns
            .iter_mut()
            .find(|c| c.name.eq_ignore_ascii_case(old));
        if let Some(c) = column {
            c.name = new.into();
        }
    }
    let dropped: Vec<String> = table
        .columns
        .iter()
        .filter(|c| tb.column(&c.name).is_none())
        .map(|c| c.name.to_string())
        .collect();
    let new_keys: Vec<NewKey> = tb
        .foreign_keys
        .iter()
        .filter(|fb| !ta.foreign_keys.contains(fb))
        .map(NewKey::from)
        .collect();
    rebuild::steps(context, &table, create, &dropped, &new_keys)
}
