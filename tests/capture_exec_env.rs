//! The environment of exec, on request only: with `capture --env` each exec'd program's
//! environment is recorded as CamFlow's `envp` entities, linked to its process memory by
//! `env`; without it (the default, since an environment holds secrets) there is none.
//! Real captures on this kernel: root, and PROVSCOPE_REQUIRE_BPF=1 turns a missing
//! privilege into a failure.

mod common;

use common::can_capture;
use common::capture::capture_with;
use common::walk::with_attr;
use petgraph::Direction;
use provscope::graph::ProvGraph;
use provscope::graph::store::NodeId;

/// A variable no other process on the machine has.
const MARKER: &str = "PROVSCOPE_TEST_MARKER=ticket-4711-only-here";

/// `env -i MARKER /bin/true`: `env` runs `true` with nothing but the marker.
fn workload() -> [&'static str; 4] {
    ["env", "-i", MARKER, "/bin/true"]
}

fn text(g: &ProvGraph, n: NodeId, name: &str) -> Option<String> {
    g.node_attr_text(n, name).map(|v| v.into_owned())
}

/// The argv values of a process memory (its `arg` relations in).
fn argv_of(g: &ProvGraph, memory: NodeId) -> Vec<String> {
    g.edges_of(memory, Direction::Incoming)
        .filter(|&(e, _)| g.edge_kind(e) == "arg")
        .filter_map(|(_, a)| text(g, a, "cf:value"))
        .collect()
}

#[test]
fn with_env_the_exec_environment_is_an_envp_entity_of_the_new_process() {
    if !can_capture() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let g = capture_with(dir.path(), &["--env"], &workload());
    let marked = with_attr(&g, "envp", "cf:value", MARKER);
    assert_eq!(marked.len(), 1, "one envp entity holds the marker");
    let envp = marked[0];
    assert_eq!(text(&g, envp, "cf:truncated").as_deref(), Some("false"));
    assert_eq!(
        text(&g, envp, "prov:label").as_deref(),
        Some(format!("[envp] {MARKER}").as_str())
    );
    // `env` (CamFlow's relation, wasDerivedFrom) from the envp entity to the process
    // memory exec made for /bin/true, and to nothing else.
    let to: Vec<NodeId> = g
        .edges_of(envp, Direction::Outgoing)
        .filter(|&(e, _)| g.edge_kind(e) == "env")
        .map(|(_, m)| m)
        .collect();
    assert_eq!(to.len(), 1, "linked once");
    let memory = to[0];
    assert_eq!(g.node_kind(memory), "process_memory");
    assert_eq!(argv_of(&g, memory), ["/bin/true"], "the exec'd process");
    assert!(
        g.edges_of(memory, Direction::Incoming)
            .any(|(e, _)| g.edge_kind(e) == "exec_task"),
        "made by the exec"
    );
    // `env -i` left true nothing else; env itself had the test's environment.
    let of_true = g
        .edges_of(memory, Direction::Incoming)
        .filter(|&(e, _)| g.edge_kind(e) == "env")
        .count();
    assert_eq!(of_true, 1);
}

#[test]
fn without_env_no_environment_is_recorded() {
    if !can_capture() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let g = capture_with(dir.path(), &[], &workload());
    // The same run is there (its argv is), its environment is not.
    assert!(
        !with_attr(&g, "argv", "cf:value", "/bin/true").is_empty(),
        "the exec was recorded"
    );
    assert!(
        g.defined_nodes().all(|n| g.node_kind(n) != "envp"),
        "no envp entity"
    );
    assert!(
        g.edge_ids().all(|e| g.edge_kind(e) != "env"),
        "no env relation"
    );
    // The marker is only where the command line put it: an argument of `env`.
    let holders: Vec<&str> = g
        .defined_nodes()
        .filter(|&n| text(&g, n, "cf:value").as_deref() == Some(MARKER))
        .map(|n| g.node_kind(n))
        .collect();
    assert_eq!(holders, ["argv"]);
}

#[test]
fn long_command_lines_and_environments_are_kept_whole() {
    if !can_capture() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // 100 arguments (about 1.6 KB) and a 2 KB variable: far past one 256-byte string slot.
    let args: Vec<String> = (0..100).map(|i| format!("long-argument-{i:03}")).collect();
    let big = format!("PROVSCOPE_BIG={}", "x".repeat(2000));
    let mut cmd = vec!["env", "-i", big.as_str(), "/bin/echo"];
    cmd.extend(args.iter().map(String::as_str));
    let g = capture_with(dir.path(), &["--env"], &cmd);
    for a in [&args[0], &args[50], &args[99]] {
        let found = with_attr(&g, "argv", "cf:value", a);
        assert!(!found.is_empty(), "argument {a} is recorded");
    }
    let envp = with_attr(&g, "envp", "cf:value", &big);
    assert_eq!(envp.len(), 1, "the 2 KB variable is one whole envp entity");
    assert_eq!(text(&g, envp[0], "cf:truncated").as_deref(), Some("false"));
}
