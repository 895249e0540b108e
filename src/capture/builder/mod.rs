//! The builder: turns the kernel side's records into CamFlow's graph, with CamFlow's
//! identifiers, versioning (node and edge compression) and relation vocabulary, as W3C
//! elements ready for camflowd's document layout. A read is `read` (file → task) plus
//! `memory_write` (task → process_memory); a write is `memory_read` (process_memory →
//! task) plus `write` (task → file): so data that crosses the threads of a process shows
//! as shared_write then shared_read, exactly as CamFlow records it. A policy's
//! `[compression]` switches change the versioning and compression (see [`versioning`]).

pub mod element;
mod element_record;
pub mod host;
pub mod name_bytes;
pub mod objects;
pub mod packets;
mod paths;
mod processes;
mod sockets;
mod syscall;
pub mod type_filter;
pub mod versioning;

#[cfg(test)]
mod lifetime_tests;
#[cfg(test)]
mod packets_tests;
#[cfg(test)]
mod path_tests;
#[cfg(test)]
mod test_events;
#[cfg(test)]
mod versioning_tests;

use crate::capture::ebpf::event::Event;
pub use element::Element;
use element::{Section, Stamp, node_key, node_type, open_node};
use hashbrown::HashMap;
use host::Host;
use objects::{Obj, ObjRef};
use type_filter::TypeFilter;
use versioning::Versioning;

/// Vertices remembered as written since the last relation: more than the few made
/// before any one relation (a process first seen: its memory, its program's path).
const BESIDE_MAX: usize = 8;

/// What the builder did, for the end-of-capture report.
#[derive(Clone, Copy, Debug, Default)]
pub struct BuilderStats {
    /// Records handled.
    pub records: u64,
    /// Relations dropped as exact repeats (CamFlow's edge compression).
    pub compressed: u64,
    /// Syscall records with nothing to record (no object, unknown syscall).
    pub ignored: u64,
}

struct Task {
    obj: ObjRef,
    tgid: u32,
}

struct Process {
    memory: ObjRef,
    cwd: Option<Vec<u8>>,
}

/// Events in, CamFlow elements out.
pub struct Builder {
    host: Host,
    /// Objects that may still take part in relations, by number. Numbers are never
    /// reused: a relation compressed against a number can never match another object.
    objs: HashMap<u32, Obj>,
    next_obj: u32,
    /// Stands in for an object already forgotten (never expected: a record about a task
    /// after its exit makes a new task).
    gone: Obj,
    /// Times `gone` stood in: reported, never silent.
    stale: std::cell::Cell<u64>,
    next_node_id: u64,
    next_relation_id: u64,
    machine: ObjRef,
    tasks: HashMap<u32, Task>,
    procs: HashMap<u32, Process>,
    inodes: HashMap<(u32, u64), ObjRef>,
    paths: HashMap<Vec<u8>, ObjRef>,
    /// The inode last seen under each path (for unlink, where the name is already gone).
    named: HashMap<Vec<u8>, ObjRef>,
    /// The last path each inode was named by (to resolve `*at` directory fds).
    path_of: HashMap<ObjRef, Vec<u8>>,
    addresses: HashMap<String, ObjRef>,
    /// (address, socket) pairs already linked by `addressed`.
    addressed: hashbrown::HashSet<(ObjRef, ObjRef)>,
    /// Connected unix stream sockets, both ways: the peer is remembered for when the
    /// kernel side can no longer see it (closed before the last read).
    unix_peers: HashMap<ObjRef, ObjRef>,
    /// Packets waiting for their task's syscall, and packet vertices seen lately.
    packets: packets::Packets,
    stamp: Stamp,
    task_id: u64,
    out: Vec<Element>,
    /// Counters for the report.
    pub stats: BuilderStats,
    /// The policy's node and relation type filters, and what they dropped.
    pub filter: TypeFilter,
    /// The policy's versioning and compression switches.
    versioning: Versioning,
    /// The vertex versions written since the last relation: already beside the next one,
    /// `duplicate` writes them no second time.
    beside: Vec<(ObjRef, u32)>,
}

