//! CamFlow objects as the builder tracks them: identity, current version, and the two
//! pieces of state CamFlow's rules need: whether the current version already has an
//! outgoing edge (then the next incoming edge makes a new version: node compression) and
//! the last incoming edge (an identical repeat is dropped: edge compression).

/// Index of an object in the builder's store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ObjRef(pub u32);

/// One object.
#[derive(Clone, Debug)]
pub struct Obj {
    /// CamFlow type name.
    pub kind: &'static str,
    /// `cf:id`.
    pub id: u64,
    /// Current version.
    pub version: u32,
    /// The current version has an outgoing edge.
    pub has_outgoing: bool,
    /// Last incoming edge: sender (object, version) and relation type.
    pub last_in: Option<(ObjRef, u32, &'static str)>,
    /// Type-specific attributes as (name, JSON text), written with every version (for a
    /// packet: all of its element's attributes).
    pub attrs: Vec<(&'static str, String)>,
    /// `prov:label`, or None for CamFlow's "[kind] version".
    pub label: Option<String>,
    /// Objects that never version (paths, argv, addresses, the machine, packets).
    pub immutable: bool,
    /// An identifier outside the node layout (a packet's), used instead of the one made
    /// of kind, id and version.
    pub key: Option<Box<str>>,
}

impl Obj {
    /// The label CamFlow writes for `version` of this object.
    pub fn label_text(&self, version: u32) -> String {
        match &self.label {
            Some(l) => l.clone(),
            None => {
                let word = if self.kind == "process_memory" {
                    "process"
                } else {
                    self.kind
                };
                format!("[{word}] {version}")
            }
        }
    }

    /// Sets an attribute (replacing an earlier value).
    pub fn set_attr(&mut self, name: &'static str, json: String) {
        match self.attrs.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = json,
            None => self.attrs.push((name, json)),
        }
    }
}
