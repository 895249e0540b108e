//! View snapshots: each screen drawn from real traces on ratatui's TestBackend, at 80x24
//! and at the cramped 60x20, reached through the real key path.

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
fn main_screen_after_loading_wget() {
    snap("main__wget", &|| loaded_state(&[sample(V050)]));
}

#[test]
fn file_selected_with_relations() {
    snap("main__wget_resolv_conf", &|| {
        let mut s = loaded_state(&[sample(V050)]);
        press(&mut s, "/");
        type_text(&mut s, "/etc/resolv.conf");
        press(&mut s, "Enter");
        s
    });
}

#[test]
fn relation_followed_to_the_reading_task() {
    snap("main__wget_followed", &|| {
        let mut s = loaded_state(&[sample(V050)]);
        press(&mut s, "/");
        type_text(&mut s, "/etc/resolv.conf");
        press(&mut s, "Enter");
        press(&mut s, "Enter");
        press(&mut s, "Enter");
        s
    });
}

#[test]
fn search_line_while_typing() {
    snap("search__typing", &|| {
        let mut s = loaded_state(&[sample(V050)]);
        press(&mut s, "/");
        type_text(&mut s, "nscd");
        s
    });
}

#[test]
fn help_screen() {
    snap("help", &|| {
        let mut s = loaded_state(&[sample(V050)]);
        press(&mut s, "F1");
        s
    });
}

#[test]
fn stats_screen() {
    snap("stats__wget", &|| {
        let mut s = loaded_state(&[sample(V050)]);
        press(&mut s, "F8");
        s
    });
}

#[test]
fn process_tree_of_the_demo() {
    snap("tree__demo", &|| {
        let mut s = loaded_state(&[demo_trace()]);
        press(&mut s, "F2");
        s
    });
}

#[test]
fn shared_state_of_a_task() {
    snap("shared__wget", &|| {
        let mut s = loaded_state(&[sample(V050)]);
        press(&mut s, "/");
        type_text(&mut s, "pid:3666");
        press(&mut s, "Enter");
        press(&mut s, "s");
        s
    });
}

#[test]
fn spade_trace_main_screen() {
    snap("main__android_spade", &|| loaded_state(&[sample(V080)]));
}

#[test]
fn loading_and_failed_screens() {
    use provscope::app::loader::LoadEvent;
    snap("loading", &|| {
        let mut s = provscope::app::state::AppState::new(
            "big.log".into(),
            provscope::app::keymap::Keymap::default_keymap(),
        );
        s.update(provscope::app::action::Msg::Load(LoadEvent::Progress {
            read: 45_000_000,
            total: Some(100_000_000),
        }));
        s
    });
    snap("failed", &|| {
        let mut s = provscope::app::state::AppState::new(
            "junk.bin".into(),
            provscope::app::keymap::Keymap::default_keymap(),
        );
        s.update(provscope::app::action::Msg::Load(LoadEvent::Failed(
            "'junk.bin' holds no CamFlow provenance".into(),
        )));
        s
    });
}
