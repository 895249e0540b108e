//! CamFlow elements as W3C JSON text: identifiers in the 32-byte layout (base64), the
//! common attributes every node and relation carries, and the type bits of each kind.

use crate::capture::builder::host::Host;
use crate::graph::identifier::{ElementKey, IdentifierFields};
use crate::graph::value::{prefixed_number, quote, quote_number};

const DM_RELATION: u64 = 0x8000 << 48;
const DM_ACTIVITY: u64 = 0x4000 << 48;
const DM_ENTITY: u64 = 0x2000 << 48;
const DM_AGENT: u64 = 0x1000 << 48;

/// PROV class of a vertex.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeClass {
    /// A task.
    Activity,
    /// Files, sockets, paths, process memory...
    Entity,
    /// The machine.
    Agent,
}

impl NodeClass {
    /// The W3C section.
    pub fn section(self) -> &'static str {
        match self {
            NodeClass::Activity => "activity",
            NodeClass::Entity => "entity",
            NodeClass::Agent => "agent",
        }
    }
}

/// Node kinds the capture makes, with a distinct subtype bit each. Readers name types
/// from the `prov:type` string (the bits moved between CamFlow releases).
pub const NODE_KINDS: [(&str, NodeClass); 18] = [
    ("task", NodeClass::Activity),
    ("machine", NodeClass::Agent),
    ("process_memory", NodeClass::Entity),
    ("file", NodeClass::Entity),
    ("directory", NodeClass::Entity),
    ("link", NodeClass::Entity),
    ("char", NodeClass::Entity),
    ("block", NodeClass::Entity),
    ("pipe", NodeClass::Entity),
    ("socket", NodeClass::Entity),
    ("inode_unknown", NodeClass::Entity),
    ("iattr", NodeClass::Entity),
    ("address", NodeClass::Entity),
    ("path", NodeClass::Entity),
    ("argv", NodeClass::Entity),
    ("envp", NodeClass::Entity),
    ("packet", NodeClass::Entity),
    ("packet_content", NodeClass::Entity),
];

/// Where `inode_unknown` is in [`NODE_KINDS`]: the kind of anything not listed.
const INODE_UNKNOWN: usize = 10;

/// The PROV class and type bits of a node kind.
pub fn node_type(kind: &str) -> (NodeClass, u64) {
    let i = NODE_KINDS
        .iter()
        .position(|(k, _)| *k == kind)
        .unwrap_or(INODE_UNKNOWN);
    let class = NODE_KINDS[i].1;
    let top = match class {
        NodeClass::Activity => DM_ACTIVITY,
        NodeClass::Entity => DM_ENTITY,
        NodeClass::Agent => DM_AGENT,
    };
    (class, top | 1 << i)
}

/// PROV relation sections, with CamFlow's category bits and endpoint keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    /// entity → activity.
    Used,
    /// activity → entity.
    WasGeneratedBy,
    /// activity → activity.
    WasInformedBy,
    /// entity → entity.
    WasDerivedFrom,
    /// agent → activity.
    WasAssociatedWith,
}

impl Section {
    fn parts(self) -> (&'static str, u64, &'static str, &'static str) {
        match self {
            Section::Used => ("used", 0x0020, "prov:entity", "prov:activity"),
            Section::WasGeneratedBy => ("wasGeneratedBy", 0x0040, "prov:activity", "prov:entity"),
            Section::WasInformedBy => ("wasInformedBy", 0x0010, "prov:informant", "prov:informed"),
            Section::WasDerivedFrom => (
                "wasDerivedFrom",
                0x0080,
                "prov:usedEntity",
                "prov:generatedEntity",
            ),
            Section::WasAssociatedWith => {
                ("wasAssociatedWith", 0x0004, "prov:agent", "prov:activity")
            }
        }
    }

    /// The W3C section name.
    pub fn name(self) -> &'static str {
        self.parts().0
    }
}

