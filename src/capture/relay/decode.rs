//! One relay record (`union prov_elt`, 256 bytes, or `union long_prov_elt`, 4280 bytes)
//! into one element with the attributes camflowd's W3C writer gives it (reference §2.2
//! and §2.3, libprovenance v0.5.5): a relation (bit 63 of its type) with its category and
//! the sender and receiver identifiers, or a node with CamFlow's common attributes and
//! those of its type. Values are the exact JSON text camflowd would write (u64s as
//! strings, u32s as numbers, hex as camflowd spells it), with three differences: strings
//! are properly JSON-escaped rather than patched by hand (camflowd replaces quotes and
//! control characters in logs and backslashes in paths), `cf:secctx` is left out (it needs
//! the kernel's `secctx` lookup), and `cf:date` is the time provscope read the record.

use crate::capture::camflow::json::MaybeAttrs;
use crate::capture::relay::layout::*;
use crate::capture::relay::sockaddr;
use crate::capture::relay::types::{Shape, TypeTable, shape};
use crate::graph::identifier::{ElementKey, IdentifierFields};
use crate::graph::model::{Attr, Category, EdgeRecord, NodeRecord, ProvClass, RecordSink};
use crate::graph::value::quote;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::borrow::Cow;
use std::fmt::Display;
use std::net::Ipv4Addr;

