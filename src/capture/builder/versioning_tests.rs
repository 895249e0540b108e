//! The `[compression]` switches in the builder, each against the same records with
//! CamFlow's defaults: edge compression drops an exact repeat, node compression versions
//! only after an outgoing edge, no versioning makes no `version_*` at all, and duplicate
//! writes both ends with every relation while a reader still counts each vertex once.

use super::test_events::{actor, call, host, packet};
use super::versioning::Versioning;
use super::*;
use crate::capture::camflow::reader::{ReaderOptions, read_trace};
use crate::capture::camflow::w3c_write::DocumentBuilder;
use crate::capture::ebpf::event::FdObject;
use crate::capture::ebpf::packet::Direction;
use crate::graph::ProvGraph;
use crate::graph::batch::RecordBatch;
use hashbrown::HashMap;

const READ: u32 = 0;
const WRITE: u32 = 1;
/// Pids above any pid_max, so that the builder finds nothing of them in /proc.
const P1: u32 = 10_000_001;
const P2: u32 = 10_000_002;

fn file(ino: u64) -> FdObject {
    FdObject {
        ino,
        dev: 8,
        mode: 0o100644,
        ..FdObject::default()
    }
}

/// What the builder writes for `events` with `switches`.
fn build(switches: Versioning, events: &[Event]) -> Vec<Element> {
    let mut b = Builder::new(host());
    b.set_versioning(switches);
    for e in events {
        b.handle(e);
    }
    b.release_all_packets();
    assert_eq!(b.stale_refs(), 0);
    b.take_output().collect()
}

fn with(f: impl FnOnce(&mut Versioning)) -> Versioning {
    let mut v = Versioning::default();
    f(&mut v);
    v
}

/// Relations as (type, from key, to key), in order.
fn relations(out: &[Element]) -> Vec<(&str, &str, &str)> {
    out.iter()
        .filter_map(|e| Some((e.kind, e.ends.as_ref()?)))
        .map(|(kind, ends)| (kind, ends.from.as_str(), ends.to.as_str()))
        .collect()
}

fn count(out: &[Element], kind: &str) -> usize {
    relations(out).iter().filter(|r| r.0 == kind).count()
}

/// The type of every vertex written, by key.
fn vertex_kinds(out: &[Element]) -> HashMap<&str, &str> {
    out.iter()
        .filter(|e| e.is_node())
        .map(|e| (e.key.as_str(), e.kind))
        .collect()
}

/// `version_*` relations between versions of vertices of type `kind`.
fn versions_of(out: &[Element], kind: &str) -> usize {
    let kinds = vertex_kinds(out);
    relations(out)
        .iter()
        .filter(|r| r.0.starts_with("version_") && kinds.get(r.2) == Some(&kind))
        .count()
}

/// Task P1 reads a file, writes another, reads the first again, and P2 writes the
/// second: CamFlow versions the task (its memory_read after the memory_write it made) and
/// the written file (read by nobody, so only without node compression).
fn workload() -> Vec<Event> {
    vec![
        call(1_000, P1, READ, file(1)),
        call(2_000, P1, WRITE, file(2)),
        call(3_000, P1, READ, file(1)),
        call(4_000, P2, WRITE, file(2)),
    ]
}

#[test]
fn edge_compression_drops_an_exact_repeat_and_off_records_it() {
    let twice = [
        call(1_000, P1, READ, file(1)),
        call(2_000, P1, READ, file(1)),
    ];
    let on = build(Versioning::default(), &twice);
    assert_eq!((count(&on, "read"), count(&on, "memory_write")), (1, 1));
    let off = build(with(|v| v.edge = false), &twice);
    assert_eq!((count(&off, "read"), count(&off, "memory_write")), (2, 2));
    // Recorded, the repeat is a flow like any other: the task, which wrote its memory
    // since the first read, gets a new version.
    assert_eq!(
        (versions_of(&on, "task"), versions_of(&off, "task")),
        (0, 1)
    );
}

