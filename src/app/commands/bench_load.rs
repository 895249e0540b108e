//! `provscope bench load`: how fast a trace loads into the graph and how much memory the
//! graph takes, beside a bare serde_json parse (`serde_json::Value`, line by line) of the
//! same bytes. The trace is read into memory first so disk speed does not count.

use crate::app::cli::{CommandResult, Failure};
use crate::capture::camflow::input::decompress;
use crate::capture::camflow::{ReaderOptions, read_trace};
use crate::graph::ProvGraph;
use serde::Serialize;
use std::io::{Cursor, Read};
use std::time::Instant;

/// The benchmark's result (printed with `--json`).
#[derive(Debug, Serialize)]
pub struct LoadBench {
    /// Decompressed bytes of the trace.
    pub bytes: u64,
    /// Elements (vertices + relations) the trace defines.
    pub elements: u64,
    /// Seconds to read the trace into the graph.
    pub load_seconds: f64,
    /// MB/s (10^6 bytes) into the graph.
    pub load_mb_per_s: f64,
    /// Elements per second into the graph.
    pub load_elements_per_s: f64,
    /// Seconds for serde_json to parse every line into a `Value`.
    pub bare_parse_seconds: f64,
    /// MB/s of the bare parse.
    pub bare_parse_mb_per_s: f64,
    /// Load speed as a fraction of the bare parse speed.
    pub load_vs_bare: f64,
    /// Resident memory growth while the graph was built, in bytes.
    pub graph_rss_bytes: u64,
    /// The graph's own estimate of its heap use, in bytes.
    pub graph_heap_estimate_bytes: u64,
    /// Resident bytes per element.
    pub rss_bytes_per_element: f64,
    /// Trace bytes per element on disk (decompressed).
    pub disk_bytes_per_element: f64,
}

/// Resident set size of this process in bytes, from /proc, once the allocator (mimalloc,
/// see main.rs) has given back the memory it keeps after frees: otherwise memory freed
/// before a measurement and reused after it would hide what was allocated in between.
pub fn rss_bytes() -> u64 {
    // SAFETY: mi_collect only returns free memory to the system; any thread may call it.
    unsafe { libmimalloc_sys::mi_collect(true) };
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// Runs the benchmark.
pub fn run(trace: &str, json: bool) -> CommandResult {
    let raw = std::fs::read(trace)
        .map_err(|e| Failure::input(anyhow::anyhow!("cannot read '{trace}': {e}")))?;
    let (mut reader, _) = decompress(Cursor::new(raw)).map_err(Failure::input)?;
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes).map_err(Failure::input)?;
    drop(reader);

    let rss_before = rss_bytes();
    let started = Instant::now();
    let mut graph = ProvGraph::new();
    let report = read_trace(bytes.as_slice(), &ReaderOptions::default(), &mut graph)
        .map_err(Failure::input)?;
    let load = started.elapsed().as_secs_f64();
    let rss_after = rss_bytes();

    let started = Instant::now();
    let mut parsed = 0u64;
    for line in bytes.split(|&b| b == b'\n') {
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(line) {
            parsed += u64::from(!v.is_null());
            std::hint::black_box(v);
        }
    }
    let bare = started.elapsed().as_secs_f64();
    std::hint::black_box(parsed);

    let counts = graph.counts();
    let elements = counts.nodes + counts.edges;
    let size = bytes.len() as u64;
    let mb = size as f64 / 1e6;
    let rss = rss_after.saturating_sub(rss_before);
    let result = LoadBench {
        bytes: size,
        elements,
        load_seconds: load,
        load_mb_per_s: mb / load,
        load_elements_per_s: elements as f64 / load,
        bare_parse_seconds: bare,
        bare_parse_mb_per_s: mb / bare,
        load_vs_bare: bare / load,
        graph_rss_bytes: rss,
        graph_heap_estimate_bytes: graph.heap_bytes() as u64,
        rss_bytes_per_element: rss as f64 / elements.max(1) as f64,
        disk_bytes_per_element: size as f64 / elements.max(1) as f64,
    };
    if report.problems.total() > 0 {
        eprintln!(
            "provscope: warning: {} problem(s) while loading",
            report.problems.total()
        );
    }
    if json {
        println!(
            "{}",
            serde_json::to_string(&result).map_err(Failure::other)?
        );
    } else {
        println!("trace bytes             {:>14}", result.bytes);
        println!("elements                {:>14}", result.elements);
        println!(
            "load into graph         {:>10.1} MB/s  {:>12.0} elements/s  ({:.2} s)",
            result.load_mb_per_s, result.load_elements_per_s, load
        );
        println!(
            "bare serde_json parse   {:>10.1} MB/s  ({:.2} s)",
            result.bare_parse_mb_per_s, bare
        );
        println!("load / bare parse       {:>13.2}x", result.load_vs_bare);
        println!(
            "graph memory (RSS)      {:>14} bytes  {:.0} bytes/element",
            rss, result.rss_bytes_per_element
        );
        println!(
            "graph heap (estimate)   {:>14} bytes",
            result.graph_heap_estimate_bytes
        );
        println!(
            "trace on disk           {:>14.0} bytes/element",
            result.disk_bytes_per_element
        );
    }
    Ok(())
}
