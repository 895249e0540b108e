//! Counts kept up to date while the graph grows, so that a live view can show them every
//! second without walking millions of elements: vertices and relations by type and
//! family, dangling ends and edges (which change when a placeholder is defined), derived
//! agents, and each object's number of relations (for top talkers). Ingest calls the
//! `on_*` hooks; [`ProvGraph::recount`](crate::graph::ProvGraph::recount) is the same
//! numbers by a full scan, which the tests compare them with.

use crate::graph::family::Family;
use crate::graph::intern::Sym;
use crate::graph::store::ObjectId;

/// The running counts.
#[derive(Clone, Debug, Default)]
pub struct Census {
    /// Defined vertices by type symbol.
    pub(crate) node_kinds: Vec<u64>,
    /// Relations by type symbol.
    pub(crate) edge_kinds: Vec<u64>,
    /// Relations by family, in [`Family::ALL`] order.
    pub(crate) families: Vec<u64>,
    /// Relations touching each object (both ends count; a loop counts twice).
    pub(crate) object_degree: Vec<u64>,
    pub(crate) nodes: u64,
    pub(crate) edges: u64,
    pub(crate) dangling_ends: u64,
    pub(crate) dangling_edges: u64,
    pub(crate) derived_agents: u64,
    /// Objects that lost their last vertex (a placeholder's, when it was defined under
    /// its real object), in order: a catalog kept incrementally drops them.
    pub(crate) emptied: Vec<ObjectId>,
}

fn bump(v: &mut Vec<u64>, i: usize, by: i64) {
    if v.len() <= i {
        v.resize(i + 1, 0);
    }
    v[i] = v[i].saturating_add_signed(by);
}

impl Census {
    /// A vertex was defined.
    pub(crate) fn on_defined(&mut self, kind: Sym) {
        self.nodes += 1;
        bump(&mut self.node_kinds, kind.0 as usize, 1);
    }

    /// A relation was added; `dangling` when one of its ends is a placeholder.
    pub(crate) fn on_edge(&mut self, kind: Sym, family: Family, dangling: bool) {
        self.edges += 1;
        bump(&mut self.edge_kinds, kind.0 as usize, 1);
        let f = Family::ALL.iter().position(|&x| x == family).unwrap_or(0);
        bump(&mut self.families, f, 1);
        if dangling {
            self.dangling_edges += 1;
        }
    }

    /// `by` relations more (or fewer) touch `object`.
    pub(crate) fn on_degree(&mut self, object: ObjectId, by: i64) {
        if object.0 != u32::MAX {
            bump(&mut self.object_degree, object.0 as usize, by);
        }
    }

    /// Relations touching `object` so far.
    pub fn degree(&self, object: ObjectId) -> u64 {
        self.object_degree
            .get(object.0 as usize)
            .copied()
            .unwrap_or(0)
    }

    /// Relations by family, in [`Family::ALL`] order.
    pub fn families(&self) -> Vec<u64> {
        let mut out = self.families.clone();
        out.resize(Family::ALL.len(), 0);
        out
    }

    /// The `n` objects most relations touch, most first (ties: earlier object first).
    pub fn top_objects(&self, n: usize) -> Vec<(ObjectId, u64)> {
        let mut top: Vec<(ObjectId, u64)> = Vec::with_capacity(n + 1);
        for (i, &d) in self.object_degree.iter().enumerate() {
            if d == 0 || (top.len() == n && top.last().is_some_and(|&(_, m)| m >= d)) {
                continue;
            }
            let at = top.partition_point(|&(_, m)| m >= d);
            top.insert(at, (ObjectId(i as u32), d));
            top.truncate(n);
        }
        top
    }

    /// The objects that lost their last vertex so far, in order.
    pub fn emptied_objects(&self) -> &[ObjectId] {
        &self.emptied
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_objects_keep_the_biggest_and_the_earliest_of_equals() {
        let mut c = Census::default();
        for (o, d) in [(0, 5), (1, 9), (2, 5), (3, 1), (4, 9), (5, 0)] {
            c.on_degree(ObjectId(o), d);
        }
        let top: Vec<(u32, u64)> = c.top_objects(3).iter().map(|(o, d)| (o.0, *d)).collect();
        assert_eq!(top, vec![(1, 9), (4, 9), (0, 5)]);
        c.on_degree(ObjectId(1), -9);
        assert_eq!(c.degree(ObjectId(1)), 0);
        assert_eq!(c.top_objects(10).len(), 4);
    }
}