#[test]
fn without_node_compression_every_new_incoming_flow_makes_a_version() {
    let events = [
        call(1_000, P1, WRITE, file(2)),
        call(2_000, P2, WRITE, file(2)),
    ];
    let on = build(Versioning::default(), &events);
    assert_eq!(count(&on, "write"), 2);
    assert_eq!(
        versions_of(&on, "file"),
        0,
        "the file was never read: no outgoing edge, no new version"
    );
    // A new task takes ran_on then memory_read, with no outgoing edge in between.
    assert_eq!(versions_of(&on, "task"), 0);
    let off = build(with(|v| v.node = false), &events);
    assert_eq!(count(&off, "write"), 2);
    assert_eq!(versions_of(&off, "file"), 2, "one per write");
    // Per task: ran_on and memory_read (the write's own memory_read repeats that one).
    assert_eq!(versions_of(&off, "task"), 2 * 2);
    // Each write goes to the version it made, chained to the one before.
    let rels = relations(&off);
    for (at, w) in rels.iter().enumerate().filter(|(_, r)| r.0 == "write") {
        let before = rels[at - 1];
        assert_eq!((before.0, before.2), ("version_entity", w.2), "{rels:?}");
    }
}

#[test]
fn without_node_compression_a_repeat_still_makes_no_version() {
    let twice = [
        call(1_000, P1, READ, file(1)),
        call(2_000, P1, READ, file(1)),
    ];
    let once = build(with(|v| v.node = false), &twice[..1]);
    let repeated = build(with(|v| v.node = false), &twice);
    assert_eq!(relations(&once).len(), relations(&repeated).len());
}

#[test]
fn without_node_compression_naming_and_immutable_objects_make_no_version() {
    let mut b = Builder::new(host());
    b.set_versioning(with(|v| v.node = false));
    let inode = b.inode(8, 5, 0o100644);
    b.name(inode, b"/tmp/a");
    b.name(inode, b"/tmp/b");
    // Nothing flows into a path; were it to, a path would still not change.
    let path = b.path_obj(b"/tmp/a");
    let task = b.task(&actor(P1, P1));
    b.relate(Section::WasGeneratedBy, "write", task, path);
    let out: Vec<Element> = b.take_output().collect();
    assert_eq!((count(&out, "named"), count(&out, "write")), (2, 1));
    assert_eq!(versions_of(&out, "file"), 0, "named changes no object");
    assert_eq!(versions_of(&out, "path"), 0);
    assert!(versions_of(&out, "task") > 0, "while the task versions");
    // Nor do packets, though they receive send_packet.
    let out = build(with(|v| v.node = false), &duplicate_workload());
    assert_eq!(count(&out, "send_packet"), 1);
    assert_eq!(versions_of(&out, "packet"), 0);
    assert!(versions_of(&out, "socket") > 0);
}

#[test]
fn without_versioning_no_version_is_made_and_flows_are_kept() {
    let on = build(Versioning::default(), &workload());
    assert!(versions_of(&on, "task") > 0 && count(&on, "version_activity") > 0);
    let off = build(with(|v| v.version = false), &workload());
    assert_eq!(
        count(&off, "version_activity") + count(&off, "version_entity"),
        0
    );
    for kind in ["read", "write", "memory_read"] {
        assert_eq!(count(&off, kind), count(&on, kind), "{kind}");
    }
    // With no new task version to tell them apart, the second read's memory_write is an
    // exact repeat of the first one's, which edge compression drops (as in CamFlow,
    // whose edge compression looks at the sender, not its version).
    assert_eq!(
        (count(&on, "memory_write"), count(&off, "memory_write")),
        (2, 1)
    );
    assert!(
        off.iter()
            .filter(|e| e.is_node())
            .all(|e| e.attrs.contains(&("cf:version", String::from("0")))),
        "every vertex stays at version 0"
    );
    // Node compression has nothing to act on.
    let neither = build(
        with(|v| {
            v.version = false;
            v.node = false;
        }),
        &workload(),
    );
    assert_eq!(relations(&neither), relations(&off));
}

#[test]
fn without_versioning_an_exit_still_ends_with_its_terminate_relation() {
    let events = [
        call(1_000, P1, READ, file(1)),
        Event::Exit {
            actor: actor(P1, P1),
            process_ended: true,
        },
    ];
    let out = build(with(|v| v.version = false), &events);
    let rels = relations(&out);
    let ends = rels.iter().find(|r| r.0 == "terminate_task").unwrap();
    assert_ne!(ends.1, ends.2, "a last version, not a loop");
    assert_eq!(count(&out, "terminate_proc"), 1);
}

