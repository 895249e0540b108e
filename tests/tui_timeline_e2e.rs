//! End to end: the time cursor and the path query on the real binary in a
//! pseudo-terminal, driven by key bytes and read back through a terminal emulator.

mod common;
#[path = "common/pty.rs"]
mod pty;
use common::*;
use pty::{PtyApp, keys};

const W: u16 = 80;
const H: u16 = 24;

/// The number in `Title (N` on the screen, e.g. `Navigator (136`.
fn count_after(screen: &str, title: &str) -> usize {
    let at = screen
        .find(title)
        .unwrap_or_else(|| panic!("no {title}:\n{screen}"));
    screen[at + title.len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap_or_else(|_| panic!("no count after {title}:\n{screen}"))
}

#[test]
fn replay_back_in_time_shrinks_what_is_shown_then_step_and_jump_to_the_end() {
    let mut app = PtyApp::spawn(&["open", &sample(V050)], W, H, &[("NO_COLOR", "1")]);
    app.wait_for("Navigator (136 objects)", W, H);
    app.keys(b"/");
    app.keys(b"pid:3666");
    app.wait_for("matches", W, H);
    app.keys(keys::ENTER);
    let screen = app.wait_for("activity › task › wget", W, H);
    let relations = count_after(&screen, "Relations (");

    // One event back: the strip appears at the newest event but one.
    app.keys(b",");
    app.wait_for("518/519", W, H);

    // A tenth of the way: fewer objects, fewer relations of the (then) wget task.
    app.keys(b"@");
    app.wait_for("jump to (", W, H);
    app.keys(b"10%");
    app.keys(keys::ENTER);
    let screen = app.wait_for("52/519", W, H);
    assert!(screen.contains("PAUSED"), "{screen}");
    let objects = count_after(&screen, "Navigator (");
    assert!(objects < 136, "{screen}");
    let earlier = count_after(&screen, "Relations (");
    assert!(earlier != relations, "{screen}");

    // One event forward.
    app.keys(b".");
    app.wait_for("53/519", W, H);

    // The stats screen counts the graph of then (on a worker thread of the real loop):
    // 53 relations had happened.
    app.keys(keys::F8);
    let screen = app.wait_for("Trace as of event 53 of 519", W, H);
    let inside = |l: &str| l.trim_matches(|c| c == '│' || c == ' ').to_string();
    let edges = screen
        .lines()
        .map(inside)
        .find(|l| l.starts_with("edges"))
        .unwrap_or_else(|| panic!("no edges line:\n{screen}"));
    assert!(edges.ends_with(" 53"), "{screen}");
    app.keys(keys::ESC);
    // Wait for Esc to land: a key right after it would read as Alt+key.
    app.wait_for("Navigator (", W, H);

    // To the end: everything again, and the strip goes.
    app.keys(b"e");
    let screen = app.wait_for("Navigator (136 objects)", W, H);
    assert!(!screen.contains("/519"), "{screen}");
    assert_eq!(count_after(&screen, "Relations ("), relations, "{screen}");
    app.keys(b"q");
    assert_eq!(app.wait_exit(), 0);
}

#[test]
fn path_from_a_marked_file_to_a_target_and_no_flow_back() {
    let mut app = PtyApp::spawn(&["open", &demo_trace()], W, H, &[]);
    app.wait_for("Navigator", W, H);
    app.keys(b"/");
    app.keys(b"/etc/shadow");
    app.wait_for("matches", W, H);
    app.keys(keys::ENTER);
    app.wait_for("file › /etc/shadow", W, H);
    app.keys(b"m");
    app.wait_for("path start: /etc/shadow", W, H);

    // Pick the copy as the target: select it, then M and Enter (the selection).
    app.keys(b"/");
    app.keys(b"/tmp/.cache-x/s.bak");
    app.wait_for("matches", W, H);
    app.keys(keys::ENTER);
    app.wait_for("file › /tmp/.cache-x/s.bak", W, H);
    app.keys(b"M");
    app.wait_for("path to (", W, H);
    app.keys(keys::ENTER);
    let screen = app.wait_for("Paths: /etc/shadow →", W, H);
    assert!(screen.contains("path 1"), "{screen}");
    assert!(screen.contains("[task] cp /etc/shadow"), "{screen}");
    assert!(screen.contains("[file] /tmp/.cache-x/s.bak"), "{screen}");

    // Enter on the task focuses it; Backspace on the path screen returns.
    app.keys(b"j");
    app.keys(b"j");
    app.keys(keys::ENTER);
    app.wait_for("activity › task › cp /etc/shadow", W, H);

    // From the copy back to /etc/shadow nothing flows.
    app.keys(b"/");
    app.keys(b"/tmp/.cache-x/s.bak");
    app.wait_for("matches", W, H);
    app.keys(keys::ENTER);
    app.wait_for("file › /tmp/.cache-x/s.bak", W, H);
    app.keys(b"m");
    app.wait_for("path start: /tmp/.cache-x/s.bak", W, H);
    app.keys(b"M");
    app.wait_for("path to (", W, H);
    app.keys(b"path:/etc/shadow");
    app.keys(keys::ENTER);
    app.wait_for(
        "no flow: no information flows from /tmp/.cache-x/s.bak",
        W,
        H,
    );
    app.keys(keys::BACKSPACE);
    app.wait_for("Navigator", W, H);
    app.keys(b"q");
    assert_eq!(app.wait_exit(), 0);
}
