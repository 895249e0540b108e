//! Loading whole traces into a graph: open (with decompression), read, and turn "nothing
//! in it was provenance" into one clear error instead of an empty graph.

use crate::capture::camflow::input::open_trace;
use crate::capture::camflow::reader::{ReaderOptions, read_trace};
use crate::capture::camflow::report::LoadReport;
use crate::capture::error::CaptureError;
use crate::graph::ProvGraph;

/// Reads each path (`-` = stdin) into `graph`; returns one report per path.
/// A path that yields no provenance element at all is an error.
pub fn load_traces(
    paths: &[String],
    opts: &ReaderOptions,
    graph: &mut ProvGraph,
) -> Result<Vec<LoadReport>, CaptureError> {
    let mut reports = Vec::with_capacity(paths.len());
    for path in paths {
        let input = open_trace(path)?;
        let report =
            read_trace(input.reader, opts, graph).map_err(|source| CaptureError::Read {
                path: path.clone(),
                source,
            })?;
        if report.elements == 0 {
            return Err(CaptureError::NoTrace {
                path: path.clone(),
                detail: no_trace_detail(&report),
            });
        }
        reports.push(report);
    }
    Ok(reports)
}

fn no_trace_detail(r: &LoadReport) -> String {
    if r.lines == 0 || r.bytes <= 1 {
        return "the input is empty".to_string();
    }
    let first = r
        .problems
        .kept
        .first()
        .map(|p| format!("; line {}: {}", p.line, p.reason))
        .unwrap_or_default();
    format!(
        "{} line(s), none of them W3C PROV-JSON or SPADE JSON{first}",
        r.lines
    )
}
