//! Tables and indexes read from their CREATE text, as the pragmas give them.
//!
//! Asking a pragma prepares a statement inside SQLite for every table or index, which is most of
//! the cost of loading a 10,000-table schema; the text is already at hand from `sqlite_schema`.
//! The reader follows SQLite's grammar only as far as ordinary tables and indexes go and gives up
//! (`None`) on anything it is not sure to read exactly as SQLite does: virtual tables, generated
//! columns, quoted type names, defaults that are quoted names, index terms that are expressions,
//! and any token it does not expect. The loader asks the pragmas for those. The tests compare both
//! on the shared corpus and on awkward DDL.
//!
//! * [`table_text`]: a table's columns as `pragma_table_xinfo` gives them (not of WITHOUT ROWID
//!   and STRICT tables, whose key columns SQLite marks NOT NULL) and its foreign keys as
//!   `pragma_foreign_key_list` does.
//! * [`index_text`]: an index's key, uniqueness and WHERE clause, as `pragma_index_list` and
//!   `pragma_index_xinfo` give them once its terms are matched to the table's columns.
//! * [`definition`]: what the pragmas never say: each column's definition as written, its
//!   collation and CHECKs, and the table's own CHECKs, which the schema diff compares. Tables with
//!   WITHOUT ROWID or STRICT are read for that too.

use compact_str::CompactString;

use super::text::closing;
use super::{Column, ColumnText, Definition, ForeignKey, FK_ACTIONS};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Word,
    /// `"name"`, `[name]` or `` `name` ``.
    Quoted,
    Str,
    Number,
    Blob,
    Punct(u8),
}

#[derive(Debug, Clone, Copy)]
struct Token {
    kind: Kind,
    start: usize,
    end: usize,
}

/// What a CREATE TABLE's text tells the loader.
pub(super) struct TableText {
    /// `None` after WITHOUT ROWID or STRICT: see [`table_options`].
    pub columns: Option<Vec<Column>>,
    /// In the order they are declared.
    pub foreign_keys: Vec<ForeignKey>,
}

/// The columns and foreign keys of the table `sql` creates, or `None` when the text holds
/// anything this reader does not handle.
pub(super) fn table_text(sql: &str) -> Option<TableText> {
    let mut parsed = parse(sql)?;
    // Pushed one by one, the lists have room for up to twice their items, kept with the model.
    parsed.columns.shrink_to_fit();
    parsed.foreign_keys.shrink_to_fit();
    let options = parsed.options;
    Some(TableText {
        foreign_keys: parsed.foreign_keys,
        columns: (!options).then_some(parsed.columns),
    })
}

/// What a CREATE INDEX's text tells the loader; its key names are as written, for the caller to
/// match against the table's columns.
pub(super) struct IndexText {
    pub unique: bool,
    pub partial: bool,
    pub key: Vec<CompactString>,
}

/// The index `sql` creates, or `None` when a term is not a name or the text holds anything this
/// reader does not handle. A term that names no column of the table is an expression to SQLite
/// (a double-quoted string, say), which the caller finds out when it matches the names.
pub(super) fn index_text(sql: &str) -> Option<IndexText> {
    let mut c = Cursor::new(sql)?;
    c.expect("CREATE")?;
    let unique = c.eat("UNIQUE");
    c.expect("INDEX")?;
    if_not_exists(&mut c)?;
    qualified_name(&mut c)?;
    c.expect("ON")?;
    c.name()?;
    let mut key = Vec::new();
    name_list(&mut c, &mut key)?;
    let partial = c.eat("WHERE");
    (partial || c.peek().is_none()).then(|| IndexText {
        unique,
        partial,
        key: key.into_iter().map(CompactString::from).collect(),
    })
}

/// What the CREATE TABLE `sql` says beyond the columns pragma, or `None` when the text holds
/// anything this reader does not handle.
pub fn definition(sql: &str) -> Option<Definition> {
    parse(sql).map(|p| p.definition)
}

