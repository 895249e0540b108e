//! Sockets in the builder: CamFlow's `address` entities (from a sockaddr a call passed,
//! else from what the kernel side read off the socket) linked to sockets by `addressed`,
//! and the links between connected unix sockets that make data flow from one process to
//! the other: `receive_unix` (sender's socket → peer) when a stream socket sends,
//! `send_unix` (peer → receiver's socket) when it receives, and `send_unix` for a
//! datagram sent to a connected peer, as CamFlow's sendmsg, recvmsg and unix_may_send
//! hooks record them.
//!
//! Unix addresses: a path as `{"type":"AF_UNIX","path":...}`, labelled `[address] UNIX
//! PATH` as CamFlow does; a relative path is made absolute against the process's working
//! directory, as path names are, so a server's `bind("s.sock")` and a client's
//! `connect("/srv/s.sock")` are one address. An abstract name (camflow-formats.md does not
//! say how CamFlow writes one) is written `@name`, as /proc/net/unix and `ss` show it.
//! Bytes that are not UTF-8 are written as `name_bytes` says, as in path names. An
//! accepted unix socket is addressed by the name of the socket it was accepted on (the
//! kernel copies it at connect): its peer is usually unnamed, and the listening name is
//! what says which service was talked to.

use super::Builder;
use super::element::{Section, quote_str};
use super::name_bytes;
use super::objects::ObjRef;
use crate::capture::ebpf::event::FdObject;
use std::net::{Ipv4Addr, Ipv6Addr};

const AF_UNIX: u16 = 1;
const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;
const SOCK_DGRAM: u16 = 2;

/// A socket address, before CamFlow's JSON is made of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SockAddr {
    /// IPv4 or IPv6: `AF_INET` / `AF_INET6`, host, port.
    Inet(&'static str, String, u16),
    /// A unix socket path, as given.
    UnixPath(Vec<u8>),
    /// A unix abstract name, without its leading NUL.
    UnixAbstract(Vec<u8>),
}

impl SockAddr {
    /// CamFlow's nested `cf:address` object and the label.
    pub fn camflow(&self) -> (String, String) {
        match self {
            SockAddr::Inet(family, host, port) => {
                let json = format!(
                    "{{\"type\":{},\"host\":{},\"serv\":{}}}",
                    quote_str(family),
                    quote_str(host),
                    quote_str(&port.to_string())
                );
                let v = if *family == "AF_INET6" {
                    "IPV6"
                } else {
                    "IPV4"
                };
                (json, format!("[address] {v} {host} ({port})"))
            }
            SockAddr::UnixPath(path) => unix_json(name_bytes::escape(path).into_owned()),
            SockAddr::UnixAbstract(name) => unix_json(format!("@{}", name_bytes::escape(name))),
        }
    }
}

fn unix_json(text: String) -> (String, String) {
    let json = format!("{{\"type\":\"AF_UNIX\",\"path\":{}}}", quote_str(&text));
    (json, format!("[address] UNIX {text}"))
}

