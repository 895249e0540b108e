//! IP packets in the builder, as CamFlow records them: a `packet` entity per packet,
//! keyed by CamFlow's packet identifier (IP id, addresses, ports, protocol, TCP sequence
//! number), so that the packet one socket sends over loopback and the packet another
//! socket receives are one vertex; `send_packet` (socket → packet) and `receive_packet`
//! (packet → socket) link it to its sockets. Packets never version.
//!
//! Ordering. A packet is sent inside the `sendto`/`write` whose data it carries, so the
//! kernel side sees it before that syscall's exit record, where the builder makes
//! task → socket. Recorded as it comes, socket → packet would leave the socket's current
//! version, and the next version (made by the send, since the old one then has an
//! outgoing edge) would carry the task's data to no packet: the lineage from the sending
//! task to the packet would break. So a packet sent in a task of its socket's own process
//! is held until that task's next record: emitted after it when it is a syscall on the
//! same socket (its send), before it otherwise (the task sent it from elsewhere, e.g. a
//! delayed TCP segment), and at the latest after [`HOLD_NS`] of kernel time. Packets seen
//! anywhere else (softirq: retransmits, ACKs, the other end of a loopback connection) and
//! every received packet go out at once, against the socket's current version: a packet
//! is received before the read that takes its data, so receive_packet comes before the
//! socket → task edge of that read. On loopback the receiving socket may then record the
//! packet before the sender's syscall returns, so its receive_packet can precede its
//! send_packet in relation order; the structure (socket → packet → socket) holds.

use super::element::{self, Section};
use super::host;
use super::objects::{Obj, ObjRef};
use super::{Builder, Element};
use crate::capture::ebpf::event::FdObject;
use crate::capture::ebpf::packet::{Direction, IpHeader, PacketContent, PacketEvent};
use crate::graph::identifier::ElementKey;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hashbrown::HashMap;
use std::collections::VecDeque;
use std::net::{Ipv4Addr, Ipv6Addr};

/// How long a sent packet waits for its task's next record, in kernel time.
pub const HOLD_NS: u64 = 1_000_000_000;
/// Packets held for one task at most; past that the oldest goes out at once.
const HOLD_PER_TASK: usize = 256;
/// Packet vertices remembered, so a packet sent and received (or read in parts) is one
/// vertex; older ones are forgotten (a repeat then writes the vertex again, which readers
/// take as the same element).
const RECENT: usize = 4096;

/// CamFlow's packet identifier (`struct packet_identifier`, 32 bytes): type u64 @0, IP id
/// @8, sender IP @12, receiver IP @16, sender port @20, receiver port @22, protocol @24,
/// TCP sequence number @28. The header fields are kept as on the wire, as CamFlow's
/// kernel copies them.
///
/// IPv6, which CamFlow does not record, is named in the same layout: the addresses are
/// folded to 4 bytes each (the XOR of their four words: `::1` is `0.0.0.1`), byte 25 (a
/// padding byte in CamFlow) holds 6 so that no IPv6 packet shares an IPv4 one's
/// identifier, and the id is what the kernel side put in its place (see
/// [`IpHeader::id`]). The full addresses are in `cf:sender` and `cf:receiver`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacketId {
    /// Type bits.
    pub kind: u64,
    /// IP version: 4 or 6.
    pub version: u8,
    /// IP identification, as on the wire.
    pub id: [u8; 2],
    /// Sender address (IPv4: the first 4 bytes).
    pub snd_ip: [u8; 16],
    /// Receiver address.
    pub rcv_ip: [u8; 16],
    /// Sender port, as on the wire.
    pub snd_port: [u8; 2],
    /// Receiver port, as on the wire.
    pub rcv_port: [u8; 2],
    /// IP protocol.
    pub protocol: u8,
    /// TCP sequence number, as on the wire (0 for UDP; IPv6 UDP: a hash of the datagram, see the kernel side's `udp_payload_hash`).
    pub seq: [u8; 4],
}

/// Byte 25 of an IPv6 packet's identifier.
const IPV6_MARK: u8 = 6;

