//! The statements of a SQL file (a migration, a workload), each with its first word and line,
//! found by a small lexer that knows SQLite's comments, quotes and trigger bodies: a `BEGIN`
//! inside a string, a comment or a `CREATE TRIGGER … BEGIN … END` is not a transaction. SQLite's
//! own prepare cannot split a file whose tables do not exist yet, so this reads the text alone;
//! the migration runner executes one statement at a time, so that a failure names its line. The
//! index advisor reads a statement's tokens ([`texts`]) for its column terms.

/// The first word of one statement (upper case) and the line it starts on (from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub word: String,
    pub line: usize,
}

/// One statement of a file: its text (from its first token to its `;`), first word and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub text: String,
    pub head: Head,
}

enum Token {
    Word(String),
    Semicolon,
    Other,
}

/// Statement heads of `sql`, in order.
pub fn heads(sql: &str) -> Vec<Head> {
    let mut out = Vec::new();
    let mut words: Vec<String> = Vec::new();
    for (token, line, _) in tokens(sql) {
        match token {
            Token::Semicolon if !in_trigger_body(&words) => words.clear(),
            Token::Word(w) => {
                if words.is_empty() {
                    out.push(Head {
                        word: w.clone(),
                        line,
                    });
                }
                words.push(w);
            }
            Token::Semicolon | Token::Other if words.is_empty() => {}
            Token::Semicolon | Token::Other => words.push(String::new()),
        }
    }
    out
}

/// True while a `CREATE … TRIGGER` statement's body is open: its `;` end inner statements.
fn in_trigger_body(words: &[String]) -> bool {
    let is_trigger = words.first().is_some_and(|w| w == "CREATE")
        && words.iter().take(4).any(|w| w == "TRIGGER");
    let last_word = words.iter().rev().find(|w| !w.is_empty());
    is_trigger && words.iter().any(|w| w == "BEGIN") && last_word.is_some_and(|w| w != "END")
}

/// The statements of `sql`, in order; comments between them are left out.
pub fn statements(sql: &str) -> Vec<Statement> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut open: Option<(usize, Head)> = None;
    for (token, line, (start, end)) in tokens(sql) {
        let ends = matches!(token, Token::Semicolon) && !in_trigger_body(&words);
        if open.is_none() && !matches!(token, Token::Semicolon) {
            let word = match &token {
                Token::Word(w) => w.clone(),
                _ => String::new(),
            };
            open = Some((start, Head { word, line }));
        }
        match token {
            Token::Word(w) => words.push(w),
            _ => words.push(String::new()),
        }
        if ends {
            words.clear();
            if let Some((from, head)) = open.take() {
                let text = chars[from..end].iter().collect();
                out.push(Statement { text, head });
            }
        }
    }
    if let Some((from, head)) = open {
        let text = chars[from..].iter().collect();
        out.push(Statement { text, head });
    }
    out
}

/// The tokens of `sql` as text, comments and whitespace left out: quoted names keep their
/// quotes, and operators come one char at a time (`<=` is `<` then `=`).
pub fn texts(sql: &str) -> Vec<String> {
    let chars: Vec<char> = sql.chars().collect();
    tokens(sql)
        .into_iter()
        .map(|(_, _, (start, end))| chars[start..end].iter().collect())
        .collect()
}

/// A token as a name: unquoted, or a word; `None` for operators, numbers and strings.
pub fn name(tok: &str) -> Option<String> {
    let first = tok.chars().next()?;
    match first {
        '"' | '`' => {
            let inner = tok[1..].strip_suffix(first).unwrap_or(&tok[1..]);
            let doubled = format!("{first}{first}");
            Some(inner.replace(&doubled, &first.to_string()))
        }
        '[' => Some(tok[1..].trim_end_matches(']').to_string()),
        c if c.is_alphabetic() || c == '_' => Some(tok.to_string()),
        _ => None,
    }
}

