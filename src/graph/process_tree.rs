//! The process tree, built from `clone` relations rather than parent pids: a task's parent
//! is the task that cloned it, so the tree survives reparenting and keeps exited tasks.

use crate::graph::store::{ObjectId, ProvGraph};
use hashbrown::HashMap;

/// Parent and children of task objects.
#[derive(Clone, Debug, Default)]
pub struct ProcessTree {
    /// Tasks no recorded clone created, in arrival order.
    pub roots: Vec<ObjectId>,
    /// Children of each task, in arrival order.
    pub children: HashMap<ObjectId, Vec<ObjectId>>,
}

impl ProcessTree {
    /// Children of a task (empty when none).
    pub fn children_of(&self, o: ObjectId) -> &[ObjectId] {
        self.children.get(&o).map_or(&[], Vec::as_slice)
    }
}

impl ProvGraph {
    /// Builds the tree of task objects from `clone` edges.
    pub fn process_tree(&self) -> ProcessTree {
        let mut parent: HashMap<ObjectId, ObjectId> = HashMap::new();
        let mut tree = ProcessTree::default();
        for e in self.edge_ids() {
            if self.edge_kind(e) != "clone" {
                continue;
            }
            let (from, to) = self.endpoints(e);
            let (p, c) = (self.node(from).object, self.node(to).object);
            if p == c || parent.contains_key(&c) || self.is_ancestor(&parent, c, p) {
                continue;
            }
            parent.insert(c, p);
            tree.children.entry(p).or_default().push(c);
        }
        for i in 0..self.object_count() {
            let o = ObjectId(u32::try_from(i).unwrap_or(u32::MAX));
            let Some(&first) = self.object(o).versions.first() else {
                continue;
            };
            if self.node_kind(first) == "task" && !parent.contains_key(&o) {
                tree.roots.push(o);
            }
        }
        for kids in tree.children.values_mut() {
            kids.sort();
        }
        tree
    }

    /// True when `a` is `b` or an ancestor of `b`: a clone edge that would close a
    /// cycle (possible in hostile input) is ignored.
    fn is_ancestor(&self, parent: &HashMap<ObjectId, ObjectId>, a: ObjectId, b: ObjectId) -> bool {
        let mut cur = Some(b);
        while let Some(x) = cur {
            if x == a {
                return true;
            }
            cur = parent.get(&x).copied();
        }
        false
    }
}
