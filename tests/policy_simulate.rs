//! `provscope simulate` on the real CamFlow samples, checked against an independent
//! what-if (tools/oracle/simulate.py, standard-library Python reading the trace itself):
//! the same elements dropped, charged to the same filters; and the JSON contract.

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Command;

fn oracle(trace: &str, policy: &Value) -> Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tools/oracle/simulate.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(sample(trace))
        .arg(policy.to_string())
        .output()
        .expect("python3 runs the oracle");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("oracle prints JSON")
}

fn simulate(trace: &str, ini: &str, extra: &[&str]) -> Value {
    simulate_file(&sample(trace), ini, extra)
}

fn simulate_file(sample: &str, ini: &str, extra: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("camflow.ini");
    std::fs::write(&policy, ini).unwrap();
    let mut args = vec![
        "simulate",
        sample,
        "--policy",
        policy.to_str().unwrap(),
        "--json",
    ];
    args.extend_from_slice(extra);
    let out = provscope(&args, None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("simulate prints JSON")
}

/// The filters that dropped something, as cause -> elements.
fn dropped_by(report: &Value) -> BTreeMap<String, u64> {
    report["filters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["elements"].as_u64().unwrap() > 0)
        .map(|f| {
            (
                f["filter"].as_str().unwrap().to_string(),
                f["elements"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn oracle_dropped(o: &Value) -> BTreeMap<String, u64> {
    o["dropped"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
        .collect()
}

/// Totals add up: kept + dropped = trace, per-filter counts sum to dropped, in elements
/// and in bytes.
fn assert_consistent(r: &Value) {
    for unit in ["elements", "bytes"] {
        let trace = r["trace"][unit].as_u64().unwrap();
        let kept = r["kept"][unit].as_u64().unwrap();
        let dropped = r["dropped"][unit].as_u64().unwrap();
        assert_eq!(kept + dropped, trace, "{unit}");
        let per: u64 = r["filters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f[unit].as_u64().unwrap())
            .sum();
        assert_eq!(per, dropped, "{unit}");
    }
}

#[test]
fn type_filters_match_the_oracle() {
    let r = simulate(
        V050,
        "[provenance]\nrelation_filter=read\nnode_filter=path\nnode_filter=argv\n",
        &[],
    );
    let o = oracle(
        V050,
        &serde_json::json!({"node_filter": ["path", "argv"], "relation_filter": ["read"]}),
    );
    assert_consistent(&r);
    assert_eq!(r["trace"]["elements"], o["total"]);
    assert_eq!(r["kept"]["elements"], o["kept"]);
    assert_eq!(dropped_by(&r), oracle_dropped(&o));
    // Every filter of the policy is listed, even one that drops nothing.
    assert_eq!(r["filters"].as_array().unwrap().len(), 3);
}

#[test]
fn an_opaque_file_vanishes_with_its_relations() {
    let r = simulate(V050, "[file]\nopaque=/usr/bin/wget\n", &[]);
    let o = oracle(V050, &serde_json::json!({"opaque": ["/usr/bin/wget"]}));
    assert_consistent(&r);
    assert_eq!(dropped_by(&r), oracle_dropped(&o));
    assert!(o["dropped"]["file opaque=/usr/bin/wget"].as_u64().unwrap() > 4);
}

#[test]
fn track_only_follows_propagation_in_trace_order() {
    // The propagate filters change the outcome on this trace (606 elements kept without
    // them, 602 with process_memory, 97 with task), so the oracle checks their effect.
    for (filter, kind) in [
        ("propagate_node_filter", "process_memory"),
        ("propagate_node_filter", "task"),
        ("propagate_relation_filter", "memory_read"),
    ] {
        let ini =
            format!("[provenance]\nall=false\n{filter}={kind}\n[file]\npropagate=/usr/bin/wget\n");
        let r = simulate(V050, &ini, &[]);
        let o = oracle(
            V050,
            &serde_json::json!({"all": false, "propagate": ["/usr/bin/wget"], filter: [kind]}),
        );
        assert_consistent(&r);
        assert_eq!(dropped_by(&r), oracle_dropped(&o), "{filter}={kind}");
    }
    let r = simulate(
        V050,
        "[provenance]\nall=false\n[file]\npropagate=/usr/bin/wget\n",
        &[],
    );
    let kept = r["kept"]["elements"].as_u64().unwrap();
    let total = r["trace"]["elements"].as_u64().unwrap();
    assert!(kept > 10 && kept < total, "kept {kept} of {total}");
}

#[test]
fn lineage_loss_names_the_filter_that_cut_it() {
    let r = simulate(
        V050,
        "[provenance]\nnode_filter=path\n",
        &["--from", "name:wget"],
    );
    let back = &r["lineage"]["backward"];
    let before = back["before"].as_u64().unwrap();
    let after = back["after"].as_u64().unwrap();
    let lost = back["lost"].as_array().unwrap();
    assert_eq!(before - after, lost.len() as u64);
    assert!(!lost.is_empty());
    for l in lost {
        assert_eq!(l["cut_by"], "node_filter=path", "{l}");
    }
    // Path entities lost themselves: they are gone, not merely cut off.
    assert!(lost.iter().any(|l| l["type"] == "path"));
    // An empty policy loses nothing.
    let none = simulate(V050, "[provenance]\n", &["--from", "name:wget"]);
    assert_eq!(none["dropped"]["elements"], 0);
    assert_eq!(none["lineage"]["backward"]["lost_total"], 0);
    assert_eq!(
        none["lineage"]["backward"]["before"],
        none["lineage"]["backward"]["after"]
    );
}

#[test]
fn spade_traces_simulate_too() {
    let r = simulate(V080, "[provenance]\nrelation_filter=write\n", &[]);
    assert_consistent(&r);
    assert!(r["filters"][0]["elements"].as_u64().unwrap() > 0);
}

#[test]
fn bad_policies_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("bad.ini");
    std::fs::write(&policy, "[provenance]\nall=maybe\n").unwrap();
    let out = provscope(
        &[
            "simulate",
            &sample(V050),
            "--policy",
            policy.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2") && err.contains("all"), "{err}");
    let out = provscope(
        &["simulate", &sample(V050), "--policy", "/no/such.ini"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn ipv4_rules_match_addresses_as_camflowd_writes_them() {
    // The demo recording (written by `provscope capture`, camflowd's layout) uploads to
    // 127.0.0.1:8732 and downloads from 127.0.0.1:8731.
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo-capture.w3c.log");
    let kept = |rule: &str| {
        let r = simulate_file(
            demo,
            &format!("[provenance]\nall=false\n[ipv4−egress]\n{rule}\n"),
            &[],
        );
        assert_consistent(&r);
        r["kept"]["elements"].as_u64().unwrap()
    };
    let upload = kept("track=127.0.0.1/32:8732");
    let spread = kept("propagate=127.0.0.1/32:8732");
    assert!(upload > 0, "the upload's connection is tracked");
    assert!(
        spread > upload,
        "propagating from it keeps more ({spread} > {upload})"
    );
    assert_eq!(kept("track=127.0.0.1/32:9"), 0, "no connection to port 9");
    // CamFlow 0.5.0 names wget's peer by host name: it cannot be matched, and says so.
    let r = simulate(
        V050,
        "[provenance]\nall=false\n[ipv4-egress]\ntrack=0.0.0.0/0:0\n",
        &[],
    );
    let warnings = r["policy"]["warnings"].to_string();
    assert!(warnings.contains("by name"), "{warnings}");
}
