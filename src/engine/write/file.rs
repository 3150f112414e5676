//! Files written whole or not at all: a temporary name beside the target, fsync, rename, fsync
//! of the folder.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use crate::engine::connect::sibling;
use crate::engine::error::Error;

/// What a file being written ends in. It is never a database-like name, so no listing or
/// discovery takes a half-written file for a database or a backup.
const PARTIAL: &str = ".partial";

/// A file being written under a temporary name; removed unless [`AtomicFile::commit`] is called.
pub struct AtomicFile {
    temp: PathBuf,
    target: PathBuf,
    file: File,
    committed: bool,
}

impl AtomicFile {
    /// Starts writing `target`, under `<target>.<pid>.partial` in the same folder so that the
    /// final rename never crosses file systems; the pid lets a later sweep tell a dead writer's
    /// leftovers from a running one's.
    pub fn create(target: &Path) -> Result<AtomicFile, Error> {
        let temp = sibling(target, &format!(".{}{PARTIAL}", std::process::id()));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(|e| Error::io(&temp, e))?;
        Ok(AtomicFile {
            temp,
            target: target.to_path_buf(),
            file,
            committed: false,
        })
    }

    pub fn file(&mut self) -> &mut File {
        &mut self.file
    }

    /// The temporary name it is written under until [`AtomicFile::commit`].
    pub fn path(&self) -> &Path {
        &self.temp
    }

    /// Syncs the file, gives it its name and syncs the folder. With `replace` it takes the place
    /// of an existing file in one rename; without, an existing file makes it fail, so two writers
    /// choosing the same name never overwrite each other.
    pub fn commit(mut self, replace: bool) -> Result<(), Error> {
        self.file.sync_all().map_err(|e| Error::io(&self.temp, e))?;
        let placed = match replace {
            true => fs::rename(&self.temp, &self.target),
            false => place_new(&self.temp, &self.target),
        };
        placed.map_err(|e| Error::io(&self.target, e))?;
        self.committed = true;
        fsync_dir(&self.target)
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// Links `temp` to `target` only if `target` does not exist, then drops the temporary name.
fn place_new(temp: &Path, target: &Path) -> io::Result<()> {
    match fs::hard_link(temp, target) {
        Ok(()) => fs::remove_file(temp),
        // A file system without hard links (FAT, some network mounts): rename after checking
        // that the name is free.
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists && !target.exists() => {
            fs::rename(temp, target)
        }
        Err(e) => Err(e),
    }
}

/// Syncs the folder holding `path`, so that a rename in it survives a crash.
pub fn fsync_dir(path: &Path) -> Result<(), Error> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, e))
}

/// Removes what writers killed mid-write left in `dir` (files ending in `.<pid>.partial` whose
/// process is gone); returns how many.
pub fn sweep_partials(dir: &Path) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| writer_pid(&e.file_name().to_string_lossy()).is_some_and(|pid| !alive(pid)))
        .filter(|e| fs::remove_file(e.path()).is_ok())
        .count()
}

fn writer_pid(name: &str) -> Option<i32> {
    let rest = name.strip_suffix(PARTIAL)?;
    rest.rsplit('.').next()?.parse().ok()
}

fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 sends nothing; it only asks whether the process exists.
    let found = unsafe { libc::kill(pid, 0) } == 0;
    found || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_dropped_file_leaves_nothing_and_a_committed_one_takes_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a.db");
        let mut w = AtomicFile::create(&target).unwrap();
        w.file().write_all(b"half").unwrap();
        drop(w);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);

        let mut w = AtomicFile::create(&target).unwrap();
        w.file().write_all(b"whole").unwrap();
        w.commit(false).unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"whole");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_new_file_never_overwrites_and_a_replacement_does() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a.db");
        fs::write(&target, b"old").unwrap();
        let w = AtomicFile::create(&target).unwrap();
        assert!(w.commit(false).is_err());
        assert_eq!(fs::read(&target).unwrap(), b"old");
        let mut w = AtomicFile::create(&target).unwrap();
        w.file().write_all(b"new").unwrap();
        w.commit(true).unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"new");
    }

    #[test]
    fn a_sweep_removes_only_dead_writers_leftovers() {
        let dir = tempfile::tempdir().unwrap();
        let mine = dir
            .path()
            .join(format!("a.db.{}.partial", std::process::id()));
        // Pid numbers wrap below this on Linux, so no process has it.
        let dead = dir.path().join("b.db.2147483646.partial");
        fs::write(&mine, b"").unwrap();
        fs::write(&dead, b"").unwrap();
        assert_eq!(sweep_partials(dir.path()), 1);
        assert!(mine.exists() && !dead.exists());
    }
}
