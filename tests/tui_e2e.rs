//! End to end: the real binary in a pseudo-terminal, driven by key bytes, read back
//! through a terminal emulator, and checked for what it writes to the terminal.

mod common;
#[path = "common/pty.rs"]
mod pty;
use common::*;
use pty::{PtyApp, keys};

const W: u16 = 80;
const H: u16 = 24;

#[test]
fn investigate_a_file_follow_back_tree_help_and_quit() {
    let mut app = PtyApp::spawn(&["open", &sample(V050)], W, H, &[]);
    app.wait_for("Navigator", W, H);
    app.wait_for("Activities", W, H);

    // Search for a file and land on it.
    app.keys(b"/");
    app.keys(b"/etc/resolv.conf");
    app.wait_for("matches", W, H);
    app.keys(keys::ENTER);
    let screen = app.wait_for("file › /etc/resolv.conf", W, H);
    assert!(
        screen.contains("data_out out →") || screen.contains("data_in"),
        "{screen}"
    );

    // Follow its first relation (Enter moves to relations, Enter follows).
    app.keys(keys::ENTER);
    app.wait_for("Relations", W, H);
    app.keys(keys::ENTER);
    let followed = app.wait_for("activity › task", W, H);
    assert!(followed.contains("wget"), "{followed}");

    // Back to the file.
    app.keys(keys::BACKSPACE);
    app.wait_for("file › /etc/resolv.conf", W, H);

    // Process tree and help.
    app.keys(keys::F2);
    app.wait_for("Process tree", W, H);
    app.keys(keys::ESC);
    // A lone ESC is only a key once the terminal has delivered it on its own.
    app.wait_for("Navigator", W, H);
    app.keys(keys::F1);
    app.wait_for("Help: Esc closes", W, H);
    app.wait_for("quit", W, H);

    app.keys(b"q");
    assert_eq!(app.wait_exit(), 0);
    let screen = app.screen(W, H);
    assert!(!screen.screen().alternate_screen(), "alternate screen left");
    assert!(!screen.screen().hide_cursor(), "cursor shown again");
}

#[test]
fn hostile_file_names_reach_the_terminal_escaped() {
    let mut app = PtyApp::spawn(&["open", &demo_trace()], W, H, &[]);
    app.wait_for("Navigator", W, H);
    app.keys(b"/");
    app.keys(b"owned");
    app.wait_for("matches", W, H);
    app.keys(keys::ENTER);
    app.wait_for("\\u{1b}]0;owned", W, H);
    app.keys(b"q");
    assert_eq!(app.wait_exit(), 0);
    let raw = app.raw();
    let needle: &[u8] = b"\x1b]0;owned";
    assert!(
        !raw.windows(needle.len()).any(|w| w == needle),
        "the OSC title sequence from the trace reached the terminal"
    );
    assert!(
        !raw.windows(4).any(|w| w == b"\x1b[2J"),
        "the screen-clear from the trace reached the terminal"
    );
}

#[test]
fn no_color_draws_without_colour_codes() {
    let mut app = PtyApp::spawn(&["open", &sample(V080)], W, H, &[("NO_COLOR", "1")]);
    app.wait_for("Navigator", W, H);
    app.keys(keys::F10);
    assert_eq!(app.wait_exit(), 0);
    let raw = String::from_utf8_lossy(&app.raw()).into_owned();
    for sgr in ["\x1b[31m", "\x1b[36m", "\x1b[44m", "\x1b[38;5", "\x1b[48;5"] {
        assert!(!raw.contains(sgr), "colour sequence {sgr:?} with NO_COLOR");
    }
}

#[test]
fn open_reads_the_trace_from_stdin_and_keys_from_the_terminal() {
    let cmd = format!(
        "exec '{}' open - < '{}'",
        env!("CARGO_BIN_EXE_provscope"),
        sample(V080)
    );
    let mut app = PtyApp::spawn_program("sh", &["-c", &cmd], W, H, &[]);
    app.wait_for("Navigator", W, H);
    app.wait_for("Activities", W, H);
    app.keys(b"q");
    assert_eq!(app.wait_exit(), 0);
}
