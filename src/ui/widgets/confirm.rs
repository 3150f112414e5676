//! The question every writing action asks first: what will be written, each file named, and what
//! it costs, with `y` to go ahead and `n` or Esc to leave everything as it is.

use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::popup::centered;
use crate::ui::command::Ctx;
use crate::ui::theme::Theme;

/// What to do when the user says yes.
pub type OnYes = Box<dyn FnOnce(&mut Ctx)>;

pub struct Confirm {
    /// The action, as a question: `Back up shop.db?`.
    pub title: String,
    /// What will be written or removed, one line each.
    pub changes: Vec<String>,
    /// What the user should know before saying yes: a lock held, a step that cannot be undone.
    pub caveats: Vec<String>,
    on_yes: OnYes,
}

impl Confirm {
    pub fn new(title: impl Into<String>, changes: Vec<String>, on_yes: OnYes) -> Confirm {
        Confirm {
            title: title.into(),
            changes,
            caveats: Vec::new(),
            on_yes,
        }
    }

    pub fn caveat(mut self, text: impl Into<String>) -> Confirm {
        self.caveats.push(text.into());
        self
    }

    /// Goes ahead: whatever the action asks for goes into `ctx`.
    pub fn accept(self, ctx: &mut Ctx) {
        (self.on_yes)(ctx);
    }

    pub fn render(&self, frame: &mut Frame, theme: &Theme) {
        let area = centered(frame.area(), 70, 50);
        frame.render_widget(Clear, area);
        let mut lines = vec![Line::styled("This will write:", theme.dim)];
        lines.extend(
            self.changes
                .iter()
                .map(|c| Line::styled(format!("  {c}"), theme.text)),
        );
        for caveat in &self.caveats {
            lines.push(Line::raw(""));
            lines.push(Line::styled(format!("⚠ {caveat}"), theme.warning));
        }
        lines.push(Line::raw(""));
        lines.push(Line::from(vec![
            Span::styled("y", theme.title),
            Span::styled(" / Enter: go ahead    ", theme.text),
            Span::styled("n", theme.title),
            Span::styled(" / Esc: cancel, nothing is written", theme.text),
        ]));
        let block = Block::default()
            .borders(Borders::ALL)
            .border_type(BorderType::Rounded)
            .border_style(theme.warning)
            .title(format!(" {} ", self.title));
        let body = Paragraph::new(Text::from(lines))
            .block(block)
            .wrap(Wrap { trim: false });
        frame.render_widget(body, area);
    }
}
