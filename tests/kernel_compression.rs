//! The kernel side drops exact repeats of reads and writes before they reach the ring
//! buffer (CamFlow's edge compression, moved into the kernel). That must change nothing in
//! the recorded graph: the same workload recorded with kernel compression on and off gives
//! the same vertices and relations by type, while the records sent fall by the repeats.
//! Needs root; PROVSCOPE_REQUIRE_BPF=1 (set by .ci/run) fails instead of skipping.

mod common;

use common::walk::by_path;
use provscope::capture::builder::host::Host;
use provscope::capture::camflow::reader::{ReaderOptions, read_trace};
use provscope::capture::ebpf::probe::{COMPRESSED_SLOT, Probe, TRACKED};
use provscope::capture::recorder::{Recorder, RecordingReport};
use provscope::graph::ProvGraph;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Lines in the input file; dash's `read` takes them one byte at a time.
const LINES: usize = 2000;

struct Run {
    graph: ProvGraph,
    recording: RecordingReport,
    kernel_compressed: u64,
    kernel_sent: u64,
}

/// Runs `program` (which waits for a line on stdin before it starts, so that it is
/// tracked from then on and both runs record the same calls), recorded with the kernel's
/// compression on or off.
fn record(program: &[&str], compress: bool) -> Run {
    // Attached only once the filters are set, so nothing else on the machine is recorded.
    let mut probe = Probe::load().expect("the capture programs load");
    probe.set_compression(compress).unwrap();
    let mut child = Command::new(program[0])
        .args(&program[1..])
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until_reading_stdin(child.id());
    probe.set_process(child.id(), TRACKED).unwrap();
    probe.set_track_only(true).unwrap();
    probe.attach().unwrap();
    let mut out = Vec::new();
    let mut recorder = Recorder::new(Host::read(), &mut out);
    child.stdin.take().unwrap().write_all(b"go\n").unwrap();
    let status = child.wait().unwrap();
    assert!(status.success());
    // Drain until the ring buffer stays empty.
    let deadline = Instant::now() + Duration::from_secs(10);
    while recorder
        .pump(&mut probe, Duration::from_millis(100))
        .unwrap()
        > 0
        && Instant::now() < deadline
    {}
    let recording = recorder.finish().unwrap();
    let counters = probe.counters();
    let mut graph = ProvGraph::new();
    read_trace(
        std::io::Cursor::new(out),
        &ReaderOptions::default(),
        &mut graph,
    )
    .unwrap();
    Run {
        graph,
        recording,
        kernel_compressed: counters[COMPRESSED_SLOT],
        kernel_sent: counters[0],
    }
}

