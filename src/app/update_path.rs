//! The path query's part of `update`: marking a start, asking for a target (the
//! selection, or a selector typed at the prompt), sending the query to the walk worker
//! (Esc interrupts it), and taking its answer. Queries see the graph as of the time
//! cursor, and are asked again when it moves.

use crate::app::effect::Effect;
use crate::app::keymap::Mode;
use crate::app::path_view::{PATH_BUDGET, PathTarget, PathView};
use crate::app::prompt::{Prompt, PromptKind};
use crate::app::state::{AppState, Screen};
use crate::graph::selector::Selector;
use crate::graph::store::{EdgeId, NodeId};
use crate::text::sanitize_capped;

impl AppState {
    /// `m`: the selection becomes the start of path queries.
    pub(crate) fn mark_path_start(&mut self) {
        let Some(n) = self.selected else {
            self.message = Some(String::from(
                "select an element to mark as the path's start",
            ));
            return;
        };
        self.path_mark = Some(n);
        let key = self
            .keymap
            .keys_for(Mode::Normal, crate::app::action::Action::FindPath)
            .into_iter()
            .next()
            .unwrap_or_default();
        self.message = Some(format!(
            "path start: {} ({key}: find paths to a target)",
            sanitize_capped(&self.graph.node_label(n), 40)
        ));
    }

    /// `M`: asks for the target.
    pub(crate) fn ask_path_target(&mut self) {
        if self.path_mark.is_none() {
            self.message = Some(String::from(
                "mark the path's start first: select it and press m",
            ));
            return;
        }
        self.prompt = Some(Prompt {
            kind: PromptKind::PathTarget,
            text: String::new(),
        });
        self.mode = Mode::Prompt;
    }

    /// The prompt's answer: empty for the selection, else a selector.
    pub(crate) fn find_path_to(&mut self, text: &str) -> Vec<Effect> {
        let Some(from) = self.path_mark else {
            return Vec::new();
        };
        let text = text.trim();
        let (target, label) = if text.is_empty() {
            let Some(to) = self.selected else {
                self.message = Some(String::from("select a target, or type a selector"));
                return Vec::new();
            };
            let label = self.graph.node_label(to);
            (PathTarget::Nodes(self.graph.versions(to).to_vec()), label)
        } else {
            match text.parse::<Selector>() {
                Ok(sel) => (PathTarget::Selector(sel), text.to_string()),
                Err(e) => {
                    self.message = Some(crate::text::sanitize(&e.to_string()));
                    return Vec::new();
                }
            }
        };
        let mut effects = self.cancel_walk();
        self.walk_generation += 1;
        self.path = Some(PathView {
            from,
            sources: Vec::new(),
            target,
            target_label: label,
            generation: self.walk_generation,
            result: None,
            rows: Vec::new(),
            cursor: Default::default(),
        });
        self.screen = Screen::Path;
        effects.extend(self.path_effect());
        effects
    }

    /// The time cursor moved: the paths shown are asked for again as of then.
    pub(crate) fn rerun_path(&mut self) -> Vec<Effect> {
        if self.path.is_none() {
            return Vec::new();
        }
        self.walk_generation += 1;
        let generation = self.walk_generation;
        if let Some(v) = self.path.as_mut() {
            v.generation = generation;
        }
        self.path_effect()
    }

    /// The query for the path screen: from every version of the marked object that
    /// exists by the time cursor, to the target's.
    fn path_effect(&mut self) -> Vec<Effect> {
        let Some(v) = self.path.as_ref() else {
            return Vec::new();
        };
        let sources = self.visible_versions(v.from);
        let target = match &v.target {
            PathTarget::Nodes(nodes) => PathTarget::Nodes(
                nodes
                    .iter()
                    .copied()
                    .filter(|&n| self.time.node_visible(n))
                    .collect(),
            ),
            other => other.clone(),
        };
        let generation = v.generation;
        if let Some(v) = self.path.as_mut() {
            v.sources.clone_from(&sources);
        }
        vec![Effect::Path {
            generation,
            graph: self.graph.clone(),
            from: sources,
            to: target,
            as_of: self.time.horizon(),
            budget: PATH_BUDGET,
        }]
    }

    /// A query's answer, if it is the newest one asked for.
    pub(crate) fn path_done(&mut self, generation: u64, paths: Result<Vec<Vec<EdgeId>>, String>) {
        let graph = self.graph.clone();
        if let Some(v) = self.path.as_mut().filter(|v| v.generation == generation) {
            v.result = Some(paths);
            v.rebuild(&graph);
            v.cursor.clamp(v.rows.len(), self.viewport.screen.max(1));
        }
    }

    /// The vertex under the path screen's cursor.
    pub(crate) fn path_cursor_node(&self) -> Option<NodeId> {
        self.path.as_ref().and_then(PathView::cursor_node)
    }
}
