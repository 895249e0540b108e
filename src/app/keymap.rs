//! Keys are data: the default keymap ships in `assets/default-keymap.json`, is parsed at
//! start (and checked by a test), and resolves a key press in a mode to an `Action`. The
//! help screen and the status bar hints are generated from it, so they never drift.

use crate::app::action::Action;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::{BTreeMap, HashMap};

/// The bundled default keymap.
pub const DEFAULT_KEYMAP: &str = include_str!("../../assets/default-keymap.json");

/// Input modes with their own bindings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Navigating.
    Normal,
    /// Typing a search query.
    Search,
    /// Typing at a prompt (jump to a time, a path target).
    Prompt,
}

/// A key with its modifiers, normalised (Shift is part of the character for letters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KeyChord {
    code: KeyCode,
    mods: KeyModifiers,
}

impl KeyChord {
    /// The chord of a key event.
    pub fn from_event(k: &KeyEvent) -> KeyChord {
        let mut mods =
            k.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        if matches!(k.code, KeyCode::Char(_) | KeyCode::BackTab) {
            mods.remove(KeyModifiers::SHIFT);
        }
        KeyChord { code: k.code, mods }
    }

    /// Parses `q`, `F3`, `S-F3`, `C-d`, `A-Left`, `Enter`, `PageUp`, ...
    pub fn parse(s: &str) -> Option<KeyChord> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = s;
        while rest.len() > 2 && rest.as_bytes()[1] == b'-' {
            match rest.as_bytes()[0] {
                b'C' => mods |= KeyModifiers::CONTROL,
                b'A' => mods |= KeyModifiers::ALT,
                b'S' => mods |= KeyModifiers::SHIFT,
                _ => return None,
            }
            rest = &rest[2..];
        }
        let code = match rest {
            "Enter" => KeyCode::Enter,
            "Space" => KeyCode::Char(' '),
            "Esc" => KeyCode::Esc,
            "Tab" => KeyCode::Tab,
            "BackTab" => KeyCode::BackTab,
            "Backspace" => KeyCode::Backspace,
            "Up" => KeyCode::Up,
            "Down" => KeyCode::Down,
            "Left" => KeyCode::Left,
            "Right" => KeyCode::Right,
            "PageUp" => KeyCode::PageUp,
            "PageDown" => KeyCode::PageDown,
            "Home" => KeyCode::Home,
            "End" => KeyCode::End,
            f if f.len() > 1 && f.starts_with('F') => KeyCode::F(f[1..].parse().ok()?),
            c if c.chars().count() == 1 => KeyCode::Char(c.chars().next()?),
            _ => return None,
        };
        if matches!(code, KeyCode::Char(_)) {
            mods.remove(KeyModifiers::SHIFT);
        }
        Some(KeyChord { code, mods })
    }
}

/// Key bindings per mode, plus the key names as written, for help and hints.
#[derive(Clone, Debug)]
pub struct Keymap {
    by_mode: HashMap<Mode, HashMap<KeyChord, Action>>,
    names: HashMap<(Mode, Action), Vec<String>>,
}

/// Why a keymap could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeymapError {
    /// Not JSON of the expected shape.
    #[error("keymap is not valid: {0}")]
    Json(#[from] serde_json::Error),
    /// A key name that means nothing.
    #[error("keymap: unknown key '{0}'")]
    Key(String),
    /// A mode name that means nothing.
    #[error("keymap: unknown mode '{0}'")]
    Mode(String),
}

impl Keymap {
    /// Parses a keymap in the JSON layout of the default one.
    pub fn parse(text: &str) -> Result<Keymap, KeymapError> {
        let raw: BTreeMap<String, BTreeMap<String, Action>> = serde_json::from_str(text)?;
        let mut by_mode: HashMap<Mode, HashMap<KeyChord, Action>> = HashMap::new();
        let mut names: HashMap<(Mode, Action), Vec<String>> = HashMap::new();
        for (mode_name, keys) in raw {
            let mode = match mode_name.as_str() {
                "normal" => Mode::Normal,
                "search" => Mode::Search,
                "prompt" => Mode::Prompt,
                _ => return Err(KeymapError::Mode(mode_name)),
            };
            for (key, action) in keys {
                let chord = KeyChord::parse(&key).ok_or_else(|| KeymapError::Key(key.clone()))?;
                by_mode.entry(mode).or_default().insert(chord, action);
                names.entry((mode, action)).or_default().push(key);
            }
        }
        Ok(Keymap { by_mode, names })
    }

