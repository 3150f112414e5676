//! A grid of rows: column widths from the content, a selected row, horizontal scrolling.

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
    /// First column shown.
    pub first_col: usize,
    pub selected_col: Option<usize>,
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
        let inner_width = area.width.saturating_sub(2) as usize;
        let mut shown = Vec::new();
        let mut used = 0;
        for (i, w) in widths.iter().enumerate().skip(self.first_col) {
            if used > 0 && used + w + 1 > inner_width {
                break;
            }
            shown.push(i);
            used += w + 1;
        }
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
        let table = Table::new(rows, constraints)
            .header(header)
            .block(block)
            .column_spacing(1)
            .row_highlight_style(theme.selected);
        let mut state = TableState::default().with_selected(self.selected);
        if let Some(c) = self
            .selected_col
            .and_then(|c| shown.iter().position(|&s| s == c))
        {
            state = state.with_selected_column(Some(c));
        }
        frame.render_stateful_widget(table, area, &mut state);
    }
}
