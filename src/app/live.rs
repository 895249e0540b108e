//! The state of a live session: where the source stands, what was received but is not in
//! the graph yet (paused, or arriving faster than one step ingests), and the rate at which
//! elements arrive. `update_live` changes it; the status bar draws it.

use crate::app::filter_panel::FilterPanel;
use crate::graph::batch::Backlog;
use crate::graph::catalog::GrowingCatalog;
use std::collections::VecDeque;

/// Ticks per second (the run loop sends one every quarter second when live).
pub const TICKS_PER_SECOND: u64 = 4;

/// Records ingested per step at most (about 4 µs a record on an idle core, so ~10 ms), so
/// a burst never freezes a frame; the rest waits for the next step.
pub const INGEST_PER_STEP: usize = 2_500;
/// Wall time a step may take: on a machine whose cores are busy (a capture and its
/// workload on two cores) records cost more wall time, and the step ends here instead.
pub const INGEST_STEP_TIME: std::time::Duration = std::time::Duration::from_millis(2);
/// Objects the search index takes in per tick at most (each costs its label: a few µs),
/// and the wall time it may take, so that indexing a fast stream never holds a frame;
/// search lags a busy stream by a few ticks.
pub const INDEX_PER_TICK: usize = 2_000;
/// See [`INDEX_PER_TICK`].
pub const INDEX_STEP_TIME: std::time::Duration = std::time::Duration::from_millis(2);

/// Where the source stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceState {
    /// Records arrive (or may).
    Receiving,
    /// The source ended; everything received stays.
    Ended(String),
    /// The source broke; everything received stays.
    Broken(String),
}

/// Elements per second over the last few seconds, from per-tick counts.
#[derive(Clone, Debug, Default)]
pub struct Rate {
    ticks: VecDeque<u64>,
    current: u64,
}

impl Rate {
    /// Ticks the average spans (5 s).
    const SPAN: usize = 5 * TICKS_PER_SECOND as usize;

    /// Counts `n` elements in the current tick.
    pub fn add(&mut self, n: u64) {
        self.current += n;
    }

    /// Closes the current tick.
    pub fn tick(&mut self) {
        self.ticks.push_back(std::mem::take(&mut self.current));
        while self.ticks.len() > Self::SPAN {
            self.ticks.pop_front();
        }
    }

    /// Elements per second over the closed ticks.
    pub fn per_second(&self) -> u64 {
        if self.ticks.is_empty() {
            return 0;
        }
        self.ticks.iter().sum::<u64>() * TICKS_PER_SECOND / self.ticks.len() as u64
    }
}

/// A live session.
#[derive(Debug)]
pub struct LiveView {
    /// Where the source stands.
    pub source: SourceState,
    /// The view is frozen; records keep arriving into `waiting`.
    pub paused: bool,
    /// Received, not yet in the graph.
    pub waiting: Backlog,
    /// Records received in all.
    pub received: u64,
    /// Arrival rate.
    pub rate: Rate,
    /// Ticks so far.
    pub ticks: u64,
    /// The graph grew since counts, lists and the index were last refreshed.
    pub stale: bool,
    /// The last thing the source said (rotation, truncation).
    pub note: Option<String>,
    /// The capture's kernel counters (records, drops and filters by cause), when the
    /// source is this machine's capture.
    pub kernel: Vec<(&'static str, u64)>,
    /// The capture filters and what they do.
    pub filters: FilterPanel,
    /// Files new objects into the navigator's catalog at the cost of what is new.
    pub catalog: GrowingCatalog,
}

impl LiveView {
    /// A session whose source has not sent anything yet.
    pub fn new() -> LiveView {
        LiveView {
            source: SourceState::Receiving,
            paused: false,
            waiting: Backlog::default(),
            received: 0,
            rate: Rate::default(),
            ticks: 0,
            stale: false,
            note: None,
            kernel: Vec::new(),
            filters: FilterPanel::new(crate::policy::Policy::default(), None),
            catalog: GrowingCatalog::default(),
        }
    }
}

impl Default for LiveView {
    fn default() -> Self {
        LiveView::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_averages_closed_ticks() {
        let mut r = Rate::default();
        assert_eq!(r.per_second(), 0);
        r.add(100);
        r.tick();
        r.add(300);
        r.tick();
        // 400 elements in two quarter seconds.
        assert_eq!(r.per_second(), 800);
        for _ in 0..40 {
            r.tick();
        }
        assert_eq!(r.per_second(), 0, "old ticks fall out of the average");
    }
}
