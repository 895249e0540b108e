//! The process tree screen: tasks under the task that cloned them.

use crate::app::state::AppState;
use crate::text::sanitize;
use crate::views::Theme;
use crate::views::lists::{pane, render_list};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;

/// Draws the process tree.
pub fn render(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let block = pane(
        format!("Process tree ({} tasks)", state.tree_rows.len()),
        true,
        theme,
    );
    let g = &state.graph;
    let row = |i: usize| -> Vec<Span<'static>> {
        let r = state.tree_rows[i];
        let mark = match (r.has_children, state.tree_folded.contains(&r.object)) {
            (false, _) => "·",
            (true, true) => "▸",
            (true, false) => "▾",
        };
        vec![
            Span::raw(format!("{}{mark} ", "  ".repeat(r.depth.min(30)))),
            Span::raw(sanitize(&g.object_label(r.object))),
        ]
    };
    render_list(
        frame,
        area,
        block,
        state.tree_cursor,
        state.tree_rows.len(),
        theme.cursor,
        &row,
    );
}
