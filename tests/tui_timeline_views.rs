//! View snapshots of the timeline strip and the path screen, drawn from real traces on
//! ratatui's TestBackend at 80x24 and at the cramped 60x20, reached through the real key
//! path (as tests/tui_views.rs does for the other screens).

mod common;
use common::*;
use insta::assert_snapshot;

const SIZES: [(u16, u16); 2] = [(80, 24), (60, 20)];

fn snap(name: &str, setup: &dyn Fn() -> provscope::app::state::AppState) {
    for (w, h) in SIZES {
        let mut state = setup();
        // First frame sets the viewport, as in the real loop; the second is the snapshot.
        draw(&mut state, w, h);
        let term = draw(&mut state, w, h);
        assert_snapshot!(format!("{name}__{w}x{h}"), term.backend());
    }
}

#[test]
fn timeline_strip_half_way_through_the_wget_trace() {
    snap("timeline__wget_half", &|| {
        let mut s = at_wget_task();
        press(&mut s, "@");
        type_text(&mut s, "50%");
        press(&mut s, "Enter");
        s
    });
}

#[test]
fn timeline_strip_while_playing() {
    snap("timeline__wget_playing", &|| {
        let mut s = loaded_state(&[sample(V050)]);
        press(&mut s, "P");
        press(&mut s, "+");
        s.update(provscope::app::action::Msg::Tick);
        s
    });
}

#[test]
fn timeline_strip_at_the_end_and_the_jump_prompt() {
    snap("timeline__demo_jump_prompt", &|| {
        let mut s = loaded_state(&[demo_trace()]);
        press(&mut s, "T");
        press(&mut s, "@");
        type_text(&mut s, "09:55:4");
        s
    });
}

fn marked_shadow() -> provscope::app::state::AppState {
    let mut s = loaded_state(&[demo_trace()]);
    press(&mut s, "/");
    type_text(&mut s, "/etc/shadow");
    press(&mut s, "Enter");
    press(&mut s, "m");
    s
}

#[test]
fn path_from_the_secret_to_its_copy() {
    snap("path__demo_shadow_to_copy", &|| {
        let mut s = marked_shadow();
        press(&mut s, "M");
        type_text(&mut s, "path:/tmp/.cache-x/s.bak");
        press(&mut s, "Enter");
        s
    });
}

#[test]
fn path_with_no_flow() {
    snap("path__demo_no_flow", &|| {
        let mut s = loaded_state(&[demo_trace()]);
        press(&mut s, "/");
        type_text(&mut s, "/tmp/.cache-x/s.bak");
        press(&mut s, "Enter");
        press(&mut s, "m");
        press(&mut s, "M");
        type_text(&mut s, "path:/etc/shadow");
        press(&mut s, "Enter");
        s
    });
}
