//! Applying a policy to the eBPF capture: opaque, tracked and propagating processes,
//! files, users, groups and cgroups, IPv4 rules and the propagate filters go into
//! the kernel side's maps (decided before any record is made, tracking spreading there
//! as CamFlow's propagate does); `all=false` is the kernel's track-only mode;
//! `enabled=false` pauses; node and relation type filters go to the builder (exact
//! CamFlow semantics: a filtered `read` still leaves the `memory_write` of the same
//! syscall), and so do the `[compression]` switches (with the kernel's dropping of exact
//! repeats following `edge`). A change applies only the difference between two
//! policies. What this capture cannot do (security contexts) is returned as notes, never
//! silently ignored.

use crate::capture::builder::Builder;
use crate::capture::builder::type_filter::TypeFilter;
use crate::capture::ebpf::flow::{propagate_class_mask, propagate_kind_bit};
use crate::capture::ebpf::probe::{
    IPV4_RULES_MAX, InodeKey, Ipv4Filter, OPAQUE, PROPAGATE, Probe, ProbeError, RECORD, TRACKED,
    kernel_dev,
};
use crate::capture::ebpf::syscalls::Class;
use crate::policy::control::{FilterReport, PolicyControl};
use crate::policy::resolve::{group_id, inode_of, user_id};
use crate::policy::{Compression, Ipv4Rule, NetOp, NetWay, Policy, Setting, Subject};

/// Applies `after` where `before` was applied (use `Policy::default()` for a fresh
/// capture). Returns what could not be applied.
pub fn apply(
    probe: &mut Probe,
    builder: &mut Builder,
    before: &Policy,
    after: &Policy,
) -> Result<Vec<String>, ProbeError> {
    let mut notes = Vec::new();
    builder
        .filter
        .set(&after.node_filter, &after.relation_filter);
    compression_to(probe, builder, &before.compression, &after.compression)?;
    // A packet record makes only a packet vertex and its send or receive relation: when
    // the policy drops all of those, the kernel side need not send packets at all.
    if packets_dropped(before) != packets_dropped(after) {
        probe.set_class(Class::Packet, !packets_dropped(after))?;
    }
    // A subject's flags come from all its rules together (`track` and `propagate` of
    // one file may both be listed, and lifting one must keep the other).
    let mut changed: Vec<&Subject> = Vec::new();
    for rule in before.rules.iter().chain(&after.rules) {
        let moved = before.rules.contains(rule) != after.rules.contains(rule);
        if moved && !changed.contains(&&rule.subject) {
            changed.push(&rule.subject);
        }
    }
    for subject in changed {
        let settings: Vec<Setting> = after
            .rules
            .iter()
            .filter(|r| &r.subject == subject)
            .map(|r| r.setting)
            .collect();
        subject_to_probe(probe, subject, &settings, &mut notes)?;
    }
    if before.track_only() != after.track_only() {
        probe.set_track_only(after.track_only())?;
    }
    if before.enabled != after.enabled {
        probe.set_paused(after.enabled == Some(false))?;
    }
    if before.ipv4 != after.ipv4 {
        ipv4_to_probe(probe, &after.ipv4, &mut notes)?;
    }
    if before.propagate_node_filter != after.propagate_node_filter
        || before.propagate_relation_filter != after.propagate_relation_filter
    {
        propagate_filters_to_probe(probe, after, &mut notes)?;
    }
    Ok(notes)
}

/// Puts a subject's flags, from all of its rules' `settings` (none: lifted), into the
/// kernel side's maps.
fn subject_to_probe(
    probe: &mut Probe,
    subject: &Subject,
    settings: &[Setting],
    notes: &mut Vec<String>,
) -> Result<(), ProbeError> {
    let has = |s: Setting| settings.contains(&s);
    let opaque = has(Setting::Opaque);
    let tracking = if has(Setting::Propagate) {
        TRACKED | PROPAGATE
    } else if has(Setting::Track) {
        TRACKED
    } else {
        0
    };
    let all = tracking | if opaque { OPAQUE } else { 0 };
    match subject {
        Subject::Path(p) => match inode_of(p) {
            Ok((dev, ino)) => probe.set_inode(InodeKey::new(kernel_dev(dev), ino), all)?,
            Err(e) if !settings.is_empty() => {
                notes.push(format!("file {p}: {e}; rule not applied"));
            }
            Err(_) => {}
        },
        // The capture itself stays opaque whatever a policy says.
        Subject::Pid(pid) if *pid == std::process::id() => {}
        Subject::Pid(pid) => probe.set_process(*pid, all)?,
        Subject::User(name) | Subject::Group(name) => {
            let group = matches!(subject, Subject::Group(_));
            let id = if group { group_id(name) } else { user_id(name) };
            match id {
                Some(id) if group => {
                    probe.set_gid_filtered(id, opaque)?;
                    probe.set_gid_tracking(id, tracking)?;
                }
                Some(id) => {
                    probe.set_uid_filtered(id, opaque)?;
                    probe.set_uid_tracking(id, tracking)?;
                }
                None if !settings.is_empty() => {
                    let kind = subject.section();
                    notes.push(format!("{kind} {name}: no such {kind}; rule not applied"));
                }
                None => {}
            }
        }
        Subject::Cgroup(id) => {
            probe.set_cgroup_filtered(*id, opaque)?;
            probe.set_cgroup_tracking(*id, tracking)?;
        }
        subject => {
            for s in settings {
                notes.push(format!(
                    "{} {}={}: not applied by the eBPF capture (this kernel has no \
                     security contexts it can see)",
                    subject.section(),
                    s.key(),
                    subject.value()
                ));
            }
        }
    }
    Ok(())
}

