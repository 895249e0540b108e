//! The UI's behaviour without a screen: keys through the real keymap and `update`, then
//! assertions on what the user would see selected, listed or opened.

mod common;
use common::*;
use provscope::app::keymap::Mode;
use provscope::app::relations::LinkRow;
use provscope::app::state::{Focus, Screen};
use provscope::graph::{ElementKey, NodeId};

fn node(s: &provscope::app::state::AppState, key: &str) -> NodeId {
    s.graph.find_node(&ElementKey::parse(key)).expect("vertex")
}

const RESOLV_FILE: &str = "AAIAAAAAACDF/gAAAAAAAAEAAABTTLt0AAAAAAAAAAA=";

fn at_resolv_conf() -> provscope::app::state::AppState {
    let mut s = loaded_state(&[sample(V050)]);
    press(&mut s, "/");
    type_text(&mut s, "/etc/resolv.conf");
    assert_eq!(s.mode, Mode::Search);
    press(&mut s, "Enter");
    assert_eq!(s.mode, Mode::Normal);
    s
}

#[test]
fn search_selects_the_best_match_as_you_type() {
    let s = at_resolv_conf();
    assert_eq!(s.selected, Some(node(&s, RESOLV_FILE)));
    assert!(s.search.matches.len() >= 2, "file and path both match");
}

#[test]
fn follow_back_and_forward_like_a_browser() {
    let mut s = at_resolv_conf();
    let file = node(&s, RESOLV_FILE);
    press(&mut s, "Enter");
    assert_eq!(s.focus, Focus::Relations);
    let target = s.relation_rows[s.relations.cursor]
        .target()
        .expect("an edge row");
    press(&mut s, "Enter");
    assert_eq!(s.selected, Some(target));
    assert_eq!(s.graph.node_kind(target), "task");
    press(&mut s, "Backspace");
    assert_eq!(s.selected, Some(file));
    press(&mut s, "]");
    assert_eq!(s.selected, Some(target));
    // The navigator follows the selection.
    let row = s.nav_rows[s.nav.cursor];
    assert_eq!(
        provscope::app::navigator::row_node(&s.graph, row),
        Some(target)
    );
}

#[test]
fn relations_are_grouped_by_family_with_counts() {
    let s = at_resolv_conf();
    let headers: Vec<(String, usize)> = s
        .relation_rows
        .iter()
        .filter_map(|r| match r {
            LinkRow::Header(sec, n) => Some((format!("{sec:?}"), *n)),
            _ => None,
        })
        .collect();
    assert_eq!(
        headers,
        [
            ("Family(DataIn, Outgoing)".to_string(), 5),
            ("Family(Naming, Incoming)".to_string(), 1)
        ]
    );
}

#[test]
fn shared_state_lists_writers_and_readers_of_the_process() {
    let mut s = loaded_state(&[sample(V050)]);
    press(&mut s, "/");
    type_text(&mut s, "pid:3666");
    press(&mut s, "Enter");
    press(&mut s, "s");
    assert_eq!(s.screen, Screen::Shared);
    let kinds: Vec<&str> = s
        .shared_rows
        .iter()
        .filter_map(|r| match r {
            LinkRow::Edge { edge, .. } => Some(s.graph.edge_kind(*edge)),
            _ => None,
        })
        .collect();
    assert!(kinds.contains(&"memory_write"));
    assert!(kinds.contains(&"memory_read"));
    // Enter on a writer goes to that task.
    press(&mut s, "Down");
    press(&mut s, "Down");
    press(&mut s, "Down");
    press(&mut s, "Enter");
    assert_eq!(s.screen, Screen::Main);
    assert_eq!(s.graph.node_kind(s.selected.expect("selection")), "task");
}

#[test]
fn esc_closes_screens_then_clears_search() {
    let mut s = at_resolv_conf();
    press(&mut s, "F8");
    assert_eq!(s.screen, Screen::Stats);
    press(&mut s, "Esc");
    assert_eq!(s.screen, Screen::Main);
    assert!(!s.search.query.is_empty());
    press(&mut s, "Esc");
    assert!(s.search.query.is_empty());
    press(&mut s, "q");
    assert!(s.should_quit);
}