impl PacketId {
    /// The identifier of a packet with these headers.
    pub fn of(kind: u64, h: &IpHeader) -> PacketId {
        PacketId {
            kind,
            version: h.version,
            id: h.id,
            snd_ip: h.saddr,
            rcv_ip: h.daddr,
            snd_port: h.sport,
            rcv_port: h.dport,
            protocol: h.protocol,
            seq: h.seq,
        }
    }

    /// The 4 bytes an address takes in the identifier.
    fn short_ip(&self, ip: &[u8; 16]) -> [u8; 4] {
        let word = |i: usize| [ip[i], ip[i + 1], ip[i + 2], ip[i + 3]];
        if self.version != 6 {
            return word(0);
        }
        let mut folded = [0u8; 4];
        for w in [word(0), word(4), word(8), word(12)] {
            for (f, b) in folded.iter_mut().zip(w) {
                *f ^= b;
            }
        }
        folded
    }

    /// The 32 bytes (padding zeroed, but for the IPv6 mark).
    pub fn encode(&self) -> [u8; 32] {
        let mut b = [0u8; 32];
        b[0..8].copy_from_slice(&self.kind.to_le_bytes());
        b[8..10].copy_from_slice(&self.id);
        b[12..16].copy_from_slice(&self.short_ip(&self.snd_ip));
        b[16..20].copy_from_slice(&self.short_ip(&self.rcv_ip));
        b[20..22].copy_from_slice(&self.snd_port);
        b[22..24].copy_from_slice(&self.rcv_port);
        b[24] = self.protocol;
        if self.version == 6 {
            b[25] = IPV6_MARK;
        }
        b[28..32].copy_from_slice(&self.seq);
        b
    }

    /// The fields of 32 identifier bytes. An IPv6 packet's addresses come back as their
    /// folded 4 bytes (in the first 4 of 16), which encode to the same identifier.
    pub fn decode(b: &[u8; 32]) -> PacketId {
        let at = |i: usize| -> [u8; 4] { [b[i], b[i + 1], b[i + 2], b[i + 3]] };
        let (snd_ip, rcv_ip) = IpHeader::ipv4_addresses(at(12), at(16));
        let mut kind = [0u8; 8];
        kind.copy_from_slice(&b[0..8]);
        PacketId {
            kind: u64::from_le_bytes(kind),
            version: if b[25] == IPV6_MARK { 6 } else { 4 },
            id: [b[8], b[9]],
            snd_ip,
            rcv_ip,
            snd_port: [b[20], b[21]],
            rcv_port: [b[22], b[23]],
            protocol: b[24],
            seq: at(28),
        }
    }

    /// The element key, `cf:` + base64.
    pub fn key(&self) -> String {
        format!("cf:{}", ElementKey::Binary(self.encode()).to_text())
    }

    /// `cf:id` as CamFlow writes it: the identifier's id field read as a host-order
    /// (little-endian) integer, not byte-swapped from the wire (the real traces show
    /// it: IP id 0x2a29 is written 10538).
    pub fn camflow_id(&self) -> u16 {
        u16::from_le_bytes(self.id)
    }

    /// `cf:seq`, likewise not byte-swapped.
    pub fn camflow_seq(&self) -> u32 {
        u32::from_le_bytes(self.seq)
    }

    /// `cf:sender`: `a.b.c.d:port`, the port byte-swapped (CamFlow prints it so);
    /// IPv6 `[a:b::c]:port`.
    pub fn sender(&self) -> String {
        self.endpoint(self.snd_ip, self.snd_port)
    }

    /// `cf:receiver`.
    pub fn receiver(&self) -> String {
        self.endpoint(self.rcv_ip, self.rcv_port)
    }

    /// `prov:label`: `[packet] SENDER->RECEIVER (ID)`.
    pub fn label(&self) -> String {
        format!(
            "[packet] {}->{} ({})",
            self.sender(),
            self.receiver(),
            self.camflow_id()
        )
    }