/// True when the type filters drop everything a packet record makes.
fn packets_dropped(policy: &Policy) -> bool {
    let relations = &policy.relation_filter;
    policy.node_filter.contains("packet")
        || (relations.contains("send_packet") && relations.contains("receive_packet"))
}

/// Replaces the kernel side's IPv4 rules by the policy's, in policy order (the first
/// match applies, as in CamFlow).
fn ipv4_to_probe(
    probe: &mut Probe,
    rules: &[Ipv4Rule],
    notes: &mut Vec<String>,
) -> Result<(), ProbeError> {
    let kernel: Vec<Ipv4Filter> = rules
        .iter()
        .take(IPV4_RULES_MAX)
        .map(|r| Ipv4Filter {
            egress: r.way == NetWay::Egress,
            addr: r.addr,
            prefix: r.prefix,
            port: r.port,
            flags: match r.op {
                NetOp::Track => TRACKED,
                NetOp::Propagate => TRACKED | PROPAGATE,
                NetOp::Record => TRACKED | RECORD,
            },
        })
        .collect();
    for r in rules.iter().skip(IPV4_RULES_MAX) {
        notes.push(format!(
            "ipv4-{} {}={}: the capture holds {IPV4_RULES_MAX} IPv4 rules; rule not applied",
            r.way.name(),
            r.op.key(),
            r.target()
        ));
    }
    probe.set_ipv4_rules(&kernel)
}

/// The `[compression]` switches that changed, to the builder; and `edge` to the kernel
/// side too, whose dropping of exact repeats of reads and writes (on from the start) is
/// the builder's edge compression done early: a repeat it drops never reaches the
/// builder. It stays sound with the other switches (with node compression off or no
/// versioning, the builder drops at least those repeats).
fn compression_to(
    probe: &mut Probe,
    builder: &mut Builder,
    before: &Compression,
    after: &Compression,
) -> Result<(), ProbeError> {
    let mut wanted = builder.versioning();
    wanted.follow(before, after);
    if wanted.edge != builder.versioning().edge {
        probe.set_compression(wanted.edge)?;
    }
    builder.set_versioning(wanted);
    Ok(())
}

/// The propagate node and relation filters as the kernel side's masks; a node type the
/// kernel never propagates into is noted.
fn propagate_filters_to_probe(
    probe: &mut Probe,
    policy: &Policy,
    notes: &mut Vec<String>,
) -> Result<(), ProbeError> {
    let mut kinds = 0;
    for t in &policy.propagate_node_filter {
        match propagate_kind_bit(t) {
            Some(bit) => kinds |= bit,
            None => notes.push(format!(
                "propagate_node_filter={t}: the eBPF capture never propagates into {t} \
                 nodes, so the filter changes nothing"
            )),
        }
    }
    let classes = propagate_class_mask(|r| policy.propagate_relation_filter.contains(r));
    probe.set_propagate_filters(kinds, classes)
}

/// A running capture following a [`PolicyControl`]: what it applied, and the notes said
/// so far (each once). Shared by every command that captures, so a policy change reaches
/// the kernel the same way whoever made it.
pub struct Following {
    generation: u64,
    applied: Policy,
    /// What the capture could not apply, each said once.
    pub notes: Vec<String>,
}

impl Following {
    /// Applies the control's policy to a fresh capture.
    pub fn start(
        control: &PolicyControl,
        probe: &mut Probe,
        builder: &mut Builder,
    ) -> Result<Following, ProbeError> {
        let mut following = Following {
            generation: control.generation(),
            applied: Policy::default(),
            notes: Vec::new(),
        };
        following.apply(control.get(), probe, builder)?;
        Ok(following)
    }

    /// Applies a changed policy (one atomic load when it did not change); returns the
    /// notes it adds.
    pub fn sync(
        &mut self,
        control: &PolicyControl,
        probe: &mut Probe,
        builder: &mut Builder,
    ) -> Result<Vec<String>, ProbeError> {
        if control.generation() == self.generation {
            return Ok(Vec::new());
        }
        self.apply(control.get(), probe, builder)
    }

    fn apply(
        &mut self,
        (generation, wanted): (u64, Policy),
        probe: &mut Probe,
        builder: &mut Builder,
    ) -> Result<Vec<String>, ProbeError> {
        let mut added = Vec::new();
        for note in apply(probe, builder, &self.applied, &wanted)? {
            if !self.notes.contains(&note) {
                self.notes.push(note.clone());
                added.push(note);
            }
        }
        (self.generation, self.applied) = (generation, wanted);
        Ok(added)
    }

    /// What the filters did so far, for a filter panel.
    pub fn report(&self, filter: &TypeFilter) -> FilterReport {
        FilterReport {
            passed: filter.passed,
            dropped: filter.dropped.clone(),
            notes: self.notes.clone(),
        }
    }
}
