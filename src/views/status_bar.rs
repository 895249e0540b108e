//! The two bottom lines: status (source, counts, selection path or a message) and key
//! hints generated from the keymap (or the search prompt while searching).

use crate::app::action::Action;
use crate::app::keymap::Mode;
use crate::app::live::{LiveView, SourceState};
use crate::app::state::{AppState, LoadStatus, Screen};
use crate::text::{sanitize, sanitize_capped};
use crate::views::Theme;
use crate::views::lists::fit;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// The hints shown on each screen, with their short names.
fn hints_for(screen: Screen) -> &'static [(Action, &'static str)] {
    match screen {
        Screen::Main => &[
            (Action::ShowHelp, "Help"),
            (Action::StartSearch, "Search"),
            (Action::Activate, "Follow"),
            (Action::GoBack, "Back"),
            (Action::ShowSharedState, "Shared"),
            (Action::ShowBackwardLineage, "Lineage"),
            (Action::ShowProcessTree, "Tree"),
            (Action::ShowStats, "Stats"),
            (Action::Quit, "Quit"),
        ],
        Screen::ProcessTree | Screen::Shared | Screen::Lineage => &[
            (Action::Activate, "Open"),
            (Action::Expand, "Unfold"),
            (Action::Collapse, "Fold"),
            (Action::Escape, "Close"),
            (Action::Quit, "Quit"),
        ],
        Screen::Filters => &[
            (Action::Activate, "Toggle"),
            (Action::AddFilter, "Add"),
            (Action::SavePolicy, "Save"),
            (Action::Escape, "Close"),
            (Action::Quit, "Quit"),
        ],
        Screen::Path => &[
            (Action::Activate, "Open"),
            (Action::Export, "Export"),
            (Action::GoBack, "Back"),
            (Action::Escape, "Close"),
            (Action::Quit, "Quit"),
        ],
        Screen::Help | Screen::Stats => &[(Action::Escape, "Close"), (Action::Quit, "Quit")],
    }
}

/// File names without their directories: the status line is short.
fn short_source(source: &str) -> String {
    source
        .split(", ")
        .map(|p| p.rsplit('/').next().unwrap_or(p))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The key to show for an action: a function key (what csysdig and ProcMon users look
/// for), else a letter or `/` `?`, else a named key, shortened.
fn display_key(keys: &[String]) -> Option<String> {
    let f = keys.iter().find(|k| k.starts_with('F') && k.len() > 1);
    let plain = keys.iter().find(|k| {
        k.chars().count() == 1
            && k.chars()
                .all(|c| c.is_alphanumeric() || c == '/' || c == '?')
    });
    let named = keys
        .iter()
        .find(|k| !k.contains('-') && k.chars().count() > 1);
    let key = f.or(plain).or(named).or(keys.first())?;
    Some(match key.as_str() {
        "Backspace" => "Bksp".to_string(),
        k => k.to_string(),
    })
}

/// Where a live session stands: rate, pause, end, drops.
fn live_status(live: &LiveView) -> String {
    let mut s = match &live.source {
        _ if live.paused => format!(" │ PAUSED, {} waiting", live.waiting.len()),
        SourceState::Receiving => format!(" │ LIVE {}/s", live.rate.per_second()),
        SourceState::Ended(_) => String::from(" │ ENDED"),
        SourceState::Broken(why) => format!(" │ BROKEN: {}", sanitize_capped(why, 40)),
    };
    if !live.paused && !live.waiting.is_empty() {
        s.push_str(&format!(", {} behind", live.waiting.len()));
    }
    let dropped: u64 = live
        .kernel
        .iter()
        .filter(|(name, _)| name.starts_with("dropped"))
        .map(|(_, n)| n)
        .sum();
    if dropped > 0 {
        s.push_str(&format!(", {dropped} dropped"));
    }
    s
}

/// Draws the status and hints lines.
pub fn render(frame: &mut Frame, status: Rect, hints: Rect, state: &AppState, theme: &Theme) {
    let g = &state.graph;
    let c = &state.summary.counts;
    let mut counts = match &state.load {
        LoadStatus::Done => format!("{} nodes {} edges", c.nodes, c.edges),
        LoadStatus::Loading { .. } => "loading…".into(),
        LoadStatus::Failed(_) => "load failed".into(),
    };
    if let Some(live) = &state.live {
        counts.push_str(&live_status(live));
    }
    let counts = format!(" │ {counts} │ ");
    let source = sanitize_capped(&short_source(&state.source), 40);
    // A message (often long, and it passes) gives way to the counts and the live state;
    // the selection does not: at a cramped width its name is what the user reads.
    let room = usize::from(status.width)
        .saturating_sub(1 + counts.chars().count())
        .max(12);
    let tail = if let Some(m) = &state.message {
        Span::styled(sanitize_capped(m, room), theme.warning)
    } else if let Some(n) = state.selected {
        let text = format!(
            "{} › {} › {}",
            g.node(n).class.name(),
            sanitize(g.node_kind(n)),
            sanitize_capped(&g.node_label(n), 60)
        );
        Span::raw(text)
    } else {
        Span::raw("")
    };
    let line = fit(
        vec![Span::raw(" "), tail, Span::raw(counts), Span::raw(source)],
        usize::from(status.width),
    );
    frame.render_widget(Paragraph::new(line).style(theme.status), status);

    let line = if let Some(prompt) = state.prompt.as_ref().filter(|_| state.mode == Mode::Prompt) {
        fit(
            vec![
                Span::styled(prompt.kind.question(), theme.key),
                Span::raw(sanitize(&prompt.text)),
                Span::raw("█"),
            ],
            usize::from(hints.width),
        )
    } else if state.mode == Mode::Search {
        let found = if state.search.query.is_empty() {
            String::new()
        } else if state.search.pending() {
            "  searching…".into()
        } else if state.search.matches.is_empty() {
            "  no match".into()
        } else {
            format!(
                "  {}/{} matches",
                state.search.current + 1,
                state.search.matches.len()
            )
        };
        Line::from(vec![
            Span::styled("/", theme.key),
            Span::raw(sanitize(&state.search.query)),
            Span::raw("█"),
            Span::styled(found, theme.dim),
        ])
    } else {
        let mut spans = Vec::new();
        let live = state.live.as_ref().map(|l| {
            let name = if l.paused { "Resume" } else { "Pause" };
            (Action::TogglePause, name)
        });
        for &(action, name) in live.iter().chain(hints_for(state.screen)) {
            if let Some(key) = display_key(&state.keymap.keys_for(Mode::Normal, action)) {
                spans.push(Span::styled(key, theme.key));
                spans.push(Span::raw(format!("{name} ")));
            }
        }
        fit(spans, usize::from(hints.width))
    };
    frame.render_widget(Paragraph::new(line), hints);
}
