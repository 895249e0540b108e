//! `provscope convert`: reads a trace and writes it in camflowd's W3C or SPADE layout.

use crate::app::cli::{CommandResult, Failure, OutputFormat};
use crate::app::commands::load_or_fail;
use crate::capture::CaptureError;
use crate::capture::camflow::{spade_write, w3c_write};
use std::fs::File;
use std::io::{self, BufWriter, Write};

/// Runs the command.
pub fn run(trace: &str, to: OutputFormat, output: &str) -> CommandResult {
    let (graph, _report) = load_or_fail(&[trace.to_string()])?;
    let write_err = |source: io::Error| {
        Failure::other(CaptureError::Write {
            path: output.to_string(),
            source,
        })
    };
    let mut out: Box<dyn Write> = if output == "-" {
        Box::new(BufWriter::new(io::stdout().lock()))
    } else {
        Box::new(BufWriter::new(File::create(output).map_err(write_err)?))
    };
    let counts = match to {
        OutputFormat::W3c => w3c_write::write_w3c(&graph, &mut out),
        OutputFormat::Spade => spade_write::write_spade(&graph, &mut out),
        OutputFormat::Dot => {
            // The trace's own elements, as the other formats write (derived agents left out).
            let nodes: Vec<_> = graph
                .node_ids()
                .filter(|&n| graph.node(n).origin != crate::graph::Origin::Derived)
                .collect();
            let edges: Vec<_> = graph
                .edge_ids()
                .filter(|&e| !graph.edge(e).derived)
                .collect();
            crate::capture::dot::write_dot(&graph, trace, &nodes, &edges, &mut out).map(|()| {
                w3c_write::WriteCounts {
                    nodes: nodes.len() as u64,
                    edges: edges.len() as u64,
                    lines: 0,
                }
            })
        }
    }
    .map_err(write_err)?;
    out.flush().map_err(write_err)?;
    if output != "-" {
        eprintln!(
            "provscope: wrote {} node(s) and {} edge(s) in {} line(s) to {}",
            counts.nodes,
            counts.edges,
            counts.lines,
            crate::text::sanitize(output)
        );
    }
    Ok(())
}
