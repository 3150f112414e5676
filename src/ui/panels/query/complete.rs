//! Completion in the SQL editor: the word before the cursor, completed from the focused
//! database's columns, tables and views, then SQL keywords. After `name.` only the columns of
//! the table `name` is, or stands for as an alias (`FROM messages m`), are offered.

use crate::engine::quote::ident;
use crate::engine::schema::Schema;
use crate::ui::widgets::sql::{is_keyword, keywords};

/// Most items offered at once.
const MAX_ITEMS: usize = 50;

/// Completions offered for a word, and which is selected.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub items: Vec<String>,
    pub selected: usize,
    /// Characters of the word typed so far, which the chosen item replaces.
    pub typed: usize,
}

/// What completes the word that ends `before` (the text before the cursor) in `sql`, the whole
/// editor's text; `None` when there is no word, or nothing completes it.
pub fn complete(schema: &Schema, sql: &str, before: &str) -> Option<Completion> {
    let typed: String = before
        .chars()
        .rev()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let rest = &before[..before.len() - typed.len()];
    let items = match rest.strip_suffix('.') {
        Some(qualified) => columns_of(schema, sql, last_word(qualified)?)?,
        None if typed.is_empty() => return None,
        None => everything(schema, sql, &typed),
    };
    let wanted = typed.to_lowercase();
    let mut items: Vec<String> = items
        .into_iter()
        .filter(|i| {
            i.trim_start_matches('"')
                .to_lowercase()
                .starts_with(&wanted)
        })
        .filter(|i| !i.eq_ignore_ascii_case(&typed))
        .collect();
    dedup_caseless(&mut items);
    items.truncate(MAX_ITEMS);
    (!items.is_empty()).then(|| Completion {
        items,
        selected: 0,
        typed: typed.chars().count(),
    })
}

/// Columns of the tables `sql` names first, then every table and view, then keywords (in the
/// case the word was typed in).
fn everything(schema: &Schema, sql: &str, typed: &str) -> Vec<String> {
    let named = words(sql);
    let mentioned = schema
        .tables
        .iter()
        .filter(|t| named.iter().any(|w| t.name.eq_ignore_ascii_case(w)));
    let columns = mentioned.flat_map(|t| t.columns.iter().map(|c| as_written(&c.name)));
    let tables = schema
        .tables
        .iter()
        .filter(|t| t.is_user_table())
        .map(|t| as_written(&t.name));
    let views = schema.views.iter().map(|v| as_written(&v.name));
    let lower = typed.chars().all(|c| !c.is_uppercase());
    let keywords = keywords().iter().map(|k| match lower {
        true => k.to_lowercase(),
        false => k.to_string(),
    });
    columns.chain(tables).chain(views).chain(keywords).collect()
}

/// The columns of table `name`, or of the table `name` is an alias of in `sql`.
fn columns_of(schema: &Schema, sql: &str, name: &str) -> Option<Vec<String>> {
    let named = words(sql);
    let aliased = |(at, _): (usize, &String)| {
        let mut before = at.checked_sub(1)?;
        if named[before].eq_ignore_ascii_case("AS") {
            before = before.checked_sub(1)?;
        }
        schema.table(&named[before])
    };
    let table = schema.table(name).or_else(|| {
        named
            .iter()
            .enumerate()
            .filter(|(_, w)| w.eq_ignore_ascii_case(name))
            .find_map(aliased)
    })?;
    Some(table.columns.iter().map(|c| as_written(&c.name)).collect())
}

/// The identifier that ends `text`, unquoted.
fn last_word(text: &str) -> Option<&str> {
    let text = text
        .strip_suffix('"')
        .map_or(text, |t| t.rfind('"').map_or(t, |open| &t[open + 1..]));
    let start = text
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    Some(&text[start..]).filter(|w| !w.is_empty())
}

/// The names in `sql`, unquoted, in order; strings and comments skipped.
fn words(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => skip_until(&mut chars, '\''),
            '-' if chars.peek() == Some(&'-') => skip_until(&mut chars, '\n'),
            '"' | '`' | '[' => {
                let close = if c == '[' { ']' } else { c };
                out.push(chars.by_ref().take_while(|x| *x != close).collect());
            }
            c if c.is_alphanumeric() || c == '_' => {
                let mut word = c.to_string();
                while let Some(&n) = chars.peek().filter(|n| n.is_alphanumeric() || **n == '_') {
                    word.push(n);
                    chars.next();
                }
                out.push(word);
            }
            _ => {}
        }
    }
    out
}

fn skip_until(chars: &mut impl Iterator<Item = char>, end: char) {
    for c in chars.by_ref() {
        if c == end {
            return;
        }
    }
}

/// `name` as it must be typed: bare when it is a plain word, else quoted.
fn as_written(name: &str) -> String {
    let plain = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    match plain && !is_keyword(name) {
        true => name.to_string(),
        false => ident(name),
    }
}

fn dedup_caseless(items: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    items.retain(|i| seen.insert(i.to_lowercase()));
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;
    use crate::engine::schema::{load, Detail};

    fn schema() -> Schema {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE messages(id INTEGER PRIMARY KEY, conversation_id INT, body TEXT);
             CREATE TABLE conversations(id INTEGER PRIMARY KEY, title TEXT, \"order\" INT);
             CREATE TABLE \"odd name\"(x);
             CREATE VIEW open_conversations AS SELECT * FROM conversations;",
        )
        .unwrap();
        load(&conn, Detail::Full).unwrap()
    }

    fn items(before: &str, sql: &str) -> Vec<String> {
        complete(&schema(), sql, before).map_or(Vec::new(), |c| c.items)
    }

    #[test]
    fn a_word_completes_from_named_tables_columns_then_tables_views_and_keywords() {
        let sql = "SELECT co FROM messages";
        let c = complete(&schema(), sql, "SELECT co").unwrap();
        assert_eq!(c.typed, 2);
        assert_eq!(
            c.items,
            [
                "conversation_id",
                "conversations",
                "collate",
                "column",
                "commit",
                "conflict",
                "constraint"
            ]
        );
        assert!(items("sel", "sel").contains(&"select".to_string()));
        assert!(items("SEL", "SEL").contains(&"SELECT".to_string()));
        assert_eq!(items("od", "od"), ["\"odd name\""]);
        assert_eq!(items("open", "open"), ["open_conversations"]);
        assert!(items("", "").is_empty());
        assert!(items("zzz", "zzz").is_empty());
    }

    #[test]
    fn after_a_dot_only_the_tables_columns_are_offered_through_an_alias_too() {
        let sql = "SELECT m. FROM messages AS m JOIN conversations c ON c.id = m.conversation_id";
        assert_eq!(items("SELECT m.", sql), ["id", "conversation_id", "body"]);
        assert_eq!(items("SELECT c.t", sql), ["title"]);
        assert_eq!(items("SELECT conversations.o", sql), ["\"order\""]);
        assert_eq!(items("SELECT \"messages\".b", sql), ["body"]);
        assert!(items("SELECT nobody.", sql).is_empty());
    }
}
