//! Real captures for the scenario tests: `provscope capture --track [FLAGS] -- CMD`, or a
//! whole-system capture under a policy while CMD runs, into a file, read back into a
//! graph.

use super::provscope;
use provscope::capture::camflow::load::load_traces;
use provscope::capture::camflow::reader::ReaderOptions;
use provscope::graph::ProvGraph;
use std::path::Path;

/// Captures `cmd` (tracked, with the extra capture `flags`) into a file in `dir`, and
/// loads it.
pub fn capture_with(dir: &Path, flags: &[&str], cmd: &[&str]) -> ProvGraph {
    let out = dir.join("capture.w3c.log");
    let out_s = out.to_string_lossy().into_owned();
    let mut args = vec!["capture", "-o", &out_s, "--track"];
    args.extend_from_slice(flags);
    args.push("--");
    args.extend_from_slice(cmd);
    let run = provscope(&args, None);
    assert!(
        run.status.success(),
        "capture failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let mut g = ProvGraph::new();
    load_traces(&[out_s], &ReaderOptions::default(), &mut g).expect("the capture loads");
    g
}

/// Captures `cmd` (tracked) into a file in `dir`, and loads it.
pub fn capture(dir: &Path, cmd: &[&str]) -> ProvGraph {
    capture_with(dir, &[], cmd)
}

/// Captures the whole machine under the camflow.ini `policy` while `cmd` runs, into a
/// file in `dir`; returns the loaded graph and what the capture said on stderr.
pub fn capture_under_policy(dir: &Path, policy: &str, cmd: &[&str]) -> (ProvGraph, String) {
    let policy_file = dir.join("policy.ini");
    std::fs::write(&policy_file, policy).unwrap();
    let out = dir.join("capture.w3c.log");
    let out_s = out.to_string_lossy().into_owned();
    let policy_s = policy_file.to_string_lossy().into_owned();
    let mut args = vec!["capture", "-o", &out_s, "--policy", &policy_s, "--"];
    args.extend_from_slice(cmd);
    let run = provscope(&args, None);
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    assert!(run.status.success(), "capture failed: {stderr}");
    let mut g = ProvGraph::new();
    load_traces(&[out_s], &ReaderOptions::default(), &mut g).expect("the capture loads");
    (g, stderr)
}
