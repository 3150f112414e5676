//! Which watched databases were touched: notify on the folders holding them, events filtered to
//! each database, its `-wal` and its `-journal`, and debounced, so that one commit's several
//! writes make one look. Reading a file (notify's access events) is not a touch.
//!
//! A look also happens once a second without any event, which costs one `PRAGMA data_version`
//! per database: a file system that reports no events (some network mounts) is still followed.

use std::collections::BTreeSet;
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
        let files: Vec<Vec<PathBuf>> = databases
            .iter()
            .map(|p| {
                let abs = std::path::absolute(p).unwrap_or_else(|_| p.clone());
                vec![sibling(&abs, "-wal"), sibling(&abs, "-journal"), abs]
            })
            .collect();
        let (tx, rx) = channel();
        let owned = files.clone();
        let handler = move |event: notify::Result<notify::Event>| {
            let Ok(event) = event else { return };
            if matches!(event.kind, EventKind::Access(_)) {
                return;
            }
            for (i, names) in owned.iter().enumerate() {
                if event.paths.iter().any(|p| names.contains(p)) {
                    // Fails only once the watch has ended.
                    let _ = tx.send(i);
                }
            }
        };
        let mut watcher = notify::recommended_watcher(handler)
            .map_err(|e| Error::invalid(Path::new("."), format!("cannot watch files: {e}")))?;
        let folders: BTreeSet<PathBuf> = files
            .iter()
            .filter_map(|f| f.last()?.parent().map(Path::to_path_buf))
            .collect();
        for dir in folders {
            watcher
                .watch(&dir, RecursiveMode::NonRecursive)
                .map_err(|e| Error::invalid(&dir, format!("cannot watch: {e}")))?;
        }
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
