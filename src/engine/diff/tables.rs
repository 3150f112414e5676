//! Tables compared fact by fact: columns added and dropped; each common column's type, NOT NULL,
//! default, collation and CHECKs; the primary key, the order of the common columns, foreign
//! keys, UNIQUE constraints, table CHECKs, WITHOUT ROWID and STRICT.
//!
//! Collation and CHECKs come from the CREATE TABLE text ([`definition`]); where that text is
//! beyond the reader (generated columns, quoted type names) and nothing else differs, the two
//! texts are compared as SQLite reads them, so that no difference goes unseen.

use super::{by_name, compared, normal, ordinary, Change, Changed, Column, Diff, Kind, Object};
use crate::engine::schema::{definition, Definition, ForeignKey, Schema, Table};

pub(super) fn compare(a: &Schema, b: &Schema, diff: &mut Diff) {
    let a_tables = by_name(a.tables.iter().filter(|t| compared(t)), |t| &t.name);
    let b_tables = by_name(b.tables.iter().filter(|t| compared(t)), |t| &t.name);
    for (key, ta) in &a_tables {
        match b_tables.get(key) {
            None => diff.only_in_a.push(object(ta)),
            Some(tb) => {
                let changes = table_changes(a, b, ta, tb);
                if !changes.is_empty() {
                    diff.changed.push(Changed {
                        kind: Kind::Table,
                        name: ta.name.to_string(),
                        changes,
                    });
                }
            }
        }
    }
    let only_b = b_tables.iter().filter(|(k, _)| !a_tables.contains_key(*k));
    diff.only_in_b.extend(only_b.map(|(_, t)| object(t)));
}

fn object(t: &Table) -> Object {
    Object {
        kind: Kind::Table,
        name: t.name.to_string(),
    }
}

fn text_of(t: &Table) -> Option<String> {
    t.sql.as_deref().map(str::to_string)
}

/// Everything that differs between one table's two versions.
pub(super) fn table_changes(a: &Schema, b: &Schema, ta: &Table, tb: &Table) -> Vec<Change> {
    let text = |t: &Table| t.sql.as_deref().map(normal);
    if !ordinary(ta) || !ordinary(tb) {
        return match text(ta) == text(tb) {
            true => Vec::new(),
            false => vec![Change::new("definition", text_of(ta), text_of(tb))],
        };
    }
    let da = ta.sql.as_deref().and_then(definition);
    let db = tb.sql.as_deref().and_then(definition);
    let mut out = Vec::new();
    columns(ta, tb, da.as_ref(), db.as_ref(), &mut out);
    keys(a, b, ta, tb, &mut out);
    if let (Some(da), Some(db)) = (&da, &db) {
        sets("check", &da.checks, &db.checks, &mut out);
    }
    flag(
        "without rowid",
        ta.without_rowid,
        tb.without_rowid,
        &mut out,
    );
    flag("strict", ta.strict, tb.strict, &mut out);
    let unread = da.is_none() || db.is_none();
    if out.is_empty() && unread && text(ta) != text(tb) {
        out.push(Change::new("definition", text_of(ta), text_of(tb)));
    }
    out
}

/// A column as its side declares it: its text where read, else name and type.
fn shown(t: &Table, d: Option<&Definition>, name: &str) -> Option<String> {
    let text = d.and_then(|d| d.column(name)).map(|c| c.text.clone());
    text.or_else(|| {
        t.column(name)
            .map(|c| format!("{} {}", c.name, c.decl_type))
    })
}

fn columns(
    ta: &Table,
    tb: &Table,
    da: Option<&Definition>,
    db: Option<&Definition>,
    out: &mut Vec<Change>,
) {
    for ca in &ta.columns {
        let Some(cb) = tb.column(&ca.name) else {
            let mut c = Change::new(format!("column {}", ca.name), shown(ta, da, &ca.name), None);
            c.column = Some(Column::Dropped(ca.name.to_string()));
            out.push(c);
            continue;
        };
        let what = |fact: &str| format!("column {} {fact}", ca.name);
        if squash(&ca.decl_type) != squash(&cb.decl_type) {
            out.push(Change::new(
                what("type"),
                Some(ca.decl_type.to_string()),
                Some(cb.decl_type.to_string()),
            ));
        }
        flag(&what("not null"), ca.notnull, cb.notnull, out);
        if ca.default.as_deref().map(normal) != cb.default.as_deref().map(normal) {
            out.push(Change::new(
                what("default"),
                ca.default.as_deref().map(String::from),
                cb.default.as_deref().map(String::from),
            ));
        }
        let (xa, xb) = (
            da.and_then(|d| d.column(&ca.name)),
            db.and_then(|d| d.column(&ca.name)),
        );
        if let (Some(xa), Some(xb)) = (xa, xb) {
            let lower = |c: &Option<String>| c.as_deref().map(str::to_ascii_lowercase);
            if lower(&xa.collation) != lower(&xb.collation) {
                out.push(Change::new(
                    what("collation"),
                    xa.collation.clone(),
                    xb.collation.clone(),
                ));
            }
            sets(&what("check"), &xa.checks, &xb.checks, out);
        }
    }
    for cb in tb.columns.iter().filter(|c| ta.column(&c.name).is_none()) {
        let mut c = Change::new(format!("column {}", cb.name), None, shown(tb, db, &cb.name));
        c.column = Some(Column::Added(cb.name.to_string()));
        out.push(c);
    }
    renamed(ta, tb, da, db, out);
    let common = |x: &Table, y: &Table| -> Vec<String> {
        x.columns
            .iter()
            .filter(|c| y.column(&c.name).is_some())
            .map(|c| c.name.to_ascii_lowercase().into())
            .collect()
    };
    let (oa, ob) = (common(ta, tb), common(tb, ta));
    if oa != ob {
        out.push(Change::new(
            "column order",
            Some(oa.join(", ")),
            Some(ob.join(", ")),
        ));
    }
}

