//! Drawing a scrolled list: only the rows in view are formatted, the cursor row is
//! highlighted, and each row is cut to the pane width with a visible `…`.

use crate::app::list_cursor::ListCursor;
use crate::views::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

/// A bordered block with a title, highlighted when focused.
pub fn pane(title: String, focused: bool, theme: &Theme) -> Block<'static> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(if focused {
            theme.focused_border
        } else {
            theme.border
        })
        .title(Span::styled(
            format!(" {title} "),
            if focused { theme.header } else { theme.text },
        ))
}

/// Draws a full-screen page of text (help, statistics) in a focused pane, scrolled by
/// `scroll` lines.
pub fn render_page(
    frame: &mut Frame,
    area: Rect,
    title: &str,
    lines: Vec<Line<'static>>,
    scroll: usize,
    theme: &Theme,
) {
    let scroll = u16::try_from(scroll).unwrap_or(u16::MAX);
    frame.render_widget(
        Paragraph::new(lines)
            .block(pane(title.into(), true, theme))
            .scroll((scroll, 0)),
        area,
    );
}

/// Cuts spans to `width` columns; the last kept character becomes `…` when text was cut.
pub fn fit(spans: Vec<Span<'static>>, width: usize) -> Line<'static> {
    let total: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    if total <= width {
        return Line::from(spans);
    }
    let mut out = Vec::new();
    let mut left = width.saturating_sub(1);
    for s in spans {
        if left == 0 {
            break;
        }
        let n = s.content.chars().count();
        if n <= left {
            left -= n;
            out.push(s);
        } else {
            out.push(Span::styled(
                s.content.chars().take(left).collect::<String>(),
                s.style,
            ));
            left = 0;
        }
    }
    out.push(Span::raw("…"));
    Line::from(out)
}

/// Renders `len` rows inside `block`, formatting only the visible ones with `row`.
pub fn render_list(
    frame: &mut Frame,
    area: Rect,
    block: Block<'static>,
    cursor: ListCursor,
    len: usize,
    cursor_style: Style,
    row: &dyn Fn(usize) -> Vec<Span<'static>>,
) {
    let inner = block.inner(area);
    let height = usize::from(inner.height);
    let width = usize::from(inner.width);
    let start = cursor.offset.min(len);
    let end = (start + height).min(len);
    let lines: Vec<Line<'static>> = (start..end)
        .map(|i| {
            let line = fit(row(i), width);
            if i == cursor.cursor {
                let pad = width.saturating_sub(line.width());
                let mut line = line;
                line.spans.push(Span::raw(" ".repeat(pad)));
                line.style(cursor_style)
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
