//! An address record's `struct sockaddr_storage` as camflowd writes it (libprovenance's
//! `sockaddr_to_json` and `sockaddr_to_label`, reference §2.2): the nested JSON object of
//! `cf:address` (`{"type":"AF_INET", "host":"…", "service":"…"}`, `AF_INET6`,
//! `{"type":"AF_UNIX", "path":"…"}`, or the family number with an `error`) and the text
//! of its `[address]` label. Hosts and services are numeric, as with camflowd's
//! `NI_NUMERICHOST | NI_NUMERICSERV`.

use crate::capture::relay::layout::{ADDR, ADDR_LEN, Record};
use crate::graph::value::quote;
use std::net::{Ipv4Addr, Ipv6Addr};

const AF_UNIX: u16 = 1;
const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;
/// `sizeof(sun_path)`.
const SUN_PATH: usize = 108;

/// A decoded socket address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Address {
    /// The JSON object text of `cf:address`.
    pub json: String,
    /// The label text after `[address] `.
    pub label: String,
    /// True when the path had to be repaired (see `layout::CText`).
    pub repaired: bool,
}

fn inet(family: &str, word: &str, host: String, port: u16) -> Address {
    Address {
        json: format!(
            "{{\"type\":{}, \"host\":{}, \"service\":{}}}",
            quote(family),
            quote(&host),
            quote(&port.to_string())
        ),
        label: format!("{word} {host} ({port})"),
        repaired: false,
    }
}

/// The address in an address record.
pub fn address(r: &Record<'_>) -> Address {
    let family = r.u16(ADDR);
    match family {
        AF_INET => {
            let ip = Ipv4Addr::from(r.array::<4>(ADDR + 4));
            inet("AF_INET", "IPV4", ip.to_string(), r.u16_be(ADDR + 2))
        }
        AF_INET6 => {
            let ip = Ipv6Addr::from(r.array::<16>(ADDR + 8));
            let scope = r.u32(ADDR + 24);
            let host = if scope != 0 {
                format!("{ip}%{scope}")
            } else {
                ip.to_string()
            };
            inet("AF_INET6", "IPV6", host, r.u16_be(ADDR + 2))
        }
        AF_UNIX => {
            // The path's length is what `addrlen` leaves after the family.
            let length = r.u64(ADDR_LEN).saturating_sub(2);
            let path = r.c_text(ADDR + 2, SUN_PATH, Some(length));
            Address {
                json: format!("{{\"type\":\"AF_UNIX\", \"path\":{}}}", quote(&path.text)),
                label: format!("UNIX {}", path.text),
                repaired: path.repaired,
            }
        }
        other => {
            let why = "address family not supported";
            Address {
                json: format!(
                    "{{\"type\":{other}, \"host\":\"could not resolve\", \
                     \"service\":\"could not resolve\", \"error\":{}}}",
                    quote(why)
                ),
                label: format!("{other} could not resolve ({why})"),
                repaired: false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::relay::testing::{ADDRESS, Rec, at};

    /// An address record: `length` @144, `sockaddr_storage` @152 (reference §5.1).
    fn record(family: u16, body: &[u8], length: u64) -> Vec<u8> {
        Rec::long(ADDRESS, 1, 0)
            .u64(at::SPECIFIC, length)
            .u16(at::ADDR, family)
            .bytes(at::ADDR + 2, body)
            .0
    }

    #[test]
    fn ipv4_in_camflowd_s_words() {
        // port 53 (network order), 10.0.2.3
        let rec = record(AF_INET, &[0, 53, 10, 0, 2, 3], 16);
        let a = address(&Record(&rec));
        assert_eq!(
            a.json,
            r#"{"type":"AF_INET", "host":"10.0.2.3", "service":"53"}"#
        );
        assert_eq!(a.label, "IPV4 10.0.2.3 (53)");
        let v: serde_json::Value = serde_json::from_str(&a.json).unwrap();
        assert_eq!(v["host"], "10.0.2.3");
    }

    #[test]
    fn ipv6_and_unix_and_others() {
        let mut body = vec![0x1f, 0x90, 0, 0, 0, 0];
        body.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        let a = address(&Record(&record(AF_INET6, &body, 28)));
        assert_eq!(a.label, "IPV6 ::1 (8080)");

        let a = address(&Record(&record(AF_UNIX, b"/run/x.sock\0", 14)));
        assert_eq!(a.json, r#"{"type":"AF_UNIX", "path":"/run/x.sock"}"#);
        assert_eq!(a.label, "UNIX /run/x.sock");

        // A hostile path: quotes and an escape sequence stay inside the JSON string.
        let a = address(&Record(&record(AF_UNIX, b"a\"b\x1b[2J", 100)));
        let v: serde_json::Value = serde_json::from_str(&a.json).unwrap();
        assert_eq!(v["path"], "a\"b\u{1b}[2J");
        assert!(!a.json.contains('\u{1b}'));

        let a = address(&Record(&record(17, &[], 20)));
        let v: serde_json::Value = serde_json::from_str(&a.json).unwrap();
        assert_eq!(v["type"], 17);
        assert!(v["error"].is_string());
    }
}
