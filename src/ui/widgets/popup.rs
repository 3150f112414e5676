//! A centred box over the panels, for help, DDL, whole values and fixes.

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::Text;
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use crate::ui::theme::Theme;

/// A popup's content and how far it is scrolled.
#[derive(Debug, Clone, PartialEq)]
pub struct Popup {
    pub title: String,
    pub body: Text<'static>,
    pub scroll: u16,
    /// What `y` copies while it is open, when that is not its text as shown (a value as stored
    /// rather than with its control characters made visible), and what to call it.
    pub copy: Option<(String, String)>,
}

impl Popup {
    pub fn new(title: impl Into<String>, body: impl Into<Text<'static>>) -> Popup {
        Popup {
            title: title.into(),
            body: body.into(),
            scroll: 0,
            copy: None,
        }
    }

    /// The popup, with `text` (called `what`) for `y` to copy.
    pub fn copying(self, text: impl Into<String>, what: impl Into<String>) -> Popup {
        Popup {
            copy: Some((text.into(), what.into())),
            ..self
        }
    }

    pub fn scroll_by(&mut self, delta: i32) {
        let max = self.body.lines.len().saturating_sub(1) as i32;
        self.scroll = (self.scroll as i32 + delta).clamp(0, max) as u16;
    }

    pub fn render(&self, frame: &mut Frame, theme: &Theme) {
        let area = centered(frame.area(), 80, 80);
        frame.render_widget(Clear, area);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_type(BorderType::Rounded)
            .border_style(theme.border_focus)
            .title(format!(" {} ", self.title))
            .title_bottom(" Esc close · ↑↓ scroll ");
        let para = Paragraph::new(self.body.clone())
            .block(block)
            .style(theme.text)
            .wrap(Wrap { trim: false })
            .scroll((self.scroll, 0));
        frame.render_widget(para, area);
    }
}

/// A rectangle of `pct_x` by `pct_y` percent in the middle of `area`.
pub fn centered(area: Rect, pct_x: u16, pct_y: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Percentage(pct_y)])
        .flex(Flex::Center)
        .areas(area);
    let [h] = Layout::horizontal([Constraint::Percentage(pct_x)])
        .flex(Flex::Center)
        .areas(v);
    h
}
