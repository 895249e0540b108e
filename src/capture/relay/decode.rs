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
mod tests {
    use super::*;
    use crate::capture::relay::testing::*;

    const DATE: &str = "2024:01:02T03:04:05";

    fn decoded(rec: &[u8]) -> Decoded {
        decode(rec, &mut TypeTable::builtin(), DATE)
    }

    fn node_of(rec: &[u8]) -> NodeRecord<'static> {
        match decoded(rec).element {
            Some(Element::Node(n)) => n,
            other => panic!("not a node: {other:?}"),
        }
    }

    fn attr<'a>(attrs: &'a [Attr<'static>], name: &str) -> &'a str {
        attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_ref())
            .unwrap_or_else(|| panic!("no {name} in {attrs:?}"))
    }

    fn text_of(attrs: &[Attr<'static>], name: &str) -> String {
        serde_json::from_str(attr(attrs, name)).unwrap()
    }

    #[test]
    fn a_task_with_camflowd_s_attributes_and_a_round_tripping_id() {
        let rec = task(3666, 2, 4242);
        let n = node_of(&rec);
        assert_eq!(n.kind, "task");
        assert_eq!(n.class, ProvClass::Activity);
        let fields = ElementKey::parse(&n.key).fields().unwrap();
        assert_eq!(fields.kind, TASK);
        assert_eq!((fields.id, fields.version), (3666, 2));
        assert_eq!((fields.boot_id, fields.machine_id), (BOOT, MACHINE_ID));
        assert_eq!(ElementKey::parse(&n.key).to_text(), n.key);
        assert_eq!(attr(&n.attrs, "cf:id"), "\"3666\"");
        assert_eq!(attr(&n.attrs, "cf:pid"), "4242");
        assert_eq!(attr(&n.attrs, "cf:vpid"), "4243");
        assert_eq!(
            attr(&n.attrs, "cf:machine_id"),
            format!("\"cf:{MACHINE_ID}\"")
        );
        assert_eq!(attr(&n.attrs, "cf:utime"), "\"11\"");
        assert_eq!(attr(&n.attrs, "cf:cgroupns"), "26");
        assert_eq!(attr(&n.attrs, "cf:jiffies"), "\"4295000000\"");
        assert_eq!(attr(&n.attrs, "cf:date"), format!("\"{DATE}\""));
        assert_eq!(attr(&n.attrs, "prov:label"), "\"[task] 2\"");
        let names: Vec<&str> = n.attrs.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(
            names[..9],
            [
                "cf:id",
                "prov:type",
                "cf:boot_id",
                "cf:machine_id",
                "cf:version",
                "cf:date",
                "cf:taint",
                "cf:jiffies",
                "cf:epoch"
            ]
        );
    }

    #[test]
    fn a_file_a_process_and_an_iattr() {
        let n = node_of(&file(77, 1, 0o100644, 123_456));
        assert_eq!(n.kind, "file");
        assert_eq!(attr(&n.attrs, "cf:mode"), "\"0x81a4\"");
        assert_eq!(attr(&n.attrs, "cf:ino"), "123456");
        assert_eq!(attr(&n.attrs, "cf:uid"), "1000");
        assert_eq!(
            attr(&n.attrs, "cf:uuid"),
            "\"00112233-4455-6677-8899-aabbccddeeff\""
        );
        assert_eq!(attr(&n.attrs, "prov:label"), "\"[file] 1\"");

        let n = node_of(&process_memory(5, 0, 3666));
        assert_eq!(n.kind, "process_memory");
        assert_eq!(attr(&n.attrs, "cf:tgid"), "3666");
        assert_eq!(attr(&n.attrs, "prov:label"), "\"[process] 0\"");

        let rec = Rec::short(IATTR, 9, 0)
            .u32(at::SPECIFIC, 0x1)
            .u16(at::IATTR_MODE, 0o755)
            .u64(at::IATTR_SIZE, (-1i64) as u64)
            .0;
        let n = node_of(&rec);
        assert_eq!(attr(&n.attrs, "cf:valid"), "\"0x1\"");
        assert_eq!(attr(&n.attrs, "cf:mode"), "\"0x1ed\"");
        assert_eq!(attr(&n.attrs, "cf:size"), "\"-1\"");
        assert_eq!(attr(&n.attrs, "prov:label"), "\"[iattr] 9\"");
    }

    #[test]
    fn a_read_relation_with_its_category_and_ends() {
        let snd = node_id(FILE, 77, 1);
        let rcv = node_id(TASK, 3666, 2);
        let rec = relation(READ, 2572, snd, rcv)
            .u64(at::REL_FLAGS, 0x4)
            .u8(at::REL_SET, 1)
            .u64(at::REL_OFFSET, 512)
            .u64(at::REL_TASK_ID, 3666)
            .0;
        let e = match decoded(&rec).element {
            Some(Element::Edge(e)) => e,
            other => panic!("not an edge: {other:?}"),
        };
        assert_eq!(e.kind, "read");
        assert_eq!(e.category, Category::Used);
        assert_eq!(e.sender, ElementKey::Binary(snd).to_text());
        assert_eq!(e.receiver, ElementKey::Binary(rcv).to_text());
        assert_eq!(e.sender_kind.as_deref(), Some("file"));
        assert_eq!(e.receiver_kind.as_deref(), Some("task"));
        let fields = ElementKey::parse(&e.key).fields().unwrap();
        assert_eq!((fields.kind, fields.id), (READ, 2572));
        assert_eq!(attr(&e.attrs, "cf:id"), "\"2572\"");
        assert_eq!(attr(&e.attrs, "prov:label"), "\"read\"");
        assert_eq!(attr(&e.attrs, "cf:allowed"), "\"true\"");
        assert_eq!(attr(&e.attrs, "cf:offset"), "\"512\"");
        assert_eq!(attr(&e.attrs, "cf:flags"), "\"4\"");
        assert_eq!(attr(&e.attrs, "cf:task_id"), "\"3666\"");
        assert!(e.attrs.iter().all(|(k, _)| k != "prov:entity"));

        // Every category from its bits.
        for (bits, category, name) in [
            (0x8080_0000_0000_0001, Category::WasDerivedFrom, "named"),
            (0x8040_0000_0000_0020, Category::WasGeneratedBy, "write"),
            (0x8010_0000_0000_0001, Category::WasInformedBy, "clone"),
            (
                0x8008_0000_0000_0001,
                Category::WasInfluencedBy,
                "load_unknown",
            ),
            (0x8004_0000_0000_0001, Category::WasAssociatedWith, "ran_on"),
        ] {
            match decoded(&relation(bits, 1, snd, rcv).0).element {
                Some(Element::Edge(e)) => {
                    assert_eq!((e.category, e.kind.as_ref()), (category, name))
                }
                other => panic!("{other:?}"),
            }
        }
        // Disallowed, no offset when `set` is not 1.
        let rec = relation(READ, 3, snd, rcv)
            .u8(at::REL_ALLOWED, 1)
            .u64(at::REL_OFFSET, 9)
            .0;
        let Some(Element::Edge(e)) = decoded(&rec).element else {
            panic!()
        };
        assert_eq!(attr(&e.attrs, "cf:allowed"), "\"false\"");
        assert!(e.attrs.iter().all(|(k, _)| k != "cf:offset"));
    }

    #[test]
    fn long_records_path_argv_string_machine_address_xattr_content() {
        let n = node_of(&path(99, "/usr/bin/make"));
        assert_eq!(n.kind, "path");
        assert_eq!(text_of(&n.attrs, "cf:pathname"), "/usr/bin/make");
        assert_eq!(text_of(&n.attrs, "prov:label"), "[path] /usr/bin/make");

        let n = node_of(&long_text_node(ARGV, 5, "wget").u8(at::TRUNCATED, 1).0);
        assert_eq!(text_of(&n.attrs, "cf:value"), "wget");
        assert_eq!(text_of(&n.attrs, "cf:truncated"), "true");
        assert_eq!(text_of(&n.attrs, "prov:label"), "[argv] wget");
        let n = node_of(&long_text_node(ENVP, 6, "HOME=/root").0);
        assert_eq!(text_of(&n.attrs, "prov:label"), "[envp] HOME=/root");

        let n = node_of(&long_text_node(STRING, 7, "hello log").0);
        assert_eq!(text_of(&n.attrs, "cf:log"), "hello log");
        assert_eq!(text_of(&n.attrs, "prov:label"), "[log] hello log");

        let n = node_of(&machine("camflow-host", [0, 9, 0]));
        assert_eq!(n.class, ProvClass::Agent);
        assert_eq!(text_of(&n.attrs, "cf:u_nodename"), "camflow-host");
        assert_eq!(text_of(&n.attrs, "cf:u_sysname"), "Linux");
        assert_eq!(text_of(&n.attrs, "cf:k_version"), "0.9.0");
        assert_eq!(text_of(&n.attrs, "cf:k_commit"), "0861533");

        let rec = Rec::long(ADDRESS, 8, 0)
            .u64(at::SPECIFIC, 16)
            .u16(at::ADDR, 2)
            .bytes(at::ADDR + 2, &[0, 80, 93, 184, 216, 34])
            .0;
        let n = node_of(&rec);
        let v: serde_json::Value = serde_json::from_str(attr(&n.attrs, "cf:address")).unwrap();
        assert_eq!(v["type"], "AF_INET");
        assert_eq!(v["host"], "93.184.216.34");
        assert_eq!(v["service"], "80");
        assert_eq!(
            text_of(&n.attrs, "prov:label"),
            "[address] IPV4 93.184.216.34 (80)"
        );

        let rec = Rec::long(XATTR, 10, 0)
            .bytes(at::SPECIFIC, b"security.provenance\0")
            .u64(at::LONG_LEN, 256)
            .0;
        let n = node_of(&rec);
        assert_eq!(text_of(&n.attrs, "cf:name"), "security.provenance");
        assert_eq!(attr(&n.attrs, "cf:size"), "256");

        let rec = Rec::long(PACKET_CONTENT, 11, 0)
            .bytes(at::SPECIFIC, b"GET /")
            .u64(at::LONG_LEN, 5)
            .0;
        let n = node_of(&rec);
        assert_eq!(text_of(&n.attrs, "cf:content"), "R0VUIC8=");
        assert_eq!(attr(&n.attrs, "cf:length"), "5");
    }

    #[test]
    fn a_packet_has_its_own_identifier() {
        let mut id = [0u8; 32];
        id[..8].copy_from_slice(&PACKET.to_le_bytes());
        id[8..10].copy_from_slice(&10538u16.to_le_bytes());
        id[12..16].copy_from_slice(&[10, 0, 2, 15]);
        id[16..20].copy_from_slice(&[10, 0, 2, 3]);
        id[20..22].copy_from_slice(&43521u16.to_be_bytes());
        id[22..24].copy_from_slice(&53u16.to_be_bytes());
        let rec = Rec(vec![0; at::PROV_ELT])
            .bytes(0, &id)
            .u16(at::SPECIFIC, 60)
            .0;
        let n = node_of(&rec);
        assert_eq!(n.kind, "packet");
        assert_eq!(attr(&n.attrs, "cf:id"), "10538");
        assert_eq!(text_of(&n.attrs, "cf:sender"), "10.0.2.15:43521");
        assert_eq!(
            text_of(&n.attrs, "prov:label"),
            "[packet] 10.0.2.15:43521->10.0.2.3:53 (10538)"
        );
        assert!(n.attrs.iter().all(|(k, _)| k != "cf:version"));
    }

    #[test]
    fn a_disclosed_node_splices_its_members_and_survives_bad_ones() {
        let parent = node_id(TASK, 1, 0);
        let content = br#""ex:foo":"bar","ex:n":3"#;
        let rec = Rec::long(DISC_ENTITY, 12, 0)
            .u64(at::SPECIFIC, content.len() as u64)
            .bytes(at::ADDR, content)
            .bytes(at::DISC_PARENT, &parent)
            .0;
        let n = node_of(&rec);
        assert_eq!(
            text_of(&n.attrs, "cf:hasParent"),
            format!("cf:{}", ElementKey::Binary(parent).to_text())
        );
        assert_eq!(attr(&n.attrs, "ex:foo"), "\"bar\"");
        assert_eq!(attr(&n.attrs, "ex:n"), "3");

        let rec = Rec::long(DISC_ENTITY, 13, 0)
            .u64(at::SPECIFIC, 9)
            .bytes(at::ADDR, b"not json}")
            .0;
        let d = decoded(&rec);
        assert!(d.element.is_some());
        assert!(d.problem.unwrap().contains("not JSON"));
    }

    #[test]
    fn hostile_strings_are_clamped_escaped_and_flagged() {
        // Escape sequences, no NUL anywhere, and a length far past the buffer.
        let mut hostile = b"/tmp/\x1b]0;owned\x07\x1b[2J\"quote".to_vec();
        hostile.resize(4096, b'A');
        let rec = Rec::long(PATH, 1, 0)
            .bytes(at::SPECIFIC, &hostile)
            .u64(at::LONG_LEN, u64::MAX)
            .0;
        let d = decoded(&rec);
        assert!(d.repaired, "a clamped length is a repair");
        let Some(Element::Node(n)) = d.element else {
            panic!()
        };
        let raw = attr(&n.attrs, "cf:pathname");
        assert!(!raw.contains('\u{1b}') && !raw.contains('\u{7}'), "{raw}");
        let value: String = serde_json::from_str(raw).unwrap();
        assert_eq!(value.len(), 4096, "bounded by the buffer");
        assert!(value.starts_with("/tmp/\u{1b}]0;owned\u{7}\u{1b}[2J\"quote"));

        // Invalid UTF-8 is replaced visibly; the record still decodes.
        let rec = Rec::long(PATH, 2, 0)
            .bytes(at::SPECIFIC, b"/bin/\xff\xfe")
            .u64(at::LONG_LEN, 7)
            .0;
        let d = decoded(&rec);
        assert!(d.repaired);
        let Some(Element::Node(n)) = d.element else {
            panic!()
        };
        assert_eq!(text_of(&n.attrs, "cf:pathname"), "/bin/\u{fffd}\u{fffd}");

        // A long type in a short record: what is past the end reads as empty.
        let n = node_of(&Rec::short(PATH, 3, 0).0);
        assert_eq!(text_of(&n.attrs, "cf:pathname"), "");
    }

    #[test]
    fn unknown_and_damaged_types() {
        // A well-formed type no table names: kept, visible, reported.
        let d = decoded(&Rec::short(0x2000_0000_8000_0000, 4, 0).0);
        assert_eq!(d.unknown_type, Some(0x2000_0000_8000_0000));
        let Some(Element::Node(n)) = d.element else {
            panic!()
        };
        assert_eq!(n.kind, "unknown_0x2000000080000000");
        // Not a CamFlow type at all, or an empty record: damaged, no element.
        for rec in [
            vec![0u8; at::PROV_ELT],
            Rec::short(0x6000_0000_0000_0001, 1, 0).0,
        ] {
            let d = decoded(&rec);
            assert!(d.element.is_none());
            assert!(d.problem.is_some());
        }
        // A relation without a receiver.
        let rec = relation(READ, 1, node_id(FILE, 1, 0), [0; 32]).0;
        assert!(decoded(&rec).problem.unwrap().contains("receiver"));
        // Any bytes at all: never a panic.
        for len in [0, 1, 31, 255, 4279] {
            let _ = decoded(&vec![0xab; len]);
        }
    }
}
