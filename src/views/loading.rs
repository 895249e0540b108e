//! The loading screen: a progress gauge while the loader reads, or the reason it failed.

use crate::app::state::{AppState, LoadStatus};
use crate::text::sanitize;
use crate::views::Theme;
use crate::views::lists::pane;
use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::widgets::{Gauge, Paragraph, Wrap};

/// Draws the loading screen.
pub fn render(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let block = pane(format!("Opening {}", sanitize(&state.source)), true, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Min(0),
        ])
        .split(inner);
    match &state.load {
        LoadStatus::Loading { read, total } => {
            let (ratio, label) = match total {
                Some(t) if *t > 0 => {
                    let r = (*read as f64 / *t as f64).clamp(0.0, 1.0);
                    (
                        r,
                        format!(
                            "{:.0}%  {} of {} MB",
                            r * 100.0,
                            read / 1_000_000,
                            t / 1_000_000
                        ),
                    )
                }
                _ => (0.0, format!("{} MB read", read / 1_000_000)),
            };
            frame.render_widget(
                Gauge::default()
                    .gauge_style(theme.header)
                    .ratio(ratio)
                    .label(label),
                rows[1],
            );
        }
        LoadStatus::Failed(reason) => {
            frame.render_widget(
                Paragraph::new(format!("Could not load: {}", sanitize(reason)))
                    .style(theme.warning)
                    .wrap(Wrap { trim: false }),
                rows[2],
            );
        }
        LoadStatus::Done => {}
    }
}