fn duplicate_workload() -> Vec<Event> {
    let mut events = workload();
    events.push(packet(5_000, P1, 30, Direction::Sent, false));
    events.push(packet(6_000, P1, 31, Direction::Received, false));
    events
}

#[test]
fn duplicate_writes_both_ends_with_every_relation() {
    let plain = build(Versioning::default(), &duplicate_workload());
    let dup = build(with(|v| v.duplicate = true), &duplicate_workload());
    // The same relations, and no other vertex.
    assert_eq!(relations(&dup), relations(&plain));
    assert_eq!(vertex_kinds(&dup), vertex_kinds(&plain));
    let written = |out: &[Element]| out.iter().filter(|e| e.is_node()).count();
    assert_eq!(written(&plain), vertex_kinds(&plain).len(), "each once");
    assert!(written(&dup) > written(&plain));
    // Each end of each relation is written after the relation before that touched it:
    // a reader that looks at relations one by one finds both ends beside it.
    let mut last_relation: HashMap<&str, usize> = HashMap::new();
    for (at, e) in dup.iter().enumerate() {
        let Some(ends) = &e.ends else { continue };
        for end in [ends.from.as_str(), ends.to.as_str()] {
            let since = last_relation.get(end).map_or(0, |&i| i + 1);
            assert!(
                dup[since..at].iter().any(|v| v.is_node() && v.key == end),
                "{} at {at}: end {end} not written since {since}",
                e.kind
            );
            last_relation.insert(end, at);
        }
    }
    // A packet written again is the element first written, as it was.
    let packets: Vec<&Element> = dup.iter().filter(|e| e.kind == "packet").collect();
    assert_eq!(packets.len(), 2, "send_packet, then receive_packet");
    assert_eq!(packets[0], packets[1]);
    let attr = |name: &str| packets[1].attrs.iter().any(|(k, _)| *k == name);
    assert!(
        attr("cf:sender") && !attr("cf:boot_id"),
        "a packet's own header"
    );
}

#[test]
fn duplicate_writes_no_vertex_twice_for_one_relation() {
    let dup = build(with(|v| v.duplicate = true), &duplicate_workload());
    for (at, e) in dup.iter().enumerate().filter(|(_, e)| e.is_node()) {
        let next_relation = dup[at + 1..].iter().position(|e| !e.is_node());
        let upto = next_relation.map_or(dup.len(), |n| at + 1 + n);
        assert!(
            dup[at + 1..upto].iter().all(|v| v.key != e.key),
            "{} written twice before the relation at {upto}",
            e.key
        );
    }
}

#[test]
fn a_duplicate_capture_loads_as_the_same_graph() {
    let load = |out: Vec<Element>| {
        let mut text = Vec::new();
        let mut doc = DocumentBuilder::new(&mut text);
        let mut records = RecordBatch::default();
        for el in out {
            let written = if el.is_node() {
                doc.push_node(el.section, &el.text())
            } else {
                doc.push_edge(el.section, &el.text())
            };
            written.unwrap();
            records.records.extend(el.into_record());
        }
        doc.flush_document().unwrap();
        let mut read = ProvGraph::new();
        read_trace(
            std::io::Cursor::new(text),
            &ReaderOptions::default(),
            &mut read,
        )
        .unwrap();
        // The live view's way: records straight from the builder.
        let mut live = ProvGraph::new();
        let n = records.len();
        assert_eq!(records.ingest_into(&mut live, n), n);
        (read, live)
    };
    let (plain, plain_live) = load(build(Versioning::default(), &duplicate_workload()));
    let (dup, dup_live) = load(build(with(|v| v.duplicate = true), &duplicate_workload()));
    assert_eq!(plain.merged_nodes(), 0);
    assert!(dup.merged_nodes() > 0, "the copies were read");
    for g in [&dup, &plain_live, &dup_live] {
        assert_eq!(g.counts(), plain.counts());
        assert_eq!(g.object_count(), plain.object_count());
        assert_eq!(g.node_count(), plain.node_count());
    }
}
