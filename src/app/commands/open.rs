//! `provscope open` and `provscope demo`: the terminal UI on saved traces or on the demo
//! trace compiled into the binary (so the demo works anywhere, with no files around).

use crate::app::cli::{CommandResult, Failure};
use crate::app::run::{TraceSource, run_tui};
use std::io::IsTerminal;

/// The bundled demo: a real capture of a staged intrusion (tools/demo/stage_incident.sh).
pub const DEMO_TRACE: &[u8] = include_bytes!("../../../assets/demo-capture.w3c.log");

/// Refuses to start the UI without a terminal on stdout.
pub fn require_terminal() -> CommandResult {
    if !std::io::stdout().is_terminal() {
        return Err(Failure::input(anyhow::anyhow!(
            "the terminal UI needs a terminal on stdout (use 'provscope stats' or 'convert' in scripts)"
        )));
    }
    Ok(())
}

/// Opens traces.
pub fn run(traces: Vec<String>) -> CommandResult {
    require_terminal()?;
    for t in &traces {
        if t != "-" && !std::path::Path::new(t).exists() {
            return Err(Failure::input(anyhow::anyhow!(
                "cannot open '{t}': no such file"
            )));
        }
    }
    run_tui(TraceSource::Paths(traces)).map_err(Failure::other)
}

/// Opens the demo trace.
pub fn run_demo() -> CommandResult {
    require_terminal()?;
    run_tui(TraceSource::Bundled("demo trace (bundled)", DEMO_TRACE)).map_err(Failure::other)
}
