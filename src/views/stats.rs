//! The stats screen: counts by type and family, top talkers, dangling edges, and the
//! lines the load skipped with their reasons. With the time cursor back, the counts are
//! of the graph as of the cursor, and the first line says so.

use crate::app::state::AppState;
use crate::app::update_time_screens::SummaryScope;
use crate::text::{sanitize, sanitize_capped};
use crate::views::Theme;
use crate::views::lists::render_page;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

fn counted(name: &str, n: u64, theme: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::raw(format!("  {:<22}", sanitize(name))),
        Span::styled(format!("{n:>8}"), theme.text),
    ])
}

/// The stats lines.
pub fn lines(state: &AppState, theme: &Theme) -> Vec<Line<'static>> {
    let (s, scope) = state.shown_summary();
    let c = &s.counts;
    let p = &state.report.problems;
    let total = state.time.len();
    let title = match scope {
        SummaryScope::Whole => String::from("Trace"),
        SummaryScope::AsOf { at, counting } => format!(
            "Trace as of event {at} of {total}{}",
            if counting {
                " (counting to the cursor…)"
            } else {
                ""
            }
        ),
        SummaryScope::Counting => String::from("Trace: whole (counting as of the cursor…)"),
    };
    let mut out = vec![
        Line::styled(title, theme.header),
        counted("nodes", c.nodes, theme),
        counted("edges", c.edges, theme),
        counted("dangling edges", c.dangling_edges, theme),
        counted("derived agents", c.derived_agents, theme),
        counted("skipped lines", p.skipped_lines, theme),
        counted("skipped elements", p.skipped_elements, theme),
        Line::styled("Edge families", theme.header),
    ];
    out.extend(s.families.iter().map(|(f, n)| counted(f, *n, theme)));
    out.push(Line::styled("Top talkers (edges)", theme.header));
    for &(o, n) in &s.top_talkers {
        let label = sanitize_capped(&state.graph.object_label(o), 40);
        out.push(Line::from(vec![
            Span::raw(format!("  {label:<40}")),
            Span::raw(format!("{n:>8}")),
        ]));
    }
    out.push(Line::styled("Node types", theme.header));
    out.extend(c.node_types.iter().map(|(k, n)| counted(k, *n, theme)));
    out.push(Line::styled("Edge types", theme.header));
    out.extend(c.edge_types.iter().map(|(k, n)| counted(k, *n, theme)));
    if !p.kept.is_empty() {
        out.push(Line::styled("Skipped (first ones)", theme.header));
        for problem in &p.kept {
            out.push(Line::styled(
                format!(
                    "  line {}: {}",
                    problem.line,
                    sanitize_capped(&problem.reason, 200)
                ),
                theme.warning,
            ));
        }
    }
    out
}

/// Draws the stats screen.
pub fn render(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let lines = lines(state, theme);
    render_page(
        frame,
        area,
        "Statistics: Esc closes",
        lines,
        state.page_scroll,
        theme,
    );
}
