//! Live sessions end to end: the real binary in a pseudo-terminal attached to a file that
//! a writer grows while the UI reads it, to a fifo, to stdin, and (as root) to this
//! machine's capture. Counts on screen are checked against `stats --json` of the same
//! input, worked out by a separate run.

mod common;
#[path = "common/pty.rs"]
mod pty;
use common::*;
use pty::{PtyApp, keys};
use std::io::Write;

const W: u16 = 100;
const H: u16 = 24;

/// `N nodes M edges` as the status bar shows the whole of `paths`.
fn counts_of(paths: &[&str]) -> String {
    let s = stats_json(paths);
    format!("{} nodes {} edges", s["nodes"], s["edges"])
}

fn append(path: &std::path::Path, bytes: &[u8]) {
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(bytes).unwrap();
}

/// The selection as the status bar names it (the text left of the counts).
fn selection(screen: &str) -> String {
    let status = screen.lines().rev().nth(1).unwrap_or_default();
    status
        .split('│')
        .next()
        .unwrap_or_default()
        .trim()
        .to_string()
}

#[test]
fn a_growing_file_grows_the_graph_while_the_selection_stays_put() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.log");
    let growing = dir.path().join("growing.log");
    let text = std::fs::read(sample(V050)).unwrap();
    let lines: Vec<&[u8]> = text.split_inclusive(|&b| b == b'\n').collect();
    let half = lines.len() / 2;
    std::fs::write(&first, lines[..half].concat()).unwrap();
    std::fs::copy(&first, &growing).unwrap();

    let mut app = PtyApp::spawn(&["attach", growing.to_str().unwrap()], W, H, &[]);
    app.wait_for(&counts_of(&[first.to_str().unwrap()]), W, H);
    app.wait_for("LIVE", W, H);
    app.wait_for("F5Pause", W, H);
    // Open the task group and select its task.
    app.keys(b"jlj");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let before = selection(&app.screen(W, H).screen().contents());
    assert!(
        !before.is_empty(),
        "{}",
        app.screen(W, H).screen().contents()
    );

    // The writer appends the rest while the UI runs.
    for line in &lines[half..] {
        append(&growing, line);
    }
    let screen = app.wait_for(&counts_of(&[&sample(V050)]), W, H);
    // The same element stays selected (its label may improve as its argv arrives).
    let tail = |s: &str| s.rsplit('[').next().unwrap_or_default().to_string();
    let after = selection(&screen);
    assert!(after.starts_with("activity › task"), "{after}");
    assert_eq!(tail(&after), tail(&before), "{before} / {after}");

    // Paused, the view keeps still while lines keep arriving; resumed, it catches up.
    app.keys(keys::F5);
    app.wait_for("PAUSED", W, H);
    let more = std::fs::read(sample(V080)).unwrap();
    append(&growing, &more);
    app.wait_for("waiting", W, H);
    let paused = app.screen(W, H).screen().contents();
    assert!(paused.contains(&counts_of(&[&sample(V050)])), "{paused}");
    app.keys(keys::F5);
    app.wait_for(&counts_of(&[&sample(V050), &sample(V080)]), W, H);

    // Truncated (copytruncate), the file is read again from its start: its elements
    // are already known, so the counts stay and the user is told.
    std::fs::write(&growing, lines[..2].concat()).unwrap();
    app.wait_for("truncated", W, H);

    app.keys(b"q");
    assert_eq!(app.wait_exit(), 0);
}

#[test]
fn a_fifo_is_read_until_its_writer_closes() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("trace.fifo");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let source = format!("fifo:{}", fifo.display());
    let mut app = PtyApp::spawn(&["attach", &source], W, H, &[]);
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut w = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
            w.write_all(&std::fs::read(sample(V080)).unwrap()).unwrap();
        })
    };
    writer.join().unwrap();
    app.wait_for(&counts_of(&[&sample(V080)]), W, H);
    app.wait_for("ENDED", W, H);
    app.keys(b"q");
    assert_eq!(app.wait_exit(), 0);
}

#[test]
fn stdin_is_a_live_source_with_keys_from_the_terminal() {
    let cmd = format!(
        "cat '{}' | exec '{}' attach -",
        sample(V050),
        env!("CARGO_BIN_EXE_provscope"),
    );
    let mut app = PtyApp::spawn_program("sh", &["-c", &cmd], W, H, &[]);
    app.wait_for(&counts_of(&[&sample(V050)]), W, H);
    app.wait_for("ENDED", W, H);
    app.keys(b"q");
    assert_eq!(app.wait_exit(), 0);
}

#[test]
fn unsupported_and_missing_sources_are_refused_clearly() {
    let out = provscope(&["attach", "mqtt:localhost"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not supported yet"));
    let out = provscope(&["attach", "daemon:/no/such/daemon.sock"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("capture --serve"));
    let out = provscope(&["attach", "/no/such/trace.log"], None);
    assert!(!out.status.success());
}

/// The node count the status bar shows.
fn shown_nodes(screen: &str) -> u64 {
    let status = screen.lines().rev().nth(1).unwrap_or_default();
    status
        .split('│')
        .find_map(|part| part.trim().strip_suffix(" edges"))
        .and_then(|c| c.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn live_captures_this_machine_while_the_user_looks_and_saves_it() {
    if !can_capture() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("live.w3c.log");
    let mut app = PtyApp::spawn(&["live", "--save", saved.to_str().unwrap()], W, H, &[]);
    app.wait_for("LIVE", W, H);
    let marker = dir.path().join("made-while-watching.txt");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut first = None;
    loop {
        // Activity of our own, so the machine is never quiet.
        std::fs::write(&marker, "seen live").unwrap();
        let _ = std::process::Command::new("cat").arg(&marker).output();
        let n = shown_nodes(&app.screen(W, H).screen().contents());
        match first {
            None if n > 0 => first = Some(n),
            Some(f) if n > f => break,
            _ => {}
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the counts never grew: {}",
            app.screen(W, H).screen().contents()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    // The file made while watching can be found.
    app.keys(b"/made-while-watching");
    app.wait_for("matches", W, H);
    app.keys(keys::ENTER);
    app.wait_for("made-while-watching.txt", W, H);
    app.keys(keys::F10);
    assert_eq!(app.wait_exit(), 0);
    let saved_counts = stats_json(&[saved.to_str().unwrap()]);
    assert!(
        saved_counts["nodes"].as_u64().unwrap() > 0,
        "{saved_counts}"
    );
    assert_eq!(saved_counts["skipped_lines"], 0, "{saved_counts}");
}
