//! A progress gauge as text, for the status line and panel titles: `[█████░░░░░] 5/10`.

/// `[█████░░░░░] 5/10`, `width` cells wide between the brackets.
pub fn gauge(done: usize, total: usize, width: usize) -> String {
    let filled = (done * width).checked_div(total).unwrap_or(0).min(width);
    format!(
        "[{}{}] {done}/{total}",
        "█".repeat(filled),
        "░".repeat(width - filled)
    )
}
