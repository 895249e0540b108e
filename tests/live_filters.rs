//! Capture filters toggled live, end to end as root: `provscope live --save F` in a
//! pseudo-terminal while a process keeps reading a file; F4 opens the filter panel, Enter
//! turns `relation_filter=read` on, and the panel shows what it drops; the part of the
//! saved recording written while the filter is on has no `read` relation (and other
//! relations still arrive); turned off again, reads come back. The saved file is the
//! capture's output, so this checks what the capture accepted, not what the screen says.

mod common;
#[path = "common/pty.rs"]
mod pty;
use common::*;
use pty::{PtyApp, keys};
use std::time::{Duration, Instant};

const W: u16 = 120;
const H: u16 = 30;

/// A process that reads a file over and over (each read follows an open, so the kernel
/// never compresses it away as an exact repeat) and writes a small file under `dir` after
/// each read. The writes keep other relations coming while reads are filtered: without
/// them, a filtered read makes no new version, so every other relation of the loop is an
/// exact repeat that compression drops, and nothing at all would pass. Killed when
/// dropped, even by a failing assertion.
struct Reader(std::process::Child);

impl Drop for Reader {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn reader(dir: &std::path::Path) -> Reader {
    let script = "import sys, time\ni = 0\nwhile True:\n    open('/etc/hostname').read()\n    open(f'{sys.argv[1]}/f{i % 500}', 'w').write('x')\n    i += 1\n    time.sleep(0.01)\n";
    let child = std::process::Command::new("/usr/bin/python3")
        .args(["-c", script])
        .arg(dir)
        .spawn()
        .expect("python3 runs");
    Reader(child)
}

/// `stats --json` of the bytes of `path` after `from` (whole W3C lines).
fn stats_after(path: &std::path::Path, from: usize) -> serde_json::Value {
    let bytes = std::fs::read(path).unwrap();
    let tail = std::path::PathBuf::from(format!("{}.tail", path.display()));
    std::fs::write(&tail, &bytes[from.min(bytes.len())..]).unwrap();
    stats_json(&[tail.to_str().unwrap()])
}

fn count(stats: &serde_json::Value, kind: &str) -> u64 {
    stats["edge_types"][kind].as_u64().unwrap_or(0)
}

/// Waits until the saved file has grown past `from` by at least `bytes`.
fn wait_growth(path: &std::path::Path, from: usize, bytes: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let len = std::fs::metadata(path).map_or(0, |m| m.len() as usize);
        if len >= from + bytes {
            return len;
        }
        assert!(Instant::now() < deadline, "the recording stopped growing");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_relation_filter_toggled_live_stops_and_restarts_read_edges() {
    if !can_capture() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("live.w3c.log");
    let mut app = PtyApp::spawn(&["live", "--save", saved.to_str().unwrap()], W, H, &[]);
    app.wait_for("LIVE", W, H);
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let busy = reader(&work);
    // Reads arrive before the filter.
    let start = wait_growth(&saved, 0, 20_000);
    assert!(
        count(&stats_after(&saved, 0), "read") > 0,
        "no reads before the filter"
    );

    app.keys(keys::F4);
    app.wait_for("Capture filters", W, H);
    app.keys(keys::ENTER);
    app.wait_for("relation_filter=read on", W, H);
    app.wait_for("[x] relation_filter=read", W, H);
    // What was built before the toggle may still be on its way: skip a moment.
    std::thread::sleep(Duration::from_millis(1500));
    let on_from = wait_growth(&saved, start, 0);
    let on_until = wait_growth(&saved, on_from, 20_000);
    std::thread::sleep(Duration::from_millis(1000));
    let while_on = stats_after(&saved, on_from);
    assert_eq!(
        count(&while_on, "read"),
        0,
        "read edges arrived while filtered: {while_on}"
    );
    assert!(
        count(&while_on, "memory_write") + count(&while_on, "open") > 0,
        "other relations must keep arriving: {while_on}"
    );
    // The panel shows what the filter drops, per second.
    let screen = app.screen(W, H).screen().contents();
    let row = screen
        .lines()
        .find(|l| l.contains("[x] relation_filter=read"))
        .expect("the filter row is on screen");
    let rate: u64 = row
        .split_whitespace()
        .find_map(|w| w.strip_suffix("/s").and_then(|n| n.parse().ok()))
        .unwrap_or(0);
    assert!(
        rate > 0,
        "the panel shows no drops for the read filter: {screen}"
    );

    // Off again: reads come back.
    app.keys(keys::ENTER);
    app.wait_for("relation_filter=read off", W, H);
    std::thread::sleep(Duration::from_millis(1500));
    let off_from = wait_growth(&saved, on_until, 0);
    wait_growth(&saved, off_from, 20_000);
    std::thread::sleep(Duration::from_millis(1000));
    assert!(
        count(&stats_after(&saved, off_from), "read") > 0,
        "reads never came back"
    );

    drop(busy);
    app.keys(keys::F10);
    assert_eq!(app.wait_exit(), 0);
}
