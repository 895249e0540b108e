//! `provscope simulate TRACE --policy F [--from SEL] [--depth N] [--json]`: what a
//! capture policy would have kept of a recording: elements and bytes kept and dropped,
//! per filter and in total, and (with `--from`) which lineage of the selection the
//! policy cuts and where. The JSON is a contract (README).

use crate::app::cli::{CommandResult, Failure};
use crate::app::commands::lineage::{id_text, select_or_fail};
use crate::app::commands::{load_or_fail, load_policy};
use crate::graph::store::ProvGraph;
use crate::policy::simulate::{LineageLoss, Simulation, Summary, Tally, simulate};
use petgraph::Direction;
use serde_json::{Value, json};
use std::io::Write;

/// Default hops for the lineage comparison.
pub const DEFAULT_DEPTH: usize = 10;
/// Lost vertices listed per direction (the count is always complete).
const LISTED: usize = 1000;

/// Runs the command.
pub fn run(
    traces: &[String],
    policy_path: &str,
    from: Option<&str>,
    depth: usize,
    json_out: bool,
) -> CommandResult {
    let loaded = load_policy(policy_path)?;
    let (g, _) = load_or_fail(traces)?;
    let sim = simulate(&g, &loaded.policy);
    let summary = sim.summary(&g);
    let lineage = match from {
        Some(sel) => {
            let roots = select_or_fail(&g, sel)?;
            Some((
                sel,
                sim.lineage_loss(&g, &roots, Direction::Incoming, depth),
                sim.lineage_loss(&g, &roots, Direction::Outgoing, depth),
            ))
        }
        None => None,
    };
    let mut warnings = loaded.warnings.clone();
    warnings.extend(sim.warnings.iter().cloned());
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = if json_out {
        let report = json!({
            "policy": {
                "file": policy_path,
                "fingerprint": loaded.policy.fingerprint(),
                "warnings": warnings,
            },
            "trace": tally(summary.trace),
            "kept": tally(summary.kept),
            "dropped": tally(summary.dropped),
            "filters": filters_json(&sim, &summary, loaded.policy.track_only()),
            "lineage": lineage.as_ref().map(|(sel, back, fwd)| json!({
                "from": sel,
                "depth": depth,
                "backward": loss_json(&g, &sim, back),
                "forward": loss_json(&g, &sim, fwd),
            })),
        });
        writeln!(out, "{report}")
    } else {
        write_text(&mut out, &g, &sim, &summary, &warnings, lineage.as_ref())
    };
    written.map_err(Failure::other)
}

fn tally(t: Tally) -> Value {
    json!({"elements": t.elements, "bytes": t.bytes})
}

fn filters_json(sim: &Simulation, summary: &Summary, track_only: bool) -> Vec<Value> {
    sim.causes
        .iter()
        .zip(&summary.per_cause)
        .enumerate()
        // The last cause is "not tracked": listed only when all=false.
        .filter(|(i, _)| track_only || *i + 1 < sim.causes.len())
        .map(|(_, (name, t))| json!({"filter": name, "elements": t.elements, "bytes": t.bytes}))
        .collect()
}

fn loss_json(g: &ProvGraph, sim: &Simulation, loss: &LineageLoss) -> Value {
    let lost: Vec<Value> = loss
        .lost
        .iter()
        .take(LISTED)
        .map(|&(n, depth, cause)| {
            json!({"id": id_text(g, n), "type": g.node_kind(n), "label": g.node_label(n),
                   "depth": depth, "cut_by": sim.causes[cause as usize]})
        })
        .collect();
    json!({"before": loss.before, "after": loss.after, "lost_total": loss.lost.len(), "lost": lost})
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

type LineagePair<'a> = (&'a str, LineageLoss, LineageLoss);

fn write_text(
    out: &mut impl Write,
    g: &ProvGraph,
    sim: &Simulation,
    s: &Summary,
    warnings: &[String],
    lineage: Option<&LineagePair<'_>>,
) -> std::io::Result<()> {
    for w in warnings {
        writeln!(out, "warning: {}", crate::text::sanitize(w))?;
    }
    writeln!(out, "{:<44} {:>10} {:>12}", "", "elements", "bytes")?;
    for (name, t) in [("trace", s.trace), ("kept", s.kept), ("dropped", s.dropped)] {
        writeln!(
            out,
            "{name:<44} {:>10} {:>12}  ({:.1}% of bytes)",
            t.elements,
            t.bytes,
            percent(t.bytes, s.trace.bytes)
        )?;
    }
    writeln!(out, "dropped by filter:")?;
    for (name, t) in sim.causes.iter().zip(&s.per_cause) {
        if t.elements > 0 {
            writeln!(
                out,
                "  {:<42} {:>10} {:>12}",
                crate::text::sanitize_capped(name, 42),
                t.elements,
                t.bytes
            )?;
        }
    }
    if let Some((sel, back, fwd)) = lineage {
        for (way, loss) in [("backward", back), ("forward", fwd)] {
            writeln!(
                out,
                "{way} lineage of {}: {} element(s), {} with the policy, {} lost",
                crate::text::sanitize(sel),
                loss.before,
                loss.after,
                loss.lost.len()
            )?;
            for &(n, depth, cause) in loss.lost.iter().take(20) {
                writeln!(
                    out,
                    "  lost at depth {depth}: [{}] {}  (cut by {})",
                    g.node_kind(n),
                    crate::text::sanitize_capped(&g.node_label(n), 80),
                    crate::text::sanitize(&sim.causes[cause as usize])
                )?;
            }
            if loss.lost.len() > 20 {
                writeln!(out, "  ... and {} more (see --json)", loss.lost.len() - 20)?;
            }
        }
    }
    Ok(())
}
