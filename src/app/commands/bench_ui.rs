//! `provscope bench ui`: time from key press to finished frame (update plus drawing on
//! an 80x24 test backend) for moving, a search keystroke, following a relation and
//! moving the time cursor, on a loaded trace. Reports the median and the worst of
//! repeated runs, and how long the trace's timeline takes to compute.

use crate::app::action::Msg;
use crate::app::cli::{CommandResult, Failure};
use crate::app::effect::{Effect, SearchWorker};
use crate::app::keymap::Keymap;
use crate::app::loader::{LoadEvent, load};
use crate::app::navigator::NavRow;
use crate::app::run::key_to_msg;
use crate::app::state::{AppState, Focus};
use crate::views::{self, Theme};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::cell::RefCell;
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent {
        code,
        modifiers: KeyModifiers::NONE,
        kind: KeyEventKind::Press,
        state: KeyEventState::NONE,
    }
}

/// The UI under measurement: state, an 80x24 test terminal, and effects not yet run.
struct Harness {
    state: AppState,
    term: Terminal<TestBackend>,
    theme: Theme,
    pending: Vec<Effect>,
    worker: SearchWorker,
    answers: Receiver<Msg>,
}

impl Harness {
    fn draw(&mut self) {
        let mut vp = self.state.viewport;
        let state = &self.state;
        let theme = &self.theme;
        let _ = self.term.draw(|f| vp = views::render(f, state, theme));
        self.state.viewport = vp;
    }

    /// Presses a key and draws one frame; returns how long both took. Effects (search)
    /// are kept for `settle`, as the UI hands them to a worker.
    fn press(&mut self, code: KeyCode) -> Duration {
        let start = Instant::now();
        if let Some(msg) = key_to_msg(&self.state.keymap, self.state.mode, &key(code)) {
            let effects = self.state.update(msg);
            self.pending.extend(effects);
        }
        self.draw();
        start.elapsed()
    }

    /// Hands pending effects to the search worker, as the UI does, waits for its answer
    /// and draws it; returns the time from hand-over to drawn answer.
    fn settle(&mut self) -> Duration {
        let start = Instant::now();
        let effects = std::mem::take(&mut self.pending);
        let expected = effects.len();
        for e in effects {
            self.worker.execute(e);
        }
        for _ in 0..expected {
            if let Ok(msg) = self.answers.recv() {
                let more = self.state.update(msg);
                self.pending.extend(more);
            }
        }
        self.draw();
        start.elapsed()
    }
}

fn summary(name: &str, mut times: Vec<Duration>) -> String {
    times.sort();
    let median = times.get(times.len() / 2).copied().unwrap_or_default();
    let worst = times.last().copied().unwrap_or_default();
    format!(
        "{name:<28} median {:>9.3} ms   worst {:>9.3} ms   ({} presses)",
        ms(median),
        ms(worst),
        times.len()
    )
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Runs the benchmark.
pub fn run(trace: &str) -> CommandResult {
    let started = Instant::now();
    let done = RefCell::new(None);
    let failed = RefCell::new(None);
    load(&[trace.to_string()], &|e| {
        match e {
            LoadEvent::Done(l) => *done.borrow_mut() = Some(l),
            LoadEvent::Failed(m) => *failed.borrow_mut() = Some(m),
            LoadEvent::Progress { .. } => {}
        }
        true
    });
    if let Some(m) = failed.into_inner() {
        return Err(Failure::input(anyhow::anyhow!(m)));
    }
    let loaded = done
        .into_inner()
        .ok_or_else(|| Failure::input(anyhow::anyhow!("nothing loaded")))?;
    let load_time = started.elapsed();
    let elements = loaded.graph.node_count() + loaded.graph.edge_count();
    let mut state = AppState::new(trace.to_string(), Keymap::default_keymap());
    let started = Instant::now();
    state.install(*loaded);
    let install = started.elapsed();
    let term = Terminal::new(TestBackend::new(80, 24)).map_err(Failure::other)?;
    let (tx, answers) = mpsc::channel();
    let worker = SearchWorker::spawn(move |m| tx.send(m).is_ok());
    let mut h = Harness {
        state,
        term,
        theme: Theme::plain(),
        pending: Vec::new(),
        worker,
        answers,
    };
    h.press(KeyCode::Home);

    // Open the biggest type group and walk down it.
    let catalog = &h.state.catalog;
    let biggest = (0..catalog.len())
        .max_by_key(|&i| catalog[i].objects.len())
        .unwrap_or(0);
    let row = h
        .state
        .nav_rows
        .iter()
        .position(|r| *r == NavRow::Group(biggest))
        .unwrap_or(0);
    h.state
        .nav
        .set(row, h.state.nav_rows.len(), h.state.viewport.navigator);
    let open = h.press(KeyCode::Enter);
    let moves: Vec<Duration> = (0..300).map(|_| h.press(KeyCode::Down)).collect();
    let pages: Vec<Duration> = (0..50).map(|_| h.press(KeyCode::PageDown)).collect();

    h.press(KeyCode::Char('/'));
    let mut typing = Vec::new();
    let mut answers = Vec::new();
    for c in "wget".chars() {
        typing.push(h.press(KeyCode::Char(c)));
        answers.push(h.settle());
    }
    h.press(KeyCode::Enter);

    // Follow relations from the search hit, and back.
    let mut follows = Vec::new();
    let mut backs = Vec::new();
    for _ in 0..20 {
        h.state.focus = Focus::Navigator;
        h.press(KeyCode::Enter);
        if h.state.focus != Focus::Relations {
            break;
        }
        follows.push(h.press(KeyCode::Enter));
        backs.push(h.press(KeyCode::Backspace));
        h.press(KeyCode::Down);
    }

    // The time cursor: the timeline as the loader computes it, then steps and jumps.
    let started = Instant::now();
    let timeline = crate::graph::timeline::Timeline::build(&h.state.graph);
    let build = started.elapsed();
    h.state.focus = Focus::Navigator;
    let back: Vec<Duration> = (0..50).map(|_| h.press(KeyCode::Char(','))).collect();
    let forward: Vec<Duration> = (0..50).map(|_| h.press(KeyCode::Char('.'))).collect();
    let mut jumps = Vec::new();
    for share in ["50%", "10%", "90%", "0", "75%"] {
        h.press(KeyCode::Char('@'));
        for c in share.chars() {
            h.press(KeyCode::Char(c));
        }
        jumps.push(h.press(KeyCode::Enter));
    }
    let end = h.press(KeyCode::Char('e'));

    println!("trace                        {trace}");
    println!("elements (vertices + edges)  {elements}");
    println!(
        "load                         {:.2} s",
        load_time.as_secs_f64()
    );
    println!("install loaded graph         {:.1} ms", ms(install));
    println!("open biggest group           {:.3} ms", ms(open));
    println!("{}", summary("move (Down)", moves));
    println!("{}", summary("page (PageDown)", pages));
    println!("{}", summary("search keystroke (frame)", typing));
    println!("{}", summary("search answer (worker)", answers));
    println!("{}", summary("follow relation (Enter)", follows));
    println!("{}", summary("back (Backspace)", backs));
    println!(
        "timeline ({} events)     {:.1} ms",
        timeline.len(),
        ms(build)
    );
    println!("{}", summary("time step back (,)", back));
    println!("{}", summary("time step forward (.)", forward));
    println!("{}", summary("time jump (@ Enter)", jumps));
    println!("time to the end (e)          {:.3} ms", ms(end));
    Ok(())
}
