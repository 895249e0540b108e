//! Packets in the builder: CamFlow's packet identifier against the real trace's packets,
//! and the order that keeps lineage whole (task → socket → packet when sending, packet →
//! socket → task when receiving, on the same socket version).

use super::packets::{HOLD_NS, PacketId, packet_element};
use super::test_events::{call, packet};
use super::*;
use crate::capture::ebpf::event::FdObject;
use crate::capture::ebpf::packet::{Direction, IpHeader, PacketContent};
use crate::graph::identifier::ElementKey;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

/// Two packets of camflow-v0.5.0_w3c_jsonl_wget.log: a DNS query (UDP) and an HTTP
/// segment (TCP), with what CamFlow wrote for them.
const SAMPLES: [(&str, u16, u32, &str, &str, u8); 2] = [
    (
        "AAAQAAAAACAqKQAACgACDwoAAgOqAQA1EQAAAAAAAAA=",
        10538,
        0,
        "10.0.2.15:43521",
        "10.0.2.3:53",
        17,
    ),
    (
        "AAAQAAAAACD9JAAACgACD9g6xqSZ8ABQBgAAAFSAwTc=",
        9469,
        935_428_180,
        "10.0.2.15:39408",
        "216.58.198.164:80",
        6,
    ),
];

fn sample_bytes(key: &str) -> [u8; 32] {
    match ElementKey::parse(key) {
        ElementKey::Binary(b) => b,
        ElementKey::Text(t) => panic!("not an identifier: {t}"),
    }
}

#[test]
fn the_real_packet_identifiers_decode_and_encode_back() {
    for (key, id, seq, sender, receiver, protocol) in SAMPLES {
        let bytes = sample_bytes(key);
        let p = PacketId::decode(&bytes);
        assert_eq!(p.encode(), bytes, "{key}");
        assert_eq!(p.key(), format!("cf:{key}"));
        assert_eq!(p.kind, 0x2000_0000_0010_0000, "v0.5.0's ENT_PACKET");
        assert_eq!((p.camflow_id(), p.camflow_seq()), (id, seq), "{key}");
        assert_eq!(
            (p.sender().as_str(), p.receiver().as_str()),
            (sender, receiver)
        );
        assert_eq!(p.protocol, protocol);
        assert_eq!(p.label(), format!("[packet] {sender}->{receiver} ({id})"));
    }
}

#[test]
fn headers_as_the_kernel_reads_them_give_camflows_identifier() {
    // The HTTP segment as it was on the wire: IP id 0xfd24, port 39408 = 0x99f0,
    // sequence number 0x5480c137.
    let (saddr, daddr) = IpHeader::ipv4_addresses([10, 0, 2, 15], [216, 58, 198, 164]);
    let h = IpHeader {
        version: 4,
        id: [0xfd, 0x24],
        tot_len: 40u16.to_be_bytes(),
        saddr,
        daddr,
        sport: 39408u16.to_be_bytes(),
        dport: 80u16.to_be_bytes(),
        seq: [0x54, 0x80, 0xc1, 0x37],
        protocol: 6,
    };
    let (key, ..) = SAMPLES[1];
    let p = PacketId::of(0x2000_0000_0010_0000, &h);
    assert_eq!(p.encode(), sample_bytes(key));
    let text = packet_element(&p, h.tot_len, 4_295_572_499).text();
    let v: Value = serde_json::from_str(&format!("{{{text}}}")).unwrap();
    let attrs = &v[format!("cf:{key}")];
    assert_eq!(attrs["cf:id"], 9469, "a number, as CamFlow writes it");
    assert_eq!(attrs["cf:seq"], 935_428_180);
    assert_eq!(attrs["cf:sender"], "10.0.2.15:39408");
    assert_eq!(attrs["cf:receiver"], "216.58.198.164:80");
    assert_eq!(attrs["prov:type"], "packet");
    assert_eq!(attrs["cf:jiffies"], "4295572499");
    assert_eq!(attrs["cf:len"], 10240, "tot_len 40 as CamFlow stores it");
    assert_eq!(
        attrs["prov:label"],
        "[packet] 10.0.2.15:39408->216.58.198.164:80 (9469)"
    );
    assert!(attrs.get("cf:boot_id").is_none() && attrs.get("cf:version").is_none());
}

