//! What a policy asks of a CamFlow kernel, keyed the way the kernel keys it: type names
//! per filter file (relation filters routed by category, as camconfd does), flag bits per
//! file and per process, one op per uid, gid, cgroup and security context (the kernel
//! keeps one entry per key and a new write replaces its op, provenance_filter.h
//! `declare_filter_add_or_update`), one op per IPv4 network and port (where a write ORs
//! into the op, provenance_net.h `prov_ipv4_add_or_update`), and the global switches.
//! Building it checks every name (relation categories, users, groups, ids that must fit)
//! before anything is written.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use crate::graph::model::Category;
use crate::policy::resolve::{group_id, user_id};
use crate::policy::vocabulary::relation_category;
use crate::policy::{Filter, Ipv4Rule, NetOp, NetWay, Policy, RelayConf, Rule, Setting, Subject};

use super::error::SecurityFsError;
use super::layout::{
    OPAQUE_BIT, PROPAGATE_BIT, PROV_SET_OPAQUE, PROV_SET_PROPAGATE, PROV_SET_RECORD,
    PROV_SET_TRACKED, TRACKED_BIT,
};

/// A type filter file and, for relation filters, the class and category bits
/// (`DM_RELATION | RL_*`, provenance_types.h) of the types it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct FilterFile {
    pub name: &'static str,
    pub category: Option<u64>,
}

const DERIVED: u64 = 0x8080_0000_0000_0000;
const GENERATED: u64 = 0x8040_0000_0000_0000;
const USED: u64 = 0x8020_0000_0000_0000;
const INFORMED: u64 = 0x8010_0000_0000_0000;

const fn file(name: &'static str, category: Option<u64>) -> FilterFile {
    FilterFile { name, category }
}

/// The type filter files in camconfd's apply order: node filters, relation filters,
/// then their propagate twins.
pub(super) const FILTER_FILES: [FilterFile; 10] = [
    file("node_filter", None),
    file("derived_filter", Some(DERIVED)),
    file("generated_filter", Some(GENERATED)),
    file("used_filter", Some(USED)),
    file("informed_filter", Some(INFORMED)),
    file("propagate_node_filter", None),
    file("propagate_derived_filter", Some(DERIVED)),
    file("propagate_generated_filter", Some(GENERATED)),
    file("propagate_used_filter", Some(USED)),
    file("propagate_informed_filter", Some(INFORMED)),
];

/// The index in [`FILTER_FILES`] of a relation filter's file; an error for a relation
/// CamFlow does not know or has no filter file for (influenced, associated).
fn relation_file(filter: &Filter, name: &str, propagate: bool) -> Result<usize, SecurityFsError> {
    let base = match relation_category(name) {
        Some(Category::WasDerivedFrom) => 1,
        Some(Category::WasGeneratedBy) => 2,
        Some(Category::Used) => 3,
        Some(Category::WasInformedBy) => 4,
        Some(other) => {
            return Err(SecurityFsError::filter(
                filter,
                format!(
                    "'{name}' is a {other:?} relation, and CamFlow has filter files only for \
                     used, wasGeneratedBy, wasDerivedFrom and wasInformedBy relations"
                ),
            ));
        }
        None => {
            return Err(SecurityFsError::filter(
                filter,
                format!("'{name}' is not a CamFlow relation type"),
            ));
        }
    };
    Ok(if propagate { base + 5 } else { base })
}

/// A list entry: its op and how the policy names it (for reports).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Entry {
    pub op: u8,
    pub label: String,
}

/// The key of an IPv4 rule as the kernel matches it: direction, masked network, mask,
/// port.
pub(super) type NetKey = (NetWay, Ipv4Addr, u32, u16);

