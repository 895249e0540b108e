//! CamFlow's versioning and compression switches as the builder applies them: a policy's
//! `[compression]` `version`, `node`, `edge` and `duplicate` (CamFlow's `should_version`,
//! `compress_node`, `compress_edge` and `duplicate` flags), with CamFlow's defaults; how a
//! policy changes them; and the builder's two steps they rule: whether a flow makes a new
//! version of its receiver (and making it), and writing a relation's ends again. Edge
//! compression itself is the first check of the builder's `relate`.

use super::Builder;
use super::element::{NodeClass, Section, node_type};
use super::objects::ObjRef;
use crate::policy::Compression;

/// The four switches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Versioning {
    /// `version`: an incoming flow may make a new version of its receiver. Off, no
    /// `version_entity` / `version_activity` is ever made (an exit still ends a task or
    /// process with its terminate relation to a last version, as CamFlow's
    /// `record_terminate` does outside its versioning).
    pub version: bool,
    /// `node`: node compression, a new version only when the receiver's current version
    /// already has an outgoing edge (which keeps the graph acyclic). Off, every incoming
    /// flow that is recorded makes a new version first, except `named` (CamFlow's
    /// `filter_update_node`: naming does not change an object).
    pub node: bool,
    /// `edge`: edge compression, an exact repeat of the receiver's last incoming edge
    /// (same sender version, same type) is dropped.
    pub edge: bool,
    /// `duplicate`: both end vertices are written again with every relation (CamFlow's
    /// `__write_node`), for readers that look at each relation alone (SPADE's reporter).
    pub duplicate: bool,
}

impl Default for Versioning {
    /// CamFlow's defaults (camflow.ini as shipped, and the kernel's at boot).
    fn default() -> Self {
        Versioning {
            version: true,
            node: true,
            edge: true,
            duplicate: false,
        }
    }
}

impl Versioning {
    /// Takes the switches a policy sets and changed from `before` (what was applied) to
    /// `after`. A switch the policy leaves unset (None) leaves the setting as it is, like
    /// every switch of a policy.
    pub fn follow(&mut self, before: &Compression, after: &Compression) {
        let take = |slot: &mut bool, was: Option<bool>, now: Option<bool>| {
            if let Some(on) = now
                && was != now
            {
                *slot = on;
            }
        };
        take(&mut self.version, before.version, after.version);
        take(&mut self.node, before.node, after.node);
        take(&mut self.edge, before.edge, after.edge);
        take(&mut self.duplicate, before.duplicate, after.duplicate);
    }
}

impl Builder {
    /// Whether a recorded flow of type `kind` from `from` makes a new version of `to`
    /// first (CamFlow's `__update_version`).
    pub(super) fn makes_version(&self, kind: &str, from: ObjRef, to: ObjRef) -> bool {
        let v = self.versioning;
        let o = self.obj(to);
        // An object that never changes; or a flow from an object to itself, whose new
        // version would move the relation's own sending end.
        if !v.version || o.immutable || from == to {
            return false;
        }
        if v.node {
            o.has_outgoing
        } else {
            kind != "named"
        }
    }

    /// A new version of `r`, chained to the old one.
    pub(super) fn new_version(&mut self, r: ObjRef) {
        let o = self.obj_mut(r);
        let old = o.version;
        o.version += 1;
        o.has_outgoing = false;
        o.last_in = None;
        let (new, activity) = (o.version, node_type(o.kind).0 == NodeClass::Activity);
        self.emit_node(r);
        let (section, kind) = if activity {
            (Section::WasInformedBy, "version_activity")
        } else {
            (Section::WasDerivedFrom, "version_entity")
        };
        self.emit_relation(section, kind, (r, old), (r, new));
    }

    /// With `duplicate`: writes version `version` of a relation's end again, unless it
    /// was written since the last relation (a vertex just made, or the other end of a
    /// loop): then it is already beside this relation. An object already forgotten has
    /// nothing to write.
    pub(super) fn write_again(&mut self, end: (ObjRef, u32)) {
        if self.objs.contains_key(&end.0.0) && !self.beside.contains(&end) {
            self.write_vertex(end.0, end.1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_switch_the_policy_sets_and_changes_applies() {
        let mut v = Versioning::default();
        let none = Compression::default();
        let off = Compression {
            edge: Some(false),
            duplicate: Some(true),
            ..Compression::default()
        };
        v.follow(&none, &off);
        assert_eq!(
            (v.edge, v.duplicate, v.node, v.version),
            (false, true, true, true)
        );
        // Set elsewhere meanwhile: a policy that does not change the switch keeps it.
        v.edge = true;
        v.follow(&off, &off);
        assert!(v.edge);
        // A policy without the section leaves everything as it is.
        v.follow(&off, &none);
        assert_eq!((v.edge, v.duplicate), (true, true));
        let on = Compression {
            version: Some(false),
            node: Some(false),
            ..Compression::default()
        };
        v.follow(&none, &on);
        assert_eq!((v.version, v.node), (false, false));
    }
}