#[test]
fn an_ipv6_packet_keeps_its_addresses_in_the_text_and_folds_them_in_the_identifier() {
    let mut a = [0u8; 16];
    a[0..2].copy_from_slice(&[0xfd, 0x00]);
    a[15] = 1;
    let b = std::net::Ipv6Addr::LOCALHOST.octets();
    let h = IpHeader {
        version: 6,
        id: [0x12, 0x34],
        tot_len: 72u16.to_be_bytes(),
        saddr: a,
        daddr: b,
        sport: 40000u16.to_be_bytes(),
        dport: 8080u16.to_be_bytes(),
        seq: [0, 0, 0, 9],
        protocol: 6,
    };
    let p = PacketId::of(0x2000_0000_0010_0000, &h);
    let bytes = p.encode();
    assert_eq!(&bytes[12..16], &[0xfd, 0, 0, 1], "fd00::1 folded");
    assert_eq!(&bytes[16..20], &[0, 0, 0, 1], "::1 folded");
    assert_eq!(bytes[25], 6, "marked IPv6");
    let v4 = IpHeader {
        version: 4,
        saddr: IpHeader::ipv4_addresses([0xfd, 0, 0, 1], [0, 0, 0, 1]).0,
        daddr: IpHeader::ipv4_addresses([0xfd, 0, 0, 1], [0, 0, 0, 1]).1,
        ..h
    };
    assert_ne!(
        PacketId::of(p.kind, &v4).encode(),
        bytes,
        "never an IPv4 packet's identifier"
    );
    assert_eq!(PacketId::decode(&bytes).encode(), bytes, "decodes back");
    assert_eq!(p.sender(), "[fd00::1]:40000");
    assert_eq!(p.receiver(), "[::1]:8080");
    assert_eq!(
        p.label(),
        format!("[packet] [fd00::1]:40000->[::1]:8080 ({})", p.camflow_id())
    );
}

const SENDTO: u32 = 44;
const RECVFROM: u32 = 45;
const OPENAT: u32 = 257;

fn builder() -> Builder {
    Builder::new(Host {
        machine_id: 7,
        boot_id: 3,
        uname: Vec::new(),
    })
}

fn socket(ino: u64) -> FdObject {
    FdObject {
        ino,
        dev: 9,
        mode: 0o140777,
        sock_type: 1,
        family: 2,
        ..FdObject::default()
    }
}

/// The relations written, in order, as (type, sender, receiver).
fn relations(b: &mut Builder) -> Vec<(String, String, String)> {
    b.take_output()
        .filter(|e| !e.is_node())
        .map(|e| {
            let (from, to) = match e.section {
                "used" => ("prov:entity", "prov:activity"),
                "wasGeneratedBy" => ("prov:activity", "prov:entity"),
                "wasDerivedFrom" => ("prov:usedEntity", "prov:generatedEntity"),
                "wasInformedBy" => ("prov:informant", "prov:informed"),
                _ => ("prov:agent", "prov:activity"),
            };
            let v: Value = serde_json::from_str(&format!("{{{}}}", e.text())).unwrap();
            let attrs = v.as_object().unwrap().values().next().unwrap().clone();
            let text = |k: &str| attrs[k].as_str().unwrap_or_default().to_string();
            (text("prov:type"), text(from), text(to))
        })
        .collect()
}

fn find<'a>(
    rels: &'a [(String, String, String)],
    kind: &str,
) -> (usize, &'a (String, String, String)) {
    rels.iter()
        .enumerate()
        .find(|(_, r)| r.0 == kind)
        .unwrap_or_else(|| panic!("no {kind} in {rels:?}"))
}

#[test]
fn a_packet_sent_inside_a_send_follows_it_on_the_socket_version_it_wrote() {
    let mut b = builder();
    // An earlier flow gives the socket an outgoing edge: the send makes a new version.
    b.handle(&call(1_000, 50, RECVFROM, socket(10)));
    b.take_output().for_each(drop);
    b.handle(&packet(2_000, 50, 10, Direction::Sent, true));
    assert!(relations(&mut b).is_empty(), "held until the send's record");
    b.handle(&call(3_000, 50, SENDTO, socket(10)));
    let rels = relations(&mut b);
    let (send_at, send) = find(&rels, "send");
    let (packet_at, sent) = find(&rels, "send_packet");
    assert!(
        send_at < packet_at,
        "task → socket, then socket → packet: {rels:?}"
    );
    assert_eq!(
        sent.1, send.2,
        "from the very socket version the task wrote"
    );
}

#[test]
fn a_received_packet_goes_before_the_read_on_the_socket_version_read() {
    let mut b = builder();
    b.handle(&call(1_000, 60, RECVFROM, socket(20)));
    b.take_output().for_each(drop);
    b.handle(&packet(2_000, 60, 20, Direction::Received, true));
    b.handle(&call(3_000, 60, RECVFROM, socket(20)));
    let rels = relations(&mut b);
    let (packet_at, received) = find(&rels, "receive_packet");
    let (read_at, read) = find(&rels, "receive");
    assert!(packet_at < read_at, "{rels:?}");
    assert_eq!(received.2, read.1, "the socket version the task read from");
}

