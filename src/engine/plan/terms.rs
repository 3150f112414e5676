//! The column terms of a statement, per table it reads: which columns are compared for
//! equality, which by a range, and which order the result. These are what an index can serve,
//! and the advisor builds its candidates from them.
//!
//! This reads tokens (see [`lexer`]), not a syntax tree: SQLite has no parser to borrow, and the
//! planner is the judge anyway. A term read wrongly only yields a candidate the planner does not
//! use, which the advisor then drops; a term missed only yields no suggestion.

use super::copy::Copy;
use crate::engine::lexer::{self, name};

/// A table the statement reads, with its terms.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Source {
    /// The table, as the schema spells it.
    pub table: String,
    pub alias: Option<String>,
    /// Columns compared with `=`, `IS` or `IN`, in the order they appear.
    pub eq: Vec<String>,
    /// Columns compared with `<`, `>`, `BETWEEN`, `GLOB`.
    pub range: Vec<String>,
    /// Columns searched with `LIKE` (case-insensitive: only a NOCASE index serves it).
    pub like: Vec<String>,
    /// ORDER BY / GROUP BY columns and whether each is descending, when all are this table's.
    pub order: Vec<(String, bool)>,
}

impl Source {
    /// The names a plan may show for this table: its alias (3.36 on) and its own name.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.alias
            .as_deref()
            .into_iter()
            .chain([self.table.as_str()])
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Clause {
    Other,
    From,
    Set,
    Order,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Use {
    Eq,
    Range,
    Like,
    Order(bool),
}

/// Words that end a table reference: what follows a table is an alias unless it is one of these.
const NOT_ALIAS: &[&str] = &[
    "WHERE",
    "JOIN",
    "INNER",
    "LEFT",
    "RIGHT",
    "FULL",
    "CROSS",
    "NATURAL",
    "OUTER",
    "ON",
    "USING",
    "GROUP",
    "ORDER",
    "LIMIT",
    "HAVING",
    "WINDOW",
    "UNION",
    "EXCEPT",
    "INTERSECT",
    "SET",
    "INDEXED",
    "NOT",
    "RETURNING",
    "VALUES",
    "DEFAULT",
    "SELECT",
];

/// The tables `sql` reads that exist in `copy`, each with its terms.
pub fn read(sql: &str, copy: &Copy) -> Vec<Source> {
    let toks = lexer::texts(sql);
    let clause = clauses(&toks);
    let (mut sources, declared) = sources(&toks, &clause, copy);
    let mut orders: Vec<(usize, String, bool)> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let Some((found, column, end)) = reference(&toks, i, &declared, &sources, copy) else {
            i += 1;
            continue;
        };
        match use_of(&toks, i, end, clause[end]) {
            Some(Use::Eq) => push_new(&mut sources[found].eq, column),
            Some(Use::Range) => push_new(&mut sources[found].range, column),
            Some(Use::Like) => push_new(&mut sources[found].like, column),
            Some(Use::Order(desc)) => orders.push((found, column, desc)),
            None => {}
        }
        i = end + 1;
    }
    if let Some((first, ..)) = orders.first() {
        if orders.iter().all(|(s, ..)| s == first) {
            let first = *first;
            sources[first].order = orders.into_iter().map(|(_, c, d)| (c, d)).collect();
        }
    }
    for s in &mut sources {
        let eq = s.eq.clone();
        s.range.retain(|c| !eq.contains(c));
        s.like.retain(|c| !eq.contains(c));
    }
    sources
}

fn push_new(list: &mut Vec<String>, column: String) {
    if !list.contains(&column) {
        list.push(column);
    }
}

fn upper(toks: &[String], i: usize) -> String {
    toks.get(i)
        .map(|t| t.to_ascii_uppercase())
        .unwrap_or_default()
}

/// The clause each token belongs to, by parenthesis depth.
fn clauses(toks: &[String]) -> Vec<Clause> {
    let mut stack = vec![Clause::Other];
    let mut out = Vec::with_capacity(toks.len());
    for i in 0..toks.len() {
        let top = stack.last().copied().unwrap_or(Clause::Other);
        let next = match upper(toks, i).as_str() {
            "(" => {
                out.push(top);
                stack.push(Clause::Other);
                continue;
            }
            ")" => {
                stack.pop();
                out.push(stack.last().copied().unwrap_or(Clause::Other));
                continue;
            }
            "FROM" | "JOIN" | "UPDATE" | "INTO" => Clause::From,
            "SET" => Clause::Set,
            "ORDER" | "GROUP" if upper(toks, i + 1) == "BY" => Clause::Order,
            "WHERE" | "ON" | "USING" | "HAVING" | "LIMIT" | "SELECT" | "VALUES" | "UNION"
            | "EXCEPT" | "INTERSECT" | "WINDOW" | "RETURNING" => Clause::Other,
            _ => top,
        };
        if let Some(last) = stack.last_mut() {
            *last = next;
        }
        out.push(next);
    }
    out
}

/// The tables named after FROM, JOIN, UPDATE or a comma in a FROM clause, and the positions of
/// the tokens that declare them (so that an alias is not read as a column).
fn sources(toks: &[String], clause: &[Clause], copy: &Copy) -> (Vec<Source>, Vec<bool>) {
    let mut out = Vec::new();
    let mut declared = vec![false; toks.len()];
    for i in 1..toks.len() {
        let before = upper(toks, i - 1);
        let opens = matches!(before.as_str(), "FROM" | "JOIN" | "UPDATE" | "INTO")
            || (before == "," && clause[i - 1] == Clause::From);
        let Some(mut table) = name(&toks[i]).filter(|_| opens) else {
            continue;
        };
        let mut end = i;
        if toks.get(i + 1).is_some_and(|t| t == ".") {
            let Some(t) = toks.get(i + 2).and_then(|t| name(t)) else {
                continue;
            };
            (table, end) = (t, i + 2);
        }
        let Some(known) = copy
            .table(&table)
            .filter(|_| toks.get(end + 1).is_none_or(|t| t != "("))
        else {
            continue;
        };
        declared[i..=end].iter_mut().for_each(|d| *d = true);
        let mut at = end + 1;
        if upper(toks, at) == "AS" {
            declared[at] = true;
            at += 1;
        }
        let alias = toks
            .get(at)
            .and_then(|t| name(t))
            .filter(|a| !NOT_ALIAS.contains(&a.to_ascii_uppercase().as_str()));
        if alias.is_some() {
            declared[at] = true;
        }
        out.push(Source {
            table: known.name.clone(),
            alias,
            ..Source::default()
        });
    }
    (out, declared)
}

/// A column reference starting at token `i`: the source it belongs to, the column as the
/// schema spells it, and the reference's last token.
fn reference(
    toks: &[String],
    i: usize,
    declared: &[bool],
    sources: &[Source],
    copy: &Copy,
) -> Option<(usize, String, usize)> {
    if declared[i] || (i > 0 && toks[i - 1] == ".") {
        return None;
    }
    let first = name(&toks[i])?;
    let column_of = |s: &Source, col: &str| {
        let table = copy.table(&s.table)?;
        table
            .columns
            .iter()
            .find(|c| c.eq_ignore_ascii_case(col))
            .cloned()
    };
    if toks.get(i + 1).is_some_and(|t| t == ".") {
        let col = name(toks.get(i + 2)?)?;
        let found = sources
            .iter()
            .position(|s| s.names().any(|n| n.eq_ignore_ascii_case(&first)))?;
        return Some((found, column_of(&sources[found], &col)?, i + 2));
    }
    if toks.get(i + 1).is_some_and(|t| t == "(") {
        return None;
    }
    let mut owners = sources
        .iter()
        .enumerate()
        .filter_map(|(k, s)| column_of(s, &first).map(|c| (k, c)));
    let (found, col) = owners.next()?;
    // A bare name in several tables is ambiguous to SQLite too; leave it.
    owners.next().is_none().then_some((found, col, i))
}

/// How the reference spanning tokens `start..=end` is used.
fn use_of(toks: &[String], start: usize, end: usize, clause: Clause) -> Option<Use> {
    let (next, next2) = (upper(toks, end + 1), upper(toks, end + 2));
    let prev = |back: usize| {
        start
            .checked_sub(back)
            .map_or(String::new(), |j| upper(toks, j))
    };
    if clause == Clause::Set {
        return None;
    }
    match next.as_str() {
        "=" => return Some(Use::Eq),
        "<" if next2 == ">" => return None,
        "<" | ">" | "BETWEEN" | "GLOB" => return Some(Use::Range),
        "LIKE" => return Some(Use::Like),
        "IS" if next2 != "NOT" => return Some(Use::Eq),
        "IN" => return Some(Use::Eq),
        _ => {}
    }
    match (prev(1).as_str(), prev(2).as_str()) {
        ("=", "<" | ">") => return Some(Use::Range),
        ("=", "!") | (">", "<") => return None,
        ("=", _) => return Some(Use::Eq),
        ("<" | ">", _) => return Some(Use::Range),
        _ => {}
    }
    let ends_term = matches!(
        next.as_str(),
        "" | "," | "ASC" | "DESC" | "COLLATE" | "NULLS" | "LIMIT" | ")" | ";"
    );
    (clause == Clause::Order && ends_term).then_some(Use::Order(next == "DESC"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    fn copy() -> Copy {
        let db = Connection::open_in_memory().unwrap();
        db.execute_batch(
            "CREATE TABLE payment(payment_id INTEGER PRIMARY KEY, customer_id, amount, paid);
             CREATE TABLE customer(customer_id INTEGER PRIMARY KEY, name);
             CREATE TABLE \"film actor\"(\"actor id\", film_id);",
        )
        .unwrap();
        Copy::of(&db, &["payment customer \"film actor\""]).unwrap()
    }

    #[test]
    fn reads_join_terms_aliases_and_order() {
        let copy = copy();
        let sql = "SELECT * FROM payment p JOIN customer AS c ON p.customer_id = c.customer_id \
                   WHERE c.customer_id = ?1 AND p.amount > :min ORDER BY p.paid DESC";
        let got = read(sql, &copy);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].table, "payment");
        assert_eq!(got[0].alias.as_deref(), Some("p"));
        assert_eq!(got[0].eq, ["customer_id"]);
        assert_eq!(got[0].range, ["amount"]);
        assert_eq!(got[0].order, [("paid".to_string(), true)]);
        assert_eq!(got[1].alias.as_deref(), Some("c"));
        assert_eq!(got[1].eq, ["customer_id"]);
        assert!(got[1].order.is_empty());
    }

    #[test]
    fn quoted_names_reversed_comparisons_and_set_clauses() {
        let copy = copy();
        let got = read(
            "SELECT * FROM \"film actor\" WHERE 5 = \"actor id\" AND 3 <= film_id",
            &copy,
        );
        assert_eq!(got[0].eq, ["actor id"]);
        assert_eq!(got[0].range, ["film_id"]);
        let got = read(
            "UPDATE payment SET amount = 1 WHERE customer_id = $c",
            &copy,
        );
        assert_eq!(got[0].eq, ["customer_id"]);
        let got = read("SELECT * FROM payment WHERE amount <> 1", &copy);
        assert!(got[0].eq.is_empty() && got[0].range.is_empty());
    }
}
