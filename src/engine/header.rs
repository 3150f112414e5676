//! The 100-byte SQLite file header, read straight from the file.
//!
//! Header facts are available even when SQLite refuses to open a file, and reading them costs one
//! `read` call. Values that a WAL can change (page count, user_version) are re-read through a
//! connection once one is open; see `schema::load`.

use std::fs::File;
use std::io::Read;
use std::path::Path;

/// The 16 bytes every SQLite 3 database starts with.
pub const MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// The header fields litescope reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub page_size: u32,
    pub write_version: u8,
    pub read_version: u8,
    pub change_counter: u32,
    pub page_count: u32,
    pub freelist_count: u32,
    pub text_encoding: u32,
    pub user_version: i32,
    pub application_id: i32,
    pub version_valid_for: u32,
    pub sqlite_version: u32,
}

/// What the first bytes of a file say it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sniff {
    Empty,
    Sqlite(Header),
    /// The magic matches but the file ends before the 100-byte header does.
    Truncated,
    NotSqlite,
}

/// What every commit by any process changes: the header's change counter (rollback journal),
/// the WAL's length, salts and time (a WAL commit appends frames; a WAL that starts over gets
/// new salts), and the file's length and time (a checkpoint, such as the one the last connection
/// runs when it closes, writes the file and removes the WAL). Two equal marks mean no commit came
/// in between, short of two writes within one tick of the file system's clock that leave every
/// length as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitMark {
    change_counter: Option<u32>,
    file: Option<(u64, std::time::SystemTime)>,
    wal: Option<(u64, std::time::SystemTime)>,
    wal_salts: [u8; 8],
}

/// The commit mark of the database at `db` and its `-wal`, read from the files.
pub fn commit_mark(db: &Path) -> std::io::Result<CommitMark> {
    let (mut change_counter, mut file) = (None, None);
    if let Some(mut f) = open_if_there(db)? {
        if let Sniff::Sqlite(h) = classify(&read_head(&mut f, 100)?) {
            change_counter = Some(h.change_counter);
        }
        file = Some(size_and_time(&f)?);
    }
    let (mut wal, mut wal_salts) = (None, [0u8; 8]);
    if let Some(mut f) = open_if_there(&crate::engine::connect::sibling(db, "-wal"))? {
        let head = read_head(&mut f, 24)?;
        if head.len() == 24 {
            wal_salts.copy_from_slice(&head[16..24]);
        }
        // An empty WAL holds no commit: one a new connection just made counts as none.
        wal = Some(size_and_time(&f)?).filter(|(len, _)| *len > 0);
    }
    Ok(CommitMark {
        change_counter,
        file,
        wal,
        wal_salts,
    })
}

/// True when the `-wal` at `path` may hold a commit: it starts with a WAL header (SQLite's magic
/// and format version) and is long enough for one frame after it. SQLite ignores any other
/// `-wal` as empty, so reading the database needs neither it nor a `-shm`.
pub fn wal_may_hold_frames(path: &Path) -> bool {
    let Ok(Some(mut file)) = open_if_there(path) else {
        return false;
    };
    let (Ok(head), Ok(len)) = (read_head(&mut file, 32), file.metadata().map(|m| m.len())) else {
        // Unsure: let SQLite read it.
        return true;
    };
    if head.len() < 32 || !matches!(be32(&head, 0), 0x377f_0682 | 0x377f_0683) {
        return false;
    }
    let frame = 24 + u64::from(be32(&head, 8));
    be32(&head, 4) == 3_007_000 && len >= 32 + frame
}

