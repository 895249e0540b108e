//! The capture side of `bench overhead`: the pipeline of `provscope capture` (probe
//! attached, ring buffer drained, records decoded, CamFlow's graph built, elements written
//! in camflowd's W3C layout to a file the kernel treats as opaque), on a thread of the
//! provscope process, which the probe marks opaque. The probe lives and dies on that
//! thread: stopping the session drops it, which detaches every program. A session
//! switches between the benchmark's modes in milliseconds (programs detached, attached
//! with the worker filtered out, attached recording it), so that the modes can take
//! turns batch by batch.

use super::summary::Mode;
use crate::capture::builder::host::Host;
use crate::capture::ebpf::probe::Probe;
use crate::capture::recorder::{Recorder, make_opaque};
use anyhow::{Context as _, anyhow};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the capture consumed over a stretch of time (a mode's turn, or a whole session).
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// Records decoded and handed to the builder.
    pub records: u64,
    /// Records that could not be decoded.
    pub decode_errors: u64,
    /// Bytes of W3C written (as far as they left the write buffer).
    pub bytes: u64,
    /// The kernel side's counters (`COUNTER_NAMES` order).
    pub counters: Vec<u64>,
}

impl Tally {
    /// What was added since `earlier` (a tally of the same session).
    fn since(&self, earlier: &Tally) -> Tally {
        Tally {
            records: self.records - earlier.records,
            decode_errors: self.decode_errors - earlier.decode_errors,
            bytes: self.bytes.saturating_sub(earlier.bytes),
            counters: self
                .counters
                .iter()
                .zip(earlier.counters.iter().chain(std::iter::repeat(&0)))
                .map(|(now, then)| now.saturating_sub(*then))
                .collect(),
        }
    }
}

/// What a session did, read when it stopped.
#[derive(Clone, Debug, Default)]
pub struct SessionReport {
    /// Since the session started.
    pub tally: Tally,
    /// Vertices written.
    pub nodes: u64,
    /// Relations written.
    pub edges: u64,
    /// When the last record was consumed (built and written), if any was.
    pub last_record: Option<Instant>,
}

/// A request to the capture thread: consume what the last mode recorded, then set up
/// `mode` (filtering `uid` out in [`Mode::FilteredOut`]); the answer is the last mode's
/// tally.
struct Switch {
    mode: Mode,
    uid: u32,
    done: mpsc::Sender<anyhow::Result<Tally>>,
}

/// How long the capture thread waits for records before it looks at its requests again.
const PUMP_WAIT: Duration = Duration::from_millis(5);

/// At most this long to consume what a mode recorded, should the machine never go quiet.
const DRAIN_LIMIT: Duration = Duration::from_secs(10);

/// How a session's probe is set up.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Filter this user's events out in the kernel.
    pub filter_uid: Option<u32>,
    /// Compress exact repeats in the kernel (as `provscope capture` does); off, every
    /// read and write goes through the whole pipeline.
    pub compress: bool,
}

/// A running capture.
pub struct Session {
    stop: Arc<AtomicBool>,
    switches: mpsc::Sender<Switch>,
    thread: Option<JoinHandle<anyhow::Result<SessionReport>>>,
}

impl Session {
    /// Attaches the probe as `options` say and starts consuming into `output`; returns
    /// once the capture runs.
    pub fn start(options: Options, output: &Path) -> anyhow::Result<Session> {
        let stop = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready_rx) = mpsc::channel();
        let (switches, switch_rx) = mpsc::channel();
        let thread = {
            let stop = Arc::clone(&stop);
            let output = output.to_path_buf();
            std::thread::Builder::new()
                .name(String::from("capture"))
                .spawn(move || consume(options, output, &stop, &ready_tx, &switch_rx))?
        };
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(Session {
                stop,
                switches,
                thread: Some(thread),
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => Err(thread
                .join()
                .map_err(|_| anyhow!("the capture thread panicked"))?
                .err()
                .unwrap_or_else(|| anyhow!("the capture thread ended before it started"))),
        }
    }

    /// Consumes everything the current mode recorded, then switches to `mode` (the
    /// worker's `uid` filtered out in the kernel in [`Mode::FilteredOut`]); returns what
    /// the capture consumed since the last switch (or the start).
    pub fn switch(&mut self, mode: Mode, uid: u32) -> anyhow::Result<Tally> {
        let (done, answer) = mpsc::channel();
        if self.switches.send(Switch { mode, uid, done }).is_err() {
            return Err(self.why_it_ended());
        }
        match answer.recv() {
            Ok(result) => result,
            Err(_) => Err(self.why_it_ended()),
        }
    }

