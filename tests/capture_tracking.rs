//! CamFlow's selective capture in the running kernel (`all=false`): tracking seeded by a
//! `propagate` file, by a user or group, or by IPv4 egress and ingress rules, and spread
//! along information flows (a process reading a propagating file propagates; a
//! propagating process's writes propagate), except through the propagate filters. Each
//! test captures the whole machine under a policy and checks what was and was not
//! recorded. Root, and PROVSCOPE_REQUIRE_BPF=1 turns a missing privilege into a failure.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::can_capture;
use common::capture::capture_under_policy;
use common::walk::{NOT_DATA, backward, by_path};
use provscope::graph::ProvGraph;
use provscope::graph::store::NodeId;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// A directory others may read (the user tests run programs as nobody).
fn open_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

fn path_of(dir: &Path, name: &str) -> String {
    dir.join(name).to_string_lossy().into_owned()
}

/// True when information in `nodes` can have come from the file at `source`.
fn traces_back(g: &ProvGraph, nodes: &[NodeId], source: &str) -> bool {
    let lineage = backward(g, nodes, &NOT_DATA);
    by_path(g, source, "file")
        .iter()
        .any(|n| lineage.contains(n))
}

/// True when the graph names `path` at all (a path entity, whatever it names).
fn names(g: &ProvGraph, path: &str) -> bool {
    ["file", "path"]
        .iter()
        .any(|kind| !by_path(g, path, kind).is_empty())
}

/// The copy chain `secret → copy → copy2` by two processes, and an unrelated copy by a
/// third, under `filters` added to a policy that makes the secret propagate.
fn copy_chain(filters: &str) -> (ProvGraph, [String; 4], String) {
    let dir = open_dir();
    let [secret, copy, copy2, other] =
        ["secret", "copy", "copy2", "other"].map(|n| path_of(dir.path(), n));
    std::fs::write(&secret, "the secret").unwrap();
    let unrelated = path_of(dir.path(), "unrelated");
    std::fs::write(&unrelated, "nothing").unwrap();
    let policy = format!("[provenance]\nall=false\n{filters}\n[file]\npropagate={secret}\n");
    let script = format!("cp {secret} {copy}; cp {copy} {copy2}; cp {unrelated} {other}");
    let (g, stderr) = capture_under_policy(dir.path(), &policy, &["sh", "-c", &script]);
    (g, [secret, copy, copy2, other], stderr)
}

#[test]
fn tracking_propagates_from_a_file_through_the_processes_that_copy_it() {
    if !can_capture() {
        return;
    }
    let (g, [secret, copy, copy2, other], stderr) = copy_chain("");
    assert!(!stderr.contains("not applied"), "{stderr}");
    let copy2_nodes = by_path(&g, &copy2, "file");
    assert!(
        !copy2_nodes.is_empty(),
        "the second copy was written by a process that read a propagating file"
    );
    assert!(
        traces_back(&g, &copy2_nodes, &secret),
        "the second copy traces back to the secret"
    );
    assert!(!by_path(&g, &copy, "file").is_empty());
    assert!(
        !names(&g, &other),
        "a process that touched nothing tracked is not recorded"
    );
}

#[test]
fn propagate_filters_stop_tracking_at_a_relation_or_a_node_type() {
    if !can_capture() {
        return;
    }
    for filter in [
        "propagate_relation_filter=write",
        "propagate_node_filter=file",
    ] {
        let (g, [secret, copy, copy2, _], _) = copy_chain(filter);
        assert!(
            !by_path(&g, &secret, "file").is_empty(),
            "{filter}: the secret is tracked"
        );
        assert!(
            !by_path(&g, &copy, "file").is_empty(),
            "{filter}: the reader of the secret is tracked, so its write is recorded"
        );
        assert!(
            !names(&g, &copy2),
            "{filter}: tracking did not pass into the first copy, so its reader is not tracked"
        );
    }
}

