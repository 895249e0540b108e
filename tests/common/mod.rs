//! Helpers shared by the integration tests: where the real CamFlow samples are, and
//! running the real `provscope` binary.

#![allow(dead_code)]

pub mod capture;
pub mod walk;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// The shared CamFlow samples (`../shared/camflow-samples`, or `PROVSCOPE_SAMPLES`).
/// Missing samples fail the test: they are the ground truth, never optional.
pub fn samples_dir() -> PathBuf {
    let dir = std::env::var_os("PROVSCOPE_SAMPLES").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/camflow-samples"),
        PathBuf::from,
    );
    assert!(
        dir.is_dir(),
        "CamFlow samples not found at {} (set PROVSCOPE_SAMPLES)",
        dir.display()
    );
    dir
}

/// True when this test may capture (root). Without privilege the test is skipped, unless
/// PROVSCOPE_REQUIRE_BPF is set (as .ci/run does): then it fails, never skips silently.
pub fn can_capture() -> bool {
    if provscope::capture::ebpf::probe::has_privilege() {
        return true;
    }
    assert!(
        std::env::var_os("PROVSCOPE_REQUIRE_BPF").is_none(),
        "PROVSCOPE_REQUIRE_BPF is set but this test runs without root"
    );
    eprintln!("skipped: capture needs root");
    false
}

/// One sample by file name.
pub fn sample(name: &str) -> String {
    let p = samples_dir().join(name);
    assert!(p.is_file(), "missing sample {}", p.display());
    p.to_string_lossy().into_owned()
}

/// The three real trace samples.
pub const V017: &str = "camflow-v0.1.7_w3c_single-doc_socket.json";
/// CamFlow 0.5.0 W3C JSON Lines.
pub const V050: &str = "camflow-v0.5.0_w3c_jsonl_wget.log";
/// CamFlow 0.8.0 SPADE JSON.
pub const V080: &str = "camflow-v0.8.0_spade-json_android-write-file.log";

/// Runs the real binary with `args`, feeding `stdin`.
pub fn provscope(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_provscope"));
    cmd.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn provscope");
    if let Some(input) = stdin {
        use std::io::Write;
        let mut pipe = child.stdin.take().expect("stdin");
        let data = input.to_vec();
        std::thread::spawn(move || {
            let _ = pipe.write_all(&data);
        });
    }
    child.wait_with_output().expect("wait provscope")
}

/// `provscope stats --json` of some traces, parsed.
pub fn stats_json(traces: &[&str]) -> serde_json::Value {
    let mut args = vec!["stats", "--json"];
    args.extend_from_slice(traces);
    let out = provscope(&args, None);
    assert!(
        out.status.success(),
        "stats failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stats --json prints JSON")
}

/// An app state with `paths` loaded, as the UI has it once the loader is done.
pub fn loaded_state(paths: &[String]) -> provscope::app::state::AppState {
    use provscope::app::loader::{LoadEvent, load};
    use std::cell::RefCell;
    let mut state = provscope::app::state::AppState::new(
        paths.join(", "),
        provscope::app::keymap::Keymap::default_keymap(),
    );
    let done = RefCell::new(None);
    load(paths, &|e| {
        if let LoadEvent::Done(l) = e {
            *done.borrow_mut() = Some(l);
        }
        true
    });
    let loaded = done.into_inner().expect("trace loads");
    state.install(*loaded);
    state
}

/// Presses one key (by keymap name, e.g. "Enter", "j", "F8") through the real key path.
pub fn press(state: &mut provscope::app::state::AppState, key: &str) {
    use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers};
    let (mods, name) = match key.split_once('-') {
        Some(("S", k)) if k.len() > 1 => (KeyModifiers::SHIFT, k),
        Some(("A", k)) if k.len() > 1 => (KeyModifiers::ALT, k),
        Some(("C", k)) => (KeyModifiers::CONTROL, k),
        _ => (KeyModifiers::NONE, key),
    };
    let code = match name {
        "Enter" => KeyCode::Enter,
        "Esc" => KeyCode::Esc,
        "Tab" => KeyCode::Tab,
        "Backspace" => KeyCode::Backspace,
        "Up" => KeyCode::Up,
        "Down" => KeyCode::Down,
        "Left" => KeyCode::Left,
        "Right" => KeyCode::Right,
        "PageDown" => KeyCode::PageDown,
        "PageUp" => KeyCode::PageUp,
        f if f.len() > 1 && f.starts_with('F') => KeyCode::F(f[1..].parse().expect("F key")),
        c => KeyCode::Char(c.chars().next().expect("a key")),
    };
    let event = KeyEvent {
        code,
        modifiers: mods,
        kind: KeyEventKind::Press,
        state: KeyEventState::NONE,
    };
    let effects =
        provscope::app::run::handle_event(state, provscope::app::run::AppEvent::Key(event));
    provscope::app::effect::run_now(state, effects);
}

/// Types text into the search line.
pub fn type_text(state: &mut provscope::app::state::AppState, text: &str) {
    for c in text.chars() {
        press(state, &c.to_string());
    }
}

/// Renders a state on a test backend of `w`x`h` and returns the terminal.
pub fn draw(
    state: &mut provscope::app::state::AppState,
    w: u16,
    h: u16,
) -> ratatui::Terminal<ratatui::backend::TestBackend> {
    let mut term =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).expect("terminal");
    let theme = provscope::views::Theme::plain();
    let mut vp = state.viewport;
    term.draw(|f| vp = provscope::views::render(f, state, &theme))
        .expect("draw");
    state.viewport = vp;
    term
}

/// The bundled demo recording.
pub fn demo_trace() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo-capture.w3c.log").to_string()
}

/// The synthetic incident (tools/demo/make_demo_trace.py): hand-shaped CamFlow v0.9
/// elements, including a path name that holds terminal escape sequences.
pub fn synthetic_incident() -> String {
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/synthetic-incident.w3c.log"
    )
    .to_string()
}

/// The wget sample loaded, with wget's task (pid 3666) found and selected by search, as a
/// user would reach it.
pub fn at_wget_task() -> provscope::app::state::AppState {
    let mut s = loaded_state(&[sample(V050)]);
    press(&mut s, "/");
    type_text(&mut s, "pid:3666");
    press(&mut s, "Enter");
    s
}
