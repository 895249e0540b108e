//! `provscope bench live --capture SECONDS` (root): the live benchmark on this machine's
//! real capture instead of a replayed trace. The capture feed of `provscope live` runs as
//! it does under the TUI, a built-in workload keeps the machine busy (shell loops that
//! copy, read and delete files, so every iteration forks, execs, opens, reads and
//! writes), and the UI loop's own scheduling runs, every `update` it makes timed (a
//! batch arriving, an ingest step while records wait, a quarter-second tick, the
//! once-a-second refresh). The longest of them bounds how long a key
//! waits for its frame.

use crate::app::cli::{CommandResult, Failure};
use crate::app::commands::bench_live::{Slowest, describe, graph_size, live_state};
use crate::app::live::TICKS_PER_SECOND;
use crate::app::run::{AppEvent, handle_event, next_event};
use crate::capture::ebpf::probe::{ProbeError, has_privilege};
use crate::capture::transport::feed::{self, ControlHandle, FeedEvent, LiveSource};
use crate::policy::control::PolicyControl;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The workload: busy shell loops, stopped (with their children) when dropped.
struct Workload {
    children: Vec<Child>,
    dir: std::path::PathBuf,
}

impl Workload {
    fn start(loops: usize) -> Result<Workload, Failure> {
        let dir = std::env::temp_dir().join(format!("provscope-bench-live-{}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| Failure::other(anyhow::anyhow!("cannot make {}: {e}", dir.display())))?;
        let mut children = Vec::new();
        for i in 0..loops {
            let file = dir.join(format!("copy-{i}"));
            let script = format!(
                "while :; do cp /etc/services '{f}'; cat '{f}' > /dev/null; rm -f '{f}'; done",
                f = file.display()
            );
            let child = Command::new("/bin/sh")
                .arg("-c")
                .arg(script)
                .process_group(0)
                .spawn()
                .map_err(|e| Failure::other(anyhow::anyhow!("cannot start the workload: {e}")))?;
            children.push(child);
        }
        Ok(Workload { children, dir })
    }
}

impl Drop for Workload {
    fn drop(&mut self) {
        for child in &mut self.children {
            // The whole group: the loop and the cp or cat it is running.
            if let Ok(pid) = libc::pid_t::try_from(child.id()) {
                // SAFETY: killpg takes plain integers; the group is the one this
                // process made for the loop (process_group(0)), not yet reaped.
                unsafe {
                    libc::killpg(pid, libc::SIGKILL);
                }
            }
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs the benchmark for `seconds`, with `loops` shell loops as the workload.
pub fn run(seconds: u64, loops: usize) -> CommandResult {
    if !has_privilege() {
        return Err(Failure::other(ProbeError::Privilege));
    }
    let (tx, rx) = mpsc::channel();
    let send: feed::Send = Arc::new(move |e| tx.send(AppEvent::Feed(e)).is_ok());
    let source = LiveSource::Capture {
        save: None,
        control: ControlHandle(Arc::new(PolicyControl::new(Default::default()))),
        env: false,
    };
    std::thread::spawn(move || feed::run(&source, send));
    let workload = Workload::start(loops)?;
    let mut state = live_state("this machine");
    let mut times = Times::default();
    let mut slowest = Slowest::default();
    let mut drops: Vec<(&'static str, u64)> = Vec::new();
    let tick = Duration::from_millis(1000 / TICKS_PER_SECOND);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut next_tick = started + tick;
    // The run loop's own scheduling (`run::next_event`), with every update timed.
    while Instant::now() < deadline {
        let Some(event) = next_event(&state, &rx, &mut next_tick, tick) else {
            break;
        };
        let kind = match &event {
            AppEvent::Feed(FeedEvent::Broken(why)) => {
                return Err(Failure::other(anyhow::anyhow!("capture broke: {why}")));
            }
            AppEvent::Feed(FeedEvent::Counters(c)) => {
                drops = c
                    .iter()
                    .filter(|(name, _)| name.starts_with("dropped"))
                    .copied()
                    .collect();
                Kind::Feed
            }
            AppEvent::Feed(_) => Kind::Feed,
            AppEvent::Idle => Kind::Ingest,
            AppEvent::Tick
                if state
                    .live
                    .as_ref()
                    .is_some_and(|l| (l.ticks + 1).is_multiple_of(TICKS_PER_SECOND)) =>
            {
                Kind::Refresh
            }
            _ => Kind::Tick,
        };
        let before = graph_size(&state);
        let t = Instant::now();
        let _ = handle_event(&mut state, event);
        let took = t.elapsed();
        times.push(kind, took);
        slowest.push(took, kind.name(), before, graph_size(&state));
    }
    drop(workload);
    let elapsed = started.elapsed().as_secs_f64();
    let received = state.live.as_ref().map_or(0, |l| l.received);
    let waiting = state.live.as_ref().map_or(0, |l| l.waiting.len());
    println!(
        "real capture, {seconds} s with {loops} copy loops: {received} records received \
         ({:.0} records/s), {waiting} still waiting; graph {} vertices, {} relations",
        received as f64 / elapsed,
        state.graph.node_count(),
        state.graph.edge_count()
    );
    for (name, n) in drops {
        println!("  {name}: {n}");
    }
    describe("batch arrival", &mut times.feed);
    describe("ingest step", &mut times.ingest);
    describe("tick", &mut times.tick);
    describe("tick+refresh", &mut times.refresh);
    slowest.print(3);
    Ok(())
}

/// What an update was for.
#[derive(Clone, Copy)]
enum Kind {
    Feed,
    Ingest,
    Tick,
    Refresh,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Feed => "batch",
            Kind::Ingest => "ingest step",
            Kind::Tick => "tick",
            Kind::Refresh => "tick+refresh",
        }
    }
}

/// Update times by kind.
#[derive(Default)]
struct Times {
    feed: Vec<Duration>,
    ingest: Vec<Duration>,
    tick: Vec<Duration>,
    refresh: Vec<Duration>,
}

impl Times {
    fn push(&mut self, kind: Kind, d: Duration) {
        match kind {
            Kind::Feed => self.feed.push(d),
            Kind::Ingest => self.ingest.push(d),
            Kind::Tick => self.tick.push(d),
            Kind::Refresh => self.refresh.push(d),
        }
    }
}
