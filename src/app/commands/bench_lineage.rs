//! `provscope bench lineage TRACE`: lineage (backward and forward) and flow-path latency
//! at depth 5 and 10, within the TUI's budget and with only a vertex budget, from many
//! starting points spread over the trace, with the memory the loaded graph holds. For the 10-million-element measurement, generate the trace with
//! `bench gen-trace` (README, Benchmarks).

use crate::app::cli::{CommandResult, Failure};
use crate::app::commands::bench_load::rss_bytes;
use crate::app::commands::load_or_fail;
use crate::graph::ProvGraph;
use crate::graph::lineage::{Budget, Way, flow_paths, lineage};
use crate::graph::store::NodeId;
use petgraph::Direction;
use std::time::{Duration, Instant};

/// Starting points per measurement.
const STARTS: usize = 200;

fn percentile(times: &mut [Duration], p: f64) -> Duration {
    if times.is_empty() {
        return Duration::ZERO;
    }
    times.sort();
    let i = ((times.len() - 1) as f64 * p).round() as usize;
    times[i.min(times.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn report(what: &str, limits: &str, times: &mut [Duration], tail: &str) {
    println!(
        "  {what:<17} {limits:<19} median {:>8.3} ms  p95 {:>8.3} ms  max {:>8.3} ms   {tail}",
        ms(percentile(times, 0.5)),
        ms(percentile(times, 0.95)),
        ms(percentile(times, 1.0)),
    );
}

/// The budgets measured: the depths, the TUI's own budget, and a deep walk that
/// only a vertex budget stops (how far information spreads in a connected trace).
const BUDGETS: [(&str, Budget); 4] = [
    (
        "depth 5",
        Budget {
            max_depth: Some(5),
            max_nodes: None,
        },
    ),
    (
        "depth 10",
        Budget {
            max_depth: Some(10),
            max_nodes: None,
        },
    ),
    ("TUI (12, 5000)", crate::app::lineage_view::UI_BUDGET),
    (
        "any depth, 100k",
        Budget {
            max_depth: None,
            max_nodes: Some(100_000),
        },
    ),
];

/// Lineage both ways, and flow paths, from every start within one budget.
fn measure(g: &ProvGraph, starts: &[NodeId], limits: &str, budget: Budget) {
    // A target per start that information does reach: the last vertex its forward walk
    // found, so that path queries measure finding a real path.
    let mut targets = Vec::with_capacity(starts.len());
    for way in [Way::Backward, Way::Forward] {
        let mut times = Vec::with_capacity(starts.len());
        let mut reached = Vec::with_capacity(starts.len());
        for &s in starts {
            let t = Instant::now();
            let l = lineage(g, &[s], way, budget, &|| false);
            times.push(t.elapsed());
            reached.push(l.nodes.len());
            if way == Way::Forward {
                targets.push(l.nodes.last().map_or(s, |&(n, _)| n));
            }
        }
        reached.sort_unstable();
        let tail = format!(
            "vertices reached: median {} max {}",
            reached[reached.len() / 2],
            reached.last().copied().unwrap_or(0)
        );
        report(
            &format!("lineage {}", way.name()),
            limits,
            &mut times,
            &tail,
        );
    }
    let mut times = Vec::new();
    let mut found = 0;
    for (&s, &t) in starts.iter().zip(&targets).filter(|(s, t)| s != t) {
        let started = Instant::now();
        let p = flow_paths(g, &[s], &[t], 5, budget, &|| false);
        times.push(started.elapsed());
        found += usize::from(!p.is_empty());
    }
    let tail = format!("paths found: {found}/{}", times.len());
    report("path (flow)", limits, &mut times, &tail);
    // Pairs of starts: mostly without flow, so the search explores all it can reach.
    let mut times = Vec::new();
    let mut found = 0;
    for pair in starts.chunks(2) {
        if let [a, b] = pair {
            let t = Instant::now();
            let p = flow_paths(g, &[*a], &[*b], 5, budget, &|| false);
            times.push(t.elapsed());
            found += usize::from(!p.is_empty());
        }
    }
    let tail = format!("paths found: {found}/{}", times.len());
    report("path (any pair)", limits, &mut times, &tail);
}

/// Runs the benchmark.
pub fn run(trace: &str) -> CommandResult {
    let before = rss_bytes();
    let started = Instant::now();
    let (g, _) = load_or_fail(&[trace.to_string()])?;
    let load = started.elapsed();
    let after = rss_bytes();
    let elements = g.node_count() + g.edge_count();
    if elements == 0 {
        return Err(Failure::input(anyhow::anyhow!(
            "the trace holds no elements"
        )));
    }
    // Two sets of starting points: spread evenly over the vertices (deterministic, so runs
    // compare), and the busiest vertices (most relations), where walks are largest.
    let step = (g.node_count() / STARTS).max(1);
    let spread: Vec<NodeId> = g.node_ids().step_by(step).take(STARTS).collect();
    let mut by_degree: Vec<(usize, NodeId)> = g
        .node_ids()
        .map(|n| {
            let degree = g.edges_of(n, Direction::Incoming).count()
                + g.edges_of(n, Direction::Outgoing).count();
            (degree, n)
        })
        .collect();
    by_degree.sort_unstable_by(|a, b| b.cmp(a));
    let busiest: Vec<NodeId> = by_degree.iter().take(STARTS).map(|&(_, n)| n).collect();
    drop(by_degree);
    println!(
        "trace: {} vertices, {} relations ({elements} elements); load {:.1} s; graph memory {:.0} MiB ({:.0} bytes/element)",
        g.node_count(),
        g.edge_count(),
        load.as_secs_f64(),
        (after.saturating_sub(before)) as f64 / (1 << 20) as f64,
        after.saturating_sub(before) as f64 / elements as f64
    );
    for (set, starts) in [("spread", &spread), ("busiest", &busiest)] {
        println!("{STARTS} {set} starting points:");
        for (limits, budget) in BUDGETS {
            measure(&g, starts, limits, budget);
        }
    }
    println!(
        "RSS at the end {:.0} MiB",
        rss_bytes() as f64 / (1 << 20) as f64
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_pick_the_right_sample() {
        let mut t: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&mut t, 0.5), Duration::from_millis(51));
        assert_eq!(percentile(&mut t, 0.95), Duration::from_millis(95));
        assert_eq!(percentile(&mut t, 1.0), Duration::from_millis(100));
        assert_eq!(percentile(&mut [], 0.5), Duration::ZERO);
    }
}
