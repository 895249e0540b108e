//! The kernel side on this machine's real kernel: loading, attaching, records of a real
//! command. Needs root; with PROVSCOPE_REQUIRE_BPF=1 (set by .ci/run) a missing privilege
//! fails the test instead of skipping it.

mod common;

use provscope::capture::ebpf::event::{Event, decode};
use provscope::capture::ebpf::probe::Probe;
use std::time::{Duration, Instant};

fn probe_or_skip() -> Option<Probe> {
    if !common::can_capture() {
        return None;
    }
    Some(Probe::start().expect("the capture programs load and attach"))
}

#[test]
fn records_a_child_opening_a_file_with_its_inode() {
    let Some(mut probe) = probe_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("probe-target.txt");
    std::fs::write(&file, "hello").unwrap();
    let child = std::process::Command::new("cat")
        .arg(&file)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let status = child.wait_with_output().unwrap().status;
    assert!(status.success());
    let want = file.to_string_lossy().into_owned();
    let ino = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&file).unwrap());

    let mut opened = None;
    let mut exec_seen = false;
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline && (opened.is_none() || !exec_seen) {
        probe.drain(Duration::from_millis(50), |bytes| {
            match decode(bytes).expect("records decode") {
                Event::Syscall(e)
                    if e.actor.tgid == pid && e.strings[0].as_deref() == Some(want.as_bytes()) =>
                {
                    opened = Some(e.objects[0].ino);
                }
                Event::Exec(e) if e.actor.tgid == pid => {
                    exec_seen = e.filename.ends_with(b"cat");
                }
                _ => {}
            }
        });
    }
    assert!(exec_seen, "the exec of cat was recorded");
    assert_eq!(opened, Some(ino), "the open of the file, with its inode");
    let counters = probe.counters();
    assert!(counters[0] > 0, "events counted: {counters:?}");
    assert!(
        counters[3] > 0,
        "the test process itself is opaque: {counters:?}"
    );
}
