//! Graphviz DOT output of a set of vertices and relations (a lineage, a path, or a whole
//! trace). Labels are readable labels, sanitised (no control characters reach a viewer)
//! and DOT-escaped; vertices are shaped by PROV class as the W3C PROV-O diagrams draw
//! them: activities as boxes, entities as ellipses, agents as houses.

use crate::graph::store::{EdgeId, NodeId, ProvGraph};
use crate::graph::{Origin, ProvClass};
use std::io::{self, Write};

fn escape(s: &str) -> String {
    let clean = crate::text::sanitize_capped(s, 120);
    clean.replace('\\', "\\\\").replace('"', "\\\"")
}

fn shape(g: &ProvGraph, n: NodeId) -> &'static str {
    if g.node(n).origin == Origin::Referenced {
        return "plaintext";
    }
    match g.node(n).class {
        ProvClass::Activity => "box",
        ProvClass::Agent => "house",
        _ => "ellipse",
    }
}

/// Writes `nodes` and `edges` of `g` as one DOT digraph named `name`.
pub fn write_dot<W: Write>(
    g: &ProvGraph,
    name: &str,
    nodes: &[NodeId],
    edges: &[EdgeId],
    out: &mut W,
) -> io::Result<()> {
    writeln!(out, "digraph \"{}\" {{", escape(name))?;
    writeln!(out, "  rankdir=LR;")?;
    for &n in nodes {
        writeln!(
            out,
            "  n{} [shape={}, label=\"{}\\n{}\"];",
            n.index(),
            shape(g, n),
            escape(g.node_kind(n)),
            escape(&g.node_label(n))
        )?;
    }
    for &e in edges {
        let (a, b) = g.endpoints(e);
        writeln!(
            out,
            "  n{} -> n{} [label=\"{}\"];",
            a.index(),
            b.index(),
            escape(g.edge_kind(e))
        )?;
    }
    writeln!(out, "}}")
}
