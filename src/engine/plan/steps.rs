//! What one plan row says, read loosely: which table it reads and whether the step costs.
//!
//! SQLite's wording changes between versions: before 3.36 a row read `SCAN TABLE payment AS p`
//! and `SEARCH TABLE t USING INDEX i (a=?)`, since then `SCAN p` and `SEARCH t USING INDEX i
//! (a=?)`, and names are printed raw (`SCAN film actor`). So this reads the leading words and
//! matches names the caller knows, rather than parsing whole lines; a row it does not know is a
//! plain step, never an error.

use serde::Serialize;

/// A step that makes a query cost more than its result: the marks shown beside a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cost {
    /// A table read from start to end, in rowid order or an index's: every row is visited.
    FullScan,
    /// A temporary B-tree built for ORDER BY, GROUP BY or DISTINCT: a sort per query.
    TempBtree,
    /// An index SQLite builds for this one query and throws away.
    AutomaticIndex,
    /// A subquery run again for every row of the outer query.
    Correlated,
    /// An OR served by several index lookups merged.
    MultiIndexOr,
}

impl Cost {
    pub fn label(self) -> &'static str {
        match self {
            Cost::FullScan => "full scan",
            Cost::TempBtree => "sort in a temp b-tree",
            Cost::AutomaticIndex => "automatic index built per query",
            Cost::Correlated => "runs once per outer row",
            Cost::MultiIndexOr => "OR over several indexes",
        }
    }
}

/// What the row `detail` costs, if anything.
pub fn cost(detail: &str) -> Option<Cost> {
    let upper = detail.to_ascii_uppercase();
    if upper.starts_with("USE TEMP B-TREE") {
        Some(Cost::TempBtree)
    } else if upper.contains("AUTOMATIC") && upper.contains("INDEX") {
        Some(Cost::AutomaticIndex)
    } else if upper.starts_with("CORRELATED ") {
        Some(Cost::Correlated)
    } else if upper.starts_with("MULTI-INDEX OR") {
        Some(Cost::MultiIndexOr)
    } else if is_full_scan(detail) {
        Some(Cost::FullScan)
    } else {
        None
    }
}

/// The text after `SCAN ` or `SEARCH ` (and the old `TABLE `): the name read and what follows.
fn read_part(detail: &str) -> Option<(bool, &str)> {
    let (scan, rest) = if let Some(rest) = detail.strip_prefix("SCAN ") {
        (true, rest)
    } else {
        (false, detail.strip_prefix("SEARCH ")?)
    };
    Some((scan, rest.strip_prefix("TABLE ").unwrap_or(rest)))
}

/// A SCAN of a table, through an index or not (`SCAN t USING INDEX i` still visits every row,
/// only in the index's order): not a virtual table, a constant row or a subquery's result.
fn is_full_scan(detail: &str) -> bool {
    let Some((true, rest)) = read_part(detail) else {
        return false;
    };
    !rest.contains("VIRTUAL TABLE")
        && !rest.starts_with("CONSTANT ROW")
        && !rest.starts_with('(')
        && !rest.starts_with("subquery")
}

/// Which of `names` (tables or aliases) the SCAN or SEARCH row `detail` reads; the longest that
/// fits, since names may hold spaces.
pub fn reads<'a>(detail: &str, names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let (_, rest) = read_part(detail)?;
    names
        .filter(|n| {
            rest.strip_prefix(*n)
                .is_some_and(|after| after.is_empty() || after.starts_with(' '))
        })
        .max_by_key(|n| n.len())
}

/// True when the row `detail` reads through the index `name`.
pub fn uses_index(detail: &str, name: &str) -> bool {
    let needle = format!("INDEX {name}");
    detail.match_indices(&needle).any(|(at, _)| {
        let after = &detail[at + needle.len()..];
        after.is_empty() || after.starts_with(' ')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_wordings_read_alike() {
        for (old, new) in [
            ("SCAN TABLE payment AS p", "SCAN p"),
            ("SCAN TABLE t", "SCAN t"),
        ] {
            assert_eq!(cost(old), Some(Cost::FullScan));
            assert_eq!(cost(new), Some(Cost::FullScan));
        }
        let names = ["payment", "p", "t"];
        assert_eq!(
            reads("SCAN TABLE payment AS p", names.into_iter()),
            Some("payment")
        );
        assert_eq!(reads("SCAN p", names.into_iter()), Some("p"));
        let old = "SEARCH TABLE t USING INDEX ta (a=?)";
        let new = "SEARCH t USING INDEX ta (a=?)";
        for detail in [old, new] {
            assert_eq!(cost(detail), None);
            assert_eq!(reads(detail, names.into_iter()), Some("t"));
            assert!(uses_index(detail, "ta"));
            assert!(!uses_index(detail, "t"));
        }
    }

    #[test]
    fn marks_what_costs_and_nothing_else() {
        let costly = [
            ("USE TEMP B-TREE FOR ORDER BY", Cost::TempBtree),
            ("USE TEMP B-TREE FOR GROUP BY", Cost::TempBtree),
            ("USE TEMP B-TREE FOR DISTINCT", Cost::TempBtree),
            (
                "SEARCH f USING AUTOMATIC COVERING INDEX (b=?)",
                Cost::AutomaticIndex,
            ),
            ("CORRELATED SCALAR SUBQUERY 2", Cost::Correlated),
            ("MULTI-INDEX OR", Cost::MultiIndexOr),
            ("SCAN film actor", Cost::FullScan),
            ("SCAN t USING INDEX tb", Cost::FullScan),
        ];
        for (detail, want) in costly {
            assert_eq!(cost(detail), Some(want), "{detail}");
        }
        for plain in [
            "SEARCH c USING INTEGER PRIMARY KEY (rowid=?)",
            "SCAN CONSTANT ROW",
            "SCAN (subquery-1)",
            "SCAN f VIRTUAL TABLE INDEX 0:",
            "SCALAR SUBQUERY 1",
        ] {
            assert_eq!(cost(plain), None, "{plain}");
        }
        let spaced = ["film actor", "film"];
        assert_eq!(
            reads(
                "SEARCH film actor USING INDEX i x (a=?)",
                spaced.into_iter()
            ),
            Some("film actor")
        );
        assert!(uses_index("SEARCH fa USING INDEX i x (a=?)", "i x"));
    }
}
