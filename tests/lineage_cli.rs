//! `provscope lineage`, `path` and `convert --to dot` as scripts use them: the JSON
//! contract, DOT that Graphviz-style tools can parse, and a clear "no flow".

mod common;

use common::*;

const DOWNLOAD: &str = "id:cf:AAIAAAAAACBCHgIAAAAAAAEAAABTTLt0AQAAAAAAAAA=";

fn run_json(args: &[&str]) -> serde_json::Value {
    let out = provscope(args, None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

#[test]
fn lineage_json_follows_the_contract() {
    let trace = sample(V050);
    let v = run_json(&["lineage", &trace, "--from", DOWNLOAD, "--json"]);
    assert_eq!(v["root"], DOWNLOAD);
    assert_eq!(v["direction"], "backward");
    assert_eq!(v["truncated"], false);
    let nodes = v["nodes"].as_array().unwrap();
    // The independent walk (tools/oracle/lineage.py) finds 143 elements.
    assert_eq!(nodes.len(), 143);
    for n in nodes {
        for k in ["id", "type", "label", "depth"] {
            assert!(!n[k].is_null(), "node without {k}: {n}");
        }
    }
    let ids: std::collections::HashSet<&str> =
        nodes.iter().map(|n| n["id"].as_str().unwrap()).collect();
    for e in v["edges"].as_array().unwrap() {
        assert!(
            ids.contains(e["from"].as_str().unwrap()) && ids.contains(e["to"].as_str().unwrap())
        );
        assert!(e["type"].is_string() && e["id"].is_string());
    }
    let cut = run_json(&[
        "lineage", &trace, "--from", DOWNLOAD, "--depth", "2", "--json",
    ]);
    assert_eq!(cut["truncated"], true);
    assert_eq!(cut["truncated_by"], "depth");
    assert!(!cut["truncated_at"].as_array().unwrap().is_empty());
    assert_eq!(cut["nodes"].as_array().unwrap().len(), 9);
}

#[test]
fn forward_lineage_and_dot() {
    let trace = sample(V050);
    let out = provscope(
        &[
            "lineage",
            &trace,
            "--from",
            "name:wget",
            "--forward",
            "--dot",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dot = String::from_utf8_lossy(&out.stdout);
    assert!(dot.starts_with("digraph "), "{dot}");
    assert!(dot.trim_end().ends_with('}'));
    assert!(dot.contains("->") && dot.contains("label="));
    assert!(!dot.contains('\u{1b}'));
}

#[test]
fn path_finds_flow_or_says_there_is_none() {
    let trace = sample(V050);
    let task = "id:cf:AQAAAAAAAEDDHQIAAAAAAAEAAABTTLt0AAAAAAAAAAA=";
    let v = run_json(&["path", &trace, "--from", task, "--to", DOWNLOAD, "--json"]);
    assert_eq!(v["flow"], true);
    let paths = v["paths"].as_array().unwrap();
    assert!(!paths.is_empty());
    let first = paths[0].as_array().unwrap();
    assert_eq!(
        first.first().unwrap()["from"],
        task.trim_start_matches("id:")
    );
    assert_eq!(
        first.last().unwrap()["to"],
        DOWNLOAD.trim_start_matches("id:")
    );
    let none = provscope(&["path", &trace, "--from", DOWNLOAD, "--to", task], None);
    assert!(none.status.success());
    assert!(String::from_utf8_lossy(&none.stdout).starts_with("no flow"));
}

#[test]
fn a_selector_that_matches_nothing_is_a_clear_error() {
    let trace = sample(V050);
    let out = provscope(&["lineage", &trace, "--from", "path:/no/such/file"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no element matches"));
}

#[test]
fn convert_to_dot_writes_every_element() {
    let trace = sample(V017);
    let out = provscope(&["convert", &trace, "--to", "dot", "-o", "-"], None);
    assert!(out.status.success());
    let dot = String::from_utf8_lossy(&out.stdout);
    let edges = dot.lines().filter(|l| l.contains(" -> ")).count();
    // v0.1.7 sample: 170 relations (4 of them dangling, kept with their referenced end).
    assert_eq!(edges, 170);
}
