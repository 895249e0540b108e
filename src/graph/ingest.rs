//! Ingest: turning reader records into vertices and edges. Traces are incomplete by
//! nature, so everything is accepted: an edge may come before its ends (a placeholder
//! vertex stands in until the definition arrives), ends may never come (the edge stays,
//! counted as dangling), and repeated vertices or edges merge into the first copy.

use crate::graph::attr_lists::AttrList;
use crate::graph::family::Family;
use crate::graph::identifier::ElementKey;
use crate::graph::intern::{PairId, Sym};
use crate::graph::model::{Attr, Category, EdgeRecord, NodeRecord, ProvClass};
use crate::graph::store::{
    Edge, EdgeId, Node, NodeId, Object, ObjectId, ObjectKey, Origin, ProvGraph,
};
use crate::graph::value;
use std::hash::BuildHasher;

/// Object of a vertex between its insertion and its definition.
const NO_OBJECT: ObjectId = ObjectId(u32::MAX);

/// Type name given to a vertex known only as the end of an edge.
pub const UNKNOWN_KIND: &str = "unknown";

impl ProvGraph {
    /// Adds (or merges) a vertex the trace defines.
    pub fn add_node(&mut self, rec: &NodeRecord<'_>) -> NodeId {
        let key = ElementKey::parse(&rec.key);
        let attrs = self.intern_attrs(&rec.attrs);
        let kind = self.kinds.intern(&rec.kind);
        if let Some(id) = self.find_node(&key) {
            match self.graph[id].origin {
                Origin::Referenced => self.define(id, rec.class, kind, attrs),
                Origin::Defined | Origin::Derived => {
                    self.merged_nodes += 1;
                    self.merge_node_attrs(id, attrs);
                }
            }
            return id;
        }
        // Inserted without an object: `define` files it under its real one.
        let id = self.insert_node(key, rec.class, kind, Origin::Defined);
        self.define(id, rec.class, kind, attrs);
        id
    }

    /// Adds (or merges) a relation. Ends the trace has not defined become placeholders.
    pub fn add_edge(&mut self, rec: &EdgeRecord<'_>) -> EdgeId {
        let key = ElementKey::parse(&rec.key);
        let attrs = self.intern_attrs(&rec.attrs);
        if let Some(id) = self.find_edge(&key) {
            self.merged_edges += 1;
            self.graph[id].attrs = self.merge_lists(self.graph[id].attrs, attrs);
            return id;
        }
        let (snd_class, rcv_class) = end_classes(rec.category);
        let sender = self.end_vertex(&rec.sender, snd_class, rec.sender_kind.as_deref());
        let receiver = self.end_vertex(&rec.receiver, rcv_class, rec.receiver_kind.as_deref());
        let edge = Edge {
            key,
            kind: self.kinds.intern(&rec.kind),
            category: rec.category,
            family: Family::of(&rec.kind),
            attrs,
            derived: false,
        };
        let (kind, family) = (edge.kind, edge.family);
        let id = self.graph.add_edge(sender, receiver, edge);
        let dangling = self.graph[sender].origin == Origin::Referenced
            || self.graph[receiver].origin == Origin::Referenced;
        self.census.on_edge(kind, family, dangling);
        self.census.on_degree(self.graph[sender].object, 1);
        self.census.on_degree(self.graph[receiver].object, 1);
        self.index_edge(id);
        self.link_agents_across(id);
        id
    }

