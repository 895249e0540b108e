//! The lineage screen: the walk as an indented tree, each row with the relation type of
//! the step that reached it, folded version chains, and where a budget cut the walk.

use crate::app::state::AppState;
use crate::graph::lineage::{Cut, Way};
use crate::text::sanitize;
use crate::views::Theme;
use crate::views::lists::{pane, render_list};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Draws the lineage screen.
pub fn render(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let Some(v) = &state.lineage else {
        return;
    };
    let g = &state.graph;
    let way = match v.way {
        Way::Backward => "came from",
        Way::Forward => "went to",
    };
    let root = sanitize(&g.node_label(v.root));
    let Some(result) = &v.result else {
        let block = pane(format!("Lineage: where {root} {way}"), true, theme);
        let text = Line::styled("walking… (Esc interrupts)", theme.dim);
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    };
    let cut = match result.cut {
        None => String::new(),
        Some(Cut::Depth) => String::from(", cut at depth"),
        Some(Cut::Nodes) => String::from(", cut at the element budget"),
        Some(Cut::Interrupted) => String::from(", interrupted"),
    };
    let block = pane(
        format!(
            "Lineage: where {root} {way} ({} elements{cut})",
            result.nodes.len()
        ),
        true,
        theme,
    );
    let arrow = match v.way {
        Way::Backward => "←",
        Way::Forward => "→",
    };
    let row = |i: usize| -> Vec<Span<'static>> {
        let r = v.rows[i];
        let mut spans = vec![Span::raw("  ".repeat(r.indent.min(30)))];
        if let Some(e) = r.via {
            spans.push(Span::styled(
                format!("{arrow} {} ", sanitize(g.edge_kind(e))),
                theme.dim,
            ));
        }
        spans.push(Span::styled(
            format!("[{}] ", sanitize(g.node_kind(r.node))),
            theme.dim,
        ));
        spans.push(Span::raw(sanitize(&g.node_label(r.node))));
        if r.folded_versions > 0 {
            spans.push(Span::styled(
                format!("  (+{} versions, → unfolds)", r.folded_versions),
                theme.dim,
            ));
        }
        if r.cut_here {
            spans.push(Span::styled("  ✂ more beyond", theme.warning));
        }
        spans
    };
    render_list(
        frame,
        area,
        block,
        v.cursor,
        v.rows.len(),
        theme.cursor,
        &row,
    );
}
