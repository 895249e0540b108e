//! Writing SPADE JSON as camflowd does: one object per line, `Activity` for tasks and
//! `Entity` for every other vertex (machines included, as libprovenance writes them),
//! annotation names without the `cf:` prefix where camflowd drops it, addresses
//! flattened, and edges with `from` = effect (receiver) and `to` = cause (sender).

use crate::capture::camflow::w3c_write::WriteCounts;
use crate::graph::store::{EdgeId, NodeId, Origin, ProvGraph};
use crate::graph::{ProvClass, value};
use petgraph::Direction;
use std::io::{self, Write};

/// W3C attribute names camflowd writes without `cf:` in SPADE output.
const UNPREFIXED: [&str; 44] = [
    "uid",
    "gid",
    "mode",
    "secctx",
    "ino",
    "uuid",
    "pid",
    "vpid",
    "utime",
    "stime",
    "vm",
    "rss",
    "hw_vm",
    "hw_rss",
    "rbytes",
    "wbytes",
    "cancel_wbytes",
    "utsns",
    "ipcns",
    "mntns",
    "pidns",
    "netns",
    "cgroupns",
    "tgid",
    "pathname",
    "value",
    "truncated",
    "content",
    "length",
    "valid",
    "size",
    "atime",
    "ctime",
    "mtime",
    "u_sysname",
    "u_nodename",
    "u_release",
    "u_version",
    "u_machine",
    "u_domainname",
    "k_version",
    "k_commit",
    "l_version",
    "l_commit",
];

/// Writes every trace element of `g` as SPADE JSON lines.
pub fn write_spade<W: Write>(g: &ProvGraph, out: &mut W) -> io::Result<WriteCounts> {
    let mut counts = WriteCounts::default();
    let mut line = String::new();
    for n in g.node_ids() {
        if g.node(n).origin != Origin::Defined {
            continue;
        }
        line.clear();
        node_line(g, n, &mut line);
        out.write_all(line.as_bytes())?;
        counts.nodes += 1;
        counts.lines += 1;
    }
    for e in g.edge_ids() {
        if g.edge(e).derived {
            continue;
        }
        line.clear();
        edge_line(g, e, &mut line);
        out.write_all(line.as_bytes())?;
        counts.edges += 1;
        counts.lines += 1;
    }
    out.flush()?;
    Ok(counts)
}

fn push_pair(out: &mut String, name: &str, json: &str) {
    if !out.ends_with('{') {
        out.push(',');
    }
    out.push_str(&value::quote(name));
    out.push(':');
    out.push_str(json);
}

/// The SPADE annotation name of a W3C vertex attribute; `None` to leave it out.
fn node_name<'a>(name: &'a str, kind: &str) -> Option<&'a str> {
    Some(match name {
        "cf:id" => "object_id",
        "prov:type" => "object_type",
        "cf:boot_id" => "boot_id",
        "cf:version" => "version",
        // SPADE has no labels; camflowd computes them from other fields.
        "prov:label" => return None,
        "cf:uuid" if kind == "sb" => name,
        "cf:mode" if kind == "shm" => name,
        "cf:name" if kind == "xattr" => "name",
        _ => match name.strip_prefix("cf:") {
            Some(bare) if UNPREFIXED.contains(&bare) => bare,
            _ => name,
        },
    })
}

fn node_line(g: &ProvGraph, n: NodeId, out: &mut String) {
    let node = g.node(n);
    let kind = g.node_kind(n);
    let class = if node.class == ProvClass::Activity {
        "Activity"
    } else {
        "Entity"
    };
    out.push_str(&format!(
        "{{\"type\":\"{class}\",\"id\":{},\"annotations\": {{",
        value::quote(&node.key.to_text())
    ));
    if kind == "packet" {
        packet_annotations(g, n, out);
        out.push_str("}}\n");
        return;
    }
    let mut has_type = false;
    for (name, json) in g.attr_pairs(node.attrs) {
        if name == "cf:address" {
            flatten_address(out, json);
            continue;
        }
        if name == "prov:type" && json.starts_with('"') {
            has_type = true;
            push_pair(out, "object_type", &value::quote(kind));
            continue;
        }
        if let Some(spade) = node_name(name, kind) {
            push_pair(out, spade, json);
        }
    }
    if !has_type {
        push_pair(out, "object_type", &value::quote(kind));
    }
    out.push_str("}}\n");
}

