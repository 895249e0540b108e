//! The bundled demo recording (a real capture made by tools/demo/stage_incident.sh) tells
//! the story README promises: what left for 127.0.0.1:8732 came from /etc/shadow, through
//! cp's copy, one python thread's read and another thread's send, and left in packets;
//! the payload itself came in packets from the web server.

mod common;

use common::demo_trace;
use common::walk::{NOT_DATA, backward, by_path};
use provscope::capture::camflow::load::load_traces;
use provscope::capture::camflow::reader::ReaderOptions;
use provscope::graph::ProvGraph;
use std::collections::HashSet;

fn demo() -> ProvGraph {
    let mut g = ProvGraph::new();
    load_traces(&[demo_trace()], &ReaderOptions::default(), &mut g).expect("demo loads");
    g
}

#[test]
fn the_upload_comes_from_etc_shadow_across_two_threads() {
    let g = demo();
    let shadow = by_path(&g, "/etc/shadow", "file");
    let copy = by_path(&g, "/tmp/.cache-x/s.bak", "file");
    assert!(!shadow.is_empty() && !copy.is_empty());
    let sends: Vec<_> = g.edge_ids().filter(|&e| g.edge_kind(e) == "send").collect();
    // The socket whose address is the listener.
    let upload = sends
        .iter()
        .map(|&e| g.endpoints(e))
        .find(|&(_, sock)| {
            backward(&g, &[sock], &[]).iter().any(|&n| {
                g.node_attr(n, "cf:address")
                    .is_some_and(|a| a.contains("8732"))
            })
        })
        .expect("a send to the listener");
    let past = backward(&g, &[upload.1], &NOT_DATA);
    assert!(copy.iter().any(|c| past.contains(c)), "from the copy");
    assert!(shadow.iter().any(|s| past.contains(s)), "from /etc/shadow");
    // The sending task and the task that read the copy are different threads.
    let sender = g.node(upload.0).object;
    let readers: HashSet<_> = g
        .edge_ids()
        .filter(|&e| g.edge_kind(e) == "read" && copy.contains(&g.endpoints(e).0))
        .map(|e| g.node(g.endpoints(e).1).object)
        .collect();
    assert!(!readers.is_empty(), "someone read the copy");
    assert!(!readers.contains(&sender), "another thread sent it");
}

#[test]
fn the_payload_was_downloaded_made_executable_run_and_renamed() {
    let g = demo();
    let payload = by_path(&g, "/tmp/.x", "file");
    let kinds_into = |kind: &str| {
        g.edge_ids()
            .any(|e| g.edge_kind(e) == kind && payload.contains(&g.endpoints(e).1))
    };
    assert!(kinds_into("write"), "curl wrote it");
    assert!(kinds_into("setattr_inode"), "chmod changed it");
    assert!(kinds_into("rename"), "it was renamed");
    assert!(
        g.edge_ids()
            .any(|e| g.edge_kind(e) == "exec" && payload.contains(&g.endpoints(e).0)),
        "it was run"
    );
    let renamed = by_path(&g, "/tmp/.cache-x/.x", "file");
    assert!(
        renamed.iter().any(|r| payload.contains(r)),
        "same object, new name"
    );
}

/// The demo's packets sent to port `to_port`.
fn packets(g: &ProvGraph, to_port: &str) -> Vec<provscope::graph::NodeId> {
    g.node_ids()
        .filter(|&n| g.node_kind(n) == "packet")
        .filter(|&n| {
            g.node_attr(n, "cf:receiver")
                .is_some_and(|r| r.trim_matches('"').ends_with(&format!(":{to_port}")))
        })
        .collect()
}

#[test]
fn the_payload_came_in_packets_and_the_upload_left_in_packets() {
    let g = demo();
    // The download: what curl wrote to /tmp/.x came from the web server's packets.
    let payload = by_path(&g, "/tmp/.x", "file");
    let past = backward(&g, &payload, &NOT_DATA);
    let from_server = g
        .node_ids()
        .filter(|&n| g.node_kind(n) == "packet" && past.contains(&n))
        .any(|n| {
            g.node_attr(n, "cf:sender")
                .is_some_and(|s| s.contains("127.0.0.1:8731"))
        });
    assert!(
        from_server,
        "a packet from 127.0.0.1:8731 is in the payload's past"
    );
    // The upload: packets to the listener, sent from a socket whose past holds the copy.
    let copy = by_path(&g, "/tmp/.cache-x/s.bak", "file");
    let upload = packets(&g, "8732");
    assert!(!upload.is_empty(), "packets to 127.0.0.1:8732");
    let carried = upload.iter().any(|&p| {
        copy.iter()
            .any(|c| backward(&g, &[p], &NOT_DATA).contains(c))
    });
    assert!(
        carried,
        "a packet to the listener carries the copy of /etc/shadow"
    );
}