#[test]
fn a_tracked_user_or_group_is_recorded_and_others_are_not() {
    if !can_capture() {
        return;
    }
    let dir = open_dir();
    let [by_user, by_group, by_root] =
        ["by-user", "by-group", "by-root"].map(|n| path_of(dir.path(), n));
    for f in [&by_user, &by_group, &by_root] {
        std::fs::write(f, "x").unwrap();
    }
    let policy = "[provenance]\nall=false\n[user]\ntrack=nobody\n[group]\ntrack=4242\n";
    let script = format!(
        "setpriv --reuid=65534 --regid=65534 --clear-groups cat {by_user} >/dev/null; \
         setpriv --regid=4242 --clear-groups cat {by_group} >/dev/null; \
         cat {by_root} >/dev/null"
    );
    let (g, stderr) = capture_under_policy(dir.path(), policy, &["sh", "-c", &script]);
    assert!(!stderr.contains("not applied"), "{stderr}");
    assert!(
        names(&g, &by_user),
        "the process running as nobody is tracked"
    );
    assert!(
        names(&g, &by_group),
        "the process running as group 4242 is tracked"
    );
    assert!(!names(&g, &by_root), "root's process is not");
}

/// Connects from forked children to 127.0.0.2 and 127.0.0.3, from the parent to a child
/// listening on 127.0.0.4, and sends a datagram to 127.0.0.5.
const NET: &str = r#"
import os, socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.5", 0))
pid = os.fork()
if pid == 0:
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.connect(u.getsockname())
    c.send(b"the recorded datagram")
    os._exit(0)
u.recv(100)
os.waitpid(pid, 0)
def serve(host):
    s = socket.socket()
    s.bind((host, 0))
    s.listen(1)
    return s
targets = [serve("127.0.0.2"), serve("127.0.0.3")]
children = []
for t in targets:
    pid = os.fork()
    if pid == 0:
        c = socket.socket()
        c.connect(t.getsockname())
        c.sendall(b"hello")
        c.close()
        os._exit(0)
    children.append(pid)
for t in targets:
    conn, _ = t.accept()
    conn.recv(100)
    conn.close()
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r)
    s = serve("127.0.0.4")
    os.write(w, str(s.getsockname()[1]).encode())
    os.close(w)
    conn, _ = s.accept()
    conn.recv(100)
    conn.close()
    os._exit(0)
children.append(pid)
os.close(w)
port = int(os.read(r, 100))
c = socket.socket()
c.connect(("127.0.0.4", port))
c.sendall(b"in")
c.close()
for p in children:
    os.waitpid(p, 0)
"#;

/// The hosts of the IPv4 address entities in the graph.
fn inet_hosts(g: &ProvGraph) -> Vec<String> {
    g.defined_nodes()
        .filter(|&n| g.node_kind(n) == "address")
        .filter_map(|n| g.node_attr_text(n, "cf:address"))
        .filter_map(|a| {
            let v: serde_json::Value = serde_json::from_str(&a).ok()?;
            Some(v.get("host")?.as_str()?.to_string())
        })
        .collect()
}

#[test]
fn ipv4_egress_and_ingress_rules_track_the_processes_that_connect_and_bind() {
    if !can_capture() {
        return;
    }
    let dir = open_dir();
    let policy = "[provenance]\nall=false\n[ipv4−egress]\ntrack=127.0.0.2/32\n\
                  record=127.0.0.5/32\n[ipv4-ingress]\ntrack=127.0.0.4/32:0\n";
    let (g, stderr) = capture_under_policy(dir.path(), policy, &["python3", "-c", NET]);
    assert!(!stderr.contains("not applied"), "{stderr}");
    let hosts = inet_hosts(&g);
    assert!(
        hosts.iter().any(|h| h == "127.0.0.2"),
        "the connect to 127.0.0.2 is recorded: {hosts:?}"
    );
    assert!(
        hosts.iter().any(|h| h == "127.0.0.4"),
        "the bind to 127.0.0.4 is recorded: {hosts:?}"
    );
    assert!(
        !hosts.iter().any(|h| h == "127.0.0.3"),
        "the connect to 127.0.0.3 matches no rule: {hosts:?}"
    );
    let sent = g
        .edge_ids()
        .filter(|&e| g.edge_kind(e) == "send_packet")
        .count();
    assert!(sent > 0, "the tracked connection's packets are recorded");
    let contents: Vec<Vec<u8>> = g
        .defined_nodes()
        .filter(|&n| g.node_kind(n) == "packet_content")
        .filter_map(|n| g.node_attr_text(n, "cf:content"))
        .map(|b64| {
            STANDARD
                .decode(b64.as_bytes())
                .expect("cf:content is base64")
        })
        .collect();
    assert!(
        contents
            .iter()
            .any(|c| c.ends_with(b"the recorded datagram") && c[0] == 0x45),
        "the record rule's datagram is recorded whole, from its IP header: {contents:?}"
    );
    assert_eq!(
        contents.len(),
        1,
        "only the recording socket's packet has content"
    );
}

