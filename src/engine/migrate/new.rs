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

use super::folder::{read_folder, Folder, Layout};
use crate::engine::clock;
use crate::engine::error::Error;
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
    let slug = slug(name);
    if slug.is_empty() {
        return Err(Error::invalid(
            Path::new(name),
            "a migration name needs a letter or a digit",
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::invalid(dir, e.to_string()))?;
    let folder = read_folder(dir)?;
    let layout = folder.layout().unwrap_or(Layout::Plain);
    let version = next_version(&folder, layout, now);
    let files = files_for(layout, &version, &slug, up);
    let mut written = Vec::new();
    for (rel, body) in files {
        let path = dir.join(rel);
        write_new(&path, &body)?;
        written.push(path);
    }
    Ok(written)
}

/// The files of a new migration, relative to the folder, with their text: `up` in the up part,
/// or the layout's placeholder.
fn files_for(layout: Layout, version: &str, slug: &str, up: Option<&str>) -> Vec<(String, String)> {
    let base = format!("{version}_{slug}");
    let up = |placeholder: &str| up.map_or(placeholder.to_string(), |sql| format!("{sql}\n"));
    match layout {
        Layout::Plain => vec![(format!("{base}.sql"), up("-- Write the migration here.\n"))],
        Layout::Dbmate => vec![(
            format!("{base}.sql"),
            format!("-- migrate:up\n{}\n\n-- migrate:down\n\n", up("")),
        )],
        Layout::Goose => vec![(
            format!("{base}.sql"),
            format!(
                "-- +goose Up\n-- +goose StatementBegin\n{}\n-- +goose StatementEnd\n\n\
                 -- +goose Down\n-- +goose StatementBegin\n\n-- +goose StatementEnd\n",
                up("")
            ),
        )],
        Layout::UpDown => vec![
            (format!("{base}.up.sql"), up("\n")),
            (format!("{base}.down.sql"), "\n".into()),
        ],
        Layout::Diesel => vec![
            (format!("{base}/up.sql"), up("-- Your SQL goes here\n")),
            (
                format!("{base}/down.sql"),
                "-- This file should undo anything in `up.sql`\n".into(),
            ),
        ],
        Layout::Versioned => vec![(format!("V{version}__{slug}.sql"), up("\n"))],
    }
}

/// `name` with anything but letters, digits, `-` and `_` turned into `_`.
fn slug(name: &str) -> String {
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
