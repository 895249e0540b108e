//! The time cursor and the path query through the real keymap and `update`, without a
//! screen: what the navigator lists, what the relations pane shows, playback on ticks,
//! live growth while the cursor is back, and path answers.

mod common;
use common::*;
use provscope::app::action::Msg;
use provscope::app::path_view::PathRow;
use provscope::app::relations::LinkRow;
use provscope::app::state::{AppState, Screen};
use provscope::graph::{EdgeId, NodeId};

fn objects_listed(s: &AppState) -> usize {
    s.catalog.iter().map(|t| t.objects.len()).sum()
}

fn shown_edges(s: &AppState) -> Vec<EdgeId> {
    s.relation_rows
        .iter()
        .filter_map(|r| match r {
            LinkRow::Edge { edge, .. } => Some(*edge),
            _ => None,
        })
        .collect()
}

/// The relation `cf:id` of an edge, read from its attribute (not from the timeline).
fn relation_id(s: &AppState, e: EdgeId) -> u64 {
    let text = s.graph.edge_attr(e, "cf:id").expect("an id");
    text.trim_matches('"').parse().expect("a number")
}

#[test]
fn stepping_back_hides_the_newest_event_and_forward_brings_it_back() {
    let mut s = at_wget_task();
    let full = shown_edges(&s);
    let n = s.time.len();
    assert_eq!(n, 519, "the wget sample's relations");
    press(&mut s, ",");
    assert_eq!(s.time.cursor, Some(n - 1));
    assert!(s.time.strip_visible());
    // The newest relation by cf:id is the one hidden.
    let newest = s
        .graph
        .edge_ids()
        .filter(|&e| !s.graph.edge(e).derived)
        .max_by_key(|&e| relation_id(&s, e))
        .expect("relations");
    assert!(!s.time.edge_visible(newest));
    assert!(shown_edges(&s).iter().all(|&e| e != newest));
    press(&mut s, ".");
    assert_eq!(s.time.cursor, None, "forward to the end: the tail again");
    assert_eq!(shown_edges(&s), full);
}

#[test]
fn jumping_to_a_share_shrinks_the_navigator_and_the_relations() {
    let mut s = at_wget_task();
    let objects = objects_listed(&s);
    let relations = shown_edges(&s).len();
    let selected = s.selected;
    press(&mut s, "@");
    type_text(&mut s, "10%");
    press(&mut s, "Enter");
    let at = s.time.cursor.expect("the cursor is back");
    assert_eq!(at, 52, "10% of 519 events");
    assert!(objects_listed(&s) < objects, "fewer objects exist");
    // Every object listed has a version that exists by then, and every relation shown
    // has a cf:id among the first 52 (the ids of the wget sample are distinct).
    let mut ids: Vec<u64> = s
        .graph
        .edge_ids()
        .filter(|&e| !s.graph.edge(e).derived)
        .map(|e| relation_id(&s, e))
        .collect();
    ids.sort_unstable();
    let limit = ids[at - 1];
    // The relations pane lists exactly the selection's relations among those events.
    let n = s.selected.expect("a selection");
    let mut expected: Vec<EdgeId> = [petgraph::Direction::Incoming, petgraph::Direction::Outgoing]
        .into_iter()
        .flat_map(|d| s.graph.edges_of(n, d).collect::<Vec<_>>())
        .map(|(e, _)| e)
        .filter(|&e| !s.graph.edge(e).derived && relation_id(&s, e) <= limit)
        .collect();
    expected.sort();
    let mut shown: Vec<EdgeId> = shown_edges(&s)
        .into_iter()
        .filter(|&e| !s.graph.edge(e).derived)
        .collect();
    shown.sort();
    assert!(!shown.is_empty());
    assert_eq!(shown, expected);
    // The selection is the object's newest version that exists by then.
    let versions = s.graph.versions(n);
    let newer = &versions[versions.iter().position(|&v| v == n).expect("a version") + 1..];
    assert!(newer.iter().all(|&v| !s.time.node_visible(v)));
    // Back to the end: everything again.
    press(&mut s, "e");
    assert_eq!(s.time.cursor, None);
    assert_eq!(objects_listed(&s), objects);
    assert_eq!(s.selected, selected);
    assert_eq!(shown_edges(&s).len(), relations);
}

#[test]
fn at_the_start_only_untouched_vertices_exist() {
    let mut s = loaded_state(&[sample(V050)]);
    press(&mut s, "@");
    type_text(&mut s, "0");
    press(&mut s, "Enter");
    assert_eq!(s.time.cursor, Some(0));
    for t in &s.catalog {
        for &o in &t.objects {
            let versions = &s.graph.object(o).versions;
            assert!(
                versions.iter().any(|&v| s
                    .graph
                    .edges_of(v, petgraph::Direction::Incoming)
                    .count()
                    + s.graph.edges_of(v, petgraph::Direction::Outgoing).count()
                    == 0),
                "{} is listed before any event",
                s.graph.object_label(o)
            );
        }
    }
    // A bad jump says why and leaves the cursor.
    press(&mut s, "@");
    type_text(&mut s, "soon");
    press(&mut s, "Enter");
    assert_eq!(s.time.cursor, Some(0));
    assert!(s.message.as_deref().unwrap_or("").contains("cannot jump"));
}

