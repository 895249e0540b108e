//! The detail pane: every attribute of the selection (long values wrapped and capped with
//! a visible count of what was left out), its object's versions, its derived agents. The
//! pane wraps its own lines so it knows how many rows there are: the bottom border says
//! how many attributes and lines lie below the view, and the title how many there are.

use crate::app::state::{AppState, Focus};
use crate::graph::store::{NodeId, Origin};
use crate::graph::{ProvGraph, value};
use crate::text::sanitize;
use crate::views::Theme;
use crate::views::lists::pane;
use petgraph::Direction;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Longest value shown in full; longer ones say how much is hidden.
const VALUE_CAP: usize = 600;
/// Longest headline label: it sits above the attributes, so a 5,000-character path
/// must not push them all out of view.
const LABEL_CAP: usize = 120;
/// Versions listed before "…".
const VERSIONS_SHOWN: usize = 12;
/// Continuation rows of a wrapped line start this far in, so a wrapped value is never
/// mistaken for the next attribute's key.
const WRAP_INDENT: usize = 2;

/// A value made safe and capped at `cap` characters, saying how many were left out.
fn capped_at(s: &str, cap: usize) -> String {
    let n = s.chars().count();
    if n <= cap {
        return sanitize(s);
    }
    let head: String = s.chars().take(cap).collect();
    format!("{}… (+{} chars)", sanitize(&head), n - cap)
}

/// A value made safe and capped at `VALUE_CAP`.
fn capped(s: &str) -> String {
    capped_at(s, VALUE_CAP)
}

/// The text of the pane before wrapping, and which of its lines are attributes.
pub struct DetailText {
    /// Logical lines (one per attribute, version list, agents).
    pub lines: Vec<Line<'static>>,
    /// Index of the first attribute line.
    pub first_attr: usize,
    /// Number of attribute lines, which follow `first_attr`.
    pub attrs: usize,
}

/// The lines describing one vertex; `visible` says which of its versions exist (all of
/// them, unless the time cursor is back).
pub fn lines_for(
    g: &ProvGraph,
    n: NodeId,
    theme: &Theme,
    visible: &dyn Fn(NodeId) -> bool,
) -> DetailText {
    let node = g.node(n);
    let kind = sanitize(g.node_kind(n));
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{kind} "), theme.header),
        Span::raw(capped_at(&g.node_label(n), LABEL_CAP)),
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
    let (first_attr, attr_count) = (lines.len(), attrs.len());
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
    let versions: Vec<NodeId> = g
        .versions(n)
        .iter()
        .copied()
        .filter(|&v| visible(v))
        .collect();
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
            Span::raw(capped(&agents.join(", "))),
        ]));
    }
    DetailText {
        lines,
        first_attr,
        attrs: attr_count,
    }
}

/// Display width of one character, as the terminal buffer counts it.
fn char_width(c: char) -> usize {
    let mut buf = [0u8; 4];
    Span::raw(&*c.encode_utf8(&mut buf)).width()
}