/// An element decoded from a record.
#[derive(Clone, Debug)]
pub enum Element {
    /// A node.
    Node(NodeRecord<'static>),
    /// A relation.
    Edge(EdgeRecord<'static>),
}

impl Element {
    /// Hands the element to a sink.
    pub fn deliver(self, sink: &mut dyn RecordSink) {
        match self {
            Element::Node(n) => sink.node(n),
            Element::Edge(e) => sink.edge(e),
        }
    }
}

/// What one record gave.
#[derive(Clone, Debug, Default)]
pub struct Decoded {
    /// The element; `None` when the record is damaged.
    pub element: Option<Element>,
    /// Why the record is damaged, or what a kept element lost.
    pub problem: Option<String>,
    /// The type number when no table names it (the element is kept as `unknown_0x...`).
    pub unknown_type: Option<u64>,
    /// True when some text in the record had to be repaired.
    pub repaired: bool,
}

impl Decoded {
    fn damaged(why: String) -> Decoded {
        Decoded {
            problem: Some(why),
            ..Decoded::default()
        }
    }
}

/// Attributes in camflowd's order, as (name, JSON text).
#[derive(Default)]
struct Attrs {
    list: Vec<Attr<'static>>,
    repaired: bool,
}

impl Attrs {
    fn json(&mut self, name: impl Into<Cow<'static, str>>, json: String) {
        self.list.push((name.into(), Cow::Owned(json)));
    }

    fn num(&mut self, name: &'static str, value: impl Display) {
        self.json(name, value.to_string());
    }

    fn string(&mut self, name: &'static str, value: &str) {
        self.json(name, quote(value));
    }

    fn text(&mut self, name: &'static str, value: &CText) {
        self.repaired |= value.repaired;
        self.string(name, &value.text);
    }

    fn label(&mut self, word: &str, rest: impl Display) {
        self.string("prov:label", &format!("[{word}] {rest}"));
    }
}

/// An identifier as CamFlow writes keys (base64 of its 32 bytes, without `cf:`).
fn key(id: [u8; 32]) -> String {
    ElementKey::Binary(id).to_text()
}

/// Decodes one record; `date` is the `cf:date` to stamp.
pub fn decode(bytes: &[u8], types: &mut TypeTable, date: &str) -> Decoded {
    let r = Record(bytes);
    let id = r.identifier(IDENTIFIER);
    let fields = IdentifierFields::decode(&id);
    let shape = match shape(fields.kind) {
        Ok(s) => s,
        Err(why) => return Decoded::damaged(why),
    };
    let (kind, named) = types.kind(fields.kind);
    let mut out = match shape {
        Shape::Relation(category) => edge(&r, id, &fields, category, kind, types, date),
        Shape::Node(_) if kind == "packet" => packet(&r, id),
        Shape::Node(class) => node(&r, id, &fields, class, kind, date),
    };
    if !named && out.element.is_some() {
        out.unknown_type = Some(fields.kind);
    }
    out
}

fn edge(
    r: &Record<'_>,
    id: [u8; 32],
    f: &IdentifierFields,
    category: Category,
    kind: String,
    types: &mut TypeTable,
    date: &str,
) -> Decoded {
    let (snd, rcv) = (r.identifier(REL_SND), r.identifier(REL_RCV));
    let (snd_type, rcv_type) = (
        IdentifierFields::decode(&snd).kind,
        IdentifierFields::decode(&rcv).kind,
    );
    if snd_type == 0 || rcv_type == 0 {
        return Decoded::damaged(format!(
            "{kind} relation {} has no {} identifier",
            f.id,
            if snd_type == 0 { "sender" } else { "receiver" }
        ));
    }
    let mut end_kind = |t: u64| types.name(t).map(|n| Cow::Owned(n.to_string()));
    let (sender_kind, receiver_kind) = (end_kind(snd_type), end_kind(rcv_type));
    let mut a = Attrs::default();
    a.string("cf:id", &f.id.to_string());
    a.string("prov:type", &kind);
    a.num("cf:boot_id", f.boot_id);
    a.string("cf:machine_id", &format!("cf:{}", f.machine_id));
    a.string("cf:date", date);
    a.string("cf:jiffies", &r.u64(JIFFIES).to_string());
    a.num("cf:epoch", r.u32(EPOCH));
    a.string("prov:label", &kind);
    // FLOW_ALLOWED is 0.
    a.string(
        "cf:allowed",
        if r.u8(REL_ALLOWED) == 0 {
            "true"
        } else {
            "false"
        },
    );
    let offset = r.i64(REL_OFFSET);
    if r.u8(REL_SET) == 1 && offset > 0 {
        a.string("cf:offset", &offset.to_string());
    }
    a.string("cf:flags", &format!("{:x}", r.u64(REL_FLAGS)));
    a.string("cf:task_id", &r.u64(REL_TASK_ID).to_string());
    Decoded {
        element: Some(Element::Edge(EdgeRecord {
            key: Cow::Owned(key(id)),
            category,
            kind: Cow::Owned(kind),
            sender: Cow::Owned(key(snd)),
            receiver: Cow::Owned(key(rcv)),
            sender_kind,
            receiver_kind,
            attrs: a.list,
        })),
        repaired: a.repaired,
        ..Decoded::default()
    }
}

/// A packet: its own identifier layout and attributes, no boot, machine or version.
fn packet(r: &Record<'_>, id: [u8; 32]) -> Decoded {
    let end =
        |ip: usize, port: usize| format!("{}:{}", Ipv4Addr::from(r.array::<4>(ip)), r.u16_be(port));
    let (snd, rcv) = (
        end(PACKET_SND_IP, PACKET_SND_PORT),
        end(PACKET_RCV_IP, PACKET_RCV_PORT),
    );
    let packet_id = r.u16(PACKET_ID);
    let mut a = Attrs::default();
    a.num("cf:id", packet_id);
    a.num("cf:seq", r.u32(PACKET_SEQ));
    a.string("cf:sender", &snd);
    a.string("cf:receiver", &rcv);
    a.string("prov:type", "packet");
    a.string("cf:taint", &format!("{:x}", r.u64(TAINT)));
    a.string("cf:jiffies", &r.u64(JIFFIES).to_string());
    a.num("cf:len", r.u16(PACKET_LEN));
    a.label("packet", format!("{snd}->{rcv} ({packet_id})"));
    Decoded {
        element: Some(Element::Node(NodeRecord {
            key: Cow::Owned(key(id)),
            class: ProvClass::Entity,
            kind: Cow::Borrowed("packet"),
            attrs: a.list,
        })),
        ..Decoded::default()
    }
}

fn node(
    r: &Record<'_>,
    id: [u8; 32],
    f: &IdentifierFields,
    class: ProvClass,
    kind: String,
    date: &str,
) -> Decoded {
    let mut a = Attrs::default();
    a.string("cf:id", &f.id.to_string());
    a.string("prov:type", &kind);
    a.num("cf:boot_id", f.boot_id);
    a.string("cf:machine_id", &format!("cf:{}", f.machine_id));
    a.num("cf:version", f.version);
    a.string("cf:date", date);
    a.string("cf:taint", &format!("{:x}", r.u64(TAINT)));
    a.string("cf:jiffies", &r.u64(JIFFIES).to_string());
    a.num("cf:epoch", r.u32(EPOCH));
    let problem = specific(r, f, &kind, &mut a);
    Decoded {
        element: Some(Element::Node(NodeRecord {
            key: Cow::Owned(key(id)),
            class,
            kind: Cow::Owned(kind),
            attrs: a.list,
        })),
        problem,
        repaired: a.repaired,
        unknown_type: None,
    }
}

/// The type-specific attributes; returns what had to be left out, if anything.
fn specific(r: &Record<'_>, f: &IdentifierFields, kind: &str, a: &mut Attrs) -> Option<String> {
    let long_text = |r: &Record<'_>| r.c_text(LONG_TEXT, PATH_MAX, Some(r.u64(LONG_TEXT_LEN)));
    let truncated = |r: &Record<'_>| {
        if r.u8(LONG_TRUNCATED) == 1 {
            "true"
        } else {
            "false"
        }
    };
    match kind {
        "task" => {
            a.num("cf:pid", r.u32(TASK_PID));
            a.num("cf:vpid", r.u32(TASK_VPID));
            let counters = [
                "cf:utime",
                "cf:stime",
                "cf:vm",
                "cf:rss",
                "cf:hw_vm",
                "cf:hw_rss",
                "cf:rbytes",
                "cf:wbytes",
                "cf:cancel_wbytes",
            ];
            for (i, name) in counters.into_iter().enumerate() {
                a.string(name, &r.u64(TASK_COUNTERS + 8 * i).to_string());
            }
            let namespaces = [
                "cf:utsns",
                "cf:ipcns",
                "cf:mntns",
                "cf:pidns",
                "cf:netns",
                "cf:cgroupns",
            ];
            for (i, name) in namespaces.into_iter().enumerate() {
                a.num(name, r.u32(TASK_NAMESPACES + 4 * i));
            }
            a.label("task", f.version);
        }
        "process_memory" => {
            a.num("cf:uid", r.u32(NODE_UID));
            a.num("cf:gid", r.u32(NODE_GID));
            a.num("cf:tgid", r.u32(PROC_TGID));
            a.label("process", f.version);
        }
        "file" | "directory" | "link" | "char" | "block" | "pipe" | "socket" | "inode_unknown" => {
            a.num("cf:uid", r.u32(NODE_UID));
            a.num("cf:gid", r.u32(NODE_GID));
            a.string("cf:mode", &format!("{:#x}", r.u16(INODE_MODE)));
            a.num("cf:ino", r.u64(INODE_INO));
            a.string("cf:uuid", &r.uuid(INODE_UUID));
            a.label(kind, f.version);
        }
        "iattr" => {
            a.string("cf:valid", &format!("{:#x}", r.u32(IATTR_VALID)));
            a.string("cf:mode", &format!("{:#x}", r.u16(IATTR_MODE)));
            a.num("cf:uid", r.u32(NODE_UID));
            a.num("cf:gid", r.u32(NODE_GID));
            for (i, name) in ["cf:size", "cf:atime", "cf:ctime", "cf:mtime"]
                .into_iter()
                .enumerate()
            {
                a.string(name, &r.i64(IATTR_SIZE + 8 * i).to_string());
            }
            a.label("iattr", f.id);
        }
        "xattr" => {
            let name = r.c_text(XATTR_NAME, XATTR_NAME_MAX, None);
            a.text("cf:name", &name);
            let size = r.u64(XATTR_SIZE);
            if size > 0 {
                a.num("cf:size", size);
            }
            a.label("xattr", &name.text);
        }
        "packet_content" => {
            let length = r.u64(LONG_TEXT_LEN);
            let kept = usize::try_from(length).map_or(PATH_MAX, |n| n.min(PATH_MAX));
            a.repaired |= kept as u64 != length;
            a.string("cf:content", &STANDARD.encode(r.bytes(LONG_TEXT, kept)));
            a.num("cf:length", kept);
            a.string("cf:truncated", truncated(r));
            a.string("prov:label", "[content] ");
        }
        "sb" => a.string("cf:uuid", &r.uuid(SB_UUID)),
        "shm" => a.string("cf:mode", &format!("{:#x}", r.u16(SHM_MODE))),
        "string" => {
            let log = long_text(r);
            a.text("cf:log", &log);
            a.label("log", &log.text);
        }
        "path" => {
            let path = long_text(r);
            a.text("cf:pathname", &path);
            a.label("path", &path.text);
        }
        "argv" | "envp" => {
            let value = long_text(r);
            a.text("cf:value", &value);
            a.string("cf:truncated", truncated(r));
            a.label(kind, &value.text);
        }
        "address" => {
            let addr = sockaddr::address(r);
            a.repaired |= addr.repaired;
            a.json("cf:address", addr.json);
            a.label("address", addr.label);
        }
        "machine" => machine_attrs(r, a),
        "disc_entity" | "disc_activity" | "disc_agent" => return disclosed(r, a),
        _ => {}
    }
    None
}

fn machine_attrs(r: &Record<'_>, a: &mut Attrs) {
    let fields = [
        "cf:u_sysname",
        "cf:u_nodename",
        "cf:u_release",
        "cf:u_version",
        "cf:u_machine",
        "cf:u_domainname",
    ];
    for (i, name) in fields.into_iter().enumerate() {
        let at = MACHINE_UTSNAME + UTSNAME_FIELD * i;
        a.text(name, &r.c_text(at, UTSNAME_FIELD, None));
    }
    let v = MACHINE_VERSION;
    a.string(
        "cf:k_version",
        &format!("{}.{}.{}", r.u8(v), r.u8(v + 1), r.u8(v + 2)),
    );
    a.text("cf:k_commit", &r.c_text(MACHINE_COMMIT, COMMIT_MAX, None));
    a.string(
        "cf:l_version",
        concat!("provscope ", env!("CARGO_PKG_VERSION")),
    );
}

/// A disclosed node: its parent, then the application's attribute text spliced in.
fn disclosed(r: &Record<'_>, a: &mut Attrs) -> Option<String> {
    let parent = r.identifier(DISC_PARENT);
    if parent != [0u8; 32] {
        a.string("cf:hasParent", &format!("cf:{}", key(parent)));
    }
    let content = r.c_text(DISC_CONTENT, PATH_MAX, Some(r.u64(DISC_LEN)));
    a.repaired |= content.repaired;
    if content.text.trim().is_empty() {
        return None;
    }
    let wrapped = format!("{{{}}}", content.text);
    match serde_json::from_str::<MaybeAttrs<'_>>(&wrapped) {
        Ok(MaybeAttrs(Some(members))) => {
            for (name, value) in members {
                a.json(Cow::Owned(name.into_owned()), value.get().to_string());
            }
            None
        }
        _ => Some(String::from(
            "disclosed attributes are not JSON members: the node is kept without them",
        )),
    }
}

#[cfg(test)]
#[path = "decode_tests.rs"]
mod tests;
