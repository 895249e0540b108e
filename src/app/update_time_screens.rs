//! The full-screen lists as of the time cursor: the process tree shows the tasks that
//! existed by then, the shared-state screen the writes and reads that had happened, and
//! the stats screen the counts of the graph as it was (counted on a worker, because that
//! costs a pass over the graph; the screen says which point its numbers are for).

use crate::app::effect::Effect;
use crate::app::relations;
use crate::app::state::{AppState, Screen};
use crate::app::summary::Summary;

impl AppState {
    /// After a move of the cursor: the lists on the screens that follow it.
    pub(crate) fn time_on_screens(&mut self) -> Vec<Effect> {
        if self.tree.is_some() {
            let here = self
                .tree_rows
                .get(self.tree_cursor.cursor)
                .map(|r| r.object);
            self.rebuild_tree();
            if let Some(i) = here.and_then(|o| self.tree_rows.iter().position(|r| r.object == o)) {
                self.tree_cursor
                    .set(i, self.tree_rows.len(), self.viewport.screen);
            }
        }
        if self.screen == Screen::Shared
            && let Some(n) = self.shared_of
        {
            self.shared_rows =
                relations::shared_rows(&self.graph, n, &|e| self.time.edge_visible(e));
            self.shared_cursor
                .clamp(self.shared_rows.len(), self.viewport.screen);
        }
        self.count_stats_as_of()
    }

    /// Asks for the stats as of the cursor when the stats screen shows and they are
    /// neither there nor on their way.
    pub(crate) fn count_stats_as_of(&mut self) -> Vec<Effect> {
        let Some(horizon) = self.time.horizon() else {
            return Vec::new();
        };
        let cursor = horizon.1;
        let counted = self
            .time
            .summary
            .as_ref()
            .is_some_and(|(c, _)| *c == cursor);
        if self.screen != Screen::Stats || counted || self.time.summary_asked == Some(cursor) {
            return Vec::new();
        }
        self.time.summary_asked = Some(cursor);
        self.time.summary_generation += 1;
        vec![Effect::Summary {
            generation: self.time.summary_generation,
            graph: self.graph.clone(),
            as_of: horizon,
        }]
    }

    /// The counts as of `cursor` arrived.
    pub(crate) fn summary_done(&mut self, generation: u64, cursor: usize, summary: Summary) {
        if generation == self.time.summary_generation {
            self.time.summary = Some((cursor, summary));
        }
    }

    /// The counts the stats screen shows, and what they describe: the whole graph at the
    /// end of time, else the last counts as of a cursor (which may lag a moving one).
    pub fn shown_summary(&self) -> (&Summary, SummaryScope) {
        match (self.time.cursor, &self.time.summary) {
            (None, _) => (&self.summary, SummaryScope::Whole),
            (Some(now), Some((at, s))) => (
                s,
                SummaryScope::AsOf {
                    at: *at,
                    counting: *at != now,
                },
            ),
            (Some(_), None) => (&self.summary, SummaryScope::Counting),
        }
    }
}

/// What the stats screen's numbers describe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SummaryScope {
    /// The whole graph.
    Whole,
    /// The graph as of `at` events; `counting` while newer counts are on their way.
    AsOf {
        /// Events shown when counted.
        at: usize,
        /// A newer count is on its way.
        counting: bool,
    },
    /// The whole graph, while the counts as of the cursor are on their way.
    Counting,
}
