//! `provscope capture` as a user runs it: refusing without privilege, stopping cleanly on
//! Ctrl-C with its counts, and SPADE output. Root tests fail instead of skipping when
//! PROVSCOPE_REQUIRE_BPF=1 (set by .ci/run).

mod common;

use common::{can_capture, provscope, stats_json};
use std::process::{Command, Stdio};
use std::time::Duration;

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
    // Recording once the first document is out (about a second after attaching).
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::fs::metadata(&out).map_or(0, |m| m.len()) == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the capture never wrote"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Some activity of our own to be sure the trace is not empty.
    for _ in 0..5 {
        let _ = std::fs::read("/etc/hostname");
        let _ = Command::new("true").status();
    }
    std::thread::sleep(Duration::from_millis(1300));
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

/// `bench overhead` in its shortest form: every LMbench row measured in each mode, the
/// filtered-out mode recording nothing of the loops, the capture-all mode recording them
/// (repeats compressed in the kernel), and the throughput run accounting for every read.
/// The backing files of the loop devices whose image name holds `name`.
fn loop_devices_on(name: &str) -> Vec<String> {
    std::fs::read_dir("/sys/block")
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|e| std::fs::read_to_string(e.path().join("loop/backing_file")).ok())
        .filter(|f| f.contains(name))
        .collect()
}

