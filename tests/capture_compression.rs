//! A policy's `[compression]` switches in a real capture (`provscope capture --policy F
//! --track`): `edge=false` records every repeated read (the kernel side stops dropping
//! repeats too), `version=false` makes no version relation, and `duplicate=true` writes
//! vertices again while the recording still loads as distinct vertices. Needs root;
//! PROVSCOPE_REQUIRE_BPF=1 (set by .ci/run) fails instead of skipping.

mod common;

use common::can_capture;
use common::capture::capture_with;
use common::walk::by_path;
use provscope::graph::ProvGraph;
use std::path::Path;

/// Lines in the input; dash's `read` takes them one byte at a time, each byte a read of
/// the same file through the same fd: an exact repeat of the one before.
const LINES: usize = 200;

/// `read` relations out of any version of the file at `path`.
fn reads_from(g: &ProvGraph, path: &Path) -> usize {
    let files = by_path(g, path.to_str().unwrap(), "file");
    g.edge_ids()
        .filter(|&e| g.edge_kind(e) == "read" && files.contains(&g.endpoints(e).0))
        .count()
}

fn count(g: &ProvGraph, kind: &str) -> usize {
    g.edge_ids().filter(|&e| g.edge_kind(e) == kind).count()
}

/// Captures the loop reading `input`, under a policy whose `[compression]` is `section`.
fn capture_loop(dir: &Path, name: &str, section: &str, input: &Path) -> ProvGraph {
    let run = dir.join(name);
    std::fs::create_dir(&run).unwrap();
    let policy = run.join("camflow.ini");
    std::fs::write(&policy, format!("[compression]\n{section}")).unwrap();
    let script = format!("while read -r l; do :; done < '{}'", input.display());
    capture_with(
        &run,
        &["--policy", policy.to_str().unwrap()],
        &["sh", "-c", &script],
    )
}

#[test]
fn compression_switches_of_a_policy_reach_the_capture() {
    if !can_capture() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("lines.txt");
    let text: String = (1..=LINES).map(|i| format!("{i}\n")).collect();
    std::fs::write(&input, &text).unwrap();

    let compressed = capture_loop(dir.path(), "default", "edge=true\n", &input);
    let reads = reads_from(&compressed, &input);
    assert!(
        (1..10).contains(&reads),
        "edge compression keeps a handful of the {} reads: {reads}",
        text.len()
    );

    let every = capture_loop(dir.path(), "edge", "edge=false\n", &input);
    let reads = reads_from(&every, &input);
    assert!(
        reads >= text.len(),
        "every one of the {} reads is recorded: {reads}",
        text.len()
    );

    let flat = capture_loop(
        dir.path(),
        "version",
        "version=false\nduplicate=true\n",
        &input,
    );
    assert!(count(&compressed, "version_activity") > 0);
    assert_eq!(
        count(&flat, "version_activity") + count(&flat, "version_entity"),
        0,
        "no versions"
    );
    assert!(reads_from(&flat, &input) >= 1, "flows are still recorded");
    assert!(
        flat.merged_nodes() > 0,
        "duplicate wrote vertices again, read as the same vertices"
    );
    assert_eq!(compressed.merged_nodes(), 0);
}
