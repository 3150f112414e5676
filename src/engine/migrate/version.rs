//! A migration's version as the tools write it, ordered as they order it.
//!
//! Versions are text (`20240731203656`, `00001`, Flyway's `1.1`), compared part by part (parts
//! split at dots), numerically where both parts are digits, so that `9` comes before `10` and
//! `0001` equals `1`, as the tools that parse versions as integers see it.

use std::cmp::Ordering;
use std::fmt;

use serde::Serialize;

#[derive(Debug, Clone, Eq)]
pub struct Version(pub String);

impl Version {
    pub fn new(text: impl Into<String>) -> Version {
        Version(text.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The version as an integer, for the tools that store one (sqlx, goose, golang-migrate).
    pub fn number(&self) -> Option<i64> {
        self.0.parse().ok()
    }
}

/// Digits without their leading zeros compare by length, then as text: any length of number.
fn cmp_part(a: &str, b: &str) -> Ordering {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    if digits(a) && digits(b) {
        let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
        a.len().cmp(&b.len()).then_with(|| a.cmp(b))
    } else {
        a.cmp(b)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Version) -> Ordering {
        let mut a = self.0.split('.');
        let mut b = other.0.split('.');
        loop {
            match (a.next(), b.next()) {
                (None, None) => return Ordering::Equal,
                (None, Some(_)) => return Ordering::Less,
                (Some(_), None) => return Ordering::Greater,
                (Some(x), Some(y)) => match cmp_part(x, y) {
                    Ordering::Equal => {}
                    other => return other,
                },
            }
        }
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Version) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Version) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_as_numbers() {
        assert!(Version::new("9") < Version::new("10"));
        assert_eq!(Version::new("0001"), Version::new("1"));
        assert!(Version::new("1.1") < Version::new("1.10"));
        assert!(Version::new("1") < Version::new("1.1"));
    }
}
