//! The run loop and the only code that touches the terminal: it sets the terminal up
//! (restored on exit and on panic), starts the input and loader threads, feeds their
//! events through `update`, and draws when something changed.

use crate::app::action::Msg;
use crate::app::effect::{Effect, Workers};
use crate::app::filter_panel::FilterPanel;
use crate::app::keymap::{Keymap, Mode};
use crate::app::live::{LiveView, TICKS_PER_SECOND};
use crate::app::loader::{self, LoadEvent};
use crate::app::state::{AppState, LoadStatus};
use crate::capture::transport::feed::{self, FeedEvent, LiveSource};
use crate::views::{self, Theme};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::Backend;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::time::{Duration, Instant};

/// Events the loop receives.
#[derive(Debug)]
pub enum AppEvent {
    /// A key press.
    Key(KeyEvent),
    /// The terminal was resized.
    Resize,
    /// News from the loader.
    Load(LoadEvent),
    /// A worker's answer.
    Worker(Msg),
    /// News from a live source.
    Feed(FeedEvent),
    /// A quarter second passed (live sessions, playback).
    Tick,
    /// Nothing arrived and live records wait: ingest a step.
    Idle,
}

/// Where a trace comes from.
#[derive(Clone, Debug)]
pub enum TraceSource {
    /// Files (`-` is stdin).
    Paths(Vec<String>),
    /// A trace compiled into the binary (the demo), with a name to show.
    Bundled(&'static str, &'static [u8]),
    /// A live source: the graph grows as it is explored.
    Live(LiveSource),
}

impl TraceSource {
    /// The name shown in the status bar.
    pub fn name(&self) -> String {
        match self {
            TraceSource::Paths(p) => p.join(", "),
            TraceSource::Bundled(name, _) => (*name).to_string(),
            TraceSource::Live(source) => source.name(),
        }
    }
}

/// Turns a key into a message for the current mode: in search mode, unbound printable
/// characters are typed into the query.
pub fn key_to_msg(keymap: &Keymap, mode: Mode, key: &KeyEvent) -> Option<Msg> {
    if let Some(action) = keymap.resolve(key, mode) {
        return Some(Msg::Action(action));
    }
    match (mode, key.code) {
        (Mode::Search, KeyCode::Char(c))
            if !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            Some(Msg::SearchInput(c))
        }
        (Mode::Prompt, KeyCode::Char(c))
            if !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            Some(Msg::PromptInput(c))
        }
        _ => None,
    }
}

/// Applies one event to the state; returns the effects it asks for.
pub fn handle_event(state: &mut AppState, event: AppEvent) -> Vec<Effect> {
    let msg = match event {
        AppEvent::Key(k) => match key_to_msg(&state.keymap, state.mode, &k) {
            Some(m) => m,
            None => return Vec::new(),
        },
        AppEvent::Resize => Msg::Resize,
        AppEvent::Load(e) => Msg::Load(e),
        AppEvent::Worker(m) => m,
        AppEvent::Feed(e) => Msg::Feed(e),
        AppEvent::Tick => Msg::Tick,
        AppEvent::Idle => Msg::Ingest,
    };
    state.update(msg)
}

/// Draws and handles events until the user quits or every sender is gone.
pub fn run_loop<B: Backend>(
    terminal: &mut Terminal<B>,
    state: &mut AppState,
    rx: &Receiver<AppEvent>,
    workers: &Workers,
    theme: &Theme,
) -> Result<(), B::Error> {
    // Hidden crash-test hook: with PROVSCOPE_CRASH_TEST=panic the first key after the
    // first frame panics, so tests/tui_e2e.rs can check on the real binary that the panic
    // hook leaves the alternate screen before the message is printed. Kept out of --help
    // (it is for tests only); nothing changes when the variable is unset.
    let crash_test = std::env::var_os("PROVSCOPE_CRASH_TEST").is_some_and(|v| v == "panic");
    let tick = Duration::from_millis(1000 / TICKS_PER_SECOND);
    let mut next_tick = Instant::now() + tick;
    loop {
        if state.dirty {
            let mut viewport = state.viewport;
            terminal.draw(|f| viewport = views::render(f, state, theme))?;
            state.viewport = viewport;
            state.dirty = false;
        }
        if state.should_quit {
            return Ok(());
        }
        let Some(first) = next_event(state, rx, &mut next_tick, tick) else {
            return Ok(());
        };
        // Drain what is queued so a burst of keys or progress costs one frame, but draw
        // at least once a frame when a live source keeps the queue full.
        let drained_since = Instant::now();
        for event in std::iter::once(first).chain(rx.try_iter()) {
            if crash_test && matches!(event, AppEvent::Key(_)) {
                panic!("PROVSCOPE_CRASH_TEST: deliberate panic on a key press");
            }
            for effect in handle_event(state, event) {
                workers.execute(effect);
            }
            if state.should_quit || drained_since.elapsed() >= FRAME {
                break;
            }
        }
    }
}

