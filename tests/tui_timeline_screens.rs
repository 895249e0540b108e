//! The process tree, shared-state and stats screens follow the time cursor, checked on the
//! real wget sample (and the bundled demo, whose tasks clone) through the real keymap and `update`. What should be visible is worked
//! out here from the relations' own `cf:id` attributes (the sample's ids are distinct, so
//! "the first N events" are the N smallest ids), not from the product's timeline.

mod common;
use common::*;
use provscope::app::relations::LinkRow;
use provscope::app::state::{AppState, Screen};
use provscope::app::update_time_screens::SummaryScope;
use provscope::graph::store::ObjectId;
use provscope::graph::{EdgeId, NodeId, Origin};

/// The relation `cf:id` of an edge, read from its attribute.
fn relation_id(s: &AppState, e: EdgeId) -> u64 {
    let text = s.graph.edge_attr(e, "cf:id").expect("an id");
    text.trim_matches('"').parse().expect("a number")
}

/// The largest relation id among the first `at` events.
fn limit_at(s: &AppState, at: usize) -> u64 {
    let mut ids: Vec<u64> = s
        .graph
        .edge_ids()
        .filter(|&e| !s.graph.edge(e).derived)
        .map(|e| relation_id(s, e))
        .collect();
    ids.sort_unstable();
    ids[at - 1]
}

/// Ids of the trace's relations touching a vertex.
fn ids_touching(s: &AppState, n: NodeId) -> Vec<u64> {
    let g = &s.graph;
    g.edge_ids()
        .filter(|&e| !g.edge(e).derived)
        .filter(|&e| {
            let (a, b) = g.endpoints(e);
            a == n || b == n
        })
        .map(|e| relation_id(s, e))
        .collect()
}

/// A vertex exists by `limit` when a relation up to it touches it, or none ever does (a
/// loaded trace's untouched vertices are part of its state from the start).
fn exists_by(s: &AppState, n: NodeId, limit: u64) -> bool {
    let ids = ids_touching(s, n);
    ids.is_empty() || ids.iter().any(|&id| id <= limit)
}

fn jump(s: &mut AppState, to: &str) {
    press(s, "@");
    type_text(s, to);
    press(s, "Enter");
}

fn tree_objects(s: &AppState) -> Vec<ObjectId> {
    s.tree_rows.iter().map(|r| r.object).collect()
}

#[test]
fn the_process_tree_shows_the_tasks_that_existed_by_the_cursor() {
    // The bundled demo recording: its tasks clone others (the CamFlow samples' do not).
    let mut s = loaded_state(&[demo_trace()]);
    press(&mut s, "t");
    assert_eq!(s.screen, Screen::ProcessTree);
    let all = tree_objects(&s);
    assert!(all.len() > 5, "the demo's task objects: {}", all.len());
    press(&mut s, "t");
    jump(&mut s, "30%");
    let at = s.time.cursor.expect("back in time");
    let limit = limit_at(&s, at);
    press(&mut s, "t");
    let shown = tree_objects(&s);
    assert!(
        !shown.is_empty() && shown.len() < all.len(),
        "{} of {}",
        shown.len(),
        all.len()
    );
    for &o in &all {
        let versions = s.graph.object(o).versions.clone();
        let expected = versions.iter().any(|&v| exists_by(&s, v, limit));
        assert_eq!(
            shown.contains(&o),
            expected,
            "task {}",
            s.graph.object_label(o)
        );
    }
    // Moving the cursor on the screen updates it: at the end everything is back.
    press(&mut s, "e");
    assert_eq!(tree_objects(&s), all);
}

fn shared_edges(s: &AppState) -> Vec<EdgeId> {
    s.shared_rows
        .iter()
        .filter_map(|r| match r {
            LinkRow::Edge { edge, .. } => Some(*edge),
            _ => None,
        })
        .collect()
}

#[test]
fn the_shared_state_screen_lists_the_writes_and_reads_that_had_happened() {
    let mut s = at_wget_task();
    press(&mut s, "s");
    assert_eq!(s.screen, Screen::Shared);
    let all = shared_edges(&s);
    assert!(all.len() >= 2, "wget's memory is written and read");
    let mut ids: Vec<u64> = all.iter().map(|&e| relation_id(&s, e)).collect();
    ids.sort_unstable();
    // Go back to just after the first shared-state relation, on the screen itself.
    let at = {
        let mut order: Vec<u64> = s
            .graph
            .edge_ids()
            .filter(|&e| !s.graph.edge(e).derived)
            .map(|e| relation_id(&s, e))
            .collect();
        order.sort_unstable();
        order.iter().position(|&id| id == ids[0]).expect("ranked") + 1
    };
    jump(&mut s, &at.to_string());
    assert_eq!(s.screen, Screen::Shared, "the screen stays open");
    let shown = shared_edges(&s);
    assert_eq!(
        shown.len(),
        1,
        "only the first shared relation had happened"
    );
    assert_eq!(relation_id(&s, shown[0]), ids[0]);
    press(&mut s, "e");
    assert_eq!(shared_edges(&s), all);
}

#[test]
fn the_stats_screen_counts_the_graph_as_of_the_cursor() {
    let mut s = at_wget_task();
    let whole = s.summary.counts.clone();
    jump(&mut s, "10%");
    let at = s.time.cursor.expect("back in time");
    let limit = limit_at(&s, at);
    press(&mut s, "F8");
    assert_eq!(s.screen, Screen::Stats);
    let (summary, scope) = s.shown_summary();
    assert_eq!(
        scope,
        SummaryScope::AsOf {
            at,
            counting: false
        }
    );
    let c = &summary.counts;
    assert_eq!(c.edges, at as u64);
    assert_eq!(c.edge_types.values().sum::<u64>(), at as u64);
    let defined_by_then = s
        .graph
        .node_ids()
        .filter(|&n| s.graph.node(n).origin == Origin::Defined)
        .filter(|&n| exists_by(&s, n, limit))
        .count();
    assert_eq!(c.nodes, defined_by_then as u64);
    assert!(c.nodes < whole.nodes);
    let families: u64 = summary.families.iter().map(|(_, n)| n).sum();
    assert_eq!(families, at as u64);
    let screen = draw(&mut s, 80, 24);
    let text = format!("{:?}", screen.backend().buffer());
    assert!(
        text.contains(&format!("Trace as of event {at} of 519")),
        "{text}"
    );

    // A step back on the screen counts again; the end shows the whole trace.
    press(&mut s, ",");
    let (summary, scope) = s.shown_summary();
    assert_eq!(
        scope,
        SummaryScope::AsOf {
            at: at - 1,
            counting: false
        }
    );
    assert_eq!(summary.counts.edges, at as u64 - 1);
    press(&mut s, "e");
    let (summary, scope) = s.shown_summary();
    assert_eq!(scope, SummaryScope::Whole);
    assert_eq!(summary.counts, whole);
}
