//! Lineage and flow paths: where information at a vertex came from (backward) or went to
//! (forward), walking relations the way information flows, versions included (an
//! object's earlier versions are its past, reached through `version_entity` /
//! `version_activity`). Walks have budgets (depth, vertices) and a stop check, and say
//! where a budget cut them short. Edges provscope derived itself (user/group agents) are
//! not information flow and are not followed. A walk given an [`AsOf`] sees only the
//! relations that happened by that point of the trace's timeline.

use crate::graph::store::{EdgeId, NodeId, ProvGraph};
use crate::graph::timeline::AsOf;
use hashbrown::{HashMap, HashSet};
use petgraph::Direction;
use std::collections::VecDeque;

/// Which way to walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Way {
    /// Where it came from: against the edges.
    Backward,
    /// Where it went: along the edges.
    Forward,
}

impl Way {
    /// The name used in JSON and the UI.
    pub fn name(self) -> &'static str {
        match self {
            Way::Backward => "backward",
            Way::Forward => "forward",
        }
    }

    fn petgraph(self) -> Direction {
        match self {
            Way::Backward => Direction::Incoming,
            Way::Forward => Direction::Outgoing,
        }
    }
}

/// Limits on a walk. `None` is unlimited.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Budget {
    /// Hops from a root.
    pub max_depth: Option<usize>,
    /// Vertices in the result.
    pub max_nodes: Option<usize>,
}

/// Why a walk stopped before it ran out of graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cut {
    /// The depth budget: the vertices in `truncated_at` have unexplored relations.
    Depth,
    /// The vertex budget.
    Nodes,
    /// The caller asked to stop (Esc in the UI).
    Interrupted,
}

/// The result of a lineage walk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lineage {
    /// Where the walk started.
    pub roots: Vec<NodeId>,
    /// Which way it went.
    pub way: Way,
    /// Every vertex reached, with its hop count from the nearest root, in visit order.
    pub nodes: Vec<(NodeId, usize)>,
    /// Every relation walked (both ends in `nodes`).
    pub edges: Vec<EdgeId>,
    /// Why the walk was cut short, if it was.
    pub cut: Option<Cut>,
    /// Vertices whose further relations were not walked because of the cut.
    pub truncated_at: Vec<NodeId>,
}

impl Lineage {
    /// True when a budget or an interruption cut the walk short.
    pub fn truncated(&self) -> bool {
        self.cut.is_some()
    }
}

fn flows<'a>(
    g: &'a ProvGraph,
    n: NodeId,
    way: Way,
    as_of: Option<AsOf<'a>>,
) -> impl Iterator<Item = (EdgeId, NodeId)> + 'a {
    g.edges_of(n, way.petgraph())
        .filter(move |&(e, _)| !g.edge(e).derived && as_of.is_none_or(|a| a.edge_visible(e)))
}

/// Walks from `roots` breadth first. `stop` is polled every few hundred vertices; when it
/// returns true the walk ends with [`Cut::Interrupted`].
pub fn lineage(
    g: &ProvGraph,
    roots: &[NodeId],
    way: Way,
    budget: Budget,
    stop: &dyn Fn() -> bool,
) -> Lineage {
    lineage_as_of(g, roots, way, budget, None, stop)
}

/// [`lineage`] over the graph as it was at a point of its timeline: later relations are
/// not walked.
pub fn lineage_as_of(
    g: &ProvGraph,
    roots: &[NodeId],
    way: Way,
    budget: Budget,
    as_of: Option<AsOf<'_>>,
    stop: &dyn Fn() -> bool,
) -> Lineage {
    let mut depth: HashMap<NodeId, usize> = HashMap::new();
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    let mut queue = VecDeque::new();
    let mut cut = None;
    let mut truncated_at = Vec::new();
    for &r in roots {
        if depth.insert(r, 0).is_none() {
            nodes.push((r, 0));
            queue.push_back(r);
        }
    }
    let mut polled = 0usize;
    while let Some(n) = queue.pop_front() {
        // Polled on the first vertex and every 256th after: cheap, and an interruption
        // that is already pending stops the walk at once.
        if polled.is_multiple_of(256) && stop() {
            cut = Some(Cut::Interrupted);
            truncated_at.push(n);
            truncated_at.extend(queue.drain(..));
            break;
        }
        polled += 1;
        let d = depth[&n];
        if budget.max_depth.is_some_and(|max| d >= max) {
            if flows(g, n, way, as_of).next().is_some() {
                cut.get_or_insert(Cut::Depth);
                truncated_at.push(n);
            }
            continue;
        }
        let mut full = false;
        for (e, other) in flows(g, n, way, as_of) {
            if depth.contains_key(&other) {
                // A relation between two vertices already reached is part of the picture.
                edges.push(e);
                continue;
            }
            if budget.max_nodes.is_some_and(|max| nodes.len() >= max) {
                full = true;
                break;
            }
            depth.insert(other, d + 1);
            nodes.push((other, d + 1));
            edges.push(e);
            queue.push_back(other);
        }
        if full {
            cut = Some(Cut::Nodes);
            truncated_at.push(n);
            truncated_at.extend(queue.drain(..));
            break;
        }
    }
    edges.sort();
    edges.dedup();
    truncated_at.sort();
    truncated_at.dedup();
    Lineage {
        roots: roots.to_vec(),
        way,
        nodes,
        edges,
        cut,
        truncated_at,
    }
}

