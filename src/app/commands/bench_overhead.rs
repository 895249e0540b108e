//! `provscope bench overhead`: what the capture costs the machine it records, measured as
//! LMbench does (null I/O, stat, open/close, fork, exec, sh, file create/delete: tight
//! loops, median µs/op over timed batches) beside CamFlow's published overhead, plus the
//! events per second the whole pipeline sustains into a file.
//!
//! Three modes run interleaved in one process, their order rotated each round so that the
//! machine's drift falls on all alike: vanilla (no program attached), capture-all (the
//! pipeline of `provscope capture` records the loops) and filtered-out (the probe is
//! attached and the pipeline runs, but the kernel filters the loops' user out). The loops
//! run in a forked worker process (worker.rs), the capture on a thread (session.rs).

mod loops;
mod program_cost;
mod session;
mod summary;
mod worker;

use crate::app::cli::{CommandResult, Failure};
use crate::capture::ebpf::probe::{COUNTER_NAMES, ProbeError, has_privilege};
use program_cost::{ProgramCost, StatsOn};
use serde::Serialize;
use session::{Options, Session, SessionReport};
use std::collections::BTreeMap;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use summary::{FILTERED_TARGET_PERCENT, Mode, Row, RowReport, THROUGHPUT_TARGET, rotation};
use worker::Worker;
pub use worker::Workload;

/// Timed batches per row, per mode, per round (after one warm-up batch).
const BATCHES: u32 = 5;

/// How long the throughput worker reads.
const THROUGHPUT_RUN: Duration = Duration::from_secs(2);

/// The user (and group) the worker drops to when provscope runs as root: `nobody`, so the
/// filtered-out mode's user filter hides the worker without hiding root's daemons.
const WORKER_ID: u32 = 65534;

/// Kernel counters summed over a mode's sessions.
#[derive(Debug, Default, Serialize)]
pub struct ModeTotals {
    /// Records the pipeline consumed.
    pub records: u64,
    /// W3C bytes written.
    pub bytes_written: u64,
    /// Records that could not be decoded.
    pub decode_errors: u64,
    /// Every non-zero kernel counter, by its report name.
    pub kernel: BTreeMap<&'static str, u64>,
}

impl ModeTotals {
    fn add(&mut self, report: &SessionReport) {
        self.records += report.records;
        self.bytes_written += report.bytes;
        self.decode_errors += report.decode_errors;
        for (name, n) in COUNTER_NAMES.iter().zip(&report.counters) {
            if *n > 0 {
                *self.kernel.entry(name).or_default() += n;
            }
        }
    }

    fn counter(&self, slot: usize) -> u64 {
        self.kernel.get(COUNTER_NAMES[slot]).copied().unwrap_or(0)
    }
}

/// The throughput measurement (kernel compression off, so that every read is a record).
#[derive(Debug, Serialize)]
pub struct Throughput {
    /// Records the pipeline consumed (decoded, built, written).
    pub records: u64,
    /// From the worker's start until the last record was consumed.
    pub seconds: f64,
    /// records / seconds: what the pipeline sustained.
    pub events_per_s: f64,
    /// 1-byte reads the worker made (each one a record offered to the kernel side).
    pub worker_reads: u64,
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

/// The whole result (printed as one JSON object with `--json`).
#[derive(Debug, Serialize)]
pub struct OverheadReport {
    /// Operations per timed batch of the null I/O rows.
    pub iterations: u64,
    /// Rounds of the three modes.
    pub rounds: u32,
    /// Timed batches per row, mode and round.
    pub batches_per_round: u32,
    /// How the filtered-out mode filters the worker.
    pub filter: String,
    /// Tracing BPF attachments that were not the benchmark's (at the start or the end):
    /// when not 0, every mode paid for them and the overheads are understated.
    pub foreign_tracing_links: usize,
    /// Median µs/op and overheads per row.
    pub rows: Vec<RowReport>,
    /// What the capture-all sessions consumed and the kernel counted.
    pub capture_all: ModeTotals,
    /// What the filtered-out sessions consumed and the kernel counted.
    pub filtered_out: ModeTotals,
    /// Time inside the capture's kernel programs per call, for the syscall rows (empty
    /// when the kernel refused run-time statistics).
    pub program_costs: Vec<ModeProgramCost>,
    /// Events per second into a file.
    pub throughput: Throughput,
}

/// The kernel programs' own cost while one workload ran in one mode.
#[derive(Debug, Serialize)]
pub struct ModeProgramCost {
    /// `capture-all` or `filtered-out`.
    pub mode: &'static str,
    /// The workload's row.
    pub row: &'static str,
    /// Each program called, busiest first.
    pub programs: Vec<ProgramCost>,
}

/// Removes the benchmark's scratch directory however the run ends.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes back dirty data on the scratch directory's file system, so that what one mode
/// wrote (the capture's output, the file rows) is not paid for by the next mode's loops.
fn settle(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        // SAFETY: syncfs on an fd we own, for the duration of the call.
        unsafe { libc::syncfs(d.as_raw_fd()) };
    }
}

