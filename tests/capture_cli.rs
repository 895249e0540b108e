//! `provscope capture` as a user runs it: refusing without privilege, stopping cleanly on
//! Ctrl-C with its counts, and SPADE output. Root tests fail instead of skipping when
//! PROVSCOPE_REQUIRE_BPF=1 (set by .ci/run).

mod common;

use common::{provscope, stats_json};
use provscope::capture::ebpf::probe::has_privilege;
use std::process::{Command, Stdio};
use std::time::Duration;

fn can_capture() -> bool {
    if has_privilege() {
        return true;
    }
    assert!(
        std::env::var_os("PROVSCOPE_REQUIRE_BPF").is_none(),
        "PROVSCOPE_REQUIRE_BPF is set but this test runs without root"
    );
    eprintln!("skipped: capture needs root");
    false
}

#[test]
fn without_privilege_it_says_what_is_needed() {
    if !can_capture() {
        return;
    }
    // Drop to nobody, with no capabilities, as an unprivileged user would run it.
    let out = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
        ])
        .arg(env!("CARGO_BIN_EXE_provscope"))
        .args(["capture", "--duration", "1", "-o", "-"])
        .output()
        .expect("setpriv (util-linux) runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("root") && err.contains("CAP_BPF"), "{err}");
    assert!(out.stdout.is_empty(), "nothing captured");
}

#[test]
fn ctrl_c_ends_a_whole_system_capture_cleanly_with_counts() {
    if !can_capture() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("machine.w3c.log");
    let child = Command::new(env!("CARGO_BIN_EXE_provscope"))
        .args(["capture", "-o", out.to_str().unwrap()])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    // Some activity of our own to be sure the trace is not empty.
    for _ in 0..5 {
        let _ = std::fs::read("/etc/hostname");
        let _ = Command::new("true").status();
    }
    std::thread::sleep(Duration::from_millis(300));
    let capture_pid = child.id();
    // SAFETY: signalling our own child by pid.
    unsafe { libc::kill(capture_pid as libc::pid_t, libc::SIGINT) };
    let done = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&done.stderr);
    assert!(
        done.status.success(),
        "exit status {:?}: {err}",
        done.status
    );
    assert!(err.contains("captured") && err.contains("kernel:"), "{err}");
    let stats = stats_json(&[out.to_str().unwrap()]);
    assert_eq!(
        stats["skipped_lines"], 0,
        "every line is well-formed: {stats}"
    );
    assert!(stats["node_types"]["task"].as_u64().unwrap() > 0);
    // Never records itself: no process memory of the capture's process (it writes the
    // output file all the time, so any leak would show)...
    let tgid = |pid: u32| format!("\"cf:tgid\":{pid},");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        !text.contains(&tgid(capture_pid)),
        "the capture recorded itself"
    );
    // ...while this test process, which read /etc/hostname, is there.
    assert!(text.contains(&tgid(std::process::id())));
}

#[test]
fn spade_output_reads_back_as_spade() {
    if !can_capture() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cat.spade.json");
    let run = provscope(
        &[
            "capture",
            "--format",
            "spade",
            "-o",
            out.to_str().unwrap(),
            "--track",
            "--",
            "cat",
            "/etc/hostname",
        ],
        None,
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let stats = stats_json(&[out.to_str().unwrap()]);
    assert_eq!(stats["format"], "spade", "{stats}");
    assert!(
        stats["edge_types"]["read"].as_u64().unwrap_or(0) > 0,
        "{stats}"
    );
    assert!(
        stats["edge_types"]["exec"].as_u64().unwrap_or(0) > 0,
        "{stats}"
    );
}
