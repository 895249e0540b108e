//! The node and relation type filters of a capture policy (`node_filter`,
//! `relation_filter`), applied where the builder makes elements: a filtered relation is
//! never made (so it never forces a new version), a filtered vertex is never written, nor
//! any relation touching it. What each filter drops is counted, in elements and in the
//! bytes they would have taken, beside what passes, for the filter panel's rates.

use crate::policy::simulate::Tally;
use std::collections::{BTreeMap, BTreeSet};

/// Type filters and their counts.
#[derive(Clone, Debug, Default)]
pub struct TypeFilter {
    nodes: BTreeSet<String>,
    relations: BTreeSet<String>,
    /// Dropped so far, by filter (`node_filter=path`, `relation_filter=read`).
    pub dropped: BTreeMap<String, Tally>,
    /// Written so far.
    pub passed: Tally,
}

impl TypeFilter {
    /// Replaces the filtered types (counts stay).
    pub fn set(&mut self, nodes: &BTreeSet<String>, relations: &BTreeSet<String>) {
        self.nodes.clone_from(nodes);
        self.relations.clone_from(relations);
    }

    /// The filter that drops a vertex of this type, if any.
    pub fn node_cause(&self, kind: &str) -> Option<String> {
        self.nodes
            .contains(kind)
            .then(|| format!("node_filter={kind}"))
    }

    /// The filter that drops a relation of this type between ends of these types, if
    /// any: its own type first, then its ends'.
    pub fn relation_cause(&self, kind: &str, from: &str, to: &str) -> Option<String> {
        if self.relations.contains(kind) {
            return Some(format!("relation_filter={kind}"));
        }
        self.node_cause(from).or_else(|| self.node_cause(to))
    }

    /// Counts an element that passed.
    pub fn pass(&mut self, bytes: usize) {
        self.passed.elements += 1;
        self.passed.bytes += bytes as u64;
    }

    /// Counts an element dropped by `cause`.
    pub fn drop(&mut self, cause: String, bytes: usize) {
        let t = self.dropped.entry(cause).or_default();
        t.elements += 1;
        t.bytes += bytes as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relation_is_charged_to_its_own_type_first() {
        let mut f = TypeFilter::default();
        let nodes = BTreeSet::from([String::from("path")]);
        let relations = BTreeSet::from([String::from("named")]);
        f.set(&nodes, &relations);
        assert_eq!(
            f.relation_cause("named", "path", "file").as_deref(),
            Some("relation_filter=named")
        );
        assert_eq!(
            f.relation_cause("read", "path", "task").as_deref(),
            Some("node_filter=path")
        );
        assert_eq!(f.relation_cause("read", "file", "task"), None);
        assert_eq!(f.node_cause("task"), None);
    }
}
