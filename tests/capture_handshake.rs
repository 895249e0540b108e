//! TCP handshakes in a real capture, over loopback: each connection's SYN and final ACK
//! are received by the socket listening on its port, and its SYN-ACK by the connecting
//! socket, where CamFlow's socket_sock_rcv_skb sees them. One listener takes several
//! connections (the kernel makes each accepted socket as a copy of the listener, which
//! must not make the capture forget it), an IPv4 and an IPv6 listener share a port, and
//! a listener the kernel gave its port in listen() itself is known too, and listeners on
//! one port in two network namespaces each get their own handshakes. Root, and
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

/// Listeners on one port in two network namespaces, both listening while each takes a
/// connection; prints a `client` line for each connection as SCRIPT does.
const NETNS_SCRIPT: &str = r#"
import ctypes, fcntl, os, socket, struct, sys
out = sys.argv[1]
def listener(port):
    s = socket.socket()
    s.bind(("127.0.0.1", port))
    s.listen(8)
    return s
def connect(l, client_port):
    c = socket.socket()
    c.bind(("127.0.0.1", client_port))
    c.connect(("127.0.0.1", l.getsockname()[1]))
    r, _ = l.accept()
    with open(out, "a") as f:
        f.write("client %d %d 127.0.0.1\n" % (c.getsockname()[1], os.fstat(l.fileno()).st_ino))
    return c, r
host = listener(0)
port = host.getsockname()[1]
ready_r, ready_w = os.pipe()
go_r, go_w = os.pipe()
pid = os.fork()
if pid == 0:
    if ctypes.CDLL(None, use_errno=True).unshare(0x40000000) != 0:  # CLONE_NEWNET
        os._exit(2)
    s = socket.socket()  # bring the new namespace's loopback up (SIOCGIFFLAGS, SIOCSIFFLAGS)
    flags = struct.unpack("16sh", fcntl.ioctl(s, 0x8913, struct.pack("16sh", b"lo", 0)))[1]
    fcntl.ioctl(s, 0x8914, struct.pack("16sh", b"lo", flags | 1))
    inner = listener(port)
    os.write(ready_w, b"x")
    client_port = int(os.read(go_r, 16))
    keep = connect(inner, client_port)
    os._exit(0)
os.read(ready_r, 1)
keep = connect(host, 0)
client = keep[0].getsockname()[1]
os.write(go_w, b"%d" % (client + 1 if client + 1 != port else client + 2))
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
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

/// Every connection `clients` lists (`client PORT LISTENER-INODE HOST` lines): its SYN
/// and final ACK received by its listener, its SYN-ACK sent by the listener and received
/// by the connecting socket.
fn assert_handshakes(g: &ProvGraph, clients: &str) {
    for line in clients.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        let (port, listener, host) = (f[1], f[2], f[3]);
        // The packets of `among` that the listener's socket is at the `kind` end of.
        let by_listener = |among: Vec<NodeId>, kind: &str| -> Vec<NodeId> {
            among
                .into_iter()
                .filter(|&p| socket_inodes(g, p, kind).iter().any(|i| i == listener))
                .collect()
        };
        let from_client = with_attr(g, "packet", "cf:sender", &endpoint(host, port));
        assert_eq!(
            by_listener(from_client, "receive_packet").len(),
            2,
            "{line}: the listener receives the SYN and the final ACK"
        );
        let to_client = with_attr(g, "packet", "cf:receiver", &endpoint(host, port));
        let syn_ack = by_listener(to_client, "send_packet");
        assert_eq!(syn_ack.len(), 1, "{line}: the listener sends the SYN-ACK");
        assert_eq!(
            socket_inodes(g, syn_ack[0], "receive_packet").len(),
            1,
            "{line}: which the connecting socket receives"
        );
    }
}

/// Captures the python `script` (tracked), which writes its `client` lines to a file
/// named by its first argument; returns the graph and those lines.
fn run(script: &str) -> (ProvGraph, String) {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("clients").display().to_string();
    let g = capture(dir.path(), &["python3", "-c", script, &report]);
    (g, std::fs::read_to_string(&report).unwrap())
}

#[test]
fn every_handshake_is_received_by_its_listener_and_its_connecting_socket() {
    if !can_capture() {
        return;
    }
    let (g, clients) = run(SCRIPT);
    assert_eq!(clients.lines().count(), 5);
    assert_handshakes(&g, &clients);
}

#[test]
fn listeners_on_one_port_in_two_network_namespaces_each_get_their_handshakes() {
    if !can_capture() {
        return;
    }
    let (g, clients) = run(NETNS_SCRIPT);
    assert_eq!(clients.lines().count(), 2, "{clients}");
    let listeners: std::collections::HashSet<&str> = clients
        .lines()
        .map(|l| l.split(' ').nth(2).unwrap())
        .collect();
    assert_eq!(listeners.len(), 2, "two listeners: {clients}");
    assert_handshakes(&g, &clients);
}