/// One column dropped and one added at the same position with the same definition (type, NOT
/// NULL, default, key, collation, and no CHECK, whose text would name it) read as a rename, so
/// that its values are kept. Two or more such pairs stay drops and adds: which went where would
/// be a guess.
fn renamed(
    ta: &Table,
    tb: &Table,
    da: Option<&Definition>,
    db: Option<&Definition>,
    out: &mut Vec<Change>,
) {
    let at = |pick: fn(&Column) -> Option<&String>| {
        let found: Vec<usize> = (0..out.len())
            .filter(|&i| out[i].column.as_ref().and_then(pick).is_some())
            .collect();
        (found.len() == 1).then(|| found[0])
    };
    let (Some(i), Some(j)) = (
        at(|c| match c {
            Column::Dropped(n) => Some(n),
            _ => None,
        }),
        at(|c| match c {
            Column::Added(n) => Some(n),
            _ => None,
        }),
    ) else {
        return;
    };
    let (Some(Column::Dropped(old)), Some(Column::Added(new))) = (&out[i].column, &out[j].column)
    else {
        return;
    };
    let place = |t: &Table, n: &str| {
        t.columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(n))
    };
    let (Some(ca), Some(cb)) = (ta.column(old), tb.column(new)) else {
        return;
    };
    let (Some(xa), Some(xb)) = (
        da.and_then(|d| d.column(old)),
        db.and_then(|d| d.column(new)),
    ) else {
        return;
    };
    let same = place(ta, old) == place(tb, new)
        && squash(&ca.decl_type) == squash(&cb.decl_type)
        && (ca.notnull, ca.pk, &ca.default) == (cb.notnull, cb.pk, &cb.default)
        && xa.collation.as_deref().map(str::to_ascii_lowercase)
            == xb.collation.as_deref().map(str::to_ascii_lowercase)
        && xa.checks.is_empty()
        && xb.checks.is_empty();
    if !same {
        return;
    }
    let mut change = Change::new(
        format!("column {old} renamed"),
        Some(old.clone()),
        Some(new.clone()),
    );
    change.column = Some(Column::Renamed(old.clone(), new.clone()));
    let (first, second) = (i.min(j), i.max(j));
    out.remove(second);
    out[first] = change;
}

/// The primary key, foreign keys and UNIQUE constraints.
fn keys(a: &Schema, b: &Schema, ta: &Table, tb: &Table, out: &mut Vec<Change>) {
    let pk = |t: &Table| t.primary_key().join(", ").to_ascii_lowercase();
    if pk(ta) != pk(tb) {
        let shown = |t: &Table| Some(t.primary_key().join(", ")).filter(|k| !k.is_empty());
        out.push(Change::new("primary key", shown(ta), shown(tb)));
    }
    foreign_keys(&ta.foreign_keys, &tb.foreign_keys, out);
    let unique = |s: &Schema, t: &Table| -> Vec<String> {
        s.indexes_of(&t.name)
            .filter(|i| i.origin == "unique")
            .map(|i| format!("({})", i.columns.join(", ")).to_ascii_lowercase())
            .collect()
    };
    sets("unique", &unique(a, ta), &unique(b, tb), out);
}

fn fk_text(fk: &ForeignKey) -> String {
    let mut text = format!("REFERENCES {}({})", fk.parent, fk.parent_columns.join(", "));
    for (on, action) in [("DELETE", &fk.on_delete), ("UPDATE", &fk.on_update)] {
        if !action.eq_ignore_ascii_case("NO ACTION") {
            text.push_str(&format!(" ON {on} {action}"));
        }
    }
    text
}

/// Foreign keys matched by their child columns: added, dropped, or pointing elsewhere.
fn foreign_keys(a: &[ForeignKey], b: &[ForeignKey], out: &mut Vec<Change>) {
    let cols = |fk: &ForeignKey| fk.columns.join(", ").to_ascii_lowercase();
    let same = |x: &ForeignKey, y: &ForeignKey| {
        cols(x) == cols(y) && fk_text(x).eq_ignore_ascii_case(&fk_text(y))
    };
    let what = |fk: &ForeignKey| format!("foreign key ({})", fk.columns.join(", "));
    for fa in a.iter().filter(|fa| !b.iter().any(|fb| same(fa, fb))) {
        let other = b
            .iter()
            .find(|fb| cols(fb) == cols(fa) && !a.iter().any(|x| same(x, fb)));
        out.push(Change::new(what(fa), Some(fk_text(fa)), other.map(fk_text)));
    }
    for fb in b.iter().filter(|fb| !a.iter().any(|fa| same(fa, fb))) {
        let paired = a
            .iter()
            .any(|fa| cols(fa) == cols(fb) && !b.iter().any(|x| same(fa, x)));
        if !paired {
            out.push(Change::new(what(fb), None, Some(fk_text(fb))));
        }
    }
}

/// Items of a set-like fact on one side only, one change each.
fn sets(what: &str, a: &[String], b: &[String], out: &mut Vec<Change>) {
    for x in a.iter().filter(|x| !b.contains(x)) {
        out.push(Change::new(what, Some(x.clone()), None));
    }
    for x in b.iter().filter(|x| !a.contains(x)) {
        out.push(Change::new(what, None, Some(x.clone())));
    }
}

fn flag(what: &str, a: bool, b: bool, out: &mut Vec<Change>) {
    if a != b {
        out.push(Change::new(what, Some(a.to_string()), Some(b.to_string())));
    }
}

/// A declared type as SQLite reads it: case and spacing do not matter.
fn squash(decl_type: &str) -> String {
    decl_type
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_uppercase()
}
