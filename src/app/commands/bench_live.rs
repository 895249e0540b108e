//! `provscope bench live TRACE`: how fast a live session ingests while staying
//! responsive. The trace is parsed up front (as the feed thread would, into batches of
//! 4096 records), then handed to the real `update` as fast as it takes them, with a tick
//! after every few batches; every update call is timed. The rate is what the UI sustains
//! when the source is faster than it: the number to compare with one frame (16 ms).

use crate::app::action::Msg;
use crate::app::cli::{CommandResult, Failure};
use crate::app::keymap::Keymap;
use crate::app::live::{LiveView, TICKS_PER_SECOND};
use crate::app::state::{AppState, LoadStatus};
use crate::capture::camflow::input::open_trace;
use crate::capture::camflow::{ReaderOptions, read_trace};
use crate::capture::transport::feed::FeedEvent;
use crate::graph::batch::RecordBatch;
use std::io::BufReader;
use std::time::{Duration, Instant};

/// Records per batch, as the feed sends them.
const BATCH: usize = 4096;
/// Batches between ticks (the feed sends one every 100 ms at most; a tick is 250 ms).
const BATCHES_PER_TICK: usize = 3;

/// Vertices and relations.
pub(crate) type GraphSize = (usize, usize);

/// The graph's size now.
pub(crate) fn graph_size(state: &AppState) -> GraphSize {
    (state.graph.node_count(), state.graph.edge_count())
}

/// Every update timed with the graph's size before and after it, to tie the slowest to
/// what grew.
#[derive(Default)]
pub(crate) struct Slowest(Vec<(Duration, &'static str, GraphSize, GraphSize)>);

impl Slowest {
    pub(crate) fn push(
        &mut self,
        took: Duration,
        what: &'static str,
        before: GraphSize,
        after: GraphSize,
    ) {
        self.0.push((took, what, before, after));
    }

    /// Prints the `n` slowest.
    pub(crate) fn print(&mut self, n: usize) {
        self.0.sort_by_key(|s| std::cmp::Reverse(s.0));
        for (took, what, (n0, e0), (n1, e1)) in self.0.iter().take(n) {
            println!(
                "slowest {what:<12} {:>7.2} ms: vertices {n0} -> {n1}, relations {e0} -> {e1}",
                ms(*took)
            );
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Prints the median, p99 and worst of a set of update times.
pub(crate) fn describe(what: &str, times: &mut [Duration]) {
    times.sort();
    let at = |p: f64| times[((times.len() - 1) as f64 * p) as usize];
    if times.is_empty() {
        return;
    }
    println!(
        "{what:<14} {:>6} calls: median {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms",
        times.len(),
        ms(at(0.5)),
        ms(at(0.99)),
        ms(at(1.0))
    );
}

/// A UI state as a live session starts it, before anything arrived.
pub(crate) fn live_state(source: &str) -> AppState {
    let mut state = AppState::new(source.to_string(), Keymap::default_keymap());
    state.live = Some(LiveView::new());
    state.load = LoadStatus::Done;
    state
}

/// Runs the benchmark.
pub fn run(trace: &str) -> CommandResult {
    let input = open_trace(trace).map_err(Failure::input)?;
    let mut all = RecordBatch::default();
    read_trace(
        BufReader::new(input.reader),
        &ReaderOptions::default(),
        &mut all,
    )
    .map_err(Failure::input)?;
    let total = all.len();
    let mut state = live_state(trace);
    let (mut feeds, mut ticks, mut refresh_ticks) = (Vec::new(), Vec::new(), Vec::new());
    let mut slowest = Slowest::default();
    let started = Instant::now();
    let mut sent = 0;
    while !all.is_empty() {
        let mut batch = RecordBatch::default();
        batch
            .records
            .extend(all.records.drain(..BATCH.min(all.len())));
        let t = Instant::now();
        state.update(Msg::Feed(FeedEvent::Batch {
            batch,
            report: Box::default(),
        }));
        feeds.push(t.elapsed());
        sent += 1;
        if sent % BATCHES_PER_TICK == 0 {
            let refreshes = state
                .live
                .as_ref()
                .map_or(0, |l| l.ticks + 1)
                .is_multiple_of(TICKS_PER_SECOND);
            let before = graph_size(&state);
            let t = Instant::now();
            state.update(Msg::Tick);
            let took = t.elapsed();
            slowest.push(took, "tick", before, graph_size(&state));
            if refreshes {
                refresh_ticks.push(took);
            } else {
                ticks.push(took);
            }
        }
    }
    // Catch up with what still waits.
    while state.live.as_ref().is_some_and(|l| !l.waiting.is_empty()) {
        let t = Instant::now();
        state.update(Msg::Tick);
        ticks.push(t.elapsed());
    }
    let t = Instant::now();
    state.update(Msg::Tick);
    ticks.push(t.elapsed());
    let elapsed = started.elapsed();
    println!(
        "{total} records ingested in {:.2} s: {:.0} records/s; graph {} vertices, {} relations",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        state.graph.node_count(),
        state.graph.edge_count()
    );
    describe("batch arrival", &mut feeds);
    describe("tick", &mut ticks);
    describe("tick+refresh", &mut refresh_ticks);
    slowest.print(3);
    Ok(())
}