/// Tracing BPF attachments already in place (another capture, a tracer): they run on the
/// same system calls, so with any of them "vanilla" is not vanilla.
fn foreign_tracing_links() -> usize {
    use aya::programs::links::LinkType;
    aya::programs::loaded_links()
        .filter_map(Result::ok)
        .filter(|l| {
            matches!(
                l.link_type(),
                Ok(LinkType::RawTracePoint
                    | LinkType::Tracing
                    | LinkType::PerfEvent
                    | LinkType::KProbeMulti
                    | LinkType::UProbeMulti)
            )
        })
        .count()
}

fn progress(text: &str) {
    eprintln!("provscope: bench overhead: {text}");
}

/// Runs the benchmark.
///
/// `only` narrows the workloads (all when empty).
pub fn run(iterations: u64, rounds: u32, only: &[Workload], json: bool) -> CommandResult {
    if !has_privilege() {
        return Err(Failure::other(ProbeError::Privilege));
    }
    let scratch = Scratch(
        std::env::temp_dir().join(format!("provscope-bench-overhead-{}", std::process::id())),
    );
    let work = scratch.0.join("work");
    std::fs::create_dir_all(&work).map_err(Failure::other)?;
    // SAFETY: geteuid cannot fail.
    let drop_to = (unsafe { libc::geteuid() } == 0).then_some((WORKER_ID, WORKER_ID));
    if drop_to.is_some() {
        std::os::unix::fs::chown(&work, Some(WORKER_ID), Some(WORKER_ID))
            .map_err(Failure::other)?;
    }
    let foreign_before = foreign_tracing_links();
    // Before any thread exists (the capture sessions start threads).
    let mut worker = Worker::spawn(&work, drop_to).map_err(Failure::other)?;
    let mut report =
        measure(&mut worker, &scratch.0, iterations, rounds, only).map_err(Failure::other)?;
    drop(worker);
    drop(scratch);
    report.foreign_tracing_links = foreign_before.max(foreign_tracing_links());
    if report.foreign_tracing_links > 0 {
        eprintln!(
            "provscope: warning: {} tracing BPF attachment(s) besides the benchmark's were in place (another capture?); every mode paid for them, so the overheads are understated",
            report.foreign_tracing_links
        );
    }
    if json {
        println!(
            "{}",
            serde_json::to_string(&report).map_err(Failure::other)?
        );
    } else {
        print_table(&report);
    }
    Ok(())
}

