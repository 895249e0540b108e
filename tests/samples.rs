//! The real CamFlow samples, loaded through the real binary and the library. Expected
//! counts come from tools/oracle/camflow_counts.py, an independent Python reading of the
//! same files (checked again by hand with jq), never from provscope itself.

mod common;
use common::*;
use petgraph::Direction;
use provscope::capture::camflow::{ReaderOptions, load_traces};
use provscope::graph::{ElementKey, Family, NodeId, ProvGraph, Selector};
use serde_json::json;

fn load(name: &str) -> ProvGraph {
    let mut g = ProvGraph::new();
    load_traces(&[sample(name)], &ReaderOptions::default(), &mut g).expect("sample loads");
    g
}

fn node(g: &ProvGraph, key: &str) -> NodeId {
    g.find_node(&ElementKey::parse(key))
        .unwrap_or_else(|| panic!("no vertex {key}"))
}

#[test]
fn v017_single_document_counts() {
    assert_eq!(
        stats_json(&[&sample(V017)]),
        json!({"dangling_edges":4,"derived_agents":2,"edge_types":{"connect":4,"create":4,"mmap_exec":3,"mmap_read":8,"mmap_write":3,"named":13,"open":9,"read":21,"receive":19,"send":10,"version":75,"write":1},"edges":170,"format":"w3c","node_types":{"address":4,"file":11,"machine":4,"packet":15,"path":9,"socket":20,"task":53},"nodes":116,"skipped_lines":0})
    );
}

#[test]
fn v050_json_lines_counts() {
    assert_eq!(
        stats_json(&[&sample(V050)]),
        json!({"dangling_edges":0,"derived_agents":2,"edge_types":{"arg":2,"bind":1,"clone_mem":2,"connect":6,"exec":2,"exec_task":1,"free":7,"getattr":52,"memory_read":9,"memory_write":10,"mmap_exec_private":26,"mmap_read":1,"mmap_read_private":83,"mmap_write_private":26,"named":57,"open":42,"perm_exec":1,"perm_read":41,"ran_on":1,"read":51,"read_ioctl":2,"receive":8,"receive_msg":14,"receive_packet":10,"send":1,"send_msg":3,"send_packet":6,"sh_read":7,"socket_create":7,"terminate_proc":4,"terminate_task":1,"version_activity":18,"version_entity":14,"write":1,"write_ioctl":2},"edges":519,"format":"w3c","node_types":{"address":7,"argv":2,"file":47,"machine":1,"packet":16,"path":50,"process_memory":16,"socket":19,"task":20},"nodes":178,"skipped_lines":0})
    );
}

#[test]
fn v080_spade_counts() {
    assert_eq!(
        stats_json(&[&sample(V080)]),
        json!({"dangling_edges":0,"derived_agents":2,"edge_types":{"getattr":1,"memory_read":1,"memory_write":2,"named":2,"open":1,"ran_on":1,"terminate_proc":1,"terminate_task":1,"version_activity":2,"version_entity":1,"write":1},"edges":14,"format":"spade","node_types":{"file":2,"machine":3,"path":2,"process_memory":2,"task":4},"nodes":13,"skipped_lines":0})
    );
}

#[test]
fn all_samples_together_are_mixed_and_add_up() {
    let v = stats_json(&[&sample(V017), &sample(V050), &sample(V080)]);
    assert_eq!(v["format"], "mixed");
    assert_eq!(v["nodes"], 116 + 178 + 13);
    assert_eq!(v["edges"], 170 + 519 + 14);
    assert_eq!(v["derived_agents"], 6);
}

#[test]
fn objects_and_version_chains_match_the_oracle() {
    for (name, objects, chains) in [(V017, 45, 8), (V050, 134, 13), (V080, 8, 3)] {
        let g = load(name);
        let defined: Vec<_> = (0..g.object_count())
            .map(|i| g.object(provscope::graph::store::ObjectId(i as u32)))
            .filter(|o| {
                o.versions
                    .iter()
                    .any(|&v| g.node(v).origin == provscope::graph::Origin::Defined)
            })
            .collect();
        assert_eq!(defined.len(), objects, "{name} objects");
        assert_eq!(
            defined.iter().filter(|o| o.versions.len() > 1).count(),
            chains,
            "{name} chains"
        );
    }
    let g = load(V017);
    let task = node(&g, "BAAAAAAAAACg2wAAAAAAAAmnZWP11Xg/AAAAAAAAAAA=");
    let versions = g.versions(task);
    assert_eq!(versions.len(), 53);
    let numbers: Vec<u32> = versions.iter().map(|&v| g.node(v).version).collect();
    assert_eq!(numbers, (0..53).collect::<Vec<u32>>());
}

