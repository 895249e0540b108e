//! A capture under a workload that makes records faster than they can be written (1-byte
//! `dd`: a read and a write per byte, each one new relations): its memory stays bounded,
//! its output grows while it runs, and when it stops every record the kernel sent is
//! written (what did not fit in the ring buffer is counted as dropped). Root, and
//! PROVSCOPE_REQUIRE_BPF=1 turns a missing privilege into a failure.

mod common;

use common::can_capture;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The resident memory of process `pid`, in KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?;
    line.trim().trim_end_matches("kB").trim().parse().ok()
}

/// The number right after `label` in `text`.
fn number_after(text: &str, label: &str) -> u64 {
    let at = text
        .find(label)
        .unwrap_or_else(|| panic!("no '{label}' in: {text}"));
    let digits: String = text[at + label.len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no number after '{label}': {text}"))
}

#[test]
fn an_overloaded_capture_keeps_its_memory_and_writes_every_record_it_was_sent() {
    if !can_capture() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("busy.w3c.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_provscope"))
        .arg("capture")
        .arg("-o")
        .arg(&out)
        .args([
            "--",
            "dd",
            "if=/dev/zero",
            "of=/dev/null",
            "bs=1",
            "count=4000000",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let (mut peak_kib, mut written_while_running) = (0, 0);
    while child.try_wait().unwrap().is_none() {
        peak_kib = peak_kib.max(rss_kib(child.id()).unwrap_or(0));
        if started.elapsed() > Duration::from_secs(2) {
            written_while_running = std::fs::metadata(&out).map_or(0, |m| m.len());
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the capture hangs"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let run = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{err}");
    assert!(
        peak_kib < 1024 * 1024,
        "the capture grew to {peak_kib} KiB: {err}"
    );
    assert!(
        written_while_running > 0,
        "nothing was written while the workload ran: {err}"
    );
    assert_eq!(
        number_after(&err, "captured "),
        number_after(&err, "kernel: "),
        "every record sent is written: {err}"
    );
}