fn measure(
    worker: &mut Worker,
    scratch: &Path,
    iterations: u64,
    rounds: u32,
    only: &[Workload],
) -> anyhow::Result<OverheadReport> {
    let workloads: Vec<Workload> = Workload::ALL
        .into_iter()
        .filter(|w| only.is_empty() || only.contains(w))
        .collect();
    let output = &scratch.join("capture.w3c.log");
    let mut samples: Vec<[Vec<f64>; 3]> = vec![Default::default(); Row::ALL.len()];
    let mut capture_all = ModeTotals::default();
    let mut filtered_out = ModeTotals::default();
    for round in 0..rounds as usize {
        for mode in rotation(round) {
            progress(&format!("round {}/{rounds}: {}", round + 1, mode.name()));
            settle(scratch);
            let session = match mode {
                Mode::Vanilla => None,
                Mode::CaptureAll => Some(Session::start(
                    Options {
                        filter_uid: None,
                        compress: true,
                    },
                    output,
                )?),
                Mode::FilteredOut => Some(Session::start(
                    Options {
                        filter_uid: Some(worker.uid),
                        compress: true,
                    },
                    output,
                )?),
            };
            for &workload in &workloads {
                let values = worker.run(workload, workload.batch_ops(iterations), BATCHES)?;
                for (row, v) in workload.rows().iter().zip(values) {
                    let at = Row::ALL.iter().position(|r| r == row).unwrap_or(0);
                    samples[at][mode.index()].extend(v);
                }
            }
            if let Some(session) = session {
                let report = session.stop()?;
                // Unlinked before write-back, the output costs the next mode nothing.
                std::fs::remove_file(output)?;
                match mode {
                    Mode::CaptureAll => capture_all.add(&report),
                    _ => filtered_out.add(&report),
                }
            }
        }
    }
    let rows = Row::ALL
        .iter()
        .zip(&samples)
        .filter_map(|(row, s)| summary::row_report(*row, s))
        .collect();

    let program_costs = measure_program_costs(worker, output, iterations, &workloads)?;

    progress(&format!(
        "throughput: {:.0} s of 1-byte reads, captured",
        THROUGHPUT_RUN.as_secs_f64()
    ));
    settle(scratch);
    // Compression off: the loop's repeats would otherwise never leave the kernel.
    let session = Session::start(
        Options {
            filter_uid: None,
            compress: false,
        },
        output,
    )?;
    let started = Instant::now();
    let (worker_reads, _) = worker.spin(THROUGHPUT_RUN)?;
    let report = session.stop()?;
    let seconds = report
        .last_record
        .map_or(Duration::ZERO, |t| t.saturating_duration_since(started))
        .as_secs_f64()
        .max(1e-9);
    let mut totals = ModeTotals::default();
    totals.add(&report);
    let events_per_s = report.records as f64 / seconds;
    let throughput = Throughput {
        records: report.records,
        seconds,
        events_per_s,
        worker_reads,
        kernel_events: totals.counter(0),
        dropped_ring_buffer_full: totals.counter(1),
        kernel: totals.kernel,
        elements_written: report.nodes + report.edges,
        bytes_written: report.bytes,
        target_met: events_per_s >= THROUGHPUT_TARGET,
    };
    Ok(OverheadReport {
        iterations,
        rounds,
        batches_per_round: BATCHES,
        filter: format!(
            "kernel user filter on uid {} (the worker and every process it starts)",
            worker.uid
        ),
        foreign_tracing_links: 0,
        rows,
        capture_all,
        filtered_out,
        program_costs,
        throughput,
    })
}

/// The syscall rows once more per capturing mode with the kernel's run-time statistics
/// on (they slow every call down, so never during the timed batches above).
fn measure_program_costs(
    worker: &mut Worker,
    output: &Path,
    iterations: u64,
    workloads: &[Workload],
) -> anyhow::Result<Vec<ModeProgramCost>> {
    let Some(_stats) = StatsOn::start() else {
        progress("the kernel refused BPF run-time statistics: no program costs");
        return Ok(Vec::new());
    };
    let mut costs = Vec::new();
    for mode in [Mode::CaptureAll, Mode::FilteredOut] {
        progress(&format!("program cost: {}", mode.name()));
        let filter_uid = (mode == Mode::FilteredOut).then_some(worker.uid);
        let session = Session::start(
            Options {
                filter_uid,
                compress: true,
            },
            output,
        )?;
        for &workload in workloads {
            let [row] = workload.rows() else { continue };
            if !matches!(
                workload,
                Workload::NullRead | Workload::NullWrite | Workload::Stat | Workload::OpenClose
            ) {
                continue;
            }
            let before = program_cost::snapshot();
            worker.run(workload, workload.batch_ops(iterations), 1)?;
            let after = program_cost::snapshot();
            costs.push(ModeProgramCost {
                mode: mode.name(),
                row: row.name(),
                programs: program_cost::between(&before, &after),
            });
        }
        session.stop()?;
        std::fs::remove_file(output)?;
    }
    Ok(costs)
}