/// The desired kernel state of a policy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct KernelState {
    /// Type names per filter file, indexed as [`FILTER_FILES`], with the policy filter
    /// each came from.
    pub filters: [BTreeMap<String, Filter>; 10],
    /// `internal_flag` bits per file path.
    pub files: BTreeMap<String, u32>,
    /// `internal_flag` bits per pid.
    pub processes: BTreeMap<u32, u32>,
    /// By uid.
    pub users: BTreeMap<u32, Entry>,
    /// By gid.
    pub groups: BTreeMap<u32, Entry>,
    /// By security context.
    pub secctx: BTreeMap<String, Entry>,
    /// By cgroup namespace id.
    pub cgroups: BTreeMap<u32, Entry>,
    /// IPv4 rules.
    pub ipv4: BTreeMap<NetKey, Entry>,
    /// `[relay]`.
    pub relay: Option<RelayConf>,
    /// `machine_id`.
    pub machine_id: Option<u32>,
    /// The switch files in camconfd's order, with the value asked for (None: left alone).
    pub switches: [(&'static str, Option<bool>); 6],
}

/// The `internal_flag` bits a file or process rule sets.
fn flags_of(setting: Setting) -> u32 {
    match setting {
        Setting::Track => TRACKED_BIT,
        Setting::Propagate => TRACKED_BIT | PROPAGATE_BIT,
        Setting::Opaque => OPAQUE_BIT,
    }
}

/// The op a uid / gid / cgroup / secctx rule writes; libprovenance writes propagate as
/// TRACKED|PROPAGATE (`provenance_user_propagate`...).
fn op_of(setting: Setting) -> u8 {
    match setting {
        Setting::Track => PROV_SET_TRACKED,
        Setting::Propagate => PROV_SET_TRACKED | PROV_SET_PROPAGATE,
        Setting::Opaque => PROV_SET_OPAQUE,
    }
}

/// The op an IPv4 rule writes (libprovenance `provenance_*_ipv4_*`).
fn net_op(op: NetOp) -> u8 {
    match op {
        NetOp::Track => PROV_SET_TRACKED,
        NetOp::Propagate => PROV_SET_TRACKED | PROV_SET_PROPAGATE,
        NetOp::Record => PROV_SET_TRACKED | PROV_SET_RECORD,
    }
}

/// Adds a rule's op to the entry of its key (rules on one key are merged: the kernel
/// keeps one op per key).
fn merge<K: Ord>(map: &mut BTreeMap<K, Entry>, key: K, op: u8, label: String) {
    match map.entry(key) {
        std::collections::btree_map::Entry::Occupied(mut e) => {
            let e = e.get_mut();
            e.op |= op;
            e.label = format!("{}, {label}", e.label);
        }
        std::collections::btree_map::Entry::Vacant(e) => {
            e.insert(Entry { op, label });
        }
    }
}

impl KernelState {
    /// The state a policy asks for, or the first filter that cannot be applied.
    pub(super) fn of(policy: &Policy) -> Result<KernelState, SecurityFsError> {
        let mut state = KernelState {
            relay: policy.relay,
            machine_id: policy.machine_id,
            switches: [
                ("enable", policy.enabled),
                ("all", policy.all),
                ("should_version", policy.compression.version),
                ("compress_node", policy.compression.node),
                ("compress_edge", policy.compression.edge),
                ("duplicate", policy.compression.duplicate),
            ],
            ..KernelState::default()
        };
        for name in &policy.node_filter {
            state.filters[0].insert(name.clone(), Filter::Node(name.clone()));
        }
        for name in &policy.propagate_node_filter {
            state.filters[5].insert(name.clone(), Filter::PropagateNode(name.clone()));
        }
        for (names, propagate) in [
            (&policy.relation_filter, false),
            (&policy.propagate_relation_filter, true),
        ] {
            for name in names {
                let filter = if propagate {
                    Filter::PropagateRelation(name.clone())
                } else {
                    Filter::Relation(name.clone())
                };
                let at = relation_file(&filter, name, propagate)?;
                state.filters[at].insert(name.clone(), filter);
            }
        }
        for rule in &policy.rules {
            state.add_rule(rule)?;
        }
        for rule in &policy.ipv4 {
            state.add_ipv4(rule);
        }
        Ok(state)
    }

    fn add_rule(&mut self, rule: &Rule) -> Result<(), SecurityFsError> {
        let filter = || Filter::Rule(rule.clone());
        let op = op_of(rule.setting);
        let label = format!("{} {}", rule.setting.key(), rule.subject.value());
        match &rule.subject {
            Subject::Path(path) => {
                *self.files.entry(path.clone()).or_default() |= flags_of(rule.setting);
            }
            Subject::Pid(pid) => {
                *self.processes.entry(*pid).or_default() |= flags_of(rule.setting);
            }
            Subject::User(name) => {
                let uid = user_id(name).ok_or_else(|| {
                    SecurityFsError::filter(filter(), format!("no user named '{name}'"))
                })?;
                merge(&mut self.users, uid, op, format!("{label} (uid {uid})"));
            }
            Subject::Group(name) => {
                let gid = group_id(name).ok_or_else(|| {
                    SecurityFsError::filter(filter(), format!("no group named '{name}'"))
                })?;
                merge(&mut self.groups, gid, op, format!("{label} (gid {gid})"));
            }
            Subject::Cgroup(id) => {
                let id = u32::try_from(*id).map_err(|_| {
                    SecurityFsError::filter(
                        filter(),
                        "CamFlow's ns filter holds 32-bit cgroup namespace ids",
                    )
                })?;
                merge(&mut self.cgroups, id, op, label);
            }
            Subject::SecCtx(ctx) => {
                if ctx.len() >= super::layout::SECCTX_LEN || ctx.contains('\0') {
                    return Err(SecurityFsError::filter(
                        filter(),
                        "a security context must be shorter than 4096 bytes, without NUL",
                    ));
                }
                merge(&mut self.secctx, ctx.clone(), op, label);
            }
        }
        Ok(())
    }

    fn add_ipv4(&mut self, rule: &Ipv4Rule) {
        let mask = rule.mask();
        let net = Ipv4Addr::from(u32::from(rule.addr) & mask);
        let label = format!("{} {}", rule.op.key(), rule.target());
        merge(
            &mut self.ipv4,
            (rule.way, net, mask, rule.port),
            net_op(rule.op),
            label,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(subject: Subject, setting: Setting) -> Rule {
        Rule { subject, setting }
    }

    #[test]
    fn relation_filters_are_routed_by_category() {
        let mut p = Policy::default();
        for name in ["read", "write", "named", "clone"] {
            p.relation_filter.insert(name.into());
        }
        p.propagate_relation_filter.insert("open".into());
        p.node_filter.insert("envp".into());
        let s = KernelState::of(&p).unwrap();
        let names = |i: usize| s.filters[i].keys().cloned().collect::<Vec<_>>();
        assert_eq!(FILTER_FILES[3].name, "used_filter");
        assert_eq!(names(3), ["read"]);
        assert_eq!(names(2), ["write"]);
        assert_eq!(names(1), ["named"]);
        assert_eq!(names(4), ["clone"]);
        assert_eq!(names(8), ["open"]);
        assert_eq!(FILTER_FILES[8].name, "propagate_used_filter");
        assert_eq!(names(0), ["envp"]);
    }

    #[test]
    fn relations_without_a_filter_file_are_errors() {
        for (name, says) in [
            ("ran_on", "'ran_on' is a WasAssociatedWith relation"),
            ("load_module", "'load_module' is a WasInfluencedBy relation"),
            ("no_such", "'no_such' is not a CamFlow relation type"),
        ] {
            let mut p = Policy::default();
            p.relation_filter.insert(name.into());
            let err = KernelState::of(&p).unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("relation_filter={name}: {says}")),
                "{err}"
            );
        }
    }

    #[test]
    fn rules_merge_per_kernel_key() {
        let mut p = Policy::default();
        p.rules
            .push(rule(Subject::User("root".into()), Setting::Track));
        p.rules
            .push(rule(Subject::User("0".into()), Setting::Opaque));
        p.rules
            .push(rule(Subject::Path("/a".into()), Setting::Propagate));
        p.rules.push(rule(Subject::Pid(7), Setting::Opaque));
        p.rules.push(rule(Subject::Cgroup(9), Setting::Propagate));
        let s = KernelState::of(&p).unwrap();
        assert_eq!(s.users[&0].op, PROV_SET_TRACKED | PROV_SET_OPAQUE);
        assert_eq!(s.users[&0].label, "track root (uid 0), opaque 0 (uid 0)");
        assert_eq!(s.files["/a"], TRACKED_BIT | PROPAGATE_BIT);
        assert_eq!(s.processes[&7], OPAQUE_BIT);
        assert_eq!(s.cgroups[&9].op, 0x05);
    }

    #[test]
    fn bad_subjects_are_named() {
        let cases = [
            (
                rule(
                    Subject::User("no-such-user-provscope".into()),
                    Setting::Track,
                ),
                "user track=no-such-user-provscope: no user named 'no-such-user-provscope'",
            ),
            (
                rule(
                    Subject::Group("no-such-group-provscope".into()),
                    Setting::Opaque,
                ),
                "group opaque=no-such-group-provscope: no group named",
            ),
            (
                rule(Subject::Cgroup(1 << 40), Setting::Track),
                "cgroup track=1099511627776: CamFlow's ns filter holds 32-bit",
            ),
            (
                rule(Subject::SecCtx("x".repeat(4096)), Setting::Track),
                "secctx track=",
            ),
        ];
        for (r, says) in cases {
            let mut p = Policy::default();
            p.rules.push(r);
            let err = KernelState::of(&p).unwrap_err().to_string();
            assert!(err.starts_with(says), "{err}");
        }
    }

    #[test]
    fn ipv4_rules_key_on_the_masked_network() {
        let mut p = Policy::default();
        for (addr, op) in [
            ([10, 1, 2, 3], NetOp::Track),
            ([10, 0, 0, 0], NetOp::Record),
        ] {
            p.ipv4.push(Ipv4Rule {
                way: NetWay::Egress,
                addr: addr.into(),
                prefix: 8,
                port: 80,
                op,
            });
        }
        let s = KernelState::of(&p).unwrap();
        assert_eq!(s.ipv4.len(), 1);
        let key = (NetWay::Egress, Ipv4Addr::new(10, 0, 0, 0), 0xff00_0000, 80);
        assert_eq!(s.ipv4[&key].op, PROV_SET_TRACKED | PROV_SET_RECORD);
    }
}
