//! `update` for live sessions: batches from the feed wait, then enter the graph a bounded
//! step at a time (never while the view is paused or a walk still reads the graph); counts,
//! navigator rows, relations and the search index follow once a second, each at the cost
//! of what is new, keeping the selection, the cursor's row and its scroll position where
//! the user left them.

use crate::app::live::{
    INDEX_PER_TICK, INDEX_STEP_TIME, INGEST_PER_STEP, INGEST_STEP_TIME, SourceState,
    TICKS_PER_SECOND,
};
use crate::app::navigator::NavRow;
use crate::app::state::AppState;
use crate::app::summary::summarize;
use crate::capture::transport::feed::FeedEvent;
use crate::graph::ProvClass;
use crate::graph::store::{NodeId, ObjectId};

/// A navigator row by what it shows, which survives a catalog rebuild (group indices
/// move when a new type appears).
#[derive(Clone, Debug, PartialEq, Eq)]
enum RowIdentity {
    Class(ProvClass),
    Group(ProvClass, String),
    Object(ObjectId),
    Version(NodeId),
}

impl AppState {
    /// News from the feed.
    pub(crate) fn on_feed(&mut self, event: FeedEvent) {
        let Some(live) = self.live.as_mut() else {
            return;
        };
        match event {
            FeedEvent::Batch { mut batch, report } => {
                live.received += batch.len() as u64;
                live.rate.add(batch.len() as u64);
                live.waiting.append(&mut batch);
                self.report = *report;
            }
            FeedEvent::Note(note) => {
                self.message = Some(note.clone());
                live.note = Some(note);
            }
            FeedEvent::Counters(counters) => {
                live.filters.on_kernel_counters(&counters);
                live.kernel = counters;
            }
            FeedEvent::Filters(report) => {
                let new_note = report
                    .notes
                    .iter()
                    .find(|n| !live.filters.last.notes.contains(n));
                if let Some(note) = new_note {
                    self.message = Some(crate::text::sanitize(note));
                }
                live.filters.on_report(report);
            }
            FeedEvent::Policy(policy) => live.filters.adopt(policy),
            FeedEvent::Ended(why) => live.source = SourceState::Ended(why),
            FeedEvent::Broken(why) => live.source = SourceState::Broken(why),
        }
        let first = self.graph.node_count() == 0;
        self.ingest_waiting();
        // The first elements show at once; later ones with the next tick.
        if first {
            self.refresh_live();
        }
    }

    /// A quarter second passed.
    pub(crate) fn on_tick(&mut self) {
        let Some(live) = self.live.as_mut() else {
            return;
        };
        live.rate.tick();
        live.ticks += 1;
        // Counts and lists are rebuilt once a second (their cost grows with the graph);
        // the status bar's rate and backlog change every tick.
        let refresh = live.ticks.is_multiple_of(TICKS_PER_SECOND);
        self.ingest_waiting();
        if !refresh {
            self.index_new_objects();
        }
        if refresh {
            self.refresh_live();
        }
        self.dirty = true;
    }

    /// F5: freeze or thaw the view.
    pub(crate) fn toggle_pause(&mut self) {
        let Some(live) = self.live.as_mut() else {
            self.message = Some(String::from("pause is for live sessions"));
            return;
        };
        live.paused = !live.paused;
        if !live.paused {
            self.ingest_waiting();
            self.refresh_live();
        }
    }

    /// True when records wait and the view takes them (not paused): the run loop then
    /// keeps ingesting between events instead of waiting for the next tick.
    pub fn has_backlog(&self) -> bool {
        self.live
            .as_ref()
            .is_some_and(|l| !l.paused && !l.waiting.is_empty())
    }

    /// One bounded ingest step while the loop is idle.
    pub(crate) fn ingest_step(&mut self) {
        let first = self.graph.node_count() == 0;
        self.ingest_waiting();
        if first {
            self.refresh_live();
        }
    }

    /// Moves one step of waiting records into the graph, unless paused or shared.
    fn ingest_waiting(&mut self) {
        let Some(live) = self.live.as_mut() else {
            return;
        };
        if live.paused || live.waiting.is_empty() {
            return;
        }
        // A walk or an export still holding the graph keeps it as it was; the records
        // wait for the next step.
        let Some(graph) = std::sync::Arc::get_mut(&mut self.graph) else {
            return;
        };
        let deadline = std::time::Instant::now() + INGEST_STEP_TIME;
        let enough = || std::time::Instant::now() >= deadline;
        if live.waiting.ingest_until(graph, INGEST_PER_STEP, &enough) > 0 {
            live.stale = true;
        }
    }

    /// Makes a bounded step of indexing new objects for search (not while a search still
    /// reads the index: the next tick does it).
    fn index_new_objects(&mut self) {
        if let Some(index) = std::sync::Arc::get_mut(&mut self.search.index) {
            let deadline = std::time::Instant::now() + INDEX_STEP_TIME;
            index.extend_by(&self.graph, INDEX_PER_TICK, &|| {
                std::time::Instant::now() >= deadline
            });
        }
    }

    /// Recomputes what derives from the graph after it grew.
    fn refresh_live(&mut self) {
        let Some(live) = self.live.as_mut() else {
            return;
        };
        if !live.stale || live.paused {
            return;
        }
        live.stale = false;
        let here = self
            .nav_rows
            .get(self.nav.cursor)
            .map(|&r| identity_of(&self.catalog, r));
        let open_kinds: Vec<(ProvClass, String)> = self
            .expansion
            .open_groups
            .iter()
            .filter_map(|&i| self.catalog.get(i))
            .map(|t| (t.class, t.kind.clone()))
            .collect();
        // Both cost what is new (and the number of types and objects), not the graph.
        // New objects go into the whole catalog, which the time cursor then filters.
        self.time.catalog_index = None;
        if let Some(full) = self.time.full_catalog.take() {
            self.catalog = full;
        }
        live.catalog.extend(&self.graph, &mut self.catalog);
        self.summary = summarize(&self.graph);
        self.expansion.open_groups = self
            .catalog
            .iter()
            .enumerate()
            .filter(|(_, t)| {
                open_kinds
                    .iter()
                    .any(|(c, k)| *c == t.class && *k == t.kind)
            })
            .map(|(i, _)| i)
            .collect();
        self.index_new_objects();
        let offset = self.nav.offset;
        self.rebuild_nav();
        if let Some(row) = here.and_then(|id| {
            self.nav_rows
                .iter()
                .position(|&r| identity_of(&self.catalog, r) == id)
        }) {
            self.nav.cursor = row;
            // Keep the row where it was on screen when that is still possible.
            self.nav.offset = offset.min(row);
            self.nav
                .clamp(self.nav_rows.len(), self.viewport.navigator.max(1));
        }
        match self.selected {
            Some(n) => {
                self.relation_rows = self.visible_relations(n);
                self.relations
                    .clamp(self.relation_rows.len(), self.viewport.relations.max(1));
            }
            None => self.sync_selection_from_nav(),
        }
        self.after_growth();
        self.dirty = true;
    }
}

fn identity_of(catalog: &[crate::graph::catalog::TypeGroup], row: NavRow) -> RowIdentity {
    match row {
        NavRow::Class(c) => RowIdentity::Class(c),
        NavRow::Group(i) => catalog
            .get(i)
            .map_or(RowIdentity::Class(ProvClass::Entity), |t| {
                RowIdentity::Group(t.class, t.kind.clone())
            }),
        NavRow::Object(_, o) => RowIdentity::Object(o),
        NavRow::Version(n) => RowIdentity::Version(n),
    }
}
