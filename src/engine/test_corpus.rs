//! The shared corpus of real databases, for the engine's unit tests and, through
//! `tests/common`, the integration tests. Files are copied before they are opened.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

/// The corpus folder: `$LITESCOPE_CORPUS`, else `../shared/corpus` beside the checkout, else the
/// workplace's `/work/shared/corpus`.
pub fn dir() -> PathBuf {
    let beside = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    std::env::var_os("LITESCOPE_CORPUS")
        .map(PathBuf::from)
        .into_iter()
        .chain([beside, PathBuf::from("/work/shared/corpus")])
        .find(|p| p.is_dir())
        .expect("the shared corpus: set LITESCOPE_CORPUS to its folder")
}

/// Copies of the corpus's `db` and `edge` files whose schema SQLite reads, made in `into`.
pub fn readable_copies(into: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for sub in ["db", "edge"] {
        for entry in std::fs::read_dir(dir().join(sub)).unwrap() {
            let src = entry.unwrap().path();
            if !src.is_file() {
                continue;
            }
            let path = into.join(src.file_name().unwrap());
            std::fs::copy(&src, &path).unwrap();
            let readable = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)
                .and_then(|c| c.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(())));
            if readable.is_ok() {
                out.push(path);
            }
        }
    }
    out
}
