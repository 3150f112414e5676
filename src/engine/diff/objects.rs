//! Indexes, views and triggers compared. An index by its table, key terms, uniqueness and
//! partial WHERE; a view or trigger by its text as SQLite reads it (spacing, comments, quoting
//! and keyword case aside). Indexes that constraints make (`sqlite_autoindex_…`) are compared
//! with their tables, as UNIQUE and PRIMARY KEY facts, since their names follow positions.

use super::{by_name, normal, Change, Changed, Diff, Kind, Object};
use crate::engine::schema::{Index, Schema};

pub(super) fn compare(a: &Schema, b: &Schema, diff: &mut Diff) {
    let (ia, ib) = (created(a), created(b));
    each(Kind::Index, &ia, &ib, diff, index_changes);
    let (va, vb) = (
        by_name(a.views.iter(), |v| &v.name),
        by_name(b.views.iter(), |v| &v.name),
    );
    each(Kind::View, &va, &vb, diff, |x, y| {
        text_change(&x.sql, &y.sql)
    });
    let (ta, tb) = (
        by_name(a.triggers.iter(), |t| &t.name),
        by_name(b.triggers.iter(), |t| &t.name),
    );
    each(Kind::Trigger, &ta, &tb, diff, |x, y| {
        text_change(&x.sql, &y.sql)
    });
}

/// The indexes a user created, by name.
fn created(s: &Schema) -> std::collections::HashMap<String, &Index> {
    by_name(s.indexes.iter().filter(|i| i.origin == "created"), |i| {
        &i.name
    })
}

/// Matches one kind of object by name and records what is on one side only or changed.
fn each<T: Named>(
    kind: Kind,
    a: &std::collections::HashMap<String, &T>,
    b: &std::collections::HashMap<String, &T>,
    diff: &mut Diff,
    changes: impl Fn(&T, &T) -> Vec<Change>,
) {
    let object = |t: &T| Object {
        kind,
        name: t.name().to_string(),
    };
    for (key, x) in a {
        match b.get(key) {
            None => diff.only_in_a.push(object(x)),
            Some(y) => {
                let changes = changes(x, y);
                if !changes.is_empty() {
                    diff.changed.push(Changed {
                        kind,
                        name: x.name().to_string(),
                        changes,
                    });
                }
            }
        }
    }
    let only_b = b.iter().filter(|(k, _)| !a.contains_key(*k));
    diff.only_in_b.extend(only_b.map(|(_, y)| object(y)));
}

trait Named {
    fn name(&self) -> &str;
}

impl Named for Index {
    fn name(&self) -> &str {
        &self.name
    }
}

impl Named for crate::engine::schema::View {
    fn name(&self) -> &str {
        &self.name
    }
}

impl Named for crate::engine::schema::Trigger {
    fn name(&self) -> &str {
        &self.name
    }
}

fn text_change(a: &str, b: &str) -> Vec<Change> {
    match normal(a) == normal(b) {
        true => Vec::new(),
        false => vec![Change::new(
            "definition",
            Some(a.to_string()),
            Some(b.to_string()),
        )],
    }
}

/// The key terms as written (with COLLATE and DESC) and the partial WHERE, read from the text.
fn terms(i: &Index) -> (String, Option<String>) {
    let text = normal(i.sql.as_deref().unwrap_or_default());
    let (head, filter) = match text.split_once(" where ") {
        Some((head, filter)) => (head.to_string(), Some(filter.to_string())),
        None => (text, None),
    };
    let key = head
        .split_once(" on ")
        .map_or(head.clone(), |(_, key)| key.to_string());
    (key, filter)
}

fn index_changes(a: &Index, b: &Index) -> Vec<Change> {
    let mut out = Vec::new();
    if !a.table.eq_ignore_ascii_case(&b.table) {
        out.push(Change::new(
            "table",
            Some(a.table.to_string()),
            Some(b.table.to_string()),
        ));
    }
    let ((ka, wa), (kb, wb)) = (terms(a), terms(b));
    if a.table.eq_ignore_ascii_case(&b.table) && ka != kb {
        out.push(Change::new("columns", Some(ka), Some(kb)));
    }
    if a.unique != b.unique {
        out.push(Change::new(
            "unique",
            Some(a.unique.to_string()),
            Some(b.unique.to_string()),
        ));
    }
    if wa != wb {
        out.push(Change::new("where", wa, wb));
    }
    out
}
