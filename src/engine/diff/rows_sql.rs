//! The statements that turn A's rows into B's, one per row difference of the data diff: DELETE
//! for a row only A has, INSERT for a row only B has, UPDATE of the columns that differ.
//!
//! Values are written as SQL literals, since the script is text for the `sqlite3` shell: a real
//! number in its shortest exact form, a blob as `X'…'`, and text holding a control character as
//! `CAST(X'…' AS TEXT)`, so that the printed script is plain printable text and the bytes
//! arrive exactly.

use rusqlite::types::Value;

use super::data::{hex, Row, Shape};
use crate::engine::quote::{ident, ident_list};

/// The statement for one row difference of `shape`'s table.
pub fn statement(shape: &Shape, row: Row) -> String {
    let table = ident(shape.table);
    let key = match &row {
        Row::OnlyInA(key) | Row::Changed(key, _) => *key,
        Row::OnlyInB(values) => &values[..shape.key.len().min(values.len())],
    };
    if key.contains(&Value::Null) {
        // A rowid table's key may hold NULL, several times: such a row has no name to write.
        return format!(
            "-- {}: a row whose key holds NULL cannot be named by it; not written",
            crate::engine::rebuild::comment(&table)
        );
    }
    match row {
        Row::OnlyInA(key) => format!("DELETE FROM {table} WHERE {};", matches(shape, key)),
        Row::OnlyInB(values) => {
            let values: Vec<String> = values.iter().map(literal).collect();
            format!(
                "INSERT INTO {table} ({}) VALUES ({});",
                ident_list(shape.columns),
                values.join(", ")
            )
        }
        Row::Changed(key, set) => {
            let set: Vec<String> = set
                .iter()
                .map(|(c, v)| format!("{} = {}", ident(c), literal(v)))
                .collect();
            format!(
                "UPDATE {table} SET {} WHERE {};",
                set.join(", "),
                matches(shape, key)
            )
        }
    }
}

fn matches(shape: &Shape, key: &[Value]) -> String {
    let terms: Vec<String> = shape
        .key
        .iter()
        .zip(key)
        .map(|(k, v)| format!("{} = {}", ident(k), literal(v)))
        .collect();
    terms.join(" AND ")
}

/// `v` as an SQL literal.
pub fn literal(v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::Integer(i) => i.to_string(),
        Value::Real(f) if f.is_nan() => "NULL".into(),
        Value::Real(f) if f.is_infinite() => match f.is_sign_positive() {
            true => "9e999".into(),
            false => "-9e999".into(),
        },
        // `{:?}` is the shortest text that reads back as the same double, and keeps a `.0`.
        Value::Real(f) => format!("{f:?}"),
        Value::Text(t) if t.chars().any(char::is_control) => {
            format!("CAST(X'{}' AS TEXT)", hex(t.as_bytes()))
        }
        Value::Text(t) => format!("'{}'", t.replace('\'', "''")),
        Value::Blob(b) => format!("X'{}'", hex(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_read_back_exactly() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        for v in [
            Value::Null,
            Value::Integer(i64::MIN),
            Value::Real(0.1),
            Value::Real(1e300),
            Value::Real(3.0),
            Value::Text("it's\n\u{1b}é".into()),
            Value::Blob(vec![0, 255]),
        ] {
            let back: Value = conn
                .query_row(&format!("SELECT {}", literal(&v)), [], |r| r.get(0))
                .unwrap();
            assert_eq!(back, v);
        }
    }
}