#[test]
fn playing_advances_on_ticks_at_the_chosen_speed_and_pauses() {
    let mut s = loaded_state(&[sample(V050)]);
    press(&mut s, "P");
    assert!(s.time.playing);
    assert_eq!(
        s.time.cursor,
        Some(0),
        "playing from the end replays from the start"
    );
    // 10 events/s on quarter-second ticks: 10 events in 4 ticks.
    for _ in 0..4 {
        s.update(Msg::Tick);
    }
    assert_eq!(s.time.cursor, Some(10));
    press(&mut s, "+");
    s.update(Msg::Tick);
    assert_eq!(s.time.cursor, Some(35), "100 events/s: 25 a tick");
    press(&mut s, "P");
    s.update(Msg::Tick);
    assert_eq!(s.time.cursor, Some(35), "paused");
    // At 1000 events/s playback runs to the end and stops there.
    press(&mut s, "+");
    press(&mut s, "P");
    for _ in 0..3 {
        s.update(Msg::Tick);
    }
    assert_eq!(s.time.cursor, None);
    assert!(!s.time.playing);
}

#[test]
fn lineage_on_screen_is_walked_again_as_of_the_cursor() {
    let mut s = loaded_state(&[sample(V050)]);
    press(&mut s, "/");
    type_text(&mut s, "/etc/resolv.conf");
    press(&mut s, "Enter");
    press(&mut s, "f");
    let full = s
        .lineage
        .as_ref()
        .and_then(|l| l.result.clone())
        .expect("walked");
    let walked = |s: &AppState| {
        s.lineage
            .as_ref()
            .and_then(|l| l.result.clone())
            .expect("walked")
    };
    // resolv.conf is first read late in the trace: at 10% it does not exist yet.
    press(&mut s, "@");
    type_text(&mut s, "10%");
    press(&mut s, "Enter");
    assert!(walked(&s).nodes.is_empty());
    assert!(
        s.message
            .as_deref()
            .unwrap_or("")
            .contains("does not exist yet")
    );
    press(&mut s, "@");
    type_text(&mut s, "80%");
    press(&mut s, "Enter");
    let half = walked(&s);
    assert!(!half.nodes.is_empty() && half.nodes.len() < full.nodes.len());
    let at = s.time.cursor.expect("back");
    for e in &half.edges {
        assert!(s.time.timeline.edge_visible(*e, at));
    }
}

/// A live session fed the wget sample in two halves.
fn live_state() -> (AppState, provscope::graph::batch::RecordBatch) {
    use provscope::capture::camflow::{ReaderOptions, read_trace};
    let mut all = provscope::graph::batch::RecordBatch::default();
    let file = std::fs::File::open(sample(V050)).expect("sample");
    read_trace(
        std::io::BufReader::new(file),
        &ReaderOptions::default(),
        &mut all,
    )
    .expect("reads");
    let mut s = AppState::new(
        "live".into(),
        provscope::app::keymap::Keymap::default_keymap(),
    );
    s.live = Some(provscope::app::live::LiveView::new());
    s.load = provscope::app::state::LoadStatus::Done;
    let mut first = provscope::graph::batch::RecordBatch::default();
    let half = all.len() / 2;
    first.records.extend(all.records.drain(..half));
    feed(&mut s, first);
    (s, all)
}

fn feed(s: &mut AppState, batch: provscope::graph::batch::RecordBatch) {
    s.update(Msg::Feed(
        provscope::capture::transport::feed::FeedEvent::Batch {
            batch,
            report: Box::default(),
        },
    ));
    // A second of ticks: ingest, then the once-a-second refresh.
    for _ in 0..4 {
        s.update(Msg::Tick);
    }
}

