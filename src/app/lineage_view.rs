//! The lineage screen's state: a walk requested, running or done, shown as an indented
//! tree (each vertex under the one it was reached from, with the relation type of the
//! step). Version steps are folded: a chain of versions of one object reads as one row
//! ("3 versions") unless unfolded.

use crate::app::list_cursor::ListCursor;
use crate::graph::lineage::{Budget, Lineage, Way};
use crate::graph::store::{EdgeId, NodeId, ObjectId, ProvGraph};
use hashbrown::{HashMap, HashSet};

/// Budget of a walk started from the UI: enough for an investigation, small enough to
/// answer in a frame or two on a million-element trace.
pub const UI_BUDGET: Budget = Budget {
    max_depth: Some(12),
    max_nodes: Some(5000),
};

/// One row of the lineage tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineageRow {
    /// The vertex.
    pub node: NodeId,
    /// Indentation (tree depth, not walk depth: folded versions do not indent).
    pub indent: usize,
    /// The relation of the step that reached it (None for a root).
    pub via: Option<EdgeId>,
    /// Versions of the same object folded into this row (besides itself).
    pub folded_versions: usize,
    /// True when the walk was cut at this vertex.
    pub cut_here: bool,
}

/// The lineage screen.
#[derive(Clone, Debug)]
pub struct LineageView {
    /// Which way.
    pub way: Way,
    /// The selection it started from.
    pub root: NodeId,
    /// Number of the walk; older answers are dropped.
    pub generation: u64,
    /// The answer, once it arrived.
    pub result: Option<Lineage>,
    /// Rows to draw.
    pub rows: Vec<LineageRow>,
    /// Cursor over the rows.
    pub cursor: ListCursor,
    /// Objects whose version chains are shown unfolded.
    pub unfolded: HashSet<ObjectId>,
}

impl LineageView {
    /// A walk about to start.
    pub fn pending(way: Way, root: NodeId, generation: u64) -> LineageView {
        LineageView {
            way,
            root,
            generation,
            result: None,
            rows: Vec::new(),
            cursor: ListCursor::default(),
            unfolded: HashSet::new(),
        }
    }

    /// Rebuilds the rows from the result.
    pub fn rebuild(&mut self, g: &ProvGraph) {
        self.rows = match &self.result {
            Some(l) => tree_rows(g, l, &self.unfolded),
            None => Vec::new(),
        };
    }
}

fn is_version_step(g: &ProvGraph, e: EdgeId) -> bool {
    matches!(
        g.edge_kind(e),
        "version_entity" | "version_activity" | "version"
    )
}

/// Orders the walk as a tree: each vertex under the vertex it was first reached from.
pub fn tree_rows(g: &ProvGraph, l: &Lineage, unfolded: &HashSet<ObjectId>) -> Vec<LineageRow> {
    let depth: HashMap<NodeId, usize> = l.nodes.iter().copied().collect();
    let cut: HashSet<NodeId> = l.truncated_at.iter().copied().collect();
    // Parent of each vertex: an edge from a vertex one step nearer the roots.
    let mut parent: HashMap<NodeId, (NodeId, EdgeId)> = HashMap::new();
    for &e in &l.edges {
        let (a, b) = g.endpoints(e);
        let (near, far) = match l.way {
            Way::Backward => (b, a),
            Way::Forward => (a, b),
        };
        if depth.get(&far).copied() == depth.get(&near).map(|d| d + 1) {
            parent.entry(far).or_insert((near, e));
        }
    }
    let mut children: HashMap<NodeId, Vec<(NodeId, EdgeId)>> = HashMap::new();
    for &(n, _) in &l.nodes {
        if let Some(&(p, e)) = parent.get(&n) {
            children.entry(p).or_default().push((n, e));
        }
    }
    let mut rows = Vec::new();
    let mut stack: Vec<(NodeId, usize, Option<EdgeId>)> =
        l.roots.iter().rev().map(|&r| (r, 0usize, None)).collect();
    let mut seen = HashSet::new();
    while let Some((n, indent, via)) = stack.pop() {
        if !seen.insert(n) {
            continue;
        }
        // Fold a chain of version steps of one object into this row.
        let object = g.node(n).object;
        let mut end = n;
        let mut folded = 0;
        if !unfolded.contains(&object) {
            while let Some(kids) = children.get(&end) {
                let next = kids
                    .iter()
                    .find(|&&(k, e)| is_version_step(g, e) && g.node(k).object == object);
                match next {
                    Some(&(k, _)) if seen.insert(k) => {
                        end = k;
                        folded += 1;
                    }
                    _ => break,
                }
            }
        }
        rows.push(LineageRow {
            node: n,
            indent,
            via,
            folded_versions: folded,
            cut_here: cut.contains(&n) || (folded > 0 && cut.contains(&end)),
        });
        let mut next: Vec<(NodeId, EdgeId)> = Vec::new();
        let mut cur = Some(n);
        // Children of every folded version hang under this row.
        while let Some(c) = cur {
            next.extend(children.get(&c).into_iter().flatten().copied());
            cur = (c != end)
                .then(|| {
                    children
                        .get(&c)
                        .and_then(|k| {
                            k.iter().find(|&&(k, e)| {
                                is_version_step(g, e) && g.node(k).object == object
                            })
                        })
                        .map(|&(k, _)| k)
                })
                .flatten();
        }
        for &(k, e) in next.iter().rev() {
            if !seen.contains(&k) {
                stack.push((k, indent + 1, Some(e)));
            }
        }
    }
    rows
}