fn yes_no(met: bool) -> &'static str {
    if met { "yes" } else { "MISSED" }
}

fn print_table(r: &OverheadReport) {
    println!(
        "median µs/op over {} batches per mode ({} per round x {} rounds); filtered-out = {}",
        r.rows.first().map_or(0, |row| row.batches),
        r.batches_per_round,
        r.rounds,
        r.filter
    );
    if r.foreign_tracing_links > 0 {
        println!(
            "WARNING: {} tracing BPF attachment(s) besides the benchmark's were in place; every mode paid for them",
            r.foreign_tracing_links
        );
    }
    println!();
    println!(
        "{:<16} {:>9} {:>11} {:>9} {:>12} {:>9} {:>8}   {:<11} {:<9}",
        "row",
        "vanilla",
        "capture-all",
        "overhead",
        "filtered-out",
        "overhead",
        "CamFlow",
        "< CamFlow",
        "<= 5%"
    );
    for row in &r.rows {
        println!(
            "{:<16} {:>9.3} {:>11.3} {:>+8.1}% {:>12.3} {:>+8.1}% {:>+7.0}%   {:<11} {:<9}",
            row.name,
            row.vanilla_us,
            row.capture_all_us,
            row.capture_all_percent,
            row.filtered_out_us,
            row.filtered_out_percent,
            row.camflow_percent,
            yes_no(row.capture_all_target_met),
            yes_no(row.filtered_out_target_met),
        );
    }
    if !r.program_costs.is_empty() {
        println!();
        println!("time inside the capture's kernel programs per call (BPF run-time statistics):");
    }
    for c in &r.program_costs {
        let programs: Vec<String> = c
            .programs
            .iter()
            .map(|p| format!("{} {:.0} ns x {}", p.program, p.ns_per_call, p.calls))
            .collect();
        println!("  {:<16} {:<12} {}", c.row, c.mode, programs.join(", "));
    }
    let t = &r.throughput;
    println!();
    println!(
        "throughput: {:.0} events/s through the whole pipeline into a file, kernel compression off ({} records in {:.2} s; the worker made {} reads); target >= {:.0}/s: {}",
        t.events_per_s,
        t.records,
        t.seconds,
        t.worker_reads,
        THROUGHPUT_TARGET,
        yes_no(t.target_met)
    );
    println!(
        "            kernel: {} sent, {} dropped (ring buffer full); {} elements, {} bytes written",
        t.kernel_events, t.dropped_ring_buffer_full, t.elements_written, t.bytes_written
    );
    for (name, totals) in [
        ("capture-all", &r.capture_all),
        ("filtered-out", &r.filtered_out),
    ] {
        let counters: Vec<String> = totals
            .kernel
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        println!(
            "{name} sessions: {} records consumed ({} undecodable), {} bytes written; kernel: {}",
            totals.records,
            totals.decode_errors,
            totals.bytes_written,
            counters.join(", ")
        );
    }
    let missed: Vec<String> = r
        .rows
        .iter()
        .flat_map(|row| {
            let mut m = Vec::new();
            if !row.capture_all_target_met {
                m.push(format!("{} capture-all", row.name));
            }
            if !row.filtered_out_target_met {
                m.push(format!("{} filtered-out", row.name));
            }
            m
        })
        .chain((!t.target_met).then(|| String::from("throughput")))
        .collect();
    println!(
        "targets (capture-all below CamFlow, filtered-out <= {FILTERED_TARGET_PERCENT}%, >= {THROUGHPUT_TARGET:.0} events/s): {}",
        if missed.is_empty() {
            String::from("all met")
        } else {
            format!("missed: {}", missed.join(", "))
        }
    );
}
