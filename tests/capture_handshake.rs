//! TCP handshakes in a real capture, over loopback: each connection's SYN and final ACK
//! are received by the socket listening on its port, and its SYN-ACK by the connecting
//! socket, where CamFlow's socket_sock_rcv_skb sees them. One listener takes several
//! connections (the kernel makes each accepted socket as a copy of the listener, which
//! must not make the capture forget it), an IPv4 and an IPv6 listener share a port, and
//! a listener the kernel gave its port in listen() itself is known too, and listeners on
//! one port in two network namespaces each get their own handshakes, and a SYN for another
//! machine's address that a promiscuous device lets in is no listener's. Root, and
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

/// In a new network namespace, a listener and a veth pair; two SYNs for the listener's
/// port injected as raw frames into one end: one addressed to the other end's MAC, one
/// to a foreign MAC (seen only because that end is promiscuous, as tcpdump makes it).
/// Prints `listener INODE PORT`, then `host SPORT` and `foreign SPORT`.
const PROMISCUOUS_SCRIPT: &str = r#"
import ctypes, fcntl, os, socket, struct, subprocess, sys
out = open(sys.argv[1], "w")
if ctypes.CDLL(None, use_errno=True).unshare(0x40000000) != 0:  # CLONE_NEWNET
    sys.exit("unshare: %d" % ctypes.get_errno())
for cmd in (["link", "add", "v0", "type", "veth", "peer", "name", "v1"],
            ["link", "set", "v0", "up"], ["link", "set", "v1", "up", "promisc", "on"]):
    subprocess.run(["ip"] + cmd, check=True)
# SIOCGIFHWADDR: sysfs still shows the namespace it was mounted in.
mac = lambda dev: fcntl.ioctl(socket.socket(), 0x8927, struct.pack("256s", dev.encode()))[18:24]
l = socket.socket()
l.bind(("0.0.0.0", 0))
l.listen(8)
port = l.getsockname()[1]
out.write("listener %d %d\n" % (os.fstat(l.fileno()).st_ino, port))
def checksum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff
def syn(dst_mac, sport):
    src, dst = socket.inet_aton("10.9.0.1"), socket.inet_aton("10.9.0.2")
    tcp = struct.pack("!HHIIBBHHH", sport, port, 1, 0, 5 << 4, 0x02, 65535, 0, 0)
    tcp = tcp[:16] + struct.pack("!H", checksum(src + dst + struct.pack("!BBH", 0, 6, 20) + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, sport, 0, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return dst_mac + mac("v0") + b"\x08\x00" + ip + tcp
raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
raw.bind(("v0", 0))
raw.send(syn(mac("v1"), 40001))
out.write("host 40001\n")
raw.send(syn(bytes.fromhex("02aabbccddee"), 40002))
out.write("foreign 40002\n")
out.close()
import time; time.sleep(0.2)
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

#[test]
fn a_frame_for_another_machine_seen_in_promiscuous_mode_is_not_received() {
    if !can_capture() {
        return;
    }
    let (g, lines) = run(PROMISCUOUS_SCRIPT);
    let field = |tag: &str, at: usize| -> String {
        let line = lines.lines().find(|l| l.starts_with(tag));
        let line = line.unwrap_or_else(|| panic!("no {tag} line: {lines}"));
        line.split(' ').nth(at).unwrap().to_string()
    };
    let listener = field("listener", 1);
    let received_by_listener = |sport: &str| {
        with_attr(&g, "packet", "cf:sender", &endpoint("10.9.0.1", sport))
            .into_iter()
            .filter(|&p| socket_inodes(&g, p, "receive_packet").contains(&listener))
            .count()
    };
    assert_eq!(
        received_by_listener(&field("host", 1)),
        1,
        "the SYN addressed to this machine is the listener's: {lines}"
    );
    assert_eq!(
        received_by_listener(&field("foreign", 1)),
        0,
        "the SYN for another machine's address is no socket's: {lines}"
    );
}
