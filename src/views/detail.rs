//! The detail pane: every attribute of the selection (long values wrapped and capped with
//! a visible count of what was left out), its object's versions, its derived agents.

use crate::app::state::{AppState, Focus};
use crate::graph::store::{NodeId, Origin};
use crate::graph::{ProvGraph, value};
use crate::text::sanitize;
use crate::views::Theme;
use crate::views::lists::pane;
use petgraph::Direction;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

/// Longest value shown in full; longer ones say how much is hidden.
const VALUE_CAP: usize = 600;
/// Versions listed before "…".
const VERSIONS_SHOWN: usize = 12;

/// A value made safe and capped.
fn capped(s: &str) -> String {
    let n = s.chars().count();
    if n <= VALUE_CAP {
        return sanitize(s);
    }
    let head: String = s.chars().take(VALUE_CAP).collect();
    format!("{}… (+{} chars)", sanitize(&head), n - VALUE_CAP)
}

/// The lines describing one vertex.
pub fn lines_for(g: &ProvGraph, n: NodeId, theme: &Theme) -> Vec<Line<'static>> {
    let node = g.node(n);
    let kind = sanitize(g.node_kind(n));
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{kind} "), theme.header),
        Span::raw(capped(&g.node_label(n))),
    ])];
    let origin = match node.origin {
        Origin::Defined => "",
        Origin::Referenced => "  (never defined in the trace: a dangling end)",
        Origin::Derived => "  (derived by provscope from uid/gid)",
    };
    lines.push(Line::from(vec![
        Span::styled(format!("{} ", node.class.name()), theme.dim),
        Span::styled(capped(&node.key.to_text()), theme.dim),
        Span::styled(origin.to_string(), theme.warning),
    ]));
    let attrs: Vec<(&str, &str)> = g.attr_pairs(node.attrs).collect();
    let width = attrs
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0)
        .min(16);
    for (k, v) in attrs {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<width$} ", sanitize(k)), theme.dim),
            Span::raw(capped(&value::display(v))),
        ]));
    }
    let versions = g.versions(n);
    if versions.len() > 1 {
        let at = versions.iter().position(|&v| v == n).unwrap_or(0);
        let from = at.saturating_sub(VERSIONS_SHOWN / 2);
        let shown: Vec<String> = versions
            .iter()
            .enumerate()
            .skip(from)
            .take(VERSIONS_SHOWN)
            .map(|(i, &v)| {
                let num = g.node(v).version;
                if i == at {
                    format!("[{num}]")
                } else {
                    num.to_string()
                }
            })
            .collect();
        let more = if from + VERSIONS_SHOWN < versions.len() {
            " …"
        } else {
            ""
        };
        lines.push(Line::from(vec![
            Span::styled(format!("versions ({}) ", versions.len()), theme.header),
            Span::raw(format!("{}{more}", shown.join(" "))),
        ]));
    }
    let agents: Vec<String> = g
        .edges_of(n, Direction::Incoming)
        .filter(|&(e, _)| g.edge(e).derived)
        .map(|(_, a)| sanitize(&g.node_label(a)))
        .collect();
    if !agents.is_empty() {
        lines.push(Line::from(vec![
            Span::styled("acts for ", theme.header),
            Span::raw(agents.join(", ")),
        ]));
    }
    lines
}

/// Draws the detail pane.
pub fn render(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let block = pane("Detail".into(), state.focus == Focus::Detail, theme);
    let lines = match state.selected {
        Some(n) => lines_for(&state.graph, n, theme),
        None => vec![Line::styled(
            "Select an element in the navigator.",
            theme.dim,
        )],
    };
    let scroll = u16::try_from(state.detail_scroll).unwrap_or(u16::MAX);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
}
