//! The numbers behind the stats screen: counts by type, edges by family, and the objects
//! with the most edges. For the whole graph they come from the running census (cheap at
//! any size); as of the time cursor they are counted again from the timeline, off the UI
//! thread (the walk worker), because that costs a pass over the graph.

use crate::graph::ProvGraph;
use crate::graph::census::Census;
use crate::graph::family::Family;
use crate::graph::stats::GraphCounts;
use crate::graph::store::ObjectId;
use crate::graph::timeline::AsOf;

/// Top talkers listed.
const TOP_TALKERS: usize = 10;

/// Counts for the stats screen.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Counts by type.
    pub counts: GraphCounts,
    /// Edges by family name.
    pub families: Vec<(&'static str, u64)>,
    /// Objects with the most edges, with their edge counts.
    pub top_talkers: Vec<(ObjectId, u64)>,
}

/// Counts for the stats screen, of the whole graph.
pub fn summarize(g: &ProvGraph) -> Summary {
    // Kept as the graph grows: this costs the number of types and objects, not elements.
    summary_of(g, g.census())
}

/// Counts for the stats screen as of a point of the timeline; None when `stop` said so.
pub fn summarize_as_of(g: &ProvGraph, as_of: AsOf<'_>, stop: &dyn Fn() -> bool) -> Option<Summary> {
    g.census_as_of(as_of, stop).map(|c| summary_of(g, &c))
}

fn summary_of(g: &ProvGraph, census: &Census) -> Summary {
    Summary {
        counts: g.counts_of(census),
        families: Family::ALL
            .iter()
            .map(|f| f.name())
            .zip(census.families())
            .collect(),
        top_talkers: census.top_objects(TOP_TALKERS),
    }
}
