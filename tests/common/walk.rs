//! An independent backward walk over a loaded graph, for tests that check lineage without
//! using the product's own lineage code.

use petgraph::Direction;
use provscope::graph::ProvGraph;
use provscope::graph::selector::Selector;
use provscope::graph::store::NodeId;
use std::collections::{HashSet, VecDeque};

/// Every version of the objects of `kind` a path names.
pub fn by_path(g: &ProvGraph, path: &str, kind: &str) -> Vec<NodeId> {
    let mut out: Vec<NodeId> = g
        .select(&Selector::Path(path.to_string()))
        .into_iter()
        .filter(|&n| g.node_kind(n) == kind)
        .flat_map(|n| g.versions(n).to_vec())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The defined vertices of `kind` whose attribute `name` reads `value` (strings
/// unquoted).
pub fn with_attr(g: &ProvGraph, kind: &str, name: &str, value: &str) -> Vec<NodeId> {
    g.defined_nodes()
        .filter(|&n| g.node_kind(n) == kind)
        .filter(|&n| g.node_attr_text(n, name).as_deref() == Some(value))
        .collect()
}

/// Every vertex information can have come from, walking edges backwards; edges of the
/// `skip` types are not followed.
pub fn backward(g: &ProvGraph, from: &[NodeId], skip: &[&str]) -> HashSet<NodeId> {
    let mut seen: HashSet<NodeId> = from.iter().copied().collect();
    let mut queue: VecDeque<NodeId> = from.iter().copied().collect();
    while let Some(n) = queue.pop_front() {
        for (e, other) in g.edges_of(n, Direction::Incoming) {
            if !skip.contains(&g.edge_kind(e)) && seen.insert(other) {
                queue.push_back(other);
            }
        }
    }
    seen
}

/// Edges that carry metadata or identity rather than data.
pub const NOT_DATA: [&str; 5] = [
    "version_activity",
    "version_entity",
    "open",
    "inode_create",
    "named",
];

/// How a packet's `cf:sender` and `cf:receiver` write an address and port.
pub fn endpoint(host: &str, port: impl std::fmt::Display) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}
