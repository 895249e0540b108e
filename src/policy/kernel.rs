//! Applying a policy to the eBPF capture: opaque and tracked processes, files, users,
//! groups and cgroups go into the kernel side's maps (filtered before any record is
//! made); `all=false` is the kernel's track-only mode; `enabled=false` pauses; node and
//! relation type filters go to the builder (exact CamFlow semantics: a filtered `read`
//! still leaves the `memory_write` of the same syscall), and so do the `[compression]`
//! switches (with the kernel's dropping of exact repeats following `edge`). A change
//! applies only the difference between two policies. What this capture cannot do (IPv4
//! rules, security contexts, tracking by user or group, propagate filters) is returned as
//! notes, never silently ignored.

use crate::capture::builder::Builder;
use crate::capture::builder::type_filter::TypeFilter;
use crate::capture::ebpf::probe::{InodeKey, OPAQUE, Probe, ProbeError, TRACKED, kernel_dev};
use crate::policy::control::{FilterReport, PolicyControl};
use crate::policy::resolve::{group_id, inode_of, user_id};
use crate::policy::{Compression, Policy, Rule, Setting, Subject};

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
    for rule in before.rules.iter().filter(|r| !after.rules.contains(r)) {
        rule_to_probe(probe, rule, false, &mut notes)?;
    }
    for rule in after.rules.iter().filter(|r| !before.rules.contains(r)) {
        rule_to_probe(probe, rule, true, &mut notes)?;
    }
    if before.track_only() != after.track_only() {
        probe.set_track_only(after.track_only())?;
    }
    if before.enabled != after.enabled {
        probe.set_paused(after.enabled == Some(false))?;
    }
    for r in after.ipv4.iter().filter(|r| !before.ipv4.contains(r)) {
        notes.push(format!(
            "ipv4-{} {}={}: IPv4 rules are not applied by the eBPF capture yet",
            r.way.name(),
            r.op.key(),
            r.target()
        ));
    }
    let has_propagate_filters =
        !after.propagate_node_filter.is_empty() || !after.propagate_relation_filter.is_empty();
    let changed = after.propagate_node_filter != before.propagate_node_filter
        || after.propagate_relation_filter != before.propagate_relation_filter;
    if has_propagate_filters && changed {
        notes.push(String::from(
            "propagate filters: the eBPF capture propagates tracking through every flow",
        ));
    }
    Ok(notes)
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

/// Puts one rule into the kernel side's maps (`on`) or takes it out.
fn rule_to_probe(
    probe: &mut Probe,
    rule: &Rule,
    on: bool,
    notes: &mut Vec<String>,
) -> Result<(), ProbeError> {
    let flags = match rule.setting {
        Setting::Opaque => OPAQUE,
        Setting::Track | Setting::Propagate => TRACKED,
    };
    let value = if on { flags } else { 0 };
    match (&rule.subject, rule.setting) {
        (Subject::Path(p), _) => match inode_of(p) {
            Ok((dev, ino)) => probe.set_inode(InodeKey::new(kernel_dev(dev), ino), value)?,
            Err(e) => notes.push(format!("file {p}: {e}; rule not applied")),
        },
        // The capture itself stays opaque whatever a policy says.
        (Subject::Pid(pid), _) if *pid == std::process::id() => {}
        (Subject::Pid(pid), _) => probe.set_process(*pid, value)?,
        (Subject::User(name), Setting::Opaque) => match user_id(name) {
            Some(uid) => probe.set_uid_filtered(uid, on)?,
            None => notes.push(format!("user {name}: no such user; rule not applied")),
        },
        (Subject::Group(name), Setting::Opaque) => match group_id(name) {
            Some(gid) => probe.set_gid_filtered(gid, on)?,
            None => notes.push(format!("group {name}: no such group; rule not applied")),
        },
        (Subject::Cgroup(id), Setting::Opaque) => probe.set_cgroup_filtered(*id, on)?,
        (subject, setting) if on => notes.push(format!(
            "{} {}={}: not applied by the eBPF capture (it can make users, groups and \
             cgroups opaque, and track files and processes)",
            subject.section(),
            setting.key(),
            subject.value()
        )),
        _ => {}
    }
    Ok(())
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
