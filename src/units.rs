//! Human-readable sizes and counts, shared by the CLI's text output and the TUI.

/// `1536` → `1.5 KiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// `1234567` → `1,234,567`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1 row`, `1,234 rows`: a count with its noun.
pub fn counted(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{} {noun}s", count(n))
    }
}

/// A row count as shown to users: `~` marks an estimate, `?` an unknown.
pub fn rows(rows: Option<u64>, exact: bool) -> String {
    match (rows, exact) {
        (Some(n), true) => count(n),
        (Some(n), false) => format!("~{}", count(n)),
        (None, _) => "?".to_string(),
    }
}

/// An age in whole days: `today`, `1 day ago`, `12 days ago`.
pub fn age_days(days: u64) -> String {
    match days {
        0 => "today".to_string(),
        n => format!("{} ago", counted(n, "day")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_sizes_and_counts() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(3 * 1024 * 1024 * 1024), "3.0 GiB");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count(12), "12");
        assert_eq!(rows(Some(1000), false), "~1,000");
        assert_eq!(rows(None, true), "?");
        assert_eq!(counted(1, "row"), "1 row");
        assert_eq!(counted(1200, "row"), "1,200 rows");
    }
}
