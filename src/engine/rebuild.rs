//! The table rebuild: the one way litescope changes a table beyond what `ALTER TABLE` can, as
//! SQLite documents it (<https://www.sqlite.org/lang_altertable.html>, "Making Other Kinds Of
//! Table Schema Changes"). Built here once, as printed SQL; nothing here runs it.
//!
//! Input is the table's model, the CREATE TABLE statement it should have (naming the table by its
//! own name) and the schema around it; output is a script for the `sqlite3` shell. The statement
//! for a new foreign key is made by editing the original CREATE TABLE text ([`with_foreign_keys`])
//! rather than by writing one from the model, so that every CHECK, COLLATE, DEFAULT, generated
//! column, comment and `WITHOUT ROWID`/`STRICT` survives as written. The schema diff can hand its
//! own CREATE TABLE text to [`script`].
//!
//! What the script keeps, and why each step is there:
//! - `.bail on` first: the shell's default is to go on after an error, which once committed a
//!   half-done rebuild (the table dropped, the rename failed). With it the shell exits at the
//!   first error, its connection closes and SQLite rolls the open transaction back.
//! - `PRAGMA foreign_keys = OFF` before `BEGIN`, because inside a transaction it does nothing,
//!   and dropping the old table would otherwise run its parents' ON DELETE actions.
//! - The rename runs with `legacy_alter_table = ON`, so that SQLite does not re-check every
//!   trigger and view of the schema while the table is briefly missing (sakila's `ins_film`
//!   trigger writes into `film_text`; that check made the rename fail). Triggers and views of
//!   other objects are therefore left exactly as written; the table's own triggers and indexes,
//!   dropped with it, are recreated from their SQL; constraint indexes come back by themselves.
//! - Rowids are copied (for a rowid table), so that anything that points at them still does;
//!   an AUTOINCREMENT counter and the table's `sqlite_stat1`/`sqlite_stat4` rows are carried over, because
//!   `DROP TABLE` deletes both.
//! - The new foreign keys are checked before `COMMIT`: a violation fails a CHECK constraint that
//!   names the cause, and `.bail on` rolls everything back.

use anyhow::{bail, Context, Result};

use crate::engine::quote::{ident, ident_list};
use crate::engine::schema::{ForeignKey, Schema, Table, TableKind};

/// A foreign key to declare: child columns of the rebuilt table, parent table and its columns.
#[derive(Debug, Clone, PartialEq)]
pub struct NewKey {
    pub columns: Vec<String>,
    pub parent: String,
    pub parent_columns: Vec<String>,
}

impl From<&ForeignKey> for NewKey {
    fn from(fk: &ForeignKey) -> NewKey {
        NewKey {
            columns: fk.columns.iter().map(ToString::to_string).collect(),
            parent: fk.parent.to_string(),
            parent_columns: fk.parent_columns.iter().map(ToString::to_string).collect(),
        }
    }
}