    /// The bundled keymap.
    pub fn default_keymap() -> Keymap {
        // The bundled file is checked by a unit test, so this cannot fail in a release.
        Keymap::parse(DEFAULT_KEYMAP).unwrap_or_else(|_| Keymap {
            by_mode: HashMap::new(),
            names: HashMap::new(),
        })
    }

    /// The action bound to a key in a mode.
    pub fn resolve(&self, key: &KeyEvent, mode: Mode) -> Option<Action> {
        self.by_mode
            .get(&mode)?
            .get(&KeyChord::from_event(key))
            .copied()
    }

    /// Key names bound to an action, shortest first (`q` before `F10`).
    pub fn keys_for(&self, mode: Mode, action: Action) -> Vec<String> {
        let mut keys = self.names.get(&(mode, action)).cloned().unwrap_or_default();
        keys.sort_by_key(|k| (k.chars().count(), k.clone()));
        keys
    }

    /// Every (keys, action) of a mode in the order of `Action`'s declaration.
    pub fn bindings(&self, mode: Mode) -> Vec<(Vec<String>, Action)> {
        let mut out: Vec<(Vec<String>, Action)> = self
            .names
            .iter()
            .filter(|((m, _), _)| *m == mode)
            .map(|((_, a), _)| (self.keys_for(mode, *a), *a))
            .collect();
        out.sort_by_key(|(_, a)| *a as u8);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEventKind;

    fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent {
            code,
            modifiers: mods,
            kind: KeyEventKind::Press,
            state: crossterm::event::KeyEventState::NONE,
        }
    }

    #[test]
    fn the_bundled_keymap_parses_and_has_no_conflicts() {
        let raw: BTreeMap<String, BTreeMap<String, Action>> =
            serde_json::from_str(DEFAULT_KEYMAP).expect("valid JSON");
        let map = Keymap::parse(DEFAULT_KEYMAP).expect("valid keymap");
        for (mode, keys) in raw {
            let mut seen = HashMap::new();
            for k in keys.keys() {
                let chord = KeyChord::parse(k).expect("known key");
                assert!(
                    seen.insert(chord, k.clone()).is_none(),
                    "{mode}: {k} bound twice"
                );
            }
        }
        assert_eq!(
            map.resolve(&key(KeyCode::Char('q'), KeyModifiers::NONE), Mode::Normal),
            Some(Action::Quit)
        );
        assert_eq!(
            map.resolve(&key(KeyCode::F(10), KeyModifiers::NONE), Mode::Normal),
            Some(Action::Quit)
        );
    }

    #[test]
    fn shifted_letters_and_modified_keys_resolve() {
        let map = Keymap::default_keymap();
        assert_eq!(
            map.resolve(&key(KeyCode::Char('N'), KeyModifiers::SHIFT), Mode::Normal),
            Some(Action::PreviousMatch)
        );
        assert_eq!(
            map.resolve(&key(KeyCode::F(3), KeyModifiers::SHIFT), Mode::Normal),
            Some(Action::PreviousMatch)
        );
        assert_eq!(
            map.resolve(
                &key(KeyCode::Char('d'), KeyModifiers::CONTROL),
                Mode::Normal
            ),
            Some(Action::PageDown)
        );
        assert_eq!(
            map.resolve(&key(KeyCode::Left, KeyModifiers::ALT), Mode::Normal),
            Some(Action::GoBack)
        );
        assert_eq!(
            map.resolve(&key(KeyCode::Char('q'), KeyModifiers::NONE), Mode::Search),
            None
        );
        assert_eq!(map.keys_for(Mode::Normal, Action::Quit), ["q", "F10"]);
    }

    #[test]
    fn every_action_has_a_key() {
        let map = Keymap::default_keymap();
        let bound: Vec<Action> = map
            .bindings(Mode::Normal)
            .into_iter()
            .chain(map.bindings(Mode::Search))
            .map(|(_, a)| a)
            .collect();
        for a in [
            Action::Quit,
            Action::ShowHelp,
            Action::GoForward,
            Action::ShowSharedState,
            Action::SearchDelete,
        ] {
            assert!(bound.contains(&a), "{a:?} unbound");
        }
    }
}
