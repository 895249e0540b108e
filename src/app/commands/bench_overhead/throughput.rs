//! The throughput rows of `bench overhead`: how many records per second the whole
//! pipeline (ring buffer, decoding, building, W3C into a file) sustains, with the
//! kernel's compression off, for two workloads. Repeated 1-byte reads, whose records the
//! builder folds into a few elements, measure what the pipeline takes in; a copy loop
//! (a read, then a write), where every record makes new relations and versions, measures
//! what it writes out. What the ring buffer could not hold is counted as dropped.

use super::session::{Options, Session};
use super::summary::THROUGHPUT_TARGET;
use super::worker::Worker;
use super::{ModeTotals, progress};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// How long the throughput worker runs.
const RUN: Duration = Duration::from_secs(2);

/// One throughput measurement.
#[derive(Debug, Serialize)]
pub struct Throughput {
    /// `reads` (repeated 1-byte reads) or `copy` (a 1-byte read and write taking turns).
    pub workload: &'static str,
    /// Records the pipeline consumed (decoded, built, written).
    pub records: u64,
    /// From the worker's start until the last record was consumed.
    pub seconds: f64,
    /// records / seconds: what the pipeline sustained.
    pub events_per_s: f64,
    /// System calls the worker made (each one a record offered to the kernel side).
    pub worker_calls: u64,
    /// Records the kernel side wrote into the ring buffer.
    pub kernel_events: u64,
    /// Records dropped because the ring buffer was full.
    pub dropped_ring_buffer_full: u64,
    /// Every non-zero kernel counter.
    pub kernel: BTreeMap<&'static str, u64>,
    /// Vertices and relations written (repeated reads compress to almost none).
    pub elements_written: u64,
    /// W3C bytes written.
    pub bytes_written: u64,
    /// At least [`THROUGHPUT_TARGET`] events/s.
    pub target_met: bool,
}

/// Runs one throughput measurement: repeated reads, or the copy loop when `copy`.
pub fn measure(worker: &mut Worker, output: &Path, copy: bool) -> anyhow::Result<Throughput> {
    let workload = if copy { "copy" } else { "reads" };
    progress(&format!(
        "throughput: {:.0} s of {}, captured",
        RUN.as_secs_f64(),
        if copy {
            "1-byte reads and writes taking turns"
        } else {
            "1-byte reads"
        }
    ));
    // Compression off: the loop's repeats would otherwise never leave the kernel.
    let session = Session::start(
        Options {
            filter_uid: None,
            compress: false,
        },
        output,
    )?;
    let started = Instant::now();
    let (worker_calls, _) = worker.spin(RUN, copy)?;
    let report = session.stop()?;
    std::fs::remove_file(output)?;
    let seconds = report
        .last_record
        .map_or(Duration::ZERO, |t| t.saturating_duration_since(started))
        .as_secs_f64()
        .max(1e-9);
    let mut totals = ModeTotals::default();
    totals.add(&report.tally);
    let events_per_s = report.tally.records as f64 / seconds;
    Ok(Throughput {
        workload,
        records: report.tally.records,
        seconds,
        events_per_s,
        worker_calls,
        kernel_events: totals.counter(0),
        dropped_ring_buffer_full: totals.counter(1),
        kernel: totals.kernel,
        elements_written: report.nodes + report.edges,
        bytes_written: report.tally.bytes,
        target_met: events_per_s >= THROUGHPUT_TARGET,
    })
}
