//! Reading and laying out SQL text from `sqlite_schema`: a virtual table's module, an index's
//! key terms, a CREATE TABLE one term per line. Quotes, brackets and nesting are respected; this
//! is not a parser, only what the model and the Schema panel need.

/// The module name after `USING` in a `CREATE VIRTUAL TABLE` statement.
pub(super) fn virtual_module(sql: &str) -> Option<String> {
    // Asked of every table of the schema: most are not virtual, and say so in 20 bytes.
    let head = sql.trim_start().get(..20)?;
    if !head.eq_ignore_ascii_case("CREATE VIRTUAL TABLE") {
        return None;
    }
    let upper = sql.to_ascii_uppercase();
    let at = upper.find(" USING ")? + " USING ".len();
    let module: String = sql[at..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    Some(module.to_ascii_lowercase())
}

/// The comma-separated terms inside the first parentheses after `ON table` in a CREATE INDEX.
pub(super) fn index_terms(sql: &str) -> Vec<String> {
    let upper = sql.to_ascii_uppercase();
    let Some(on) = upper.find(" ON ") else {
        return Vec::new();
    };
    let Some(open) = sql[on..].find('(').map(|i| on + i) else {
        return Vec::new();
    };
    split_top_level(&sql[open + 1..])
}

/// Splits at top-level commas up to the closing parenthesis, respecting quotes and nesting.
fn split_top_level(text: &str) -> Vec<String> {
    let (mut depth, mut quote, mut terms, mut cur) = (0, None, Vec::new(), String::new());
    for c in text.chars() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"' | '`') => quote = Some(c),
            (None, '[') => quote = Some(']'),
            (None, '(') => depth += 1,
            (None, ')') if depth == 0 => break,
            (None, ')') => depth -= 1,
            (None, ',') if depth == 0 => {
                terms.push(cur.trim().to_string());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    terms.push(cur.trim().to_string());
    terms
}

/// A CREATE statement laid out for reading: one column or constraint per line.
pub fn pretty_ddl(sql: &str) -> String {
    let (Some(open), Some(close)) = (sql.find('('), sql.rfind(')')) else {
        return sql.to_string();
    };
    let head = sql[..open].trim_end();
    if !head.to_ascii_uppercase().contains("TABLE") || close < open {
        return sql.to_string();
    }
    let terms = split_top_level(&sql[open + 1..close + 1]);
    let body: Vec<String> = terms.iter().map(|t| format!("  {t}")).collect();
    format!("{head} (\n{}\n){}", body.join(",\n"), &sql[close + 1..])
}

/// `(WITHOUT ROWID, STRICT)` from the table options that follow a CREATE TABLE's column list.
pub(super) fn table_options(sql: &str) -> (bool, bool) {
    let Some(end) = list_end(sql) else {
        return (false, false);
    };
    // Asked of every table: most have nothing after the column list, and need no more work.
    if !sql[end..].bytes().any(|b| b.is_ascii_alphabetic()) {
        return (false, false);
    }
    let tail = strip_comments(&sql[end..]).to_ascii_uppercase();
    let words: Vec<&str> = tail
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty())
        .collect();
    let without_rowid = words.windows(2).any(|w| w == ["WITHOUT", "ROWID"]);
    (without_rowid, words.contains(&"STRICT"))
}

/// The index just past the parenthesis that closes the first one, skipping quoted names, strings
/// and comments.
fn list_end(sql: &str) -> Option<usize> {
    let bytes = sql.as_bytes();
    let (mut depth, mut i) = (0usize, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'\'' | b'"' | b'`' => i = closing(bytes, i + 1, bytes[i])?,
            b'[' => i = closing(bytes, i + 1, b']')?,
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = sql[i..].find('\n').map_or(bytes.len(), |n| i + n)
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => i = sql[i + 2..].find("*/")? + i + 3,
            b'(' => depth += 1,
            b')' if depth == 1 => return Some(i + 1),
            b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// The index of the `quote` that ends a quoted run starting at `from` (a doubled quote is part of
/// the text).
pub(super) fn closing(bytes: &[u8], from: usize, quote: u8) -> Option<usize> {
    let mut i = from;
    while i < bytes.len() {
        if bytes[i] == quote {
            if quote != b']' && bytes.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return Some(i);
        }
        i += 1;
    }
    None
}

/// `text` without `--` and `/* */` comments.
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(['-', '/']) {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        if let Some(after) = from.strip_prefix("--") {
            rest = after.find('\n').map_or("", |n| &after[n..]);
        } else if let Some(after) = from.strip_prefix("/*") {
            rest = after.find("*/").map_or("", |n| &after[n + 2..]);
        } else {
            out.push_str(&from[..1]);
            rest = &from[1..];
        }
    }
    out + rest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_module_of_a_virtual_table() {
        assert_eq!(
            virtual_module("CREATE VIRTUAL TABLE t USING fts5(a, b)").as_deref(),
            Some("fts5")
        );
        assert_eq!(
            virtual_module("create virtual table \"x y\" using RTree(id, a, b)").as_deref(),
            Some("rtree")
        );
        assert_eq!(virtual_module("CREATE TABLE t(a)"), None);
    }

    #[test]
    fn reads_table_options_after_the_column_list() {
        assert_eq!(table_options("CREATE TABLE t(a)"), (false, false));
        assert_eq!(
            table_options("CREATE TABLE t(a PRIMARY KEY) WITHOUT ROWID"),
            (true, false)
        );
        assert_eq!(
            table_options("create table \"x(\" (a, b CHECK (b > ')')) strict, without  rowid"),
            (true, true)
        );
        assert_eq!(
            table_options("CREATE TABLE t(a /* ) strict */, b) -- strict\n"),
            (false, false)
        );
        assert_eq!(
            table_options("CREATE TABLE t(a) /* note */ STRICT"),
            (false, true)
        );
    }

    #[test]
    fn lays_out_create_table_one_term_per_line() {
        let sql =
            "CREATE TABLE t (a INTEGER PRIMARY KEY,   b TEXT DEFAULT 'x,y', CHECK (a > 0)) STRICT";
        assert_eq!(
            pretty_ddl(sql),
            "CREATE TABLE t (\n  a INTEGER PRIMARY KEY,\n  b TEXT DEFAULT 'x,y',\n  CHECK (a > 0)\n) STRICT"
        );
        assert_eq!(
            pretty_ddl("CREATE INDEX i ON t(a)"),
            "CREATE INDEX i ON t(a)"
        );
    }

    #[test]
    fn splits_index_terms_at_top_level_commas() {
        let sql = "CREATE INDEX i ON t (lower(\"a,b\"), coalesce(x, 0), [c)d] DESC) WHERE x > 0";
        assert_eq!(
            index_terms(sql),
            ["lower(\"a,b\")", "coalesce(x, 0)", "[c)d] DESC"]
        );
    }
}
