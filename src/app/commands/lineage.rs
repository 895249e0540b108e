//! `provscope lineage TRACE --from SEL [--backward|--forward] [--depth N] [--max-nodes N]
//! [--json|--dot]`: where the selected elements' information came from or went to. The
//! JSON is a contract (README): root, direction, nodes (id, type, label, depth), edges
//! (id, type, from, to), truncated, truncated_at.

use crate::app::cli::{CommandResult, Failure};
use crate::app::commands::load_or_fail;
use crate::graph::lineage::{Budget, Cut, Lineage, Way, lineage};
use crate::graph::selector::Selector;
use crate::graph::store::{NodeId, ProvGraph};
use serde_json::json;
use std::io::Write;

/// How to print the result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// A readable indented list.
    Text,
    /// The JSON contract.
    Json,
    /// Graphviz DOT.
    Dot,
}

/// The vertices a selector names, or a clear error.
pub fn select_or_fail(g: &ProvGraph, text: &str) -> Result<Vec<NodeId>, Failure> {
    let sel: Selector = text.parse().map_err(Failure::input)?;
    let nodes = g.select(&sel);
    if nodes.is_empty() {
        return Err(Failure::input(anyhow::anyhow!(
            "no element matches '{}'",
            crate::text::sanitize(text)
        )));
    }
    Ok(nodes)
}

/// The element's id as CamFlow writes it.
pub fn id_text(g: &ProvGraph, n: NodeId) -> String {
    format!("cf:{}", g.node(n).key.to_text())
}

/// Runs the command.
pub fn run(
    trace: &[String],
    from: &str,
    way: Way,
    budget: Budget,
    output: Output,
) -> CommandResult {
    let (g, _) = load_or_fail(trace)?;
    let roots = select_or_fail(&g, from)?;
    let l = lineage(&g, &roots, way, budget, &|| false);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = match output {
        Output::Json => writeln!(out, "{}", to_json(&g, from, &l)),
        Output::Dot => {
            let nodes: Vec<NodeId> = l.nodes.iter().map(|&(n, _)| n).collect();
            crate::capture::dot::write_dot(
                &g,
                &format!("lineage {from}"),
                &nodes,
                &l.edges,
                &mut out,
            )
        }
        Output::Text => write_text(&g, &l, &mut out),
    };
    written.map_err(Failure::other)
}

fn cut_name(c: Cut) -> &'static str {
    match c {
        Cut::Depth => "depth",
        Cut::Nodes => "max-nodes",
        Cut::Interrupted => "interrupted",
    }
}

/// The JSON contract.
pub fn to_json(g: &ProvGraph, from: &str, l: &Lineage) -> serde_json::Value {
    let nodes: Vec<_> = l
        .nodes
        .iter()
        .map(|&(n, depth)| {
            json!({"id": id_text(g, n), "type": g.node_kind(n), "label": g.node_label(n), "depth": depth})
        })
        .collect();
    let edges: Vec<_> = l
        .edges
        .iter()
        .map(|&e| {
            let (a, b) = g.endpoints(e);
            json!({"id": format!("cf:{}", g.edge(e).key.to_text()), "type": g.edge_kind(e),
                   "from": id_text(g, a), "to": id_text(g, b)})
        })
        .collect();
    json!({
        "root": from,
        "roots": l.roots.iter().map(|&n| id_text(g, n)).collect::<Vec<_>>(),
        "direction": l.way.name(),
        "nodes": nodes,
        "edges": edges,
        "truncated": l.truncated(),
        "truncated_by": l.cut.map(cut_name),
        "truncated_at": l.truncated_at.iter().map(|&n| id_text(g, n)).collect::<Vec<_>>(),
    })
}

fn write_text(g: &ProvGraph, l: &Lineage, out: &mut impl Write) -> std::io::Result<()> {
    let arrow = if l.way == Way::Backward { "<-" } else { "->" };
    writeln!(
        out,
        "{} lineage: {} element(s)",
        l.way.name(),
        l.nodes.len()
    )?;
    for &(n, depth) in &l.nodes {
        writeln!(
            out,
            "{:indent$}{arrow} [{}] {}",
            "",
            g.node_kind(n),
            crate::text::sanitize_capped(&g.node_label(n), 160),
            indent = 2 * depth
        )?;
    }
    if let Some(c) = l.cut {
        writeln!(
            out,
            "truncated ({}) at {} element(s): raise --depth / --max-nodes to see further",
            cut_name(c),
            l.truncated_at.len()
        )?;
    }
    Ok(())
}
