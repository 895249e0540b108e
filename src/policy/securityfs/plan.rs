//! The writes that take a kernel from one policy's state to another's, in camconfd's
//! order (reference §5.4: file rules, type filters, user, group, IPv4 and secctx lists,
//! then the switches; provscope's process and cgroup rules go after the lists). Applying
//! a policy is the change from the empty state, so both share one diff. Pure: the type
//! ids and the files' current xattrs are read when the plan runs.

use std::collections::{BTreeMap, BTreeSet};

use crate::policy::{Filter, NetWay};

use super::layout::{
    OPAQUE_BIT, PROPAGATE_BIT, PROV_ELT_LEN, PROV_SET_DELETE, TRACKED_BIT, nsinfo_cgroup,
    op_for_flags, prov_ipv4_filter, prov_process_config, secinfo, switch_text, userinfo,
    with_elt_flags,
};
use super::state::{Entry, FILTER_FILES, FilterFile, KernelState, NetKey};

/// One write of a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Step {
    /// These bytes, written once to a control file.
    Write {
        file: &'static str,
        bytes: Vec<u8>,
        what: String,
    },
    /// A `prov_filter` for a type named in the policy; its id comes from the kernel.
    TypeFilter {
        file: FilterFile,
        filter: Filter,
        name: String,
        add: bool,
    },
    /// Flag bits to set and clear in a file's `security.provenance`.
    Xattr { path: String, set: u32, clear: u32 },
}

/// Flag bits in words: `tracked+propagate`, `-opaque`.
pub(super) fn flag_change(set: u32, clear: u32) -> String {
    let names = [
        (TRACKED_BIT, "tracked"),
        (OPAQUE_BIT, "opaque"),
        (PROPAGATE_BIT, "propagate"),
    ];
    let mut out = Vec::new();
    for (bits, sign) in [(set, "+"), (clear, "-")] {
        for (bit, name) in names {
            if bits & bit != 0 {
                out.push(format!("{sign}{name}"));
            }
        }
    }
    out.join(" ")
}

/// Writes for one keyed list. `replaces`: a write replaces the key's op (uid, gid, ns,
/// secctx); otherwise it ORs into it (IPv4), so dropping bits needs a DELETE first.
fn keyed<K: Ord>(
    before: &BTreeMap<K, Entry>,
    after: &BTreeMap<K, Entry>,
    replaces: bool,
    file: &'static str,
    encode: impl Fn(&K, u8) -> Vec<u8>,
    out: &mut Vec<Step>,
) {
    let keys: BTreeSet<&K> = before.keys().chain(after.keys()).collect();
    for key in keys {
        let old = before.get(key);
        let new = after.get(key);
        let (old_op, new_op) = (old.map_or(0, |e| e.op), new.map_or(0, |e| e.op));
        if old_op == new_op {
            continue;
        }
        let dropped = old_op & !new_op != 0;
        if let Some(old) = old.filter(|_| new_op == 0 || (dropped && !replaces)) {
            out.push(Step::Write {
                file,
                bytes: encode(key, PROV_SET_DELETE),
                what: format!("delete {}", old.label),
            });
        }
        if let Some(new) = new {
            out.push(Step::Write {
                file,
                bytes: encode(key, new_op),
                what: new.label.clone(),
            });
        }
    }
}

/// Writes for per-object flag bits (files, processes).
fn flagged<K: Ord + Clone>(
    before: &BTreeMap<K, u32>,
    after: &BTreeMap<K, u32>,
    mut step: impl FnMut(&K, u32, u32, u32) -> Step,
    out: &mut Vec<Step>,
) {
    let keys: BTreeSet<&K> = before.keys().chain(after.keys()).collect();
    for key in keys {
        let old = before.get(key).copied().unwrap_or(0);
        let new = after.get(key).copied().unwrap_or(0);
        if old != new {
            out.push(step(key, new & !old, old & !new, new));
        }
    }
}