/// Relation types the capture writes, for their subtype bits (and the filter panel).
pub const RELATION_KINDS: [&str; 45] = [
    "read",
    "write",
    "receive",
    "send",
    "receive_msg",
    "send_msg",
    "send_unix",
    "receive_unix",
    "open",
    "connect",
    "bind",
    "listen",
    "accept",
    "accept_socket",
    "socket_create",
    "socket_pair_create",
    "inode_create",
    "dup",
    "unlink",
    "rename",
    "link",
    "symlink",
    "setattr",
    "setattr_inode",
    "setuid",
    "setgid",
    "mmap",
    "mmap_write",
    "memory_read",
    "memory_write",
    "clone",
    "clone_mem",
    "exec",
    "exec_task",
    "arg",
    "env",
    "named",
    "addressed",
    "terminate_task",
    "terminate_proc",
    "ran_on",
    "version_entity",
    "version_activity",
    "send_packet",
    "receive_packet",
];

/// The identifier of a node version.
pub fn node_key(host: &Host, type_bits: u64, id: u64, version: u32) -> String {
    key_text(IdentifierFields {
        kind: type_bits,
        id,
        boot_id: host.boot_id,
        machine_id: host.machine_id,
        version,
    })
}

/// `cf:` + base64 of the 32-byte identifier, as camflowd writes keys and references,
/// made in one string the size of a key.
fn key_text(fields: IdentifierFields) -> String {
    let mut text = String::with_capacity(KEY_TEXT_LEN);
    text.push_str("cf:");
    ElementKey::Binary(fields.encode()).push_text(&mut text);
    text
}

/// `cf:` and the base64 of 32 bytes.
const KEY_TEXT_LEN: usize = 3 + 44;

/// `cf:boot_id`'s JSON: a number.
fn boot_id_json(host: &Host) -> String {
    prefixed_number("", u64::from(host.boot_id), "")
}

/// `cf:machine_id`'s JSON: `"cf:N"`, as camflowd writes it.
fn machine_id_json(host: &Host) -> String {
    prefixed_number("\"cf:", u64::from(host.machine_id), "\"")
}

/// Appends `,"name":value`.
pub fn attr(out: &mut String, name: &str, json: &str) {
    if !out.ends_with('{') {
        out.push(',');
    }
    out.push('"');
    out.push_str(name);
    out.push_str("\":");
    out.push_str(json);
}

/// An element key as a JSON string. Keys are `cf:` and base64, which JSON never escapes:
/// they are written between quotes as they are (the capture's busiest path).
fn push_key(out: &mut String, key: &str) {
    debug_assert_eq!(quote(key).len(), key.len() + 2, "{key}");
    out.push('"');
    out.push_str(key);
    out.push('"');
}

/// `"name":"key"`, for a relation's ends (see [`push_key`]).
fn attr_key(out: &mut String, name: &str, key: &str) {
    if !out.ends_with('{') {
        out.push(',');
    }
    out.push('"');
    out.push_str(name);
    out.push_str("\":");
    push_key(out, key);
}

/// Time stamps shared by the elements of one record.
#[derive(Clone, Debug)]
pub struct Stamp {
    /// `cf:date`.
    pub date: String,
    /// `cf:jiffies`.
    pub jiffies: u64,
}

/// A relation's two ends, as `cf:` keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ends {
    /// Where information flows from.
    pub from: String,
    /// Where it flows to.
    pub to: String,
    /// The section's attribute names for them (`prov:usedEntity`...).
    pub names: (&'static str, &'static str),
    /// They are written before `attrs[at]`, where camflowd writes them.
    pub at: usize,
}

/// One element as the builder made it: its key and attributes as (name, JSON text), in
/// camflowd's order. The W3C text is made from it only when a trace is written, and the
/// live view takes the same parts as a record without any JSON being parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element {
    /// W3C section name (`activity`, `entity`, `used`...).
    pub section: &'static str,
    /// `prov:type`.
    pub kind: &'static str,
    /// The `cf:` key.
    pub key: String,
    /// Attributes other than a relation's ends.
    pub attrs: Vec<(&'static str, String)>,
    /// A relation's ends; None for a vertex.
    pub ends: Option<Ends>,
}

impl Element {
    /// True for vertices, false for relations.
    pub fn is_node(&self) -> bool {
        self.ends.is_none()
    }

