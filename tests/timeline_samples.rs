//! The timeline on real CamFlow samples, checked against an independent reading of the
//! trace (serde_json over the file, not provscope's readers): the order of events,
//! which vertices exist at a cursor, and backward lineage as of a cursor.

mod common;

use common::*;
use provscope::capture::camflow::load::load_traces;
use provscope::capture::camflow::reader::ReaderOptions;
use provscope::graph::lineage::{Budget, Way, lineage_as_of};
use provscope::graph::timeline::{AsOf, Timeline};
use provscope::graph::{ElementKey, Origin, ProvGraph};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

/// The file wget wrote (version 1).
const DOWNLOAD: &str = "AAIAAAAAACBCHgIAAAAAAAEAAABTTLt0AQAAAAAAAAA=";

/// A relation as the trace states it.
#[derive(Clone, Debug)]
struct Rel {
    id: u64,
    jiffies: u64,
    sender: String,
    receiver: String,
}

/// The sample read independently: relations in order of (cf:id, jiffies), and every
/// vertex it defines.
struct Trace {
    rels: Vec<Rel>,
    vertices: BTreeSet<String>,
}

fn bare(id: &str) -> String {
    id.strip_prefix("cf:").unwrap_or(id).to_string()
}

fn num(v: Option<&Value>) -> u64 {
    match v {
        Some(Value::String(s)) => s.parse().unwrap_or(u64::MAX),
        Some(Value::Number(n)) => n.as_u64().unwrap_or(u64::MAX),
        _ => u64::MAX,
    }
}

/// W3C JSON Lines: one document per line, relations keyed by section.
fn read_w3c(path: &str) -> Trace {
    let ends: HashMap<&str, (&str, &str)> = [
        ("used", ("prov:entity", "prov:activity")),
        ("wasGeneratedBy", ("prov:activity", "prov:entity")),
        ("wasInformedBy", ("prov:informant", "prov:informed")),
        (
            "wasDerivedFrom",
            ("prov:usedEntity", "prov:generatedEntity"),
        ),
        ("wasAssociatedWith", ("prov:agent", "prov:activity")),
        ("wasInfluencedBy", ("prov:influencer", "prov:influencee")),
        ("wasAttributedTo", ("prov:agent", "prov:entity")),
    ]
    .into_iter()
    .collect();
    let text = std::fs::read_to_string(path).expect("sample reads");
    let mut by_id: BTreeMap<String, Rel> = BTreeMap::new();
    let mut vertices = BTreeSet::new();
    for line in text.lines().filter(|l| l.starts_with('{')) {
        let doc: Value = serde_json::from_str(line).expect("a JSON document per line");
        for (section, entries) in doc.as_object().expect("an object") {
            let Some(entries) = entries.as_object() else {
                continue;
            };
            if matches!(section.as_str(), "entity" | "activity" | "agent") {
                vertices.extend(entries.keys().map(|k| bare(k)));
            }
            let Some(&(snd, rcv)) = ends.get(section.as_str()) else {
                continue;
            };
            for (key, attrs) in entries {
                // A repeated relation keeps what it said first.
                by_id.entry(bare(key)).or_insert_with(|| Rel {
                    id: num(attrs.get("cf:id")),
                    jiffies: num(attrs.get("cf:jiffies")),
                    sender: bare(attrs[snd].as_str().expect("sender")),
                    receiver: bare(attrs[rcv].as_str().expect("receiver")),
                });
            }
        }
    }
    let mut rels: Vec<Rel> = by_id.into_values().collect();
    rels.sort_by_key(|r| (r.id, r.jiffies));
    Trace { rels, vertices }
}

fn load(name: &str) -> ProvGraph {
    let mut g = ProvGraph::new();
    load_traces(&[sample(name)], &ReaderOptions::default(), &mut g).expect("sample loads");
    g
}

fn edge_numbers(g: &ProvGraph, t: &Timeline) -> Vec<(u64, u64)> {
    let n = |e, name| {
        let v: Option<Value> = g
            .edge_attr(e, name)
            .and_then(|j| serde_json::from_str(j).ok());
        num(v.as_ref())
    };
    t.order()
        .iter()
        .map(|&e| (n(e, "cf:id"), n(e, "cf:jiffies")))
        .collect()
}

