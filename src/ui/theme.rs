//! Colours and text styles, dark or light, or none at all when `NO_COLOR` is set.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: &'static str,
    pub text: Style,
    pub dim: Style,
    pub title: Style,
    pub border: Style,
    pub border_focus: Style,
    pub selected: Style,
    pub tab: Style,
    pub tab_active: Style,
    pub header: Style,
    pub ok: Style,
    pub error: Style,
    pub warning: Style,
    pub info: Style,
    pub null: Style,
    pub keyword: Style,
    pub string: Style,
    pub number: Style,
    pub comment: Style,
    pub gauge: Style,
}

impl Theme {
    pub fn dark() -> Theme {
        let fg = |c| Style::default().fg(c);
        Theme {
            name: "dark",
            text: fg(Color::Gray),
            dim: fg(Color::DarkGray),
            title: fg(Color::Cyan).add_modifier(Modifier::BOLD),
            border: fg(Color::DarkGray),
            border_focus: fg(Color::Cyan),
            selected: Style::default().bg(Color::Blue).fg(Color::White),
            tab: fg(Color::Gray),
            tab_active: fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            header: fg(Color::Yellow).add_modifier(Modifier::BOLD),
            ok: fg(Color::Green),
            error: fg(Color::Red).add_modifier(Modifier::BOLD),
            warning: fg(Color::Yellow),
            info: fg(Color::Blue),
            null: fg(Color::DarkGray).add_modifier(Modifier::ITALIC),
            keyword: fg(Color::Magenta).add_modifier(Modifier::BOLD),
            string: fg(Color::Green),
            number: fg(Color::Cyan),
            comment: fg(Color::DarkGray).add_modifier(Modifier::ITALIC),
            gauge: fg(Color::Cyan),
        }
    }

    pub fn light() -> Theme {
        let fg = |c| Style::default().fg(c);
        Theme {
            name: "light",
            text: fg(Color::Black),
            dim: fg(Color::DarkGray),
            title: fg(Color::Blue).add_modifier(Modifier::BOLD),
            border: fg(Color::Gray),
            border_focus: fg(Color::Blue),
            selected: Style::default().bg(Color::LightBlue).fg(Color::Black),
            tab: fg(Color::DarkGray),
            tab_active: fg(Color::White)
                .bg(Color::Blue)
                .add_modifier(Modifier::BOLD),
            header: fg(Color::Magenta).add_modifier(Modifier::BOLD),
            ok: fg(Color::Green),
            error: fg(Color::Red).add_modifier(Modifier::BOLD),
            warning: fg(Color::Rgb(160, 100, 0)),
            info: fg(Color::Blue),
            null: fg(Color::Gray).add_modifier(Modifier::ITALIC),
            keyword: fg(Color::Magenta).add_modifier(Modifier::BOLD),
            string: fg(Color::Green),
            number: fg(Color::Blue),
            comment: fg(Color::Gray).add_modifier(Modifier::ITALIC),
            gauge: fg(Color::Blue),
        }
    }

    /// No colours, only emphasis: for `NO_COLOR` and terminals without colour.
    pub fn plain() -> Theme {
        let none = Style::default();
        let bold = none.add_modifier(Modifier::BOLD);
        Theme {
            name: "plain",
            text: none,
            dim: none,
            title: bold,
            border: none,
            border_focus: bold,
            selected: none.add_modifier(Modifier::REVERSED),
            tab: none,
            tab_active: none.add_modifier(Modifier::REVERSED),
            header: bold,
            ok: none,
            error: bold,
            warning: bold,
            info: none,
            null: none.add_modifier(Modifier::ITALIC),
            keyword: bold,
            string: none,
            number: none,
            comment: none.add_modifier(Modifier::ITALIC),
            gauge: none,
        }
    }

    /// The theme named in the config, unless `NO_COLOR` asks for none.
    pub fn choose(name: Option<&str>, no_color: bool) -> Theme {
        match (no_color, name) {
            (true, _) => Theme::plain(),
            (false, Some("light")) => Theme::light(),
            _ => Theme::dark(),
        }
    }
}
