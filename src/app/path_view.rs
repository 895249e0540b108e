//! The path screen's state: a path query from a marked element to a target (the
//! selection or a typed selector), running off the UI thread, then its shortest
//! information-flow paths as a list: a header per path, then each vertex with the
//! relation that reached it.

use crate::app::list_cursor::ListCursor;
use crate::graph::lineage::Budget;
use crate::graph::selector::Selector;
use crate::graph::store::{EdgeId, NodeId, ProvGraph};

/// Budget of a path query started from the UI (as for lineage walks).
pub const PATH_BUDGET: Budget = Budget {
    max_depth: Some(12),
    max_nodes: Some(200_000),
};

/// At most this many paths are listed (as on the command line).
pub const MAX_PATHS: usize = 20;

/// Where a path query goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathTarget {
    /// These vertices (every version of the selection's object).
    Nodes(Vec<NodeId>),
    /// What a selector names, resolved by the worker (a selector scans the graph).
    Selector(Selector),
}

/// One row of the path list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathRow {
    /// "path 2 (3 steps)".
    Header {
        /// Which path (0-based).
        index: usize,
        /// Its relations.
        steps: usize,
    },
    /// A vertex on a path, with the relation that led to it (None for the start).
    Node {
        /// The vertex.
        node: NodeId,
        /// The relation from the previous vertex.
        via: Option<EdgeId>,
    },
}

/// The path screen.
#[derive(Clone, Debug)]
pub struct PathView {
    /// The marked start.
    pub from: NodeId,
    /// Every start vertex (the versions of the marked object).
    pub sources: Vec<NodeId>,
    /// The target as asked.
    pub target: PathTarget,
    /// The target as the user named it, for the title.
    pub target_label: String,
    /// Number of the query; older answers are dropped.
    pub generation: u64,
    /// The answer, once it arrived: the paths (empty: no flow), or why there is no
    /// query (a selector that names nothing).
    pub result: Option<Result<Vec<Vec<EdgeId>>, String>>,
    /// Rows to draw.
    pub rows: Vec<PathRow>,
    /// Cursor over the rows.
    pub cursor: ListCursor,
}

impl PathView {
    /// The paths found (none before the answer, or when there was no query).
    pub fn paths(&self) -> &[Vec<EdgeId>] {
        match &self.result {
            Some(Ok(paths)) => paths,
            _ => &[],
        }
    }

    /// The rows of an answer: each path's header, its start, then each step's end.
    pub fn rebuild(&mut self, g: &ProvGraph) {
        self.rows.clear();
        for (index, path) in self.paths().to_vec().iter().enumerate() {
            let Some(&first) = path.first() else {
                continue;
            };
            self.rows.push(PathRow::Header {
                index,
                steps: path.len(),
            });
            self.rows.push(PathRow::Node {
                node: g.endpoints(first).0,
                via: None,
            });
            for &e in path {
                self.rows.push(PathRow::Node {
                    node: g.endpoints(e).1,
                    via: Some(e),
                });
            }
        }
    }

    /// The vertex under the cursor (a header leads to its path's start).
    pub fn cursor_node(&self) -> Option<NodeId> {
        let rows = self.rows.get(self.cursor.cursor..)?;
        rows.iter().find_map(|r| match r {
            PathRow::Node { node, .. } => Some(*node),
            PathRow::Header { .. } => None,
        })
    }

    /// Every vertex and relation on the paths, for export.
    pub fn elements(&self, g: &ProvGraph) -> (Vec<NodeId>, Vec<EdgeId>) {
        let mut nodes = Vec::new();
        let mut edges = Vec::new();
        for &e in self.paths().iter().flatten() {
            let (a, b) = g.endpoints(e);
            nodes.extend([a, b]);
            edges.push(e);
        }
        nodes.sort();
        nodes.dedup();
        edges.sort();
        edges.dedup();
        (nodes, edges)
    }
}

/// Runs a path query (on the walk worker): resolves a selector target, keeps what
/// exists as of the cursor, and finds the shortest flows. None when interrupted.
pub fn find_paths(
    g: &ProvGraph,
    from: &[NodeId],
    to: &PathTarget,
    as_of: Option<crate::graph::timeline::AsOf<'_>>,
    budget: Budget,
    stop: &dyn Fn() -> bool,
) -> Option<Result<Vec<Vec<EdgeId>>, String>> {
    let targets: Vec<NodeId> = match to {
        PathTarget::Nodes(nodes) => nodes.clone(),
        PathTarget::Selector(sel) => g
            .select(sel)
            .into_iter()
            .filter(|&n| as_of.is_none_or(|a| a.node_visible(n)))
            .collect(),
    };
    if targets.is_empty() {
        let what = match to {
            PathTarget::Selector(sel) => format!("{sel} names nothing"),
            PathTarget::Nodes(_) => String::from("the target does not exist"),
        };
        let when = if as_of.is_some() {
            " at this point in time"
        } else {
            ""
        };
        return Some(Err(crate::text::sanitize(&format!("{what}{when}"))));
    }
    let paths =
        crate::graph::lineage::flow_paths_as_of(g, from, &targets, MAX_PATHS, budget, as_of, stop);
    (!stop()).then_some(Ok(paths))
}
