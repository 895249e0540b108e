//! The navigator pane: Activities / Entities / Agents, types with counts, objects with
//! their version counts, versions when expanded.

use crate::app::navigator::{NavRow, class_count};
use crate::app::state::{AppState, Focus};
use crate::graph::ProvClass;
use crate::graph::store::Origin;
use crate::text::sanitize;
use crate::views::Theme;
use crate::views::lists::{pane, render_list};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;

fn class_title(c: ProvClass) -> &'static str {
    match c {
        ProvClass::Activity => "Activities",
        ProvClass::Entity => "Entities",
        ProvClass::Agent => "Agents",
    }
}

/// Draws the navigator.
pub fn render(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let focused = state.focus == Focus::Navigator;
    let block = pane(
        format!(
            "Navigator ({} objects)",
            state.catalog.iter().map(|t| t.objects.len()).sum::<usize>()
        ),
        focused,
        theme,
    );
    let g = &state.graph;
    let ex = &state.expansion;
    let row = |i: usize| -> Vec<Span<'static>> {
        match state.nav_rows[i] {
            NavRow::Class(c) => {
                let mark = if ex.collapsed_classes.contains(&c) {
                    "▸"
                } else {
                    "▾"
                };
                vec![
                    Span::styled(format!("{mark} {}", class_title(c)), theme.header),
                    Span::styled(format!(" ({})", class_count(&state.catalog, c)), theme.dim),
                ]
            }
            NavRow::Group(gi) => {
                let t = &state.catalog[gi];
                let mark = if ex.open_groups.contains(&gi) {
                    "▾"
                } else {
                    "▸"
                };
                vec![
                    Span::raw(format!(" {mark} {}", sanitize(&t.kind))),
                    Span::styled(format!(" ({})", t.objects.len()), theme.dim),
                ]
            }
            NavRow::Object(_, o) => {
                let versions = &g.object(o).versions;
                let first = versions[0];
                // As of the time cursor, later versions do not exist yet.
                let count = versions
                    .iter()
                    .filter(|&&v| state.time.node_visible(v))
                    .count();
                let mark = match g.node(first).origin {
                    Origin::Referenced => "?",
                    Origin::Derived => "*",
                    Origin::Defined if count > 1 => {
                        if ex.open_objects.contains(&o) {
                            "▾"
                        } else {
                            "▸"
                        }
                    }
                    Origin::Defined => " ",
                };
                let mut spans = vec![Span::raw(format!(
                    "   {mark} {}",
                    sanitize(&g.object_label(o))
                ))];
                if count > 1 {
                    spans.push(Span::styled(format!(" ×{count}"), theme.dim));
                }
                spans
            }
            NavRow::Version(n) => vec![Span::styled(
                format!("       v{}", g.node(n).version),
                theme.dim,
            )],
        }
    };
    let style = theme.cursor_for(focused);
    render_list(
        frame,
        area,
        block,
        state.nav,
        state.nav_rows.len(),
        style,
        &row,
    );
}
