//! The help screen, generated from the keymap and each action's description.

use crate::app::keymap::Mode;
use crate::app::state::AppState;
use crate::views::Theme;
use crate::views::lists::render_page;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// The help lines.
pub fn lines(state: &AppState, theme: &Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for (title, mode) in [
        ("Keys", Mode::Normal),
        ("While searching", Mode::Search),
        ("At a prompt (jump, path target)", Mode::Prompt),
    ] {
        out.push(Line::styled(title.to_string(), theme.header));
        for (keys, action) in state.keymap.bindings(mode) {
            out.push(Line::from(vec![
                Span::styled(format!("  {:<22}", keys.join(", ")), theme.key),
                Span::raw(format!(" {}", action.describe())),
            ]));
        }
        out.push(Line::raw(""));
    }
    out.push(Line::styled(
        "Arrows in relations: ← information comes in, → it goes out.",
        theme.dim,
    ));
    out
}

/// Draws the help screen.
pub fn render(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let lines = lines(state, theme);
    render_page(
        frame,
        area,
        "Help: Esc closes",
        lines,
        state.page_scroll,
        theme,
    );
}
