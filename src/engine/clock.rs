//! UTC times as litescope writes them, without a calendar library: `20261122T231500.123Z` in
//! backup names (no `:`, which some file systems refuse), RFC 3339 in manifests, and
//! `20261122231500` for migration versions.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A moment as the parts of its UTC date and time.
struct Utc {
    year: i64,
    month: u32,
    day: u32,
    secs_of_day: u64,
    millis: u32,
}

impl Utc {
    fn of(time: SystemTime) -> Utc {
        let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
        let secs = since.as_secs();
        let (year, month, day) = civil_from_days((secs / 86_400) as i64);
        Utc {
            year,
            month,
            day,
            secs_of_day: secs % 86_400,
            millis: since.subsec_millis(),
        }
    }

    fn hms(&self) -> (u64, u64, u64) {
        let s = self.secs_of_day;
        (s / 3600, s / 60 % 60, s % 60)
    }
}

/// `20261122T231500.123Z`, for a file name.
pub fn for_name(time: SystemTime) -> String {
    let t = Utc::of(time);
    let (h, m, s) = t.hms();
    format!(
        "{:04}{:02}{:02}T{h:02}{m:02}{s:02}.{:03}Z",
        t.year, t.month, t.day, t.millis
    )
}

/// `20261122231500`, a migration version as the tools that number by time write it.
pub fn compact(time: SystemTime) -> String {
    let t = Utc::of(time);
    let (h, m, s) = t.hms();
    format!("{:04}{:02}{:02}{h:02}{m:02}{s:02}", t.year, t.month, t.day)
}

/// `2026-11-22T23:15:00.123Z`, for a manifest.
pub fn rfc3339(time: SystemTime) -> String {
    let t = Utc::of(time);
    let (h, m, s) = t.hms();
    format!(
        "{:04}-{:02}-{:02}T{h:02}:{m:02}:{s:02}.{:03}Z",
        t.year, t.month, t.day, t.millis
    )
}

/// Milliseconds since the epoch, the manifest's machine-readable time.
pub fn unix_ms(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as u64
}

/// The time `unix_ms` milliseconds after the epoch.
pub fn from_unix_ms(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

/// Whole days from `time` to now (0 for a time in the future).
pub fn age_days(time: SystemTime) -> u64 {
    SystemTime::now()
        .duration_since(time)
        .map_or(0, |d| d.as_secs() / 86_400)
}

/// Year, month, day of a count of days since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_times() {
        let t = from_unix_ms(1_795_389_300_123);
        assert_eq!(rfc3339(t), "2026-11-22T23:15:00.123Z");
        assert_eq!(for_name(t), "20261122T231500.123Z");
        assert_eq!(
            rfc3339(from_unix_ms(951_782_400_000)),
            "2000-02-29T00:00:00.000Z"
        );
        assert_eq!(unix_ms(t), 1_795_389_300_123);
        assert_eq!(compact(from_unix_ms(1_722_457_016_000)), "20240731201656");
    }
}
