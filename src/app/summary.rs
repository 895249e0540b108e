//! The numbers behind the stats screen, computed once per load (by the loader, off the UI
//! thread): counts by type, edges by family, and the objects with the most edges.

use crate::graph::ProvGraph;
use crate::graph::family::Family;
use crate::graph::stats::GraphCounts;
use crate::graph::store::ObjectId;

/// Counts computed once per load for the stats screen.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Counts by type.
    pub counts: GraphCounts,
    /// Edges by family name.
    pub families: Vec<(&'static str, u64)>,
    /// Objects with the most edges, with their edge counts.
    pub top_talkers: Vec<(ObjectId, u64)>,
}

/// Counts for the stats screen, computed once per load.
pub fn summarize(g: &ProvGraph) -> Summary {
    // Kept as the graph grows: this costs the number of types and objects, not elements.
    let census = g.census();
    Summary {
        counts: g.counts(),
        families: Family::ALL
            .iter()
            .map(|f| f.name())
            .zip(census.families())
            .collect(),
        top_talkers: census.top_objects(10),
    }
}
