//! Quoting of identifiers for SQL that litescope generates.
//!
//! Every name that reaches generated SQL goes through [`ident`]: table and column names may hold
//! quotes, spaces, semicolons, keywords or any unicode, and SQLite's double-quote rule handles all
//! of them. Values are bound as parameters, never spliced into SQL.

/// `name` as a double-quoted SQL identifier.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A comma-separated list of quoted identifiers.
pub fn ident_list<S: AsRef<str>>(names: &[S]) -> String {
    names
        .iter()
        .map(|n| ident(n.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_embedded_quotes() {
        assert_eq!(ident(r#"a"b"#), r#""a""b""#);
        assert_eq!(ident("order"), r#""order""#);
        assert_eq!(ident_list(&["a", "b c"]), r#""a", "b c""#);
    }
}
