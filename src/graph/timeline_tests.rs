//! Unit tests of the timeline: the order of events, visibility at a cursor, growth, and
//! walks as of a point in time, on small hand-built graphs whose answers are read off
//! the construction.

use super::*;
use crate::graph::identifier::ElementKey;
use crate::graph::lineage::{Budget, Way, flow_paths_as_of, lineage_as_of};
use crate::graph::model::{Category, EdgeRecord, NodeRecord, ProvClass};
use std::borrow::Cow;

fn attrs(list: &[(&'static str, String)]) -> Vec<(Cow<'static, str>, Cow<'static, str>)> {
    list.iter()
        .map(|(k, v)| (Cow::Borrowed(*k), Cow::Owned(v.clone())))
        .collect()
}

fn node(g: &mut ProvGraph, key: &str, kind: &str) {
    let class = if kind == "task" {
        ProvClass::Activity
    } else {
        ProvClass::Entity
    };
    g.add_node(&NodeRecord {
        key: Cow::Owned(key.to_string()),
        class,
        kind: Cow::Owned(kind.to_string()),
        // Distinct ids: each vertex its own object.
        attrs: attrs(&[(
            "cf:id",
            format!(
                "\"{}\"",
                key.bytes().fold(0u64, |a, b| a * 31 + u64::from(b))
            ),
        )]),
    });
}

/// A `read` from `from` to `to` with the given id, jiffies and date (None: absent).
fn rel(
    g: &mut ProvGraph,
    key: &str,
    from: &str,
    to: &str,
    id: Option<u64>,
    jiffies: Option<u64>,
    date: Option<&str>,
) -> EdgeId {
    let mut list = Vec::new();
    if let Some(id) = id {
        list.push(("cf:id", format!("\"{id}\"")));
    }
    if let Some(j) = jiffies {
        list.push(("cf:jiffies", format!("\"{j}\"")));
    }
    if let Some(d) = date {
        list.push(("cf:date", format!("\"{d}\"")));
    }
    g.add_edge(&EdgeRecord {
        key: Cow::Owned(key.to_string()),
        category: Category::Used,
        kind: Cow::Borrowed("read"),
        sender: Cow::Owned(from.to_string()),
        receiver: Cow::Owned(to.to_string()),
        sender_kind: None,
        receiver_kind: None,
        attrs: attrs(&list),
    })
}

fn n(g: &ProvGraph, key: &str) -> NodeId {
    g.find_node(&ElementKey::parse(key)).expect("vertex")
}

fn e(g: &ProvGraph, key: &str) -> EdgeId {
    g.find_edge(&ElementKey::parse(key)).expect("edge")
}

fn keys_in_order(g: &ProvGraph, t: &Timeline) -> Vec<String> {
    t.order().iter().map(|&x| g.edge(x).key.to_text()).collect()
}

#[test]
fn cf_id_orders_first_then_jiffies_then_date_then_arrival() {
    let mut g = ProvGraph::new();
    // Arrival order is the reverse of the id order.
    rel(&mut g, "id30", "a", "b", Some(30), Some(1), None);
    rel(&mut g, "id20", "a", "b", Some(20), Some(9), None);
    rel(&mut g, "id10", "a", "b", Some(10), Some(5), None);
    // No cf:id: after every relation with one, ordered by jiffies.
    rel(&mut g, "j7", "a", "b", None, Some(7), None);
    rel(&mut g, "j3", "a", "b", None, Some(3), None);
    // Neither id nor jiffies: by date, then undated by arrival.
    rel(
        &mut g,
        "late",
        "a",
        "b",
        None,
        None,
        Some("2019:01:24T08:00:26"),
    );
    rel(
        &mut g,
        "early",
        "a",
        "b",
        None,
        None,
        Some("2019:01:24T08:00:25.500"),
    );
    rel(&mut g, "bare1", "a", "b", None, None, None);
    rel(&mut g, "bare2", "a", "b", None, None, None);
    let t = Timeline::build(&g);
    assert_eq!(
        keys_in_order(&g, &t),
        [
            "id10", "id20", "id30", "j3", "j7", "early", "late", "bare1", "bare2"
        ]
    );
    assert_eq!(t.rank_of(e(&g, "id10")), Some(0));
    assert_eq!(t.rank_of(e(&g, "bare2")), Some(8));
}

#[test]
fn equal_ids_fall_back_to_jiffies_then_arrival() {
    let mut g = ProvGraph::new();
    // Two boots both counting from 5: jiffies decide; equal jiffies keep arrival order.
    rel(&mut g, "second_boot", "a", "b", Some(5), Some(200), None);
    rel(&mut g, "first_boot", "a", "b", Some(5), Some(100), None);
    rel(&mut g, "tie_a", "a", "b", Some(6), Some(50), None);
    rel(&mut g, "tie_b", "a", "b", Some(6), Some(50), None);
    let t = Timeline::build(&g);
    assert_eq!(
        keys_in_order(&g, &t),
        ["first_boot", "second_boot", "tie_a", "tie_b"]
    );
}

/// f0 --r1--> t --r2--> f1 ; lone never touched; the ids give the order r2 < r1 < r3.
fn small() -> ProvGraph {
    let mut g = ProvGraph::new();
    node(&mut g, "f0", "file");
    node(&mut g, "t", "task");
    node(&mut g, "f1", "file");
    node(&mut g, "lone", "file");
    rel(&mut g, "r1", "f0", "t", Some(2), None, None);
    rel(&mut g, "r2", "t", "f1", Some(1), None, None);
    rel(&mut g, "r3", "f0", "f1", Some(3), None, None);
    g
}

#[test]
fn vertices_appear_with_their_first_event_and_untouched_ones_always() {
    let g = small();
    let t = Timeline::build(&g);
    let visible = |cursor| -> Vec<&str> {
        ["f0", "t", "f1", "lone"]
            .into_iter()
            .filter(|k| t.node_visible(n(&g, k), cursor))
            .collect()
    };
    assert_eq!(visible(0), ["lone"]);
    // r2 (id 1) is first: t and f1.
    assert_eq!(visible(1), ["t", "f1", "lone"]);
    assert_eq!(visible(2), ["f0", "t", "f1", "lone"]);
    let edges = |cursor| -> Vec<&str> {
        ["r1", "r2", "r3"]
            .into_iter()
            .filter(|k| t.edge_visible(e(&g, k), cursor))
            .collect()
    };
    assert_eq!(edges(0), Vec::<&str>::new());
    assert_eq!(edges(1), ["r2"]);
    assert_eq!(edges(2), ["r1", "r2"]);
    assert_eq!(edges(3), ["r1", "r2", "r3"]);
    let f0 = g.node(n(&g, "f0")).object;
    assert!(!t.object_visible(f0, 1) && t.object_visible(f0, 2));
}

#[test]
fn a_growing_graph_extends_to_the_same_timeline_as_a_fresh_build() {
    let mut g = small();
    let mut t = Timeline::build(&g);
    // In order: appended, nothing earlier moves.
    rel(&mut g, "r4", "f1", "t", Some(4), None, None);
    assert!(!t.extend(&g));
    assert_eq!(t.rank_of(e(&g, "r4")), Some(3));
    // Out of order (another CPU's older record): merged, later ranks move.
    rel(&mut g, "r0", "lone", "t", Some(0), None, None);
    assert!(t.extend(&g));
    let fresh = Timeline::build(&g);
    assert_eq!(t.order(), fresh.order());
    assert_eq!(keys_in_order(&g, &t), ["r0", "r2", "r1", "r3", "r4"]);
    // The lone file is now placed by its event.
    assert!(!t.node_visible(n(&g, "lone"), 0));
    assert!(t.node_visible(n(&g, "lone"), 1));
    // A vertex arriving alone in a live stream is shown from where the stream was.
    node(&mut g, "later", "file");
    t.extend(&g);
    let later = n(&g, "later");
    assert!(!t.node_visible(later, 4) && t.node_visible(later, 5));
    // A relation the timeline has not taken in yet is not visible before the end.
    rel(&mut g, "r5", "f0", "t", Some(5), None, None);
    assert!(!t.edge_visible(e(&g, "r5"), t.len()));
}

#[test]
fn derived_agents_show_with_the_task_they_act_for() {
    let mut g = ProvGraph::new();
    node(&mut g, "f0", "file");
    g.add_node(&NodeRecord {
        key: Cow::Borrowed("t"),
        class: ProvClass::Activity,
        kind: Cow::Borrowed("task"),
        attrs: attrs(&[("cf:uid", "1000".into()), ("cf:gid", "1000".into())]),
    });
    node(&mut g, "f1", "file");
    rel(&mut g, "r1", "f0", "f1", Some(1), None, None);
    rel(&mut g, "r2", "f0", "t", Some(2), None, None);
    let t = Timeline::build(&g);
    let agents: Vec<NodeId> = g
        .node_ids()
        .filter(|&x| g.node(x).origin == Origin::Derived)
        .collect();
    assert_eq!(agents.len(), 2, "a user and a group agent");
    for a in agents {
        assert!(!t.node_visible(a, 1), "not before the task's first event");
        assert!(t.node_visible(a, 2));
    }
    assert_eq!(t.len(), 2, "derived links are not events");
}

#[test]
fn walks_as_of_a_cursor_ignore_later_relations() {
    let g = small();
    let t = Timeline::build(&g);
    let f1 = n(&g, "f1");
    let back = |cursor| -> Vec<String> {
        let as_of = Some(AsOf {
            timeline: &t,
            cursor,
        });
        let l = lineage_as_of(&g, &[f1], Way::Backward, Budget::default(), as_of, &|| {
            false
        });
        let mut keys: Vec<String> = l
            .nodes
            .iter()
            .map(|&(x, _)| g.node(x).key.to_text())
            .collect();
        keys.sort();
        keys
    };
    // Only r2 (t -> f1) has happened: f1 came from t alone.
    assert_eq!(back(1), ["f1", "t"]);
    // r1 (f0 -> t) too: through t to f0.
    assert_eq!(back(2), ["f0", "f1", "t"]);
    let unlimited = lineage_as_of(&g, &[f1], Way::Backward, Budget::default(), None, &|| false);
    assert_eq!(unlimited.nodes.len(), 3);

    // Paths: f0 to f1 is two steps through t, or one step once r3 happened.
    let f0 = n(&g, "f0");
    let path = |cursor| {
        let as_of = Some(AsOf {
            timeline: &t,
            cursor,
        });
        flow_paths_as_of(&g, &[f0], &[f1], 5, Budget::default(), as_of, &|| false)
    };
    assert!(path(1).is_empty(), "f0 has not flowed anywhere yet");
    assert_eq!(path(2), [vec![e(&g, "r1"), e(&g, "r2")]]);
    assert_eq!(path(3), [vec![e(&g, "r3")]]);
}

#[test]
fn camflow_dates_parse_to_milliseconds() {
    assert_eq!(parse_date("1970:01:01T00:00:00"), Some(0));
    assert_eq!(parse_date("1970-01-02T00:00:01.5"), Some(86_401_500));
    // 2019-01-24 is day 17920 since 1970.
    assert_eq!(
        parse_date("2019:01:24T08:00:25.747"),
        Some(17_920 * 86_400_000 + ((8 * 60) * 60 + 25) * 1000 + 747)
    );
    assert_eq!(parse_date("2019:13:24T08:00:25"), None);
    assert_eq!(parse_date("yesterday"), None);
    assert_eq!(time_of_day("08:00"), Some(8 * 3_600_000));
    assert_eq!(time_of_day("25:00:00"), None);
}

#[test]
fn density_counts_events_per_slice_of_jiffies() {
    let mut g = ProvGraph::new();
    // Nine events at jiffy 0, one at jiffy 1000: the first column holds nine.
    for i in 0..9 {
        rel(&mut g, &format!("a{i}"), "x", "y", Some(i), Some(0), None);
    }
    rel(&mut g, "b", "x", "y", Some(9), Some(1000), None);
    let t = Timeline::build(&g);
    let d = t.density();
    assert_eq!(d.axis, Axis::Jiffies);
    assert_eq!(d.range, (0, 1000));
    let cols = d.columns(10);
    assert_eq!(cols.len(), 10);
    assert_eq!(cols[0], 9);
    assert_eq!(cols[9], 1);
    assert_eq!(cols.iter().sum::<u64>(), 10);
    assert_eq!(d.column_of(1000, 10), 9);
    assert_eq!(t.cursor_at_date(0), t.len(), "no dates: the end");
}
