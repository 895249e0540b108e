//! Real captures on this machine's kernel: each scenario runs a small workload under
//! `provscope capture --track -- CMD` and asserts on the graph read back from the
//! recording. Needs root; PROVSCOPE_REQUIRE_BPF=1 (set by .ci/run) turns a missing
//! privilege into a failure instead of a skip.

mod common;

use common::can_capture;
use common::capture::capture;
use common::walk::{backward, by_path};
use provscope::graph::ProvGraph;
use provscope::graph::store::NodeId;
use std::collections::HashSet;

fn kinds_of(g: &ProvGraph, set: &HashSet<NodeId>, kind: &str) -> usize {
    set.iter().filter(|&&n| g.node_kind(n) == kind).count()
}

fn edge_types(g: &ProvGraph) -> HashSet<String> {
    g.edge_ids().map(|e| g.edge_kind(e).to_string()).collect()
}

#[test]
fn a_copy_traces_back_to_the_original_through_task_and_process_memory() {
    if !can_capture() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("original.txt");
    let dst = dir.path().join("copy.txt");
    std::fs::write(&src, "the original").unwrap();
    let (s, d) = (src.to_str().unwrap(), dst.to_str().unwrap());
    let g = capture(dir.path(), &["cp", s, d]);
    let copies = by_path(&g, d, "file");
    let originals = by_path(&g, s, "file");
    assert!(!copies.is_empty(), "the copy was recorded");
    assert!(!originals.is_empty(), "the original was recorded");
    let past = backward(&g, &copies, &[]);
    assert!(
        originals.iter().any(|o| past.contains(o)),
        "the copy's lineage reaches the original"
    );
    // Along data edges only, the way back is CamFlow's: read into the process memory
    // (memory_write), out of it (memory_read), then write.
    let metadata = [
        "version_activity",
        "version_entity",
        "open",
        "inode_create",
        "named",
    ];
    let strict = backward(&g, &copies, &metadata);
    assert!(originals.iter().any(|o| strict.contains(o)));
    assert!(kinds_of(&g, &strict, "process_memory") > 0);
    assert!(kinds_of(&g, &strict, "task") > 0);
}

#[test]
fn data_piped_between_two_processes_is_one_lineage() {
    if !can_capture() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("words.txt");
    let dst = dir.path().join("counted.txt");
    std::fs::write(&src, "one two three\n").unwrap();
    let script = format!("cat {} | tr a-z A-Z > {}", src.display(), dst.display());
    let g = capture(dir.path(), &["sh", "-c", &script]);
    let out = by_path(&g, dst.to_str().unwrap(), "file");
    let input = by_path(&g, src.to_str().unwrap(), "file");
    let past = backward(&g, &out, &["version_activity", "version_entity"]);
    assert!(
        input.iter().any(|i| past.contains(i)),
        "output comes from input"
    );
    assert!(kinds_of(&g, &past, "pipe") > 0, "through a pipe");
    let memories: HashSet<_> = past
        .iter()
        .filter(|&&n| g.node_kind(n) == "process_memory")
        .map(|&n| g.node(n).object)
        .collect();
    assert!(memories.len() >= 2, "two processes: {memories:?}");
}

