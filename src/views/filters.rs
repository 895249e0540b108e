//! The filter panel: the capture policy's filters and every type filter the capture
//! offers, each with what it dropped in the last second and a sparkline of the last
//! minute; above them, what passed and what was dropped in total (elements and bytes per
//! second, before = passed + dropped) and what the kernel side filtered, in total and
//! by cause; a filter the kernel applies shows the events it stopped there.

use crate::app::filter_panel::{FilterPanel, Samples};
use crate::app::state::AppState;
use crate::policy::simulate::Tally;
use crate::text::sanitize;
use crate::views::Theme;
use crate::views::lists::{fit, pane, render_list};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The last `width` values as bars scaled to their maximum; blanks when all are zero.
fn sparkline(values: &[u64], width: usize) -> String {
    let tail = &values[values.len().saturating_sub(width)..];
    let max = tail.iter().copied().max().unwrap_or(0);
    tail.iter()
        .map(|&v| {
            if max == 0 {
                ' '
            } else if v == 0 {
                '·'
            } else {
                // Floor, so only the maximum reaches the full bar; zero has its own mark.
                BARS[(v * 7 / max) as usize]
            }
        })
        .collect()
}

/// Bytes per second, short.
fn per_second_bytes(b: u64) -> String {
    match b {
        0..1_000 => format!("{b} B/s"),
        1_000..1_000_000 => format!("{:.1} KB/s", b as f64 / 1e3),
        _ => format!("{:.1} MB/s", b as f64 / 1e6),
    }
}

fn elements(samples: Option<&Samples>) -> Vec<u64> {
    samples.map_or_else(Vec::new, |s| s.iter().map(|t| t.elements).collect())
}

fn rate_spans(t: Tally, spark: String, theme: &Theme) -> Vec<Span<'static>> {
    vec![
        Span::styled(format!("{:>7}/s ", t.elements), theme.text),
        Span::styled(format!("{:>11} ", per_second_bytes(t.bytes)), theme.dim),
        Span::styled(spark, theme.header),
    ]
}

fn header(p: &FilterPanel, theme: &Theme) -> Vec<Line<'static>> {
    let (passed, dropped) = p.totals();
    let before = Tally {
        elements: passed.elements + dropped.elements,
        bytes: passed.bytes + dropped.bytes,
    };
    let on = p.policy.filters().len();
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("policy {} ", p.policy.fingerprint()), theme.header),
        Span::raw(format!(
            "· {on} filter(s) on · Enter toggles · w saves camflow.ini · Esc closes"
        )),
    ])];
    if p.control.is_none() {
        lines.push(Line::styled(
            "this source cannot be filtered: filters apply to `provscope live` captures",
            theme.warning,
        ));
        return lines;
    }
    let passed_history = elements(Some(&p.passed));
    let mut dropped_history = vec![0u64; p.passed.len()];
    for s in p.dropped.values() {
        let offset = dropped_history.len().saturating_sub(s.len());
        for (i, t) in s.iter().enumerate() {
            if let Some(v) = dropped_history.get_mut(offset + i) {
                *v += t.elements;
            }
        }
    }
    let mut line = |name: &str, t: Tally, history: &[u64]| {
        let mut spans = vec![Span::raw(format!("{name:<10}"))];
        spans.extend(rate_spans(t, sparkline(history, 30), theme));
        lines.push(Line::from(spans));
    };
    line("before", before, &[]);
    line("passed", passed, &passed_history);
    line("dropped", dropped, &dropped_history);
    let kernel: Vec<u64> = p.kernel_filtered.iter().copied().collect();
    lines.push(Line::from(vec![
        Span::raw(format!(
            "{:<10}{:>7}/s events filtered in the kernel ",
            "kernel",
            kernel.last().copied().unwrap_or(0)
        )),
        Span::styled(sparkline(&kernel, 30), theme.header),
    ]));
    // The causes that filtered something in the last second, busiest first.
    let mut causes: Vec<(&str, u64)> = p
        .kernel_causes
        .iter()
        .filter_map(|(name, h)| Some((name.strip_prefix("filtered: ")?, *h.back()?)))
        .filter(|&(_, n)| n > 0)
        .collect();
    causes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    if !causes.is_empty() {
        let list: Vec<String> = causes.iter().map(|(c, n)| format!("{c} {n}/s")).collect();
        lines.push(Line::styled(
            format!("{:<10}{}", "", list.join(" · ")),
            theme.dim,
        ));
    }
    lines
}

/// Draws the filter panel.
pub fn render(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let Some(p) = state.live.as_ref().map(|l| &l.filters) else {
        return;
    };
    let head = header(p, theme);
    let [top, list] =
        Layout::vertical([Constraint::Length(head.len() as u16), Constraint::Min(3)]).areas(area);
    let width = usize::from(top.width);
    let head: Vec<Line<'static>> = head.into_iter().map(|l| fit(l.spans, width)).collect();
    frame.render_widget(Paragraph::new(head), top);
    let block = pane(String::from("Capture filters"), true, theme);
    let row = |i: usize| -> Vec<Span<'static>> {
        let f = &p.rows[i];
        let on = p.policy.has(f);
        let mut spans = vec![
            Span::styled(
                if on { "[x] " } else { "[ ] " },
                if on { theme.header } else { theme.dim },
            ),
            Span::raw(format!("{:<34}", sanitize(&f.to_string()))),
        ];
        // A filter the kernel side applies shows the events it stopped there.
        if let Some(kernel) = p.kernel_history_of(f) {
            let history: Vec<u64> = kernel.iter().copied().collect();
            let last = history.last().copied().unwrap_or(0);
            spans.push(Span::styled(format!("{last:>7}/s "), theme.text));
            spans.push(Span::styled(format!("{:>11} ", "in kernel"), theme.dim));
            spans.push(Span::styled(sparkline(&history, 20), theme.header));
            return spans;
        }
        let history = elements(p.dropped.get(&f.to_string()));
        if on || history.iter().any(|&v| v > 0) {
            spans.extend(rate_spans(p.rate_of(f), sparkline(&history, 20), theme));
        }
        spans
    };
    render_list(
        frame,
        list,
        block,
        p.cursor,
        p.rows.len(),
        theme.cursor,
        &row,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparklines_scale_to_their_maximum() {
        assert_eq!(sparkline(&[0, 0], 10), "  ");
        assert_eq!(sparkline(&[0, 1, 2, 4], 10), "·▂▄█");
        assert_eq!(sparkline(&[9, 9, 9, 1, 8], 2), "▁█");
        assert_eq!(per_second_bytes(12_345), "12.3 KB/s");
    }
}
