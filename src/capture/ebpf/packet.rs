//! The kernel side's packet record (`struct ps_packet` in bpf/event.h): an IP packet a
//! recorded socket sent or received, with the header fields CamFlow names a packet by,
//! kept as the bytes on the wire (network order), and the socket by its inode, as an fd
//! of it resolves. Offsets are fixed by `_Static_assert`s in event.h.

use super::event::DecodeError;

/// The record's size.
pub const PACKET_LEN: usize = 88;
/// `PS_PACKET`.
pub const KIND: u32 = 5;

const SEND: u16 = 1;
const RECEIVE: u16 = 2;
const OWNER_TASK: u16 = 4;
/// `PS_PKT_CONTENT`: a `struct ps_packet_content`, the packet's bytes after the header.
const CONTENT: u16 = 8;
/// Where the content's length, copied count and bytes start.
const CONTENT_AT: usize = 88;
const CONTENT_DATA_AT: usize = 96;

/// Which way a packet went through its socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// The socket sent it.
    Sent,
    /// The socket received it.
    Received,
}

/// The IP and TCP/UDP header fields of a packet that CamFlow's packet identifier holds,
/// as the bytes on the wire. Ports and sequence number are zero where CamFlow leaves them
/// so (fragments, other protocols; UDP has no sequence number). IPv6, which CamFlow does
/// not record, fills the same fields (see `id`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IpHeader {
    /// IP version: 4 or 6.
    pub version: u8,
    /// IPv4 identification. IPv6 has none: a fragment's id (its low 16 bits), else a hash
    /// of what tells two packets of a flow apart (the kernel side's `ipv6_headers`).
    pub id: [u8; 2],
    /// IPv4 total length; IPv6 payload length + 40.
    pub tot_len: [u8; 2],
    /// Source address (IPv4: the first 4 bytes).
    pub saddr: [u8; 16],
    /// Destination address.
    pub daddr: [u8; 16],
    /// Source port.
    pub sport: [u8; 2],
    /// Destination port.
    pub dport: [u8; 2],
    /// TCP sequence number.
    pub seq: [u8; 4],
    /// IP protocol (6 TCP, 17 UDP...); IPv6: the upper layer's.
    pub protocol: u8,
}

impl IpHeader {
    /// An IPv4 header's addresses, as the 16-byte fields hold them.
    pub fn ipv4_addresses(saddr: [u8; 4], daddr: [u8; 4]) -> ([u8; 16], [u8; 16]) {
        let wide = |a: [u8; 4]| {
            let mut w = [0u8; 16];
            w[..4].copy_from_slice(&a);
            w
        };
        (wide(saddr), wide(daddr))
    }
}

/// The bytes of a packet whose socket an IPv4 `record` rule marked: from its IP header
/// on, as far as the kernel held them in one piece (at most 4096).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PacketContent {
    /// The IP packet's total length.
    pub length: u16,
    /// Its first bytes; fewer than `length` when cut.
    pub bytes: Vec<u8>,
}

/// A packet through a recorded socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PacketEvent {
    /// Kernel time (ns since boot).
    pub ts: u64,
    /// The process of the task it was seen in: any task, when softirq handled it.
    pub tgid: u32,
    /// That task.
    pub tid: u32,
    /// Sent or received.
    pub direction: Direction,
    /// Seen in a task of the process that last used the socket (then, when sent, most
    /// likely inside that task's send or write, whose record comes after it).
    pub owner_task: bool,
    /// The socket's inode: device (kernel encoding) and number.
    pub socket: (u32, u64),
    /// The socket inode's `i_mode`.
    pub socket_mode: u16,
    /// What names the packet.
    pub header: IpHeader,
    /// Its bytes, for a socket that records them.
    pub content: Option<PacketContent>,
}

fn bytes<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
    let mut x = [0u8; N];
    x.copy_from_slice(&b[at..at + N]);
    x
}

