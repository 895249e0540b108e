//! The live capture feed (`provscope live`): this machine's capture, the probe and
//! recorder of `provscope capture`, its W3C documents parsed into batches for the explorer
//! and, with `--save`, appended to a file as they are made (the file is opaque to the
//! capture, so saving never records itself). The capture's policy is applied before the
//! probe attaches and again whenever the filter panel changes it (checked every step), so
//! the saved file holds exactly what the policy accepted.

use crate::capture::builder::host::Host;
use crate::capture::camflow::{LoadReport, ReaderOptions, read_trace};
use crate::capture::ebpf::probe::{COUNTER_NAMES, Probe};
use crate::capture::recorder::{Recorder, make_opaque};
use crate::capture::transport::feed::{FeedEvent, Send};
use crate::graph::batch::RecordBatch;
use crate::policy::control::PolicyControl;
use crate::policy::kernel::Following;
use std::cell::RefCell;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// How long the recorder waits for records per step: also the latency of the view.
const STEP: Duration = Duration::from_millis(100);
/// How often the kernel counters are sent.
const COUNTERS_EVERY: Duration = Duration::from_secs(1);

/// The recorder's output, which the feed empties after every step.
#[derive(Clone, Default)]
struct Shared(Rc<RefCell<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What the live capture records besides the policy's choice.
#[derive(Clone, Copy, Debug)]
pub struct With<'a> {
    /// Also append everything captured to this file.
    pub save: Option<&'a Path>,
    /// Record exec's environment (envp) too.
    pub env: bool,
}

/// Captures until nobody listens; runs on the calling thread.
pub fn run(with: With<'_>, control: &PolicyControl, send: Send) {
    if let Err(message) = capture(with, control, &send) {
        send(FeedEvent::Broken(message));
    }
}

fn capture(with: With<'_>, control: &PolicyControl, send: &Send) -> Result<(), String> {
    let mut probe = Probe::load().map_err(|e| e.to_string())?;
    probe.set_env(with.env).map_err(|e| e.to_string())?;
    let mut saved = match with.save {
        Some(path) => {
            let file = File::create(path)
                .map_err(|e| format!("cannot write '{}': {e}", path.display()))?;
            make_opaque(&mut probe, &file).map_err(|e| e.to_string())?;
            Some(BufWriter::new(file))
        }
        None => None,
    };
    let shared = Shared::default();
    let mut out = shared.clone();
    let mut recorder = Recorder::new(Host::read(), &mut out);
    let mut following =
        Following::start(control, &mut probe, recorder.filter_mut()).map_err(|e| e.to_string())?;
    probe.attach().map_err(|e| e.to_string())?;
    // Every step's elements leave as complete documents at once.
    recorder.set_document_every(Duration::ZERO);
    let mut report = LoadReport::default();
    let mut counters_sent = Instant::now();
    loop {
        following
            .sync(control, &mut probe, recorder.filter_mut())
            .map_err(|e| e.to_string())?;
        recorder
            .pump(&mut probe, STEP)
            .map_err(|e| format!("capture: {e}"))?;
        let text = std::mem::take(&mut *shared.0.borrow_mut());
        if !text.is_empty() {
            if let Some(file) = saved.as_mut() {
                file.write_all(&text)
                    .and_then(|()| file.flush())
                    .map_err(|e| format!("cannot save: {e}"))?;
            }
            let mut batch = RecordBatch::default();
            let chunk = read_trace(&text[..], &ReaderOptions::default(), &mut batch)
                .map_err(|e| format!("capture: {e}"))?;
            report.absorb(&chunk);
            let event = FeedEvent::Batch {
                batch,
                report: Box::new(report.clone()),
            };
            if !send(event) {
                return Ok(());
            }
        }
        if counters_sent.elapsed() >= COUNTERS_EVERY {
            counters_sent = Instant::now();
            let counters = COUNTER_NAMES
                .iter()
                .copied()
                .zip(probe.counters())
                .collect();
            let report = following.report(recorder.filter_mut());
            if !send(FeedEvent::Counters(counters)) || !send(FeedEvent::Filters(report)) {
                return Ok(());
            }
        }
    }
}