/// The writes from `before`'s state to `after`'s.
pub(super) fn plan(before: &KernelState, after: &KernelState) -> Vec<Step> {
    let mut out = Vec::new();
    flagged(
        &before.files,
        &after.files,
        |path, set, clear, _| Step::Xattr {
            path: path.clone(),
            set,
            clear,
        },
        &mut out,
    );
    for (i, file) in FILTER_FILES.iter().enumerate() {
        let (old, new) = (&before.filters[i], &after.filters[i]);
        let removed = old.iter().filter(|(n, _)| !new.contains_key(*n));
        let added = new.iter().filter(|(n, _)| !old.contains_key(*n));
        for ((name, filter), add) in removed.map(|x| (x, false)).chain(added.map(|x| (x, true))) {
            out.push(Step::TypeFilter {
                file: *file,
                filter: filter.clone(),
                name: name.clone(),
                add,
            });
        }
    }
    let user = |id: &u32, op| userinfo(*id, op).to_vec();
    keyed(&before.users, &after.users, true, "uid", user, &mut out);
    keyed(&before.groups, &after.groups, true, "gid", user, &mut out);
    for (way, file) in [
        (NetWay::Ingress, "ipv4_ingress"),
        (NetWay::Egress, "ipv4_egress"),
    ] {
        let only = |m: &BTreeMap<NetKey, Entry>| -> BTreeMap<NetKey, Entry> {
            m.iter()
                .filter(|((w, ..), _)| *w == way)
                .map(|(k, e)| (*k, e.clone()))
                .collect()
        };
        let encode =
            |(_, net, mask, port): &NetKey, op| prov_ipv4_filter(*net, *mask, *port, op).to_vec();
        keyed(
            &only(&before.ipv4),
            &only(&after.ipv4),
            false,
            file,
            encode,
            &mut out,
        );
    }
    let secctx = |ctx: &String, op| secinfo(ctx, op).expect("checked in KernelState").to_vec();
    keyed(
        &before.secctx,
        &after.secctx,
        true,
        "secctx_filter",
        secctx,
        &mut out,
    );
    flagged(
        &before.processes,
        &after.processes,
        |pid, set, clear, now| Step::Write {
            file: "process",
            bytes: prov_process_config(
                &with_elt_flags(&[0; PROV_ELT_LEN], now, 0),
                op_for_flags(set | clear),
                *pid,
            )
            .to_vec(),
            what: format!("pid {pid}: {}", flag_change(set, clear)),
        },
        &mut out,
    );
    let cgroup = |id: &u32, op| nsinfo_cgroup(*id, op).to_vec();
    keyed(
        &before.cgroups,
        &after.cgroups,
        true,
        "ns",
        cgroup,
        &mut out,
    );
    for ((_, old), (file, new)) in before.switches.iter().zip(&after.switches) {
        if let Some(on) = new.filter(|on| *old != Some(*on)) {
            out.push(Step::Write {
                file,
                bytes: switch_text(on).to_vec(),
                what: format!("{file} = {}", u8::from(on)),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Ipv4Rule, NetOp, Policy, Rule, Setting, Subject};

    fn state(p: &Policy) -> KernelState {
        KernelState::of(p).unwrap()
    }

    fn writes(steps: &[Step]) -> Vec<(&str, String)> {
        steps
            .iter()
            .map(|s| match s {
                Step::Write { file, what, .. } => (*file, what.clone()),
                Step::TypeFilter {
                    file, name, add, ..
                } => (
                    file.name,
                    format!("{} {name}", if *add { "add" } else { "remove" }),
                ),
                Step::Xattr { path, set, clear } => {
                    ("xattr", format!("{path} {}", flag_change(*set, *clear)))
                }
            })
            .collect()
    }

    /// The bytes of a control-file write.
    fn bytes(step: &Step) -> &[u8] {
        match step {
            Step::Write { bytes, .. } => bytes,
            other => panic!("not a control write: {other:?}"),
        }
    }

    fn user(name: &str, setting: Setting) -> Rule {
        Rule {
            subject: Subject::User(name.into()),
            setting,
        }
    }

    #[test]
    fn a_replaced_op_is_one_write_and_a_dropped_key_a_delete() {
        let mut a = Policy::default();
        a.rules.push(user("root", Setting::Track));
        let mut b = Policy::default();
        b.rules.push(user("root", Setting::Propagate));
        let steps = plan(&state(&a), &state(&b));
        assert_eq!(
            writes(&steps),
            [("uid", "propagate root (uid 0)".to_string())]
        );
        assert_eq!(bytes(&steps[0])[..5], [0, 0, 0, 0, 0x05]);
        let steps = plan(&state(&b), &state(&Policy::default()));
        assert_eq!(
            writes(&steps),
            [("uid", "delete propagate root (uid 0)".to_string())]
        );
        assert_eq!(bytes(&steps[0])[..5], [0, 0, 0, 0, 0x10]);
    }

    #[test]
    fn ipv4_ops_or_so_dropping_one_deletes_first() {
        let rule = |op| Ipv4Rule {
            way: NetWay::Ingress,
            addr: [0, 0, 0, 0].into(),
            prefix: 0,
            port: 22,
            op,
        };
        let mut a = Policy::default();
        a.ipv4.push(rule(NetOp::Propagate));
        let mut b = Policy::default();
        b.ipv4.push(rule(NetOp::Record));
        let grow = plan(
            &state(&a),
            &state(&{
                let mut both = a.clone();
                both.ipv4.push(rule(NetOp::Record));
                both
            }),
        );
        assert_eq!(
            writes(&grow),
            [(
                "ipv4_ingress",
                "propagate 0.0.0.0/0:22, record 0.0.0.0/0:22".to_string()
            )]
        );
        assert_eq!(bytes(&grow[0])[8..11], [0x00, 0x16, 0x25]);
        let swap = plan(&state(&a), &state(&b));
        assert_eq!(
            writes(&swap),
            [
                ("ipv4_ingress", "delete propagate 0.0.0.0/0:22".to_string()),
                ("ipv4_ingress", "record 0.0.0.0/0:22".to_string()),
            ]
        );
    }

    #[test]
    fn processes_touch_only_the_changed_bits() {
        let mut a = Policy::default();
        let pid = |setting| Rule {
            subject: Subject::Pid(7),
            setting,
        };
        a.rules.push(pid(Setting::Propagate));
        let mut b = Policy::default();
        b.rules.push(pid(Setting::Track));
        let steps = plan(&state(&a), &state(&b));
        assert_eq!(
            writes(&steps),
            [("process", "pid 7: -propagate".to_string())]
        );
        assert_eq!(bytes(&steps[0])[40], 0x01); // still tracked
        assert_eq!(bytes(&steps[0])[256], 0x04); // op: PROPAGATE only
        assert_eq!(bytes(&steps[0])[260..264], [7, 0, 0, 0]);
    }

    #[test]
    fn filters_switches_and_files_in_camconfd_order() {
        let mut a = Policy::default();
        a.relation_filter.insert("read".into());
        a.enabled = Some(true);
        a.all = Some(false);
        let mut b = a.clone();
        b.relation_filter.remove("read");
        b.node_filter.insert("envp".into());
        b.all = Some(true);
        b.compression.duplicate = None;
        b.rules.push(Rule {
            subject: Subject::Path("/bin/sh".into()),
            setting: Setting::Opaque,
        });
        assert_eq!(
            writes(&plan(&state(&a), &state(&b))),
            [
                ("xattr", "/bin/sh +opaque".to_string()),
                ("node_filter", "add envp".to_string()),
                ("used_filter", "remove read".to_string()),
                ("all", "all = 1".to_string()),
            ]
        );
        assert!(plan(&state(&b), &state(&b)).is_empty());
    }
}