#[test]
fn n_and_shift_n_step_through_matches() {
    let mut s = loaded_state(&[sample(V050)]);
    press(&mut s, "/");
    type_text(&mut s, "lib64");
    press(&mut s, "Enter");
    let first = s.selected;
    assert!(s.search.matches.len() > 3);
    press(&mut s, "n");
    assert_ne!(s.selected, first);
    press(&mut s, "N");
    assert_eq!(s.selected, first);
    press(&mut s, "F3");
    press(&mut s, "S-F3");
    assert_eq!(s.selected, first);
}

#[test]
fn navigator_expands_groups_and_versions() {
    let mut s = loaded_state(&[sample(V050)]);
    let before = s.nav_rows.len();
    // Activities › task group is the second row.
    press(&mut s, "j");
    press(&mut s, "Enter");
    assert!(s.nav_rows.len() > before, "the task group opened");
    press(&mut s, "j");
    assert_eq!(s.graph.node_kind(s.selected.expect("task")), "task");
    let rows = s.nav_rows.len();
    press(&mut s, "l");
    assert_eq!(s.nav_rows.len(), rows + 20, "20 versions of the wget task");
    press(&mut s, "h");
    assert_eq!(s.nav_rows.len(), rows);
    press(&mut s, "h");
    assert!(matches!(
        s.nav_rows[s.nav.cursor],
        provscope::app::navigator::NavRow::Group(_)
    ));
}

#[test]
fn keys_answer_while_loading() {
    let mut s = provscope::app::state::AppState::new(
        "x".into(),
        provscope::app::keymap::Keymap::default_keymap(),
    );
    press(&mut s, "F1");
    assert_eq!(s.screen, Screen::Help);
    press(&mut s, "j");
    press(&mut s, "q");
    assert!(s.should_quit);
}

#[test]
fn forward_lineage_lists_the_walk_and_enter_focuses_a_node() {
    let mut s = at_resolv_conf();
    let file = node(&s, RESOLV_FILE);
    press(&mut s, "f");
    assert_eq!(s.screen, Screen::Lineage);
    let v = s.lineage.as_ref().expect("lineage screen state");
    let result = v.result.as_ref().expect("the walk answered");
    assert_eq!(v.rows[0].node, file, "the selection is the root row");
    // Every vertex of the walk is a row or folded into one.
    let shown: usize = v.rows.iter().map(|r| 1 + r.folded_versions).sum();
    assert_eq!(shown, result.nodes.len());
    // wget opened and read it: a task row right under the root.
    let read_row = v
        .rows
        .iter()
        .position(|r| r.indent == 1 && s.graph.node_kind(r.node) == "task")
        .expect("a task step");
    let step = v.rows[read_row].via.expect("reached through a relation");
    assert_eq!(s.graph.endpoints(step), (file, v.rows[read_row].node));
    let target = v.rows[read_row].node;
    for _ in 0..read_row {
        press(&mut s, "j");
    }
    press(&mut s, "Enter");
    assert_eq!(s.screen, Screen::Main);
    assert_eq!(s.selected, Some(target));
    assert_eq!(
        s.graph.node_kind(target),
        "task",
        "the file's data went to a task"
    );
    // Backspace returns to where the walk started.
    press(&mut s, "Backspace");
    assert_eq!(s.selected, Some(file));
}

#[test]
fn esc_interrupts_a_running_walk_and_backward_lineage_finds_the_name() {
    use provscope::app::action::{Action, Msg};
    use provscope::app::effect::Effect;
    let mut s = at_resolv_conf();
    // Without running the effect, the walk is pending.
    let effects = s.update(Msg::Action(Action::ShowBackwardLineage));
    assert!(matches!(effects.as_slice(), [Effect::Lineage { .. }]));
    let Effect::Lineage { generation, .. } = &effects[0] else {
        unreachable!()
    };
    let old = *generation;
    let cancel = s.update(Msg::Action(Action::Escape));
    assert!(matches!(cancel.as_slice(), [Effect::CancelWalk { generation }] if *generation > old));
    assert_eq!(s.screen, Screen::Main);
    assert!(s.lineage.is_none());
    // A late answer of the interrupted walk changes nothing.
    provscope::app::effect::run_now(&mut s, effects);
    assert_eq!(s.screen, Screen::Main);
    assert!(s.lineage.is_none());
    // Run for real: nothing wrote resolv.conf here; its past is its name.
    press(&mut s, "b");
    let v = s.lineage.as_ref().unwrap();
    let kinds: Vec<&str> = v.rows.iter().map(|r| s.graph.node_kind(r.node)).collect();
    assert_eq!(kinds, ["file", "path"]);
}