    /// The capture thread's own error, once it has ended early.
    fn why_it_ended(&mut self) -> anyhow::Error {
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(Err(e))) => e.context("the capture thread failed"),
            Some(Err(_)) => anyhow!("the capture thread panicked"),
            Some(Ok(Ok(_))) | None => anyhow!("the capture thread ended early"),
        }
    }

    /// Stops the capture once the ring buffer is empty, detaches the probe and reports.
    pub fn stop(mut self) -> anyhow::Result<SessionReport> {
        self.stop.store(true, Ordering::SeqCst);
        self.thread
            .take()
            .ok_or_else(|| anyhow!("the capture was stopped twice"))?
            .join()
            .map_err(|_| anyhow!("the capture thread panicked"))?
    }
}

impl Drop for Session {
    /// A session abandoned on an error still ends its thread and detaches its probe.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Starts the probe as `provscope capture` does: its output file opaque, plus the
/// benchmark's user filter when asked for.
fn attach(options: Options, output: &Path) -> anyhow::Result<(Probe, File)> {
    let mut probe = Probe::start()?;
    let file =
        File::create(output).with_context(|| format!("cannot write {}", output.display()))?;
    make_opaque(&mut probe, &file)?;
    probe.set_compression(options.compress)?;
    if let Some(uid) = options.filter_uid {
        probe.set_uid_filtered(uid, true)?;
    }
    Ok((probe, file))
}

/// The capture thread: the loop of `provscope capture`, until told to stop.
fn consume(
    options: Options,
    output: PathBuf,
    stop: &AtomicBool,
    ready: &mpsc::Sender<anyhow::Result<()>>,
    switches: &mpsc::Receiver<Switch>,
) -> anyhow::Result<SessionReport> {
    let (mut probe, file) = match attach(options, &output) {
        Ok(x) => x,
        Err(e) => {
            let text = format!("{e:#}");
            let _ = ready.send(Err(e));
            return Err(anyhow!(text));
        }
    };
    // A second handle on the output, to see how much has been written.
    let written = file.try_clone()?;
    let mut sink = BufWriter::new(file);
    let mut recorder = Recorder::new(Host::read(), &mut sink);
    let mut records = 0u64;
    let mut last_record = None;
    let tally = |recorder: &Recorder<_>, probe: &Probe, drained: u64| Tally {
        records: drained - recorder.decode_errors(),
        decode_errors: recorder.decode_errors(),
        bytes: written.metadata().map_or(0, |m| m.len()),
        counters: probe.counters(),
    };
    let mut at_switch = Tally::default();
    let _ = ready.send(Ok(()));
    let mut stopping: Option<Instant> = None;
    loop {
        let n = recorder.pump(&mut probe, PUMP_WAIT)?;
        if n > 0 {
            records += n as u64;
            last_record = Some(Instant::now());
        }
        if let Ok(switch) = switches.try_recv() {
            // Everything the last mode recorded is consumed before the next one runs,
            // so that no mode pays for another's records.
            let since = Instant::now();
            while since.elapsed() < DRAIN_LIMIT {
                let n = recorder.pump(&mut probe, PUMP_WAIT)?;
                if n == 0 {
                    break;
                }
                records += n as u64;
                last_record = Some(Instant::now());
            }
            let now = tally(&recorder, &probe, records);
            let answer =
                set_mode(&mut probe, switch.mode, switch.uid).map(|()| now.since(&at_switch));
            at_switch = now;
            let _ = switch.done.send(answer);
        }
        match stopping {
            // Stop once the ring buffer is empty, so that every record the measured
            // work produced is consumed (bounded, should the machine never go quiet).
            Some(since) if n == 0 || since.elapsed() > DRAIN_LIMIT => break,
            Some(_) => {}
            None if stop.load(Ordering::SeqCst) => stopping = Some(Instant::now()),
            None => {}
        }
    }
    let decode_errors = recorder.decode_errors();
    let recording = recorder.finish()?;
    sink.flush()?;
    Ok(SessionReport {
        tally: Tally {
            records: records - decode_errors,
            decode_errors,
            bytes: sink.get_ref().metadata().map_or(0, |m| m.len()),
            counters: probe.counters(),
        },
        nodes: recording.written.nodes,
        edges: recording.written.edges,
        last_record,
    })
}

/// Sets the probe up for `mode`.
fn set_mode(probe: &mut Probe, mode: Mode, uid: u32) -> anyhow::Result<()> {
    match mode {
        Mode::Vanilla => probe.detach()?,
        Mode::EmptyPrograms => probe.attach_empty_programs()?,
        Mode::CaptureAll | Mode::FilteredOut => {
            probe.set_uid_filtered(uid, mode == Mode::FilteredOut)?;
            probe.attach()?;
        }
    }
    Ok(())
}