/// The loop's next event. Live sessions and playback tick on time however busy the
/// channel is; while live records wait, the loop does not wait: it takes what arrived
/// (keys first in line with everything else) or, when nothing did, ingests a step, so a
/// fast source is taken in as fast as the graph can grow, one bounded step between
/// frames. Others just wait. None when every sender is gone.
pub fn next_event(
    state: &AppState,
    rx: &Receiver<AppEvent>,
    next_tick: &mut Instant,
    tick: Duration,
) -> Option<AppEvent> {
    if state.live.is_none() && !state.time.playing {
        return rx.recv().ok();
    }
    let now = Instant::now();
    if now >= *next_tick {
        *next_tick = now + tick;
        return Some(AppEvent::Tick);
    }
    if state.has_backlog() {
        return match rx.try_recv() {
            Ok(event) => Some(event),
            Err(TryRecvError::Empty) => Some(AppEvent::Idle),
            Err(TryRecvError::Disconnected) => None,
        };
    }
    match rx.recv_timeout(*next_tick - now) {
        Ok(event) => Some(event),
        Err(RecvTimeoutError::Timeout) => {
            *next_tick = Instant::now() + tick;
            Some(AppEvent::Tick)
        }
        Err(RecvTimeoutError::Disconnected) => None,
    }
}

/// The longest the loop handles events before it draws.
const FRAME: Duration = Duration::from_millis(12);

/// Starts the loader thread for `source`.
pub fn spawn_loader(source: TraceSource, tx: Sender<AppEvent>) {
    std::thread::spawn(move || {
        let send = |e: LoadEvent| tx.send(AppEvent::Load(e)).is_ok();
        match source {
            TraceSource::Paths(paths) => loader::load(&paths, &send),
            TraceSource::Bundled(_, bytes) => loader::load_bytes(bytes, &send),
            TraceSource::Live(live) => {
                let tx = tx.clone();
                let send: feed::Send = Arc::new(move |e| tx.send(AppEvent::Feed(e)).is_ok());
                feed::run(&live, send);
            }
        }
    });
}

/// Starts the thread that reads keys from the terminal.
fn spawn_input(tx: Sender<AppEvent>) {
    std::thread::spawn(move || {
        loop {
            let event = match crossterm::event::read() {
                Ok(Event::Key(k)) if k.kind == KeyEventKind::Press => AppEvent::Key(k),
                Ok(Event::Resize(..)) => AppEvent::Resize,
                Ok(_) => continue,
                Err(_) => return,
            };
            if tx.send(event).is_err() {
                return;
            }
        }
    });
}

/// Runs the full-screen UI on the real terminal.
pub fn run_tui(source: TraceSource) -> anyhow::Result<()> {
    let theme = if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        Theme::plain()
    } else {
        Theme::colored()
    };
    let mut state = AppState::new(source.name(), Keymap::default_keymap());
    if let TraceSource::Live(live) = &source {
        let mut view = LiveView::new();
        // A daemon's policy arrives with its hello; the panel shows it then.
        if let LiveSource::Capture { control, .. } | LiveSource::Daemon { control, .. } = live {
            let policy = control.0.get().1;
            view.filters = FilterPanel::new(policy, Some(control.0.clone()));
            view.filters.remote = matches!(live, LiveSource::Daemon { .. });
        }
        state.live = Some(view);
        state.load = LoadStatus::Done;
    }
    let (tx, rx) = mpsc::channel();
    spawn_loader(source, tx.clone());
    // ratatui::init enters raw mode and the alternate screen, and installs a panic hook
    // that restores the terminal before the panic message is printed.
    let reply = tx.clone();
    let workers = Workers::spawn(move |m| reply.send(AppEvent::Worker(m)).is_ok());
    let mut terminal = ratatui::init();
    spawn_input(tx);
    let result = run_loop(&mut terminal, &mut state, &rx, &workers, &theme);
    ratatui::restore();
    result?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::batch::RecordBatch;

    /// A live state with `n` records waiting (never ingested: the test only schedules).
    fn live_with_backlog(n: usize) -> AppState {
        let mut state = AppState::new(String::from("test"), Keymap::default_keymap());
        state.live = Some(LiveView::new());
        state.load = LoadStatus::Done;
        let text = br#"{"entity":{"cf:a":{"prov:type":"file"}}}"#;
        let mut batch = RecordBatch::default();
        for _ in 0..n {
            crate::capture::camflow::read_trace(&text[..], &Default::default(), &mut batch)
                .expect("a record");
        }
        if let Some(live) = state.live.as_mut() {
            live.waiting.append(&mut batch);
        }
        state
    }

    #[test]
    fn waiting_records_keep_the_loop_ingesting_but_events_come_first() {
        let (tx, rx) = mpsc::channel();
        let tick = Duration::from_secs(60);
        let mut next_tick = Instant::now() + tick;
        let mut state = live_with_backlog(3);
        // Nothing arrived: ingest at once instead of waiting for the tick.
        assert!(matches!(
            next_event(&state, &rx, &mut next_tick, tick),
            Some(AppEvent::Idle)
        ));
        // Something arrived: it goes first.
        tx.send(AppEvent::Resize).expect("send");
        assert!(matches!(
            next_event(&state, &rx, &mut next_tick, tick),
            Some(AppEvent::Resize)
        ));
        // Paused: records wait, and so does the loop (here until a short tick).
        if let Some(live) = state.live.as_mut() {
            live.paused = true;
        }
        let short = Duration::from_millis(20);
        next_tick = Instant::now() + short;
        assert!(matches!(
            next_event(&state, &rx, &mut next_tick, short),
            Some(AppEvent::Tick)
        ));
    }
}