    fn endpoint(&self, ip: [u8; 16], port: [u8; 2]) -> String {
        let port = u16::from_be_bytes(port);
        if self.version == 6 {
            format!("[{}]:{port}", Ipv6Addr::from(ip))
        } else {
            format!("{}:{port}", Ipv4Addr::from(self.short_ip(&ip)))
        }
    }
}

/// The packet vertex as CamFlow's W3C writer (libprovenance v0.5.5) writes it: its own
/// header (no boot id, machine id, version, date or epoch), `cf:id` a number. `cf:len`
/// is the IP total length as CamFlow stores it (not byte-swapped from the wire, like
/// `cf:id`).
pub fn packet_element(id: &PacketId, tot_len: [u8; 2], jiffies: u64) -> Element {
    let q = element::quote_str;
    Element {
        section: "entity",
        kind: "packet",
        key: id.key(),
        attrs: vec![
            ("cf:id", id.camflow_id().to_string()),
            ("cf:seq", id.camflow_seq().to_string()),
            ("cf:sender", q(&id.sender())),
            ("cf:receiver", q(&id.receiver())),
            ("prov:type", q("packet")),
            ("cf:taint", q("0")),
            ("cf:jiffies", q(&jiffies.to_string())),
            ("cf:len", u16::from_le_bytes(tot_len).to_string()),
            ("prov:label", q(&id.label())),
        ],
        ends: None,
    }
}

/// The builder's packet state: sent packets waiting for their task's record, and the
/// packet vertices seen lately.
#[derive(Default)]
pub struct Packets {
    held: HashMap<u32, Vec<PacketEvent>>,
    held_count: usize,
    /// Kernel time of the oldest held packet (when any is held).
    oldest: u64,
    recent: HashMap<[u8; 32], ObjRef>,
    order: VecDeque<[u8; 32]>,
}

impl Builder {
    /// A packet record: held or written (see the module's "Ordering").
    pub(super) fn packet_event(&mut self, p: &PacketEvent) {
        self.release_stale_packets(p.ts);
        if p.direction == Direction::Received || !p.owner_task {
            self.stamp_at(p.ts);
            self.task_id = 0;
            self.write_packet(p);
            return;
        }
        let queue = self.packets.held.entry(p.tid).or_default();
        let overflow = (queue.len() >= HOLD_PER_TASK).then(|| queue.remove(0));
        queue.push(p.clone());
        if self.packets.held_count == 0 {
            self.packets.oldest = p.ts;
        }
        self.packets.held_count += 1;
        if let Some(old) = overflow {
            self.packets.held_count -= 1;
            self.write_packet(&old);
        }
    }

    /// Around a syscall of `tid` naming `objects`: writes the packets it held that were
    /// not sent through those objects, then the syscall (`f`), then the ones that were.
    pub(super) fn around_syscall(
        &mut self,
        tid: u32,
        ts: u64,
        objects: &[FdObject; 2],
        f: impl FnOnce(&mut Builder),
    ) {
        self.release_stale_packets(ts);
        let Some(held) = self.take_held(tid) else {
            f(self);
            return;
        };
        let through = |p: &PacketEvent| {
            objects
                .iter()
                .any(|o| o.ino != 0 && (o.dev, o.ino) == p.socket)
        };
        let (after, before): (Vec<PacketEvent>, Vec<PacketEvent>) =
            held.into_iter().partition(through);
        for p in &before {
            self.write_packet(p);
        }
        f(self);
        for p in &after {
            self.write_packet(p);
        }
    }

    /// Writes the packets `tid` held (before its fork, exec or exit).
    pub(super) fn release_packets(&mut self, tid: u32) {
        for p in self.take_held(tid).unwrap_or_default() {
            self.write_packet(&p);
        }
    }

    /// Writes every held packet (at the end of a capture).
    pub fn release_all_packets(&mut self) {
        self.release_packets_before(u64::MAX);
    }

    fn take_held(&mut self, tid: u32) -> Option<Vec<PacketEvent>> {
        let held = self.packets.held.remove(&tid)?;
        self.packets.held_count -= held.len();
        Some(held)
    }