/// The shortest information-flow paths from any of `from` to any of `to` (each a list of
/// relations in flow order), at most `max_paths` of them; empty when no information
/// flows from one to the other within the budget.
pub fn flow_paths(
    g: &ProvGraph,
    from: &[NodeId],
    to: &[NodeId],
    max_paths: usize,
    budget: Budget,
    stop: &dyn Fn() -> bool,
) -> Vec<Vec<EdgeId>> {
    flow_paths_as_of(g, from, to, max_paths, budget, None, stop)
}

/// [`flow_paths`] over the graph as it was at a point of its timeline.
pub fn flow_paths_as_of(
    g: &ProvGraph,
    from: &[NodeId],
    to: &[NodeId],
    max_paths: usize,
    budget: Budget,
    as_of: Option<AsOf<'_>>,
    stop: &dyn Fn() -> bool,
) -> Vec<Vec<EdgeId>> {
    let targets: HashSet<NodeId> = to.iter().copied().collect();
    // Breadth first along the edges; every shortest predecessor edge kept, so all
    // shortest paths can be rebuilt.
    let mut dist: HashMap<NodeId, usize> = HashMap::new();
    let mut preds: HashMap<NodeId, Vec<(EdgeId, NodeId)>> = HashMap::new();
    let mut queue = VecDeque::new();
    for &f in from {
        if dist.insert(f, 0).is_none() {
            queue.push_back(f);
        }
    }
    let mut found_at: Option<usize> = None;
    let mut polled = 0usize;
    while let Some(n) = queue.pop_front() {
        if polled.is_multiple_of(256) && stop() {
            return Vec::new();
        }
        polled += 1;
        let d = dist[&n];
        if found_at.is_some_and(|f| d >= f) || budget.max_depth.is_some_and(|m| d >= m) {
            continue;
        }
        if budget.max_nodes.is_some_and(|m| dist.len() >= m) {
            break;
        }
        for (e, other) in flows(g, n, Way::Forward, as_of) {
            match dist.get(&other) {
                None => {
                    dist.insert(other, d + 1);
                    preds.insert(other, vec![(e, n)]);
                    queue.push_back(other);
                    if targets.contains(&other) {
                        found_at = Some(d + 1);
                    }
                }
                Some(&od) if od == d + 1 => preds.entry(other).or_default().push((e, n)),
                Some(_) => {}
            }
        }
    }
    let Some(len) = found_at else {
        return Vec::new();
    };
    let mut paths = Vec::new();
    let mut ends: Vec<NodeId> = to
        .iter()
        .copied()
        .filter(|t| dist.get(t) == Some(&len))
        .collect();
    ends.sort();
    ends.dedup();
    for end in ends {
        let mut stack: Vec<(NodeId, Vec<EdgeId>)> = vec![(end, Vec::new())];
        while let Some((n, suffix)) = stack.pop() {
            if paths.len() >= max_paths {
                return paths;
            }
            match preds.get(&n) {
                None => {
                    let mut p = suffix;
                    p.reverse();
                    paths.push(p);
                }
                Some(ps) => {
                    for &(e, prev) in ps.iter().rev() {
                        let mut s = suffix.clone();
                        s.push(e);
                        stack.push((prev, s));
                    }
                }
            }
        }
    }
    paths
}
