//! IP packets in a real capture, over loopback: a listener process writes what it
//! receives into a file, a client process reads a secret file and sends it. The packets
//! are CamFlow `packet` entities between the two sockets (`send_packet` from the client's,
//! `receive_packet` into the server's, one vertex for both ends), and the server's output
//! file traces back to the client's read of the secret through them, and only through
//! them. TCP and UDP, over IPv4 and IPv6 (which CamFlow does not record). Root, and PROVSCOPE_REQUIRE_BPF=1 turns a missing privilege into a
//! failure.

mod common;

use common::can_capture;
use common::capture::capture;
use common::walk::{NOT_DATA, backward, by_path, endpoint, with_attr};
use provscope::graph::ProvGraph;
use provscope::graph::store::NodeId;
use std::collections::HashSet;
use std::path::Path;

/// The server: binds HOST (any port), tells its port in `port`, takes one message
/// (a TCP connection's bytes until it closes, or one UDP datagram), writes it to `out`
/// and the client's port to `peer`.
const SERVER: &str = r#"
import os, socket, sys
proto, host, port_file, peer_file, out = sys.argv[1:6]
kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, kind)
s.bind((host, 0))
if proto == "tcp":
    s.listen(1)
with open(port_file + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename(port_file + ".tmp", port_file)
if proto == "tcp":
    conn, peer = s.accept()
    data = b""
    while True:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    conn.close()
else:
    data, peer = s.recvfrom(4096)
with open(out, "wb") as f:
    f.write(data)
with open(peer_file, "w") as f:
    f.write(str(peer[1]))
"#;

/// The client: makes its socket (and connects it, for TCP) before it reads the secret,
/// so that only what it sends afterwards carries the secret, then sends it.
const CLIENT: &str = r#"
import os, socket, sys, time
proto, host, port_file, secret = sys.argv[1:5]
for _ in range(1000):
    if os.path.exists(port_file):
        break
    time.sleep(0.01)
with open(port_file) as f:
    port = int(f.read())
kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
c = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, kind)
if proto == "tcp":
    c.connect((host, port))
with open(secret, "rb") as f:
    data = f.read()
if proto == "tcp":
    c.sendall(data)
else:
    c.sendto(data, (host, port))
c.close()
"#;

struct Exchange {
    g: ProvGraph,
    host: &'static str,
    secret: String,
    out: String,
    server_port: u16,
    client_port: u16,
}

/// Runs server and client as two processes under one tracked shell.
fn exchange(dir: &Path, proto: &str, host: &'static str) -> Exchange {
    let file = |name: &str| dir.join(name).display().to_string();
    let (secret, out) = (file("secret.txt"), file("received.txt"));
    let (port, peer) = (file("port"), file("peer"));
    std::fs::write(&secret, format!("{proto}-packet-payload")).unwrap();
    std::fs::write(dir.join("server.py"), SERVER).unwrap();
    std::fs::write(dir.join("client.py"), CLIENT).unwrap();
    let script = format!(
        "python3 {} {proto} {host} {port} {peer} {out} & python3 {} {proto} {host} {port} {secret}; wait",
        file("server.py"),
        file("client.py"),
    );
    let g = capture(dir, &["sh", "-c", &script]);
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        format!("{proto}-packet-payload")
    );
    let number = |p: &str| std::fs::read_to_string(p).unwrap().trim().parse().unwrap();
    Exchange {
        host,
        server_port: number(&port),
        client_port: number(&peer),
        g,
        secret,
        out,
    }
}

/// The socket objects at the receiving end (`to`) or sending end of edges of `kind`.
fn sockets_at(g: &ProvGraph, kind: &str, to: bool) -> HashSet<u32> {
    g.edge_ids()
        .filter(|&e| g.edge_kind(e) == kind)
        .map(|e| {
            let (a, b) = g.endpoints(e);
            if to { b } else { a }
        })
        .filter(|&n| g.node_kind(n) == "socket")
        .map(|n| g.node(n).object.0)
        .collect()
}

/// The packet vertices linked by `kind` to one of `sockets`.
fn packets_of(g: &ProvGraph, kind: &str, sockets: &HashSet<u32>) -> HashSet<NodeId> {
    g.edge_ids()
        .filter(|&e| g.edge_kind(e) == kind)
        .map(|e| g.endpoints(e))
        .map(|(a, b)| {
            if g.node_kind(a) == "packet" {
                (a, b)
            } else {
                (b, a)
            }
        })
        .filter(|&(p, s)| g.node_kind(p) == "packet" && sockets.contains(&g.node(s).object.0))
        .map(|(p, _)| p)
        .collect()
}