/// Decodes a packet record.
pub fn decode(b: &[u8]) -> Result<PacketEvent, DecodeError> {
    if b.len() < PACKET_LEN {
        return Err(DecodeError::Short(b.len()));
    }
    let flags = u16::from_le_bytes(bytes(b, 4));
    let direction = match flags & (SEND | RECEIVE) {
        SEND => Direction::Sent,
        RECEIVE => Direction::Received,
        _ => return Err(DecodeError::Damaged("a packet neither sent nor received")),
    };
    let content = if flags & CONTENT != 0 {
        if b.len() < CONTENT_DATA_AT {
            return Err(DecodeError::Short(b.len()));
        }
        let length = u16::from_le_bytes(bytes(b, CONTENT_AT));
        let copied = usize::from(u16::from_le_bytes(bytes(b, CONTENT_AT + 2)));
        let data = b
            .get(CONTENT_DATA_AT..CONTENT_DATA_AT + copied)
            .ok_or(DecodeError::Damaged("packet content past the record's end"))?;
        Some(PacketContent {
            length,
            bytes: data.to_vec(),
        })
    } else {
        None
    };
    Ok(PacketEvent {
        content,
        ts: u64::from_le_bytes(bytes(b, 8)),
        tgid: u32::from_le_bytes(bytes(b, 16)),
        tid: u32::from_le_bytes(bytes(b, 20)),
        direction,
        owner_task: flags & OWNER_TASK != 0,
        socket: (
            u32::from_le_bytes(bytes(b, 32)),
            u64::from_le_bytes(bytes(b, 24)),
        ),
        socket_mode: u16::from_le_bytes(bytes(b, 6)),
        header: IpHeader {
            version: b[49],
            id: bytes(b, 36),
            tot_len: bytes(b, 38),
            sport: bytes(b, 40),
            dport: bytes(b, 42),
            seq: bytes(b, 44),
            protocol: b[48],
            saddr: bytes(b, 56),
            daddr: bytes(b, 72),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record as the kernel side writes it: 127.0.0.1:40000 → 127.0.0.1:8080, TCP.
    fn record(flags: u16) -> Vec<u8> {
        let mut b = vec![0u8; PACKET_LEN];
        b[0..4].copy_from_slice(&KIND.to_le_bytes());
        b[4..6].copy_from_slice(&flags.to_le_bytes());
        b[6..8].copy_from_slice(&0o140777u16.to_le_bytes());
        b[8..16].copy_from_slice(&123_456u64.to_le_bytes());
        b[16..20].copy_from_slice(&70u32.to_le_bytes());
        b[20..24].copy_from_slice(&71u32.to_le_bytes());
        b[24..32].copy_from_slice(&9_999u64.to_le_bytes());
        b[32..36].copy_from_slice(&8u32.to_le_bytes());
        b[36..38].copy_from_slice(&[0x12, 0x34]);
        b[38..40].copy_from_slice(&60u16.to_be_bytes());
        b[40..42].copy_from_slice(&40000u16.to_be_bytes());
        b[42..44].copy_from_slice(&8080u16.to_be_bytes());
        b[44..48].copy_from_slice(&[1, 2, 3, 4]);
        b[48] = 6;
        b[49] = 4;
        b[56..60].copy_from_slice(&[127, 0, 0, 1]);
        b[72..76].copy_from_slice(&[127, 0, 0, 1]);
        b
    }

    #[test]
    fn a_sent_packet_decodes_field_by_field() {
        let p = decode(&record(SEND | OWNER_TASK)).unwrap();
        assert_eq!(p.direction, Direction::Sent);
        assert!(p.owner_task);
        assert_eq!((p.ts, p.tgid, p.tid), (123_456, 70, 71));
        assert_eq!(p.socket, (8, 9_999));
        assert_eq!(p.socket_mode, 0o140777);
        let h = p.header;
        assert_eq!(h.id, [0x12, 0x34]);
        assert_eq!(u16::from_be_bytes(h.tot_len), 60);
        assert_eq!(h.version, 4);
        assert_eq!(
            (h.saddr, h.daddr),
            IpHeader::ipv4_addresses([127, 0, 0, 1], [127, 0, 0, 1])
        );
        assert_eq!(u16::from_be_bytes(h.sport), 40000);
        assert_eq!(u16::from_be_bytes(h.dport), 8080);
        assert_eq!((h.seq, h.protocol), ([1, 2, 3, 4], 6));
    }

    #[test]
    fn an_ipv6_packet_decodes_its_whole_addresses() {
        let mut b = record(RECEIVE);
        b[49] = 6;
        b[56..72].copy_from_slice(&std::net::Ipv6Addr::LOCALHOST.octets());
        b[72..88].copy_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7]);
        let h = decode(&b).unwrap().header;
        assert_eq!(h.version, 6);
        assert_eq!(std::net::Ipv6Addr::from(h.saddr).to_string(), "::1");
        assert_eq!(std::net::Ipv6Addr::from(h.daddr).to_string(), "fe80::7");
        assert_eq!(decode(&b[..87]), Err(DecodeError::Short(87)));
    }

    #[test]
    fn a_received_packet_seen_in_softirq() {
        let p = decode(&record(RECEIVE)).unwrap();
        assert_eq!(p.direction, Direction::Received);
        assert!(!p.owner_task);
    }

    #[test]
    fn short_and_directionless_records_are_refused() {
        assert_eq!(decode(&record(SEND)[..40]), Err(DecodeError::Short(40)));
        assert!(matches!(decode(&record(0)), Err(DecodeError::Damaged(_))));
        assert!(matches!(
            decode(&record(SEND | RECEIVE)),
            Err(DecodeError::Damaged(_))
        ));
    }
}