/// Waits until `pid` blocks in read(0, ...): its start-up (loader, libraries) is over, so
/// tracking it from here on records the same calls every time.
fn wait_until_reading_stdin(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let syscall = std::fs::read_to_string(format!("/proc/{pid}/syscall")).unwrap_or_default();
        if syscall.starts_with("0 0x0 ") {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("process {pid} never waited on its stdin");
}

/// The system's python (a version manager's shim would run scripts of its own first).
fn python() -> &'static str {
    if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

/// `read` relations out of any version of the file at `path`.
fn reads_from(g: &ProvGraph, path: &Path) -> usize {
    let files = by_path(g, path.to_str().unwrap(), "file");
    g.edge_ids()
        .filter(|&e| g.edge_kind(e) == "read" && files.contains(&g.endpoints(e).0))
        .count()
}

fn by_type(g: &ProvGraph) -> (BTreeMap<String, usize>, BTreeMap<String, usize>) {
    let mut nodes = BTreeMap::new();
    for n in g.node_ids() {
        *nodes.entry(g.node_kind(n).to_string()).or_default() += 1;
    }
    let mut edges = BTreeMap::new();
    for e in g.edge_ids() {
        *edges.entry(g.edge_kind(e).to_string()).or_default() += 1;
    }
    (nodes, edges)
}

#[test]
fn kernel_compression_drops_repeats_without_changing_the_graph() {
    if !common::can_capture() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("lines.txt");
    let text: String = (1..=LINES).map(|i| format!("{i}\n")).collect();
    std::fs::write(&input, &text).unwrap();
    let output = dir.path().join("count.txt");

    // A shell loop reads the file byte by byte, writing a progress line now and then
    // (after which a read is new again).
    let script = format!(
        "read go; n=0; while read -r l; do n=$((n+1)); [ $((n % 400)) = 0 ] && echo $n >> '{log}'; done < '{}'; echo $n > '{}'",
        input.display(),
        output.display(),
        log = output.with_extension("log").display()
    );
    let count = || std::fs::read_to_string(&output).unwrap().trim().to_string();
    let off = record(&["sh", "-c", &script], false);
    assert_eq!(count(), LINES.to_string(), "the loop read every line");
    let on = record(&["sh", "-c", &script], true);
    assert_eq!(count(), LINES.to_string(), "the loop read every line");

    // Without kernel compression every byte read reaches the builder, which drops the
    // repeats itself; with it, the kernel drops them and sends a handful of records.
    assert_eq!(off.kernel_compressed, 0);
    assert!(
        off.recording.builder.compressed as usize >= text.len(),
        "the builder compressed {} repeats",
        off.recording.builder.compressed
    );
    assert!(
        on.kernel_compressed as usize >= text.len() - 100,
        "the kernel compressed {} of {} reads",
        on.kernel_compressed,
        text.len()
    );
    assert!(
        on.kernel_sent * 20 < off.kernel_sent,
        "records sent: {} with compression, {} without",
        on.kernel_sent,
        off.kernel_sent
    );
    // And the graphs are the same.
    assert_eq!(by_type(&on.graph), by_type(&off.graph));
    assert_eq!(on.recording.written, off.recording.written);
    let reads_of_input = |g: &ProvGraph| reads_from(g, &input);
    assert!(reads_of_input(&on.graph) >= 1, "the read is in the graph");
    assert_eq!(reads_of_input(&on.graph), reads_of_input(&off.graph));
}

/// A reader repeats the same read while another process appends to the file between
/// rounds, coordinated through shared memory (which records nothing): each append makes
/// a new version of the file, so the reader's next read is new and must be recorded even
/// though nothing in the reader's own process changed.
const WRITER_BETWEEN_READS: &str = r#"
import mmap, os, sys
sys.stdin.readline()
path, rounds = sys.argv[1], int(sys.argv[2])
flag = mmap.mmap(-1, 1)
writer = os.fork()
if writer == 0:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    source = os.open(path + ".src", os.O_RDONLY)
    for _ in range(rounds):
        while flag[0] != 1:
            pass
        # New input first, so that each write carries something new (CamFlow compresses
        # a writer's unchanged repeats however often the file is read in between).
        os.pread(source, 1, 0)
        os.write(fd, b"x")
        flag[0] = 2
    os._exit(0)
fd = os.open(path, os.O_RDONLY)
for _ in range(rounds):
    for _ in range(50):
        os.pread(fd, 1, 0)
    flag[0] = 1
    while flag[0] != 2:
        pass
    flag[0] = 0
os.waitpid(writer, 0)
"#;

#[test]
fn a_write_by_another_process_makes_the_next_repeat_new() {
    if !common::can_capture() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shared.txt");
    let rounds = 20;
    let program = |file: &Path| {
        std::fs::write(file, "x").unwrap();
        std::fs::write(file.with_extension("txt.src"), "y").unwrap();
        vec![
            python().to_string(),
            "-B".to_string(),
            "-c".to_string(),
            WRITER_BETWEEN_READS.to_string(),
            file.to_string_lossy().into_owned(),
            rounds.to_string(),
        ]
    };
    let args = program(&file);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let off = record(&args, false);
    let args = program(&file);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let on = record(&args, true);
    assert!(
        on.kernel_compressed >= (rounds * 40) as u64,
        "the kernel compressed {} repeats",
        on.kernel_compressed
    );
    let reads = |g: &ProvGraph| reads_from(g, &file);
    assert!(
        reads(&off.graph) >= rounds,
        "a read from every version: {}",
        reads(&off.graph)
    );
    assert_eq!(reads(&on.graph), reads(&off.graph));
    assert_eq!(by_type(&on.graph), by_type(&off.graph));
}