/// The script that rebuilds `table` with the FOREIGN KEYs `keys` added to its definition.
pub fn declare_foreign_keys(schema: &Schema, table: &Table, keys: &[NewKey]) -> Result<String> {
    let create = with_foreign_keys(table, keys)?;
    let what = keys
        .iter()
        .map(|k| {
            format!(
                "FOREIGN KEY ({}) REFERENCES {}({})",
                ident_list(&k.columns),
                ident(&k.parent),
                ident_list(&k.parent_columns)
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    script(
        schema,
        table,
        &create,
        &[],
        keys,
        &format!("to declare {what}"),
    )
}

/// `table`'s CREATE TABLE text with `keys` appended as table constraints before its closing
/// parenthesis, everything else as written.
pub fn with_foreign_keys(table: &Table, keys: &[NewKey]) -> Result<String> {
    let sql = table
        .sql
        .as_deref()
        .with_context(|| format!("{}: no CREATE TABLE statement", table.name))?;
    let shape = Shape::of(sql)?;
    let body_line = &sql[..shape.last_end];
    let indent = body_line
        .rfind('\n')
        .map(|nl| {
            let line = &body_line[nl + 1..];
            line[..line.len() - line.trim_start().len()].to_string()
        })
        .filter(|i| !i.is_empty());
    // Where the definition spans lines, each key goes on its own line, indented like the last
    // term; on one line, it stays on that line.
    let sep = indent.map_or(", ".to_string(), |i| format!(",\n{i}"));
    let added: String = keys
        .iter()
        .map(|k| {
            format!(
                "{sep}FOREIGN KEY ({}) REFERENCES {}({})",
                ident_list(&k.columns),
                ident(&k.parent),
                ident_list(&k.parent_columns)
            )
        })
        .collect();
    Ok(format!("{body_line}{added}{}", &sql[shape.last_end..]))
}

/// The rebuild of `table` into the definition `create` (a CREATE TABLE naming the table by its
/// own name), for the `sqlite3` shell. `dropped` names the columns `create` leaves out on
/// purpose; any other column it lacks is refused, since the copy would silently lose its values.
/// `checked` are the foreign keys that must hold before the script commits; `why` ends the
/// script's first comment (`to declare …`).
pub fn script(
    schema: &Schema,
    table: &Table,
    create: &str,
    dropped: &[String],
    checked: &[NewKey],
    why: &str,
) -> Result<String> {
    let name = ident(&table.name);
    let mut out = vec![
        format!("-- litescope: rebuild of table {}.", comment(&format!("{name} {why}"))),
        "-- The steps are SQLite's: https://www.sqlite.org/lang_altertable.html (\"Making Other Kinds Of Table".into(),
        "-- Schema Changes\"). Run it with the sqlite3 shell: sqlite3 FILE < fix.sql".into(),
        "-- Stop every program that writes to this database first, and take a backup. `.bail on`".into(),
        "-- makes the shell stop at the first error; the open transaction is then rolled back and".into(),
        "-- the file left as it was. Another client must run it the same way: foreign keys off".into(),
        "-- before BEGIN (foreign_keys is a per-connection setting, ignored inside a transaction),".into(),
        "-- and stop at the first error instead of committing.".into(),
        ".bail on".into(),
        "PRAGMA foreign_keys = OFF;".into(),
        "BEGIN IMMEDIATE;".into(),
    ];
    out.extend(steps(schema, table, create, dropped, checked)?);
    out.push("COMMIT;".into());
    out.push(
        "-- Foreign keys back on for this session, as an application that declares them runs."
            .into(),
    );
    out.push("PRAGMA foreign_keys = ON;".into());
    Ok(out.join("\n"))
}

/// The statements of the rebuild between `BEGIN` and `COMMIT`, for a script that changes more
/// than one table in one transaction (the schema diff's). The caller turns foreign keys off
/// before its `BEGIN`, as [`script`] does. Arguments as for [`script`].
pub fn steps(
    schema: &Schema,
    table: &Table,
    create: &str,
    dropped: &[String],
    checked: &[NewKey],
) -> Result<Vec<String>> {
    if table.kind != TableKind::Table {
        bail!("{}: only an ordinary table can be rebuilt", table.name);
    }
    if !table.queryable() {
        bail!("{}: a name is not UTF-8", table.name);
    }
    let name = ident(&table.name);
    let temp_name = free_name(schema, &format!("{}_litescope_new", table.name));
    let temp = ident(&temp_name);
    let shape = Shape::of(create)?;
    let new_create = format!(
        "{}{temp}{}",
        &create[..shape.name.0],
        &create[shape.name.1..]
    );
    // Rows are copied through the columns both definitions have; generated columns compute
    // themselves and cannot be written.
    let kept = |name: &str| shape.columns.iter().any(|n| n.eq_ignore_ascii_case(name));
    let dropped_by_choice = |name: &str| dropped.iter().any(|d| d.eq_ignore_ascii_case(name));
    if let Some(lost) = table
        .columns
        .iter()
        .find(|c| !kept(&c.name) && !dropped_by_choice(&c.name))
    {
        bail!(
            "{}: the new definition has no column {} and it is not being dropped",
            table.name,
            lost.name
        );
    }
    let copied: Vec<&str> = table
        .columns
        .iter()
        .filter(|c| !c.hidden && kept(&c.name))
        .map(|c| c.name.as_str())
        .collect();
    // The rowid is copied under whichever of its names no column takes.
    let rowid = (!table.without_rowid)
        .then(|| {
            ["rowid", "_rowid_", "oid"]
                .into_iter()
                .find(|alias| table.column(alias).is_none())
        })
        .flatten();
    let carried = match (rowid, copied.is_empty()) {
        (Some(alias), true) => alias.to_string(),
        (Some(alias), false) => format!("{alias}, {}", ident_list(&copied)),
        (None, _) => ident_list(&copied),
    };
    let autoincrement = Shape::of(table.sql.as_deref().unwrap_or_default())
        .is_ok_and(|s| s.autoincrement)
        && schema.table("sqlite_sequence").is_some();
    let stats: Vec<&str> = ["sqlite_stat1", "sqlite_stat4"]
        .into_iter()
        .filter(|t| schema.table(t).is_some())
        .collect();

    let mut out = vec![format!("{new_create};")];
    // With no column in common a WITHOUT ROWID table has nothing to carry: its rows go, as
    // every column of theirs is being dropped.
    if !carried.is_empty() {
        out.push(format!(
            "INSERT INTO {temp} ({carried}) SELECT {carried} FROM {name};"
        ));
    }
    if autoincrement {
        out.push(format!(
            "DELETE FROM sqlite_sequence WHERE name = {};",
            literal(&temp_name)
        ));
        out.push(format!(
            "INSERT INTO sqlite_sequence (name, seq) SELECT {}, seq FROM sqlite_sequence WHERE name = {};",
            literal(&temp_name),
            literal(&table.name)
        ));
    }
    for stat in &stats {
        out.push(format!(
            "CREATE TEMP TABLE litescope_{stat} AS SELECT * FROM main.{stat} WHERE tbl = {};",
            literal(&table.name)
        ));
    }
    out.push(format!("DROP TABLE {name};"));
    out.push("PRAGMA legacy_alter_table = ON;".into());
    out.push(format!("ALTER TABLE {temp} RENAME TO {name};"));
    out.push("PRAGMA legacy_alter_table = OFF;".into());
    out.extend(
        schema
            .indexes_of(&table.name)
            .filter_map(|i| i.sql.as_ref().map(|s| format!("{s};"))),
    );
    out.extend(
        schema
            .triggers
            .iter()
            .filter(|t| t.table.eq_ignore_ascii_case(&table.name))
            .map(|t| format!("{};", t.sql)),
    );
    for stat in &stats {
        out.push(format!(
            "INSERT INTO main.{stat} SELECT * FROM temp.litescope_{stat};"
        ));
        out.push(format!("DROP TABLE temp.litescope_{stat};"));
    }
    if !checked.is_empty() {
        let parents: Vec<String> = checked.iter().map(|k| literal(&k.parent)).collect();
        out.push(
            "CREATE TEMP TABLE litescope_fk_check (violations INTEGER CONSTRAINT \
             \"rows break the new foreign key: clean the orphan rows first\" CHECK (violations = 0));"
                .into(),
        );
        out.push(format!(
            "INSERT INTO temp.litescope_fk_check SELECT count(*) FROM pragma_foreign_key_check({}) \
             WHERE parent IN ({});",
            literal(&table.name),
            parents.join(", ")
        ));
        out.push("DROP TABLE temp.litescope_fk_check;".into());
    }
    Ok(out)
}

/// `base`, or `base_2`, `base_3`… : the first name no table, index, view or trigger has.
fn free_name(schema: &Schema, base: &str) -> String {
    let taken = |n: &str| {
        schema.tables.iter().any(|t| t.name.eq_ignore_ascii_case(n))
            || schema
                .indexes
                .iter()
                .any(|i| i.name.eq_ignore_ascii_case(n))
            || schema.views.iter().any(|v| v.name.eq_ignore_ascii_case(n))
            || schema
                .triggers
                .iter()
                .any(|t| t.name.eq_ignore_ascii_case(n))
    };
    (1..)
        .map(|i| {
            if i == 1 {
                base.to_string()
            } else {
                format!("{base}_{i}")
            }
        })
        .find(|n| !taken(n))
        .unwrap_or_else(|| base.to_string())
}

/// A name token without its quotes.
fn unquote(token: &str) -> String {
    let b = token.as_bytes();
    match (b.first(), b.last()) {
        (Some(&q @ (b'"' | b'`')), Some(&l)) if l == q && b.len() >= 2 => {
            let q = q as char;
            token[1..token.len() - 1].replace(&format!("{q}{q}"), &q.to_string())
        }
        (Some(b'['), Some(b']')) | (Some(b'\''), Some(b'\'')) if b.len() >= 2 => {
            token[1..token.len() - 1].replace("''", "'")
        }
        _ => token.to_string(),
    }
}

/// `text` made safe to print after `--`: a name may hold a line break, and the rest of a
/// comment's line would then reach the shell as a statement or a dot-command (`.shell …`).
pub fn comment(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// `text` as an SQL string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// Where the parts of a CREATE TABLE statement are, found by reading its tokens: quotes,
/// brackets and comments respected, so that a `(` in a default or a `)` in a comment does not
/// mislead it.
#[derive(Debug)]
struct Shape {
    /// Byte range of the table's name (with its schema, if any).
    name: (usize, usize),
    /// End of the last token before the closing parenthesis of the column list.
    last_end: usize,
    /// The column names the definition declares, unquoted.
    columns: Vec<String>,
    autoincrement: bool,
}

impl Shape {
    fn of(sql: &str) -> Result<Shape> {
        let tokens = tokens(sql);
        let word = |i: usize| tokens.get(i).map(|&(s, e)| &sql[s..e]);
        let is = |i: usize, w: &str| word(i).is_some_and(|t| t.eq_ignore_ascii_case(w));
        let mut i = 1;
        if !is(0, "CREATE") {
            bail!("not a CREATE TABLE statement");
        }
        if is(i, "TEMP") || is(i, "TEMPORARY") {
            i += 1;
        }
        if !is(i, "TABLE") {
            bail!("not a CREATE TABLE statement");
        }
        i += 1;
        if is(i, "IF") && is(i + 1, "NOT") && is(i + 2, "EXISTS") {
            i += 3;
        }
        let start = tokens.get(i).context("no table name")?.0;
        let mut end = tokens[i].1;
        if is(i + 1, ".") {
            i += 2;
            end = tokens.get(i).context("no table name")?.1;
        }
        i += 1;
        if !is(i, "(") {
            bail!("not a CREATE TABLE with a column list");
        }
        let mut depth = 0;
        let mut close = None;
        let mut columns = Vec::new();
        for j in i..tokens.len() {
            let term_start = depth == 1 && (is(j - 1, "(") || is(j - 1, ","));
            if term_start
                && !["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"]
                    .iter()
                    .any(|k| is(j, k))
            {
                columns.extend(word(j).map(unquote));
            }
            match word(j) {
                Some("(") => depth += 1,
                Some(")") => {
                    depth -= 1;
                    if depth == 0 {
                        close = Some(j);
                        break;
                    }
                }
                _ => {}
            }
        }
        let close = close.context("unbalanced parentheses")?;
        Ok(Shape {
            name: (start, end),
            last_end: tokens[close - 1].1,
            columns,
            autoincrement: (0..tokens.len()).any(|j| is(j, "AUTOINCREMENT")),
        })
    }
}

/// Byte ranges of the tokens of `sql`: words, quoted names and strings, and single punctuation
/// characters; whitespace and comments are skipped.
fn tokens(sql: &str) -> Vec<(usize, usize)> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let end = match c {
            b if b.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = find_from(bytes, i, b"\n").map_or(bytes.len(), |n| n + 1);
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = find_from(bytes, i + 2, b"*/").map_or(bytes.len(), |n| n + 2);
                continue;
            }
            b'\'' | b'"' | b'`' => quoted_end(bytes, i, c),
            b'[' => find_from(bytes, i, b"]").map_or(bytes.len(), |n| n + 1),
            b if b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80 => {
                let mut j = i;
                while j < bytes.len()
                    && (bytes[j].is_ascii_alphanumeric()
                        || bytes[j] == b'_'
                        || bytes[j] == b'$'
                        || bytes[j] >= 0x80)
                {
                    j += 1;
                }
                j
            }
            _ => i + 1,
        };
        out.push((i, end));
        i = end;
    }
    out
}

/// End of the quoted token opened by `q` at `start`; a doubled quote stays inside.
fn quoted_end(bytes: &[u8], start: usize, q: u8) -> usize {
    let mut j = start + 1;
    while j < bytes.len() {
        if bytes[j] == q {
            if bytes.get(j + 1) == Some(&q) {
                j += 2;
                continue;
            }
            return j + 1;
        }
        j += 1;
    }
    bytes.len()
}

fn find_from(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(sql: &str) -> Table {
        Table {
            name: "t".into(),
            kind: TableKind::Table,
            rows: None,
            rows_exact: false,
            columns: Vec::new(),
            foreign_keys: Vec::new(),
            without_rowid: false,
            strict: false,
            bytes: None,
            module: None,
            shadow_of: None,
            sql: Some(sql.into()),
            error: None,
            name_valid: true,
        }
    }

    fn column(name: &str) -> crate::engine::schema::Column {
        crate::engine::schema::Column {
            name: name.into(),
            decl_type: Default::default(),
            notnull: false,
            pk: 0,
            default: None,
            hidden: false,
            name_valid: true,
        }
    }

    #[test]
    fn refuses_a_definition_that_would_lose_a_column_it_does_not_drop() {
        let mut t = table("CREATE TABLE t(a, b)");
        t.columns = vec![column("a"), column("b")];
        let schema = Schema::default();
        let lost = script(&schema, &t, "CREATE TABLE t(a)", &[], &[], "to test");
        assert!(lost.unwrap_err().to_string().contains("no column b"));
        let ok = script(
            &schema,
            &t,
            "CREATE TABLE t(a)",
            &["b".into()],
            &[],
            "to test",
        )
        .unwrap();
        assert!(ok.contains(
            "INSERT INTO \"t_litescope_new\" (rowid, \"a\") SELECT rowid, \"a\" FROM \"t\";"
        ));
        // A line break in a name must not end a comment: what followed would run in the shell.
        let mut evil = t.clone();
        evil.name = "t\n.shell touch x".into();
        let out = script(&schema, &evil, "CREATE TABLE t(a, b)", &[], &[], "to test").unwrap();
        let header = out.lines().take_while(|l| !l.starts_with(".bail")).count();
        assert!(
            out.lines().take(header).all(|l| l.starts_with("--")),
            "{out}"
        );
        assert!(
            ok.starts_with("-- litescope")
                && ok.contains("\n.bail on\nPRAGMA foreign_keys = OFF;\nBEGIN")
        );
    }

    fn key() -> NewKey {
        NewKey {
            columns: vec!["p_id".into()],
            parent: "p".into(),
            parent_columns: vec!["id".into()],
        }
    }

    #[test]
    fn appends_the_key_after_the_last_term_without_a_stray_comma_line() {
        let sql = "CREATE TABLE t (\n  a INTEGER PRIMARY KEY, -- the key\n  p_id INT CHECK (p_id > 0) -- (a comment)\n) WITHOUT ROWID";
        assert_eq!(
            with_foreign_keys(&table(sql), &[key()]).unwrap(),
            "CREATE TABLE t (\n  a INTEGER PRIMARY KEY, -- the key\n  p_id INT CHECK (p_id > 0),\n  FOREIGN KEY (\"p_id\") REFERENCES \"p\"(\"id\") -- (a comment)\n) WITHOUT ROWID"
        );
        assert_eq!(
            with_foreign_keys(&table("CREATE TABLE \"a)b\"(x DEFAULT ')', p_id)"), &[key()])
                .unwrap(),
            "CREATE TABLE \"a)b\"(x DEFAULT ')', p_id, FOREIGN KEY (\"p_id\") REFERENCES \"p\"(\"id\"))"
        );
    }

    #[test]
    fn finds_the_name_however_it_is_quoted() {
        for (sql, name) in [
            ("CREATE TABLE IF NOT EXISTS [my t](a)", "[my t]"),
            ("create temp table main.`x``y` (a)", "main.`x``y`"),
            ("CREATE TABLE \"q\"\"t\"(a)", "\"q\"\"t\""),
        ] {
            let s = Shape::of(sql).unwrap();
            assert_eq!(&sql[s.name.0..s.name.1], name);
        }
        assert!(Shape::of("CREATE TABLE t AS SELECT 1").is_err());
        let s = Shape::of("CREATE TABLE t([a b] INT, \"c\"\"d\", e CHECK (e IN (1, 2)), CONSTRAINT k PRIMARY KEY (e), UNIQUE (c))").unwrap();
        assert_eq!(s.columns, ["a b", "c\"d", "e"]);
    }
}
