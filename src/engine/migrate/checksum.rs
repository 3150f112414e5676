//! Checksums in the forms the tools keep them, so that a changed file can be told from the
//! applied one: sqlx's SHA-384 of the file's bytes, Flyway's CRC32 of its lines.

use std::fmt;

use sha2::{Digest, Sha384};

/// A checksum as a tool stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checksum {
    /// Raw digest bytes (sqlx keeps the 48 bytes of a SHA-384 in a BLOB).
    Bytes(Vec<u8>),
    /// A number (Flyway's CRC32, a signed 32-bit integer).
    Number(i64),
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Checksum::Bytes(bytes) => bytes.iter().try_for_each(|b| write!(f, "{b:02x}")),
            Checksum::Number(n) => write!(f, "{n}"),
        }
    }
}

/// SHA-384 of `bytes`, as sqlx checksums a migration file.
pub fn sha384(bytes: &[u8]) -> Checksum {
    Checksum::Bytes(Sha384::digest(bytes).to_vec())
}

/// Flyway's checksum: CRC32 over the file's lines without their line ends (and without a
/// leading byte-order mark), stored as a signed 32-bit number.
pub fn flyway_crc32(text: &str) -> Checksum {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut crc = Crc32::default();
    for line in text.lines() {
        crc.update(line.as_bytes());
    }
    Checksum::Number(i64::from(crc.finish() as i32))
}

/// The CRC-32 of zlib and Java's `java.util.zip.CRC32` (reflected polynomial 0xEDB88320).
struct Crc32(u32);

impl Default for Crc32 {
    fn default() -> Self {
        Crc32(0xFFFF_FFFF)
    }
}

impl Crc32 {
    fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u32::from(b);
            for _ in 0..8 {
                let mask = (self.0 & 1).wrapping_neg();
                self.0 = (self.0 >> 1) ^ (0xEDB8_8320 & mask);
            }
        }
    }

    fn finish(&self) -> u32 {
        !self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        let mut crc = Crc32::default();
        crc.update(b"123456789");
        assert_eq!(crc.finish(), 0xCBF4_3926);
    }

    #[test]
    fn flyway_ignores_line_ends() {
        assert_eq!(flyway_crc32("a\nb\n"), flyway_crc32("a\r\nb"));
        // Flyway's own quirk: lines are joined without separators, so these agree too.
        assert_eq!(flyway_crc32("a\nb"), flyway_crc32("ab\n"));
        assert_ne!(flyway_crc32("a\nb"), flyway_crc32("a\nc"));
    }

    #[test]
    fn sha384_prints_as_hex() {
        let text = sha384(b"").to_string();
        assert!(text.starts_with("38b060a751ac9638"));
        assert_eq!(text.len(), 96);
    }
}
