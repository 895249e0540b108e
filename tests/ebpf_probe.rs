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

/// Runs `cat file` as `uid`/`gid` (through setpriv) and returns its pid.
fn cat_as(uid: u32, gid: u32, file: &std::path::Path) -> u32 {
    let child = std::process::Command::new("setpriv")
        .args([
            &format!("--reuid={uid}"),
            &format!("--regid={gid}"),
            "--clear-groups",
            "cat",
        ])
        .arg(file)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("setpriv runs");
    let pid = child.id();
    assert!(child.wait_with_output().unwrap().status.success());
    pid
}

/// The processes (by tgid, among `pids`) whose open of `path` the probe recorded.
fn opened_by(probe: &mut Probe, path: &str, pids: &[u32]) -> Vec<u32> {
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        probe.drain(Duration::from_millis(50), |bytes| {
            if let Ok(Event::Syscall(e)) = decode(bytes)
                && pids.contains(&e.actor.tgid)
                && e.strings[0].as_deref() == Some(path.as_bytes())
                && !seen.contains(&e.actor.tgid)
            {
                seen.push(e.actor.tgid);
            }
        });
    }
    seen.sort_unstable();
    seen
}

#[test]
fn user_and_group_filters_hide_small_and_large_ids_in_the_kernel() {
    let Some(mut probe) = probe_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let file = dir.path().join("filter-target.txt");
    std::fs::write(&file, "hello").unwrap();
    let path = file.to_string_lossy().into_owned();
    // 65534 and 4242 are below the kernel's bit-array limit; 200000 is kept in its hash.
    probe.set_uid_filtered(65534, true).unwrap();
    probe.set_uid_filtered(200_000, true).unwrap();
    probe.set_gid_filtered(4242, true).unwrap();
    let root = cat_as(0, 0, &file);
    let nobody = cat_as(65534, 65534, &file);
    let large = cat_as(200_000, 200_000, &file);
    let group = cat_as(0, 4242, &file);
    assert_eq!(
        opened_by(&mut probe, &path, &[root, nobody, large, group]),
        vec![root],
        "only the unfiltered process is recorded (root {root}, uid 65534 {nobody}, uid 200000 {large}, gid 4242 {group})"
    );
    let counters = probe.counters();
    assert!(counters[5] > 0, "user filter counted: {counters:?}");
    assert!(counters[6] > 0, "group filter counted: {counters:?}");

    // Lifting a filter takes effect at once, for the bit-array and the hash alike.
    probe.set_uid_filtered(65534, false).unwrap();
    probe.set_uid_filtered(200_000, false).unwrap();
    let nobody = cat_as(65534, 65534, &file);
    let large = cat_as(200_000, 200_000, &file);
    let group = cat_as(0, 4242, &file);
    let mut want = vec![nobody, large];
    want.sort_unstable();
    assert_eq!(opened_by(&mut probe, &path, &[nobody, large, group]), want);
}
