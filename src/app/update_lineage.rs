//! The lineage screen's part of `update`: asking for a walk, taking its answer,
//! interrupting it (Esc), folding version chains. Walks run on the walk worker; the UI
//! thread only ever rebuilds rows. Walks see the graph as of the time cursor.

use crate::app::effect::Effect;
use crate::app::lineage_view::{LineageView, UI_BUDGET};
use crate::app::state::{AppState, Screen};
use crate::graph::lineage::{Lineage, Way};
use crate::graph::store::NodeId;

impl AppState {
    /// Opens the lineage screen for the selection and asks for the walk.
    pub(crate) fn open_lineage(&mut self, way: Way) -> Vec<Effect> {
        let Some(root) = self.selected else {
            self.message = Some(String::from("select an element first"));
            return Vec::new();
        };
        let mut effects = self.cancel_walk();
        self.walk_generation += 1;
        self.lineage = Some(LineageView::pending(way, root, self.walk_generation));
        self.screen = Screen::Lineage;
        effects.push(Effect::Lineage {
            generation: self.walk_generation,
            graph: self.graph.clone(),
            roots: vec![root],
            way,
            budget: UI_BUDGET,
            as_of: self.time.horizon(),
        });
        effects
    }

    /// The time cursor moved: the lineage shown is walked again as of then (the old
    /// rows stay until the answer comes).
    pub(crate) fn rewalk_lineage(&mut self) -> Vec<Effect> {
        let Some((way, root)) = self.lineage.as_ref().map(|v| (v.way, v.root)) else {
            return Vec::new();
        };
        if !self.time.node_visible(root) {
            self.message = Some(String::from(
                "the lineage's start does not exist yet at this point in time",
            ));
            if let Some(v) = self.lineage.as_mut() {
                v.result = Some(Lineage {
                    roots: vec![root],
                    way,
                    nodes: Vec::new(),
                    edges: Vec::new(),
                    cut: None,
                    truncated_at: Vec::new(),
                });
                v.rows.clear();
                v.cursor = Default::default();
            }
            return Vec::new();
        }
        self.walk_generation += 1;
        let generation = self.walk_generation;
        if let Some(v) = self.lineage.as_mut() {
            v.generation = generation;
        }
        vec![Effect::Lineage {
            generation,
            graph: self.graph.clone(),
            roots: vec![root],
            way,
            budget: UI_BUDGET,
            as_of: self.time.horizon(),
        }]
    }

    /// Takes a walk's answer, if it is the newest one asked for.
    pub(crate) fn lineage_done(&mut self, generation: u64, lineage: Lineage) {
        let graph = self.graph.clone();
        if let Some(v) = self.lineage.as_mut().filter(|v| v.generation == generation) {
            v.result = Some(lineage);
            v.rebuild(&graph);
            v.cursor = Default::default();
        }
    }

    /// Interrupts a walk or path query still running (its screen is being left).
    pub(crate) fn cancel_walk(&mut self) -> Vec<Effect> {
        let walking = self.lineage.as_ref().is_some_and(|v| v.result.is_none());
        let finding = self.path.as_ref().is_some_and(|v| v.result.is_none());
        if !walking && !finding {
            return Vec::new();
        }
        self.walk_generation += 1;
        if walking {
            self.lineage = None;
            self.message = Some(String::from("lineage walk interrupted"));
        }
        if finding {
            self.path = None;
            self.message = Some(String::from("path query interrupted"));
        }
        vec![Effect::CancelWalk {
            generation: self.walk_generation,
        }]
    }

    /// The vertex under the lineage cursor.
    pub(crate) fn lineage_cursor_node(&self) -> Option<NodeId> {
        let v = self.lineage.as_ref()?;
        v.rows.get(v.cursor.cursor).map(|r| r.node)
    }

    /// Right / Left on a row: show or fold the versions folded into it.
    pub(crate) fn unfold_lineage_row(&mut self, open: bool) {
        let graph = self.graph.clone();
        let Some(v) = self.lineage.as_mut() else {
            return;
        };
        let Some(row) = v.rows.get(v.cursor.cursor).copied() else {
            return;
        };
        let object = graph.node(row.node).object;
        let changed = if open {
            row.folded_versions > 0 && v.unfolded.insert(object)
        } else {
            v.unfolded.remove(&object)
        };
        if changed {
            v.rebuild(&graph);
        }
    }
}
