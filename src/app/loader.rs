//! Loading traces off the UI thread: the loader reads each trace into its own graph and
//! reports progress, so the UI keeps answering keys while a large trace loads, then hands
//! over the finished graph.

use crate::app::search::SearchIndex;
use crate::app::summary::{Summary, summarize};
use crate::capture::camflow::input::open_trace;
use crate::capture::camflow::{LoadReport, ReaderOptions, TraceReader};
use crate::graph::ProvGraph;
use crate::graph::catalog::TypeGroup;
use std::time::{Duration, Instant};

/// How often progress is reported.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// News from the loader.
#[derive(Debug)]
pub enum LoadEvent {
    /// Bytes of input consumed so far, and the total when known.
    Progress {
        /// Raw bytes read.
        read: u64,
        /// Sum of the file sizes, when known.
        total: Option<u64>,
    },
    /// Loading finished.
    Done(Box<Loaded>),
    /// Loading failed; the message says why.
    Failed(String),
}

/// A finished load, with what the UI derives from it computed here, off its thread.
pub struct Loaded {
    /// The graph of every trace.
    pub graph: ProvGraph,
    /// Their combined report.
    pub report: LoadReport,
    /// Objects by class and type.
    pub catalog: Vec<TypeGroup>,
    /// Stats screen numbers.
    pub summary: Summary,
    /// The search index.
    pub index: SearchIndex,
    /// The order of events, for replay.
    pub timeline: crate::graph::timeline::Timeline,
    /// The index that moves the catalog with the time cursor (made here so that the
    /// first time key does not pay for it).
    pub catalog_index: Option<crate::graph::catalog_as_of::CatalogAsOf>,
}

impl std::fmt::Debug for Loaded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Loaded({:?})", self.graph)
    }
}

impl Loaded {
    /// Derives catalog, summary, search index and timeline from a loaded graph.
    pub fn new(graph: ProvGraph, report: LoadReport) -> Loaded {
        let catalog = graph.catalog();
        let timeline = crate::graph::timeline::Timeline::build(&graph);
        Loaded {
            catalog_index: crate::graph::catalog_as_of::CatalogAsOf::new(&catalog, &timeline),
            catalog,
            summary: summarize(&graph),
            index: SearchIndex::build(&graph),
            timeline,
            graph,
            report,
        }
    }
}

/// Loads `paths` into one graph, calling `send` with progress and the outcome. Stops
/// early when `send` returns false (the UI went away).
pub fn load(paths: &[String], send: &dyn Fn(LoadEvent) -> bool) {
    match load_inner(paths, send) {
        Ok(Some(loaded)) => {
            send(LoadEvent::Done(Box::new(loaded)));
        }
        Ok(None) => {}
        Err(message) => {
            send(LoadEvent::Failed(message));
        }
    }
}

/// Loads a trace held in memory (the bundled demo).
pub fn load_bytes(bytes: &[u8], send: &dyn Fn(LoadEvent) -> bool) {
    let mut graph = ProvGraph::new();
    let mut reader = TraceReader::new(bytes, ReaderOptions::default());
    loop {
        match reader.step(&mut graph) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                send(LoadEvent::Failed(e.to_string()));
                return;
            }
        }
    }
    let report = reader.finish();
    send(LoadEvent::Done(Box::new(Loaded::new(graph, report))));
}

fn load_inner(
    paths: &[String],
    send: &dyn Fn(LoadEvent) -> bool,
) -> Result<Option<Loaded>, String> {
    let mut graph = ProvGraph::new();
    let mut total_report = LoadReport::default();
    let mut done_bytes = 0u64;
    let mut inputs = Vec::new();
    for path in paths {
        inputs.push((path, open_trace(path).map_err(|e| e.to_string())?));
    }
    let total: Option<u64> = inputs.iter().map(|(_, i)| i.size).sum();
    let mut last = Instant::now();
    for (path, input) in inputs {
        let consumed = input.consumed.clone();
        let mut reader = TraceReader::new(input.reader, ReaderOptions::default());
        let mut steps = 0u32;
        loop {
            let more = reader
                .step(&mut graph)
                .map_err(|e| format!("cannot read '{path}': {e}"))?;
            if !more {
                break;
            }
            steps = steps.wrapping_add(1);
            if steps.is_multiple_of(256) && last.elapsed() >= PROGRESS_EVERY {
                last = Instant::now();
                let read = done_bytes + consumed.load(std::sync::atomic::Ordering::Relaxed);
                if !send(LoadEvent::Progress { read, total }) {
                    return Ok(None);
                }
            }
        }
        done_bytes += consumed.load(std::sync::atomic::Ordering::Relaxed);
        let report = reader.finish();
        if report.elements == 0 {
            return Err(format!("'{path}' holds no CamFlow provenance"));
        }
        total_report.absorb(&report);
    }
    Ok(Some(Loaded::new(graph, total_report)))
}
