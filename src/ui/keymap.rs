//! Keys to actions: defaults, overridden by the `[keys]` table of the config file.
//!
//! A binding is data: `run = ["f5", "ctrl-r"]` maps key names straight onto [`Action`]s.

use std::collections::HashMap;

use anyhow::{bail, Result};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::{Action, Group};
use super::panels::{entry, REGISTRY};

/// A key as written in the config: `q`, `G`, `ctrl-r`, `f5`, `pagedown`, `shift-tab`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub fn parse(text: &str) -> Result<Key> {
        let lower = text.to_ascii_lowercase();
        let (mods, name) = match lower.rsplit_once('-').filter(|(_, n)| !n.is_empty()) {
            Some((m, _)) if text.len() > 1 => {
                let mods = m.split('-').try_fold(KeyModifiers::NONE, |acc, p| {
                    Ok(acc
                        | match p {
                            "ctrl" => KeyModifiers::CONTROL,
                            "alt" => KeyModifiers::ALT,
                            "shift" => KeyModifiers::SHIFT,
                            _ => bail!("unknown modifier {p:?} in key {text:?}"),
                        })
                })?;
                (mods, &text[m.len() + 1..])
            }
            _ => (KeyModifiers::NONE, text),
        };
        let code = match name.to_ascii_lowercase().as_str() {
            "enter" => KeyCode::Enter,
            "esc" => KeyCode::Esc,
            "tab" if mods.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pageup" => KeyCode::PageUp,
            "pagedown" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "space" => KeyCode::Char(' '),
            f if f.starts_with('f') && f.len() > 1 && f[1..].parse::<u8>().is_ok() => {
                KeyCode::F(f[1..].parse()?)
            }
            _ if name.chars().count() == 1 => KeyCode::Char(name.chars().next().expect("one char")),
            _ => bail!("unknown key {text:?}"),
        };
        let mods = if code == KeyCode::BackTab {
            KeyModifiers::NONE
        } else {
            mods
        };
        Ok(Key { code, mods })
    }

    /// The key of a terminal event, normalised so that `G` matches however it was typed.
    pub fn of(event: &KeyEvent) -> Key {
        let mut mods = event.modifiers - KeyModifiers::SHIFT;
        if event.code == KeyCode::BackTab {
            mods = KeyModifiers::NONE;
        }
        Key {
            code: event.code,
            mods,
        }
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            write!(f, "ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            write!(f, "alt-")?;
        }
        match self.code {
            KeyCode::Char(' ') => write!(f, "space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "F{n}"),
            KeyCode::BackTab => write!(f, "shift-tab"),
            KeyCode::PageUp => write!(f, "pgup"),
            KeyCode::PageDown => write!(f, "pgdn"),
            other => write!(f, "{}", format!("{other:?}").to_ascii_lowercase()),
        }
    }
}

const DEFAULTS: &[(&str, &[&str])] = &[
    ("quit", &["q", "ctrl-c"]),
    ("help", &["?", "f1"]),
    ("next_panel", &["tab"]),
    ("prev_panel", &["shift-tab"]),
    ("filter", &["/"]),
    ("refresh", &["r"]),
    ("escape", &["esc"]),
    ("up", &["up", "k"]),
    ("down", &["down", "j"]),
    ("left", &["left", "h"]),
    ("right", &["right", "l"]),
    ("page_up", &["pageup", "ctrl-b"]),
    ("page_down", &["pagedown", "ctrl-f", "space"]),
    ("top", &["home", "g"]),
    ("bottom", &["end", "G"]),
    ("enter", &["enter"]),
    ("run", &["f5", "ctrl-r"]),
    ("edit", &["i", "e"]),
    ("history_prev", &["ctrl-p"]),
    ("history_next", &["ctrl-n"]),
    ("workload", &["w"]),
    ("compare", &["c"]),
    ("sort", &["s"]),
    ("severity", &["v"]),
    ("theme", &["t"]),
    ("prev_db", &["["]),
    ("next_db", &["]"]),
    ("copy", &["y"]),
    ("copy_row", &["Y"]),
    ("follow", &["f"]),
    ("backup", &["b"]),
    ("verify", &["V"]),
    ("prune", &["P"]),
    ("restore", &["R"]),
    ("migrate_up", &["u"]),
    ("migrate_down", &["d"]),
    ("dry_run", &["p"]),
    ("apply", &["a"]),
];

/// Every action name the config accepts, in the help screen's order.
pub fn action_names() -> Vec<String> {
    let panels = REGISTRY.iter().map(|e| format!("show_{}", e.id.0));
    DEFAULTS
        .iter()
        .map(|(name, _)| name.to_string())
        .chain(panels)
        .collect()
}

/// Keys to actions, and back for the help screen.
#[derive(Debug, Clone)]
pub struct Keymap {
    map: HashMap<Key, Action>,
}

fn action_named(name: &str) -> Result<Action> {
    if let Some(panel) = name.strip_prefix("show_") {
        let p = REGISTRY.iter().find(|e| e.id.0 == panel).ok_or_else(|| {
            anyhow::anyhow!(
                "unknown panel {panel:?} in action {name:?}; valid actions: {}",
                action_names().join(", ")
            )
        })?;
        return Ok(Action::Show(p.id));
    }
    serde_json::from_value(serde_json::Value::String(name.into())).map_err(|_| {
        anyhow::anyhow!(
            "unknown action {name:?}; valid actions: {}",
            action_names().join(", ")
        )
    })
}

