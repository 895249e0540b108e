//! Derived user and group agents. CamFlow never emits user or group agents (AGT_USR and
//! AGT_GRP have no output string), but every task and process_memory carries `cf:uid` and
//! `cf:gid`. provscope makes one agent per (machine, uid) and per (machine, gid), marked
//! derived, and links it to each activity it acts for: a task with the id itself, or a
//! task whose process_memory (reached by a shared_read/shared_write edge) carries it.
//! Derived elements are never counted as trace elements and never written out.

use crate::graph::attr_lists::AttrList;
use crate::graph::family::Family;
use crate::graph::identifier::ElementKey;
use crate::graph::model::{Category, ProvClass};
use crate::graph::store::{Edge, EdgeId, NodeId, Origin, ProvGraph};
use crate::graph::value;
use petgraph::Direction;

/// Relation type of the derived link from a user agent to a task.
pub const USER_LINK: &str = "associated_user";
/// Relation type of the derived link from a group agent to a task.
pub const GROUP_LINK: &str = "associated_group";

#[derive(Clone, Copy)]
enum AgentKind {
    User,
    Group,
}

impl AgentKind {
    fn kind(self) -> &'static str {
        match self {
            AgentKind::User => "user",
            AgentKind::Group => "group",
        }
    }
    fn attr(self) -> &'static str {
        match self {
            AgentKind::User => "cf:uid",
            AgentKind::Group => "cf:gid",
        }
    }
    fn link(self) -> &'static str {
        match self {
            AgentKind::User => USER_LINK,
            AgentKind::Group => GROUP_LINK,
        }
    }
}

impl ProvGraph {
    /// True for vertices whose uid/gid name the agent acting: tasks and process_memory.
    fn carries_credentials(&self, id: NodeId) -> bool {
        matches!(self.node_kind(id), "task" | "process_memory")
            && self.node(id).origin == Origin::Defined
    }

    /// Called when `id` becomes defined: links its agents to it, or, for a
    /// process_memory, to the tasks already joined to it by shared-state edges.
    pub(crate) fn link_agents_of(&mut self, id: NodeId) {
        if !self.carries_credentials(id) {
            return;
        }
        if self.node_kind(id) == "task" {
            self.link_credentials(id, id);
            return;
        }
        // The agents exist as soon as a process names them, linked or not yet.
        self.credentials_of(id);
        let tasks: Vec<NodeId> = [Direction::Outgoing, Direction::Incoming]
            .into_iter()
            .flat_map(|d| self.edges_of(id, d).collect::<Vec<_>>())
            .filter(|&(e, other)| is_shared(self.edge(e).family) && self.node_kind(other) == "task")
            .map(|(_, other)| other)
            .collect();
        for task in tasks {
            self.link_credentials(id, task);
        }
    }

    /// Called for each new edge: a shared-state edge between a task and a
    /// process_memory carries the process's credentials to the task.
    pub(crate) fn link_agents_across(&mut self, edge: EdgeId) {
        if !is_shared(self.edge(edge).family) {
            return;
        }
        let (a, b) = self.endpoints(edge);
        for (task, memory) in [(a, b), (b, a)] {
            if self.node_kind(task) == "task"
                && self.node_kind(memory) == "process_memory"
                && self.carries_credentials(memory)
            {
                self.link_credentials(memory, task);
            }
        }
    }

    /// The user and group agents named by `source`'s uid/gid, made if new.
    fn credentials_of(&mut self, source: NodeId) -> Vec<(AgentKind, NodeId)> {
        let machine = self.machine_of(source);
        let mut out = Vec::with_capacity(2);
        for kind in [AgentKind::User, AgentKind::Group] {
            if let Some(number) = self
                .node_attr(source, kind.attr())
                .and_then(value::json_u64)
            {
                out.push((kind, self.agent_vertex(kind, machine, number)));
            }
        }
        out
    }

    /// Links the user and group agents named by `source`'s uid/gid to `task`.
    fn link_credentials(&mut self, source: NodeId, task: NodeId) {
        for (kind, agent) in self.credentials_of(source) {
            if self
                .agent_links
                .insert((agent.index() as u32, task.index() as u32))
            {
                let edge = Edge {
                    key: ElementKey::Text(
                        format!("{}:{}", kind.link(), self.edge_count()).into_boxed_str(),
                    ),
                    kind: self.kinds.intern(kind.link()),
                    category: Category::WasAssociatedWith,
                    family: Family::Other,
                    attrs: AttrList::default(),
                    derived: true,
                };
                self.graph.add_edge(agent, task, edge);
            }
        }
    }

    /// The machine id of a vertex: its `cf:machine_id`, else its identifier's.
    pub fn machine_of(&self, id: NodeId) -> u64 {
        self.node_attr(id, "cf:machine_id")
            .and_then(value::json_u64)
            .or_else(|| self.node(id).key.fields().map(|f| u64::from(f.machine_id)))
            .unwrap_or(0)
    }

    fn agent_vertex(&mut self, kind: AgentKind, machine: u64, number: u64) -> NodeId {
        let key = ElementKey::Text(format!("{}:{machine}:{number}", kind.kind()).into());
        if let Some(id) = self.find_node(&key) {
            return id;
        }
        let sym = self.kinds.intern(kind.kind());
        let id = self.insert_node(key, ProvClass::Agent, sym, Origin::Derived);
        let attrs = [
            self.attrs.intern(kind.attr(), &number.to_string()),
            self.attrs
                .intern("cf:machine_id", &value::quote(&format!("cf:{machine}"))),
        ];
        self.graph[id].attrs = self.lists.push(attrs);
        id
    }

    /// Number of derived user and group agents.
    pub fn derived_agent_count(&self) -> usize {
        self.graph
            .node_weights()
            .filter(|n| n.origin == Origin::Derived)
            .count()
    }
}

fn is_shared(f: Family) -> bool {
    matches!(f, Family::SharedRead | Family::SharedWrite)
}
