//! The live capture feed (`provscope live`): this machine's capture, the probe and
//! recorder of `provscope capture`, its elements handed to the explorer as record batches
//! and, with `--save`, written to a file in camflowd's documents as they are made (the
//! file is opaque to the capture, so saving never records itself). The capture's policy is applied before the
//! probe attaches and again whenever the filter panel changes it (checked every step), so
//! the saved file holds exactly what the policy accepted.

use crate::capture::builder::host::Host;
use crate::capture::camflow::LoadReport;
use crate::capture::ebpf::probe::{COUNTER_NAMES, Probe};
use crate::capture::recorder::{Recorder, make_opaque};
use crate::capture::transport::feed::{FeedEvent, Send};
use crate::graph::batch::RecordBatch;
use crate::policy::control::PolicyControl;
use crate::policy::kernel::Following;
use std::cell::RefCell;
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// How long the recorder waits for records per step: also the latency of the view.
const STEP: Duration = Duration::from_millis(100);
/// How often the kernel counters are sent.
const COUNTERS_EVERY: Duration = Duration::from_secs(1);

/// The recorder's W3C output, which the feed moves to the saved file after every step in
/// one write: the view may end the process at any moment, and a document cut short by
/// that would be a damaged last line.
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

/// The saved file and the buffer the recorder writes its documents into.
struct Saved {
    file: File,
    pending: Shared,
}

impl Saved {
    /// Writes the documents made since the last call.
    fn write_pending(&mut self) -> Result<(), String> {
        let text = std::mem::take(&mut *self.pending.0.borrow_mut());
        if text.is_empty() {
            return Ok(());
        }
        self.file
            .write_all(&text)
            .map_err(|e| format!("cannot save: {e}"))
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
            Some(Saved {
                file,
                pending: Shared::default(),
            })
        }
        None => None,
    };
    // The view gets the elements themselves as records, never their text to parse again;
    // the saved file gets every step's elements as one document.
    let mut out = saved.as_ref().map(|s| s.pending.clone());
    let mut recorder = Recorder::with_output(Host::read(), out.as_mut());
    recorder.set_document_every(Duration::ZERO);
    let mut following =
        Following::start(control, &mut probe, recorder.builder_mut()).map_err(|e| e.to_string())?;
    probe.attach().map_err(|e| e.to_string())?;
    let streamed = stream(
        &mut recorder,
        &mut following,
        &mut probe,
        control,
        send,
        saved.as_mut(),
    );
    let finished = recorder.finish().map_err(|e| format!("cannot save: {e}"));
    let written = saved.as_mut().map_or(Ok(()), Saved::write_pending);
    streamed.and(finished.map(drop)).and(written)
}

/// Pumps the capture into batches until nobody listens.
fn stream(
    recorder: &mut Recorder<'_, Shared>,
    following: &mut Following,
    probe: &mut Probe,
    control: &PolicyControl,
    send: &Send,
    mut saved: Option<&mut Saved>,
) -> Result<(), String> {
    let mut report = LoadReport::default();
    let mut counters_sent = Instant::now();
    loop {
        following
            .sync(control, probe, recorder.builder_mut())
            .map_err(|e| e.to_string())?;
        let mut batch = RecordBatch::default();
        let pumped = recorder
            .pump_into(probe, STEP, Some(&mut batch))
            .map_err(|e| format!("capture: {e}"))?;
        if let Some(saved) = saved.as_deref_mut() {
            saved.write_pending()?;
        }
        if !batch.is_empty() {
            // One step's elements count as one document, as the W3C stream would carry them.
            report.lines += 1;
            report.w3c_documents += 1;
            report.elements += pumped.elements;
            report.bytes += pumped.bytes;
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
