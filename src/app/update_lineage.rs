//! The lineage screen's part of `update`: asking for a walk, taking its answer,
//! interrupting it (Esc), folding version chains. Walks run on the walk worker; the UI
//! thread only ever rebuilds rows.

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
        });
        effects
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

    /// Interrupts a walk still running (its screen is being left).
    pub(crate) fn cancel_walk(&mut self) -> Vec<Effect> {
        let running = self.lineage.as_ref().is_some_and(|v| v.result.is_none());
        if !running {
            return Vec::new();
        }
        self.walk_generation += 1;
        self.lineage = None;
        self.message = Some(String::from("lineage walk interrupted"));
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
