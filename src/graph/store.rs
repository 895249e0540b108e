//! The provenance graph store: a petgraph `Graph` of element vertices and relation edges,
//! with hash indexes from CamFlow identifiers to vertices and edges, the object table
//! (an object's versions in order), and the interned strings and attributes.
//! Elements are never removed, so plain `Graph` indices stay stable.

use crate::graph::attr_lists::{AttrList, AttrLists};
use crate::graph::family::Family;
use crate::graph::identifier::ElementKey;
use crate::graph::intern::{AttrTable, Sym, Symbols};
use crate::graph::key_index::KeyIndex;
use crate::graph::model::{Category, ProvClass};
use crate::graph::value;
use foldhash::fast::FixedState;
use hashbrown::{HashMap, HashSet};
use petgraph::Direction;
use petgraph::graph::{EdgeIndex, Graph, NodeIndex};
use petgraph::visit::EdgeRef;
use std::borrow::Cow;
use std::hash::BuildHasher;

/// Index of a vertex.
pub type NodeId = NodeIndex<u32>;
/// Index of an edge.
pub type EdgeId = EdgeIndex<u32>;
/// Index of an object in the object table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId(pub u32);

/// Where a vertex came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The trace defines it.
    Defined,
    /// Only named as the end of an edge so far (a dangling end).
    Referenced,
    /// Made by provscope (user and group agents from uid/gid), never in the trace.
    Derived,
}

/// A vertex: one version of a CamFlow object.
#[derive(Debug)]
pub struct Node {
    /// CamFlow identifier.
    pub key: ElementKey,
    /// PROV class.
    pub class: ProvClass,
    /// CamFlow type name (interned in `ProvGraph::kinds`).
    pub kind: Sym,
    /// Version within its object.
    pub version: u32,
    /// The object this vertex is a version of.
    pub object: ObjectId,
    /// Attributes in input order.
    pub attrs: AttrList,
    /// Defined, dangling, or derived.
    pub origin: Origin,
}

/// An edge: one CamFlow relation, pointing the way information flows.
#[derive(Debug)]
pub struct Edge {
    /// CamFlow relation identifier.
    pub key: ElementKey,
    /// Relation type (interned in `ProvGraph::kinds`).
    pub kind: Sym,
    /// PROV category.
    pub category: Category,
    /// Edge family for the UI.
    pub family: Family,
    /// Attributes in input order, endpoints excluded.
    pub attrs: AttrList,
    /// True for edges provscope made (agent links), never in the trace.
    pub derived: bool,
}

/// A CamFlow object: (type, id, boot_id, machine_id) and its versions.
#[derive(Debug)]
pub struct Object {
    /// Type name.
    pub kind: Sym,
    /// CamFlow object id (`cf:id`).
    pub id: u64,
    /// Boot id.
    pub boot_id: u32,
    /// Machine id.
    pub machine_id: u32,
    /// Its vertices, ordered by version.
    pub versions: Vec<NodeId>,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ObjectKey {
    Camflow {
        kind: Sym,
        id: u64,
        boot_id: u32,
        machine_id: u32,
    },
    /// Elements whose identity is only their vertex (packets, text keys).
    Single(u32),
}

/// The provenance graph.
pub struct ProvGraph {
    pub(crate) graph: Graph<Node, Edge, petgraph::Directed, u32>,
    /// Interned type names of vertices and relations.
    pub kinds: Symbols,
    /// Interned attributes.
    pub attrs: AttrTable,
    /// Every element's attribute list.
    pub lists: AttrLists,
    pub(crate) node_index: KeyIndex,
    pub(crate) edge_index: KeyIndex,
    pub(crate) objects: Vec<Object>,
    pub(crate) object_index: HashMap<ObjectKey, u32>,
    pub(crate) agent_links: HashSet<(u32, u32)>,
    pub(crate) hasher: FixedState,
    pub(crate) merged_nodes: u64,
    pub(crate) merged_edges: u64,
    /// Reused buffer for interning one element's attributes.
    pub(crate) scratch: Vec<crate::graph::intern::PairId>,
    /// Counts kept as the graph grows.
    pub(crate) census: crate::graph::census::Census,
}

impl Default for ProvGraph {
    fn default() -> Self {
        ProvGraph {
            graph: Graph::default(),
            kinds: Symbols::default(),
            attrs: AttrTable::default(),
            lists: AttrLists::default(),
            node_index: KeyIndex::default(),
            edge_index: KeyIndex::default(),
            objects: Vec::new(),
            object_index: HashMap::new(),
            agent_links: HashSet::new(),
            hasher: FixedState::default(),
            merged_nodes: 0,
            merged_edges: 0,
            scratch: Vec::new(),
            census: Default::default(),
        }
    }
}

impl std::fmt::Debug for ProvGraph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ProvGraph({} nodes, {} edges)",
            self.node_count(),
            self.edge_count()
        )
    }
}

impl ProvGraph {
    /// An empty graph.
    pub fn new() -> ProvGraph {
        ProvGraph::default()
    }

    /// Number of vertices, including dangling and derived ones.
    pub fn node_count(&self) -> usize {
        self.graph.node_count()
    }

