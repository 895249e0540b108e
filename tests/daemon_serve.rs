//! The capture daemon end to end, as root: `provscope capture --serve S -o F` keeps
//! capturing when its terminal hangs up; a terminal UI attached with `daemon:S` sees the
//! graph grow and changes the daemon's filters from its panel; `provscope filter S`
//! reads and changes the same policy from the command line, and the UI follows; a peer
//! that is neither root nor the owner is refused, even if the socket's mode is opened up.

mod common;
#[path = "common/pty.rs"]
mod pty;
use common::*;
use pty::{PtyApp, keys};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const W: u16 = 120;
const H: u16 = 30;
const NOBODY: u32 = 65534;

/// A running daemon, stopped (SIGTERM) when dropped, even by a failing assertion.
struct Daemon {
    child: Option<Child>,
    socket: PathBuf,
    recording: PathBuf,
}

impl Daemon {
    fn start(dir: &Path) -> Daemon {
        let socket = dir.join("capture.sock");
        let recording = dir.join("capture.w3c.log");
        let child = Command::new(env!("CARGO_BIN_EXE_provscope"))
            .args(["capture", "--serve"])
            .arg(&socket)
            .arg("-o")
            .arg(&recording)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while !socket.exists() {
            assert!(Instant::now() < deadline, "the daemon never served");
            std::thread::sleep(Duration::from_millis(20));
        }
        Daemon {
            child: Some(child),
            socket,
            recording,
        }
    }

    fn signal(&self, sig: libc::c_int) {
        if let Some(child) = &self.child {
            // SAFETY: kill on our own child's pid.
            unsafe { libc::kill(child.id() as libc::pid_t, sig) };
        }
    }

    /// SIGTERM, then what it said.
    fn stop(mut self) -> Output {
        self.signal(libc::SIGTERM);
        let child = self.child.take().unwrap();
        child.wait_with_output().unwrap()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.signal(libc::SIGTERM);
        if let Some(mut child) = self.child.take() {
            let _ = child.wait();
        }
    }
}

/// `provscope filter SOCKET args...`, as `uid` when given.
fn filter(socket: &Path, args: &[&str], uid: Option<u32>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_provscope"));
    cmd.arg("filter").arg(socket).args(args);
    if let Some(uid) = uid {
        cmd.uid(uid).gid(uid);
    }
    cmd.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The node count the status bar shows.
fn shown_nodes(screen: &str) -> u64 {
    let status = screen.lines().rev().nth(1).unwrap_or_default();
    let words: Vec<&str> = status.split_whitespace().collect();
    words
        .windows(2)
        .find(|w| w[1] == "nodes")
        .and_then(|w| w[0].parse().ok())
        .unwrap_or(0)
}

/// Reads a file over and over while alive.
struct Reader(Child);

impl Drop for Reader {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn reader() -> Reader {
    let script =
        "import time\nwhile True:\n    open('/etc/hostname').read()\n    time.sleep(0.01)\n";
    Reader(
        Command::new("/usr/bin/python3")
            .args(["-c", script])
            .spawn()
            .unwrap(),
    )
}

#[test]
fn an_attached_view_and_the_command_line_shape_one_daemon_policy() {
    if !can_capture() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(dir.path());
    let source = format!("daemon:{}", daemon.socket.display());
    let mut app = PtyApp::spawn(&["attach", &source], W, H, &[]);
    app.wait_for("attached to the capture daemon", W, H);
    let busy = reader();
    let deadline = Instant::now() + Duration::from_secs(20);
    while shown_nodes(&app.screen(W, H).screen().contents()) == 0 {
        assert!(Instant::now() < deadline, "the graph never grew");
        std::thread::sleep(Duration::from_millis(100));
    }

    // The panel's first row is relation_filter=read: on, from the view.
    app.keys(keys::F4);
    app.wait_for("Capture filters", W, H);
    app.keys(keys::ENTER);
    app.wait_for("[x] relation_filter=read", W, H);
    // The daemon's own answer (the view's says "sent to the capture daemon").
    app.wait_for("applied to the capture", W, H);
    let shown = filter(&daemon.socket, &[], None);
    assert!(shown.status.success(), "{}", text(&shown.stderr));
    assert!(
        text(&shown.stdout).contains("relation_filter=read"),
        "the daemon has the view's policy: {}",
        text(&shown.stdout)
    );
    // The daemon's counts come back to the panel: the read filter drops reads.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let screen = app.screen(W, H).screen().contents();
        let row = screen
            .lines()
            .find(|l| l.contains("[x] relation_filter=read"))
            .unwrap_or_default()
            .to_string();
        let rate = row
            .split_whitespace()
            .find_map(|w| w.strip_suffix("/s").and_then(|n| n.parse::<u64>().ok()));
        if rate.is_some_and(|r| r > 0) {
            break;
        }
        assert!(Instant::now() < deadline, "no drops shown: {screen}");
        std::thread::sleep(Duration::from_millis(200));
    }

    // Off, from the command line: the view follows.
    let off = filter(&daemon.socket, &["--off", "relation_filter=read"], None);
    assert!(off.status.success(), "{}", text(&off.stderr));
    assert!(!text(&off.stdout).contains("relation_filter=read"));
    app.wait_for("[ ] relation_filter=read", W, H);
    drop(busy);
    app.keys(keys::F10);
    assert_eq!(app.wait_exit(), 0);

    let recording = daemon.recording.clone();
    let out = daemon.stop();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("record(s) sent"),
        "{}",
        text(&out.stderr)
    );
    let stats = stats_json(&[recording.to_str().unwrap()]);
    assert_eq!(stats["skipped_lines"], 0, "{stats}");
    assert!(
        stats["edge_types"]["read"].as_u64().unwrap_or(0) > 0,
        "{stats}"
    );
}

