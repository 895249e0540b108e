//! Unix sockets in a real capture: the socket path is one CamFlow `address` entity,
//! `addressed` to the listening socket (bind), the client's socket (connect) and the
//! accepted socket (the listening socket's name, since the client is unnamed); an abstract
//! name shows as `@name`; and data sent by one process reaches the other through the two
//! sockets (`receive_unix` / `send_unix` between them). Root, and PROVSCOPE_REQUIRE_BPF=1
//! turns a missing privilege into a failure.

mod common;

use common::can_capture;
use common::capture::capture;
use common::walk::{NOT_DATA, backward, by_path};
use provscope::graph::ProvGraph;
use provscope::graph::store::NodeId;
use std::collections::HashSet;

/// Server and client of one unix stream connection: the client (a forked child) reads
/// `secret` and sends it; the server writes what it received to `out` and replies. Each
/// side waits for the other before closing, so both see a connected peer.
const EXCHANGE: &str = r#"
import os, socket, sys
addr, connect_to, secret, out = sys.argv[1:5]
if addr.startswith("@"):
    addr = connect_to = "\0" + addr[1:]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(addr)
srv.listen(1)
pid = os.fork()
if pid == 0:
    srv.close()
    with open(secret, "rb") as f:
        data = f.read()
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect(connect_to)
    c.sendall(data)
    c.recv(16)
    c.close()
    os._exit(0)
conn, _ = srv.accept()
data = conn.recv(4096)
with open(out, "wb") as f:
    f.write(data)
conn.sendall(b"thanks")
conn.recv(16)
conn.close()
os.waitpid(pid, 0)
"#;

/// The address entities whose `cf:address` is AF_UNIX with this path.
fn unix_addresses(g: &ProvGraph, path: &str) -> Vec<NodeId> {
    g.defined_nodes()
        .filter(|&n| g.node_kind(n) == "address")
        .filter(|&n| {
            let v: serde_json::Value = g
                .node_attr(n, "cf:address")
                .and_then(|j| serde_json::from_str(j).ok())
                .unwrap_or_default();
            v["type"] == "AF_UNIX" && v["path"] == path
        })
        .collect()
}

/// The receivers of edges of `kind`.
fn receivers(g: &ProvGraph, kind: &str) -> HashSet<NodeId> {
    g.edge_ids()
        .filter(|&e| g.edge_kind(e) == kind)
        .map(|e| g.endpoints(e).1)
        .collect()
}

/// The socket objects at either end of the edges of `kind`.
fn sockets_of(g: &ProvGraph, kind: &str) -> HashSet<u32> {
    g.edge_ids()
        .filter(|&e| g.edge_kind(e) == kind)
        .flat_map(|e| {
            let (a, b) = g.endpoints(e);
            [a, b]
        })
        .filter(|&n| g.node_kind(n) == "socket")
        .map(|n| g.node(n).object.0)
        .collect()
}

/// The objects (not versions) of a set of vertices that are of `kind`.
fn objects_of(g: &ProvGraph, set: &HashSet<NodeId>, kind: &str) -> HashSet<u32> {
    set.iter()
        .filter(|&&n| g.node_kind(n) == kind)
        .map(|&n| g.node(n).object.0)
        .collect()
}

/// Runs the exchange on `addr` (a path relative to the workload's directory, or `@name`)
/// with the client connecting to `connect_to`; returns the graph and the output file.
fn exchange(dir: &std::path::Path, addr: &str, connect_to: &str) -> (ProvGraph, String, String) {
    let secret = dir.join("secret.txt");
    let out = dir.join("received.txt");
    std::fs::write(&secret, "unix-socket-payload").unwrap();
    let (secret, out) = (secret.display().to_string(), out.display().to_string());
    // The server binds relative to its working directory: `cd` first.
    let script = format!(
        "import os; os.chdir({:?})\n{EXCHANGE}",
        dir.display().to_string()
    );
    let g = capture(
        dir,
        &["python3", "-c", &script, addr, connect_to, &secret, &out],
    );
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "unix-socket-payload"
    );
    (g, secret, out)
}

