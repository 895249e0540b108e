//! `attach unix:PATH` end to end: the real binary in a pseudo-terminal binds the socket,
//! and the test plays camflowd's `unix` output (reference §5.5): a datagram socket that
//! connects to that path and sends each batch as one datagram with its trailing NUL. The
//! counts on screen must be those of `stats --json` of the same lines.

mod common;
#[path = "common/pty.rs"]
mod pty;
use common::*;
use pty::PtyApp;
use std::os::unix::net::UnixDatagram;
use std::time::{Duration, Instant};

const W: u16 = 100;
const H: u16 = 24;

#[test]
fn camflowd_datagrams_fill_the_graph() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("camflowd.sock");
    let mut app = PtyApp::spawn(
        &["attach", &format!("unix:{}", socket.display())],
        W,
        H,
        &[],
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !socket.exists() {
        assert!(Instant::now() < deadline, "the socket was never bound");
        std::thread::sleep(Duration::from_millis(20));
    }
    app.wait_for("waiting for camflowd", W, H);
    // camflowd binds a client address of its own, then connects.
    let camflowd = UnixDatagram::bind(dir.path().join("camflowd-client.socket")).unwrap();
    camflowd.connect(&socket).unwrap();
    let text = std::fs::read(sample(V050)).unwrap();
    for batch in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let mut datagram = batch.to_vec();
        datagram.push(0);
        camflowd.send(&datagram).unwrap();
    }
    let s = stats_json(&[&sample(V050)]);
    app.wait_for(&format!("{} nodes {} edges", s["nodes"], s["edges"]), W, H);
    app.wait_for("LIVE", W, H);
    app.keys(b"q");
    assert_eq!(app.wait_exit(), 0);
    assert!(!socket.exists(), "the binding is removed on exit");
}
