//! Colours and emphasis, chosen once by the app (NO_COLOR is read there, not here) and
//! passed to every view.

use ratatui::style::{Color, Modifier, Style};

/// The styles views draw with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Theme {
    /// Ordinary text.
    pub text: Style,
    /// Secondary text (types, counts, ids).
    pub dim: Style,
    /// Section and class headers.
    pub header: Style,
    /// The cursor row in the focused pane.
    pub cursor: Style,
    /// The cursor row in a pane without focus.
    pub cursor_unfocused: Style,
    /// Border of the focused pane.
    pub focused_border: Style,
    /// Border of other panes.
    pub border: Style,
    /// Warnings and problems.
    pub warning: Style,
    /// The status bar.
    pub status: Style,
    /// Key names in hints.
    pub key: Style,
}

impl Theme {
    /// The cursor style of a pane, by whether it has the focus.
    pub fn cursor_for(&self, focused: bool) -> Style {
        if focused {
            self.cursor
        } else {
            self.cursor_unfocused
        }
    }

    /// Colours for terminals that have them.
    pub fn colored() -> Theme {
        Theme {
            text: Style::default(),
            dim: Style::default().fg(Color::DarkGray),
            header: Style::default()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            cursor: Style::default()
                .bg(Color::Blue)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD),
            cursor_unfocused: Style::default().add_modifier(Modifier::REVERSED),
            focused_border: Style::default().fg(Color::Cyan),
            border: Style::default().fg(Color::DarkGray),
            warning: Style::default()
                .fg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
            status: Style::default().bg(Color::DarkGray).fg(Color::White),
            key: Style::default().fg(Color::Black).bg(Color::Cyan),
        }
    }

    /// No colour at all (NO_COLOR): emphasis by bold, reverse and underline only.
    pub fn plain() -> Theme {
        Theme {
            text: Style::default(),
            dim: Style::default(),
            header: Style::default().add_modifier(Modifier::BOLD),
            cursor: Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD),
            cursor_unfocused: Style::default().add_modifier(Modifier::UNDERLINED),
            focused_border: Style::default().add_modifier(Modifier::BOLD),
            border: Style::default(),
            warning: Style::default().add_modifier(Modifier::BOLD),
            status: Style::default().add_modifier(Modifier::REVERSED),
            key: Style::default().add_modifier(Modifier::BOLD),
        }
    }
}