/// A fresh cgroup (v2, where the kernel's cgroup ids live), removed when dropped.
struct Cgroup(std::path::PathBuf);

impl Cgroup {
    fn new() -> Cgroup {
        let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap();
        let root = mounts
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .find(|f| f.get(2) == Some(&"cgroup2"))
            .map(|f| f[1].to_string())
            .expect("a cgroup2 hierarchy is mounted");
        let dir = Path::new(&root).join(format!("provscope-test-{}", std::process::id()));
        std::fs::create_dir(&dir).expect("a cgroup can be made");
        Cgroup(dir)
    }

    fn id(&self) -> u64 {
        std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&self.0).unwrap())
    }
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}

#[test]
fn a_tracked_cgroup_is_recorded_and_processes_outside_it_are_not() {
    if !can_capture() {
        return;
    }
    let cgroup = Cgroup::new();
    let dir = open_dir();
    let [inside, outside] = ["inside", "outside"].map(|n| path_of(dir.path(), n));
    for f in [&inside, &outside] {
        std::fs::write(f, "x").unwrap();
    }
    let policy = format!("[provenance]\nall=false\n[cgroup]\ntrack={}\n", cgroup.id());
    let procs = cgroup.0.join("cgroup.procs");
    let script = format!(
        "cat {outside} >/dev/null; sh -c 'echo $$ > {}; exec cat {inside}' >/dev/null",
        procs.display()
    );
    let (g, stderr) = capture_under_policy(dir.path(), &policy, &["sh", "-c", &script]);
    assert!(!stderr.contains("not applied"), "{stderr}");
    assert!(names(&g, &inside), "the process in the cgroup is tracked");
    assert!(!names(&g, &outside), "the process outside it is not");
}

#[test]
fn a_policy_that_drops_packets_stops_them_in_the_kernel() {
    if !can_capture() {
        return;
    }
    let dir = open_dir();
    let script = "import socket\n\
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n\
        u.bind(('127.0.0.1', 0))\n\
        for _ in range(50):\n    u.sendto(b'x', u.getsockname())\n    u.recv(10)\n";
    for (policy, sent) in [("", true), ("[provenance]\nnode_filter=packet\n", false)] {
        let (_, stderr) = capture_under_policy(dir.path(), policy, &["python3", "-c", script]);
        let kernel = stderr
            .lines()
            .find(|l| l.starts_with("provscope: kernel:"))
            .unwrap_or_else(|| panic!("the capture reports its counters: {stderr}"));
        assert_eq!(
            !kernel.contains("(0 packet(s))"),
            sent,
            "policy {policy:?}: {kernel}"
        );
    }
}

#[test]
fn a_file_opened_before_tracking_began_is_named_when_a_tracked_process_writes_it() {
    if !can_capture() {
        return;
    }
    // On the root file system, and on another mount (the path walk crosses into it).
    for base in [std::env::temp_dir(), std::path::PathBuf::from("/dev/shm")] {
        let dir = tempfile::tempdir_in(&base).unwrap();
        let [secret, out] = ["secret", "out"].map(|n| path_of(dir.path(), n));
        std::fs::write(&secret, "the secret").unwrap();
        // The shell, never tracked, opens `out`; cat becomes tracked by reading the
        // secret and then writes `out` through the fd it was given: no recorded open
        // names it.
        let policy = format!("[provenance]\nall=false\n[file]\npropagate={secret}\n");
        let script = format!("cat {secret} > {out}");
        let (g, _) = capture_under_policy(dir.path(), &policy, &["sh", "-c", &script]);
        let written = by_path(&g, &out, "file");
        assert!(
            !written.is_empty(),
            "{out}: the written file is named by its path"
        );
        assert!(
            traces_back(&g, &written, &secret),
            "{out} traces back to the secret"
        );
    }
}
