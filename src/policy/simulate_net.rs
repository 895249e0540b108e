//! IPv4 rules on a recording: which sockets and processes a rule would have tracked. CamFlow names an
//! address as getnameinfo gave it (`{"type":"AF_INET","host":"10.0.2.15","serv":"80"}`,
//! or a host and service by name when it could resolve them); a numeric service and a
//! service name from the system's services database both give the port. A host by name
//! cannot be matched against an address rule without the DNS answer of the time: such
//! addresses are counted in a warning, never silently passed over.

use crate::graph::store::{ObjectId, ProvGraph};
use crate::policy::{Ipv4Rule, NetWay};
use petgraph::Direction;
use std::net::Ipv4Addr;

/// An AF_INET address as the trace gives it.
#[derive(Debug, PartialEq, Eq)]
enum Inet {
    /// A numeric host, and its port (0 when the trace gives none).
    At(Ipv4Addr, u16),
    /// A host by name: cannot be matched.
    Named,
}

/// What a rule tracks: the sockets that connected (egress) or bound (ingress) to an
/// address it matches (found through the address entities they are `addressed` by), and
/// the processes that did so, as CamFlow marks both. Adds a warning when some addresses
/// name their host and could not be checked.
pub fn sockets_matching(
    g: &ProvGraph,
    rule: &Ipv4Rule,
    warnings: &mut Vec<String>,
) -> Vec<ObjectId> {
    let wanted = match rule.way {
        NetWay::Egress => "connect",
        NetWay::Ingress => "bind",
    };
    let mut out = Vec::new();
    let mut named = 0usize;
    for a in g.defined_nodes().filter(|&n| g.node_kind(n) == "address") {
        let (addr, port) = match g.node_attr(a, "cf:address").and_then(inet_address) {
            Some(Inet::At(addr, port)) => (addr, port),
            Some(Inet::Named) => {
                named += 1;
                continue;
            }
            None => continue,
        };
        if !rule.matches(addr, port) {
            continue;
        }
        for (_, socket) in g.edges_of(a, Direction::Outgoing) {
            let tasks: Vec<_> = g
                .edges_of(socket, Direction::Incoming)
                .filter(|&(e, _)| g.edge_kind(e) == wanted)
                .map(|(_, task)| task)
                .collect();
            if tasks.is_empty() {
                continue;
            }
            out.push(g.node(socket).object);
            // CamFlow marks the connecting (binding) process too: its task and its
            // process memory.
            for task in tasks {
                out.push(g.node(task).object);
                out.extend(
                    g.edges_of(task, Direction::Outgoing)
                        .chain(g.edges_of(task, Direction::Incoming))
                        .filter(|&(_, n)| g.node_kind(n) == "process_memory")
                        .map(|(_, n)| g.node(n).object),
                );
            }
        }
    }
    if named > 0 {
        warnings.push(format!(
            "ipv4-{} {}={}: {named} address(es) give their host by name, not by number, and \
             cannot be matched against the rule",
            rule.way.name(),
            rule.op.key(),
            rule.target()
        ));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// A `cf:address` value as an IPv4 address and port; None for another family.
fn inet_address(json: &str) -> Option<Inet> {
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    if v.get("type")?.as_str()? != "AF_INET" {
        return None;
    }
    let Ok(host) = v.get("host")?.as_str()?.parse() else {
        return Some(Inet::Named);
    };
    // camflowd writes "serv"; "service" is accepted for hand-written traces.
    let port = match v.get("serv").or_else(|| v.get("service")) {
        Some(serde_json::Value::String(s)) => s
            .parse()
            .ok()
            .or_else(|| service_port(s, system_services()))
            .unwrap_or(0),
        Some(serde_json::Value::Number(n)) => {
            n.as_u64().and_then(|p| u16::try_from(p).ok()).unwrap_or(0)
        }
        _ => 0,
    };
    Some(Inet::At(host, port))
}

/// The system's services database (`/etc/services`), read once; empty when absent.
fn system_services() -> &'static str {
    static SERVICES: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SERVICES.get_or_init(|| std::fs::read_to_string("/etc/services").unwrap_or_default())
}

/// The port of a service name or alias in services(5) text: `name port/proto aliases`.
fn service_port(name: &str, services: &str) -> Option<u16> {
    services.lines().find_map(|line| {
        let line = line.split('#').next()?;
        let mut words = line.split_whitespace();
        let service = words.next()?;
        let port = words.next()?.split('/').next()?.parse().ok()?;
        (service == name || words.any(|alias| alias == name)).then_some(port)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_read_as_camflowd_writes_them() {
        let services = "# comment\nhttp\t\t80/tcp\t\twww\t# WorldWideWeb\nhttps 443/tcp\n";
        assert_eq!(service_port("http", services), Some(80));
        assert_eq!(service_port("www", services), Some(80));
        assert_eq!(service_port("gopher", services), None);
        assert_eq!(
            inet_address(r#"{"type":"AF_INET","host":"10.0.2.15","serv":"8080"}"#),
            Some(Inet::At(Ipv4Addr::new(10, 0, 2, 15), 8080))
        );
        assert_eq!(
            inet_address(r#"{"type":"AF_INET","host":"lga15s47-in-f68.1e100.net","serv":"http"}"#),
            Some(Inet::Named)
        );
        assert_eq!(
            inet_address(r#"{"type":"AF_UNIX","path":"/var/run/nscd/socket"}"#),
            None
        );
    }
}
