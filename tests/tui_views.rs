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
fn process_tree_of_the_synthetic_incident() {
    snap("tree__synthetic", &|| {
        let mut s = loaded_state(&[synthetic_incident()]);
        press(&mut s, "F2");
        s
    });
}

#[test]
fn process_tree_of_the_demo_recording() {
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
fn backward_lineage_screen() {
    snap("lineage__wget_resolv_conf", &|| {
        let mut s = loaded_state(&[sample(V050)]);
        press(&mut s, "/");
        type_text(&mut s, "/etc/resolv.conf");
        press(&mut s, "Enter");
        press(&mut s, "f");
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

/// Writes a CamFlow 0.5.0 W3C line (layout of the wget sample) whose `file` entity has a
/// 20,000-character attribute and 400 extra attributes, named by a 5,000-character path.
/// Returns the file and how many attributes the `file` entity has.
fn huge_node_trace() -> (tempfile::NamedTempFile, usize) {
    use std::io::Write;
    let file_id = "cf:AAIAAAAAACDF/gAAAAAAAAEAAABTTLt0AAAAAAAAAAA=";
    let path_id = "cf:AAAIAAAAACAwHgIAAAAAAAEAAABTTLt0AAAAAAAAAAA=";
    let named_id = "cf:AQAAAAAAgIAcCgAAAAAAAAEAAABTTLt0AAAAAAAAAAA=";
    let path = format!(
        "{HUGE_PATH_HEAD}{}",
        "p".repeat(HUGE_PATH_LEN - HUGE_PATH_HEAD.len())
    );
    let mut file = serde_json::json!({
        "cf:id": "65221", "prov:type": "file", "cf:boot_id": 1,
        "cf:machine_id": "cf:1958431827", "cf:version": 0,
        "cf:date": "2019:01:24T08:00:25", "cf:jiffies": "4295572464", "cf:epoch": 8,
        "cf:uid": 0, "cf:gid": 0, "cf:mode": "0x81a4",
        "cf:secctx": format!("system_u:{}", "x".repeat(HUGE_VALUE_LEN - 9)),
        "cf:ino": 792_682, "prov:label": "[file] 0",
    });
    for i in 0..400 {
        file[format!("cf:extra_{i:03}")] = serde_json::json!(format!("value {i}"));
    }
    let attrs = file.as_object().expect("an object").len();
    let line = serde_json::json!({
        "prefix": {"prov": "http://www.w3.org/ns/prov", "cf": "http://www.camflow.org"},
        "entity": {
            file_id: file,
            path_id: {
                "cf:id": "138800", "prov:type": "path", "cf:boot_id": 1,
                "cf:machine_id": "cf:1958431827", "cf:version": 0,
                "cf:date": "2019:01:24T08:00:25", "cf:jiffies": "4295572472", "cf:epoch": 0,
                "cf:pathname": path, "prov:label": format!("[path] {path}"),
            },
        },
        "wasDerivedFrom": {
            named_id: {
                "cf:id": "2588", "prov:type": "named", "cf:boot_id": 1,
                "cf:machine_id": "cf:1958431827", "cf:date": "2019:01:24T08:00:25",
                "cf:jiffies": "4295572464", "cf:epoch": 0, "prov:label": "named",
                "cf:allowed": "true", "prov:usedEntity": path_id,
                "prov:generatedEntity": file_id, "cf:flags": "0",
            },
        },
    });
    let mut tmp = tempfile::Builder::new()
        .suffix(".log")
        .tempfile()
        .expect("tempfile");
    writeln!(tmp, "{line}").expect("write trace");
    (tmp, attrs)
}

/// The huge path starts with this; the rest is `p`.
const HUGE_PATH_HEAD: &str = "/tmp/huge-";
/// Characters in the huge path.
const HUGE_PATH_LEN: usize = 5_000;
/// Characters in the huge `cf:secctx` value.
const HUGE_VALUE_LEN: usize = 20_000;

/// The rows of `area` in the buffer, as text.
fn rows_of(buf: &ratatui::buffer::Buffer, area: ratatui::layout::Rect) -> Vec<String> {
    (area.top()..area.bottom())
        .map(|y| {
            (area.left()..area.right())
                .map(|x| buf[(x, y)].symbol())
                .collect()
        })
        .collect()
}

/// Every row is exactly `w` columns and every pane border is where the layout put it: a
/// string that escaped its pane would overwrite one.
fn assert_layout_intact(buf: &ratatui::buffer::Buffer, w: u16, h: u16) {
    use provscope::views::layout;
    use ratatui::layout::Rect;
    for (y, row) in rows_of(buf, buf.area).iter().enumerate() {
        let width = ratatui::text::Line::from(row.as_str()).width();
        assert_eq!(width, usize::from(w), "row {y} is {width} columns: {row}");
    }
    let panes = layout::main_panes(layout::split(Rect::new(0, 0, w, h)).body);
    for pane in [panes.navigator, panes.detail, panes.relations] {
        for y in pane.top()..pane.bottom() {
            for x in [pane.left(), pane.right() - 1] {
                let s = buf[(x, y)].symbol();
                assert!(
                    "┌┐└┘│".contains(s),
                    "border of {pane:?} broken at ({x},{y}): {s:?}"
                );
            }
        }
    }
}

/// The detail pane's inner text with rows joined and runs of spaces collapsed, so a
/// marker wrapped over two rows reads as one.
fn detail_text(buf: &ratatui::buffer::Buffer) -> String {
    let panes = detail_pane(buf);
    let inner = rows_of(buf, panes.inner(ratatui::layout::Margin::new(1, 1))).join(" ");
    inner.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The detail pane of a main screen drawn on `buf`.
fn detail_pane(buf: &ratatui::buffer::Buffer) -> ratatui::layout::Rect {
    use provscope::views::layout;
    layout::main_panes(layout::split(buf.area).body).detail
}

/// The numbers that follow `before` in `text`.
fn numbers_after(text: &str, before: &str) -> Vec<usize> {
    text.match_indices(before)
        .filter_map(|(i, _)| {
            let digits: String = text[i + before.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        })
        .collect()
}

/// The "very long strings and huge attribute maps do not break the layout" and
/// "every attribute of the selection (long values wrapped or capped, never cut
/// silently)": the file with the huge attributes, found through search, drawn at the top
/// of its detail and scrolled to the bottom.
#[test]
fn huge_values_and_attribute_maps_keep_the_layout_and_say_what_is_hidden() {
    let (trace, attrs) = huge_node_trace();
    let path = trace.path().to_string_lossy().into_owned();
    for (w, h) in SIZES {
        let mut s = loaded_state(std::slice::from_ref(&path));
        // The temporary file's random name must not reach the snapshot.
        s.source = "huge.log".into();
        press(&mut s, "/");
        type_text(&mut s, "huge file");
        press(&mut s, "Enter");
        draw(&mut s, w, h);
        let term = draw(&mut s, w, h);
        assert_snapshot!(format!("main__huge_node__{w}x{h}"), term.backend());
        let buf = term.backend().buffer();
        assert_layout_intact(buf, w, h);
        let title = rows_of(buf, detail_pane(buf))[0].clone();
        assert!(
            title.contains(&format!("Detail ({attrs} attributes)")),
            "{title}"
        );

        // The headline path is capped, and what is shown plus what is counted as hidden
        // is the whole path.
        let text = detail_text(buf);
        let hidden = numbers_after(&text, "… (+");
        assert_eq!(hidden.len(), 1, "one capped value in view: {text}");
        assert!(text.contains(&format!("(+{} chars)", hidden[0])), "{text}");
        let head = text.split("… (+").next().unwrap_or("");
        let shown = head
            .split(HUGE_PATH_HEAD)
            .nth(1)
            .unwrap_or("")
            .matches('p')
            .count();
        assert_eq!(
            shown + hidden[0],
            HUGE_PATH_LEN - HUGE_PATH_HEAD.len(),
            "{text}"
        );

        // The bottom border counts the attributes below the view; with the ones whose
        // key is in view, that is all of them.
        let pane = detail_pane(buf);
        let bottom = rows_of(buf, pane).pop().unwrap_or_default();
        let below = numbers_after(&bottom, "↓ ");
        assert_eq!(below.len(), 1, "{bottom}");
        assert!(
            bottom.contains(&format!("↓ {} more attributes", below[0])),
            "{bottom}"
        );
        let keys_in_view = rows_of(buf, pane.inner(ratatui::layout::Margin::new(1, 1)))
            .iter()
            .skip(1)
            .filter(|r| r.starts_with("cf:") || r.starts_with("prov:"))
            .count();
        assert_eq!(below[0] + keys_in_view, attrs, "{bottom}");

        // Focus the detail pane and go to its end: the huge value's cap is visible, the
        // border says how much is above, and nothing is below.
        press(&mut s, "Tab");
        press(&mut s, "Tab");
        press(&mut s, "G");
        draw(&mut s, w, h);
        let term = draw(&mut s, w, h);
        assert_snapshot!(format!("main__huge_node_end__{w}x{h}"), term.backend());
        let buf = term.backend().buffer();
        assert_layout_intact(buf, w, h);
        let text = detail_text(buf);
        let hidden = numbers_after(&text, "… (+");
        assert!(
            hidden.len() == 1 && hidden[0] < HUGE_VALUE_LEN,
            "the capped value says how much is hidden: {text}"
        );
        assert!(text.contains(&format!("(+{} chars)", hidden[0])), "{text}");
        let bottom = rows_of(buf, pane).pop().unwrap_or_default();
        assert!(!bottom.contains('↓'), "nothing below the end: {bottom}");
        let above = numbers_after(&bottom, "↑ ");
        assert_eq!(above.len(), 1, "{bottom}");

        // Scrolling stops at the end: one line up shows one line less above.
        press(&mut s, "k");
        let term = draw(&mut s, w, h);
        let bottom = rows_of(term.backend().buffer(), pane)
            .pop()
            .unwrap_or_default();
        assert_eq!(numbers_after(&bottom, "↑ "), [above[0] - 1], "{bottom}");
        assert!(bottom.contains("↓ "), "{bottom}");
    }
}