    fn intern_attrs(&mut self, attrs: &[Attr<'_>]) -> AttrList {
        let mut ids = std::mem::take(&mut self.scratch);
        ids.clear();
        ids.extend(attrs.iter().map(|(k, v)| self.attrs.intern(k, v)));
        let list = self.lists.push(ids.iter().copied());
        self.scratch = ids;
        list
    }

    fn merge_node_attrs(&mut self, id: NodeId, extra: AttrList) {
        self.graph[id].attrs = self.merge_lists(self.graph[id].attrs, extra);
    }

    /// `current` plus the pairs of `extra` whose attribute names `current` lacks: a
    /// repeated element adds what it newly says and never overwrites what was read.
    fn merge_lists(&mut self, current: AttrList, extra: AttrList) -> AttrList {
        let mut out: Vec<PairId> = self.lists.iter(current).collect();
        let before = out.len();
        for p in self.lists.iter(extra) {
            let name = self.attrs.name_sym(p);
            if !out.iter().any(|&q| self.attrs.name_sym(q) == name) {
                out.push(p);
            }
        }
        if out.len() == before {
            return current;
        }
        self.lists.push(out)
    }

    /// The vertex for an edge end, made as a placeholder when unknown.
    fn end_vertex(&mut self, text: &str, class: ProvClass, hint: Option<&str>) -> NodeId {
        let key = ElementKey::parse(text);
        if let Some(id) = self.find_node(&key) {
            return id;
        }
        let kind = self.kinds.intern(hint.unwrap_or(UNKNOWN_KIND));
        let class = hint
            .and_then(crate::graph::model::class_of_kind)
            .unwrap_or(class);
        self.insert_node(key, class, kind, Origin::Referenced)
    }

    pub(crate) fn insert_node(
        &mut self,
        key: ElementKey,
        class: ProvClass,
        kind: Sym,
        origin: Origin,
    ) -> NodeId {
        let next = u32::try_from(self.graph.node_count()).unwrap_or(u32::MAX);
        let object = if origin == Origin::Defined {
            NO_OBJECT
        } else {
            self.object_for(ObjectKey::Single(next), kind)
        };
        let node = Node {
            key,
            class,
            kind,
            version: 0,
            object,
            attrs: AttrList::default(),
            origin,
        };
        let id = self.graph.add_node(node);
        match origin {
            Origin::Referenced => self.census.dangling_ends += 1,
            Origin::Derived => self.census.derived_agents += 1,
            // Counted when `define` runs, right after.
            Origin::Defined => {}
        }
        if object != NO_OBJECT {
            self.objects[object.0 as usize].versions.push(id);
        }
        let hash = self.hasher.hash_one(&self.graph[id].key);
        self.node_index.insert(hash, id.index() as u32);
        id
    }

    fn index_edge(&mut self, id: EdgeId) {
        let hash = self.hasher.hash_one(&self.graph[id].key);
        self.edge_index.insert(hash, id.index() as u32);
    }

    /// Turns a placeholder into a defined vertex and files it under its object.
    fn define(&mut self, id: NodeId, class: ProvClass, kind: Sym, attrs: AttrList) {
        let version = self
            .attr_in(attrs, "cf:version")
            .and_then(value::json_u64)
            .map(|v| u32::try_from(v).unwrap_or(u32::MAX))
            .or_else(|| self.graph[id].key.fields().map(|f| f.version))
            .unwrap_or(0);
        let object_key = self.object_key(id, kind, attrs);
        let was_placeholder = self.graph[id].origin == Origin::Referenced;
        {
            let n = &mut self.graph[id];
            n.class = class;
            n.kind = kind;
            n.version = version;
            n.attrs = attrs;
            n.origin = Origin::Defined;
        }
        self.census.on_defined(kind);
        let relations = if was_placeholder {
            self.census.dangling_ends = self.census.dangling_ends.saturating_sub(1);
            self.placeholder_defined(id)
        } else {
            0
        };
        let old = self.graph[id].object;
        let new = self.object_for(object_key, kind);
        if new != old {
            self.census.on_degree(old, -relations);
            self.census.on_degree(new, relations);
            if old != NO_OBJECT {
                let versions = &mut self.objects[old.0 as usize].versions;
                versions.retain(|&v| v != id);
                if versions.is_empty() {
                    self.census.emptied.push(old);
                }
            }
            self.graph[id].object = new;
            let graph = &self.graph;
            let versions = &mut self.objects[new.0 as usize].versions;
            let at = versions.partition_point(|&v| graph[v].version <= version);
            versions.insert(at, id);
        }
        self.link_agents_of(id);
    }

    /// A placeholder was just defined: its relations that no longer have a placeholder
    /// end stop being dangling. Returns how many relations touch it (a loop twice), which
    /// move with it to its real object.
    fn placeholder_defined(&mut self, id: NodeId) -> i64 {
        use petgraph::Direction::{Incoming, Outgoing};
        use petgraph::visit::EdgeRef;
        let mut touching = 0;
        let mut healed = 0;
        for way in [Outgoing, Incoming] {
            for e in self.graph.edges_directed(id, way) {
                if e.weight().derived {
                    continue;
                }
                touching += 1;
                let (a, b) = (e.source(), e.target());
                // A loop shows up in both directions: its healing is counted once.
                if way == Incoming && a == id {
                    continue;
                }
                let other = if a == id { b } else { a };
                if other == id || self.graph[other].origin != Origin::Referenced {
                    healed += 1;
                }
            }
        }
        self.census.dangling_edges = self.census.dangling_edges.saturating_sub(healed);
        touching
    }

    /// CamFlow's object identity (type, id, boot_id, machine_id), taken from the
    /// attributes when present (they are what every release writes) and from the
    /// identifier bytes otherwise. Packets are their own objects: their `cf:id` is an IP id.
    fn object_key(&self, id: NodeId, kind: Sym, attrs: AttrList) -> ObjectKey {
        let single = ObjectKey::Single(id.index() as u32);
        if self.kinds.get(kind) == "packet" {
            return single;
        }
        let fields = self.graph[id].key.fields();
        let num = |name: &str| self.attr_in(attrs, name).and_then(value::json_u64);
        let Some(object_id) = num("cf:id").or(fields.map(|f| f.id)) else {
            return single;
        };
        let as_u32 = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
        ObjectKey::Camflow {
            kind,
            id: object_id,
            boot_id: num("cf:boot_id")
                .map(as_u32)
                .or(fields.map(|f| f.boot_id))
                .unwrap_or(0),
            machine_id: num("cf:machine_id")
                .map(as_u32)
                .or(fields.map(|f| f.machine_id))
                .unwrap_or(0),
        }
    }

    fn object_for(&mut self, key: ObjectKey, kind: Sym) -> ObjectId {
        if let Some(&i) = self.object_index.get(&key) {
            return ObjectId(i);
        }
        let i = u32::try_from(self.objects.len()).unwrap_or(u32::MAX);
        let (id, boot_id, machine_id) = match key {
            ObjectKey::Camflow {
                id,
                boot_id,
                machine_id,
                ..
            } => (id, boot_id, machine_id),
            ObjectKey::Single(n) => (u64::from(n), 0, 0),
        };
        self.objects.push(Object {
            kind,
            id,
            boot_id,
            machine_id,
            versions: Vec::new(),
        });
        // Single objects are never looked up again by key, so they stay out of the index.
        if matches!(key, ObjectKey::Camflow { .. }) {
            self.object_index.insert(key, i);
        }
        ObjectId(i)
    }
}

/// The classes of an edge's ends that its category implies, as (sender, receiver).
fn end_classes(category: Category) -> (ProvClass, ProvClass) {
    use ProvClass::{Activity, Agent, Entity};
    match category {
        Category::Used => (Entity, Activity),
        Category::WasGeneratedBy => (Activity, Entity),
        Category::WasInformedBy => (Activity, Activity),
        Category::WasDerivedFrom => (Entity, Entity),
        Category::WasAssociatedWith => (Agent, Activity),
        Category::WasInfluencedBy => (Activity, Agent),
        Category::WasAttributedTo => (Agent, Entity),
    }
}

impl crate::graph::model::RecordSink for ProvGraph {
    fn node(&mut self, rec: NodeRecord<'_>) {
        self.add_node(&rec);
    }
    fn edge(&mut self, rec: EdgeRecord<'_>) {
        self.add_edge(&rec);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn node(key: &str, kind: &str, attrs: &[(&'static str, &'static str)]) -> NodeRecord<'static> {
        NodeRecord {
            key: Cow::Owned(key.to_string()),
            class: ProvClass::Entity,
            kind: Cow::Owned(kind.to_string()),
            attrs: attrs
                .iter()
                .map(|&(k, v)| (Cow::Borrowed(k), Cow::Borrowed(v)))
                .collect(),
        }
    }

