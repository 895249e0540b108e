//! `provscope bench overhead`: what the capture costs the machine it records, measured as
//! LMbench does (null I/O, stat, open/close, fork, exec, sh, file create/delete: tight
//! loops, median µs/op over timed batches) beside CamFlow's published overhead, plus the
//! events per second the whole pipeline sustains into a file.
//!
//! Three modes take turns batch by batch in one process, their order rotated each turn:
//! vanilla (no program attached), capture-all (the pipeline of `provscope capture`
//! records the loops) and filtered-out (the probe is attached and the pipeline runs, but
//! the kernel filters the loops' user out). A row's overhead is the median of each
//! batch's ratio to the vanilla batch of its turn, so that the machine's drift cancels.
//! The loops run in a forked worker process (worker.rs) pinned to one CPU, in a
//! journaled ext4 made for the run (work_fs.rs); the capture on a thread (session.rs) on
//! the other CPUs (pinning.rs).

mod loops;
mod pinning;
mod program_cost;
mod session;
mod summary;
mod table;
mod throughput;
mod work_fs;
mod worker;

use crate::app::cli::{CommandResult, Failure};
use crate::capture::ebpf::probe::{COUNTER_NAMES, ProbeError, has_privilege};
use pinning::Pinning;
use program_cost::{ProgramCost, StatsOn};
use serde::Serialize;
use session::{Options, Session, Tally};
use std::collections::BTreeMap;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use summary::{Mode, Row, RowReport, rotation};
use throughput::Throughput;
use work_fs::WorkFs;
use worker::Worker;
pub use worker::Workload;

/// Timed batches per row, per mode, per round (after one warm-up batch).
const BATCHES: u32 = 5;

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
    fn add(&mut self, tally: &Tally) {
        self.records += tally.records;
        self.bytes_written += tally.bytes;
        self.decode_errors += tally.decode_errors;
        for (name, n) in COUNTER_NAMES.iter().zip(&tally.counters) {
            if *n > 0 {
                *self.kernel.entry(name).or_default() += n;
            }
        }
    }

    fn counter(&self, slot: usize) -> u64 {
        self.kernel.get(COUNTER_NAMES[slot]).copied().unwrap_or(0)
    }
}

/// The whole result (printed as one JSON object with `--json`).
#[derive(Debug, Serialize)]
pub struct OverheadReport {
    /// Operations per timed batch of the null I/O rows.
    pub iterations: u64,
    /// Rounds of the four modes.
    pub rounds: u32,
    /// Timed batches per row, mode and round.
    pub batches_per_round: u32,
    /// How the filtered-out mode filters the worker.
    pub filter: String,
    /// The file system the loops ran in (the file rows time it as much as the capture).
    pub work_fs: String,
    /// Which CPUs the worker and the capture ran on.
    pub pinning: String,
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
    /// Records per second into a file, from repeated reads (the builder folds them).
    pub throughput: Throughput,
    /// Records per second into a file, from a copy loop (every record new relations).
    pub copy_throughput: Throughput,
}

/// The kernel programs' own cost while one workload ran in one mode.
#[derive(Debug, Serialize)]
pub struct ModeProgramCost {
    /// `capture-all` or `filtered-out`.
    pub mode: &'static str,
    /// The workload's row (its rows, joined by " + ", for create and delete).
    pub row: String,
    /// Each program called, busiest first.
    pub programs: Vec<ProgramCost>,
    /// Time inside all of them per operation of the workload (per file created and
    /// deleted, for create + delete), in nanoseconds.
    pub ns_per_op: f64,
}

/// Removes the benchmark's scratch directory however the run ends.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes back dirty data on the file systems of `dirs` (the capture's output, the
/// worker's files), so that what one mode wrote is not paid for by the next mode's loops.
fn settle(dirs: &[&Path]) {
    for dir in dirs {
        if let Ok(d) = std::fs::File::open(dir) {
            // SAFETY: syncfs on an fd we own, for the duration of the call.
            unsafe { libc::syncfs(d.as_raw_fd()) };
        }
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

/// What to run and where.
pub struct Plan<'a> {
    /// Operations per timed batch of the null I/O rows.
    pub iterations: u64,
    /// Rounds of the four modes.
    pub rounds: u32,
    /// The workloads to run (all when empty).
    pub only: &'a [Workload],
    /// Run the loops in this directory's file system instead of a journaled ext4 made
    /// for the run.
    pub dir: Option<&'a Path>,
}

/// Runs the benchmark.
pub fn run(plan: &Plan, json: bool) -> CommandResult {
    if !has_privilege() {
        return Err(Failure::other(ProbeError::Privilege));
    }
    let scratch = Scratch(
        std::env::temp_dir().join(format!("provscope-bench-overhead-{}", std::process::id())),
    );
    std::fs::create_dir_all(&scratch.0).map_err(Failure::other)?;
    // Ctrl-C ends the run at the next batch, through the clean-up below.
    super::interrupt::install();
    if plan.dir.is_none() {
        work_fs::private_mounts();
    }
    let work_fs = WorkFs::prepare(&scratch.0, plan.dir).map_err(Failure::other)?;
    // SAFETY: geteuid cannot fail.
    let drop_to = (unsafe { libc::geteuid() } == 0).then_some((WORKER_ID, WORKER_ID));
    if drop_to.is_some() {
        std::os::unix::fs::chown(&work_fs.dir, Some(WORKER_ID), Some(WORKER_ID))
            .map_err(Failure::other)?;
    }
    let foreign_before = foreign_tracing_links();
    let pinning = Pinning::plan();
    // The worker inherits the CPU it is forked on; this process (and the capture
    // threads it starts) then moves to the others.
    if let Some(p) = pinning {
        p.worker.pin_current_thread().map_err(Failure::other)?;
    }
    // Before any thread exists (the capture sessions start threads).
    let mut worker = Worker::spawn(&work_fs.dir, drop_to).map_err(Failure::other)?;
    if let Some(p) = pinning {
        p.capture.pin_current_thread().map_err(Failure::other)?;
    }
    let dirs = [scratch.0.as_path(), work_fs.dir.as_path()];
    let mut report = measure(&mut worker, &dirs, plan).map_err(Failure::other)?;
    report.work_fs = work_fs.description.clone();
    report.pinning = Pinning::describe(pinning);
    drop(worker);
    drop(work_fs);
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
        table::print(&report);
    }
    Ok(())
}