/// The tokens of `sql` joined by one space, names unquoted and lower-cased: two texts that
/// SQLite reads alike (spacing, comments, quoting, keyword case) compare equal. `None` where the
/// text cannot be read as tokens.
pub fn normalized(sql: &str) -> Option<String> {
    let tokens = tokens(sql)?;
    let words: Vec<String> = tokens
        .iter()
        .map(|t| {
            let text = sql.get(t.start..t.end).unwrap_or_default();
            match t.kind {
                Kind::Word => text.to_ascii_lowercase(),
                Kind::Quoted => dequote(text).to_ascii_lowercase(),
                _ => text.to_string(),
            }
        })
        .collect();
    Some(words.join(" "))
}

struct Parsed {
    columns: Vec<Column>,
    foreign_keys: Vec<ForeignKey>,
    definition: Definition,
    /// WITHOUT ROWID or STRICT follows the column list.
    options: bool,
}

fn parse(sql: &str) -> Option<Parsed> {
    let mut c = Cursor::new(sql)?;
    c.expect("CREATE")?;
    let _ = c.eat("TEMP") || c.eat("TEMPORARY");
    c.expect("TABLE")?;
    if_not_exists(&mut c)?;
    qualified_name(&mut c)?;
    c.expect_punct(b'(')?;
    let mut cols = Vec::new();
    let mut definition = Definition::default();
    let mut key = Vec::new();
    let mut fks = Vec::new();
    loop {
        if c.at_table_constraint() {
            table_constraints(&mut c, &mut key, &mut definition.checks, &mut fks)?;
        } else {
            let (col, text) = column(&mut c, &mut fks)?;
            cols.push(col);
            definition.columns.push(text);
        }
        if !c.eat_punct(b',') {
            break;
        }
    }
    c.expect_punct(b')')?;
    let options = table_options(&mut c)?;
    number_key(&mut cols, &key)?;
    spell_as_declared(fks.iter_mut().flat_map(|fk| fk.columns.iter_mut()), &cols)?;
    Some(Parsed {
        columns: cols,
        foreign_keys: fks,
        definition,
        options,
    })
}

fn if_not_exists(c: &mut Cursor) -> Option<()> {
    if c.eat("IF") {
        c.expect("NOT")?;
        c.expect("EXISTS")?;
    }
    Some(())
}

/// `name` or `schema.name`.
fn qualified_name(c: &mut Cursor) -> Option<()> {
    c.name()?;
    if c.eat_punct(b'.') {
        c.name()?;
    }
    Some(())
}

/// Spells each of `names` as `cols` declares it, as the pragmas do; `None` when one names no
/// column.
pub(super) fn spell_as_declared<'n>(
    names: impl IntoIterator<Item = &'n mut CompactString>,
    cols: &[Column],
) -> Option<()> {
    for name in names {
        let col = cols.iter().find(|c| c.name.eq_ignore_ascii_case(name))?;
        name.clone_from(&col.name);
    }
    Some(())
}

/// WITHOUT ROWID and STRICT after the column list; true when any is there. Both mark key
/// columns NOT NULL (STRICT all but a rowid alias), so [`columns`] leaves such tables to the
/// pragma.
fn table_options(c: &mut Cursor) -> Option<bool> {
    let mut any = false;
    while c.peek().is_some() {
        if c.eat("WITHOUT") {
            c.expect("ROWID")?;
        } else if !(c.eat("STRICT") || any && c.eat_punct(b',')) {
            return None;
        }
        any = true;
    }
    Some(any)
}

/// Puts each column's position in a table-level PRIMARY KEY into `pk`.
fn number_key(cols: &mut [Column], key: &[String]) -> Option<()> {
    if key.is_empty() {
        return Some(());
    }
    if cols.iter().any(|c| c.pk > 0) {
        return None;
    }
    for (at, name) in key.iter().enumerate() {
        let col = cols
            .iter_mut()
            .find(|c| c.name.eq_ignore_ascii_case(name))?;
        if col.pk > 0 {
            return None;
        }
        col.pk = u32::try_from(at + 1).ok()?;
    }
    Some(())
}