/// Cursor positions that do not split a tie of (cf:id, jiffies): what is visible there
/// does not depend on arrival order.
fn clean_cursors(trace: &Trace) -> Vec<usize> {
    let key = |i: usize| (trace.rels[i].id, trace.rels[i].jiffies);
    let n = trace.rels.len();
    [0, 1, n / 10, n / 4, n / 2, 3 * n / 4, n - 1, n]
        .into_iter()
        .map(|mut c| {
            while c > 0 && c < n && key(c - 1) == key(c) {
                c += 1;
            }
            c
        })
        .collect()
}

#[test]
fn events_follow_relation_ids_then_jiffies_on_the_wget_sample() {
    let trace = read_w3c(&sample(V050));
    let g = load(V050);
    let t = Timeline::build(&g);
    let expected: Vec<(u64, u64)> = trace.rels.iter().map(|r| (r.id, r.jiffies)).collect();
    assert_eq!(t.len(), expected.len(), "every relation is one event");
    assert_eq!(edge_numbers(&g, &t), expected);
}

#[test]
fn events_follow_relation_ids_on_the_spade_sample() {
    // SPADE names them relation_id and jiffies, one JSON object per line.
    let text = std::fs::read_to_string(sample(V080)).expect("sample reads");
    let mut expected: Vec<(u64, u64)> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v.get("from").is_some())
        .map(|v| {
            let a = &v["annotations"];
            (num(a.get("relation_id")), num(a.get("jiffies")))
        })
        .collect();
    expected.sort();
    let g = load(V080);
    let t = Timeline::build(&g);
    assert_eq!(edge_numbers(&g, &t), expected);
}

#[test]
fn vertices_exist_from_their_first_relation_on_the_wget_sample() {
    let trace = read_w3c(&sample(V050));
    let g = load(V050);
    let t = Timeline::build(&g);
    for cursor in clean_cursors(&trace) {
        let mut first: HashMap<&str, usize> = HashMap::new();
        for (rank, r) in trace.rels.iter().enumerate() {
            for v in [&r.sender, &r.receiver] {
                first.entry(v.as_str()).or_insert(rank);
            }
        }
        let expected: BTreeSet<String> = trace
            .vertices
            .iter()
            .filter(|v| first.get(v.as_str()).is_none_or(|&r| r < cursor))
            .cloned()
            .collect();
        let shown: BTreeSet<String> = g
            .node_ids()
            .filter(|&n| g.node(n).origin == Origin::Defined && t.node_visible(n, cursor))
            .map(|n| g.node(n).key.to_text())
            .collect();
        assert_eq!(shown, expected, "at cursor {cursor}");
        let edges = g.edge_ids().filter(|&e| t.edge_visible(e, cursor)).count();
        let derived = g.edge_ids().filter(|&e| g.edge(e).derived).count();
        assert!(
            edges >= cursor && edges <= cursor + derived,
            "{edges} relations visible at {cursor}"
        );
    }
}

#[test]
fn backward_lineage_as_of_a_cursor_matches_a_walk_over_earlier_relations() {
    let trace = read_w3c(&sample(V050));
    let g = load(V050);
    let t = Timeline::build(&g);
    let root = g
        .find_node(&ElementKey::parse(DOWNLOAD))
        .expect("the download");
    let mut sizes = Vec::new();
    for cursor in clean_cursors(&trace) {
        // Independent: breadth first against the relations among the first `cursor`.
        let mut seen: BTreeSet<String> = [DOWNLOAD.to_string()].into();
        let mut queue: VecDeque<String> = [DOWNLOAD.to_string()].into();
        while let Some(v) = queue.pop_front() {
            for r in &trace.rels[..cursor] {
                if r.receiver == v && seen.insert(r.sender.clone()) {
                    queue.push_back(r.sender.clone());
                }
            }
        }
        let as_of = Some(AsOf {
            timeline: &t,
            cursor,
        });
        let l = lineage_as_of(
            &g,
            &[root],
            Way::Backward,
            Budget::default(),
            as_of,
            &|| false,
        );
        let walked: BTreeSet<String> = l
            .nodes
            .iter()
            .map(|&(n, _)| g.node(n).key.to_text())
            .collect();
        assert_eq!(walked, seen, "at cursor {cursor}");
        sizes.push(walked.len());
    }
    // The check means something: the lineage grows as the cursor moves on.
    assert_eq!(sizes.first(), Some(&1));
    assert!(sizes.last() > Some(&10), "{sizes:?}");
    assert!(sizes.windows(2).all(|w| w[0] <= w[1]), "{sizes:?}");
}