/// Wraps `line` to `width` columns, continuation rows indented by `indent`. A row ends at
/// its last space when the word after it fits on a fresh row; a longer token (values are
/// often one: a path, an id, a hash) is cut where the row ends instead.
pub fn wrap(line: &Line<'static>, width: usize, indent: usize) -> Vec<Line<'static>> {
    let cells: Vec<(char, Style, usize)> = line
        .spans
        .iter()
        .flat_map(|s| s.content.chars().map(move |c| (c, s.style, char_width(c))))
        .collect();
    let width = width.max(1);
    let indent = if indent * 2 < width { indent } else { 0 };
    let fresh_row = width - indent;
    let mut rows = Vec::new();
    let mut start = 0;
    while start < cells.len() || rows.is_empty() {
        let lead = if rows.is_empty() { 0 } else { indent };
        let room = width - lead;
        let (mut end, mut used) = (start, 0);
        while end < cells.len() && used + cells[end].2 <= room {
            used += cells[end].2;
            end += 1;
        }
        // A character wider than the whole row still has to go somewhere.
        if end == start && end < cells.len() {
            end += 1;
        }
        let mut next = end;
        if end < cells.len()
            && let Some(sp) = cells[start..end].iter().rposition(|c| c.0 == ' ')
            && sp > 0
        {
            let word: usize = cells[start + sp + 1..]
                .iter()
                .take_while(|c| c.0 != ' ')
                .map(|c| c.2)
                .sum();
            if word <= fresh_row {
                end = start + sp;
                next = end + 1;
            }
        } else if cells.get(end).is_some_and(|c| c.0 == ' ') {
            // The row ends just before a space: that space is the break.
            next = end + 1;
        }
        let mut spans = vec![Span::raw(" ".repeat(lead))];
        for chunk in cells[start..end].chunk_by(|a, b| a.1 == b.1) {
            spans.push(Span::styled(
                chunk.iter().map(|c| c.0).collect::<String>(),
                chunk[0].1,
            ));
        }
        rows.push(Line::from(spans));
        start = next;
    }
    rows
}

/// `n` and `noun`, plural unless `n` is 1.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// What the bottom border says about rows above and below the view, or `None` when
/// everything is in view.
fn position_note(
    owner: &[usize],
    text: &DetailText,
    scroll: usize,
    height: usize,
    width: usize,
) -> Option<String> {
    let below_from = (scroll + height).min(owner.len());
    let rows_below = owner.len() - below_from;
    let attr_range = text.first_attr..text.first_attr + text.attrs;
    // Attributes whose first row is below the view are not shown at all.
    let attrs_below = owner.get(below_from).map_or(0, |&first_hidden| {
        let partly_shown = below_from > 0 && owner[below_from - 1] == first_hidden;
        let from = first_hidden + usize::from(partly_shown);
        attr_range.end.saturating_sub(from.max(attr_range.start))
    });
    let down = match (attrs_below, rows_below) {
        (_, 0) => None,
        (0, rows) => Some(format!("↓ {}", count(rows, "more line"))),
        (attrs, _) => Some(format!("↓ {}", count(attrs, "more attribute"))),
    };
    let up = (scroll > 0).then_some(scroll);
    // Longest first; cramped panes drop the word "lines", then what is above, but always
    // keep what is missing below.
    let candidates = match (up, down) {
        (None, None) => return None,
        (None, Some(d)) => vec![d],
        (Some(u), None) => vec![format!("↑ {}", count(u, "line")), format!("↑ {u}")],
        (Some(u), Some(d)) => vec![
            format!("↑ {} · {d}", count(u, "line")),
            format!("↑ {u} · {d}"),
            d,
        ],
    };
    let last = candidates.len() - 1;
    candidates
        .into_iter()
        .enumerate()
        .find(|(i, c)| *i == last || c.chars().count() + 4 <= width)
        .map(|(_, c)| format!(" {c} "))
}

/// Draws the detail pane; returns how many rows its wrapped text has, so `update` can
/// stop scrolling at the end.
pub fn render(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) -> usize {
    let (text, indent) = match state.selected {
        Some(n) => (
            lines_for(&state.graph, n, theme, &|v| state.time.node_visible(v)),
            WRAP_INDENT,
        ),
        None => (
            DetailText {
                lines: vec![Line::styled(
                    "Select an element in the navigator.",
                    theme.dim,
                )],
                first_attr: 1,
                attrs: 0,
            },
            0,
        ),
    };
    let title = match state.selected {
        None => "Detail".to_string(),
        Some(_) => format!("Detail ({})", count(text.attrs, "attribute")),
    };
    let block = pane(title, state.focus == Focus::Detail, theme);
    let inner = block.inner(area);
    let (width, height) = (usize::from(inner.width), usize::from(inner.height));
    // owner[row] is the logical line a wrapped row belongs to.
    let mut rows = Vec::new();
    let mut owner = Vec::new();
    for (i, line) in text.lines.iter().enumerate() {
        for row in wrap(line, width, indent) {
            rows.push(row);
            owner.push(i);
        }
    }
    let scroll = state.detail_scroll.min(rows.len().saturating_sub(height));
    let block = match position_note(&owner, &text, scroll, height, width) {
        Some(note) => block.title_bottom(Line::styled(note, theme.warning).right_aligned()),
        None => block,
    };
    let total = rows.len();
    let visible: Vec<Line<'static>> = rows.into_iter().skip(scroll).take(height).collect();
    frame.render_widget(Paragraph::new(visible).block(block), area);
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(rows: &[Line<'static>]) -> Vec<String> {
        rows.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn wrap_cuts_tokens_longer_than_a_row_and_indents_continuations() {
        let rows = wrap(&Line::from("k abcdefghij"), 6, 2);
        assert_eq!(texts(&rows), ["k abcd", "  efgh", "  ij"]);
        assert!(rows.iter().all(|r| r.width() <= 6));
    }

    #[test]
    fn wrap_breaks_at_spaces_when_the_next_word_fits() {
        let rows = wrap(&Line::from("wget www.google.com [pid 3666] v7"), 16, 2);
        assert_eq!(
            texts(&rows),
            ["wget", "  www.google.com", "  [pid 3666] v7"]
        );
        let rows = wrap(&Line::from("entity AAIAAAAAACDF/gA="), 18, 2);
        assert_eq!(texts(&rows), ["entity", "  AAIAAAAAACDF/gA="]);
    }

    #[test]
    fn wrap_keeps_an_empty_line_as_one_row() {
        assert_eq!(wrap(&Line::from(""), 10, 2).len(), 1);
    }

    #[test]
    fn note_counts_hidden_attributes_and_lines() {
        let text = DetailText {
            lines: vec![Line::from("head"); 6],
            first_attr: 1,
            attrs: 4,
        };
        // Rows: head, a1, a2 (2 rows), a3, a4, tail.
        let owner = [0, 1, 2, 2, 3, 4, 5];
        let note = |scroll, height| position_note(&owner, &text, scroll, height, 80);
        // a2 is cut after its first row: only a3 and a4 are wholly below.
        assert_eq!(note(0, 3).as_deref(), Some(" ↓ 2 more attributes "));
        assert_eq!(note(3, 3).as_deref(), Some(" ↑ 3 lines · ↓ 1 more line "));
        assert_eq!(note(0, 7), None);
        assert_eq!(note(4, 3).as_deref(), Some(" ↑ 4 lines "));
    }

    #[test]
    fn note_shrinks_in_cramped_panes_but_keeps_what_is_below() {
        let text = DetailText {
            lines: vec![Line::from("head"); 6],
            first_attr: 1,
            attrs: 4,
        };
        let owner = [0, 1, 2, 2, 3, 4, 5];
        let note = |width| position_note(&owner, &text, 3, 3, width);
        assert_eq!(note(24).as_deref(), Some(" ↑ 3 · ↓ 1 more line "));
        assert_eq!(note(20).as_deref(), Some(" ↓ 1 more line "));
        assert_eq!(note(5).as_deref(), Some(" ↓ 1 more line "));
    }
}
