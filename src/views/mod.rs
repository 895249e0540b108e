//! Pure render functions of `&AppState` (ratatui). No I/O, no mutation: each returns
//! what the layout was, so `update` can page by the real viewport next time.

pub mod detail;
pub mod filters;
pub mod help;
pub mod layout;
pub mod lineage;
pub mod lists;
pub mod loading;
pub mod navigator;
pub mod path;
pub mod process_tree;
pub mod relations;
pub mod stats;
pub mod status_bar;
pub mod theme;
pub mod timeline;

use crate::app::state::{AppState, LoadStatus, Screen, Viewport};
use ratatui::Frame;
pub use theme::Theme;

/// Draws a whole frame; returns the visible rows of each list.
pub fn render(frame: &mut Frame, state: &AppState, theme: &Theme) -> Viewport {
    let mut areas = layout::split(frame.area());
    status_bar::render(frame, areas.status, areas.hints, state, theme);
    if state.load != LoadStatus::Done {
        loading::render(frame, areas.body, state, theme);
        return Viewport::default();
    }
    if state.time.strip_visible() {
        let (body, strip) = layout::strip_above(areas.body, timeline::HEIGHT);
        timeline::render(frame, strip, state, theme);
        areas.body = body;
    }
    match state.screen {
        Screen::Main => {
            let main = layout::main_panes(areas.body);
            navigator::render(frame, main.navigator, state, theme);
            let detail_lines = detail::render(frame, main.detail, state, theme);
            relations::render(frame, main.relations, state, theme);
            Viewport {
                navigator: inner_rows(main.navigator),
                relations: inner_rows(main.relations),
                detail: inner_rows(main.detail),
                detail_lines,
                screen: inner_rows(areas.body),
            }
        }
        Screen::ProcessTree => {
            process_tree::render(frame, areas.body, state, theme);
            screen_viewport(areas.body)
        }
        Screen::Shared => {
            relations::render_shared(frame, areas.body, state, theme);
            screen_viewport(areas.body)
        }
        Screen::Lineage => {
            lineage::render(frame, areas.body, state, theme);
            screen_viewport(areas.body)
        }
        Screen::Stats => {
            stats::render(frame, areas.body, state, theme);
            screen_viewport(areas.body)
        }
        Screen::Filters => {
            filters::render(frame, areas.body, state, theme);
            screen_viewport(areas.body)
        }
        Screen::Path => {
            path::render(frame, areas.body, state, theme);
            screen_viewport(areas.body)
        }
        Screen::Help => {
            help::render(frame, areas.body, state, theme);
            screen_viewport(areas.body)
        }
    }
}

fn inner_rows(area: ratatui::layout::Rect) -> usize {
    usize::from(area.height.saturating_sub(2)).max(1)
}

fn screen_viewport(area: ratatui::layout::Rect) -> Viewport {
    Viewport {
        screen: inner_rows(area),
        ..Viewport::default()
    }
}
