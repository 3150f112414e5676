//! `migrate new`: the next migration of a folder, in the folder's own layout and numbering.
//!
//! Numbering follows what is there: timestamps (`20240731203656`, diesel's
//! `2024-07-31-203656`) get the current UTC time, sequences (`0003`, `V7`) the next number at
//! the same width. An empty folder gets `<timestamp>_<name>.sql`. Each file is written to a
//! temporary file in the folder and renamed into place, never over an existing file, so that a
//! watcher or a running tool never sees half a file. This writes files only, never a database.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::folder::{read_folder, Folder, Layout, Migration};
use super::Version;
use crate::engine::clock;
use crate::engine::error::Error;
use crate::engine::lexer;
use crate::engine::write::AtomicFile;

/// Writes the next migration named `name` into `dir` (created if missing) and returns the files
/// written. `up` is its SQL (the schema diff's); without it, the files hold the layout's
/// placeholders for a person to fill.
pub fn create(
    dir: &Path,
    name: &str,
    now: SystemTime,
    up: Option<&str>,
) -> Result<Vec<PathBuf>, Error> {
    std::fs::create_dir_all(dir).map_err(|e| Error::invalid(dir, e.to_string()))?;
    let folder = read_folder(dir)?;
    write(&draft(&folder, name, now, up)?)
}

/// A migration drafted for a folder and not written yet: what a confirmation names before
/// [`write`] saves it.
#[derive(Debug, Clone)]
pub struct Draft {
    pub version: String,
    pub slug: String,
    pub layout: Layout,
    /// Each file's path and text; the first holds the up SQL.
    pub files: Vec<(PathBuf, String)>,
}

impl Draft {
    /// The migration the folder will hold once the draft is written.
    pub fn migration(&self) -> Migration {
        let (path, text) = &self.files[0];
        let version = Version::new(self.version.replace('-', ""));
        Migration::unsaved(version, &self.slug, self.layout, path.clone(), text)
    }
}

/// The next migration of `folder` named `name`: with `up`, holding that SQL (marked, in the
/// layout's own way, to run outside the tool's transaction when it opens its own); without, the
/// layout's empty template.
pub fn draft(
    folder: &Folder,
    name: &str,
    now: SystemTime,
    up: Option<&str>,
) -> Result<Draft, Error> {
    let slug = slug(name);
    if slug.is_empty() {
        return Err(Error::invalid(
            Path::new(name),
            "a migration name needs a letter or a digit",
        ));
    }
    let layout = folder.layout().unwrap_or(Layout::Plain);
    let version = next_version(folder, layout, now);
    let files = match up {
        Some(sql) => files_with(layout, &version, &slug, sql),
        None => files_for(layout, &version, &slug)
            .into_iter()
            .map(|(rel, body)| (rel, body.to_string()))
            .collect(),
    };
    Ok(Draft {
        files: files
            .into_iter()
            .map(|(rel, body)| (folder.dir.join(rel), body))
            .collect(),
        version,
        slug,
        layout,
    })
}

/// Writes a draft's files, each whole and never over an existing file.
pub fn write(draft: &Draft) -> Result<Vec<PathBuf>, Error> {
    for (path, body) in &draft.files {
        write_new(path, body)?;
    }
    Ok(draft.files.iter().map(|(p, _)| p.clone()).collect())
}

/// The files of a new migration, relative to the folder, with their starting text.
fn files_for(layout: Layout, version: &str, slug: &str) -> Vec<(String, &'static str)> {
    let base = format!("{version}_{slug}");
    match layout {
        Layout::Plain => vec![(format!("{base}.sql"), "-- Write the migration here.\n")],
        Layout::Dbmate => vec![(
            format!("{base}.sql"),
            "-- migrate:up\n\n\n-- migrate:down\n\n",
        )],
        Layout::Goose => vec![(
            format!("{base}.sql"),
            "-- +goose Up\n-- +goose StatementBegin\n\n-- +goose StatementEnd\n\n\
             -- +goose Down\n-- +goose StatementBegin\n\n-- +goose StatementEnd\n",
        )],
        Layout::UpDown => vec![
            (format!("{base}.up.sql"), "\n"),
            (format!("{base}.down.sql"), "\n"),
        ],
        Layout::Diesel => vec![
            (format!("{base}/up.sql"), "-- Your SQL goes here\n"),
            (
                format!("{base}/down.sql"),
                "-- This file should undo anything in `up.sql`\n",
            ),
        ],
        Layout::Versioned => vec![(format!("V{version}__{slug}.sql"), "\n")],
    }
}