/// `dirs`: the scratch directory (which takes the capture's output) and the worker's.
fn measure(worker: &mut Worker, dirs: &[&Path; 2], plan: &Plan) -> anyhow::Result<OverheadReport> {
    let (iterations, rounds) = (plan.iterations, plan.rounds);
    let workloads: Vec<Workload> = Workload::ALL
        .into_iter()
        .filter(|w| plan.only.is_empty() || plan.only.contains(w))
        .collect();
    let output = &dirs[0].join("capture.w3c.log");
    let mut samples: Vec<[Vec<f64>; Mode::ALL.len()]> = vec![Default::default(); Row::ALL.len()];
    let mut totals: [ModeTotals; Mode::ALL.len()] = Default::default();
    // One session for every timed batch: the modes take turns batch by batch (a switch
    // takes milliseconds), so that the machine's drift, which here moves a syscall's
    // cost by 20-30% over minutes, falls on all four alike.
    let mut session = Session::start(
        Options {
            filter_uid: None,
            compress: true,
        },
        output,
    )?;
    let mut current = Mode::CaptureAll;
    let mut turn = 0;
    for round in 0..rounds as usize {
        for &workload in &workloads {
            progress(&format!(
                "round {}/{rounds}: {}",
                round + 1,
                workload.rows()[0].name()
            ));
            for batch in 0..BATCHES {
                for (position, mode) in rotation(turn).into_iter().enumerate() {
                    if super::interrupt::requested() {
                        anyhow::bail!("interrupted");
                    }
                    let tally = session.switch(mode, worker.uid)?;
                    totals[current.index()].add(&tally);
                    current = mode;
                    settle(dirs);
                    let warm_up = batch == 0 && position == 0;
                    let values = worker
                        .run(workload, workload.batch_ops(iterations), 1, warm_up)
                        // A Ctrl-C reaches the worker's children too.
                        .map_err(|e| {
                            if super::interrupt::requested() {
                                anyhow::anyhow!("interrupted")
                            } else {
                                e
                            }
                        })?;
                    for (row, v) in workload.rows().iter().zip(values) {
                        let at = Row::ALL.iter().position(|r| r == row).unwrap_or(0);
                        samples[at][mode.index()].extend(v);
                    }
                }
                turn += 1;
            }
        }
    }
    let tally = session.switch(Mode::Vanilla, worker.uid)?;
    totals[current.index()].add(&tally);
    session.stop()?;
    std::fs::remove_file(output)?;
    let [_, capture_all, filtered_out, _] = totals;
    let rows = Row::ALL
        .iter()
        .zip(&samples)
        .filter_map(|(row, s)| summary::row_report(*row, s))
        .collect();

    let program_costs = measure_program_costs(worker, output, iterations, &workloads)?;

    let mut throughput = Vec::new();
    for copy in [false, true] {
        settle(dirs);
        throughput.push(throughput::measure(worker, output, copy)?);
    }
    let [throughput, copy_throughput] = <[Throughput; 2]>::try_from(throughput)
        .map_err(|_| anyhow::anyhow!("two throughput runs"))?;
    Ok(OverheadReport {
        iterations,
        rounds,
        batches_per_round: BATCHES,
        filter: format!(
            "kernel user filter on uid {} (the worker and every process it starts)",
            worker.uid
        ),
        work_fs: String::new(),
        pinning: String::new(),
        foreign_tracing_links: 0,
        rows,
        capture_all,
        filtered_out,
        program_costs,
        throughput,
        copy_throughput,
    })
}

/// Every workload once more per capturing mode with the kernel's run-time statistics
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
            let ops = workload.batch_ops(iterations);
            let before = program_cost::snapshot();
            worker.run(workload, ops, 1, false)?;
            let after = program_cost::snapshot();
            let programs = program_cost::between(&before, &after);
            let ns: f64 = programs
                .iter()
                .map(|p| p.ns_per_call * p.calls as f64)
                .sum();
            let names: Vec<&str> = workload.rows().iter().map(|r| r.name()).collect();
            costs.push(ModeProgramCost {
                mode: mode.name(),
                row: names.join(" + "),
                programs,
                ns_per_op: ns / ops as f64,
            });
        }
        session.stop()?;
        std::fs::remove_file(output)?;
    }
    Ok(costs)
}