    /// Number of edges, including derived ones.
    pub fn edge_count(&self) -> usize {
        self.graph.edge_count()
    }

    /// A vertex.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.graph[id]
    }

    /// An edge.
    pub fn edge(&self, id: EdgeId) -> &Edge {
        &self.graph[id]
    }

    /// The (sender, receiver) of an edge.
    pub fn endpoints(&self, id: EdgeId) -> (NodeId, NodeId) {
        self.graph
            .edge_endpoints(id)
            .unwrap_or((NodeIndex::end(), NodeIndex::end()))
    }

    /// All vertex ids in arrival order.
    pub fn node_ids(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.graph.node_indices()
    }

    /// All edge ids in arrival order.
    pub fn edge_ids(&self) -> impl Iterator<Item = EdgeId> + '_ {
        self.graph.edge_indices()
    }

    /// The type name of a vertex.
    pub fn node_kind(&self, id: NodeId) -> &str {
        self.kinds.get(self.graph[id].kind)
    }

    /// The type name of an edge.
    pub fn edge_kind(&self, id: EdgeId) -> &str {
        self.kinds.get(self.graph[id].kind)
    }

    /// The object a vertex is a version of.
    pub fn object(&self, id: ObjectId) -> &Object {
        &self.objects[id.0 as usize]
    }

    /// Number of objects.
    pub fn object_count(&self) -> usize {
        self.objects.len()
    }

    /// Vertices merged into an earlier copy (repeated definitions).
    pub fn merged_nodes(&self) -> u64 {
        self.merged_nodes
    }

    /// Edges merged into an earlier copy (repeated definitions).
    pub fn merged_edges(&self) -> u64 {
        self.merged_edges
    }

    /// The vertex with this identifier.
    pub fn find_node(&self, key: &ElementKey) -> Option<NodeId> {
        let hash = self.hasher.hash_one(key);
        self.node_index
            .find(hash, |i| self.graph[NodeIndex::new(i as usize)].key == *key)
            .map(|i| NodeIndex::new(i as usize))
    }

    /// The edge with this identifier.
    pub fn find_edge(&self, key: &ElementKey) -> Option<EdgeId> {
        let hash = self.hasher.hash_one(key);
        self.edge_index
            .find(hash, |i| self.graph[EdgeIndex::new(i as usize)].key == *key)
            .map(|i| EdgeIndex::new(i as usize))
    }

    /// The JSON text of attribute `name` on a list, if present.
    pub fn attr_in(&self, attrs: AttrList, name: &str) -> Option<&str> {
        let sym = self.attrs.names.lookup(name)?;
        self.lists
            .iter(attrs)
            .find(|&p| self.attrs.name_sym(p) == sym)
            .map(|p| self.attrs.value_json(p))
    }

    /// The JSON text of a vertex attribute.
    pub fn node_attr(&self, id: NodeId, name: &str) -> Option<&str> {
        self.attr_in(self.graph[id].attrs, name)
    }

    /// A vertex attribute as readable text (strings unquoted).
    pub fn node_attr_text(&self, id: NodeId, name: &str) -> Option<Cow<'_, str>> {
        self.node_attr(id, name).map(value::display)
    }

    /// The JSON text of an edge attribute.
    pub fn edge_attr(&self, id: EdgeId, name: &str) -> Option<&str> {
        self.attr_in(self.graph[id].attrs, name)
    }

    /// Every (name, JSON text) attribute of a list, in input order.
    pub fn attr_pairs(&self, attrs: AttrList) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.lists
            .iter(attrs)
            .map(|p| (self.attrs.name(p), self.attrs.value_json(p)))
    }

    /// Edges touching a vertex in one direction (`Outgoing`: the vertex is the sender).
    pub fn edges_of(
        &self,
        id: NodeId,
        dir: Direction,
    ) -> impl Iterator<Item = (EdgeId, NodeId)> + '_ {
        self.graph.edges_directed(id, dir).map(move |e| {
            let other = if dir == Direction::Outgoing {
                e.target()
            } else {
                e.source()
            };
            (e.id(), other)
        })
    }

    /// Rough heap bytes held by the graph and its indexes (for the load benchmark).
    pub fn heap_bytes(&self) -> usize {
        let nodes: usize = self.graph.node_weights().map(|n| key_heap(&n.key)).sum();
        let edges: usize = self.graph.edge_weights().map(|e| key_heap(&e.key)).sum();
        let objects: usize = self.objects.iter().map(|o| o.versions.capacity() * 4).sum();
        self.graph.capacity().0 * (std::mem::size_of::<Node>() + 8)
            + self.graph.capacity().1 * (std::mem::size_of::<Edge>() + 16)
            + nodes
            + edges
            + objects
            + self.objects.capacity() * std::mem::size_of::<Object>()
            + self.object_index.capacity() * 24
            + (self.node_index.capacity() + self.edge_index.capacity()) * 9
            + self.kinds.heap_bytes()
            + self.attrs.heap_bytes()
            + self.lists.heap_bytes()
    }
}

fn key_heap(k: &ElementKey) -> usize {
    match k {
        ElementKey::Binary(_) => 0,
        ElementKey::Text(t) => t.len(),
    }
}
