//! The up and down parts of one migration file, and whether it asks for no transaction, as each
//! tool marks them: dbmate's `-- migrate:up` / `-- migrate:down` (with `transaction:false`),
//! goose's `-- +goose Up` / `-- +goose Down` (with `-- +goose NO TRANSACTION`; its
//! `StatementBegin` / `StatementEnd` only guide goose's own splitting and stay in the SQL as the
//! comments they are), and sqlx's `-- no-transaction` on the first line.

/// What one file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parts {
    pub up: String,
    pub down: Option<String>,
    pub no_transaction: bool,
}

/// A marker line: `--`, optional spaces, then `word` (any case), and what follows it.
fn marker<'a>(line: &'a str, word: &str) -> Option<&'a str> {
    let rest = line.trim_start().strip_prefix("--")?.trim_start();
    let head = rest.get(..word.len())?;
    head.eq_ignore_ascii_case(word).then(|| &rest[word.len()..])
}

pub fn is_dbmate(text: &str) -> bool {
    text.lines().any(|l| marker(l, "migrate:up").is_some())
}

pub fn is_goose(text: &str) -> bool {
    text.lines().any(|l| goose_marker(l, "up"))
}

fn goose_marker(line: &str, what: &str) -> bool {
    marker(line, "+goose").is_some_and(|rest| rest.trim().eq_ignore_ascii_case(what))
}

/// A file split at its up and down marker lines; `is_up` / `is_down` tell them. Text before the
/// first marker belongs to neither.
fn split(text: &str, is_up: impl Fn(&str) -> bool, is_down: impl Fn(&str) -> bool) -> Parts {
    let (mut up, mut down) = (String::new(), None::<String>);
    let mut in_up = None;
    for line in text.split_inclusive('\n') {
        if is_up(line) {
            in_up = Some(true);
        } else if is_down(line) {
            in_up = Some(false);
            down.get_or_insert_with(String::new);
        } else {
            match in_up {
                Some(true) => up.push_str(line),
                Some(false) => down.get_or_insert_with(String::new).push_str(line),
                None => {}
            }
        }
    }
    Parts {
        up,
        down,
        no_transaction: false,
    }
}

pub fn dbmate(text: &str) -> Parts {
    let up_options = text
        .lines()
        .find_map(|l| marker(l, "migrate:up"))
        .unwrap_or_default();
    Parts {
        no_transaction: up_options.contains("transaction:false"),
        ..split(
            text,
            |l| marker(l, "migrate:up").is_some(),
            |l| marker(l, "migrate:down").is_some(),
        )
    }
}

pub fn goose(text: &str) -> Parts {
    Parts {
        no_transaction: text.lines().any(|l| goose_marker(l, "no transaction")),
        ..split(text, |l| goose_marker(l, "up"), |l| goose_marker(l, "down"))
    }
}

/// A file that is all up (sqlx, golang-migrate's halves, Flyway, diesel's `up.sql`).
pub fn whole(text: &str) -> Parts {
    let first = text.lines().next().unwrap_or_default();
    Parts {
        up: text.to_string(),
        down: None,
        no_transaction: marker(first, "no-transaction").is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dbmate_sections_and_options() {
        let text = "-- migrate:up transaction:false\nCREATE TABLE a(x);\n\n-- migrate:down\nDROP TABLE a;\n";
        let p = dbmate(text);
        assert_eq!(p.up, "CREATE TABLE a(x);\n\n");
        assert_eq!(p.down.as_deref(), Some("DROP TABLE a;\n"));
        assert!(p.no_transaction);
        assert!(is_dbmate(text) && !is_goose(text));
    }

    #[test]
    fn goose_sections_keep_statement_blocks() {
        let text = "-- +goose NO TRANSACTION\n-- +goose Up\n-- +goose StatementBegin\nCREATE TABLE a(x);\n\
                    -- +goose StatementEnd\n-- +goose Down\nDROP TABLE a;\n";
        let p = goose(text);
        assert!(p.up.contains("CREATE TABLE a(x);") && p.up.contains("StatementEnd"));
        assert_eq!(p.down.as_deref(), Some("DROP TABLE a;\n"));
        assert!(p.no_transaction);
    }

    #[test]
    fn sqlx_no_transaction_is_the_first_line() {
        assert!(whole("-- no-transaction\nVACUUM;").no_transaction);
        assert!(!whole("SELECT 1;\n-- no-transaction\n").no_transaction);
    }
}
