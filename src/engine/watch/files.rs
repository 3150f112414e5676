//! Which watched databases were touched: notify on the folders holding them, events filtered to
//! each database, its `-wal` and its `-journal`, and debounced, so that one commit's several
//! writes make one look. Reading a file (notify's access events) is not a touch.
//!
//! A look also happens once a second without any event, which costs one `PRAGMA data_version`
//! per database: a file system that reports no events (some network mounts) is still followed.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher as _};

use crate::engine::connect::sibling;
use crate::engine::error::Error;

/// How long events keep coming after the first one of a commit.
pub const DEBOUNCE: Duration = Duration::from_millis(100);
/// The longest wait between two looks.
pub const POLL: Duration = Duration::from_secs(1);

/// Touches of the watched databases, by their index in the list given to [`Touches::watch`].
pub struct Touches {
    rx: Receiver<usize>,
    _watcher: RecommendedWatcher,
    count: usize,
}

impl Touches {
    /// Watches the folders of `databases`.
    pub fn watch(databases: &[PathBuf]) -> Result<Touches, Error> {
        let (tx, rx) = channel();
        let watcher = on_touch(databases, move |i| {
            // Fails only once the watch has ended.
            let _ = tx.send(i);
        })?;
        Ok(Touches {
            rx,
            _watcher: watcher,
            count: databases.len(),
        })
    }

    /// Waits for the next touch and the events that follow it within [`DEBOUNCE`]; returns the
    /// databases touched, or every database when [`POLL`] passes without one.
    pub fn next(&self) -> BTreeSet<usize> {
        let mut touched = BTreeSet::new();
        match self.rx.recv_timeout(POLL) {
            Ok(i) => touched.insert(i),
            Err(RecvTimeoutError::Timeout) => return (0..self.count).collect(),
            Err(RecvTimeoutError::Disconnected) => {
                // notify's thread has gone: looking once a second is all that is left.
                std::thread::sleep(POLL);
                return (0..self.count).collect();
            }
        };
        let until = Instant::now() + DEBOUNCE;
        while let Some(left) = until.checked_duration_since(Instant::now()) {
            match self.rx.recv_timeout(left) {
                Ok(i) => touched.insert(i),
                Err(_) => break,
            };
        }
        touched
    }
}

/// Watches the folders of `databases`, each non-recursively, and calls `touched` with the index
/// of each database whose file, `-wal` or `-journal` an event names (several times for one
/// commit: callers debounce). Dropping the watcher ends the watch.
pub fn on_touch(
    databases: &[PathBuf],
    touched: impl Fn(usize) + Send + 'static,
) -> Result<RecommendedWatcher, Error> {
    let mut files: HashMap<PathBuf, usize> = HashMap::new();
    let mut folders = BTreeSet::new();
    for (i, path) in databases.iter().enumerate() {
        let abs = std::path::absolute(path).unwrap_or_else(|_| path.clone());
        if let Some(dir) = abs.parent() {
            folders.insert(dir.to_path_buf());
        }
        files.insert(sibling(&abs, "-wal"), i);
        files.insert(sibling(&abs, "-journal"), i);
        files.insert(abs, i);
    }
    let handler = move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if matches!(event.kind, EventKind::Access(_)) {
            return;
        }
        let hits: BTreeSet<usize> = event
            .paths
            .iter()
            .filter_map(|p| files.get(p))
            .copied()
            .collect();
        hits.into_iter().for_each(&touched);
    };
    let mut watcher = notify::recommended_watcher(handler)
        .map_err(|e| Error::invalid(Path::new("."), format!("cannot watch files: {e}")))?;
    for dir in folders {
        watcher
            .watch(&dir, RecursiveMode::NonRecursive)
            .map_err(|e| Error::invalid(&dir, format!("cannot watch: {e}")))?;
    }
    Ok(watcher)
}
