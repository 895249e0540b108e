//! The shared vocabulary of the provenance graph: PROV classes, relation categories,
//! and the records a reader hands to the store. Readers (capture/) build these records;
//! the store (graph/store) turns them into vertices and edges. Nothing here does I/O.

use std::borrow::Cow;

/// The W3C PROV class of a vertex.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProvClass {
    /// Something that happens over time: a CamFlow `task` (one thread).
    Activity,
    /// A thing: file, socket, pipe, packet, path, process_memory, ...
    Entity,
    /// Something that bears responsibility: a machine, a user, a group.
    Agent,
}

impl ProvClass {
    /// The W3C section name that holds vertices of this class.
    pub fn section(self) -> &'static str {
        match self {
            ProvClass::Activity => "activity",
            ProvClass::Entity => "entity",
            ProvClass::Agent => "agent",
        }
    }

    /// A short human name, used in listings.
    pub fn name(self) -> &'static str {
        match self {
            ProvClass::Activity => "activity",
            ProvClass::Entity => "entity",
            ProvClass::Agent => "agent",
        }
    }
}

/// The PROV category of a relation. It fixes which W3C section holds it and the names
/// of its two endpoint keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// entity → activity (`read`, `open`, `memory_read`, ...).
    Used,
    /// activity → entity (`write`, `memory_write`, `clone_mem`, ...).
    WasGeneratedBy,
    /// activity → activity (`clone`, `version_activity`, ...).
    WasInformedBy,
    /// entity → entity (`named`, `version_entity`, `exec`, ...).
    WasDerivedFrom,
    /// agent → activity (`ran_on`).
    WasAssociatedWith,
    /// influencer → influencee (`load_module`, ...).
    WasInfluencedBy,
    /// agent → entity (never written by CamFlow, accepted on input).
    WasAttributedTo,
}

impl Category {
    /// Every category, in the order camflowd writes its W3C sections.
    pub const ALL: [Category; 7] = [
        Category::Used,
        Category::WasGeneratedBy,
        Category::WasInformedBy,
        Category::WasAssociatedWith,
        Category::WasInfluencedBy,
        Category::WasDerivedFrom,
        Category::WasAttributedTo,
    ];

    /// The W3C section name (`used`, `wasGeneratedBy`, ...).
    pub fn section(self) -> &'static str {
        match self {
            Category::Used => "used",
            Category::WasGeneratedBy => "wasGeneratedBy",
            Category::WasInformedBy => "wasInformedBy",
            Category::WasDerivedFrom => "wasDerivedFrom",
            Category::WasAssociatedWith => "wasAssociatedWith",
            Category::WasInfluencedBy => "wasInfluencedBy",
            Category::WasAttributedTo => "wasAttributedTo",
        }
    }

    /// The category for a W3C section name, if it is a relation section.
    pub fn from_section(name: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.section() == name)
    }

    /// The SPADE JSON `type` of an edge of this category (`Used`, `WasGeneratedBy`, ...).
    pub fn spade_name(self) -> &'static str {
        match self {
            Category::Used => "Used",
            Category::WasGeneratedBy => "WasGeneratedBy",
            Category::WasInformedBy => "WasInformedBy",
            Category::WasDerivedFrom => "WasDerivedFrom",
            Category::WasAssociatedWith => "WasAssociatedWith",
            Category::WasInfluencedBy => "WasInfluencedBy",
            Category::WasAttributedTo => "WasAttributedTo",
        }
    }

    /// The category for a SPADE edge `type`.
    pub fn from_spade(name: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.spade_name() == name)
    }

    /// The W3C keys naming the two ends, as `(sender, receiver)`: information flows
    /// from the sender to the receiver.
    pub fn endpoint_keys(self) -> (&'static str, &'static str) {
        match self {
            Category::Used => ("prov:entity", "prov:activity"),
            Category::WasGeneratedBy => ("prov:activity", "prov:entity"),
            Category::WasInformedBy => ("prov:informant", "prov:informed"),
            Category::WasDerivedFrom => ("prov:usedEntity", "prov:generatedEntity"),
            Category::WasAssociatedWith => ("prov:agent", "prov:activity"),
            Category::WasInfluencedBy => ("prov:influencer", "prov:influencee"),
            Category::WasAttributedTo => ("prov:agent", "prov:entity"),
        }
    }
}

/// One attribute as read: its name (W3C spelling, e.g. `cf:pid`) and its value as the
/// exact JSON text that carried it (`3666`, `"0x81ed"`, `{"type":"AF_UNIX",...}`).
/// Keeping the JSON text lets writers reproduce camflowd's bytes exactly.
pub type Attr<'a> = (Cow<'a, str>, Cow<'a, str>);

/// A vertex as a reader saw it, before it enters the store.
#[derive(Clone, Debug)]
pub struct NodeRecord<'a> {
    /// The element identifier without any `cf:` prefix (usually base64 of 32 bytes).
    pub key: Cow<'a, str>,
    /// The PROV class.
    pub class: ProvClass,
    /// The CamFlow type name without `cf:` (`task`, `file`, `machine`, ...).
    pub kind: Cow<'a, str>,
    /// Attributes in input order, W3C spelling.
    pub attrs: Vec<Attr<'a>>,
}

/// A relation as a reader saw it, before it enters the store.
#[derive(Clone, Debug)]
pub struct EdgeRecord<'a> {
    /// The relation identifier without `cf:`.
    pub key: Cow<'a, str>,
    /// The PROV category.
    pub category: Category,
    /// The CamFlow relation type (`read`, `memory_write`, ...).
    pub kind: Cow<'a, str>,
    /// The element information flows from.
    pub sender: Cow<'a, str>,
    /// The element information flows to.
    pub receiver: Cow<'a, str>,
    /// Type names of the ends when the format states them (SPADE `to_type`/`from_type`);
    /// they name an end the trace never defines.
    pub sender_kind: Option<Cow<'a, str>>,
    /// See `sender_kind`.
    pub receiver_kind: Option<Cow<'a, str>>,
    /// Attributes in input order, W3C spelling, without the endpoint keys.
    pub attrs: Vec<Attr<'a>>,
}

/// Where readers deliver what they read: the graph store, a converter, a counter.
pub trait RecordSink {
    /// Receives a vertex.
    fn node(&mut self, rec: NodeRecord<'_>);
    /// Receives a relation.
    fn edge(&mut self, rec: EdgeRecord<'_>);
}

/// The PROV class a CamFlow type name belongs to, when the name says it.
/// `None` for names that do not fix a class (the reader then uses its section).
pub fn class_of_kind(kind: &str) -> Option<ProvClass> {
    match kind {
        "task" | "disc_activity" => Some(ProvClass::Activity),
        "machine" | "disc_agent" | "user" | "group" => Some(ProvClass::Agent),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_round_trip() {
        for c in Category::ALL {
            assert_eq!(Category::from_section(c.section()), Some(c));
            assert_eq!(Category::from_spade(c.spade_name()), Some(c));
        }
        assert_eq!(Category::from_section("entity"), None);
    }

    #[test]
    fn machine_is_an_agent_whatever_section_holds_it() {
        assert_eq!(class_of_kind("machine"), Some(ProvClass::Agent));
        assert_eq!(class_of_kind("task"), Some(ProvClass::Activity));
        assert_eq!(class_of_kind("file"), None);
    }
}