/// W3C packet attributes in the order libprovenance's SPADE writer puts them, with their
/// SPADE names.
const PACKET_FIELDS: [(&str, &str); 6] = [
    ("cf:id", "packet_id"),
    ("cf:seq", "seq"),
    ("cf:sender", "sender"),
    ("cf:receiver", "receiver"),
    ("cf:jiffies", "jiffies"),
    ("cf:len", "ih_len"),
];

/// A packet's annotations as libprovenance writes them: `object_type`, `cf:date`,
/// `packet_id`, `seq`, `sender`, `receiver`, `jiffies`, `ih_len`, and no taint or label.
/// A W3C packet has no date (its header has none): the date written is that of a
/// relation of the packet, stamped at the same flush as the packet. Attributes CamFlow
/// does not write for packets follow, so that nothing read is lost.
fn packet_annotations(g: &ProvGraph, n: NodeId, out: &mut String) {
    push_pair(out, "object_type", &value::quote("packet"));
    let date = g.node_attr(n, "cf:date").or_else(|| {
        g.edges_of(n, Direction::Outgoing)
            .chain(g.edges_of(n, Direction::Incoming))
            .find_map(|(e, _)| g.edge_attr(e, "cf:date"))
    });
    if let Some(date) = date {
        push_pair(out, "cf:date", date);
    }
    for (w3c, spade) in PACKET_FIELDS {
        if let Some(json) = g.node_attr(n, w3c) {
            push_pair(out, spade, json);
        }
    }
    let known = |name: &str| {
        PACKET_FIELDS.iter().any(|(w3c, _)| *w3c == name)
            || matches!(name, "prov:type" | "cf:date" | "cf:taint" | "prov:label")
    };
    for (name, json) in g.attr_pairs(g.node(n).attrs) {
        if !known(name) {
            push_pair(out, name, json);
        }
    }
}

/// A nested W3C address becomes top-level `type`/`host`/`service`/`path` annotations.
fn flatten_address(out: &mut String, json: &str) {
    match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(json) {
        Ok(map) => {
            for (k, v) in map {
                push_pair(out, &k, &v.to_string());
            }
        }
        Err(_) => push_pair(out, "cf:address", json),
    }
}

/// The SPADE annotation name of a W3C relation attribute; `None` to leave it out.
fn edge_name(name: &str) -> Option<&str> {
    Some(match name {
        "cf:id" => "relation_id",
        "prov:type" => "relation_type",
        "cf:boot_id" => "boot_id",
        "cf:epoch" => "epoch",
        "cf:jiffies" => "jiffies",
        "cf:allowed" => "allowed",
        "cf:offset" => "offset",
        "cf:flags" => "flags",
        "cf:task_id" => "task_id",
        "prov:label" => return None,
        _ => name,
    })
}

fn edge_line(g: &ProvGraph, e: EdgeId, out: &mut String) {
    let edge = g.edge(e);
    let (snd, rcv) = g.endpoints(e);
    out.push_str(&format!(
        "{{\"type\":\"{}\",\"from\":{},\"to\":{},\"annotations\": {{",
        edge.category.spade_name(),
        value::quote(&g.node(rcv).key.to_text()),
        value::quote(&g.node(snd).key.to_text()),
    ));
    push_pair(out, "id", &value::quote(&edge.key.to_text()));
    let mut has_type = false;
    for (name, json) in g.attr_pairs(edge.attrs) {
        if name == "prov:type" && json.starts_with('"') {
            has_type = true;
            push_pair(out, "relation_type", &value::quote(g.edge_kind(e)));
            continue;
        }
        if let Some(spade) = edge_name(name) {
            push_pair(out, spade, json);
        }
    }
    if !has_type {
        push_pair(out, "relation_type", &value::quote(g.edge_kind(e)));
    }
    push_pair(out, "from_type", &value::quote(g.node_kind(rcv)));
    push_pair(out, "to_type", &value::quote(g.node_kind(snd)));
    out.push_str("}}\n");
}