    fn edge(
        key: &str,
        from: &str,
        to: &str,
        attrs: &[(&'static str, &'static str)],
    ) -> EdgeRecord<'static> {
        EdgeRecord {
            key: Cow::Owned(key.to_string()),
            category: Category::Used,
            kind: Cow::Borrowed("read"),
            sender: Cow::Owned(from.to_string()),
            receiver: Cow::Owned(to.to_string()),
            sender_kind: None,
            receiver_kind: None,
            attrs: attrs
                .iter()
                .map(|&(k, v)| (Cow::Borrowed(k), Cow::Borrowed(v)))
                .collect(),
        }
    }

    #[test]
    fn an_edge_before_its_vertices_is_completed_when_they_arrive() {
        let mut g = ProvGraph::new();
        g.add_edge(&edge("e1", "f", "t", &[("cf:id", "\"7\"")]));
        assert_eq!(g.counts().dangling_edges, 1);
        assert_eq!(g.counts().nodes, 0);
        g.add_node(&node(
            "f",
            "file",
            &[("cf:id", "\"5\""), ("cf:version", "1")],
        ));
        let mut task = node("t", "task", &[("cf:id", "\"9\"")]);
        task.class = ProvClass::Activity;
        g.add_node(&task);
        let c = g.counts();
        assert_eq!((c.nodes, c.edges, c.dangling_edges), (2, 1, 0));
        let f = g.find_node(&ElementKey::parse("f")).expect("file");
        assert_eq!(g.node(f).version, 1);
        assert_eq!(g.versions(f), &[f]);
        assert_eq!(g.node_kind(f), "file");
    }