#[test]
fn a_unix_socket_path_is_one_address_and_data_flows_between_the_two_processes() {
    if !can_capture() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("exchange.sock").display().to_string();
    // Bound by a relative name, reached by the absolute one: one address.
    let (g, secret, out) = exchange(dir.path(), "exchange.sock", &path);
    let addresses = unix_addresses(&g, &path);
    assert_eq!(addresses.len(), 1, "one address entity for {path}");
    let address = addresses[0];
    assert_eq!(
        g.node_attr_text(address, "prov:label").as_deref(),
        Some(format!("[address] UNIX {path}").as_str())
    );
    let addressed: HashSet<u32> = g
        .edges_of(address, petgraph::Direction::Outgoing)
        .filter(|&(e, _)| g.edge_kind(e) == "addressed")
        .map(|(_, s)| g.node(s).object.0)
        .collect();
    for (what, kind) in [
        ("the listening socket", "bind"),
        ("the client's socket", "connect"),
        ("the accepted socket", "accept"),
    ] {
        let sockets = sockets_of(&g, kind);
        assert!(!sockets.is_empty(), "{kind} recorded");
        assert!(
            sockets.iter().all(|s| addressed.contains(s)),
            "{what} is addressed by {path}"
        );
    }
    assert!(
        !receivers(&g, "accept_socket").is_empty(),
        "accept_socket recorded"
    );

    // The client read the secret and sent it; the server wrote what it received.
    let written = by_path(&g, &out, "file");
    let read = by_path(&g, &secret, "file");
    assert!(!written.is_empty() && !read.is_empty());
    let past = backward(&g, &written, &NOT_DATA);
    assert!(
        read.iter().any(|r| past.contains(r)),
        "what the server wrote comes from the file the client read"
    );
    assert!(
        objects_of(&g, &past, "socket").len() >= 2,
        "through two sockets: the client's and the accepted one"
    );
    assert!(
        objects_of(&g, &past, "process_memory").len() >= 2,
        "across two processes"
    );
    // And only through the link between the two sockets.
    let mut cut = NOT_DATA.to_vec();
    cut.extend(["send_unix", "receive_unix"]);
    let without = backward(&g, &written, &cut);
    assert!(
        read.iter().all(|r| !without.contains(r)),
        "no other way from the client's file to the server's"
    );
    // Both ways: client → accepted socket (the message) and back (the reply), whichever
    // side saw the other connected (`receive_unix` at a send, `send_unix` at a receive).
    let links: HashSet<(u32, u32)> = g
        .edge_ids()
        .filter(|&e| matches!(g.edge_kind(e), "send_unix" | "receive_unix"))
        .map(|e| {
            let (a, b) = g.endpoints(e);
            (g.node(a).object.0, g.node(b).object.0)
        })
        .collect();
    let client = sockets_of(&g, "connect");
    let accepted: HashSet<u32> = receivers(&g, "accept_socket")
        .iter()
        .map(|&n| g.node(n).object.0)
        .collect();
    assert_eq!((client.len(), accepted.len()), (1, 1));
    let (c, a) = (
        client.into_iter().next().unwrap_or_default(),
        accepted.into_iter().next().unwrap_or_default(),
    );
    assert!(
        links.contains(&(c, a)),
        "the message: client → accepted socket"
    );
    assert!(
        links.contains(&(a, c)),
        "the reply: accepted → client socket"
    );
}

#[test]
fn an_abstract_unix_name_is_an_address_with_a_leading_at() {
    if !can_capture() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let name = format!("@provscope-test-{}", std::process::id());
    let (g, _, _) = exchange(dir.path(), &name, &name);
    let addresses = unix_addresses(&g, &name);
    assert_eq!(addresses.len(), 1, "one address entity for {name}");
    let sockets: HashSet<u32> = g
        .edges_of(addresses[0], petgraph::Direction::Outgoing)
        .filter(|&(e, _)| g.edge_kind(e) == "addressed")
        .map(|(_, s)| g.node(s).object.0)
        .collect();
    let accepted: HashSet<u32> = receivers(&g, "accept_socket")
        .into_iter()
        .map(|n| g.node(n).object.0)
        .collect();
    assert!(!accepted.is_empty());
    assert!(
        accepted.is_subset(&sockets),
        "the accepted socket has the name"
    );
    assert_eq!(sockets.len(), 3, "listening, client and accepted sockets");
}
