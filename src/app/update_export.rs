//! F6: what to export and in which formats. The bytes are made here (pure); writing
//! them is an effect. The lineage or paths shown are exported whole; otherwise the
//! selection with its relations (as of the time cursor) and their other ends.

use crate::app::effect::Effect;
use crate::app::state::{AppState, Screen};
use crate::capture::camflow::w3c_write::write_w3c_subset;
use crate::capture::dot::write_dot;
use crate::graph::store::{EdgeId, NodeId};
use petgraph::Direction;

impl AppState {
    /// The export of what is on screen, as an effect.
    pub(crate) fn export(&mut self) -> Vec<Effect> {
        let g = self.graph.clone();
        let path = self.path.as_ref().filter(|v| !v.paths().is_empty());
        let (what, nodes, edges): (&str, Vec<NodeId>, Vec<EdgeId>) = match &self.lineage {
            _ if self.screen == Screen::Path && path.is_some() => {
                let (nodes, edges) = path.map(|v| v.elements(&g)).unwrap_or_default();
                ("path", nodes, edges)
            }
            Some(v) if self.screen == Screen::Lineage && v.result.is_some() => {
                let l = v
                    .result
                    .as_ref()
                    .map(|l| (l.nodes.clone(), l.edges.clone()));
                let (nodes, edges) = l.unwrap_or_default();
                (
                    "lineage",
                    nodes.into_iter().map(|(n, _)| n).collect(),
                    edges,
                )
            }
            _ => {
                let Some(sel) = self.selected else {
                    self.message = Some(String::from("nothing to export: select an element"));
                    return Vec::new();
                };
                let mut nodes = vec![sel];
                let mut edges = Vec::new();
                for dir in [Direction::Incoming, Direction::Outgoing] {
                    // As of the time cursor: what the relations pane shows.
                    for (e, other) in g
                        .edges_of(sel, dir)
                        .filter(|&(e, _)| self.time.edge_visible(e))
                    {
                        edges.push(e);
                        nodes.push(other);
                    }
                }
                nodes.sort();
                nodes.dedup();
                ("selection", nodes, edges)
            }
        };
        self.exports += 1;
        let stem = format!("provscope-{what}-{}-{}", std::process::id(), self.exports);
        let mut dot = Vec::new();
        let mut w3c = Vec::new();
        // Writing into a Vec cannot fail.
        let _ = write_dot(&g, &stem, &nodes, &edges, &mut dot);
        let _ = write_w3c_subset(&g, &nodes, &edges, &mut w3c);
        vec![Effect::Export {
            files: vec![
                (format!("{stem}.dot"), dot),
                (format!("{stem}.w3c.log"), w3c),
            ],
        }]
    }

    /// The answer of an export.
    pub(crate) fn exported(&mut self, result: Result<Vec<String>, String>) {
        self.message = Some(match result {
            Ok(paths) => format!("exported {}", paths.join(" and ")),
            Err(e) => format!("export failed: {e}"),
        });
    }
}
