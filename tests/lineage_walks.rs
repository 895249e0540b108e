//! Lineage walks on the real CamFlow samples, checked against an independent walk
//! (tools/oracle/lineage.py, standard-library Python reading the trace itself): the same
//! vertices at the same depths, budgets and truncation markers included.

mod common;

use common::*;
use provscope::capture::camflow::load::load_traces;
use provscope::capture::camflow::reader::ReaderOptions;
use provscope::graph::lineage::{Budget, Cut, Way, flow_paths, lineage};
use provscope::graph::{ElementKey, ProvGraph};
use std::collections::BTreeMap;
use std::process::Command;

/// The file wget wrote (version 1), and the first version of wget's task.
const DOWNLOAD: &str = "cf:AAIAAAAAACBCHgIAAAAAAAEAAABTTLt0AQAAAAAAAAA=";
const WGET_TASK: &str = "cf:AQAAAAAAAEDDHQIAAAAAAAEAAABTTLt0AAAAAAAAAAA=";

fn load(name: &str) -> ProvGraph {
    let mut g = ProvGraph::new();
    load_traces(&[sample(name)], &ReaderOptions::default(), &mut g).expect("sample loads");
    g
}

fn oracle(name: &str, root: &str, way: &str, depth: Option<usize>) -> BTreeMap<String, usize> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tools/oracle/lineage.py");
    let mut cmd = Command::new("python3");
    cmd.arg(script).arg(sample(name)).arg(root).arg(way);
    if let Some(d) = depth {
        cmd.arg(d.to_string());
    }
    let out = cmd.output().expect("python3 runs the oracle");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("oracle prints JSON")
}

fn walk(g: &ProvGraph, root: &str, way: Way, budget: Budget) -> provscope::graph::lineage::Lineage {
    let n = g
        .find_node(&ElementKey::parse(root))
        .expect("root in the trace");
    lineage(g, &[n], way, budget, &|| false)
}

fn as_map(g: &ProvGraph, l: &provscope::graph::lineage::Lineage) -> BTreeMap<String, usize> {
    l.nodes
        .iter()
        .map(|&(n, d)| (g.node(n).key.to_text(), d))
        .collect()
}

#[test]
fn backward_and_forward_match_an_independent_walk() {
    let g = load(V050);
    for (root, way, name) in [
        (DOWNLOAD, Way::Backward, "backward"),
        (WGET_TASK, Way::Forward, "forward"),
        (WGET_TASK, Way::Backward, "backward"),
    ] {
        for depth in [None, Some(1), Some(2), Some(5)] {
            let budget = Budget {
                max_depth: depth,
                max_nodes: None,
            };
            let got = as_map(&g, &walk(&g, root, way, budget));
            let want = oracle(V050, root, name, depth);
            assert_eq!(got, want, "{root} {name} depth {depth:?}");
        }
    }
}

#[test]
fn the_download_comes_from_the_network_through_wget() {
    let g = load(V050);
    let l = walk(&g, DOWNLOAD, Way::Backward, Budget::default());
    let kinds: Vec<&str> = l.nodes.iter().map(|&(n, _)| g.node_kind(n)).collect();
    for k in ["task", "process_memory", "socket", "packet"] {
        assert!(kinds.contains(&k), "{k} in the download's past: {kinds:?}");
    }
    assert!(!l.truncated());
}

#[test]
fn budgets_cut_the_walk_and_say_where() {
    let g = load(V050);
    let full = walk(&g, DOWNLOAD, Way::Backward, Budget::default());
    let shallow = walk(
        &g,
        DOWNLOAD,
        Way::Backward,
        Budget {
            max_depth: Some(2),
            max_nodes: None,
        },
    );
    assert_eq!(shallow.cut, Some(Cut::Depth));
    assert!(!shallow.truncated_at.is_empty());
    // Every truncation point is at the depth limit and has unwalked relations.
    for n in &shallow.truncated_at {
        let d = shallow.nodes.iter().find(|(m, _)| m == n).map(|&(_, d)| d);
        assert_eq!(d, Some(2));
    }
    let small = walk(
        &g,
        DOWNLOAD,
        Way::Backward,
        Budget {
            max_depth: None,
            max_nodes: Some(10),
        },
    );
    assert_eq!(small.cut, Some(Cut::Nodes));
    assert_eq!(small.nodes.len(), 10);
    assert!(full.nodes.len() > 10 && full.cut.is_none());
    // Edges only join vertices of the result.
    for l in [&shallow, &small] {
        let set: std::collections::HashSet<_> = l.nodes.iter().map(|&(n, _)| n).collect();
        for &e in &l.edges {
            let (a, b) = g.endpoints(e);
            assert!(set.contains(&a) && set.contains(&b));
        }
    }
    // An interruption stops at once and says so.
    let stopped = lineage(
        &g,
        &[g.find_node(&ElementKey::parse(DOWNLOAD)).unwrap()],
        Way::Backward,
        Budget::default(),
        &|| true,
    );
    assert_eq!(stopped.cut, Some(Cut::Interrupted));
    assert_eq!(stopped.nodes.len(), 1, "only the root");
}

#[test]
fn flow_paths_are_shortest_and_absent_when_nothing_flows() {
    let g = load(V050);
    let task = g.find_node(&ElementKey::parse(WGET_TASK)).unwrap();
    let download = g.find_node(&ElementKey::parse(DOWNLOAD)).unwrap();
    let depth = oracle(V050, WGET_TASK, "forward", None)[&g.node(download).key.to_text()];
    let paths = flow_paths(&g, &[task], &[download], 5, Budget::default(), &|| false);
    assert!(!paths.is_empty());
    for p in &paths {
        assert_eq!(p.len(), depth, "shortest = the oracle's forward depth");
        assert_eq!(g.endpoints(p[0]).0, task);
        assert_eq!(g.endpoints(*p.last().unwrap()).1, download);
        for w in p.windows(2) {
            assert_eq!(g.endpoints(w[0]).1, g.endpoints(w[1]).0, "a connected path");
        }
    }
    // Nothing flows from the download back to the task.
    let none = flow_paths(&g, &[download], &[task], 5, Budget::default(), &|| false);
    assert!(none.is_empty());
}
