//! `provscope attach relay:DIR` end to end: the real binary in a pseudo-terminal reading a
//! directory of CamFlow relay channels that the test writes byte by byte (two CPUs, short
//! and long channels, records at the offsets of reference §5.1 for the v0.9.0 headers).
//! The counts the statistics screen shows are checked against what the records hold, and
//! records appended while the UI runs (on a known CPU and on one that comes online) grow
//! the counts.

#[path = "common/pty.rs"]
mod pty;
use pty::{PtyApp, keys};
use std::io::Write;
use std::path::Path;

const W: u16 = 100;
const H: u16 = 40;

const TASK: u64 = 0x4000_0000_0000_0001;
const FILE: u64 = 0x2000_0000_0000_0100;
const PATH: u64 = 0x2400_0000_0040_0000;
const MACHINE: u64 = 0x1400_0000_0000_0010;
const READ: u64 = 0x8020_0000_0000_0001;
const WRITE: u64 = 0x8040_0000_0000_0020;
const NAMED: u64 = 0x8080_0000_0000_0001;
const RAN_ON: u64 = 0x8004_0000_0000_0001;

/// An identifier: type, id, boot 1, machine 42, version.
fn id(kind: u64, n: u64, version: u32) -> Vec<u8> {
    let mut b = Vec::with_capacity(32);
    b.extend_from_slice(&kind.to_le_bytes());
    b.extend_from_slice(&n.to_le_bytes());
    b.extend_from_slice(&1u32.to_le_bytes());
    b.extend_from_slice(&42u32.to_le_bytes());
    b.extend_from_slice(&version.to_le_bytes());
    b.resize(32, 0);
    b
}

/// A record of `size` bytes: the identifier at 0, then `fields` at their offsets.
fn record(size: usize, ident: Vec<u8>, fields: &[(usize, &[u8])]) -> Vec<u8> {
    let mut r = vec![0u8; size];
    r[..32].copy_from_slice(&ident);
    for (at, bytes) in fields {
        r[*at..*at + bytes.len()].copy_from_slice(bytes);
    }
    r
}

fn task(n: u64, pid: u32) -> Vec<u8> {
    record(256, id(TASK, n, 0), &[(144, &pid.to_le_bytes())])
}

fn file(n: u64, ino: u64) -> Vec<u8> {
    record(256, id(FILE, n, 0), &[(144, &ino.to_le_bytes())])
}

fn path(n: u64, name: &str) -> Vec<u8> {
    let len = (name.len() as u64).to_le_bytes();
    record(
        4280,
        id(PATH, n, 0),
        &[(144, name.as_bytes()), (4240, &len)],
    )
}

fn machine() -> Vec<u8> {
    record(
        4280,
        id(MACHINE, 5381, 1),
        &[
            (144, &[0, 9, 0]),
            (147, b"Linux"),
            (147 + 65, b"camflow-host"),
        ],
    )
}

/// A relation `n` from `snd` to `rcv`.
fn relation(kind: u64, n: u64, snd: Vec<u8>, rcv: Vec<u8>) -> Vec<u8> {
    record(256, id(kind, n, 0), &[(72, &snd), (104, &rcv)])
}

fn append(path: &Path, bytes: &[u8]) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(bytes).unwrap();
}

/// Two CPUs: a task and its ran_on on CPU 0, a file read by the task on CPU 1, the
/// machine and the file's path on the long channels. 4 nodes, 3 edges.
fn relay_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut cpu0 = task(1, 3666);
    cpu0.extend(relation(RAN_ON, 1, id(MACHINE, 5381, 1), id(TASK, 1, 0)));
    cpu0.extend(relation(NAMED, 2, id(PATH, 7, 0), id(FILE, 2, 0)));
    append(&d.join("provenance0"), &cpu0);
    let mut cpu1 = file(2, 131_073);
    cpu1.extend(relation(READ, 3, id(FILE, 2, 0), id(TASK, 1, 0)));
    append(&d.join("provenance1"), &cpu1);
    append(&d.join("long_provenance0"), &machine());
    append(&d.join("long_provenance1"), &path(7, "/etc/passwd"));
    dir
}

/// The count a statistics line shows for `name` (`│  name      n   │`).
fn stat(screen: &str, name: &str) -> Option<u64> {
    screen.lines().find_map(|line| {
        let inner = line.trim_matches(|c: char| c == '│' || c.is_whitespace());
        let rest = inner.strip_prefix(name)?;
        rest.starts_with(' ').then_some(())?;
        rest.trim().parse().ok()
    })
}

#[test]
fn a_relay_dir_of_two_cpus_shows_the_counts_its_records_hold() {
    let dir = relay_dir();
    let source = format!("relay:{}", dir.path().display());
    let mut app = PtyApp::spawn(&["attach", &source], W, H, &[]);
    app.wait_for("4 nodes 3 edges", W, H);
    app.wait_for("LIVE", W, H);
    app.keys(keys::F8);
    let screen = app.wait_for("Edge types", W, H);
    for (name, n) in [
        ("nodes", 4),
        ("edges", 3),
        ("dangling edges", 0),
        ("skipped lines", 0),
        ("skipped elements", 0),
        ("task", 1),
        ("file", 1),
        ("path", 1),
        ("machine", 1),
        ("read", 1),
        ("named", 1),
        ("ran_on", 1),
    ] {
        assert_eq!(stat(&screen, name), Some(n), "{name}; screen:\n{screen}");
    }
    app.keys(keys::ESC);
    app.wait_for("Navigator", W, H);
    // The file is found by its path name.
    app.keys(b"/passwd");
    app.wait_for("matches", W, H);
    app.keys(keys::ENTER);
    app.wait_for("/etc/passwd", W, H);
    app.keys(b"q");
    assert_eq!(app.wait_exit(), 0);
}

#[test]
fn records_appended_while_attached_grow_the_counts() {
    let dir = relay_dir();
    let d = dir.path();
    let source = format!("relay:{}", d.display());
    let mut app = PtyApp::spawn(&["attach", &source], W, H, &[]);
    app.wait_for("4 nodes 3 edges", W, H);

    // CPU 0 records a write to a new file.
    let mut more = file(20, 9);
    more.extend(relation(WRITE, 4, id(TASK, 1, 0), id(FILE, 20, 0)));
    append(&d.join("provenance0"), &more);
    app.wait_for("5 nodes 4 edges", W, H);

    // CPU 2 comes online with a task of its own.
    let mut cpu2 = task(30, 4000);
    cpu2.extend(relation(RAN_ON, 5, id(MACHINE, 5381, 1), id(TASK, 30, 0)));
    append(&d.join("provenance2"), &cpu2);
    app.wait_for("6 nodes 5 edges", W, H);

    app.keys(b"q");
    assert_eq!(app.wait_exit(), 0);
}

#[test]
fn a_directory_without_relay_channels_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let source = format!("relay:{}", dir.path().display());
    let mut app = PtyApp::spawn(&["attach", &source], W, H, &[]);
    app.wait_for("BROKEN: no CamFlow relay channels", W, H);
    app.keys(b"q");
    assert_eq!(app.wait_exit(), 0);
}