impl Builder {
    /// A builder for this machine; emits the machine agent.
    pub fn new(host: Host) -> Builder {
        let mut b = Builder {
            host,
            objs: HashMap::new(),
            next_obj: 0,
            gone: Obj {
                kind: "unknown",
                id: 0,
                version: 0,
                has_outgoing: false,
                last_in: None,
                attrs: Vec::new(),
                label: None,
                immutable: true,
                key: None,
            },
            stale: std::cell::Cell::new(0),
            next_node_id: 0,
            next_relation_id: 0,
            machine: ObjRef(0),
            tasks: HashMap::new(),
            procs: HashMap::new(),
            inodes: HashMap::new(),
            paths: HashMap::new(),
            named: HashMap::new(),
            path_of: HashMap::new(),
            addresses: HashMap::new(),
            addressed: hashbrown::HashSet::new(),
            unix_peers: HashMap::new(),
            packets: packets::Packets::default(),
            stamp: Stamp {
                date: host::camflow_date_now(),
                jiffies: 0,
            },
            task_id: 0,
            out: Vec::new(),
            stats: BuilderStats::default(),
            filter: TypeFilter::default(),
            versioning: Versioning::default(),
            beside: Vec::new(),
        };
        let mut attrs: Vec<(&'static str, String)> = b
            .host
            .uname
            .iter()
            .map(|(k, v)| (*k, element::quote_str(v)))
            .collect();
        attrs.push((
            "cf:l_version",
            element::quote_str(concat!("provscope ", env!("CARGO_PKG_VERSION"))),
        ));
        b.machine = b.new_obj(
            "machine",
            attrs,
            Some(String::from("[machine]")),
            true,
            None,
        );
        b
    }

    /// The versioning and compression switches in force.
    pub fn versioning(&self) -> Versioning {
        self.versioning
    }

    /// Changes the versioning and compression switches for what is built from now on
    /// (what is written stays as it was).
    pub fn set_versioning(&mut self, versioning: Versioning) {
        self.versioning = versioning;
    }

    /// Elements made since the last call, in order.
    pub fn take_output(&mut self) -> std::vec::Drain<'_, Element> {
        self.out.drain(..)
    }

    /// Handles one record.
    pub fn handle(&mut self, event: &Event) {
        self.stats.records += 1;
        match event {
            Event::Syscall(e) => {
                self.stamp_at(e.actor.ts);
                let tid = e.actor.tid;
                self.around_syscall(tid, e.actor.ts, &e.objects, |b| syscall::handle(b, e));
            }
            Event::Fork {
                actor,
                child_tid,
                child_tgid,
            } => {
                self.stamp_at(actor.ts);
                self.release_packets(actor.tid);
                self.fork(actor, *child_tid, *child_tgid);
            }
            Event::Exec(e) => {
                self.stamp_at(e.actor.ts);
                self.release_packets(e.old_tid);
                self.release_packets(e.actor.tid);
                if e.old_tid != e.actor.tid
                    && let Some(t) = self.tasks.remove(&e.old_tid)
                {
                    self.tasks.insert(e.actor.tid, t);
                }
                self.exec(e);
            }
            Event::Exit {
                actor,
                process_ended,
            } => {
                self.stamp_at(actor.ts);
                self.release_packets(actor.tid);
                self.exit(actor, *process_ended);
            }
            Event::Packet(p) => self.packet_event(p),
        }
    }

    /// Stamps what follows with kernel time `ts`. Refreshes the date at most once a
    /// second of kernel time (a syscall per record would cost more than the record).
    fn stamp_at(&mut self, ts: u64) {
        let jiffies = host::jiffies(ts);
        if jiffies / 250 != self.stamp.jiffies / 250 {
            self.stamp.date = host::camflow_date_now();
        }
        self.stamp.jiffies = jiffies;
    }

