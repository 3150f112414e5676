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
    /// The selected row of a list or grid.
    pub selected: Style,
    /// The selected cell of a grid, inside the selected row.
    pub selected_cell: Style,
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
            // White on xterm grey 238 (#444444), black on amber 214 (#ffaf00): both above 9:1.
            selected: Style::default()
                .bg(Color::Indexed(238))
                .fg(Color::Indexed(231))
                .add_modifier(Modifier::BOLD),
            selected_cell: Style::default()
                .bg(Color::Indexed(214))
                .fg(Color::Indexed(16))
                .add_modifier(Modifier::BOLD),
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
            // Black on xterm grey 252 (#d0d0d0), white on blue 25 (#005faf): both above 6:1.
            selected: Style::default()
                .bg(Color::Indexed(252))
                .fg(Color::Indexed(16))
                .add_modifier(Modifier::BOLD),
            selected_cell: Style::default()
                .bg(Color::Indexed(25))
                .fg(Color::Indexed(231))
                .add_modifier(Modifier::BOLD),
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
            selected_cell: bold.add_modifier(Modifier::UNDERLINED),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The xterm 256-colour palette's value of an indexed colour (the cube and the greys).
    fn rgb(c: Option<Color>) -> (f64, f64, f64) {
        let Some(Color::Indexed(i)) = c else {
            panic!("selection colours are indexed, so that they look alike everywhere: {c:?}")
        };
        let level = |v: u8| {
            if v == 0 {
                0.0
            } else {
                55.0 + 40.0 * f64::from(v)
            }
        };
        match i {
            16..=231 => {
                let i = i - 16;
                (level(i / 36), level(i / 6 % 6), level(i % 6))
            }
            232..=255 => {
                let g = 8.0 + 10.0 * f64::from(i - 232);
                (g, g, g)
            }
            _ => panic!("the first 16 colours depend on the terminal's palette"),
        }
    }

    /// WCAG's contrast ratio of two colours.
    fn contrast(a: (f64, f64, f64), b: (f64, f64, f64)) -> f64 {
        let lum = |(r, g, b): (f64, f64, f64)| {
            let ch = |v: f64| {
                let v = v / 255.0;
                if v <= 0.03928 {
                    v / 12.92
                } else {
                    ((v + 0.055) / 1.055).powf(2.4)
                }
            };
            0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(b)
        };
        let (x, y) = (lum(a), lum(b));
        (x.max(y) + 0.05) / (x.min(y) + 0.05)
    }

    #[test]
    fn selections_are_readable_in_both_themes() {
        for theme in [Theme::dark(), Theme::light()] {
            for style in [theme.selected, theme.selected_cell] {
                let ratio = contrast(rgb(style.fg), rgb(style.bg));
                assert!(
                    ratio >= 4.5,
                    "{}: {style:?} has contrast {ratio:.1}",
                    theme.name
                );
            }
            assert_ne!(
                theme.selected.bg, theme.selected_cell.bg,
                "the cell stands out"
            );
        }
    }
}
