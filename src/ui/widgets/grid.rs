//! A grid of rows: column widths from the content, a selected row and cell, horizontal scrolling
//! that moves only when the selected cell would leave the view, and a sign at the edge when
//! columns are out of view.

use std::cell::Cell as Scroll;

use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Row, Table, TableState};
use ratatui::Frame;

use super::cell::{fit, short, width};
use crate::engine::browse::Cell;
use crate::ui::theme::Theme;

/// Widest a column gets; longer values end in `…` and show whole in the value popup.
pub const MAX_COL: usize = 40;

pub struct Grid<'a> {
    pub columns: &'a [String],
    pub rows: &'a [Vec<Cell>],
    pub selected: Option<usize>,
    /// First column shown. The panel owns it; drawing moves it only as far as it takes to keep
    /// the selected column in view (the panel cannot know the widths, which come from the area).
    pub first_col: &'a Scroll<usize>,
    pub selected_col: Option<usize>,
}

/// The columns that fit in `room` starting at `first`, as indexes (at least one).
fn fitting(widths: &[usize], first: usize, room: usize) -> Vec<usize> {
    let mut shown = Vec::new();
    let mut used = 0;
    for (i, w) in widths.iter().enumerate().skip(first) {
        if used > 0 && used + w > room {
            break;
        }
        shown.push(i);
        used += w + 1;
    }
    shown
}

/// The first column to show so that `col` is in view, moving from `first` as little as possible.
pub fn scroll(widths: &[usize], first: usize, col: usize, room: usize) -> usize {
    let col = col.min(widths.len().saturating_sub(1));
    let mut first = first.min(col);
    while first < col && !fitting(widths, first, room).contains(&col) {
        first += 1;
    }
    first
}

impl Grid<'_> {
    fn widths(&self) -> Vec<usize> {
        self.columns
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let cells = self
                    .rows
                    .iter()
                    .take(200)
                    .filter_map(|r| r.get(i))
                    .map(|c| width(&short(c)));
                cells
                    .chain([width(name)])
                    .max()
                    .unwrap_or(1)
                    .clamp(3, MAX_COL)
            })
            .collect()
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, block: Block, theme: &Theme) {
        let widths = self.widths();
        // Two border columns, and one for the `›` that says more columns are to the right.
        let room = (area.width as usize).saturating_sub(3);
        let first = match self.selected_col {
            Some(col) => scroll(&widths, self.first_col.get(), col, room),
            None => self.first_col.get(),
        };
        self.first_col.set(first);
        let shown = fitting(&widths, first, room);
        let header = Row::new(
            shown
                .iter()
                .map(|&i| Line::from(fit(&self.columns[i], widths[i]))),
        )
        .style(theme.header);
        let rows = self.rows.iter().map(|r| {
            Row::new(shown.iter().map(|&i| {
                let cell = r.get(i).unwrap_or(&Cell::Null);
                let style = if matches!(cell, Cell::Null) {
                    theme.null
                } else {
                    theme.text
                };
                let mut line = Line::styled(fit(&short(cell), widths[i]), style);
                if matches!(cell, Cell::Int(_) | Cell::Real(_)) {
                    line = line.right_aligned();
                }
                line
            }))
        });
        let constraints: Vec<Constraint> = shown
            .iter()
            .map(|&i| Constraint::Length(widths[i] as u16))
            .collect();
        let mut block = block;
        let n = self.columns.len();
        if let (Some(&a), Some(&b)) = (shown.first(), shown.last()) {
            if a > 0 || b + 1 < n {
                let left = if a > 0 { "‹ " } else { "" };
                let right = if b + 1 < n { " ›" } else { "" };
                let sign = format!(" {left}columns {}–{} of {n}{right} ", a + 1, b + 1);
                block = block.title_bottom(Line::styled(sign, theme.header).right_aligned());
            }
        }
        let table = Table::new(rows, constraints)
            .header(header)
            .block(block)
            .column_spacing(1)
            .row_highlight_style(theme.selected)
            .cell_highlight_style(theme.selected_cell);
        let mut state = TableState::default().with_selected(self.selected);
        if let Some(c) = self
            .selected_col
            .and_then(|c| shown.iter().position(|&s| s == c))
        {
            state = state.with_selected_column(Some(c));
        }
        frame.render_stateful_widget(table, area, &mut state);
        // A `›` at the end of the header where columns are cut off.
        if shown.last().is_some_and(|&b| b + 1 < n) && area.width > 2 && area.height > 2 {
            let at = (area.x + area.width - 2, area.y + 1);
            if let Some(c) = frame.buffer_mut().cell_mut(at) {
                c.set_symbol("›").set_style(theme.header);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrolling_waits_until_the_cursor_would_leave_the_view() {
        let widths = [5, 5, 5, 5, 5, 5];
        // 20 columns of room hold three 5-wide columns and their gaps.
        assert_eq!(scroll(&widths, 0, 2, 20), 0);
        assert_eq!(scroll(&widths, 0, 3, 20), 1);
        assert_eq!(scroll(&widths, 3, 1, 20), 1, "moving left scrolls back");
        assert_eq!(scroll(&widths, 1, 2, 20), 1, "no move while in view");
    }
}
