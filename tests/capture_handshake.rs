//! TCP handshakes in a real capture, over loopback: each connection's SYN and final ACK
//! are received by the socket listening on its port, and its SYN-ACK by the connecting
//! socket, where CamFlow's socket_sock_rcv_skb sees them. One listener takes several
//! connections (the kernel makes each accepted socket as a copy of the listener, which
//! must not make the capture forget it), an IPv4 and an IPv6 listener share a port, and
//! a listener the kernel gave its port in listen() itself is known too. Root, and
//! PROVSCOPE_REQUIRE_BPF=1 turns a missing privilege into a failure.

mod common;

use common::can_capture;
use common::capture::capture;
use common::walk::{endpoint, with_attr};
use petgraph::Direction;
use provscope::graph::ProvGraph;
use provscope::graph::store::NodeId;

/// Prints, one line each, `listener INODE` then `client PORT LISTENER-INODE HOST` for
/// every connection made to it.
const SCRIPT: &str = r#"
import os, socket, sys
out = open(sys.argv[1], "w")
def listener(family, host, port=None):
    s = socket.socket(family)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    if port is not None:
        s.bind((host, port))
    s.listen(8)
    return s
def connect(l, family, host):
    c = socket.socket(family)
    c.connect((host, l.getsockname()[1]))
    r, _ = l.accept()
    out.write("client %d %d %s\n" % (c.getsockname()[1], os.fstat(l.fileno()).st_ino, host))
    return c, r
v4 = listener(socket.AF_INET, "127.0.0.1", 0)
v6 = listener(socket.AF_INET6, "::1", v4.getsockname()[1])
auto = listener(socket.AF_INET, "127.0.0.1")
keep = [connect(v4, socket.AF_INET, "127.0.0.1") for _ in range(3)]
keep.append(connect(v6, socket.AF_INET6, "::1"))
keep.append(connect(auto, socket.AF_INET, "127.0.0.1"))
out.close()
"#;

/// The inode numbers of the sockets that received (or sent) `packet`.
fn socket_inodes(g: &ProvGraph, packet: NodeId, kind: &str) -> Vec<String> {
    g.edges_of(packet, Direction::Incoming)
        .chain(g.edges_of(packet, Direction::Outgoing))
        .filter(|&(e, _)| g.edge_kind(e) == kind)
        .map(|(e, _)| {
            let (a, b) = g.endpoints(e);
            let s = if a == packet { b } else { a };
            g.node_attr(s, "cf:ino").unwrap_or_default().to_string()
        })
        .collect()
}

#[test]
fn every_handshake_is_received_by_its_listener_and_its_connecting_socket() {
    if !can_capture() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("clients").display().to_string();
    let g = capture(dir.path(), &["python3", "-c", SCRIPT, &report]);
    let clients = std::fs::read_to_string(&report).unwrap();
    assert_eq!(clients.lines().count(), 5);
    for line in clients.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        let (port, listener, host) = (f[1], f[2], f[3]);
        // The packets of `among` that the listener's socket is at the `kind` end of.
        let by_listener = |among: Vec<NodeId>, kind: &str| -> Vec<NodeId> {
            among
                .into_iter()
                .filter(|&p| socket_inodes(&g, p, kind).iter().any(|i| i == listener))
                .collect()
        };
        let from_client = with_attr(&g, "packet", "cf:sender", &endpoint(host, port));
        assert_eq!(
            by_listener(from_client, "receive_packet").len(),
            2,
            "{line}: the listener receives the SYN and the final ACK"
        );
        let to_client = with_attr(&g, "packet", "cf:receiver", &endpoint(host, port));
        let syn_ack = by_listener(to_client, "send_packet");
        assert_eq!(syn_ack.len(), 1, "{line}: the listener sends the SYN-ACK");
        assert_eq!(
            socket_inodes(&g, syn_ack[0], "receive_packet").len(),
            1,
            "{line}: which the connecting socket receives"
        );
    }
}
