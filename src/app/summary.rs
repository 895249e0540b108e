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
    let counts = g.counts();
    let mut families = vec![0u64; Family::ALL.len()];
    let mut degree: hashbrown::HashMap<ObjectId, u64> = hashbrown::HashMap::new();
    for e in g.edge_ids() {
        if g.edge(e).derived {
            continue;
        }
        let f = g.edge(e).family;
        if let Some(i) = Family::ALL.iter().position(|&x| x == f) {
            families[i] += 1;
        }
        let (a, b) = g.endpoints(e);
        *degree.entry(g.node(a).object).or_default() += 1;
        *degree.entry(g.node(b).object).or_default() += 1;
    }
    let mut top: Vec<(ObjectId, u64)> = degree.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    top.truncate(10);
    Summary {
        counts,
        families: Family::ALL.iter().map(|f| f.name()).zip(families).collect(),
        top_talkers: top,
    }
}
