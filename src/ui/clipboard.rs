//! Copying out of the TUI: text to the terminal's clipboard with OSC 52, so that it works over
//! SSH, and through `tmux load-buffer -w -` inside tmux, which ignores an application's OSC 52
//! unless its `set-clipboard` option says otherwise.
//!
//! Panels only say what to copy (`Command::Copy`); the app queues it, and the loop writes it to
//! the terminal between frames (see `ui::run_app`), never while drawing. Nothing here touches
//! state: the encoding is a pure function, tested below.

use std::io::Write;
use std::process::{Command, Stdio};

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 (RFC 4648, with `=` padding).
pub fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The escape sequence that asks the terminal to put `text` in its clipboard.
pub fn osc52(text: &str) -> String {
    format!("\u{1b}]52;c;{}\u{7}", base64(text.as_bytes()))
}

/// Writes `text` to the clipboard through `out` (the terminal), and through tmux when inside it.
pub fn copy(out: &mut impl Write, text: &str) -> std::io::Result<()> {
    out.write_all(osc52(text).as_bytes())?;
    out.flush()?;
    if std::env::var_os("TMUX").is_some_and(|v| !v.is_empty()) {
        let child = Command::new("tmux")
            .args(["load-buffer", "-w", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        if let Ok(mut child) = child {
            if let Some(mut stdin) = child.stdin.take() {
                stdin.write_all(text.as_bytes())?;
            }
            child.wait()?;
        }
    }
    Ok(())
}

/// `rows` under `columns` as CSV (RFC 4180: fields with a comma, quote or line break quoted).
pub fn csv(columns: &[String], rows: impl Iterator<Item = Vec<String>>) -> String {
    let field = |s: &str| {
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    let line = |cells: &[String]| cells.iter().map(|c| field(c)).collect::<Vec<_>>().join(",");
    let mut out = line(columns);
    out.push_str("\r\n");
    for r in rows {
        out.push_str(&line(&r));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), coded, "{plain}");
        }
        assert_eq!(base64(&[0xff, 0xfe, 0x00]), "//4A");
    }

    #[test]
    fn osc52_is_one_sequence() {
        assert_eq!(osc52("hi"), "\u{1b}]52;c;aGk=\u{7}");
    }

    #[test]
    fn csv_quotes_what_needs_it() {
        let cols = ["a".to_string(), "b".to_string()];
        let rows = vec![vec!["1".to_string(), "x, \"y\"".to_string()]];
        assert_eq!(
            csv(&cols, rows.into_iter()),
            "a,b\r\n1,\"x, \"\"y\"\"\"\r\n"
        );
    }
}