    // --- objects -----------------------------------------------------------------------

    fn new_obj(
        &mut self,
        kind: &'static str,
        attrs: Vec<(&'static str, String)>,
        label: Option<String>,
        immutable: bool,
        id: Option<u64>,
    ) -> ObjRef {
        let id = id.unwrap_or_else(|| {
            self.next_node_id += 1;
            self.next_node_id
        });
        let r = ObjRef(self.next_obj);
        self.next_obj = self.next_obj.saturating_add(1);
        self.objs.insert(
            r.0,
            Obj {
                kind,
                id,
                version: 0,
                has_outgoing: false,
                last_in: None,
                attrs,
                label,
                immutable,
                key: None,
            },
        );
        self.emit_node(r);
        r
    }

    fn obj(&self, r: ObjRef) -> &Obj {
        self.objs.get(&r.0).unwrap_or_else(|| {
            self.stale.set(self.stale.get() + 1);
            &self.gone
        })
    }

    fn obj_mut(&mut self, r: ObjRef) -> &mut Obj {
        if !self.objs.contains_key(&r.0) {
            self.stale.set(self.stale.get() + 1);
            return &mut self.gone;
        }
        self.objs.get_mut(&r.0).unwrap_or(&mut self.gone)
    }

    /// Times a forgotten object was asked for (a builder bug if ever more than 0).
    pub fn stale_refs(&self) -> u64 {
        self.stale.get()
    }

    /// Forgets an object no record can name again (an ended task or process, an
    /// argument, a process image replaced by exec), so a capture that runs for weeks
    /// holds only what lives.
    fn forget(&mut self, r: ObjRef) {
        self.objs.remove(&r.0);
    }

    /// Objects held now.
    pub fn live_objects(&self) -> usize {
        self.objs.len()
    }

    fn key(&self, r: ObjRef) -> String {
        self.key_at(r, self.obj(r).version)
    }

    /// The identifier of `version` of `r`.
    fn key_at(&self, r: ObjRef, version: u32) -> String {
        let o = self.obj(r);
        match &o.key {
            Some(key) => key.to_string(),
            None => node_key(&self.host, node_type(o.kind).1, o.id, version),
        }
    }

    /// Writes the current version's vertex (made or changed just now).
    fn emit_node(&mut self, r: ObjRef) {
        self.write_vertex(r, self.obj(r).version);
    }

    /// Writes the vertex of `version` of `r`, unless a node filter drops it.
    fn write_vertex(&mut self, r: ObjRef, version: u32) {
        let o = self.obj(r);
        let el = match &o.key {
            // A packet: its own header, kept whole in `attrs`.
            Some(key) => Element {
                section: node_type(o.kind).0.section(),
                kind: o.kind,
                key: key.to_string(),
                attrs: o.attrs.clone(),
                ends: None,
            },
            None => {
                let (_, mut el) = open_node(&self.host, &self.stamp, o.kind, o.id, version);
                el.attrs.extend(o.attrs.iter().cloned());
                el.attrs
                    .push(("prov:label", element::quote_str(&o.label_text(version))));
                el
            }
        };
        if let Some(cause) = self.filter.node_cause(o.kind) {
            self.filter.drop(cause, el.text_len());
            return;
        }
        self.filter.pass(el.text_len());
        self.out.push(el);
        // Kept with `duplicate` off too, so that turning it on finds what was just
        // written; and short, for the vertices of relations a filter drops.
        if self.beside.len() == BESIDE_MAX {
            self.beside.remove(0);
        }
        self.beside.push((r, version));
    }

    /// Writes a relation from `from` to `to` (each an object and one of its versions),
    /// unless a type filter drops it; with `duplicate`, both ends are written before it.
    fn emit_relation(
        &mut self,
        section: Section,
        kind: &'static str,
        from: (ObjRef, u32),
        to: (ObjRef, u32),
    ) {
        let ends = (self.obj(from.0).kind, self.obj(to.0).kind);
        let cause = self.filter.relation_cause(kind, ends.0, ends.1);
        self.next_relation_id += 1;
        let el = element::relation(
            &self.host,
            &self.stamp,
            section,
            kind,
            self.next_relation_id,
            &self.key_at(from.0, from.1),
            &self.key_at(to.0, to.1),
            self.task_id,
        );
        if let Some(cause) = cause {
            self.filter.drop(cause, el.text_len());
            return;
        }
        if self.versioning.duplicate {
            self.write_again(from);
            self.write_again(to);
        }
        self.filter.pass(el.text_len());
        self.out.push(el);
        self.beside.clear();
    }

    /// Records `from → to` with CamFlow's rules (as the [`versioning`] switches set
    /// them): an exact repeat of the receiver's last incoming edge is dropped; a receiver
    /// whose version already has an outgoing edge gets a new version first.
    fn relate(&mut self, section: Section, kind: &'static str, from: ObjRef, to: ObjRef) {
        let from_version = self.obj(from).version;
        if self.versioning.edge && self.obj(to).last_in == Some((from, from_version, kind)) {
            self.stats.compressed += 1;
            return;
        }
        let ends = (self.obj(from).kind, self.obj(to).kind);
        if let Some(cause) = self.filter.relation_cause(kind, ends.0, ends.1) {
            // Never made, so it never forces a new version: as CamFlow, which checks its
            // filters before recording anything. Its size is what it would have taken.
            let (f, t) = (self.key(from), self.key(to));
            let would_be = element::relation(
                &self.host,
                &self.stamp,
                section,
                kind,
                self.next_relation_id + 1,
                &f,
                &t,
                self.task_id,
            );
            self.filter.drop(cause, would_be.text_len());
            return;
        }
        if self.makes_version(kind, from, to) {
            self.new_version(to);
        }
        let to_version = self.obj(to).version;
        self.emit_relation(section, kind, (from, from_version), (to, to_version));
        self.obj_mut(from).has_outgoing = true;
        // Kept with edge compression off too, so that turning it back on compresses
        // against the right edge.
        self.obj_mut(to).last_in = Some((from, from_version, kind));
    }

    // --- entities ----------------------------------------------------------------------

    /// The object of an inode, made on first sight.
    fn inode(&mut self, dev: u32, ino: u64, mode: u16) -> ObjRef {
        if let Some(&r) = self.inodes.get(&(dev, ino)) {
            return r;
        }
        let kind = crate::capture::ebpf::event::InodeKind::from_mode(mode).camflow_name();
        let attrs = vec![
            ("cf:mode", element::quote_str(&format!("{mode:#x}"))),
            ("cf:ino", ino.to_string()),
            ("cf:dev", dev.to_string()),
        ];
        let r = self.new_obj(kind, attrs, None, false, None);
        self.inodes.insert((dev, ino), r);
        r
    }

    /// The path entity of a name (`cf:id` = djb2 of the name, as CamFlow does).
    fn path_obj(&mut self, path: &[u8]) -> ObjRef {
        if let Some(&r) = self.paths.get(path) {
            return r;
        }
        // Lossless: two names that differ only in an invalid byte stay two names.
        let text = name_bytes::escape(path).into_owned();
        let attrs = vec![("cf:pathname", element::quote_str(&text))];
        let r = self.new_obj(
            "path",
            attrs,
            Some(format!("[path] {text}")),
            true,
            Some(element::djb2(path)),
        );
        self.paths.insert(path.to_vec(), r);
        r
    }

    /// Links a path to an inode with `named`, once per (path, inode).
    fn name(&mut self, inode: ObjRef, path: &[u8]) {
        if path.is_empty() || self.named.get(path) == Some(&inode) {
            return;
        }
        let p = self.path_obj(path);
        self.relate(Section::WasDerivedFrom, "named", p, inode);
        self.named.insert(path.to_vec(), inode);
        self.path_of.insert(inode, path.to_vec());
    }
}
