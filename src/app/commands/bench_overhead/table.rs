//! `bench overhead`'s report as text: the rows beside CamFlow's figures, the programs'
//! own cost, the throughput, the kernel's counters and which targets were missed.

use super::OverheadReport;
use super::summary::{FILTERED_TARGET_NS, FILTERED_TARGET_PERCENT, THROUGHPUT_TARGET};

fn yes_no(met: bool) -> &'static str {
    if met { "yes" } else { "MISSED" }
}

/// A target's verdict; a miss that the empty programs miss too is starred: no tracepoint
/// capture could meet it here.
fn verdict(met: bool, reachable: bool) -> &'static str {
    match (met, reachable) {
        (true, _) => "yes",
        (false, true) => "MISSED",
        (false, false) => "MISSED*",
    }
}

/// The report as a table with its notes, for a terminal.
pub fn print(r: &OverheadReport) {
    println!(
        "median µs/op over {} batches per mode ({} per round x {} rounds), the modes taking turns batch by batch; overhead = median of each batch's ratio to the vanilla batch of its turn",
        r.rows.first().map_or(0, |row| row.batches),
        r.batches_per_round,
        r.rounds,
    );
    println!(
        "filtered-out = {}; the loops ran on {}; {}",
        r.filter, r.work_fs, r.pinning
    );
    if r.foreign_tracing_links > 0 {
        println!(
            "WARNING: {} tracing BPF attachment(s) besides the benchmark's were in place; every mode paid for them",
            r.foreign_tracing_links
        );
    }
    println!();
    println!(
        "{:<16} {:>9} {:>11} {:>9} {:>12} {:>9} {:>9} {:>8}   {:<11} {:<9}",
        "row",
        "vanilla",
        "capture-all",
        "overhead",
        "filtered-out",
        "overhead",
        "empty",
        "CamFlow",
        "< CamFlow",
        "<= 5%"
    );
    for row in &r.rows {
        println!(
            "{:<16} {:>9.3} {:>11.3} {:>+8.1}% {:>12.3} {:>+8.1}% {:>+8.1}% {:>+7.0}%   {:<11} {:<9}",
            row.name,
            row.vanilla_us,
            row.capture_all_us,
            row.capture_all_percent,
            row.filtered_out_us,
            row.filtered_out_percent,
            row.empty_programs_percent,
            row.camflow_percent,
            verdict(row.capture_all_target_met, row.capture_all_target_reachable),
            verdict(
                row.filtered_out_target_met,
                row.filtered_out_target_reachable
            ),
        );
    }
    println!(
        "empty = the overhead of empty programs on the capture's tracepoints, the floor of any tracepoint capture on this kernel; MISSED* = missed where the empty programs alone miss it too"
    );
    let per_syscall: Vec<String> = r
        .rows
        .iter()
        .filter_map(|row| {
            let (f, e) = (
                row.filtered_out_ns_per_syscall?,
                row.empty_programs_ns_per_syscall?,
            );
            Some(format!("{} {f:+.0} ns (empty programs {e:+.0})", row.name))
        })
        .collect();
    if !per_syscall.is_empty() {
        println!(
            "filtered-out beyond vanilla per syscall (DESIGN: within about {FILTERED_TARGET_NS:.0} ns): {}",
            per_syscall.join(", ")
        );
    }
    if !r.program_costs.is_empty() {
        println!();
        println!(
            "time inside the capture's kernel programs per operation, and per call of each (BPF run-time statistics):"
        );
    }
    for c in &r.program_costs {
        let programs: Vec<String> = c
            .programs
            .iter()
            .map(|p| format!("{} {:.0} ns x {}", p.program, p.ns_per_call, p.calls))
            .collect();
        println!(
            "  {:<22} {:<12} {:>6.0} ns/op: {}",
            c.row,
            c.mode,
            c.ns_per_op,
            programs.join(", ")
        );
    }
    println!();
    for t in [&r.throughput, &r.copy_throughput] {
        let workload = match t.workload {
            "copy" => {
                "a copy loop (1-byte reads and writes taking turns, every record new relations)"
            }
            _ => "repeated 1-byte reads (the builder folds them into a few elements)",
        };
        println!(
            "throughput, {workload}: {:.0} events/s through the whole pipeline into a file, kernel compression off ({} records in {:.2} s; the worker made {} calls); target >= {:.0}/s: {}",
            t.events_per_s,
            t.records,
            t.seconds,
            t.worker_calls,
            THROUGHPUT_TARGET,
            yes_no(t.target_met)
        );
        println!(
            "            kernel: {} sent, {} dropped (ring buffer full); {} elements, {} bytes written",
            t.kernel_events, t.dropped_ring_buffer_full, t.elements_written, t.bytes_written
        );
    }
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
            let floor = |reachable: bool| {
                if reachable {
                    String::new()
                } else {
                    format!(
                        " (empty programs alone {:+.1}%)",
                        row.empty_programs_percent
                    )
                }
            };
            if !row.capture_all_target_met {
                let why = floor(row.capture_all_target_reachable);
                m.push(format!("{} capture-all{why}", row.name));
            }
            if !row.filtered_out_target_met {
                let why = floor(row.filtered_out_target_reachable);
                m.push(format!("{} filtered-out{why}", row.name));
            }
            m
        })
        .chain((!r.throughput.target_met).then(|| String::from("throughput (reads)")))
        .chain((!r.copy_throughput.target_met).then(|| String::from("throughput (copy loop)")))
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
