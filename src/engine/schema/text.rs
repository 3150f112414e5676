//! Reading and laying out SQL text from `sqlite_schema`: a virtual table's module, an index's
//! key terms, a CREATE TABLE one term per line. Quotes, brackets and nesting are respected; this
//! is not a parser, only what the model and the Schema panel need.

/// The module name after `USING` in a `CREATE VIRTUAL TABLE` statement.
pub(super) fn virtual_module(sql: &str) -> Option<String> {
    let upper = sql.to_ascii_uppercase();
    if !upper.trim_start().starts_with("CREATE VIRTUAL TABLE") {
        return None;
    }
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
