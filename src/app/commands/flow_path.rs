//! `provscope path TRACE --from SEL --to SEL [--json]`: the shortest information-flow
//! paths from one element to another, or a clear "no flow" answer.

use crate::app::cli::{CommandResult, Failure};
use crate::app::commands::lineage::{id_text, select_or_fail};
use crate::app::commands::load_or_fail;
use crate::graph::lineage::{Budget, flow_paths};
use serde_json::json;
use std::io::Write;

/// At most this many paths are listed.
const MAX_PATHS: usize = 20;

/// Runs the command.
pub fn run(
    trace: &[String],
    from: &str,
    to: &str,
    budget: Budget,
    json_out: bool,
) -> CommandResult {
    let (g, _) = load_or_fail(trace)?;
    let sources = select_or_fail(&g, from)?;
    let targets = select_or_fail(&g, to)?;
    let paths = flow_paths(&g, &sources, &targets, MAX_PATHS, budget, &|| false);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = if json_out {
        let listed: Vec<Vec<serde_json::Value>> = paths
            .iter()
            .map(|p| {
                p.iter()
                    .map(|&e| {
                        let (a, b) = g.endpoints(e);
                        json!({"id": format!("cf:{}", g.edge(e).key.to_text()), "type": g.edge_kind(e),
                               "from": id_text(&g, a), "to": id_text(&g, b),
                               "from_label": g.node_label(a), "to_label": g.node_label(b)})
                    })
                    .collect()
            })
            .collect();
        writeln!(
            out,
            "{}",
            json!({"from": from, "to": to, "flow": !paths.is_empty(), "paths": listed})
        )
    } else if paths.is_empty() {
        writeln!(
            out,
            "no flow: no information flows from {} to {}",
            crate::text::sanitize(from),
            crate::text::sanitize(to)
        )
    } else {
        let mut r = Ok(());
        for (i, p) in paths.iter().enumerate() {
            r = r.and_then(|()| writeln!(out, "path {} ({} step(s)):", i + 1, p.len()));
            if let Some(&first) = p.first() {
                let a = g.endpoints(first).0;
                r = r.and_then(|()| {
                    writeln!(
                        out,
                        "  [{}] {}",
                        g.node_kind(a),
                        crate::text::sanitize_capped(&g.node_label(a), 160)
                    )
                });
            }
            for &e in p {
                let b = g.endpoints(e).1;
                r = r.and_then(|()| {
                    writeln!(
                        out,
                        "    --{}--> [{}] {}",
                        g.edge_kind(e),
                        g.node_kind(b),
                        crate::text::sanitize_capped(&g.node_label(b), 160)
                    )
                });
            }
        }
        r
    };
    written.map_err(Failure::other)
}
