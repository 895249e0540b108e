//! Rows of the relations pane and of the shared-state screen: edges of the selection
//! grouped by family and direction, with counts; Enter on an edge row follows it.

use crate::graph::family::Family;
use crate::graph::store::{EdgeId, NodeId, ProvGraph};
use petgraph::Direction;

/// What a section of links holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    /// Edges of one family in one direction (`Incoming`: information comes in).
    Family(Family, Direction),
    /// The process shared state itself.
    Memory,
    /// Tasks that wrote the shared state (shared_write).
    Writers,
    /// Tasks that read the shared state (shared_read).
    Readers,
}

/// One row of a link list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkRow {
    /// A section header with the number of rows under it.
    Header(Section, usize),
    /// An edge and the vertex at its other end.
    Edge {
        /// The edge.
        edge: EdgeId,
        /// The vertex the row leads to.
        other: NodeId,
        /// `Incoming`: information flows from `other` to the selection.
        dir: Direction,
    },
    /// A vertex with no edge of its own (the shared state at the top of its screen).
    Node(NodeId),
}

impl LinkRow {
    /// The vertex Enter leads to.
    pub fn target(self) -> Option<NodeId> {
        match self {
            LinkRow::Edge { other, .. } | LinkRow::Node(other) => Some(other),
            LinkRow::Header(..) => None,
        }
    }
}

/// Relations of `n`, grouped by family (display order), incoming before outgoing.
pub fn relation_rows(g: &ProvGraph, n: NodeId) -> Vec<LinkRow> {
    relation_rows_visible(g, n, &|_| true)
}

/// Relations of `n` that `visible` says have happened (the time cursor's view).
pub fn relation_rows_visible(
    g: &ProvGraph,
    n: NodeId,
    visible: &dyn Fn(EdgeId) -> bool,
) -> Vec<LinkRow> {
    let mut rows = Vec::new();
    for family in Family::ALL {
        for dir in [Direction::Incoming, Direction::Outgoing] {
            let mut links = g.neighbours(n, dir, family);
            links.retain(|&(e, _)| visible(e));
            if links.is_empty() {
                continue;
            }
            rows.push(LinkRow::Header(Section::Family(family, dir), links.len()));
            rows.extend(
                links
                    .into_iter()
                    .map(|(edge, other)| LinkRow::Edge { edge, other, dir }),
            );
        }
    }
    rows
}

/// The shared state of `n`'s process: for a task, the process_memory it shares; for a
/// process_memory, itself. Returns the rows: the memory, the tasks that wrote it, the
/// tasks that read it (over every version of the memory object), of the relations
/// `visible` lets through (those that happened by the time cursor).
pub fn shared_rows(g: &ProvGraph, n: NodeId, visible: &dyn Fn(EdgeId) -> bool) -> Vec<LinkRow> {
    let memory = match g.node_kind(n) {
        "process_memory" | "process" => Some(n),
        "task" => g
            .versions(n)
            .iter()
            .rev()
            .find_map(|&v| g.process_memory_of(v).last().copied()),
        _ => None,
    };
    let Some(memory) = memory else {
        return Vec::new();
    };
    let mut writers = Vec::new();
    let mut readers = Vec::new();
    for &v in g.versions(memory) {
        let shown = |&(edge, _): &(EdgeId, NodeId)| visible(edge);
        for (edge, other) in g
            .neighbours(v, Direction::Incoming, Family::SharedWrite)
            .into_iter()
            .filter(shown)
        {
            writers.push(LinkRow::Edge {
                edge,
                other,
                dir: Direction::Incoming,
            });
        }
        for (edge, other) in g
            .neighbours(v, Direction::Outgoing, Family::SharedRead)
            .into_iter()
            .filter(shown)
        {
            readers.push(LinkRow::Edge {
                edge,
                other,
                dir: Direction::Outgoing,
            });
        }
    }
    let mut rows = vec![LinkRow::Header(Section::Memory, 1), LinkRow::Node(memory)];
    rows.push(LinkRow::Header(Section::Writers, writers.len()));
    rows.extend(writers);
    rows.push(LinkRow::Header(Section::Readers, readers.len()));
    rows.extend(readers);
    rows
}
