//! Migrations folders watched with notify: a file created, changed or removed under one sends
//! the folder's path to the main loop, whose panels re-read what depends on it (as gitui's
//! `watcher.rs` forwards a unit event). Several events of one save each send a message; the job
//! they start replaces a queued one of its kind, so a burst costs one read.

use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};

use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher as _};

use super::app::Msg;
use crate::engine::locks::lock;

pub struct Watcher {
    inner: RecommendedWatcher,
    /// The folders watched, shared with notify's thread, which names the one an event is under.
    folders: Arc<Mutex<Vec<PathBuf>>>,
}

impl Watcher {
    /// A watcher that sends [`Msg::Folder`] on `tx`; `None` where the platform offers none.
    pub fn new(tx: Sender<Msg>) -> Option<Watcher> {
        let folders: Arc<Mutex<Vec<PathBuf>>> = Arc::default();
        let watched = folders.clone();
        let handler = move |event: notify::Result<notify::Event>| {
            let Ok(event) = event else { return };
            if matches!(event.kind, EventKind::Access(_)) {
                return;
            }
            let hit = lock(&watched)
                .iter()
                .find(|root| event.paths.iter().any(|p| p.starts_with(root)))
                .cloned();
            if let Some(root) = hit {
                // Fails only once the UI has gone.
                let _ = tx.send(Msg::Folder(root));
            }
        };
        let inner = notify::recommended_watcher(handler).ok()?;
        Some(Watcher { inner, folders })
    }

    /// Watches `dir` and everything under it (diesel keeps migrations in subfolders); a folder
    /// already watched is left as it is. Returns false when it cannot be watched.
    pub fn watch(&mut self, dir: &Path) -> bool {
        if lock(&self.folders).iter().any(|f| f == dir) {
            return true;
        }
        let ok = self.inner.watch(dir, RecursiveMode::Recursive).is_ok();
        if ok {
            lock(&self.folders).push(dir.to_path_buf());
        }
        ok
    }
}

/// Watches `dir` with the watcher in `slot`, started on first use; false when it cannot.
pub fn watch(slot: &mut Option<Watcher>, tx: &Sender<Msg>, dir: &Path) -> bool {
    if slot.is_none() {
        *slot = Watcher::new(tx.clone());
    }
    slot.as_mut().is_some_and(|w| w.watch(dir))
}