const COLUMN_CONSTRAINTS: [&str; 11] = [
    "CONSTRAINT",
    "PRIMARY",
    "NOT",
    "NULL",
    "UNIQUE",
    "CHECK",
    "DEFAULT",
    "COLLATE",
    "REFERENCES",
    "GENERATED",
    "AS",
];

/// The types SQLite keeps as its own upper-case spelling, whatever the text says.
const STANDARD_TYPES: [&str; 6] = ["INT", "INTEGER", "REAL", "TEXT", "BLOB", "ANY"];

fn column(c: &mut Cursor, fks: &mut Vec<ForeignKey>) -> Option<(Column, ColumnText)> {
    let start = c.peek()?.start;
    let name = c.name()?;
    let decl_type = decl_type(c)?;
    let mut col = Column {
        name: name.as_str().into(),
        decl_type: decl_type.into(),
        notnull: false,
        pk: 0,
        default: None,
        hidden: false,
        name_valid: true,
    };
    let mut text = ColumnText {
        name,
        ..ColumnText::default()
    };
    let mut end = c.tokens.get(c.at.checked_sub(1)?)?.end;
    while column_constraint(c, &mut col, &mut text, fks)? {
        end = c.tokens.get(c.at - 1)?.end;
    }
    text.text = c.sql.get(start..end)?.to_string();
    Some((col, text))
}

/// The type as written (words, then an optional `(n)` or `(n, m)`), empty when there is none.
fn decl_type(c: &mut Cursor) -> Option<String> {
    let start = c.peek().map(|t| t.start)?;
    let mut end = None;
    while let Some(t) = c.peek() {
        match t.kind {
            Kind::Word if COLUMN_CONSTRAINTS.iter().any(|k| c.is_word(&t, k)) => break,
            // SQLite drops a trailing ALWAYS from the type; HIDDEN hides a column in some builds.
            Kind::Word if c.is_word(&t, "ALWAYS") || c.is_word(&t, "HIDDEN") => return None,
            Kind::Word => end = Some(c.bump()?.end),
            Kind::Quoted | Kind::Str => return None,
            _ => break,
        }
    }
    let Some(mut end) = end else {
        return Some(String::new());
    };
    if c.eat_punct(b'(') {
        end = size_args(c)?;
    }
    let text = c.sql.get(start..end)?;
    Some(
        STANDARD_TYPES
            .iter()
            .find(|s| s.eq_ignore_ascii_case(text))
            .map_or_else(|| text.to_string(), |s| s.to_string()),
    )
}

/// `n` or `n, m` with optional signs, up to the closing parenthesis, whose end it returns.
fn size_args(c: &mut Cursor) -> Option<usize> {
    loop {
        let _ = c.eat_punct(b'+') || c.eat_punct(b'-');
        if c.bump()?.kind != Kind::Number {
            return None;
        }
        let t = c.bump()?;
        match t.kind {
            Kind::Punct(b',') => {}
            Kind::Punct(b')') => return Some(t.end),
            _ => return None,
        }
    }
}

/// Reads one column constraint into `col`, `text` and `fks`; false when none follows.
fn column_constraint(
    c: &mut Cursor,
    col: &mut Column,
    text: &mut ColumnText,
    fks: &mut Vec<ForeignKey>,
) -> Option<bool> {
    if c.eat("CONSTRAINT") {
        c.name()?;
    } else if c.eat("PRIMARY") {
        c.expect("KEY")?;
        let _ = c.eat("ASC") || c.eat("DESC");
        c.conflict()?;
        let _ = c.eat("AUTOINCREMENT");
        col.pk = 1;
    } else if c.eat("NOT") {
        c.expect("NULL")?;
        c.conflict()?;
        col.notnull = true;
    } else if c.eat("UNIQUE") {
        c.conflict()?;
        text.unique = true;
    } else if c.eat("NULL") {
        c.conflict()?;
    } else if c.eat("CHECK") {
        text.checks.push(c.check()?);
    } else if c.eat("DEFAULT") {
        text.default_varies = c.peek_punct(b'(')
            || ["CURRENT_TIME", "CURRENT_DATE", "CURRENT_TIMESTAMP"]
                .iter()
                .any(|w| c.next_is_word(0, w));
        col.default = Some(default_value(c)?.into());
    } else if c.eat("COLLATE") {
        text.collation = Some(c.name()?);
    } else if c.eat("REFERENCES") {
        fks.push(references(c, vec![col.name.to_string()])?);
        text.references = true;
    } else {
        return Some(false);
    }
    Some(true)
}

