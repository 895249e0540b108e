//! The timeline strip: two rows above the status line while the time cursor is in use.
//! The first is the trace's event density over time (block characters, one column per
//! slice) with the cursor marked `┃`; the second says how playback stands, where the
//! cursor is (n/N events shown, the share, the last event shown with its date), then
//! the time keys. Readable without colour: the marker and the words carry it all.

use crate::app::action::Action;
use crate::app::keymap::Mode;
use crate::app::state::AppState;
use crate::text::sanitize;
use crate::views::Theme;
use crate::views::lists::fit;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Rows the strip takes.
pub const HEIGHT: u16 = 2;

const LEVELS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The density row: one block character per column, the cursor's column marked.
fn density_line(state: &AppState, width: usize, theme: &Theme) -> Line<'static> {
    let t = &state.time;
    let d = t.timeline.density();
    let cols = d.columns(width);
    let top = cols.iter().copied().max().unwrap_or(0).max(1);
    let at = t.position();
    let marker = match at.checked_sub(1) {
        _ if t.cursor.is_none() => width.saturating_sub(1),
        None => 0,
        Some(rank) => t
            .timeline
            .axis_value(rank)
            .map_or(0, |v| d.column_of(v, width)),
    };
    let mut past = String::new();
    let mut future = String::new();
    for (c, &n) in cols.iter().enumerate() {
        if c == marker {
            continue;
        }
        // Any event at all shows at least the lowest block.
        let level = if n == 0 {
            0
        } else {
            (n * 8).div_ceil(top).clamp(1, 8)
        };
        let ch = LEVELS[usize::try_from(level).unwrap_or(8)];
        if c < marker {
            past.push(ch);
        } else {
            future.push(ch);
        }
    }
    Line::from(vec![
        Span::styled(past, theme.text),
        Span::styled("┃", theme.header),
        Span::styled(future, theme.dim),
    ])
}

/// The words: playback, position, the last event shown, then the keys.
fn info_line(state: &AppState, width: usize, theme: &Theme) -> Line<'static> {
    let t = &state.time;
    let len = t.len();
    let at = t.position();
    let mode = if t.playing {
        format!("PLAY {}/s", t.speed_per_second())
    } else if t.cursor.is_some() {
        format!("PAUSED {}/s", t.speed_per_second())
    } else if state.live.is_some() {
        String::from("END, following")
    } else {
        String::from("END")
    };
    let share = (at * 100).checked_div(len).unwrap_or(100);
    let mut spans = vec![
        Span::styled(format!(" {mode}"), theme.header),
        Span::raw(format!(" │ {at}/{len} {share}%")),
    ];
    let g = &state.graph;
    if let Some(e) = at.checked_sub(1).and_then(|r| t.timeline.event(r)) {
        let date = g
            .edge_attr(e, "cf:date")
            .map(|d| crate::graph::value::display(d).into_owned());
        let mut last = format!(" │ {}", sanitize(g.edge_kind(e)));
        if let Some(date) = date {
            last.push(' ');
            last.push_str(&sanitize(&date));
        }
        spans.push(Span::raw(last));
    }
    spans.push(Span::raw(" │ "));
    // The speed keys are in the help: 80 columns hold these with a date.
    let keys = [
        (Action::StepBack, ""),
        (Action::StepForward, "step "),
        (Action::TogglePlay, "play "),
        (Action::JumpTo, "jump "),
        (Action::JumpToEnd, "end"),
    ];
    for (action, name) in keys {
        if let Some(key) = state.keymap.keys_for(Mode::Normal, action).first() {
            spans.push(Span::styled(key.clone(), theme.key));
            spans.push(Span::raw(name));
        }
    }
    fit(spans, width)
}

/// Draws the strip in `area` (two rows).
pub fn render(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let width = usize::from(area.width);
    let lines = vec![
        density_line(state, width, theme),
        info_line(state, width, theme),
    ];
    frame.render_widget(Paragraph::new(lines), area);
}
