//! `provscope stats`: counts of a trace. The `--json` object is a contract (README):
//! `{"nodes","edges","node_types","edge_types","dangling_edges","skipped_lines",
//! "derived_agents","format"}`.

use crate::app::cli::{CommandResult, Failure};
use crate::app::commands::load_or_fail;
use crate::graph::GraphCounts;
use crate::text::sanitize;
use serde::Serialize;
use std::collections::BTreeMap;

/// The `stats --json` contract.
#[derive(Debug, Serialize)]
pub struct StatsJson {
    /// Distinct vertices the input defines (derived agents excluded).
    pub nodes: u64,
    /// Distinct relations in the input.
    pub edges: u64,
    /// Vertices by CamFlow type name.
    pub node_types: BTreeMap<String, u64>,
    /// Relations by CamFlow type name.
    pub edge_types: BTreeMap<String, u64>,
    /// Relations with an end the input never defines.
    pub dangling_edges: u64,
    /// Lines skipped as unusable.
    pub skipped_lines: u64,
    /// User and group agents derived from uid/gid.
    pub derived_agents: u64,
    /// `w3c`, `spade` or `mixed`.
    pub format: &'static str,
}

/// Runs the command.
pub fn run(traces: &[String], json: bool) -> CommandResult {
    let (graph, report) = load_or_fail(traces)?;
    let c = graph.counts();
    let out = StatsJson {
        nodes: c.nodes,
        edges: c.edges,
        node_types: c.node_types.clone(),
        edge_types: c.edge_types.clone(),
        dangling_edges: c.dangling_edges,
        skipped_lines: report.problems.skipped_lines,
        derived_agents: c.derived_agents,
        format: report.format().unwrap_or("none"),
    };
    if json {
        let text = serde_json::to_string(&out).map_err(Failure::other)?;
        println!("{text}");
    } else {
        print!(
            "{}",
            table(traces, &out, &c, report.problems.skipped_elements)
        );
    }
    Ok(())
}

/// The human-readable table.
fn table(traces: &[String], s: &StatsJson, c: &GraphCounts, bad_elements: u64) -> String {
    let mut t = String::new();
    let names: Vec<String> = traces.iter().map(|p| sanitize(p)).collect();
    t.push_str(&format!("trace           {}\n", names.join(", ")));
    t.push_str(&format!("format          {}\n", s.format));
    t.push_str(&format!("nodes           {}\n", s.nodes));
    t.push_str(&format!("edges           {}\n", s.edges));
    t.push_str(&format!(
        "dangling edges  {}  ({} end(s) never defined)\n",
        s.dangling_edges, c.dangling_ends
    ));
    t.push_str(&format!("skipped lines   {}\n", s.skipped_lines));
    if bad_elements > 0 {
        t.push_str(&format!("bad elements    {bad_elements}\n"));
    }
    t.push_str(&format!(
        "derived agents  {}  (users and groups from uid/gid)\n",
        s.derived_agents
    ));
    for (title, map) in [("node type", &s.node_types), ("edge type", &s.edge_types)] {
        let width = map
            .keys()
            .map(|k| sanitize(k).chars().count())
            .max()
            .unwrap_or(0)
            .max(title.len());
        t.push_str(&format!("\n{title:<width$}  count\n"));
        let mut rows: Vec<(&String, &u64)> = map.iter().collect();
        rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (k, v) in rows {
            t.push_str(&format!("{:<width$}  {v:>5}\n", sanitize(k)));
        }
    }
    t
}