/// The default's text as SQLite keeps it: the span as written, without the parentheses around
/// an expression and without the white space inside them.
fn default_value(c: &mut Cursor) -> Option<String> {
    let first = c.bump()?;
    let span = match first.kind {
        Kind::Punct(b'(') => {
            let close = c.group_from_open()?;
            (first.end, close.start)
        }
        Kind::Punct(b'+' | b'-') => {
            let number = c.bump()?;
            (number.kind == Kind::Number).then_some((first.start, number.end))?
        }
        Kind::Str | Kind::Number | Kind::Blob | Kind::Word => (first.start, first.end),
        _ => return None,
    };
    let text = c.sql.get(span.0..span.1)?;
    Some(text.trim_matches(is_space_char).to_string())
}

/// `REFERENCES parent [(columns)]` and its clauses, up to the next constraint, as the foreign key
/// of `columns`: parent names as written, NO ACTION where no action is given, the last of two
/// ON DELETE (or ON UPDATE) clauses winning, as SQLite reads them.
fn references(c: &mut Cursor, columns: Vec<String>) -> Option<ForeignKey> {
    let parent = c.name()?;
    let mut parent_columns = Vec::new();
    if c.peek_punct(b'(') {
        name_list(c, &mut parent_columns)?;
    }
    let (mut on_delete, mut on_update) = (NO_ACTION, NO_ACTION);
    loop {
        if c.eat("ON") {
            let delete = c.eat("DELETE");
            if !delete {
                c.expect("UPDATE")?;
            }
            *if delete {
                &mut on_delete
            } else {
                &mut on_update
            } = action(c)?;
        } else if c.eat("MATCH") {
            c.name()?;
        } else if c.eat("DEFERRABLE") || (c.next_is_word(1, "DEFERRABLE") && c.eat("NOT")) {
            let _ = c.eat("DEFERRABLE");
            if c.eat("INITIALLY") && !(c.eat("DEFERRED") || c.eat("IMMEDIATE")) {
                return None;
            }
        } else {
            let names = |names: Vec<String>| names.into_iter().map(CompactString::from).collect();
            return Some(ForeignKey {
                columns: names(columns),
                parent: parent.into(),
                parent_columns: names(parent_columns),
                on_delete,
                on_update,
            });
        }
    }
}

const NO_ACTION: &str = FK_ACTIONS[0];

/// A foreign key action, one of [`FK_ACTIONS`].
fn action(c: &mut Cursor) -> Option<&'static str> {
    if c.eat("SET") {
        return match (c.eat("NULL"), c.eat("DEFAULT")) {
            (true, _) => Some(FK_ACTIONS[2]),
            (_, true) => Some(FK_ACTIONS[3]),
            _ => None,
        };
    }
    if c.eat("NO") {
        return c.eat("ACTION").then_some(NO_ACTION);
    }
    [FK_ACTIONS[4], FK_ACTIONS[1]]
        .into_iter()
        .find(|a| c.eat(a))
}

/// Table constraints, which may follow each other without commas; a PRIMARY KEY's columns go
/// into `key`, CHECK expressions into `checks`, foreign keys into `fks`.
fn table_constraints(
    c: &mut Cursor,
    key: &mut Vec<String>,
    checks: &mut Vec<String>,
    fks: &mut Vec<ForeignKey>,
) -> Option<()> {
    while c.at_table_constraint() {
        if c.eat("CONSTRAINT") {
            c.name()?;
        } else if c.eat("PRIMARY") {
            c.expect("KEY")?;
            name_list(c, key)?;
            c.conflict()?;
        } else if c.eat("UNIQUE") {
            c.group()?;
            c.conflict()?;
        } else if c.eat("CHECK") {
            checks.push(c.check()?);
        } else {
            c.expect("FOREIGN")?;
            c.expect("KEY")?;
            let mut columns = Vec::new();
            name_list(c, &mut columns)?;
            c.expect("REFERENCES")?;
            fks.push(references(c, columns)?);
        }
    }
    Some(())
}