/// Up to `len` bytes from the start of `file`.
fn read_head(file: &mut File, len: usize) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(len);
    file.take(len as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

/// The regular file at `path`, if there is one: a FIFO or a device is never opened, since
/// reading one can block forever.
fn open_if_there(path: &Path) -> std::io::Result<Option<File>> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => File::open(path).map(Some),
        Ok(_) => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

fn size_and_time(file: &File) -> std::io::Result<(u64, std::time::SystemTime)> {
    let m = file.metadata()?;
    Ok((m.len(), m.modified()?))
}

/// Reads up to 100 bytes of `path` and classifies the file.
pub fn sniff(path: &Path) -> std::io::Result<Sniff> {
    let mut buf = [0u8; 100];
    let mut file = File::open(path)?;
    let mut len = 0;
    while len < buf.len() {
        let n = file.read(&mut buf[len..])?;
        if n == 0 {
            break;
        }
        len += n;
    }
    Ok(classify(&buf[..len]))
}

/// Classifies the leading bytes of a file.
pub fn classify(bytes: &[u8]) -> Sniff {
    if bytes.is_empty() {
        Sniff::Empty
    } else if bytes.len() < MAGIC.len() || &bytes[..16] != MAGIC {
        Sniff::NotSqlite
    } else if bytes.len() < 100 {
        Sniff::Truncated
    } else {
        Sniff::Sqlite(parse(bytes))
    }
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn parse(b: &[u8]) -> Header {
    let raw_page = u16::from_be_bytes([b[16], b[17]]) as u32;
    Header {
        page_size: if raw_page == 1 { 65536 } else { raw_page },
        write_version: b[18],
        read_version: b[19],
        change_counter: be32(b, 24),
        page_count: be32(b, 28),
        freelist_count: be32(b, 36),
        text_encoding: be32(b, 56),
        user_version: be32(b, 60) as i32,
        application_id: be32(b, 68) as i32,
        version_valid_for: be32(b, 92),
        sqlite_version: be32(b, 96),
    }
}

impl Header {
    /// What in the header, or in the file's length `len`, makes the file unreadable, if
    /// anything: SQLite itself only says "file is not a database" or "malformed", naming no
    /// cause. Fields are judged as SQLite judges them when it opens a file.
    pub fn problem(&self, len: u64) -> Option<String> {
        if let Some(why) = self.unreadable() {
            return Some(why);
        }
        if !(1..=3).contains(&self.text_encoding) && self.text_encoding != 0 {
            return Some(format!(
                "header: text encoding {} is none of 1 (UTF-8), 2 (UTF-16le), 3 (UTF-16be)",
                self.text_encoding
            ));
        }
        self.truncation(len)
    }

    /// What in the header SQLite refuses to open a file for whatever else it holds: a page size
    /// it cannot have, or a file format newer than SQLite 3 reads. Known before any read.
    pub fn unreadable(&self) -> Option<String> {
        let size = self.page_size;
        if !(512..=65536).contains(&size) || !size.is_power_of_two() {
            return Some(format!(
                "header: page size {size} is not a power of two from 512 to 65536"
            ));
        }
        if self.read_version > 2 {
            return Some(format!(
                "header: file format read version {} is newer than SQLite 3 reads",
                self.read_version
            ));
        }
        None
    }

    /// A file shorter than the pages its header counts, or ending mid-page: cut off by a copy or
    /// a full disk. The page count is trusted only where SQLite trusts it (written by the same
    /// commit as the change counter).
    fn truncation(&self, len: u64) -> Option<String> {
        let size = u64::from(self.page_size);
        let counted = u64::from(self.page_count) * size;
        let trusted = self.page_count > 0 && self.version_valid_for == self.change_counter;
        if trusted && len < counted {
            return Some(format!(
                "the file has {len} bytes where its header counts {} pages of {size}: \
                 truncated, or the header is damaged",
                self.page_count
            ));
        }
        (!len.is_multiple_of(size)).then(|| {
            format!("the file has {len} bytes, not a whole number of {size}-byte pages: truncated")
        })
    }

    /// True when the file was last written in WAL mode.
    pub fn is_wal(&self) -> bool {
        self.write_version == 2 || self.read_version == 2
    }

    /// The SQLite library version that last wrote the file, as `3.45.1`.
    pub fn sqlite_version_text(&self) -> Option<String> {
        let v = self.sqlite_version;
        (v != 0).then(|| format!("{}.{}.{}", v / 1_000_000, v / 1000 % 1000, v % 1000))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header_bytes() -> Vec<u8> {
        let mut b = vec![0u8; 100];
        b[..16].copy_from_slice(MAGIC);
        b[16..18].copy_from_slice(&4096u16.to_be_bytes());
        b[18] = 2;
        b[19] = 2;
        b[60..64].copy_from_slice(&7u32.to_be_bytes());
        b[96..100].copy_from_slice(&3_045_001u32.to_be_bytes());
        b
    }

    #[test]
    fn parses_the_fields_litescope_reports() {
        let Sniff::Sqlite(h) = classify(&header_bytes()) else {
            panic!("not recognised")
        };
        assert_eq!(h.page_size, 4096);
        assert!(h.is_wal());
        assert_eq!(h.user_version, 7);
        assert_eq!(h.sqlite_version_text().as_deref(), Some("3.45.1"));
    }

    #[test]
    fn tells_empty_short_and_foreign_files_apart() {
        assert_eq!(classify(b""), Sniff::Empty);
        assert_eq!(classify(b"hello"), Sniff::NotSqlite);
        assert_eq!(classify(&[0u8; 100]), Sniff::NotSqlite);
        assert_eq!(classify(&header_bytes()[..40]), Sniff::Truncated);
    }
}