/// The address in a raw `struct sockaddr` (None: too short, unnamed, or a family CamFlow
/// has no address layout for).
pub fn parse_sockaddr(raw: &[u8]) -> Option<SockAddr> {
    let (family, rest) = raw.split_first_chunk::<2>()?;
    match u16::from_le_bytes(*family) {
        AF_INET => {
            let [p0, p1, a, b, c, d, ..] = *rest else {
                return None;
            };
            let ip = Ipv4Addr::new(a, b, c, d);
            Some(SockAddr::Inet(
                "AF_INET",
                ip.to_string(),
                u16::from_be_bytes([p0, p1]),
            ))
        }
        AF_INET6 => {
            let (port, rest) = rest.split_first_chunk::<2>()?;
            let (_flowinfo, rest) = rest.split_first_chunk::<4>()?;
            let (addr, _) = rest.split_first_chunk::<16>()?;
            let ip = Ipv6Addr::from(*addr);
            Some(SockAddr::Inet(
                "AF_INET6",
                ip.to_string(),
                u16::from_be_bytes(*port),
            ))
        }
        AF_UNIX => {
            // The name ends at the first NUL (a path's terminator; for an abstract name,
            // the padding some callers leave).
            let until_nul = |b: &[u8]| b.split(|&c| c == 0).next().unwrap_or_default().to_vec();
            match rest.split_first() {
                Some((0, name)) if !until_nul(name).is_empty() => {
                    Some(SockAddr::UnixAbstract(until_nul(name)))
                }
                Some(_) if !until_nul(rest).is_empty() => Some(SockAddr::UnixPath(until_nul(rest))),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The inet address a socket is connected to (or bound to, `local`), from the kernel side.
fn socket_address(o: &FdObject, local: bool) -> Option<SockAddr> {
    let (addr, port) = if local {
        (&o.saddr, o.sport)
    } else {
        (&o.daddr, o.dport)
    };
    if port == 0 {
        return None;
    }
    match o.family {
        AF_INET => {
            let [a, b, c, d, ..] = *addr;
            Some(SockAddr::Inet(
                "AF_INET",
                Ipv4Addr::new(a, b, c, d).to_string(),
                port,
            ))
        }
        AF_INET6 => Some(SockAddr::Inet(
            "AF_INET6",
            Ipv6Addr::from(*addr).to_string(),
            port,
        )),
        _ => None,
    }
}

impl Builder {
    /// Links a socket of process `tgid` to the address it talks to (or, with `local`, is
    /// bound to), from a raw sockaddr when there is one, else from the socket itself.
    pub(super) fn address_of(
        &mut self,
        tgid: u32,
        socket: ObjRef,
        sockaddr: &[u8],
        o: &FdObject,
        local: bool,
    ) {
        let addr = match parse_sockaddr(sockaddr).or_else(|| socket_address(o, local)) {
            Some(SockAddr::UnixPath(p)) if !p.starts_with(b"/") => {
                SockAddr::UnixPath(self.resolve(tgid, None, None, &p))
            }
            Some(a) => a,
            None => return,
        };
        let (json, label) = addr.camflow();
        let a = match self.addresses.get(&json) {
            Some(&a) => a,
            None => {
                let a = self.new_obj(
                    "address",
                    vec![("cf:address", json.clone())],
                    Some(label),
                    true,
                    None,
                );
                self.addresses.insert(json, a);
                a
            }
        };
        if self.addressed.insert((a, socket)) {
            self.relate(Section::WasDerivedFrom, "addressed", a, socket);
        }
    }

    /// The socket a unix socket is connected to: as the kernel side found it or, for a
    /// stream whose peer has closed since (a reply, then close), as it was last seen.
    fn unix_peer(&mut self, socket: ObjRef, o: &FdObject) -> Option<ObjRef> {
        let stream = o.family == AF_UNIX && o.sock_type != SOCK_DGRAM;
        let Some((dev, ino)) = o.unix_peer() else {
            return if stream {
                self.unix_peers.get(&socket).copied()
            } else {
                None
            };
        };
        // The peer is a socket like this one: same file type.
        let peer = self.inode(dev, ino, o.mode);
        if stream {
            self.unix_peers.insert(socket, peer);
            self.unix_peers.insert(peer, socket);
        }
        Some(peer)
    }

    /// What a unix socket sent reaches its peer: `receive_unix` (socket → peer) for a
    /// stream, `send_unix` for a datagram. Call after the `send` into `socket`.
    pub(super) fn unix_sent(&mut self, socket: ObjRef, o: &FdObject) {
        if let Some(peer) = self.unix_peer(socket, o) {
            let kind = if o.sock_type == SOCK_DGRAM {
                "send_unix"
            } else {
                "receive_unix"
            };
            self.relate(Section::WasDerivedFrom, kind, socket, peer);
        }
    }

    /// What a unix stream socket receives came from its peer: `send_unix` (peer →
    /// socket). Call before the `receive` out of `socket`. A datagram's sender is not
    /// known here (its connected peer need not be the sender).
    pub(super) fn unix_received(&mut self, socket: ObjRef, o: &FdObject) {
        if o.sock_type == SOCK_DGRAM {
            return;
        }
        if let Some(peer) = self.unix_peer(socket, o) {
            self.relate(Section::WasDerivedFrom, "send_unix", peer, socket);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::builder::host::Host;
    use crate::capture::builder::test_events;
    use crate::capture::ebpf::event::Event;

    /// A unix socket as the kernel side resolves it, connected to `peer` if given.
    fn unix_socket(ino: u64, sock_type: u16, peer: Option<u64>) -> FdObject {
        let mut daddr = [0u8; 16];
        if let Some(p) = peer {
            daddr[..8].copy_from_slice(&p.to_le_bytes());
            daddr[8..12].copy_from_slice(&9u32.to_le_bytes());
        }
        FdObject {
            ino,
            dev: 9,
            mode: 0o140777,
            sock_type,
            family: AF_UNIX,
            daddr,
            ..FdObject::default()
        }
    }

    /// A call of the test's process (4000000) on `o`.
    fn call(nr: u32, o: FdObject) -> Event {
        test_events::call(1, 4_000_000, nr, o)
    }

    #[test]
    fn a_stream_peer_is_remembered_once_it_has_closed() {
        const SENDTO: u32 = 44;
        const RECVFROM: u32 = 45;
        let mut b = Builder::new(Host {
            machine_id: 7,
            boot_id: 3,
            uname: Vec::new(),
        });
        // The client sends while the server's socket (11) is there...
        b.handle(&call(SENDTO, unix_socket(10, 1, Some(11))));
        // ...and reads the reply after the server closed it: the kernel sees no peer.
        b.handle(&call(RECVFROM, unix_socket(10, 1, None)));
        // A datagram socket's receive names no sender.
        b.handle(&call(RECVFROM, unix_socket(20, SOCK_DGRAM, Some(21))));
        let out: Vec<String> = b.take_output().map(|e| e.text()).collect();
        let count = |kind: &str| {
            let t = format!("\"prov:type\":\"{kind}\"");
            out.iter().filter(|e| e.contains(&t)).count()
        };
        assert_eq!(count("receive_unix"), 1, "the message, at the send");
        assert_eq!(count("send_unix"), 1, "the reply, from the remembered peer");
        assert_eq!(count("receive"), 2);
    }

    fn unix(raw_path: &[u8]) -> Vec<u8> {
        let mut v = vec![1, 0];
        v.extend_from_slice(raw_path);
        v
    }

    #[test]
    fn sockaddrs_read_like_camflow_addresses() {
        let mut v4 = vec![2, 0, 0x01, 0xbb, 198, 51, 100, 9];
        v4.extend([0u8; 8]);
        let (json, label) = parse_sockaddr(&v4).unwrap().camflow();
        assert_eq!(
            json,
            r#"{"type":"AF_INET","host":"198.51.100.9","serv":"443"}"#
        );
        assert_eq!(label, "[address] IPV4 198.51.100.9 (443)");
        let mut v6 = vec![10, 0, 0, 80, 0, 0, 0, 0];
        v6.extend(std::net::Ipv6Addr::LOCALHOST.octets());
        assert_eq!(
            parse_sockaddr(&v6).unwrap().camflow().1,
            "[address] IPV6 ::1 (80)"
        );
        assert!(parse_sockaddr(&[9, 9, 9]).is_none());
        assert!(parse_sockaddr(&[2, 0, 1]).is_none(), "a cut IPv4 sockaddr");
    }

    #[test]
    fn unix_paths_abstract_and_unnamed_sockets() {
        let path = parse_sockaddr(&unix(b"/run/x.sock\0junk")).unwrap();
        assert_eq!(path, SockAddr::UnixPath(b"/run/x.sock".to_vec()));
        let (json, label) = path.camflow();
        assert_eq!(json, r#"{"type":"AF_UNIX","path":"/run/x.sock"}"#);
        assert_eq!(label, "[address] UNIX /run/x.sock");
        let abs = parse_sockaddr(&unix(b"\0dbus-1\0\0\0")).unwrap();
        assert_eq!(abs.camflow().1, "[address] UNIX @dbus-1");
        // An unnamed socket (accept's usual peer) has no address.
        assert!(parse_sockaddr(&unix(b"")).is_none());
        assert!(parse_sockaddr(&unix(b"\0")).is_none());
        assert!(parse_sockaddr(&[1, 0]).is_none());
    }
}
