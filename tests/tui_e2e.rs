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
    let mut app = PtyApp::spawn(&["open", &synthetic_incident()], W, H, &[]);
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

/// Where `needle` first occurs in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Where `needle` last occurs in `hay`.
fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// The issue's "a panic or error restores the terminal (raw mode off, alternate screen
/// left) before printing": the binary's hidden crash-test hook panics on a key while the
/// UI is up; the bytes it writes must leave the alternate screen before the message, and
/// the message must come out with raw mode off.
#[test]
fn a_panic_restores_the_terminal_before_the_message_is_printed() {
    let message = "PROVSCOPE_CRASH_TEST: deliberate panic on a key press";
    let mut app = PtyApp::spawn(
        &["open", &sample(V080)],
        W,
        H,
        &[("PROVSCOPE_CRASH_TEST", "panic")],
    );
    app.wait_for("Navigator", W, H);
    assert!(app.screen(W, H).screen().alternate_screen(), "UI is up");
    app.keys(b"j");
    let code = app.wait_exit();
    assert_ne!(code, 0, "a panic must not exit with success");
    // The reader thread may still be catching up with the last bytes.
    let screen = app.wait_for(message, W, H);

    let raw = app.raw();
    let said = find(&raw, message.as_bytes()).expect("panic message written");
    let entered = rfind(&raw[..said], b"\x1b[?1049h").expect("alternate screen entered");
    let left = find(&raw[entered..], b"\x1b[?1049l").map(|i| entered + i);
    assert!(
        left.is_some_and(|l| l < said),
        "alternate screen not left before the panic message: {:?}",
        String::from_utf8_lossy(&raw[said.saturating_sub(300).max(entered)..])
    );
    // With raw mode off the terminal turns "\n" into "\r\n" again, so the message line
    // starts at the left margin instead of stair-stepping.
    assert!(
        raw[..said].ends_with(b"\r\n"),
        "panic message written in raw mode: {:?}",
        String::from_utf8_lossy(&raw[said.saturating_sub(80)..said + message.len()])
    );

    let parser = app.screen(W, H);
    assert!(!parser.screen().alternate_screen(), "alternate screen left");
    assert!(screen.contains("panicked at"), "{screen}");
    assert!(
        screen.lines().any(|l| l.starts_with(message)),
        "message not readable at the left margin:\n{screen}"
    );
}

#[test]
fn lineage_of_a_copied_secret_follow_to_the_writer_and_export() {
    let dir = tempfile::tempdir().unwrap();
    let export_dir = dir.path().to_str().unwrap();
    let mut app = PtyApp::spawn(
        &["open", &demo_trace()],
        W,
        H,
        &[("PROVSCOPE_EXPORT_DIR", export_dir)],
    );
    app.wait_for("Navigator", W, H);
    app.keys(b"/");
    app.keys(b"/tmp/.cache-x/s.bak");
    app.wait_for("matches", W, H);
    app.keys(keys::ENTER);
    app.wait_for("file › /tmp/.cache-x/s.bak", W, H);

    // Backward lineage: the copy comes from cp, which read /etc/shadow.
    app.keys(b"b");
    let screen = app.wait_for("came from", W, H);
    assert!(
        screen.contains("Lineage: where /tmp/.cache-x/s.bak"),
        "{screen}"
    );
    let shadow = app.wait_for("/etc/shadow", W, H);
    assert!(shadow.contains("← write [task] cp /etc/shadow"), "{screen}");

    // Export it (DOT and W3C) and check the files.
    app.keys(keys::F6);
    app.wait_for("exported", W, H);
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let dot = files
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "dot"));
    let dot = std::fs::read_to_string(dot.expect("a .dot file")).unwrap();
    assert!(dot.starts_with("digraph") && dot.contains("s.bak") && dot.contains("\"write\""));
    assert!(
        dot.contains("/etc/shadow"),
        "the secret is in the exported lineage"
    );
    let w3c = files
        .iter()
        .find(|p| p.to_string_lossy().ends_with(".w3c.log"))
        .expect("a W3C file");
    let stats = stats_json(&[w3c.to_str().unwrap()]);
    assert!(
        stats["edge_types"]["write"].as_u64().unwrap() >= 1,
        "{stats}"
    );

    // Follow the lineage to the task that wrote the copy.
    let lines: Vec<&str> = shadow.lines().collect();
    let root = lines
        .iter()
        .position(|l| l.contains("[file] /tmp/.cache-x/s.bak"))
        .unwrap();
    let writer = lines
        .iter()
        .position(|l| l.contains("← write [task] cp"))
        .unwrap();
    for _ in root..writer {
        app.keys(b"j");
    }
    app.keys(keys::ENTER);
    let focused = app.wait_for("activity › task", W, H);
    assert!(focused.contains("cp /etc/shadow"), "{focused}");
    // Backspace returns to the copy.
    app.keys(keys::BACKSPACE);
    app.wait_for("file › /tmp/.cache-x/s.bak", W, H);
    app.keys(b"q");
    assert_eq!(app.wait_exit(), 0);
}
