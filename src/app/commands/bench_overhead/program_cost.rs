//! Time spent inside the capture's own kernel programs, per call: the kernel's BPF
//! run-time statistics (`BPF_ENABLE_STATS`), sampled around a timed workload. Unlike the
//! µs/op of the rows, this leaves out the tracepoint's own dispatch and the syscall slow
//! path, and is not stretched by other work on the machine (programs run with migration
//! disabled), so it shows what the programs themselves cost and how a change moves that.
//!
//! The statistics cost two clock reads per call while they are on, so they are enabled
//! only for this measurement, never during the rows' timed batches.

use aya::programs::loaded_programs;
use aya::sys::{Stats, enable_stats};
use serde::Serialize;
use std::collections::HashMap;
use std::os::fd::OwnedFd;

/// The capture's programs are named `handle_<tracepoint>`.
const PREFIX: &str = "handle_";

/// One program's calls and time during a measurement.
#[derive(Clone, Debug, Serialize)]
pub struct ProgramCost {
    /// The program's name (`handle_sys_exit`...).
    pub program: String,
    /// Calls made during the measurement.
    pub calls: u64,
    /// Mean time inside the program per call, in nanoseconds.
    pub ns_per_call: f64,
}

/// Run-time statistics switched on until dropped.
pub struct StatsOn(#[allow(dead_code)] OwnedFd);

impl StatsOn {
    /// Switches the statistics on; None when the kernel refuses (they are then left out
    /// of the report, which says so).
    pub fn start() -> Option<StatsOn> {
        enable_stats(Stats::RunTime).ok().map(StatsOn)
    }
}

/// Calls and nanoseconds so far of every loaded capture program, by program id.
pub type Snapshot = HashMap<u32, (String, u64, u64)>;

/// The counters now.
pub fn snapshot() -> Snapshot {
    loaded_programs()
        .filter_map(Result::ok)
        .filter_map(|p| {
            let name = p.name_as_str()?.to_string();
            name.starts_with(PREFIX).then(|| {
                let ns = u64::try_from(p.run_time().as_nanos()).unwrap_or(u64::MAX);
                (p.id(), (name, p.run_count(), ns))
            })
        })
        .collect()
}

/// What each program did between `before` and `after`, busiest first; programs that were
/// not called are left out.
pub fn between(before: &Snapshot, after: &Snapshot) -> Vec<ProgramCost> {
    let mut costs: Vec<ProgramCost> = after
        .iter()
        .filter_map(|(id, (name, calls, ns))| {
            let (calls0, ns0) = before.get(id).map_or((0, 0), |(_, c, n)| (*c, *n));
            let calls = calls.saturating_sub(calls0);
            (calls > 0).then(|| ProgramCost {
                program: name.clone(),
                calls,
                ns_per_call: ns.saturating_sub(ns0) as f64 / calls as f64,
            })
        })
        .collect();
    costs.sort_by_key(|c| std::cmp::Reverse(c.calls));
    costs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_difference_counts_only_calls_made_between_the_snapshots() {
        let before: Snapshot = [(7, (String::from("handle_sys_exit"), 100, 5_000))].into();
        let after: Snapshot = [
            (7, (String::from("handle_sys_exit"), 1_100, 45_000)),
            (8, (String::from("handle_fork"), 0, 0)),
            (9, (String::from("handle_exec"), 4, 400)),
        ]
        .into();
        let costs = between(&before, &after);
        assert_eq!(costs.len(), 2, "a program not called is left out");
        assert_eq!(costs[0].program, "handle_sys_exit");
        assert_eq!(costs[0].calls, 1_000);
        assert!((costs[0].ns_per_call - 40.0).abs() < 1e-9);
        assert_eq!(
            costs[1].calls, 4,
            "a program new since the first snapshot counts from 0"
        );
    }
}
