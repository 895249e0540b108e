//! The relations pane (edges of the selection by family and direction) and the shared
//! state screen (a process's memory, the tasks that wrote it and those that read it).

use crate::app::relations::{LinkRow, Section};
use crate::app::state::{AppState, Focus};
use crate::graph::ProvGraph;
use crate::text::sanitize;
use crate::views::Theme;
use crate::views::lists::{pane, render_list};
use petgraph::Direction;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;

fn section_title(s: Section) -> String {
    match s {
        Section::Family(f, Direction::Incoming) => format!("{} in ←", f.name()),
        Section::Family(f, Direction::Outgoing) => format!("{} out →", f.name()),
        Section::Memory => "process shared state".into(),
        Section::Writers => "written by (shared_write)".into(),
        Section::Readers => "read by (shared_read)".into(),
    }
}

/// One link row as spans.
pub fn link_spans(g: &ProvGraph, row: LinkRow, theme: &Theme) -> Vec<Span<'static>> {
    match row {
        LinkRow::Header(section, count) => vec![
            Span::styled(section_title(section), theme.header),
            Span::styled(format!(" ({count})"), theme.dim),
        ],
        LinkRow::Edge { edge, other, dir } => {
            let arrow = if dir == Direction::Incoming {
                "←"
            } else {
                "→"
            };
            let derived = if g.edge(edge).derived { "*" } else { "" };
            vec![
                Span::raw(format!(
                    " {arrow} {:<12} ",
                    format!("{}{derived}", sanitize(g.edge_kind(edge)))
                )),
                Span::raw(sanitize(&g.node_label(other))),
                Span::styled(format!(" ({})", sanitize(g.node_kind(other))), theme.dim),
            ]
        }
        LinkRow::Node(n) => vec![
            Span::raw(format!("   {}", sanitize(&g.node_label(n)))),
            Span::styled(format!(" ({})", sanitize(g.node_kind(n))), theme.dim),
        ],
    }
}

/// Draws the relations pane.
pub fn render(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let focused = state.focus == Focus::Relations;
    let edges = state
        .relation_rows
        .iter()
        .filter(|r| matches!(r, LinkRow::Edge { .. }))
        .count();
    let block = pane(format!("Relations ({edges})"), focused, theme);
    let g = &state.graph;
    let row = |i: usize| link_spans(g, state.relation_rows[i], theme);
    let style = theme.cursor_for(focused);
    render_list(
        frame,
        area,
        block,
        state.relations,
        state.relation_rows.len(),
        style,
        &row,
    );
}

/// Draws the shared state screen.
pub fn render_shared(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let block = pane(
        "Shared state: Enter follows, Esc returns".into(),
        true,
        theme,
    );
    let g = &state.graph;
    let row = |i: usize| link_spans(g, state.shared_rows[i], theme);
    render_list(
        frame,
        area,
        block,
        state.shared_cursor,
        state.shared_rows.len(),
        theme.cursor,
        &row,
    );
}