    /// Writes the packets held since before `now - HOLD_NS` (their task made no recorded
    /// syscall since: filtered, or gone without an exit record).
    fn release_stale_packets(&mut self, now: u64) {
        if self.packets.held_count > 0 && now.saturating_sub(self.packets.oldest) > HOLD_NS {
            self.release_packets_before(now - HOLD_NS);
        }
    }

    fn release_packets_before(&mut self, limit: u64) {
        let mut stale: Vec<PacketEvent> = Vec::new();
        let mut oldest = u64::MAX;
        self.packets.held.retain(|_, queue| {
            stale.extend(queue.extract_if(.., |p| p.ts <= limit));
            if let Some(ts) = queue.iter().map(|p| p.ts).min() {
                oldest = oldest.min(ts);
            }
            !queue.is_empty()
        });
        self.packets.held_count -= stale.len();
        self.packets.oldest = oldest;
        stale.sort_by_key(|p| p.ts);
        for p in &stale {
            self.write_packet(p);
        }
    }

    /// The relation of a packet with its socket (and the packet vertex, first time).
    fn write_packet(&mut self, p: &PacketEvent) {
        let (dev, ino) = p.socket;
        let socket = self.inode(dev, ino, p.socket_mode);
        let (packet, first) = self.packet_obj(p);
        if p.owner_task {
            self.task_id = self.tasks.get(&p.tid).map_or(0, |t| self.obj(t.obj).id);
        }
        // Both ends of a packet may record it: its content is written once, with it.
        if let (true, Some(content)) = (first, &p.content) {
            self.packet_content(packet, content);
        }
        match p.direction {
            Direction::Sent => self.relate(Section::WasDerivedFrom, "send_packet", socket, packet),
            Direction::Received => {
                self.relate(Section::WasDerivedFrom, "receive_packet", packet, socket)
            }
        }
    }

    /// CamFlow's `packet_content` entity for a packet of a recording socket (an IPv4
    /// `record` rule): its bytes in base64, the packet's whole length, and whether the
    /// bytes were cut; `packet_content` links it to the packet.
    fn packet_content(&mut self, packet: ObjRef, content: &PacketContent) {
        let q = element::quote_str;
        let cut = content.bytes.len() < usize::from(content.length);
        let attrs = vec![
            ("cf:content", q(&STANDARD.encode(&content.bytes))),
            ("cf:length", q(&content.length.to_string())),
            ("cf:truncated", q(if cut { "true" } else { "false" })),
        ];
        let label = Some(String::from("[content]"));
        let node = self.new_obj("packet_content", attrs, label, true, None);
        self.relate(Section::WasDerivedFrom, "packet_content", node, packet);
        self.forget(node);
    }

    /// The vertex of a packet, written on first sight (unless a node filter drops it);
    /// true when this was its first sight.
    fn packet_obj(&mut self, p: &PacketEvent) -> (ObjRef, bool) {
        let id = PacketId::of(element::node_type("packet").1, &p.header);
        let bytes = id.encode();
        if let Some(&r) = self.packets.recent.get(&bytes) {
            return (r, false);
        }
        let el = packet_element(&id, p.header.tot_len, host::jiffies(p.ts));
        let r = ObjRef(self.next_obj);
        self.next_obj = self.next_obj.saturating_add(1);
        self.objs.insert(
            r.0,
            Obj {
                kind: "packet",
                id: u64::from(id.camflow_id()),
                version: 0,
                has_outgoing: false,
                last_in: None,
                // The whole element, for `duplicate` to write it again as it was.
                attrs: el.attrs,
                label: None,
                immutable: true,
                key: Some(el.key.into_boxed_str()),
            },
        );
        self.emit_node(r);
        self.packets.recent.insert(bytes, r);
        self.packets.order.push_back(bytes);
        if self.packets.order.len() > RECENT
            && let Some(old) = self.packets.order.pop_front()
            && let Some(gone) = self.packets.recent.remove(&old)
        {
            self.forget(gone);
        }
        (r, true)
    }
}
