//! Counts over the graph for `provscope stats` and the stats view: elements the trace
//! defines, by type, dangling edges and derived agents. Derived elements are kept out of
//! the trace counts so that the numbers describe the input.

use crate::graph::census::Census;
use crate::graph::intern::Sym;
use crate::graph::store::{Origin, ProvGraph};
use crate::graph::timeline::AsOf;
use std::collections::BTreeMap;

/// Counts of what a trace holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GraphCounts {
    /// Distinct vertices the trace defines.
    pub nodes: u64,
    /// Distinct relations in the trace.
    pub edges: u64,
    /// Defined vertices by CamFlow type name.
    pub node_types: BTreeMap<String, u64>,
    /// Relations by CamFlow type name.
    pub edge_types: BTreeMap<String, u64>,
    /// Relations with at least one end the trace never defines.
    pub dangling_edges: u64,
    /// Ends that are named by relations but never defined.
    pub dangling_ends: u64,
    /// User and group agents derived from uid/gid.
    pub derived_agents: u64,
}

impl ProvGraph {
    /// Counts the trace's elements (kept as the graph grows: costs the number of types).
    pub fn counts(&self) -> GraphCounts {
        self.counts_of(&self.census)
    }

    /// The counts a census holds, with type names.
    pub fn counts_of(&self, c: &Census) -> GraphCounts {
        let by_name = |counts: &[u64]| -> BTreeMap<String, u64> {
            counts
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(sym, n)| (self.kinds.get(Sym(sym as u32)).to_string(), *n))
                .collect()
        };
        GraphCounts {
            nodes: c.nodes,
            edges: c.edges,
            node_types: by_name(&c.node_kinds),
            edge_types: by_name(&c.edge_kinds),
            dangling_edges: c.dangling_edges,
            dangling_ends: c.dangling_ends,
            derived_agents: c.derived_agents,
        }
    }

    /// The running counts.
    pub fn census(&self) -> &Census {
        &self.census
    }

    /// The counts of the graph as it was at a point of its timeline: the vertices shown
    /// by then and the relations that had happened. Costs one pass over the vertices and
    /// the shown events, so a caller with a large graph runs it off the UI thread; `stop`
    /// is checked as it goes, and None means it was stopped. Dangling ends and edges are
    /// the trace's (a placeholder that the trace defines later is not dangling then).
    pub fn census_as_of(&self, as_of: AsOf<'_>, stop: &dyn Fn() -> bool) -> Option<Census> {
        const CHECK_EVERY: usize = 1 << 16;
        let mut c = Census::default();
        for (i, n) in self.node_ids().enumerate() {
            if i % CHECK_EVERY == 0 && stop() {
                return None;
            }
            if !as_of.node_visible(n) {
                continue;
            }
            let node = self.node(n);
            match node.origin {
                Origin::Defined => c.on_defined(node.kind),
                Origin::Referenced => c.dangling_ends += 1,
                Origin::Derived => c.derived_agents += 1,
            }
        }
        let shown = as_of.cursor.min(as_of.timeline.len());
        for (i, &e) in as_of.timeline.order()[..shown].iter().enumerate() {
            if i % CHECK_EVERY == 0 && stop() {
                return None;
            }
            let edge = self.edge(e);
            if edge.derived {
                continue;
            }
            let (a, b) = self.endpoints(e);
            let dangling = self.node(a).origin == Origin::Referenced
                || self.node(b).origin == Origin::Referenced;
            c.on_edge(edge.kind, edge.family, dangling);
            c.on_degree(self.node(a).object, 1);
            c.on_degree(self.node(b).object, 1);
        }
        Some(c)
    }

    /// The same counts as [`ProvGraph::counts`], by a walk over every element: what the
    /// running counts are checked against.
    pub fn recount(&self) -> GraphCounts {
        let mut c = GraphCounts::default();
        for n in self.node_ids() {
            match self.node(n).origin {
                Origin::Defined => {
                    c.nodes += 1;
                    *c.node_types
                        .entry(self.node_kind(n).to_string())
                        .or_default() += 1;
                }
                Origin::Referenced => c.dangling_ends += 1,
                Origin::Derived => c.derived_agents += 1,
            }
        }
        for e in self.edge_ids() {
            if self.edge(e).derived {
                continue;
            }
            c.edges += 1;
            *c.edge_types
                .entry(self.edge_kind(e).to_string())
                .or_default() += 1;
            let (a, b) = self.endpoints(e);
            if self.node(a).origin == Origin::Referenced
                || self.node(b).origin == Origin::Referenced
            {
                c.dangling_edges += 1;
            }
        }
        c
    }
}