/// `(name [COLLATE x] [ASC|DESC], ...)` into `names`; an expression gives up.
fn name_list(c: &mut Cursor, names: &mut Vec<String>) -> Option<()> {
    c.expect_punct(b'(')?;
    loop {
        names.push(c.name()?);
        if c.eat("COLLATE") {
            c.name()?;
        }
        let _ = c.eat("ASC") || c.eat("DESC");
        if !c.eat_punct(b',') {
            return c.expect_punct(b')');
        }
    }
}

struct Cursor<'a> {
    sql: &'a str,
    tokens: Vec<Token>,
    at: usize,
}

impl<'a> Cursor<'a> {
    fn new(sql: &'a str) -> Option<Self> {
        Some(Cursor {
            sql,
            tokens: tokens(sql)?,
            at: 0,
        })
    }

    fn peek(&self) -> Option<Token> {
        self.tokens.get(self.at).copied()
    }

    fn bump(&mut self) -> Option<Token> {
        let t = self.peek()?;
        self.at += 1;
        Some(t)
    }

    fn text(&self, t: &Token) -> &str {
        self.sql.get(t.start..t.end).unwrap_or_default()
    }

    fn is_word(&self, t: &Token, word: &str) -> bool {
        t.kind == Kind::Word && self.text(t).eq_ignore_ascii_case(word)
    }

    /// True when the token `ahead` places on is the keyword `word`.
    fn next_is_word(&self, ahead: usize, word: &str) -> bool {
        let t = self.tokens.get(self.at + ahead);
        t.is_some_and(|t| self.is_word(t, word))
    }

    fn eat(&mut self, word: &str) -> bool {
        let found = self.next_is_word(0, word);
        self.at += usize::from(found);
        found
    }

    fn expect(&mut self, word: &str) -> Option<()> {
        self.eat(word).then_some(())
    }

    fn peek_punct(&self, p: u8) -> bool {
        self.peek().is_some_and(|t| t.kind == Kind::Punct(p))
    }

    fn eat_punct(&mut self, p: u8) -> bool {
        let found = self.peek_punct(p);
        self.at += usize::from(found);
        found
    }

    fn expect_punct(&mut self, p: u8) -> Option<()> {
        self.eat_punct(p).then_some(())
    }

    fn at_table_constraint(&self) -> bool {
        ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"]
            .iter()
            .any(|w| self.next_is_word(0, w))
    }

    /// A name as SQLite keeps it: quotes removed, doubled quotes made single.
    fn name(&mut self) -> Option<String> {
        let t = self.bump()?;
        let text = self.text(&t);
        match t.kind {
            Kind::Word if !self.at_keyword(&t) => Some(text.to_string()),
            Kind::Quoted | Kind::Str => Some(dequote(text)),
            _ => None,
        }
    }

    /// Words that cannot be names where this reader expects one.
    fn at_keyword(&self, t: &Token) -> bool {
        COLUMN_CONSTRAINTS
            .iter()
            .chain(&["FOREIGN", "ON", "MATCH", "DEFERRABLE", "INITIALLY"])
            .any(|k| self.is_word(t, k))
    }

    /// `ON CONFLICT resolution`, when present.
    fn conflict(&mut self) -> Option<()> {
        if self.eat("ON") {
            self.expect("CONFLICT")?;
            let resolutions = ["ROLLBACK", "ABORT", "FAIL", "IGNORE", "REPLACE"];
            return resolutions.iter().any(|r| self.eat(r)).then_some(());
        }
        Some(())
    }

