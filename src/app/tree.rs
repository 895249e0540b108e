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

/// Flattens the tree, skipping children of folded tasks and tasks `exists` says did not
/// exist yet (as of the time cursor; a task's children cannot be older than it, so its
/// subtree goes with it).
pub fn tree_rows(
    tree: &ProcessTree,
    folded: &HashSet<ObjectId>,
    exists: &dyn Fn(ObjectId) -> bool,
) -> Vec<TreeRow> {
    let mut rows = Vec::new();
    let mut stack: Vec<(ObjectId, usize)> = tree
        .roots
        .iter()
        .rev()
        .filter(|&&o| exists(o))
        .map(|&o| (o, 0))
        .collect();
    while let Some((o, depth)) = stack.pop() {
        let kids: Vec<ObjectId> = tree
            .children_of(o)
            .iter()
            .copied()
            .filter(|&k| exists(k))
            .collect();
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