impl Keymap {
    /// The defaults with `overrides` (action name → keys) replacing their actions' keys.
    pub fn new(overrides: &HashMap<String, Vec<String>>) -> Result<Keymap> {
        let mut map = HashMap::new();
        for panel in REGISTRY {
            map.insert(Key::parse(panel.key)?, Action::Show(panel.id));
        }
        for (name, keys) in DEFAULTS {
            let action = action_named(name)?;
            for k in *keys {
                map.insert(Key::parse(k)?, action);
            }
        }
        for (name, keys) in overrides {
            let action = action_named(name)?;
            map.retain(|_, a| *a != action);
            for k in keys {
                map.insert(Key::parse(k)?, action);
            }
        }
        Ok(Keymap { map })
    }

    pub fn action(&self, event: &KeyEvent) -> Option<Action> {
        self.map.get(&Key::of(event)).copied()
    }

    /// Every binding as (keys, what it does), grouped for the help screen: global keys first,
    /// then those of every panel, then each panel's own; within a group, in the defaults' order.
    pub fn help(&self) -> Vec<(Group, Vec<(String, String)>)> {
        let rank = |a: &Action| match a {
            Action::Show(p) => {
                DEFAULTS.len() + REGISTRY.iter().position(|e| e.id == *p).unwrap_or(0)
            }
            a => DEFAULTS
                .iter()
                .position(|(n, _)| action_named(n).is_ok_and(|x| x == *a))
                .unwrap_or(usize::MAX),
        };
        let mut by_action: Vec<(Action, Vec<Key>)> = Vec::new();
        for (key, action) in &self.map {
            match by_action.iter_mut().find(|(a, _)| a == action) {
                Some((_, keys)) => keys.push(*key),
                None => by_action.push((*action, vec![*key])),
            }
        }
        by_action.sort_by_key(|(a, _)| (a.group(), rank(a)));
        let mut out: Vec<(Group, Vec<(String, String)>)> = Vec::new();
        for (action, keys) in by_action {
            let mut keys: Vec<String> = keys.iter().map(Key::to_string).collect();
            // Single characters first (`q` before `ctrl-c`), then alphabetically.
            keys.sort_by_key(|k| (k.chars().count() > 1, k.to_lowercase()));
            let what = match action {
                Action::Show(p) => format!("go to {}", entry(p).map_or(p.0, |e| e.title)),
                a => a.describe().to_string(),
            };
            let line = (keys.join(" "), what);
            match out.last_mut() {
                Some((g, lines)) if *g == action.group() => lines.push(line),
                _ => out.push((action.group(), vec![line])),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn defaults_follow_the_contract() {
        let km = Keymap::new(&HashMap::new()).unwrap();
        let none = KeyModifiers::NONE;
        assert_eq!(
            km.action(&press(KeyCode::Char('q'), none)),
            Some(Action::Quit)
        );
        assert_eq!(
            km.action(&press(KeyCode::Char('?'), KeyModifiers::SHIFT)),
            Some(Action::Help)
        );
        assert_eq!(
            km.action(&press(KeyCode::Char('3'), none)),
            Some(Action::Show(crate::ui::panels::data::ID))
        );
        assert_eq!(
            km.action(&press(KeyCode::BackTab, KeyModifiers::SHIFT)),
            Some(Action::PrevPanel)
        );
        assert_eq!(
            km.action(&press(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
        assert_eq!(
            km.action(&press(KeyCode::Char('r'), KeyModifiers::CONTROL)),
            Some(Action::Run)
        );
        assert_eq!(km.action(&press(KeyCode::F(5), none)), Some(Action::Run));
    }

    #[test]
    fn the_config_replaces_an_actions_keys() {
        let overrides = HashMap::from([("quit".to_string(), vec!["x".to_string()])]);
        let km = Keymap::new(&overrides).unwrap();
        let none = KeyModifiers::NONE;
        assert_eq!(
            km.action(&press(KeyCode::Char('x'), none)),
            Some(Action::Quit)
        );
        assert_eq!(km.action(&press(KeyCode::Char('q'), none)), None);
        let bad = HashMap::from([("next_page".to_string(), vec!["x".to_string()])]);
        let why = Keymap::new(&bad).unwrap_err().to_string();
        assert!(why.contains("unknown action \"next_page\""), "{why}");
        assert!(why.contains("page_down") && why.contains("bottom"), "{why}");
        assert!(why.contains("show_query") && why.contains("copy"), "{why}");
        let show = HashMap::from([("show_query".to_string(), vec!["x".to_string()])]);
        assert_eq!(
            Keymap::new(&show)
                .unwrap()
                .action(&press(KeyCode::Char('x'), none)),
            Some(Action::Show(crate::ui::panels::query::ID)),
            "show_<panel> names come from the registry"
        );
        let nowhere = HashMap::from([("show_nowhere".to_string(), vec!["x".to_string()])]);
        let why = Keymap::new(&nowhere).unwrap_err().to_string();
        assert!(
            why.contains("show_overview"),
            "the valid names are listed: {why}"
        );
        assert!(Key::parse("hyper-x").is_err());
    }
}
