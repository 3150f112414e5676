//! SQL syntax colouring: a small tokenizer for keywords, strings, numbers and comments.
//!
//! It only colours; it never decides what a statement is (SQLite's own parser does that).

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::ui::theme::Theme;

const KEYWORDS: &[&str] = &[
    "ABORT",
    "ACTION",
    "ADD",
    "AFTER",
    "ALL",
    "ALTER",
    "ALWAYS",
    "ANALYZE",
    "AND",
    "AS",
    "ASC",
    "ATTACH",
    "AUTOINCREMENT",
    "BEFORE",
    "BEGIN",
    "BETWEEN",
    "BY",
    "CASCADE",
    "CASE",
    "CAST",
    "CHECK",
    "COLLATE",
    "COLUMN",
    "COMMIT",
    "CONFLICT",
    "CONSTRAINT",
    "CREATE",
    "CROSS",
    "CURRENT_DATE",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "DEFAULT",
    "DEFERRABLE",
    "DEFERRED",
    "DELETE",
    "DESC",
    "DETACH",
    "DISTINCT",
    "DO",
    "DROP",
    "EACH",
    "ELSE",
    "END",
    "ESCAPE",
    "EXCEPT",
    "EXCLUSIVE",
    "EXISTS",
    "EXPLAIN",
    "FAIL",
    "FILTER",
    "FOR",
    "FOREIGN",
    "FROM",
    "FULL",
    "GENERATED",
    "GLOB",
    "GROUP",
    "HAVING",
    "IF",
    "IGNORE",
    "IMMEDIATE",
    "IN",
    "INDEX",
    "INDEXED",
    "INITIALLY",
    "INNER",
    "INSERT",
    "INSTEAD",
    "INTERSECT",
    "INTO",
    "IS",
    "ISNULL",
    "JOIN",
    "KEY",
    "LEFT",
    "LIKE",
    "LIMIT",
    "MATCH",
    "MATERIALIZED",
    "NATURAL",
    "NO",
    "NOT",
    "NOTHING",
    "NOTNULL",
    "NULL",
    "NULLS",
    "OF",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "OUTER",
    "OVER",
    "PARTITION",
    "PLAN",
    "PRAGMA",
    "PRIMARY",
    "QUERY",
    "RAISE",
    "RECURSIVE",
    "REFERENCES",
    "REGEXP",
    "REINDEX",
    "RELEASE",
    "RENAME",
    "REPLACE",
    "RESTRICT",
    "RETURNING",
    "RIGHT",
    "ROLLBACK",
    "ROW",
    "ROWID",
    "ROWS",
    "SAVEPOINT",
    "SELECT",
    "SET",
    "STRICT",
    "TABLE",
    "TEMP",
    "TEMPORARY",
    "THEN",
    "TO",
    "TRANSACTION",
    "TRIGGER",
    "UNION",
    "UNIQUE",
    "UPDATE",
    "USING",
    "VACUUM",
    "VALUES",
    "VIEW",
    "VIRTUAL",
    "WHEN",
    "WHERE",
    "WINDOW",
    "WITH",
    "WITHOUT",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Plain,
    Keyword,
    String,
    Number,
    Comment,
}

/// True for an SQL keyword, in any case.
pub fn is_keyword(word: &str) -> bool {
    KEYWORDS
        .binary_search(&word.to_ascii_uppercase().as_str())
        .is_ok()
}

/// Every keyword the colouring knows, in upper case and sorted.
pub fn keywords() -> &'static [&'static str] {
    KEYWORDS
}

/// Splits one line into runs of a kind; `in_comment` carries an open `/* … */` across lines.
pub fn tokens(line: &str, in_comment: &mut bool) -> Vec<(Kind, String)> {
    let chars: Vec<char> = line.chars().collect();
    let mut out: Vec<(Kind, String)> = Vec::new();
    let mut i = 0;
    let mut push = |kind, text: String| match out.last_mut() {
        Some((k, t)) if *k == kind => t.push_str(&text),
        _ => out.push((kind, text)),
    };
    while i < chars.len() {
        let rest: String = chars[i..].iter().collect();
        let start = i;
        let kind = if *in_comment {
            match rest.find("*/") {
                Some(end) => {
                    i += rest[..end].chars().count() + 2;
                    *in_comment = false;
                }
                None => i = chars.len(),
            }
            Kind::Comment
        } else if rest.starts_with("--") {
            i = chars.len();
            Kind::Comment
        } else if rest.starts_with("/*") {
            *in_comment = true;
            i += 2;
            continue_comment(&chars, &mut i, in_comment);
            Kind::Comment
        } else if chars[i] == '\'' {
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            i = (i + 1).min(chars.len());
            Kind::String
        } else if chars[i].is_ascii_digit() {
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                i += 1;
            }
            Kind::Number
        } else if chars[i].is_alphabetic() || chars[i] == '_' {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            if is_keyword(&word) {
                Kind::Keyword
            } else {
                Kind::Plain
            }
        } else if chars[i] == '"' || chars[i] == '`' || chars[i] == '[' {
            let close = if chars[i] == '[' { ']' } else { chars[i] };
            i += 1;
            while i < chars.len() && chars[i] != close {
                i += 1;
            }
            i = (i + 1).min(chars.len());
            Kind::Plain
        } else {
            i += 1;
            Kind::Plain
        };
        push(kind, chars[start..i].iter().collect());
    }
    out
}

fn continue_comment(chars: &[char], i: &mut usize, in_comment: &mut bool) {
    while *i < chars.len() {
        if chars[*i] == '*' && chars.get(*i + 1) == Some(&'/') {
            *i += 2;
            *in_comment = false;
            return;
        }
        *i += 1;
    }
}

pub fn style(kind: Kind, theme: &Theme) -> Style {
    match kind {
        Kind::Plain => theme.text,
        Kind::Keyword => theme.keyword,
        Kind::String => theme.string,
        Kind::Number => theme.number,
        Kind::Comment => theme.comment,
    }
}

/// Coloured lines of a whole SQL text.
pub fn highlight(text: &str, theme: &Theme) -> Vec<Line<'static>> {
    let mut in_comment = false;
    text.lines()
        .map(|l| {
            Line::from(
                tokens(l, &mut in_comment)
                    .into_iter()
                    .map(|(k, t)| Span::styled(t, style(k, theme)))
                    .collect::<Vec<_>>(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_sorted_for_binary_search() {
        assert!(KEYWORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn colours_keywords_strings_numbers_and_comments() {
        let mut c = false;
        let t = tokens("select 'a--b', 42 from \"t\" -- note", &mut c);
        let kinds: Vec<Kind> = t.iter().map(|(k, _)| *k).collect();
        assert_eq!(t[0], (Kind::Keyword, "select".into()));
        assert!(t.contains(&(Kind::String, "'a--b'".into())));
        assert!(t.contains(&(Kind::Number, "42".into())));
        assert_eq!(t.last().unwrap(), &(Kind::Comment, "-- note".into()));
        assert!(kinds.contains(&Kind::Keyword));
        let mut open = false;
        assert_eq!(tokens("a /* x", &mut open).last().unwrap().0, Kind::Comment);
        assert!(open);
        assert_eq!(
            tokens("y */ b", &mut open)[0],
            (Kind::Comment, "y */".into())
        );
        assert!(!open);
    }
}
