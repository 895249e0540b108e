//! The path screen: the shortest information-flow paths from the marked element to the
//! target, each as its start and then one row per step (`--read--> [task] cp`), or a
//! plain "no flow" answer.

use crate::app::path_view::PathRow;
use crate::app::state::AppState;
use crate::text::sanitize;
use crate::views::Theme;
use crate::views::lists::{pane, render_list};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

/// Draws the path screen.
pub fn render(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let Some(v) = &state.path else {
        return;
    };
    let g = &state.graph;
    let from = sanitize(&g.node_label(v.from));
    let to = sanitize(&v.target_label);
    let when = match state.time.cursor {
        Some(at) => format!(" as of event {at} of {}", state.time.len()),
        None => String::new(),
    };
    let text = |title: String, body: Vec<Line<'static>>| {
        let block = pane(title, true, theme);
        Paragraph::new(body).block(block).wrap(Wrap { trim: false })
    };
    let paths = match &v.result {
        None => {
            let body = vec![Line::styled("searching… (Esc interrupts)", theme.dim)];
            frame.render_widget(text(format!("Path: {from} → {to}"), body), area);
            return;
        }
        Some(Err(why)) => {
            let body = vec![Line::styled(sanitize(why), theme.warning)];
            frame.render_widget(text(format!("Path: {from} → {to}"), body), area);
            return;
        }
        Some(Ok(paths)) => paths,
    };
    if paths.is_empty() {
        let body = vec![
            Line::styled(
                format!("no flow: no information flows from {from} to {to}{when}"),
                theme.warning,
            ),
            Line::raw(""),
            Line::styled(
                "(within 12 steps, along relations the way information flows)",
                theme.dim,
            ),
        ];
        frame.render_widget(text(String::from("Path: no flow"), body), area);
        return;
    }
    let steps = paths.first().map_or(0, Vec::len);
    let block = pane(
        format!(
            "Paths: {from} → {to} ({} shortest, {steps} steps{when})",
            paths.len()
        ),
        true,
        theme,
    );
    let row = |i: usize| -> Vec<Span<'static>> {
        match v.rows[i] {
            PathRow::Header { index, steps } => vec![Span::styled(
                format!(
                    "path {} ({steps} step{})",
                    index + 1,
                    if steps == 1 { "" } else { "s" }
                ),
                theme.header,
            )],
            PathRow::Node { node, via } => {
                let mut spans = Vec::new();
                match via {
                    None => spans.push(Span::raw("  ")),
                    Some(e) => spans.push(Span::styled(
                        format!("    --{}--> ", sanitize(g.edge_kind(e))),
                        theme.dim,
                    )),
                }
                spans.push(Span::styled(
                    format!("[{}] ", sanitize(g.node_kind(node))),
                    theme.dim,
                ));
                spans.push(Span::raw(sanitize(&g.node_label(node))));
                spans
            }
        }
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
