//! The capture side of `bench overhead`: the pipeline of `provscope capture` (probe
//! attached, ring buffer drained, records decoded, CamFlow's graph built, elements written
//! in camflowd's W3C layout to a file the kernel treats as opaque), on a thread of the
//! provscope process, which the probe marks opaque. The probe lives and dies on that
//! thread: stopping the session drops it, which detaches every program.

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

/// What a session did, read when it stopped.
#[derive(Clone, Debug, Default)]
pub struct SessionReport {
    /// Records decoded and handed to the builder.
    pub records: u64,
    /// Records that could not be decoded.
    pub decode_errors: u64,
    /// Vertices written.
    pub nodes: u64,
    /// Relations written.
    pub edges: u64,
    /// Bytes of W3C written.
    pub bytes: u64,
    /// The kernel side's counters (`COUNTER_NAMES` order).
    pub counters: Vec<u64>,
    /// When the last record was consumed (built and written), if any was.
    pub last_record: Option<Instant>,
}

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
    thread: Option<JoinHandle<anyhow::Result<SessionReport>>>,
}

impl Session {
    /// Attaches the probe as `options` say and starts consuming into `output`; returns
    /// once the capture runs.
    pub fn start(options: Options, output: &Path) -> anyhow::Result<Session> {
        let stop = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready_rx) = mpsc::channel();
        let thread = {
            let stop = Arc::clone(&stop);
            let output = output.to_path_buf();
            std::thread::Builder::new()
                .name(String::from("capture"))
                .spawn(move || consume(options, output, &stop, &ready_tx))?
        };
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(Session {
                stop,
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
) -> anyhow::Result<SessionReport> {
    let (mut probe, file) = match attach(options, &output) {
        Ok(x) => x,
        Err(e) => {
            let text = format!("{e:#}");
            let _ = ready.send(Err(e));
            return Err(anyhow!(text));
        }
    };
    let mut sink = BufWriter::new(file);
    let mut recorder = Recorder::new(Host::read(), &mut sink);
    let mut last_record = None;
    let _ = ready.send(Ok(()));
    let mut stopping: Option<Instant> = None;
    loop {
        let n = recorder.pump(&mut probe, Duration::from_millis(50))?;
        if n > 0 {
            last_record = Some(Instant::now());
        }
        match stopping {
            // Stop once the ring buffer is empty, so that every record the measured
            // work produced is consumed (bounded, should the machine never go quiet).
            Some(since) if n == 0 || since.elapsed() > Duration::from_secs(10) => break,
            Some(_) => {}
            None if stop.load(Ordering::SeqCst) => stopping = Some(Instant::now()),
            None => {}
        }
    }
    let recording = recorder.finish()?;
    sink.flush()?;
    let bytes = sink.get_ref().metadata().map_or(0, |m| m.len());
    Ok(SessionReport {
        records: recording.builder.records,
        decode_errors: recording.decode_errors,
        nodes: recording.written.nodes,
        edges: recording.written.edges,
        bytes,
        counters: probe.counters(),
        last_record,
    })
}
