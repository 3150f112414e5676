//! A query plan as a tree of lines, each costly step marked with what it costs (see
//! [`steps`](crate::engine::plan::steps)), and an index suggestion as lines to show under it.

use ratatui::text::{Line, Span};

use crate::engine::plan::{depths, steps, PlanRow, Suggestion};
use crate::ui::theme::Theme;

/// The plan's rows, indented by depth; a costly step in the warning colour with its mark.
pub fn tree(rows: &[PlanRow], theme: &Theme) -> Vec<Line<'static>> {
    rows.iter()
        .zip(depths(rows))
        .map(|(row, depth)| {
            let indent = Span::raw(format!("{}└ ", "  ".repeat(depth)));
            match steps::cost(&row.detail) {
                Some(cost) => Line::from(vec![
                    indent,
                    Span::styled(row.detail.clone(), theme.warning),
                    Span::styled(format!("  ! {}", cost.label()), theme.warning),
                ]),
                None => Line::from(vec![indent, Span::styled(row.detail.clone(), theme.text)]),
            }
        })
        .collect()
}

/// A suggestion's `CREATE INDEX`, and the index it extends, if any.
pub fn suggestion(s: &Suggestion, selected: bool, theme: &Theme) -> Vec<Line<'static>> {
    let style = if selected { theme.selected } else { theme.ok };
    let mut out = vec![Line::styled(format!("{};", s.sql), style)];
    if let Some(old) = &s.extends {
        out.push(Line::styled(
            format!("  extends {old}: drop it once this one exists"),
            theme.dim,
        ));
    }
    out
}