    /// A CHECK's parenthesised expression, [`normalized`].
    fn check(&mut self) -> Option<String> {
        let open = self.peek()?;
        self.group()?;
        let close = self.tokens.get(self.at - 1)?;
        normalized(self.sql.get(open.end..close.start)?)
    }

    /// Skips a parenthesised group, nested groups included.
    fn group(&mut self) -> Option<()> {
        self.expect_punct(b'(')?;
        self.group_from_open().map(|_| ())
    }

    /// Skips to the parenthesis that closes one already read and returns it.
    fn group_from_open(&mut self) -> Option<Token> {
        let mut depth = 1;
        loop {
            let t = self.bump()?;
            match t.kind {
                Kind::Punct(b'(') => depth += 1,
                Kind::Punct(b')') if depth == 1 => return Some(t),
                Kind::Punct(b')') => depth -= 1,
                _ => {}
            }
        }
    }
}

fn dequote(text: &str) -> String {
    let Some(first) = text.chars().next() else {
        return String::new();
    };
    let inner = text.get(1..text.len() - 1).unwrap_or_default();
    match first {
        '[' => inner.to_string(),
        q => inner.replace(&format!("{q}{q}"), &q.to_string()),
    }
}

/// SQLite's white space (`sqlite3Isspace`): ASCII only, vertical tab included.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn is_space_char(c: char) -> bool {
    u8::try_from(c).is_ok_and(is_space)
}

fn is_word_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_word_byte(b: u8) -> bool {
    is_word_start(b) || b.is_ascii_digit() || b == b'$'
}

/// SQLite's tokens of `sql` without white space and comments; `None` on a control character or
/// an unclosed quote or comment.
fn tokens(sql: &str) -> Option<Vec<Token>> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let next = b.get(i + 1).copied();
        let kind = match b[i] {
            c if is_space(c) => {
                i += 1;
                continue;
            }
            b'-' if next == Some(b'-') => {
                i = b[i..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(b.len(), |n| i + n);
                continue;
            }
            b'/' if next == Some(b'*') => {
                i = sql.get(i + 2..)?.find("*/")? + i + 4;
                continue;
            }
            b'\'' => {
                i = closing(b, i + 1, b'\'')? + 1;
                Kind::Str
            }
            q @ (b'"' | b'`') => {
                i = closing(b, i + 1, q)? + 1;
                Kind::Quoted
            }
            b'[' => {
                i = closing(b, i + 1, b']')? + 1;
                Kind::Quoted
            }
            b'x' | b'X' if next == Some(b'\'') => {
                i = closing(b, i + 2, b'\'')? + 1;
                Kind::Blob
            }
            c if c.is_ascii_digit() || (c == b'.' && next.is_some_and(|n| n.is_ascii_digit())) => {
                i = number_end(b, i)?;
                Kind::Number
            }
            c if is_word_start(c) => {
                i += b[i..].iter().take_while(|&&c| is_word_byte(c)).count();
                Kind::Word
            }
            // Operators matter only inside the groups that are skipped (CHECK, defaults).
            c if c.is_ascii_punctuation() => {
                i += 1;
                Kind::Punct(c)
            }
            _ => return None,
        };
        out.push(Token {
            kind,
            start,
            end: i,
        });
    }
    Some(out)
}

/// The end of a decimal or hexadecimal number starting at `i`; `None` when letters follow it
/// (SQLite's digit separators, or text it would reject).
fn number_end(b: &[u8], mut i: usize) -> Option<usize> {
    let digits = |i: usize| i + b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    if b[i] == b'0' && matches!(b.get(i + 1), Some(b'x' | b'X')) {
        i += 2 + b[i + 2..]
            .iter()
            .take_while(|c| c.is_ascii_hexdigit())
            .count();
    } else {
        i = digits(i);
        if b.get(i) == Some(&b'.') {
            i = digits(i + 1);
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            i = digits(i);
        }
    }
    match b.get(i) {
        Some(&c) if is_word_byte(c) || c == b'.' => None,
        _ => Some(i),
    }
}

#[cfg(test)]
mod tests;