/// The tokens of `sql` with the line each starts on and its span of chars; comments and
/// whitespace are skipped.
fn tokens(sql: &str) -> Vec<(Token, usize, (usize, usize))> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let (token, end) = match c {
            '-' if next == Some('-') => (None, until(&chars, i, |c| c == '\n')),
            '/' if next == Some('*') => (None, after_block_comment(&chars, i)),
            '\'' | '"' | '`' => (Some(Token::Other), after_quote(&chars, i, c)),
            '[' => (Some(Token::Other), until(&chars, i, |c| c == ']') + 1),
            ';' => (Some(Token::Semicolon), i + 1),
            c if is_word(c) => {
                let end = until(&chars, i, |c| !(is_word(c) || c == '$'));
                let word: String = chars[i..end].iter().collect();
                (Some(Token::Word(word.to_ascii_uppercase())), end)
            }
            c if c.is_whitespace() => (None, i + 1),
            _ => (Some(Token::Other), i + 1),
        };
        let end = end.min(chars.len());
        if let Some(token) = token {
            out.push((token, line, (i, end)));
        }
        line += chars[i..end].iter().filter(|&&c| c == '\n').count();
        i = end.max(i + 1);
    }
    out
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The index of the first char from `start + 1` on that `stop` accepts, or the end.
fn until(chars: &[char], start: usize, stop: impl Fn(char) -> bool) -> usize {
    (start + 1..chars.len())
        .find(|&j| stop(chars[j]))
        .unwrap_or(chars.len())
}

fn after_block_comment(chars: &[char], start: usize) -> usize {
    (start + 2..chars.len())
        .find(|&j| chars[j] == '*' && chars.get(j + 1) == Some(&'/'))
        .map_or(chars.len(), |j| j + 2)
}

/// Past a quoted string or name; a doubled quote stays inside it.
fn after_quote(chars: &[char], start: usize, quote: char) -> usize {
    let mut j = start + 1;
    while j < chars.len() {
        if chars[j] == quote {
            if chars.get(j + 1) == Some(&quote) {
                j += 2;
                continue;
            }
            return j + 1;
        }
        j += 1;
    }
    chars.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(sql: &str) -> Vec<String> {
        heads(sql).into_iter().map(|h| h.word).collect()
    }

    #[test]
    fn comments_strings_and_triggers_hide_their_words() {
        let sql = "-- BEGIN here\nPRAGMA foreign_keys=OFF;\nBEGIN;\n\
                   INSERT INTO t VALUES ('a;BEGIN');\n/* COMMIT; */\n\
                   CREATE TRIGGER x AFTER INSERT ON t BEGIN UPDATE t SET a = 1; DELETE FROM u; END;\n\
                   COMMIT;";
        assert_eq!(
            words(sql),
            ["PRAGMA", "BEGIN", "INSERT", "CREATE", "COMMIT"]
        );
        assert_eq!(heads(sql)[1].line, 3);
        assert_eq!(heads(sql)[4].line, 7);
    }

    #[test]
    fn statements_split_at_their_semicolons_only() {
        let sql = "-- lead\nPRAGMA foreign_keys=OFF;\nINSERT INTO t VALUES ('a;b');\n\
                   CREATE TRIGGER x AFTER INSERT ON t BEGIN DELETE FROM u; END;\nSELECT 1";
        let got: Vec<(String, usize)> = statements(sql)
            .into_iter()
            .map(|s| (s.text, s.head.line))
            .collect();
        assert_eq!(
            got,
            [
                ("PRAGMA foreign_keys=OFF;".to_string(), 2),
                ("INSERT INTO t VALUES ('a;b');".to_string(), 3),
                (
                    "CREATE TRIGGER x AFTER INSERT ON t BEGIN DELETE FROM u; END;".to_string(),
                    4
                ),
                ("SELECT 1".to_string(), 5),
            ]
        );
    }
}
