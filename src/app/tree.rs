//! Rows of the process tree screen: task objects indented under the task that cloned
//! them, collapsible.

use crate::graph::process_tree::ProcessTree;
use crate::graph::store::ObjectId;
use hashbrown::HashSet;

/// One row: a task object at a depth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeRow {
    /// The task.
    pub object: ObjectId,
    /// Nesting depth (roots are 0).
    pub depth: usize,
    /// Whether it has children (shown or folded).
    pub has_children: bool,
}

/// Flattens the tree, skipping children of folded tasks.
pub fn tree_rows(tree: &ProcessTree, folded: &HashSet<ObjectId>) -> Vec<TreeRow> {
    let mut rows = Vec::new();
    let mut stack: Vec<(ObjectId, usize)> = tree.roots.iter().rev().map(|&o| (o, 0)).collect();
    while let Some((o, depth)) = stack.pop() {
        let kids = tree.children_of(o);
        rows.push(TreeRow {
            object: o,
            depth,
            has_children: !kids.is_empty(),
        });
        if !folded.contains(&o) {
            stack.extend(kids.iter().rev().map(|&k| (k, depth + 1)));
        }
    }
    rows
}