#[test]
fn a_thread_sends_what_another_thread_read_through_shared_memory() {
    if !can_capture() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret.txt");
    std::fs::write(&secret, "s3cr3t").unwrap();
    // Thread A reads the file into process memory; thread B sends it to a loopback
    // listener. Only shared state links them.
    let script = format!(
        r#"
import socket, threading
box = {{}}
def reader():
    with open({path:?}, "rb") as f:
        box["data"] = f.read()
def sender(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(box["data"])
    s.close()
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
a = threading.Thread(target=reader); a.start(); a.join()
b = threading.Thread(target=sender, args=(srv.getsockname()[1],)); b.start()
conn, _ = srv.accept(); conn.recv(100); conn.close(); b.join()
"#,
        path = secret.to_str().unwrap()
    );
    let g = capture(dir.path(), &["python3", "-c", &script]);
    let secrets = by_path(&g, secret.to_str().unwrap(), "file");
    assert!(!secrets.is_empty());
    // The sockets written by a `send`.
    let sent: Vec<NodeId> = g
        .edge_ids()
        .filter(|&e| g.edge_kind(e) == "send")
        .map(|e| g.endpoints(e).1)
        .collect();
    assert!(!sent.is_empty(), "a send was recorded");
    let skip = ["version_activity", "version_entity"];
    let reached = sent.iter().any(|&s| {
        let past = backward(&g, &[s], &skip);
        secrets.iter().any(|f| past.contains(f))
    });
    assert!(reached, "the socket's lineage reaches the file");
    // The reading task and the sending task are different threads of one process.
    let readers: HashSet<u64> = g
        .edge_ids()
        .filter(|&e| g.edge_kind(e) == "read" && secrets.contains(&g.endpoints(e).0))
        .map(|e| g.node(g.endpoints(e).1).object.0 as u64)
        .collect();
    let senders: HashSet<u64> = g
        .edge_ids()
        .filter(|&e| g.edge_kind(e) == "send")
        .map(|e| g.node(g.endpoints(e).0).object.0 as u64)
        .collect();
    assert!(!readers.is_empty() && !senders.is_empty());
    assert!(readers.is_disjoint(&senders), "two threads, two tasks");
}

#[test]
fn exec_of_a_written_file_rename_symlink_dup_and_setuid() {
    if !can_capture() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let script = format!(
        "cp /bin/true {d}/tool && chmod 755 {d}/tool && {d}/tool && mv {d}/tool {d}/renamed \
         && ln -s {d}/renamed {d}/alias && exec 3>{d}/dupped && echo x >&3 \
         && printf '#!/bin/sh\\ntrue\\n' > {d}/script && chmod +x {d}/script && {d}/script \
         && python3 -c 'import os; os.setuid(65534)'"
    );
    let g = capture(dir.path(), &["sh", "-c", &script]);
    let types = edge_types(&g);
    for t in [
        "exec", "write", "rename", "symlink", "dup", "setuid", "setattr", "clone",
    ] {
        assert!(types.contains(t), "{t} recorded; have {types:?}");
    }
    // The executed file is the one cp wrote.
    let tool = by_path(&g, &format!("{d}/tool"), "file");
    assert!(
        g.edge_ids()
            .any(|e| g.edge_kind(e) == "exec" && tool.contains(&g.endpoints(e).0)),
        "exec from the written file"
    );
    assert!(
        g.edge_ids()
            .any(|e| g.edge_kind(e) == "write" && tool.contains(&g.endpoints(e).1)),
        "cp wrote it"
    );
    // A script's exec comes from the script (the interpreter runs too, under its own name).
    let script = by_path(&g, &format!("{d}/script"), "file");
    assert!(
        g.edge_ids()
            .any(|e| g.edge_kind(e) == "exec" && script.contains(&g.endpoints(e).0)),
        "exec from the script file"
    );
    let sh = by_path(&g, "/usr/bin/sh", "file");
    assert!(
        sh.iter().all(|n| !script.contains(n)),
        "the interpreter is not named as the script"
    );
    // The rename gave the same object its new name.
    let renamed = by_path(&g, &format!("{d}/renamed"), "file");
    assert!(tool.iter().any(|t| {
        renamed
            .iter()
            .any(|r| g.node(*r).object == g.node(*t).object)
    }));
    // setuid made a process_memory version with the new uid.
    assert!(
        g.defined_nodes().any(
            |n| g.node_kind(n) == "process_memory" && g.node_attr(n, "cf:uid") == Some("65534")
        )
    );
}

/// The capture is opaque to itself: a tracked process that reads the capture's own
/// output file is recorded reading its other files, never that one, whose reads would
/// feed records of themselves back into it.
#[test]
fn reading_the_captures_own_output_is_not_recorded() {
    if !can_capture() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // The file common::capture writes to.
    let own = dir.path().join("capture.w3c.log");
    let other = dir.path().join("other.txt");
    std::fs::write(&other, "another file").unwrap();
    let (own, other) = (own.to_str().unwrap(), other.to_str().unwrap());
    let script = format!("sleep 0.3; cat '{own}' > /dev/null; cat '{other}' > /dev/null");
    let g = capture(dir.path(), &["sh", "-c", &script]);
    assert!(
        !by_path(&g, other, "file").is_empty(),
        "the other file was read"
    );
    assert!(
        by_path(&g, own, "file").is_empty(),
        "the capture recorded its own output being read"
    );
}
