//! Queries over the graph that the TUI and the command line share: neighbours by
//! family, version chains, process grouping through process_memory, and lookup of
//! vertices by path, pid, name and identifier.

use crate::graph::family::Family;
use crate::graph::identifier::ElementKey;
use crate::graph::selector::Selector;
use crate::graph::store::{EdgeId, NodeId, Origin, ProvGraph};
use crate::graph::value;
use petgraph::Direction;

impl ProvGraph {
    /// Edges of one family touching `id` in one direction, with the vertex at the
    /// other end. `Incoming` edges bring information to `id`.
    pub fn neighbours(&self, id: NodeId, dir: Direction, family: Family) -> Vec<(EdgeId, NodeId)> {
        let mut out: Vec<_> = self
            .edges_of(id, dir)
            .filter(|&(e, _)| self.edge(e).family == family)
            .collect();
        out.sort_by_key(|&(e, _)| self.order_key(e));
        out
    }

    /// The order of an edge in the trace: relation `cf:id` (a per-boot sequence), then
    /// arrival. Edges without an id sort after those with one.
    pub fn order_key(&self, e: EdgeId) -> (u64, usize) {
        let id = self
            .edge_attr(e, "cf:id")
            .and_then(value::json_u64)
            .unwrap_or(u64::MAX);
        (id, e.index())
    }

    /// Every version of the object `id` belongs to, oldest first.
    pub fn versions(&self, id: NodeId) -> &[NodeId] {
        &self.object(self.node(id).object).versions
    }

    /// The process_memory vertices a task shares state with (shared_read/shared_write).
    pub fn process_memory_of(&self, task: NodeId) -> Vec<NodeId> {
        self.shared_partners(task, "process_memory")
    }

    /// Every task vertex that reads or writes any version of this process_memory's
    /// object: the threads of one process.
    pub fn tasks_of_process(&self, memory: NodeId) -> Vec<NodeId> {
        let mut out: Vec<NodeId> = self
            .versions(memory)
            .iter()
            .flat_map(|&v| self.shared_partners(v, "task"))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    fn shared_partners(&self, id: NodeId, kind: &str) -> Vec<NodeId> {
        let mut out: Vec<NodeId> = [Direction::Incoming, Direction::Outgoing]
            .into_iter()
            .flat_map(|d| self.edges_of(id, d))
            .filter(|&(e, other)| {
                matches!(
                    self.edge(e).family,
                    Family::SharedRead | Family::SharedWrite
                ) && self.node_kind(other) == kind
            })
            .map(|(_, other)| other)
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Vertices a selector names. `path:` gives the objects the path names (through
    /// `named`) and then the path entities; `pid:` the task versions with that pid;
    /// `name:` vertices whose `cf:name`, first argument or path base name matches;
    /// `id:` the vertex with that identifier.
    pub fn select(&self, sel: &Selector) -> Vec<NodeId> {
        let mut out = match sel {
            Selector::Id(text) => self
                .find_node(&ElementKey::parse(text))
                .into_iter()
                .collect(),
            Selector::Pid(pid) => self
                .defined_nodes()
                .filter(|&n| {
                    self.node_kind(n) == "task"
                        && self.node_attr(n, "cf:pid").and_then(value::json_u64) == Some(*pid)
                })
                .collect(),
            Selector::Path(path) => {
                let paths: Vec<NodeId> = self
                    .defined_nodes()
                    .filter(|&n| self.node_attr_text(n, "cf:pathname").as_deref() == Some(path))
                    .collect();
                let mut named = self.named_by(&paths);
                named.extend(paths);
                named
            }
            Selector::Name(name) => self.select_name(name),
        };
        dedup_keep_order(&mut out);
        out
    }

    fn select_name(&self, name: &str) -> Vec<NodeId> {
        let mut out: Vec<NodeId> = self
            .defined_nodes()
            .filter(|&n| self.node_attr_text(n, "cf:name").as_deref() == Some(name))
            .collect();
        let args: Vec<NodeId> = self
            .defined_nodes()
            .filter(|&n| {
                self.node_kind(n) == "argv"
                    && self.node_attr_text(n, "cf:value").as_deref() == Some(name)
            })
            .collect();
        for arg in args {
            out.extend(
                self.edges_of(arg, Direction::Outgoing)
                    .filter(|&(e, _)| self.edge_kind(e) == "arg")
                    .map(|(_, n)| n),
            );
        }
        let paths: Vec<NodeId> = self
            .defined_nodes()
            .filter(|&n| {
                self.node_attr_text(n, "cf:pathname")
                    .is_some_and(|p| p.rsplit('/').next() == Some(name))
            })
            .collect();
        out.extend(self.named_by(&paths));
        out
    }

    /// Objects named by these path entities (`named` edges out of them).
    fn named_by(&self, paths: &[NodeId]) -> Vec<NodeId> {
        paths
            .iter()
            .flat_map(|&p| self.neighbours(p, Direction::Outgoing, Family::Naming))
            .map(|(_, n)| n)
            .collect()
    }

    /// Vertices the trace defines (not dangling ends, not derived agents).
    pub fn defined_nodes(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.node_ids()
            .filter(|&n| self.node(n).origin == Origin::Defined)
    }
}

fn dedup_keep_order(v: &mut Vec<NodeId>) {
    let mut seen = hashbrown::HashSet::new();
    v.retain(|n| seen.insert(*n));
}