#[test]
fn only_root_and_the_owner_may_use_the_daemon() {
    if !can_capture() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // The directory must let another user reach the socket at all.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let daemon = Daemon::start(dir.path());
    let mode = std::fs::metadata(&daemon.socket)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "the socket is owner-only");

    let out = filter(
        &daemon.socket,
        &["--on", "relation_filter=read"],
        Some(NOBODY),
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("owner-only"),
        "{}",
        text(&out.stderr)
    );

    // Even with the socket opened to everyone, the daemon checks who is calling.
    std::fs::set_permissions(&daemon.socket, std::fs::Permissions::from_mode(0o666)).unwrap();
    let out = filter(
        &daemon.socket,
        &["--on", "relation_filter=read"],
        Some(NOBODY),
    );
    assert!(!out.status.success());
    let said = text(&out.stderr);
    assert!(
        said.contains("refused") && said.contains("uid 65534"),
        "{said}"
    );
    let shown = filter(&daemon.socket, &[], None);
    assert!(shown.status.success(), "{}", text(&shown.stderr));
    assert!(
        !text(&shown.stdout).contains("relation_filter"),
        "the refused command changed the policy: {}",
        text(&shown.stdout)
    );
}

#[test]
fn the_daemon_outlives_a_hang_up_and_ends_cleanly_on_sigterm() {
    if !can_capture() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(dir.path());
    daemon.signal(libc::SIGHUP);
    std::thread::sleep(Duration::from_millis(300));
    let on = filter(&daemon.socket, &["--on", "node_filter=envp"], None);
    assert!(on.status.success(), "the daemon died: {}", text(&on.stderr));
    assert!(text(&on.stdout).contains("node_filter=envp"));
    let (socket, recording) = (daemon.socket.clone(), daemon.recording.clone());
    let out = daemon.stop();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!socket.exists(), "the socket is removed");
    let stats = stats_json(&[recording.to_str().unwrap()]);
    assert_eq!(stats["skipped_lines"], 0, "{stats}");
    assert!(stats["nodes"].as_u64().unwrap() > 0, "{stats}");
}