/// The files of a new migration holding `sql`. SQL that opens its own transaction (a table
/// rebuild, whose `PRAGMA foreign_keys = OFF` does nothing inside one) is marked so that the
/// team's tool does not wrap it in another.
fn files_with(layout: Layout, version: &str, slug: &str, sql: &str) -> Vec<(String, String)> {
    let own = lexer::heads(sql)
        .iter()
        .any(|h| h.word == "BEGIN" || h.word == "COMMIT");
    let sql = sql.trim_end();
    let base = format!("{version}_{slug}");
    match (layout, own) {
        (Layout::Plain, true) => {
            vec![(format!("{base}.sql"), format!("-- no-transaction\n{sql}\n"))]
        }
        (Layout::Plain, false) => vec![(format!("{base}.sql"), format!("{sql}\n"))],
        // The down file is left empty: a roll back then refuses, rather than run nothing.
        (Layout::UpDown, _) => vec![
            (format!("{base}.up.sql"), format!("{sql}\n")),
            (format!("{base}.down.sql"), "\n".into()),
        ],
        (Layout::Dbmate, _) => {
            let mark = if own { " transaction:false" } else { "" };
            vec![(
                format!("{base}.sql"),
                format!("-- migrate:up{mark}\n{sql}\n\n-- migrate:down\n"),
            )]
        }
        (Layout::Goose, _) => {
            let mark = if own {
                "-- +goose NO TRANSACTION\n"
            } else {
                ""
            };
            vec![(
                format!("{base}.sql"),
                format!(
                    "-- +goose Up\n{mark}-- +goose StatementBegin\n{sql}\n-- +goose StatementEnd\n"
                ),
            )]
        }
        (Layout::Diesel, _) => {
            let mut files = vec![
                (format!("{base}/up.sql"), format!("{sql}\n")),
                (
                    format!("{base}/down.sql"),
                    "-- No down migration for this fix.\n".into(),
                ),
            ];
            if own {
                files.push((
                    format!("{base}/metadata.toml"),
                    "run_in_transaction = false\n".into(),
                ));
            }
            files
        }
        (Layout::Versioned, _) => vec![(format!("V{version}__{slug}.sql"), format!("{sql}\n"))],
    }
}

/// `name` with anything but letters, digits, `-` and `_` turned into `_`.
pub(super) fn slug(name: &str) -> String {
    let mapped: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    mapped.trim_matches('_').to_string()
}

/// The version after the folder's last, in its style.
fn next_version(folder: &Folder, layout: Layout, now: SystemTime) -> String {
    let last = folder.migrations.last();
    let stamp = clock::compact(now);
    let Some(last) = last else {
        return stamp;
    };
    let text = last.version.as_str();
    if layout == Layout::Diesel {
        let dashed = format!(
            "{}-{}-{}-{}",
            &stamp[..4],
            &stamp[4..6],
            &stamp[6..8],
            &stamp[8..]
        );
        return dashed;
    }
    if layout == Layout::Versioned {
        let major = text.split('.').next().unwrap_or(text);
        return major
            .parse::<u64>()
            .map_or("1".into(), |n| (n + 1).to_string());
    }
    let is_timestamp = text.len() == 14 && (text.starts_with("19") || text.starts_with("20"));
    match text.parse::<u128>() {
        Ok(n) if is_timestamp => {
            let ours: u128 = stamp.parse().unwrap_or(0);
            ours.max(n + 1).to_string()
        }
        Ok(n) => format!("{:0width$}", n + 1, width = text.len()),
        Err(_) => stamp,
    }
}

/// Writes `body` to `path` whole, never over an existing file (see [`AtomicFile`]).
fn write_new(path: &Path, body: &str) -> Result<(), Error> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut file = AtomicFile::create(path)?;
    file.file()
        .write_all(body.as_bytes())
        .map_err(|e| Error::io(path, e))?;
    file.commit(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_slugs() {
        assert_eq!(slug(" add users table! "), "add_users_table");
        assert_eq!(slug("***"), "");
    }
}