/// What both protocols must show: the packets between the two ports, sent by the
/// client's socket and received by the server's, and the lineage through them.
fn assert_packets_carry_the_secret(x: &Exchange, client: &HashSet<u32>, server: &HashSet<u32>) {
    let g = &x.g;
    let (c, s) = (
        endpoint(x.host, x.client_port),
        endpoint(x.host, x.server_port),
    );
    let to_server: HashSet<NodeId> = with_attr(g, "packet", "cf:sender", &c)
        .into_iter()
        .filter(|&p| g.node_attr_text(p, "cf:receiver").as_deref() == Some(s.as_str()))
        .collect();
    assert!(!to_server.is_empty(), "packets {c} -> {s}");
    for &p in &to_server {
        let id = g.node_attr(p, "cf:id").unwrap_or_default();
        assert!(id.parse::<u16>().is_ok(), "cf:id is a number: {id}");
        assert_eq!(
            g.node_attr_text(p, "prov:label").as_deref(),
            Some(format!("[packet] {c}->{s} ({id})").as_str())
        );
    }
    assert_eq!((client.len(), server.len()), (1, 1), "one socket each");
    let sent = packets_of(g, "send_packet", client);
    let received = packets_of(g, "receive_packet", server);
    assert!(!sent.is_empty(), "send_packet from the client's socket");
    assert!(
        !received.is_empty(),
        "receive_packet into the server's socket"
    );
    let both: HashSet<_> = sent.intersection(&received).copied().collect();
    assert!(
        !both.is_empty() && both.is_subset(&to_server),
        "a packet {c} -> {s} is one vertex at both ends"
    );

    let written = by_path(g, &x.out, "file");
    let read = by_path(g, &x.secret, "file");
    assert!(!written.is_empty() && !read.is_empty());
    let past = backward(g, &written, &NOT_DATA);
    assert!(
        read.iter().any(|r| past.contains(r)),
        "what the server wrote comes from the file the client read"
    );
    assert!(
        both.iter().any(|p| past.contains(p)),
        "through a packet both sockets share"
    );
    let mut cut = NOT_DATA.to_vec();
    cut.extend(["send_packet", "receive_packet"]);
    let without = backward(g, &written, &cut);
    assert!(
        read.iter().all(|r| !without.contains(r)),
        "no other way from the client's file to the server's"
    );
}

fn tcp_exchange(host: &'static str) {
    let dir = tempfile::tempdir().unwrap();
    let x = exchange(dir.path(), "tcp", host);
    let client = sockets_at(&x.g, "connect", true);
    let server = sockets_at(&x.g, "accept_socket", true);
    assert_packets_carry_the_secret(&x, &client, &server);
    // The server's socket answers too (ACKs): packets the other way.
    let back = with_attr(&x.g, "packet", "cf:sender", &endpoint(host, x.server_port));
    assert!(!back.is_empty(), "packets from the server's port");
    assert!(!packets_of(&x.g, "send_packet", &server).is_empty());
    // The handshake, recorded where CamFlow sees it: the listener receives the SYN and
    // the final ACK, and sends the SYN-ACK, which the client's socket receives.
    let listener = sockets_at(&x.g, "bind", true);
    assert_eq!(listener.len(), 1, "one listening socket");
    let from_client = with_attr(&x.g, "packet", "cf:sender", &endpoint(host, x.client_port));
    let syn_and_ack = packets_of(&x.g, "receive_packet", &listener);
    assert_eq!(
        syn_and_ack.len(),
        2,
        "the listener receives the SYN and the final ACK"
    );
    assert!(syn_and_ack.iter().all(|p| from_client.contains(p)));
    assert!(
        syn_and_ack.is_subset(&packets_of(&x.g, "send_packet", &client)),
        "both sent by the client's socket"
    );
    let syn_ack = packets_of(&x.g, "send_packet", &listener);
    assert_eq!(syn_ack.len(), 1, "the listener sends the SYN-ACK");
    assert!(
        syn_ack.is_subset(&packets_of(&x.g, "receive_packet", &client)),
        "which the client's socket receives"
    );
}

fn udp_exchange(host: &'static str) -> Exchange {
    let dir = tempfile::tempdir().unwrap();
    let x = exchange(dir.path(), "udp", host);
    let client = sockets_at(&x.g, "send", true);
    let server = sockets_at(&x.g, "bind", true);
    assert_packets_carry_the_secret(&x, &client, &server);
    x
}

/// The UDP packets the client sent.
fn client_datagrams(x: &Exchange) -> Vec<NodeId> {
    with_attr(
        &x.g,
        "packet",
        "cf:sender",
        &endpoint(x.host, x.client_port),
    )
}

#[test]
fn a_tcp_connection_carries_the_secret_from_client_to_server_in_packets() {
    if !can_capture() {
        return;
    }
    tcp_exchange("127.0.0.1");
}