/// One overhead benchmark at a time: each checks that no loop device of its kind is left.
static ONE_BENCH: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn the_overhead_benchmark_measures_every_row_in_every_mode() {
    if !can_capture() {
        return;
    }
    let _one = ONE_BENCH.lock().unwrap_or_else(|e| e.into_inner());
    let run = common::provscope(
        &[
            "bench",
            "overhead",
            "--iterations",
            "1000",
            "--rounds",
            "1",
            "--json",
        ],
        None,
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).expect("one JSON object");
    let rows = report["rows"].as_array().unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r["row"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "null_read",
            "null_write",
            "stat",
            "open_close",
            "fork_exit",
            "fork_exec",
            "fork_sh",
            "create_0k",
            "delete_0k",
            "create_10k",
            "delete_10k"
        ]
    );
    for row in rows {
        for mode in [
            "vanilla_us",
            "capture_all_us",
            "filtered_out_us",
            "empty_programs_us",
        ] {
            assert!(row[mode].as_f64().unwrap() > 0.0, "{row}");
        }
        assert!(row["camflow_percent"].as_f64().is_some(), "{row}");
    }
    // The modes take turns batch by batch: every mode has a sample in every turn.
    for row in rows {
        let samples = &row["samples_us"];
        let n = samples["vanilla"].as_array().unwrap().len();
        assert!(n >= 5, "{row}");
        for mode in ["capture_all", "filtered_out", "empty_programs"] {
            assert_eq!(samples[mode].as_array().unwrap().len(), n, "{row}");
        }
    }
    // The empty programs really sit on sys_exit (a null read pays for the dispatch),
    // and cost less than the capture's own programs doing their work.
    let null_read = &rows[0];
    // DESIGN's per-syscall figure for the rows of a known few syscalls, none for forks.
    assert!(
        null_read["filtered_out_ns_per_syscall"].as_f64().is_some(),
        "{null_read}"
    );
    assert!(
        rows[4]["filtered_out_ns_per_syscall"].is_null(),
        "{}",
        rows[4]
    );
    let empty = null_read["empty_programs_percent"].as_f64().unwrap();
    assert!(empty > 0.0, "{null_read}");
    assert!(
        empty < null_read["capture_all_percent"].as_f64().unwrap(),
        "{null_read}"
    );
    // The loops ran on a journaled ext4 made for the run (root, mkfs.ext4 and a loop
    // device are there), which is gone afterwards; the two sides on separate CPUs.
    assert_eq!(
        report["work_fs"],
        "ext4 (journaled), a loop image in /dev/shm",
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    // Its mount lives in the run's own mount namespace; its loop device and image go
    // with it.
    let loops = loop_devices_on("provscope-scratch");
    assert!(loops.is_empty(), "{loops:?}");
    let left: Vec<_> = std::fs::read_dir("/dev/shm")
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("provscope-scratch")
        })
        .collect();
    assert!(left.is_empty(), "{left:?}");
    if std::thread::available_parallelism().map_or(1, |n| n.get()) > 1 {
        assert!(
            report["pinning"]
                .as_str()
                .unwrap()
                .starts_with("worker on CPU "),
            "{}",
            report["pinning"]
        );
    }
    let all = &report["capture_all"];
    assert!(all["records"].as_u64().unwrap() > 0, "{all}");
    assert!(
        all["kernel"]["compressed: exact repeats"].as_u64().unwrap() >= 1000,
        "the null I/O loops' repeats are compressed in the kernel: {all}"
    );
    let filtered = &report["filtered_out"];
    // The rest of the machine (other tests included) is still recorded in that mode; the
    // loops are not.
    assert!(
        filtered["kernel"]["filtered: user"].as_u64().unwrap() > 1000,
        "{filtered}"
    );
    assert!(
        filtered["records"].as_u64().unwrap() < all["records"].as_u64().unwrap(),
        "{filtered} vs {all}"
    );
    // Both throughput runs: every call the worker made is sent or counted as dropped;
    // the copy loop's records are not folded, so it writes far more elements per record.
    let elements_per_record = |t: &serde_json::Value| {
        let sent = t["kernel_events"].as_u64().unwrap();
        let dropped = t["dropped_ring_buffer_full"].as_u64().unwrap();
        let calls = t["worker_calls"].as_u64().unwrap();
        assert!(
            sent + dropped >= calls,
            "every call is sent or counted: {t}"
        );
        assert!(t["events_per_s"].as_f64().unwrap() > 0.0, "{t}");
        t["elements_written"].as_f64().unwrap() / t["records"].as_f64().unwrap()
    };
    let (reads, copy) = (&report["throughput"], &report["copy_throughput"]);
    assert_eq!(
        (&reads["workload"], &copy["workload"]),
        (&"reads".into(), &"copy".into())
    );
    assert!(
        elements_per_record(copy) > 1.0 && elements_per_record(reads) < 0.1,
        "{reads} {copy}"
    );
    // The programs' own time: every workload, in both capturing modes; the syscall rows
    // with the syscall-exit program called for each operation, the process rows with
    // the fork and exec programs, the file rows with their cost per file.
    let costs = report["program_costs"].as_array().unwrap();
    let described: Vec<(&str, &str)> = costs
        .iter()
        .map(|c| (c["row"].as_str().unwrap(), c["mode"].as_str().unwrap()))
        .collect();
    let syscall_rows = ["null I/O: read", "null I/O: write", "stat", "open+close"];
    for mode in ["capture-all", "filtered-out"] {
        for row in syscall_rows
            .iter()
            .chain(&["fork+exec", "create 0k + delete 0k"])
        {
            assert!(described.contains(&(row, mode)), "{row} {mode}: {costs:?}");
        }
    }
    for c in costs {
        let calls = |program: &str| {
            c["programs"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["program"] == program)
                .map_or(0, |p| p["calls"].as_u64().unwrap())
        };
        assert!(c["ns_per_op"].as_f64().unwrap() > 0.0, "{c}");
        let row = c["row"].as_str().unwrap();
        if syscall_rows.contains(&row) {
            assert!(calls("handle_sys_exit") >= 200, "{c}");
        }
        if row.starts_with("fork") {
            assert!(calls("handle_fork") >= 1, "{c}");
        }
        if row == "fork+exec" {
            assert!(calls("handle_exec") >= 1, "{c}");
        }
    }
}

/// Ctrl-C during `bench overhead` stops it at the next batch and takes down what it set
/// up: its scratch directory (with the capture's output), the loop-mounted file system,
/// the loop device and the image.
#[test]
fn ctrl_c_ends_the_overhead_benchmark_and_leaves_nothing_behind() {
    use std::io::{BufRead, BufReader};
    if !can_capture() {
        return;
    }
    let _one = ONE_BENCH.lock().unwrap_or_else(|e| e.into_inner());
    let mut child = Command::new(env!("CARGO_BIN_EXE_provscope"))
        .args(["bench", "overhead", "--rounds", "50"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    // Timed batches are running once the first round is announced.
    while !seen.contains("round 1/") {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "ended early: {seen}"
        );
        seen.push_str(&line);
    }
    std::thread::sleep(Duration::from_millis(500));
    // SAFETY: signalling our own child by pid.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGINT) };
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "{seen}{rest}");
    assert!(rest.contains("interrupted"), "{seen}{rest}");
    let scratch = std::env::temp_dir().join(format!("provscope-bench-overhead-{pid}"));
    assert!(!scratch.exists(), "{} is left", scratch.display());
    let loops = loop_devices_on(&format!("provscope-scratch-{pid}-"));
    assert!(loops.is_empty(), "{loops:?}");
}