#[test]
fn live_the_end_follows_new_events_and_a_cursor_moved_back_stays_put() {
    let (mut s, rest) = live_state();
    // Nobody used the time yet: the timeline waits (taking events in costs the whole
    // order), and the first time key brings it up to date.
    assert!(s.time.behind && s.time.cursor.is_none());
    // Back three events; remember the last one shown.
    for _ in 0..3 {
        press(&mut s, ",");
    }
    let first_len = s.time.len();
    assert!(first_len > 0 && !s.time.behind);
    let at = s.time.cursor.expect("back");
    let last = s.time.timeline.event(at - 1).expect("an event");
    let objects = objects_listed(&s);
    feed(&mut s, rest);
    assert!(
        s.time.len() > first_len,
        "the timeline took the new events in"
    );
    let now = s.time.cursor.expect("still back");
    assert_eq!(
        s.time.timeline.event(now - 1),
        Some(last),
        "on the same event"
    );
    // What shows is what happened up to that event: the stream's later relations stay
    // hidden, its out-of-order older ones (by cf:id) appear.
    let limit = relation_id(&s, last);
    let visible: Vec<EdgeId> = s
        .graph
        .edge_ids()
        .filter(|&e| !s.graph.edge(e).derived && s.time.edge_visible(e))
        .collect();
    assert_eq!(visible.len(), now);
    assert!(visible.iter().all(|&e| relation_id(&s, e) <= limit));
    let older = s
        .graph
        .edge_ids()
        .filter(|&e| !s.graph.edge(e).derived && relation_id(&s, e) <= limit)
        .count();
    assert_eq!(older, now);
    // At the end it follows.
    press(&mut s, "e");
    assert_eq!(s.time.position(), s.time.len());
    assert_eq!(s.time.len(), 519);
    assert!(objects_listed(&s) > objects);
    // Objects that arrived while the cursor was back are all listed at the end.
    assert_eq!(s.catalog, s.graph.catalog());
}

fn path_rows_nodes(s: &AppState) -> Vec<NodeId> {
    let v = s.path.as_ref().expect("a path screen");
    v.rows
        .iter()
        .filter_map(|r| match r {
            PathRow::Node { node, .. } => Some(*node),
            PathRow::Header { .. } => None,
        })
        .collect()
}

#[test]
fn a_path_from_the_marked_secret_to_its_copy_and_no_flow_back() {
    let mut s = loaded_state(&[demo_trace()]);
    press(&mut s, "/");
    type_text(&mut s, "/etc/shadow");
    press(&mut s, "Enter");
    let shadow = s.selected.expect("selected");
    assert_eq!(s.graph.node_kind(shadow), "file");
    press(&mut s, "m");
    assert_eq!(s.path_mark, Some(shadow));
    press(&mut s, "M");
    type_text(&mut s, "path:/tmp/.cache-x/s.bak");
    press(&mut s, "Enter");
    assert_eq!(s.screen, Screen::Path);
    let v = s.path.as_ref().expect("a path screen");
    let paths = v.paths().to_vec();
    assert!(!paths.is_empty(), "the secret flows to its copy");
    // Each path runs in flow order from a version of /etc/shadow to the copy, each step
    // starting where the last ended.
    for p in &paths {
        let (start, _) = s.graph.endpoints(p[0]);
        assert_eq!(s.graph.node(start).object, s.graph.node(shadow).object);
        for w in p.windows(2) {
            assert_eq!(s.graph.endpoints(w[0]).1, s.graph.endpoints(w[1]).0);
        }
        let (_, end) = s.graph.endpoints(p[p.len() - 1]);
        assert!(s.graph.node_label(end).contains("s.bak"));
    }
    let nodes = path_rows_nodes(&s);
    assert!(
        nodes
            .iter()
            .any(|&n| s.graph.node_label(n).starts_with("cp "))
    );
    // Enter on a row focuses it; Backspace returns to the main screen.
    press(&mut s, "j");
    press(&mut s, "Enter");
    assert_eq!(s.screen, Screen::Main);
    assert_eq!(s.selected, Some(nodes[0]));

    // The other way round: nothing flows from the copy to /etc/shadow.
    press(&mut s, "/");
    type_text(&mut s, "/tmp/.cache-x/s.bak");
    press(&mut s, "Enter");
    press(&mut s, "m");
    press(&mut s, "M");
    type_text(&mut s, "path:/etc/shadow");
    press(&mut s, "Enter");
    let v = s.path.as_ref().expect("a path screen");
    assert_eq!(v.result, Some(Ok(Vec::new())), "no flow");
    press(&mut s, "Backspace");
    assert_eq!(s.screen, Screen::Main);
}

#[test]
fn a_path_to_the_selection_and_to_a_selector_that_names_nothing() {
    let mut s = loaded_state(&[sample(V050)]);
    press(&mut s, "M");
    assert!(s.message.as_deref().unwrap_or("").contains("mark"));
    press(&mut s, "/");
    type_text(&mut s, "/etc/resolv.conf");
    press(&mut s, "Enter");
    press(&mut s, "m");
    press(&mut s, "/");
    type_text(&mut s, "pid:3666");
    press(&mut s, "Enter");
    let task = s.selected.expect("the task");
    press(&mut s, "M");
    press(&mut s, "Enter");
    let paths = s.path.as_ref().expect("path").paths().to_vec();
    assert!(!paths.is_empty(), "wget read resolv.conf");
    let (_, end) = s.graph.endpoints(*paths[0].last().expect("a step"));
    assert_eq!(s.graph.node(end).object, s.graph.node(task).object);
    press(&mut s, "Esc");
    press(&mut s, "M");
    type_text(&mut s, "path:/nowhere");
    press(&mut s, "Enter");
    let v = s.path.as_ref().expect("path");
    assert!(matches!(&v.result, Some(Err(why)) if why.contains("names nothing")));
}