    #[test]
    fn repeats_merge_and_never_overwrite() {
        let mut g = ProvGraph::new();
        g.add_node(&node("f", "file", &[("cf:id", "\"5\""), ("cf:uid", "0")]));
        g.add_node(&node("f", "file", &[("cf:uid", "1"), ("cf:gid", "2")]));
        g.add_edge(&edge("e", "f", "f", &[("cf:flags", "\"0\"")]));
        g.add_edge(&edge("e", "f", "f", &[("cf:offset", "\"9\"")]));
        let f = g.find_node(&ElementKey::parse("f")).expect("file");
        assert_eq!(g.node_attr(f, "cf:uid"), Some("0"));
        assert_eq!(g.node_attr(f, "cf:gid"), Some("2"));
        let e = g.find_edge(&ElementKey::parse("e")).expect("edge");
        assert_eq!(g.edge_attr(e, "cf:offset"), Some("\"9\""));
        assert_eq!((g.merged_nodes(), g.merged_edges()), (1, 1));
        assert_eq!(g.counts().edges, 1);
    }

    #[test]
    fn versions_are_ordered_whatever_the_arrival_order() {
        let mut g = ProvGraph::new();
        for (key, v) in [("a2", "2"), ("a0", "0"), ("a1", "1")] {
            g.add_node(&node(key, "file", &[("cf:id", "\"5\""), ("cf:version", v)]));
        }
        let a1 = g.find_node(&ElementKey::parse("a1")).expect("a1");
        let order: Vec<u32> = g.versions(a1).iter().map(|&n| g.node(n).version).collect();
        assert_eq!(order, [0, 1, 2]);
        assert_eq!(g.object_count(), 1);
    }
}
