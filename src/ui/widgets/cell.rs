//! Values made safe and short for a terminal cell.
//!
//! Text from a database can hold escape sequences and control characters; none of them may
//! reach the terminal raw. They are shown as visible symbols instead (`␛`, `↵`, `→`).

use unicode_width::UnicodeWidthChar;

use crate::engine::browse::Cell;
use crate::units;

/// `text` with every control character replaced by a visible symbol.
pub fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' => '↵',
            '\t' => '→',
            '\u{1b}' => '␛',
            c if (c as u32) < 0x20 => char::from_u32(0x2400 + c as u32).unwrap_or('?'),
            '\u{7f}' => '␡',
            c if c.is_control() => '�',
            c => c,
        })
        .collect()
}

/// `text` cut to `width` columns, ending in `…` when cut.
pub fn fit(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    let total: usize = text.chars().map(|c| c.width().unwrap_or(0)).sum();
    if total <= width {
        return text.to_string();
    }
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        used += w;
        out.push(c);
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// The value as copied out: text as stored, numbers as SQLite prints them, NULL as `NULL`, a
/// BLOB as the hex of the bytes read (its head: see `browse::BLOB_HEAD`).
pub fn plain(cell: &Cell) -> String {
    match cell {
        Cell::Null => "NULL".into(),
        Cell::Int(i) => i.to_string(),
        Cell::Real(f) => f.to_string(),
        Cell::Text(t, _) => t.clone(),
        Cell::Blob(head, _) => head.iter().map(|b| format!("{b:02x}")).collect(),
    }
}

/// The value in a JSON row: NULL as null, numbers as numbers, a BLOB as its hex.
pub fn json(cell: &Cell) -> serde_json::Value {
    match cell {
        Cell::Null => serde_json::Value::Null,
        Cell::Int(i) => (*i).into(),
        Cell::Real(f) => {
            serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into)
        }
        other => plain(other).into(),
    }
}

/// A row as a JSON object, its columns in order.
pub fn row_json(columns: &[String], row: &[Cell]) -> String {
    let fields: Vec<String> = columns
        .iter()
        .zip(row)
        .map(|(c, v)| format!("{}:{}", serde_json::Value::from(c.as_str()), json(v)))
        .collect();
    format!("{{{}}}", fields.join(","))
}

/// Display width of `text` in columns.
pub fn width(text: &str) -> usize {
    text.chars().map(|c| c.width().unwrap_or(0)).sum()
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The one-line form of a value for a grid cell.
pub fn short(cell: &Cell) -> String {
    match cell {
        Cell::Null => "NULL".into(),
        Cell::Int(i) => i.to_string(),
        Cell::Real(f) => f.to_string(),
        Cell::Text(t, _) => sanitize(t),
        Cell::Blob(head, len) => format!(
            "<blob {}> {}",
            units::bytes(*len as u64),
            hex(&head[..head.len().min(8)])
        ),
    }
}

/// The whole value for the value popup: text with its lines, a blob as a hex dump.
pub fn full(cell: &Cell) -> String {
    match cell {
        Cell::Text(t, len) => {
            let body: String = t.lines().map(sanitize).collect::<Vec<_>>().join("\n");
            if *len > t.len() {
                format!(
                    "{body}\n… ({} of {} shown)",
                    units::bytes(t.len() as u64),
                    units::bytes(*len as u64)
                )
            } else {
                body
            }
        }
        Cell::Blob(head, len) => {
            let mut out = format!("BLOB, {}\n\n", units::bytes(*len as u64));
            for (i, chunk) in head.chunks(16).enumerate() {
                let ascii: String = chunk
                    .iter()
                    .map(|b| {
                        if b.is_ascii_graphic() {
                            *b as char
                        } else {
                            '.'
                        }
                    })
                    .collect();
                out.push_str(&format!("{:08x}  {:<47}  {ascii}\n", i * 16, hex(chunk)));
            }
            if *len > head.len() {
                out.push_str(&format!("… first {} of {} bytes", head.len(), len));
            }
            out
        }
        other => short(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_never_reach_the_terminal() {
        let s = sanitize("a\u{1b}[2Jb\nc\td\u{7}");
        assert_eq!(s, "a␛[2Jb↵c→d␇");
        assert!(s.chars().all(|c| !c.is_control()));
    }

    #[test]
    fn fits_text_to_a_width_with_an_ellipsis() {
        assert_eq!(fit("hello world", 8), "hello w…");
        assert_eq!(fit("short", 8), "short");
        assert_eq!(fit("日本語テキスト", 7), "日本語…");
    }

    #[test]
    fn blobs_show_size_and_hex() {
        let b = Cell::Blob(vec![0xde, 0xad, 0xbe, 0xef], 2048);
        assert_eq!(short(&b), "<blob 2.0 KiB> de ad be ef");
        assert!(full(&b).contains("00000000  de ad be ef"));
    }
}