#[test]
fn other_packets_go_out_before_the_next_call_or_at_once() {
    let mut b = builder();
    // Sent in the owner's task, but its next call is about a file: before that call.
    b.handle(&packet(1_000, 70, 30, Direction::Sent, true));
    let mut file = socket(31);
    file.mode = 0o100644;
    b.handle(&call(2_000, 70, OPENAT, file));
    let rels = relations(&mut b);
    assert!(
        find(&rels, "send_packet").0 < find(&rels, "open").0,
        "{rels:?}"
    );
    // Seen in softirq (not the owner's task): at once.
    b.handle(&packet(3_000, 71, 30, Direction::Sent, false));
    assert_eq!(relations(&mut b).len(), 0, "an exact repeat is compressed");
    let mut other = packet(3_000, 71, 32, Direction::Sent, false);
    if let Event::Packet(p) = &mut other {
        p.header.id = [9, 9];
    }
    b.handle(&other);
    let rels = relations(&mut b);
    assert_eq!(rels.iter().filter(|r| r.0 == "send_packet").count(), 1);
}

#[test]
fn a_held_packet_is_written_when_its_task_stays_silent_and_at_the_end() {
    let mut b = builder();
    b.handle(&packet(1_000, 80, 40, Direction::Sent, true));
    // Another task's record long after: the first task made no recorded call since.
    b.handle(&call(1_000 + HOLD_NS + 1, 81, RECVFROM, socket(41)));
    let rels = relations(&mut b);
    assert!(find(&rels, "send_packet").0 < find(&rels, "receive").0);
    b.handle(&packet(5 * HOLD_NS, 82, 42, Direction::Sent, true));
    assert!(relations(&mut b).is_empty());
    b.release_all_packets();
    assert_eq!(find(&relations(&mut b), "send_packet").0, 0);
}

#[test]
fn one_vertex_per_packet_and_node_filters_drop_it_with_its_relations() {
    let mut b = builder();
    b.handle(&packet(1_000, 90, 50, Direction::Sent, false));
    b.handle(&packet(2_000, 91, 51, Direction::Received, false));
    let out: Vec<Element> = b.take_output().collect();
    let vertices = out
        .iter()
        .filter(|e| e.is_node() && e.text().contains("\"prov:type\":\"packet\""))
        .count();
    assert_eq!(vertices, 1, "sent and received: one packet");
    let mut b = builder();
    b.filter.set(
        &std::collections::BTreeSet::from([String::from("packet")]),
        &std::collections::BTreeSet::new(),
    );
    b.handle(&packet(1_000, 90, 50, Direction::Sent, false));
    let out: Vec<Element> = b.take_output().collect();
    assert!(out.iter().all(|e| !e.text().contains("packet")), "{out:?}");
    assert!(b.filter.dropped.contains_key("node_filter=packet"));
}

#[test]
fn a_recorded_packet_carries_its_content_once_for_both_ends() {
    let mut b = builder();
    let bytes = b"E\0\0\x1chello".to_vec();
    let with_content = |direction| match packet(2_000, 70, 30, direction, false) {
        Event::Packet(mut p) => {
            p.content = Some(PacketContent {
                length: 40,
                bytes: bytes.clone(),
            });
            Event::Packet(p)
        }
        other => other,
    };
    b.handle(&with_content(Direction::Sent));
    b.handle(&with_content(Direction::Received));
    let out: Vec<_> = b.take_output().collect();
    let contents: Vec<_> = out.iter().filter(|e| e.kind == "packet_content").collect();
    assert_eq!(contents.len(), 2, "one vertex and one relation: {out:?}");
    let vertex = contents.iter().find(|e| e.is_node()).unwrap().text();
    assert!(vertex.contains(&format!("\"cf:content\":\"{}\"", STANDARD.encode(&bytes))));
    assert!(
        vertex.contains("\"cf:truncated\":\"true\""),
        "10 of 40 bytes: {vertex}"
    );
    assert!(vertex.contains("\"prov:label\":\"[content]\""));
    let link = contents.iter().find(|e| !e.is_node()).unwrap();
    let ends = link.ends.as_ref().unwrap();
    let packet = out
        .iter()
        .find(|e| e.kind == "packet" && e.is_node())
        .unwrap();
    assert_eq!(ends.to, packet.key, "content → packet");
}