#[test]
fn v017_dangling_ends_are_the_unwritten_socket_versions() {
    let g = load(V017);
    let missing = node(&g, "AAQAAAAAAADnSQAAAAAAAAmnZWP11Xg/AAAAAAAAAAA=");
    assert_eq!(g.node(missing).origin, provscope::graph::Origin::Referenced);
    let out = g.neighbours(missing, Direction::Outgoing, Family::Versioning);
    assert_eq!(out.len(), 1, "the version edge to socket v1 is kept");
    // machines keyed by bare numbers in the entity section are agents.
    let machine = node(&g, "184983327");
    assert_eq!(g.node(machine).class, provscope::graph::ProvClass::Agent);
    assert_eq!(g.node_kind(machine), "machine");
}

#[test]
fn v050_path_lookup_reaches_the_file_and_its_reader() {
    let g = load(V050);
    let found = g.select(&Selector::Path("/etc/resolv.conf".into()));
    let file = node(&g, "AAIAAAAAACDF/gAAAAAAAAEAAABTTLt0AAAAAAAAAAA=");
    let path = node(&g, "AAAIAAAAACAwHgIAAAAAAAEAAABTTLt0AAAAAAAAAAA=");
    assert_eq!(
        found,
        vec![file, path],
        "the named file first, then the path entity"
    );
    let readers = g.neighbours(file, Direction::Outgoing, Family::DataIn);
    let task_v7 = node(&g, "AQAAAAAAAEDDHQIAAAAAAAEAAABTTLt0BwAAAAAAAAA=");
    assert!(
        readers
            .iter()
            .any(|&(e, n)| n == task_v7 && g.edge_kind(e) == "read")
    );
}

#[test]
fn v050_pid_and_name_lookups() {
    let g = load(V050);
    let by_pid = g.select(&Selector::Pid(3666));
    assert_eq!(by_pid.len(), 20, "every version of task 138691");
    let by_name = g.select(&Selector::Name("wget".into()));
    assert!(!by_name.is_empty());
    assert!(
        by_name.iter().any(|&n| g.node_kind(n) == "process_memory"),
        "argv wget → its process"
    );
    let by_id = g.select(&Selector::Id(
        "cf:AQAAAAAAAEDDHQIAAAAAAAEAAABTTLt0AAAAAAAAAAA=".into(),
    ));
    assert_eq!(by_id.len(), 1);
}

#[test]
fn v050_shared_state_groups_tasks_of_one_process() {
    let g = load(V050);
    // task 138691 v2 records a memory_write into process_memory 138695 (relation 2581).
    let task = node(&g, "AQAAAAAAAEDDHQIAAAAAAAEAAABTTLt0AgAAAAAAAAA=");
    let memory = node(&g, "AAAACAAAACDHHQIAAAAAAAEAAABTTLt0AAAAAAAAAAA=");
    assert!(g.process_memory_of(task).contains(&memory));
    assert!(g.tasks_of_process(memory).contains(&task));
    let writes = g.neighbours(task, Direction::Outgoing, Family::SharedWrite);
    assert!(
        writes
            .iter()
            .any(|&(e, m)| m == memory && g.edge_kind(e) == "memory_write"),
        "memory_write is a first-class shared_write"
    );
}

#[test]
fn derived_agents_act_for_tasks() {
    let g = load(V050);
    let task = node(&g, "AQAAAAAAAEDDHQIAAAAAAAEAAABTTLt0BwAAAAAAAAA=");
    let agents: Vec<String> = g
        .neighbours(task, Direction::Incoming, Family::Other)
        .into_iter()
        .filter(|&(e, _)| g.edge(e).derived)
        .map(|(_, a)| g.node(a).key.to_text())
        .collect();
    assert!(
        agents.contains(&"user:1958431827:1000".to_string()),
        "{agents:?}"
    );
    assert!(
        agents.contains(&"group:1958431827:1000".to_string()),
        "{agents:?}"
    );
}

#[test]
fn v080_spade_direction_and_repeated_machine() {
    let g = load(V080);
    let write = g
        .find_edge(&ElementKey::parse(
            "IAAAAAAAQIAMAAAAAAAAAAEAAAAykjc2AAAAAAAAAAA=",
        ))
        .expect("write edge");
    let (from, to) = g.endpoints(write);
    assert_eq!(
        g.node(from).key.to_text(),
        "AQAAAAAAAEAtowEAAAAAAAEAAAAykjc2AgAAAAAAAAA="
    );
    assert_eq!(
        g.node(to).key.to_text(),
        "AAEAAAAAACBSowEAAAAAAAEAAAAykjc2AQAAAAAAAAA="
    );
    assert_eq!(
        g.merged_nodes(),
        1,
        "the machine written twice is one vertex"
    );
}
