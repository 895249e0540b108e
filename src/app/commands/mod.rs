//! One module per command line command; each reads its inputs, runs, and prints.

pub mod bench_lineage;
pub mod bench_live;
pub mod bench_live_capture;
pub mod bench_load;
pub mod bench_overhead;
pub mod bench_ui;
pub mod capture;
pub mod convert;
pub mod filter;
pub mod flow_path;
pub mod gen_trace;
pub mod gen_trace_links;
pub mod interrupt;
pub mod lineage;
pub mod live;
pub mod open;
pub mod simulate;
pub mod stats;

use crate::app::cli::Failure;
use crate::capture::CaptureError;
use crate::capture::camflow::{LoadReport, ReaderOptions, load_traces};
use crate::graph::ProvGraph;

/// Loads traces into one graph, printing each skipped line's warning to stderr.
pub fn load_or_fail(paths: &[String]) -> Result<(ProvGraph, LoadReport), Failure> {
    let mut graph = ProvGraph::new();
    let reports =
        load_traces(paths, &ReaderOptions::default(), &mut graph).map_err(|e| match e {
            CaptureError::Write { .. } => Failure::other(e),
            _ => Failure::input(e),
        })?;
    let mut total = LoadReport::default();
    for (path, report) in paths.iter().zip(&reports) {
        warn_problems(path, report);
        total.absorb(report);
    }
    Ok((graph, total))
}

/// How many problems are printed per trace; the rest are summed up.
const PRINTED_PROBLEMS: usize = 10;

fn warn_problems(path: &str, report: &LoadReport) {
    let p = &report.problems;
    let path = crate::text::sanitize(path);
    for problem in p.kept.iter().take(PRINTED_PROBLEMS) {
        eprintln!(
            "provscope: warning: {path}: line {}: {}",
            problem.line,
            crate::text::sanitize_capped(&problem.reason, 200)
        );
    }
    let shown = p.kept.len().min(PRINTED_PROBLEMS) as u64;
    if p.total() > shown {
        eprintln!(
            "provscope: warning: {path}: {} more problem(s) not shown ({} line(s) skipped, {} element(s) skipped in all)",
            p.total() - shown,
            p.skipped_lines,
            p.skipped_elements
        );
    }
    if report.repaired_lines > 0 {
        eprintln!(
            "provscope: warning: {path}: {} line(s) held raw control characters or invalid UTF-8 and were repaired",
            report.repaired_lines
        );
    }
}

/// Reads a camflow.ini policy file, with errors that name it.
pub fn load_policy(path: &str) -> Result<crate::policy::ini::Loaded, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::input(anyhow::anyhow!(
            "cannot read policy '{}': {e}",
            crate::text::sanitize(path)
        ))
    })?;
    crate::policy::ini::parse(&text).map_err(|e| {
        Failure::input(anyhow::anyhow!(
            "policy '{}': {e}",
            crate::text::sanitize(path)
        ))
    })
}

/// Reads a policy file for a capture, printing its warnings to stderr.
pub fn load_capture_policy(path: Option<&str>) -> Result<crate::policy::Policy, Failure> {
    let Some(path) = path else {
        return Ok(crate::policy::Policy::default());
    };
    let loaded = load_policy(path)?;
    for w in &loaded.warnings {
        eprintln!(
            "provscope: warning: policy {}: {}",
            crate::text::sanitize(path),
            crate::text::sanitize(w)
        );
    }
    Ok(loaded.policy)
}