#[test]
fn a_tcp_connection_over_ipv6_carries_the_secret_in_packets() {
    if !can_capture() {
        return;
    }
    tcp_exchange("::1");
}

#[test]
fn a_udp_datagram_carries_the_secret_from_client_to_server_in_a_packet() {
    if !can_capture() {
        return;
    }
    let x = udp_exchange("127.0.0.1");
    let udp = client_datagrams(&x);
    assert!(
        udp.iter().all(|&p| x.g.node_attr(p, "cf:seq") == Some("0")),
        "UDP has no sequence number"
    );
}

#[test]
fn a_udp_datagram_over_ipv6_carries_the_secret_in_a_packet() {
    if !can_capture() {
        return;
    }
    let x = udp_exchange("::1");
    let udp = client_datagrams(&x);
    // IPv6 has no IP id: a hash of the datagram stands in the sequence number's place.
    assert!(
        udp.iter().all(|&p| x.g.node_attr(p, "cf:seq") != Some("0")),
        "an IPv6 datagram is told apart by its hash"
    );
}

/// Many packets through the same sockets: UDP datagrams one after the other (the kernel
/// soon reuses a freed packet's memory for the next) and TCP segments read in parts.
const BURST: &str = r#"
import socket, sys
kind, host, n, ports = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
family = socket.AF_INET6 if ":" in host else socket.AF_INET
if kind == "udp":
    r = socket.socket(family, socket.SOCK_DGRAM)
    r.bind((host, 0))
    c = socket.socket(family, socket.SOCK_DGRAM)
    c.connect(r.getsockname())
else:
    l = socket.socket(family)
    l.bind((host, 0))
    l.listen(1)
    c = socket.socket(family)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    c.connect(l.getsockname())
    r, _ = l.accept()
for i in range(n):
    c.send(b"m%07d" % i)
    got = b""
    while len(got) < 8:
        got += r.recv(8 if kind == "udp" else 2)
with open(ports, "w") as f:
    f.write("%d %d" % (c.getsockname()[1], r.getsockname()[1]))
"#;

/// Every packet of a burst is recorded once at each end.
fn burst(kind: &str, host: &str, n: usize) {
    let dir = tempfile::tempdir().unwrap();
    let ports = dir.path().join("ports").display().to_string();
    let g = capture(
        dir.path(),
        &["python3", "-c", BURST, kind, host, &n.to_string(), &ports],
    );
    let text = std::fs::read_to_string(&ports).unwrap();
    let (c, s) = text.split_once(' ').unwrap();
    let between = |from: &str, to: &str| -> Vec<NodeId> {
        with_attr(&g, "packet", "cf:sender", &endpoint(host, from))
            .into_iter()
            .filter(|&p| {
                g.node_attr_text(p, "cf:receiver").as_deref() == Some(&*endpoint(host, to))
            })
            .collect()
    };
    let edges = |p: NodeId, kind: &str| {
        g.edges_of(p, petgraph::Direction::Incoming)
            .chain(g.edges_of(p, petgraph::Direction::Outgoing))
            .filter(|&(e, _)| g.edge_kind(e) == kind)
            .count()
    };
    let sent = between(c, s);
    for &p in &sent {
        assert_eq!(edges(p, "send_packet"), 1, "{kind} {host}: sent once");
        assert!(
            edges(p, "receive_packet") <= 1,
            "{kind}: received once at most"
        );
    }
    let received = sent
        .iter()
        .filter(|&&p| edges(p, "receive_packet") == 1)
        .count();
    if kind == "udp" {
        assert_eq!(sent.len(), n, "udp: a packet per message");
        assert_eq!(received, n, "udp: every datagram received");
        return;
    }
    // Every data segment is received, and so are the closing ones (FIN, ACKs), which
    // reach an established socket; the handshake's SYN and final ACK reach the listener,
    // not the connection's socket.
    assert!(
        (n..=n + 4).contains(&received),
        "tcp: {received} of {} segments received for {n} messages",
        sent.len()
    );
    // The server sends no data: what it sends the client is acknowledgements, and the
    // client's socket records receiving them.
    let acks = between(s, c);
    assert!(
        acks.iter().any(|&p| edges(p, "receive_packet") == 1),
        "tcp: a pure ACK is recorded where it is received ({} sent)",
        acks.len()
    );
}

#[test]
fn every_packet_of_a_burst_is_recorded_once_at_each_end() {
    if !can_capture() {
        return;
    }
    burst("udp", "127.0.0.1", 2000);
    burst("tcp", "127.0.0.1", 500);
}

#[test]
fn every_ipv6_packet_of_a_burst_is_recorded_once_at_each_end() {
    if !can_capture() {
        return;
    }
    burst("udp", "::1", 1000);
    burst("tcp", "::1", 300);
}