    /// Appends `"name":value` pairs.
    fn push_attrs(&self, out: &mut String, attrs: &[(&'static str, String)]) {
        for (name, json) in attrs {
            attr(out, name, json);
        }
    }

    /// The element as camflowd writes it inside its section: `"key":{...}`.
    pub fn text(&self) -> String {
        let mut s = String::with_capacity(self.text_len());
        self.write_text(&mut s);
        s
    }

    /// Appends [`Element::text`] to `s`: a capture writes every element straight into
    /// its document this way, with no string of its own.
    pub fn write_text(&self, s: &mut String) {
        push_key(s, &self.key);
        s.push_str(":{");
        match &self.ends {
            None => self.push_attrs(s, &self.attrs),
            Some(ends) => {
                let at = ends.at.min(self.attrs.len());
                self.push_attrs(s, &self.attrs[..at]);
                attr_key(s, ends.names.0, &ends.from);
                attr_key(s, ends.names.1, &ends.to);
                self.push_attrs(s, &self.attrs[at..]);
            }
        }
        s.push('}');
    }

    /// The length of [`Element::text`] (keys and ends need no escaping; other strings
    /// are already JSON), without making it: what the filters count as bytes.
    pub fn text_len(&self) -> usize {
        let pair = |name: &str, json_len: usize| name.len() + 3 + json_len;
        let mut n = self.key.len() + 2 + 2 + 1;
        n += self
            .attrs
            .iter()
            .map(|(k, v)| pair(k, v.len()))
            .sum::<usize>();
        if let Some(e) = &self.ends {
            n += pair(e.names.0, e.from.len() + 2) + pair(e.names.1, e.to.len() + 2);
        }
        let pairs = self.attrs.len() + if self.ends.is_some() { 2 } else { 0 };
        n + pairs.saturating_sub(1)
    }
}

/// Starts a node element: key, then CamFlow's common node attributes.
pub fn open_node(
    host: &Host,
    stamp: &Stamp,
    kind: &'static str,
    id: u64,
    version: u32,
) -> (NodeClass, Element) {
    let (class, bits) = node_type(kind);
    let attrs = vec![
        ("cf:id", quote_number(id)),
        ("prov:type", quote(kind)),
        ("cf:boot_id", boot_id_json(host)),
        ("cf:machine_id", machine_id_json(host)),
        ("cf:version", prefixed_number("", u64::from(version), "")),
        ("cf:date", quote(&stamp.date)),
        ("cf:taint", String::from("\"0\"")),
        ("cf:jiffies", quote_number(stamp.jiffies)),
        ("cf:epoch", String::from("0")),
    ];
    let el = Element {
        section: class.section(),
        kind,
        key: node_key(host, bits, id, version),
        attrs,
        ends: None,
    };
    (class, el)
}

/// A whole relation element.
#[allow(clippy::too_many_arguments)]
pub fn relation(
    host: &Host,
    stamp: &Stamp,
    section: Section,
    kind: &'static str,
    id: u64,
    from: &str,
    to: &str,
    task_id: u64,
) -> Element {
    let (name, category, from_key, to_key) = section.parts();
    let sub = RELATION_KINDS
        .iter()
        .position(|k| *k == kind)
        .map_or(1 << 47, |i| 1u64 << i);
    let key = key_text(IdentifierFields {
        kind: DM_RELATION | category << 48 | sub,
        id,
        boot_id: host.boot_id,
        machine_id: host.machine_id,
        version: 0,
    });
    let mut attrs = Vec::with_capacity(12);
    attrs.extend([
        ("cf:id", quote_number(id)),
        ("prov:type", quote(kind)),
        ("cf:boot_id", boot_id_json(host)),
        ("cf:machine_id", machine_id_json(host)),
        ("cf:date", quote(&stamp.date)),
        ("cf:taint", String::from("\"0\"")),
        ("cf:jiffies", quote_number(stamp.jiffies)),
        ("cf:epoch", String::from("0")),
        ("prov:label", quote(kind)),
        ("cf:allowed", String::from("\"true\"")),
    ]);
    let at = attrs.len();
    attrs.push(("cf:flags", String::from("\"0\"")));
    attrs.push(("cf:task_id", quote_number(task_id)));
    Element {
        section: name,
        kind,
        key,
        attrs,
        ends: Some(Ends {
            from: from.to_string(),
            to: to.to_string(),
            names: (from_key, to_key),
            at,
        }),
    }
}

/// djb2, as CamFlow hashes path names into a path node's `cf:id`.
pub fn djb2(bytes: &[u8]) -> u64 {
    bytes.iter().fold(5381u64, |h, &b| {
        h.wrapping_mul(33).wrapping_add(u64::from(b))
    })
}

/// A JSON string literal of `s`.
pub fn quote_str(s: &str) -> String {
    quote(s)
}
