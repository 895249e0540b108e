//! The filter panel driven by keys, through the real `update`: F4 opens it, `a` asks for
//! a rule, and the typed rule lands in the running capture's policy (the same control a
//! live capture or a daemon client applies), listed first and turned on; Enter turns it
//! off again; a rule that makes no sense is refused with a reason and changes nothing.

mod common;
use common::*;
use provscope::app::filter_panel::FilterPanel;
use provscope::app::keymap::Keymap;
use provscope::app::live::LiveView;
use provscope::app::state::{AppState, LoadStatus, Screen};
use provscope::policy::control::PolicyControl;
use provscope::policy::{Filter, Policy};
use std::sync::Arc;

fn live_with_control() -> (AppState, Arc<PolicyControl>) {
    let control = Arc::new(PolicyControl::new(Policy::default()));
    let mut s = AppState::new("this machine".into(), Keymap::default_keymap());
    let mut view = LiveView::new();
    view.filters = FilterPanel::new(Policy::default(), Some(Arc::clone(&control)));
    s.live = Some(view);
    s.load = LoadStatus::Done;
    (s, control)
}

#[test]
fn a_typed_rule_goes_into_the_running_capture_and_back_out() {
    let (mut s, control) = live_with_control();
    press(&mut s, "F4");
    assert_eq!(s.screen, Screen::Filters);
    let generation = control.generation();
    press(&mut s, "a");
    type_text(&mut s, "file opaque=/usr/bin/bash");
    press(&mut s, "Enter");
    let rule = Filter::parse("file opaque=/usr/bin/bash").unwrap();
    assert_eq!(control.generation(), generation + 1);
    assert!(control.get().1.has(&rule), "{:?}", control.get().1);
    let panel = &s.live.as_ref().unwrap().filters;
    assert_eq!(panel.rows[0], rule);
    assert_eq!(panel.cursor.cursor, 0);
    let said = s.message.clone().unwrap_or_default();
    assert!(said.contains("file opaque=/usr/bin/bash on"), "{said}");

    // Enter on it: off again.
    press(&mut s, "Enter");
    assert!(!control.get().1.has(&rule));

    // Nonsense changes nothing and says why.
    let generation = control.generation();
    press(&mut s, "a");
    type_text(&mut s, "file sometimes=/x");
    press(&mut s, "Enter");
    assert_eq!(control.generation(), generation);
    let said = s.message.clone().unwrap_or_default();
    assert!(said.starts_with("not added"), "{said}");
}

/// The screen's text, row by row.
fn screen_text(s: &mut AppState, w: u16, h: u16) -> String {
    draw(s, w, h);
    let term = draw(s, w, h);
    let buf = term.backend().buffer();
    (0..h)
        .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_kernel_filter_shows_what_it_stopped_in_the_kernel() {
    let (mut s, _control) = live_with_control();
    press(&mut s, "F4");
    press(&mut s, "a");
    type_text(&mut s, "user opaque=nobody");
    press(&mut s, "Enter");
    let panel = &mut s.live.as_mut().unwrap().filters;
    panel.on_kernel_counters(&[("filtered: user", 100), ("filtered: not tracked", 0)]);
    panel.on_kernel_counters(&[("filtered: user", 142), ("filtered: not tracked", 9)]);
    for (w, h) in [(80, 24), (60, 20)] {
        let text = screen_text(&mut s, w, h);
        if std::env::var_os("SHOW").is_some() {
            eprintln!("{text}");
        }
        let row = text
            .lines()
            .find(|l| l.contains("user opaque=nobody"))
            .unwrap_or_else(|| panic!("the rule is listed:\n{text}"));
        assert!(
            row.contains("42/s"),
            "its row counts the kernel's user filter:\n{text}"
        );
        assert!(
            text.contains("user 42/s · not tracked 9/s"),
            "the header lists the kernel's causes, busiest first:\n{text}"
        );
        assert_eq!(text.matches("Pause").count(), 1, "one pause hint:\n{text}");
    }
}
