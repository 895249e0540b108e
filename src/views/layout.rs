//! Pure rectangle arithmetic: body, status line and hints line; the main screen's three
//! panes. Testable without a terminal.

use ratatui::layout::{Constraint, Direction, Layout, Rect};

/// The frame's regions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Areas {
    /// Everything above the two bottom lines.
    pub body: Rect,
    /// The status line.
    pub status: Rect,
    /// The key hints (or search prompt) line.
    pub hints: Rect,
}

/// Splits the frame.
pub fn split(area: Rect) -> Areas {
    let parts = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Min(1),
            Constraint::Length(1),
            Constraint::Length(1),
        ])
        .split(area);
    Areas {
        body: parts[0],
        status: parts[1],
        hints: parts[2],
    }
}

/// Takes `rows` rows off the bottom of `body` (for the timeline strip), leaving the body
/// at least 3 rows.
pub fn strip_above(body: Rect, rows: u16) -> (Rect, Rect) {
    let rows = rows.min(body.height.saturating_sub(3));
    let top = Rect {
        height: body.height - rows,
        ..body
    };
    let strip = Rect {
        y: body.y + top.height,
        height: rows,
        ..body
    };
    (top, strip)
}

/// The main screen's panes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MainPanes {
    /// Left: the navigator.
    pub navigator: Rect,
    /// Right top: attributes.
    pub detail: Rect,
    /// Right bottom: relations.
    pub relations: Rect,
}

/// Navigator at 40% (at least 24 columns), detail over relations on the right.
pub fn main_panes(body: Rect) -> MainPanes {
    let left = (body.width * 2 / 5).max(24).min(body.width);
    let cols = Layout::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Length(left), Constraint::Min(0)])
        .split(body);
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Percentage(50), Constraint::Percentage(50)])
        .split(cols[1]);
    MainPanes {
        navigator: cols[0],
        detail: rows[0],
        relations: rows[1],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panes_fill_80x24_and_60x20() {
        for (w, h) in [(80, 24), (60, 20)] {
            let a = split(Rect::new(0, 0, w, h));
            assert_eq!(a.body.height, h - 2);
            assert_eq!(a.hints.y, h - 1);
            let p = main_panes(a.body);
            assert_eq!(p.navigator.width + p.detail.width, w);
            assert_eq!(p.detail.height + p.relations.height, h - 2);
            assert!(p.navigator.width >= 24);
        }
    }
}
